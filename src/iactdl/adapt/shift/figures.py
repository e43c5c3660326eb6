"""Figures of the shift diagnostics (rule ``figure_shift``), one function per figure (PDF for the
paper, PNG to look at), from the outputs of :func:`iactdl.adapt.shift.shift_diagnostics`.

- :func:`plot_feature_shift`: the feature table ranked by the KS statistic (simulated protons
  against observed OFF events), beside the distributions of the most shifted features;
- :func:`plot_pixel_shift`: the distribution of every pixel-level channel in both samples, with
  its KS statistic and its domain classifier's AUC;
- :func:`plot_label_shift`: the gamma fraction of ``observed_train`` (all, ON, OFF) by each
  quantifier and by the ON - alpha OFF excess.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from iactdl.camera import fact_camera
from iactdl.evaluate import style  # selects the Agg backend before pyplot draws
from iactdl.evaluate.labels import feature_label
from iactdl.evaluate.performance_figures import save_figure
from iactdl.features.columns import FEATURE_UNITS
from iactdl.io.jsonfile import read_json
from iactdl.io.npzfile import read_npz

__all__ = ["plot_shift_diagnostics", "plot_feature_shift", "plot_pixel_shift", "plot_label_shift"]

SOURCE_LABEL = "simulated protons"
TARGET_LABEL = "observed OFF"
PIXEL_UNITS = {
    "x_deg": "deg",
    "y_deg": "deg",
    "charge": "p.e.",
    "peak_time": "ns",
    "relative_time": "ns",
    "n_pixels": "",
}


def _label(name: str, units: Mapping[str, str]) -> str:
    unit = units.get(name, "")
    return f"{name} / {unit}" if unit else name


def _density_label(name: str, units: Mapping[str, str]) -> str:
    """The y label of a normalised histogram: a density per unit of the x axis."""
    unit = units.get(name, "")
    return f"density / {unit}$^{{-1}}$" if unit else "density"


def lattice_edges(centres: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Bin edges halfway between neighbouring lattice positions (pixel centres), covering
    ``[lo, hi]``: one bin per pixel column or row. Equal-width bins that ignore the pixel pitch
    hold two lattice positions in some bins and one in others, and draw that as spikes."""
    c = np.unique(np.round(np.asarray(centres, dtype=np.float64), 4))
    if c.size < 2:
        return np.array([lo - 0.5, hi + 0.5])
    mid = 0.5 * (c[1:] + c[:-1])
    edges = np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])
    first = max(np.searchsorted(edges, lo, side="right") - 1, 0)
    last = min(np.searchsorted(edges, hi, side="left"), edges.size - 1)
    return edges[first : last + 1] if last > first else edges


def _pixel_lattice() -> dict[str, np.ndarray]:
    """The pixel-centre positions of the camera per position channel (deg)."""
    geometry = fact_camera()
    return {"x_deg": geometry.x_deg, "y_deg": geometry.y_deg}


def _compare(
    ax,
    s: np.ndarray,
    t: np.ndarray,
    name: str,
    units: Mapping[str, str],
    lattice: np.ndarray | None = None,
) -> None:
    """Normalised histograms of one input in both samples; log x for positive heavy tails; a
    channel on the pixel lattice (``lattice``: the pixel centres) binned one bin per position."""
    s = np.asarray(s, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    s, t = s[np.isfinite(s)], t[np.isfinite(t)]
    both = np.concatenate([s, t])
    if both.size == 0:
        ax.text(0.5, 0.5, "no finite values", ha="center", va="center", transform=ax.transAxes)
        return
    lo, hi = np.quantile(both, [0.005, 0.995])
    if lattice is not None:
        bins = lattice_edges(lattice, lo, hi)
    elif lo > 0 and hi / lo > 20:  # sizes, charges: physics plots them on log axes
        bins = np.geomspace(lo, hi, 41)
        ax.set_xscale("log")
        # ticks at 1, 3, 10, 30, ... written plainly (labelled minor ticks overlapped); over
        # more than two decades 1, 10, 100 (100 and 300 ran together in a narrow panel)
        subs = (1.0, 3.0) if hi / lo <= 100 else (1.0,)
        ax.xaxis.set_major_locator(LogLocator(subs=subs))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    elif np.allclose(both, np.round(both)):  # counts: bins of whole numbers
        step = max(1.0, np.ceil((hi - lo + 1) / 40))
        bins = np.arange(np.floor(lo) - 0.5, np.ceil(hi) + step, step)
    else:
        bins = np.linspace(lo, hi if hi > lo else lo + 1.0, 41)
    ax.hist(s, bins=bins, density=True, histtype="step", lw=1.2, label=SOURCE_LABEL,
            color=style.colour(0))  # fmt: skip
    ax.hist(t, bins=bins, density=True, histtype="step", lw=1.2, label=TARGET_LABEL,
            color=style.colour(1), ls="--")  # fmt: skip
    ax.set_xlabel(_label(name, units))
    ax.set_ylabel(_density_label(name, units))


def plot_feature_shift(
    table: pd.DataFrame,
    source: Mapping[str, np.ndarray],
    target: Mapping[str, np.ndarray],
    domain_auc: float,
    outputs: Sequence[str],
    n_top: int = 6,
) -> None:
    """Ranked KS statistics of the feature table and the distributions of the top ``n_top``.

    Parameters
    ----------
    table : pandas.DataFrame
        The features' two-sample table (:func:`~iactdl.adapt.shift.twosample.two_sample_table`).
    source, target : Mapping of str to numpy.ndarray
        The compared values per feature.
    domain_auc : float
        The features' domain classifier AUC, in the title.
    outputs : sequence of str
        The figure's files (PDF, PNG).
    n_top : int
        Features whose distributions are drawn.
    """
    n_top = max(1, min(n_top, len(table), len(source)))
    ncols = 3
    nrows = int(np.ceil(n_top / ncols))
    style.apply()
    height = max(2.6, 0.12 * len(table) + 0.8, 1.7 * nrows)
    fig = plt.figure(figsize=(style.TWO_COLUMN, height), layout="constrained")
    grid = fig.add_gridspec(nrows, ncols + 1, width_ratios=[1.2] + [1] * ncols)
    ax = fig.add_subplot(grid[:, 0])
    ranked = table.iloc[::-1]
    # features by the names a reader knows them by (the keys are FACT's DL2 column names)
    names = [feature_label(c) for c in ranked["input"]]
    ax.barh(names, ranked["ks"], color="0.6")
    ax.barh(names[-n_top:], ranked["ks"].iloc[-n_top:], color=style.colour(1))
    ax.set_xlabel("KS statistic")
    ax.set_xlim(0, 1)
    ax.tick_params(axis="y", labelsize=6)
    ax.set_title(f"feature table: domain AUC {domain_auc:.3f}")
    for k, name in enumerate(table["input"].iloc[:n_top]):
        sub = fig.add_subplot(grid[k // ncols, 1 + k % ncols])
        _compare(sub, source[name], target[name], name, FEATURE_UNITS)
        # side by side, long feature names ran into each other as x labels: the name goes into
        # the title, the unit stays on the axis
        sub.set_xlabel(FEATURE_UNITS.get(name) or "(no unit)")
        sub.set_ylabel("density")  # per unit of the x axis; beside each other, kept short
        sub.set_title(f"#{k + 1} {feature_label(name)}\nKS {table['ks'].iloc[k]:.2f}", fontsize=7)
        if k == 0:
            fig.legend(*sub.get_legend_handles_labels(), loc="outside upper center", ncols=2)
    save_figure(fig, outputs)


def plot_pixel_shift(
    table: pd.DataFrame | None,
    source: Mapping[str, np.ndarray] | None,
    target: Mapping[str, np.ndarray] | None,
    domain_auc: float | None,
    outputs: Sequence[str],
) -> None:
    """Every pixel-level channel in both samples, titled with its KS statistic and domain AUC.

    Parameters
    ----------
    table : pandas.DataFrame or None
        The channels' two-sample table; None: no pixel diagnostics (a placeholder figure).
    source, target : Mapping of str to numpy.ndarray or None
        The compared values per channel.
    domain_auc : float or None
        The pixel channels' domain classifier AUC.
    outputs : sequence of str
        The figure's files (PDF, PNG).
    """
    if table is None or source is None or target is None:
        fig, ax = style.subplots(columns=1, aspect=0.4)
        ax.text(
            0.5,
            0.5,
            "no pixel sets (FACT DL2 input has image features only)",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        ax.set_axis_off()
        save_figure(fig, outputs)
        return
    names = list(table["input"])
    ncols = 3
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = style.subplots(nrows, ncols, columns=2, aspect=0.3, squeeze=False)
    lattice = _pixel_lattice()
    for ax, (_, row) in zip(axes.ravel(), table.iterrows(), strict=False):
        name = row["input"]
        _compare(ax, source[name], target[name], name, PIXEL_UNITS, lattice.get(name))
        auc = row.get("domain_auc", np.nan)
        ax.set_title(f"{name}: KS {row['ks']:.2f}, domain AUC {auc:.3f}")
    for ax in axes.ravel()[len(names) :]:
        ax.set_axis_off()
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    # the title on two lines: on one it reached 7.8 in, past the page's 7.1 in
    fig.legend(handles, labels, loc="outside upper center", ncols=2,
               title=f"pixel-set channels (shower pixels pooled; n_pixels per event;\n"
                     f"positions one bin per pixel column or row): all channels' domain AUC "
                     f"{domain_auc:.3f}")  # fmt: skip
    save_figure(fig, outputs)


QUANTIFIERS = {
    "cc": "classify and count",
    "acc": "adjusted classify and count",
    "em": "EM (Saerens et al. 2002)",
    "onoff_excess": r"ON $-\ \alpha$ OFF excess",
}


def plot_label_shift(
    label_shift: Mapping, outputs: Sequence[str], quantifier: str | None = None
) -> None:
    """The gamma fraction of the observed events (all, ON, OFF) by every estimator, +- 1 std.

    The axis spans the estimates with their errors and 0: the simulated training set's fraction
    (58 % gammas against a few % in the observation) would squeeze them into its bottom quarter,
    so it is a line when it falls inside and a note in the legend when it does not.

    Parameters
    ----------
    label_shift : Mapping
        The diagnostics' ``label_shift``
        (:func:`~iactdl.adapt.shift.quantify.quantify_gamma_fraction`).
    outputs : sequence of str
        The figure's files (PDF, PNG).
    quantifier : str, optional
        The quantifier model's readable name in the title
        (:func:`iactdl.evaluate.labels.model_label`); by default ``label_shift["model"]``.
    """
    if quantifier is None:
        quantifier = label_shift.get("model", "?")
    subsets = ["all", "on", "off"]
    fig, ax = style.subplots(columns=1, aspect=1.0)  # room for the five-line legend
    width = 0.7 / len(QUANTIFIERS)
    ends = [0.0]
    for k, (key, label) in enumerate(QUANTIFIERS.items()):
        x = np.arange(len(subsets)) + (k - (len(QUANTIFIERS) - 1) / 2) * width
        est = np.array([(label_shift[s].get(key) or {}).get("estimate", np.nan) for s in subsets],
                       dtype=float)  # fmt: skip
        err = np.array([(label_shift[s].get(key) or {}).get("std", 0.0) or 0.0 for s in subsets],
                       dtype=float)  # fmt: skip
        ax.errorbar(x, est, yerr=err, fmt=style.MARKERS[k], capsize=2, color=style.colour(k),
                    label=label)  # fmt: skip
        ends += [*(est - err), *(est + err)]
    ends = np.asarray(ends, dtype=float)
    lo, hi = np.nanmin(ends), np.nanmax(ends)
    pad = 0.08 * (hi - lo) if hi > lo else 0.01
    ax.set_ylim(lo - pad, hi + pad)
    ax.axhline(0, color=style.colour(7), lw=0.6)
    src = label_shift["source"]["gamma_fraction"]
    text = f"simulated training set: {src:.2f}"
    if lo - pad <= src <= hi + pad:
        ax.axhline(src, color=style.colour(7), ls=":", lw=1, label=text)
    else:  # off the axis: named, not drawn
        ax.plot([], [], " ", label=text + " (above the axis)")
    ax.set_xticks(np.arange(len(subsets)))
    names = {"all": "all", "on": "ON", "off": "OFF"}  # the regions as the title spells them
    ax.set_xticklabels([f"{names[s]}\n({label_shift[s]['n_events']} events)" for s in subsets])
    ax.set_ylabel("estimated gamma fraction")
    # title on two lines and the legend in one column: the one-line title and two legend
    # columns (the training set's note beside the quantifiers) reached 4.4 in, past 3.5 in
    ax.set_title(f"label shift of observed_train\n(quantifier: {quantifier};"
                 " OFF is hadrons only)")  # fmt: skip
    fig.legend(loc="outside upper center", ncols=1)
    save_figure(fig, outputs)


def _samples(path) -> dict[str, dict[str, np.ndarray]]:
    """``{group: {input: values}}`` of the .npz written by the diagnostics."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for key, values in read_npz(path, "the shift diagnostics' samples").items():
        group, _, name = key.partition("__")
        out.setdefault(group, {})[name] = values
    return out


def plot_shift_diagnostics(
    diagnostics: str | os.PathLike,
    features: str | os.PathLike,
    pixels: str | os.PathLike,
    samples: str | os.PathLike,
    outputs: Mapping[str, str | os.PathLike],
    quantifier: str | None = None,
) -> None:
    """The three figures from the diagnostics' JSON, tables and samples.

    Parameters
    ----------
    diagnostics : str or os.PathLike
        The diagnostics' JSON.
    features, pixels : str or os.PathLike
        The ranked CSV tables.
    samples : str or os.PathLike
        The compared values (.npz).
    outputs : Mapping of str to str or os.PathLike
        ``features_pdf``/``features_png``, ``pixels_pdf``/``pixels_png``,
        ``label_shift_pdf``/``label_shift_png`` (each optional).
    quantifier : str, optional
        The label shift's quantifier model by its readable name (:func:`plot_label_shift`).
    """
    diag = read_json(diagnostics)
    data = _samples(samples)
    n_top = int(diag.get("config", {}).get("n_top", 6))

    def paths(prefix):
        return [Path(p) for k, p in outputs.items() if k.startswith(prefix)]

    if paths("features_"):
        auc = diag["hadron_shift"]["features"]["domain_classifier"]["auc"]
        plot_feature_shift(
            pd.read_csv(features),
            data.get("features_source", {}),
            data.get("features_target", {}),
            auc,
            paths("features_"),
            n_top,
        )
    if paths("pixels_"):
        pix = diag["hadron_shift"].get("pixels")
        table = pd.read_csv(pixels) if pix else None
        plot_pixel_shift(
            table if table is not None and len(table) else None,
            data.get("pixels_source"),
            data.get("pixels_target"),
            pix["domain_classifier"]["auc"] if pix else None,
            paths("pixels_"),
        )
    if paths("label_shift_"):
        plot_label_shift(diag["label_shift"], paths("label_shift_"), quantifier)
