"""Overview figures of the data and the features: what the nets and baselines learn from.

- :func:`plot_data`: the true-energy spectra of the labelled samples and one typical gamma and one
  typical proton event on the hexagonal FACT camera (cleaned charges).
- :func:`plot_features`: distributions of the Hillas parameters and friends for simulated gammas
  and protons, the separation the baselines exploit.

Both read a split of the labelled simulations (truth is theirs to show); nothing observed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.colors import LogNorm
from matplotlib.patches import RegularPolygon

from iactdl.camera import fact_camera
from iactdl.evaluate import style
from iactdl.evaluate.style import save_figure
from iactdl.io import read_columns

__all__ = ["typical_event", "plot_data", "plot_features", "FEATURE_PANELS"]

SAMPLE_LABELS = {
    "gamma": "gammas (point-like)",
    "gamma_diffuse": "gammas (diffuse)",
    "proton": "protons",
}

# (column, axis label with unit, log10 of the value?) of the feature panels
FEATURE_PANELS = (
    ("size", r"$\log_{10}$(size / p.e.)", True),
    ("width", "width / mm", False),
    ("length", "length / mm", False),
    ("concentration_cog", "concentration (c.o.g.)", False),
    ("num_islands", "islands", False),
    ("timespread", "time spread / ns", False),
)


def typical_event(size: np.ndarray, mask: np.ndarray) -> int:
    """Row of the event of ``mask`` whose size is closest to the median size of ``mask``.

    Parameters
    ----------
    size : numpy.ndarray
        Image size (p.e.) per event, shape (n_events,); NaN sizes are never chosen.
    mask : numpy.ndarray
        Bool, shape (n_events,): the events to choose from (one class).

    Returns
    -------
    int
        The chosen event's row.

    Raises
    ------
    ValueError
        No event of ``mask`` has a finite size.
    """
    rows = np.flatnonzero(mask & np.isfinite(size))
    if len(rows) == 0:
        raise ValueError("no event of this class with a finite size")
    median = np.median(size[rows])
    return int(rows[np.argmin(np.abs(size[rows] - median))])


def _camera(ax, charge: np.ndarray, title: str) -> None:
    """The camera as 1440 hexagons coloured by ``charge`` (log scale); empty pixels light grey."""
    cam = fact_camera()
    # neighbours lie along x, so the hexagons are pointy-top; circumradius = pitch / sqrt(3)
    radius = cam.pitch_mm / np.sqrt(3)
    hexagons = [
        RegularPolygon((x, y), numVertices=6, radius=radius, orientation=0.0)
        for x, y in zip(cam.x, cam.y, strict=True)
    ]  # a figure, not a hot path
    coll = PatchCollection(hexagons, edgecolors="none", cmap="viridis")
    lit = charge > 0
    vmax = max(1.0, float(charge.max()))
    coll.set_array(np.where(lit, np.clip(charge, 1.0, None), np.nan))
    coll.set_norm(LogNorm(vmin=1.0, vmax=vmax))
    coll.cmap.set_bad("#e8e8e8")
    ax.add_collection(coll)
    lim = max(np.abs(cam.x).max(), np.abs(cam.y).max()) + cam.pitch_mm
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("x / mm")
    ax.set_ylabel("y / mm")
    ax.set_title(title)
    ax.grid(False)
    ax.figure.colorbar(coll, ax=ax, label="cleaned charge / p.e.", shrink=0.8)


def plot_data(dataset: str | os.PathLike, outputs: Sequence[str | os.PathLike]) -> None:
    """(a) events per true-energy bin per labelled sample; (b, c) a typical gamma and proton.

    The typical events are those of median size (:func:`typical_event`), drawn as their cleaned
    charges (p.e.) on the 1440 hexagonal pixels.

    Parameters
    ----------
    dataset : path
        A split of the labelled simulations: ``sample``, ``true_energy`` (TeV), ``is_gamma``,
        ``size`` (p.e.) and ``grid_image``.
    outputs : sequence of path
        Files to write (one per format, see :func:`~iactdl.evaluate.style.save_figure`).
    """
    cols = read_columns(dataset, ["sample", "true_energy", "is_gamma", "size"])
    sample = np.char.decode(np.asarray(cols["sample"]).astype("S"), "ascii")
    energy = np.asarray(cols["true_energy"], dtype=float)
    is_gamma = np.asarray(cols["is_gamma"]).astype(bool)
    size = np.asarray(cols["size"], dtype=float)
    fig, axes = style.subplots(1, 3, columns=2, aspect=0.3)
    ax_e = axes[0]
    ok = np.isfinite(energy) & (energy > 0)
    bins = np.geomspace(max(energy[ok].min(), 1e-3), energy[ok].max(), 31)
    for k, name in enumerate(SAMPLE_LABELS):
        sel = ok & (sample == name)
        if sel.any():
            counts, _ = np.histogram(energy[sel], bins)
            ax_e.stairs(
                counts,
                bins,
                color=style.colour(k),
                ls=style.LINESTYLES[k],
                label=f"{SAMPLE_LABELS[name]} ({sel.sum()})",
            )
    ax_e.set_xscale("log")
    ax_e.set_yscale("log")
    ax_e.set_xlabel(r"true energy $E_\mathrm{true}$ / TeV")
    ax_e.set_ylabel("events per bin")
    ax_e.set_title("(a) labelled simulations, after cuts")
    ax_e.set_ylim(top=ax_e.get_ylim()[1] * 30)  # head room for the legend on the log axis
    ax_e.legend(loc="upper right", fontsize=6)
    cam = fact_camera()
    for ax, cls, label in ((axes[1], True, "gamma"), (axes[2], False, "proton")):
        row = typical_event(size, is_gamma == cls)
        grid = read_columns(dataset, ["grid_image"], index=np.array([row]))["grid_image"][0]
        charge = cam.from_grid(grid[0])
        title = f"({'b' if cls else 'c'}) typical {label}: size {size[row]:.0f} p.e."
        _camera(ax, charge, title)
    save_figure(fig, outputs)


def plot_features(dataset: str | os.PathLike, outputs: Sequence[str | os.PathLike]) -> None:
    """Normalised distributions of six image parameters for simulated gammas and protons.

    The panels are :data:`FEATURE_PANELS` (size on a log scale), each over the central 99 % of
    its values.

    Parameters
    ----------
    dataset : path
        A split of the labelled simulations with the columns of :data:`FEATURE_PANELS` and
        ``is_gamma``.
    outputs : sequence of path
        Files to write (one per format, see :func:`~iactdl.evaluate.style.save_figure`).
    """
    names = [c for c, _, _ in FEATURE_PANELS]
    cols = read_columns(dataset, [*names, "is_gamma"])
    is_gamma = np.asarray(cols["is_gamma"]).astype(bool)
    fig, axes = style.subplots(2, 3, columns=2, aspect=0.27)
    for ax, (name, label, log) in zip(axes.flat, FEATURE_PANELS, strict=True):
        x = np.asarray(cols[name], dtype=float)
        if log:
            x = np.log10(np.where(x > 0, x, np.nan))
        finite = np.isfinite(x)
        lo, hi = np.nanpercentile(x[finite], [0.5, 99.5])
        if name == "num_islands":
            bins = np.arange(0.5, max(hi, 2) + 1.5)
        else:
            bins = np.linspace(lo, hi, 41)
        for k, (cls, cls_label) in enumerate(((True, "gammas"), (False, "protons"))):
            sel = finite & (is_gamma == cls)
            ax.hist(
                x[sel],
                bins,
                density=True,
                histtype="step",
                color=style.colour(k),
                ls=style.LINESTYLES[k],
                lw=1.2,
                label=f"{cls_label} ({sel.sum()})",
            )
        ax.set_xlabel(label)
        ax.set_ylabel("probability density")
    axes.flat[0].legend(loc="upper right")
    save_figure(fig, outputs)
