"""The theta^2 plot, as FACT's open Crab analysis draws it (fact_plots ``plot_theta_squared``).

The gamma-like events' theta^2 around the source (ON, points with Poisson errors) over the
alpha-scaled theta^2 around the OFF positions (grey area, with alpha * sqrt(N) errors), the cut
as a dashed line, and a box with N_on, N_off, alpha, excess, the Li & Ma significance, the hours
and sigma per sqrt(hour) (:func:`iactdl.evaluate.theta2.theta2_counts`). Loads matplotlib: import
it directly, not through :mod:`iactdl.evaluate`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from iactdl.evaluate import style

__all__ = ["theta2_text", "draw_theta2", "plot_theta2"]


def theta2_text(counts: Mapping) -> str:
    """The box's text from :func:`~iactdl.evaluate.theta2.theta2_counts`' result.

    Parameters
    ----------
    counts : mapping
        :func:`~iactdl.evaluate.theta2.theta2_counts`' result; ``hours`` is optional.

    Returns
    -------
    str
        Two lines (matplotlib mathtext): N_on, N_off, alpha; the excess +- its error and the
        Li & Ma significance; a third with the hours and sigma per sqrt(hour) where ``hours`` is
        finite.
    """
    lines = [
        rf"$N_\mathrm{{on}} = {counts['n_on']}$, $N_\mathrm{{off}} = {counts['n_off']}$, "
        rf"$\alpha = {counts['alpha']:.3g}$",
        rf"$N_\mathrm{{exc}} = {counts['excess']:.1f} \pm {counts['excess_error']:.1f}$, "
        f"Li & Ma {counts['li_ma_significance']:.1f}" + r"$\,\sigma$",
    ]
    hours = counts.get("hours", float("nan"))
    if math.isfinite(hours):
        lines.append(
            rf"$t_\mathrm{{obs}} = {hours:.2f}$ h, "
            rf"${counts['sigma_per_sqrt_hour']:.2f}\,\sigma/\sqrt{{\mathrm{{h}}}}$"
        )
    return "\n".join(lines)


def draw_theta2(ax, hist: Mapping, counts: Mapping, title: str | None = None) -> None:
    """Draw the theta^2 plot on ``ax``.

    Parameters
    ----------
    ax : matplotlib Axes
    hist : mapping
        :func:`~iactdl.evaluate.theta2.theta2_histograms`' result (edges in deg^2).
    counts : mapping
        :func:`~iactdl.evaluate.theta2.theta2_counts`' result at the same gammaness cut.
    title : str, optional
        Axes title (e.g. the model and the data).
    """
    edges = np.asarray(hist["edges"])
    centre = 0.5 * (edges[1:] + edges[:-1])
    half = 0.5 * np.diff(edges)
    ax.stairs(
        hist["off_scaled"],
        edges,
        fill=True,
        color="0.8",
        label=rf"OFF $\times\,\alpha$ ($\alpha = {hist['alpha']:.3g}$)",
    )
    ax.errorbar(
        centre,
        hist["off_scaled"],
        yerr=hist["off_scaled_error"],
        fmt="none",
        ecolor="0.45",
        elinewidth=0.8,
    )
    ax.errorbar(
        centre,
        hist["on"],
        xerr=half,
        yerr=hist["on_error"],
        fmt="o",
        color=style.colour(0),
        markersize=2.5,
        elinewidth=0.8,
        label="ON",
    )
    ax.axvline(
        counts["theta2_cut"],
        color=style.colour(7),
        linestyle="--",
        linewidth=0.8,
        label=rf"cut $\theta^2 < {counts['theta2_cut']:g}\,\mathrm{{deg}}^2$",
    )
    ax.set_xlim(edges[0], edges[-1])
    top = max(
        float(np.max(hist["on"] + hist["on_error"], initial=0)),
        float(np.max(hist["off_scaled"] + hist["off_scaled_error"], initial=0)),
        1.0,
    )
    ax.set_ylim(0, 1.6 * top)  # room for the box above the histograms
    ax.set_xlabel(r"$\theta^2$ / deg$^2$")
    ax.set_ylabel(f"events (gammaness > {counts['gammaness_cut']:.3f})")
    ax.text(
        0.97,
        0.97,
        theta2_text(counts),
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=6.5,
        bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.6", "linewidth": 0.5},
    )
    ax.legend(loc="center right", fontsize=6.5)
    if title:
        ax.set_title(title)


def plot_theta2(
    hist: Mapping, counts: Mapping, outputs: Sequence[str], title: str | None = None
) -> None:
    """The theta^2 plot in one column's width, saved to every path of ``outputs`` (PDF, PNG).

    Parameters
    ----------
    hist : mapping
        :func:`~iactdl.evaluate.theta2.theta2_histograms`' result (edges in deg^2).
    counts : mapping
        :func:`~iactdl.evaluate.theta2.theta2_counts`' result at the same gammaness cut.
    outputs : sequence of str
        Files to write (one per format, see :func:`~iactdl.evaluate.style.save_figure`).
    title : str, optional
        Axes title (e.g. the model and the data).
    """
    fig, ax = style.subplots(columns=1)
    draw_theta2(ax, hist, counts, title)
    style.save_figure(fig, outputs)
