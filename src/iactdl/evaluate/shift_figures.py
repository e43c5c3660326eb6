"""Figures of the shift diagnostics (rule ``figure_shift``), one function per figure (PDF for the
paper, PNG to look at), from the outputs of :func:`iactdl.fit.shift.shift_diagnostics`.

- :func:`plot_feature_shift`: the feature table ranked by the KS statistic (simulated protons
  against observed OFF events), beside the distributions of the most shifted features;
- :func:`plot_pixel_shift`: the distribution of every pixel-level channel in both samples, with
  its KS statistic and its domain classifier's AUC;
- :func:`plot_label_shift`: the gamma fraction of ``observed_train`` (all, ON, OFF) by each
  quantifier and by the ON - alpha OFF excess.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from iactdl.evaluate.performance_figures import save_figure  # noqa: I001  (selects the Agg backend first)
from iactdl.features.columns import FEATURE_UNITS

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


def _compare(ax, s: np.ndarray, t: np.ndarray, name: str, units: Mapping[str, str]) -> None:
    """Normalised histograms of one input in both samples; log x for positive heavy tails."""
    s = np.asarray(s, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    s, t = s[np.isfinite(s)], t[np.isfinite(t)]
    both = np.concatenate([s, t])
    if both.size == 0:
        ax.text(0.5, 0.5, "no finite values", ha="center", va="center", transform=ax.transAxes)
        return
    lo, hi = np.quantile(both, [0.005, 0.995])
    if lo > 0 and hi / lo > 20:  # sizes, charges: physics plots them on log axes
        bins = np.geomspace(lo, hi, 41)
        ax.set_xscale("log")
        # ticks at 1, 3, 10, 30, ... written plainly (labelled minor ticks overlapped)
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 3.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    elif np.allclose(both, np.round(both)):  # counts: bins of whole numbers
        step = max(1.0, np.ceil((hi - lo + 1) / 40))
        bins = np.arange(np.floor(lo) - 0.5, np.ceil(hi) + step, step)
    else:
        bins = np.linspace(lo, hi if hi > lo else lo + 1.0, 41)
    ax.hist(s, bins=bins, density=True, histtype="step", lw=1.5, label=SOURCE_LABEL)
    ax.hist(t, bins=bins, density=True, histtype="step", lw=1.5, label=TARGET_LABEL)
    ax.set_xlabel(_label(name, units), fontsize=9)  # long feature names side by side
    ax.set_yticks([])


def plot_feature_shift(
    table: pd.DataFrame,
    source: Mapping[str, np.ndarray],
    target: Mapping[str, np.ndarray],
    domain_auc: float,
    outputs: Sequence[str],
    n_top: int = 6,
) -> None:
    """Ranked KS statistics of the feature table and the distributions of the top ``n_top``."""
    n_top = max(1, min(n_top, len(table), len(source)))
    ncols = 3
    nrows = int(np.ceil(n_top / ncols))
    fig = plt.figure(figsize=(13, max(4.0, 0.22 * len(table) + 1.0, 2.6 * nrows)))
    grid = fig.add_gridspec(nrows, ncols + 2, width_ratios=[1.3, 0.35] + [1] * ncols)
    ax = fig.add_subplot(grid[:, 0])
    ranked = table.iloc[::-1]
    ax.barh(ranked["input"], ranked["ks"], color="tab:gray")
    ax.barh(ranked["input"].iloc[-n_top:], ranked["ks"].iloc[-n_top:], color="tab:red")
    ax.set_xlabel("KS statistic (simulated protons vs observed OFF)")
    ax.set_xlim(0, 1)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title(f"feature table: domain AUC {domain_auc:.3f}", fontsize=11)
    for k, name in enumerate(table["input"].iloc[:n_top]):
        sub = fig.add_subplot(grid[k // ncols, 2 + k % ncols])
        _compare(sub, source[name], target[name], name, FEATURE_UNITS)
        sub.set_title(f"#{k + 1}  KS {table['ks'].iloc[k]:.2f}", fontsize=10)
        if k == 0:
            sub.legend(loc="best", fontsize=8)
    fig.tight_layout()
    save_figure(fig, outputs)


def plot_pixel_shift(
    table: pd.DataFrame | None,
    source: Mapping[str, np.ndarray] | None,
    target: Mapping[str, np.ndarray] | None,
    domain_auc: float | None,
    outputs: Sequence[str],
) -> None:
    """Every pixel-level channel in both samples, titled with its KS statistic and domain AUC."""
    if table is None or source is None or target is None:
        fig, ax = plt.subplots(figsize=(6, 3))
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
    fig, axes = plt.subplots(nrows, ncols, figsize=(12, 3.2 * nrows), squeeze=False)
    for ax, (_, row) in zip(axes.ravel(), table.iterrows(), strict=False):
        name = row["input"]
        _compare(ax, source[name], target[name], name, PIXEL_UNITS)
        auc = row.get("domain_auc", np.nan)
        ax.set_title(f"{name}: KS {row['ks']:.2f}, domain AUC {auc:.3f}", fontsize=10)
    for ax in axes.ravel()[len(names) :]:
        ax.set_axis_off()
    axes.ravel()[0].legend(loc="best", fontsize=8)
    fig.suptitle(
        f"pixel-set channels (shower pixels pooled; n_pixels per event): all channels' domain "
        f"AUC {domain_auc:.3f}",
        fontsize=11,
    )
    fig.tight_layout()
    save_figure(fig, outputs)


QUANTIFIERS = {
    "cc": "classify and count",
    "acc": "adjusted classify and count",
    "em": "EM (Saerens et al. 2002)",
    "onoff_excess": r"ON $-\ \alpha$ OFF excess",
}


def plot_label_shift(label_shift: Mapping, outputs: Sequence[str]) -> None:
    """The gamma fraction of the observed events (all, ON, OFF) by every estimator, +- 1 std."""
    subsets = ["all", "on", "off"]
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.7 / len(QUANTIFIERS)
    for k, (key, label) in enumerate(QUANTIFIERS.items()):
        x = np.arange(len(subsets)) + (k - (len(QUANTIFIERS) - 1) / 2) * width
        est = [(label_shift[s].get(key) or {}).get("estimate", np.nan) for s in subsets]
        err = [(label_shift[s].get(key) or {}).get("std", 0.0) for s in subsets]
        ax.errorbar(x, est, yerr=err, fmt="o", capsize=3, label=label)
    src = label_shift["source"]
    ax.axhline(
        src["gamma_fraction"],
        color="k",
        ls=":",
        lw=1,
        label=f"simulated training set ({src['gamma_fraction']:.2f})",
    )
    ax.set_xticks(np.arange(len(subsets)))
    ax.set_xticklabels([f"{s}\n({label_shift[s]['n_events']} events)" for s in subsets])
    ax.set_ylabel("estimated gamma fraction")
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.set_title(
        f"label shift of observed_train (quantifier: {label_shift.get('model', '?')}; "
        "OFF is hadrons only)",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    save_figure(fig, outputs)


def _samples(path) -> dict[str, dict[str, np.ndarray]]:
    """``{group: {input: values}}`` of the .npz written by the diagnostics."""
    out: dict[str, dict[str, np.ndarray]] = {}
    with np.load(path) as f:
        for key in f.files:
            group, name = key.split("__", 1)
            out.setdefault(group, {})[name] = f[key]
    return out


def plot_shift_diagnostics(
    diagnostics: str | os.PathLike,
    features: str | os.PathLike,
    pixels: str | os.PathLike,
    samples: str | os.PathLike,
    outputs: Mapping[str, str | os.PathLike],
) -> None:
    """The three figures from the diagnostics' JSON, tables and samples.

    ``outputs``: ``features_pdf``/``features_png``, ``pixels_pdf``/``pixels_png``,
    ``label_shift_pdf``/``label_shift_png`` (each optional).
    """
    diag = json.loads(Path(diagnostics).read_text())
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
        plot_label_shift(diag["label_shift"], paths("label_shift_"))
