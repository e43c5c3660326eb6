"""The paper's first figures, one function per figure: PDF for the paper, PNG to look at.

Every function takes its inputs (prediction files, metrics JSON, model directories, keyed by model
name) and a list of output paths (``.pdf`` and/or ``.png``); each output is written whole or not at
all. Axes carry units; energies are on log axes, as physics plots them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on cluster nodes
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

from iactdl.io import atomic_paths, read_columns  # noqa: E402
from iactdl.metrics import roc, roc_auc  # noqa: E402

__all__ = [
    "save_figure",
    "plot_roc_curves",
    "plot_gammaness",
    "plot_energy_resolution",
    "plot_migration",
    "plot_learning_curves",
]

plt.rcParams.update({"font.size": 11, "legend.fontsize": 9, "figure.dpi": 110})


def save_figure(fig, outputs: Sequence[str | os.PathLike]) -> None:
    """Save ``fig`` to every path (format from the suffix), atomically, then close it."""
    try:
        with atomic_paths(*outputs) as tmps:  # all formats or none
            for tmp in tmps:
                fig.savefig(tmp, bbox_inches="tight", dpi=150)
    finally:
        plt.close(fig)


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def plot_roc_curves(predictions: Mapping[str, str], outputs: Sequence[str]) -> None:
    """ROC curves of the separation models on the simulated test set (AUC in the legend).

    Hadron efficiency on a log axis: the region of strong background suppression matters.
    """
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for name, path in sorted(predictions.items()):
        c = read_columns(path, ["is_gamma", "gammaness"])
        curve = roc(c["is_gamma"], c["gammaness"])
        auc = roc_auc(c["is_gamma"], c["gammaness"])
        x = np.clip(curve["hadron_efficiency"], 1e-4, None)
        ax.plot(x, curve["gamma_efficiency"], label=f"{name} (AUC {auc:.3f})")
    if predictions:
        grid = np.logspace(-4, 0, 200)
        ax.plot(grid, grid, ls=":", color="gray", label="random guess")
        ax.set_xscale("log")
        ax.set_xlim(1e-3, 1)
        ax.set_ylim(0, 1.01)
        ax.set_xlabel("hadron efficiency (false-positive rate)")
        ax.set_ylabel("gamma efficiency (true-positive rate)")
        ax.set_title("ROC curves, simulated test set")
        ax.legend(loc="upper left")
        ax.grid(alpha=0.3, which="both")
    else:
        _empty(ax, "no separation models")
    save_figure(fig, outputs)


def plot_gammaness(predictions: Mapping[str, str], outputs: Sequence[str]) -> None:
    """Gammaness distributions per true class, one panel per separation model (log counts)."""
    names = sorted(predictions)
    n = max(len(names), 1)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    bins = np.linspace(0, 1, 41)
    for ax, name in zip(axes.flat, names, strict=False):
        c = read_columns(predictions[name], ["is_gamma", "gammaness"])
        g = c["is_gamma"].astype(bool)
        ax.hist(c["gammaness"][g], bins, histtype="step", lw=1.5, label="gammas")
        ax.hist(c["gammaness"][~g], bins, histtype="step", lw=1.5, label="hadrons (protons)")
        ax.set_yscale("log")
        ax.set_ylim(0.5, ax.get_ylim()[1] * 20)  # head room for the legend on the log axis
        ax.set_title(name)
        ax.set_xlabel("gammaness")
        ax.set_ylabel("events per bin")
        ax.legend(loc="upper center", ncols=2)
    for ax in list(axes.flat)[len(names) :]:
        _empty(ax, "no separation models" if not names else "")
    fig.tight_layout()
    save_figure(fig, outputs)


def _load(path) -> dict:
    return json.loads(Path(path).read_text())


def plot_energy_resolution(metrics: Mapping[str, str], outputs: Sequence[str]) -> None:
    """Energy resolution (68 % containment of (E_est - E_true)/E_true) and bias vs true energy."""
    fig, (ax_r, ax_b) = plt.subplots(2, 1, figsize=(5.5, 6), sharex=True)
    for name, path in sorted(metrics.items()):
        b = _load(path)["test"]["binned"]
        center = np.asarray(b["energy_center"], dtype=float)
        edges = np.asarray(b["energy_bins"], dtype=float)
        xerr = [center - edges[:-1], edges[1:] - center]
        res = np.asarray(b["resolution"], dtype=float)
        bias = np.asarray(b["bias"], dtype=float)
        ax_r.errorbar(center, res, xerr=xerr, fmt="o", ms=4, label=name)
        ax_b.errorbar(center, bias, xerr=xerr, fmt="o", ms=4, label=name)
    if metrics:
        ax_r.set_ylabel("resolution (68 % containment)")
        ax_r.set_ylim(bottom=0)
        ax_b.axhline(0, color="gray", lw=0.8)
        ax_b.set_ylabel("bias (median relative error)")
        ax_b.set_xlabel(r"true energy $E_\mathrm{true}$ / TeV")
        ax_b.set_xscale("log")
        ax_r.legend()
        ax_r.set_title("Energy estimation, simulated test gammas")
        for ax in (ax_r, ax_b):
            ax.grid(alpha=0.3, which="both")
    else:
        _empty(ax_r, "no energy models")
        ax_b.set_axis_off()
    fig.tight_layout()
    save_figure(fig, outputs)


def plot_migration(metrics: Mapping[str, str], outputs: Sequence[str]) -> None:
    """Migration matrix P(E_est | E_true) per energy model, log-log axes, log colour scale."""
    names = sorted(metrics)
    n = max(len(names), 1)
    fig, axes = plt.subplots(1, n, figsize=(5 * n, 4.3), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        m = _load(metrics[name])["test"]["migration"]
        prob = np.asarray(m["probability"], dtype=float)
        prob = np.where(prob > 0, prob, np.nan)
        bt, be = np.asarray(m["bins_true"], float), np.asarray(m["bins_est"], float)
        mesh = ax.pcolormesh(bt, be, prob.T, norm=LogNorm(vmin=1e-3, vmax=1), cmap="viridis")
        lo, hi = min(bt[0], be[0]), max(bt[-1], be[-1])
        ax.plot([lo, hi], [lo, hi], color="white", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(r"true energy $E_\mathrm{true}$ / TeV")
        ax.set_ylabel(r"estimated energy $E_\mathrm{est}$ / TeV")
        ax.set_title(name)
        fig.colorbar(mesh, ax=ax, label=r"$P(E_\mathrm{est} \mid E_\mathrm{true})$")
    if not names:
        _empty(axes[0, 0], "no energy models")
    fig.tight_layout()
    save_figure(fig, outputs)


def plot_learning_curves(model_dirs: Mapping[str, str], outputs: Sequence[str]) -> None:
    """Loss (and validation metrics) per epoch from each net's ``history.csv``, where present."""
    histories = {}
    for name, d in sorted(model_dirs.items()):
        path = Path(d) / "history.csv"
        if path.exists():
            histories[name] = pd.read_csv(path)
    if not histories:
        fig, ax = plt.subplots(figsize=(5, 2))
        _empty(ax, "no net training histories (history.csv)")
        save_figure(fig, outputs)
        return
    fig, (ax_l, ax_m) = plt.subplots(1, 2, figsize=(10, 4))
    for k, (name, h) in enumerate(histories.items()):
        x = h["epoch"] if "epoch" in h else np.arange(1, len(h) + 1)
        color = f"C{k % 10}"  # one colour per net; validation dashed, training solid
        for col in [c for c in h.columns if "loss" in c]:
            ax_l.plot(
                x, h[col], color=color, ls="--" if "val" in col else "-", label=f"{name}: {col}"
            )
        # quality metrics only: not the loss, the learning rate or timings (seconds, time)
        for col in [
            c
            for c in h.columns
            if "loss" not in c
            and c.startswith(("val_", "train_"))
            and pd.api.types.is_numeric_dtype(h[c])
        ]:
            ax_m.plot(
                x, h[col], color=color, ls="--" if "val" in col else "-", label=f"{name}: {col}"
            )
    ax_l.set_yscale("log")
    ax_l.set_xlabel("epoch")
    ax_l.set_ylabel("loss")
    ax_l.legend(fontsize=8)
    ax_m.set_xlabel("epoch")
    ax_m.set_ylabel("metric (e.g. validation ROC AUC)")
    if ax_m.lines:
        ax_m.legend()
    for ax in (ax_l, ax_m):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, outputs)
