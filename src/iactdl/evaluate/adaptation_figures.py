"""The figures of the adaptation study: AUC bars per net and method, the encoder's representation
of simulated and observed events before and after adaptation (PCA), and the gammaness of the ON
region against alpha x OFF on observed_test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from iactdl.evaluate import style
from iactdl.evaluate.style import save_figure
from iactdl.io import read_attrs, read_columns

__all__ = ["plot_adaptation_bars", "plot_representation", "plot_onoff_gammaness"]

COLOURS = {
    "source": "0.45", "relative": "tab:purple", "importance": "tab:orange", "dann": "tab:blue",
    "iwdann": "tab:green", "oracle": "tab:red",
}  # fmt: skip


def plot_adaptation_bars(table: pd.DataFrame, outputs: Sequence[str]) -> None:
    """Observed-test AUC per net (groups) and method (bars), error bars: std over seeds (or the
    bootstrap uncertainty with one seed); the oracle is hatched (observed truth, reference)."""
    nets = list(dict.fromkeys(table["net"]))
    methods = list(dict.fromkeys(table["method"]))
    # one column for one or two nets, two beyond (six bars per net); the legend sits above
    fig, ax = style.subplots(
        columns=1 if len(nets) <= 2 else 2, aspect=0.9 if len(nets) <= 2 else 0.45
    )
    width = 0.8 / max(len(methods), 1)
    for j, method in enumerate(methods):
        t = table[table["method"] == method].set_index("net").reindex(nets)
        err = t["observed_auc_std"].where(np.isfinite(t["observed_auc_std"]), t["observed_auc_unc"])
        ax.bar(
            np.arange(len(nets)) + (j - (len(methods) - 1) / 2) * width, t["observed_auc"], width,
            yerr=err, capsize=2, color=COLOURS.get(method, None),
            hatch="//" if method == "oracle" else None,
            label=method + (" (observed truth)" if method == "oracle" else ""),
        )  # fmt: skip
    ax.set_xticks(np.arange(len(nets)), nets)
    low = np.nanmin(table["observed_auc"]) if len(table) else 0.5
    ax.set_ylim(max(0.5, low - 0.05), 1.0)
    ax.set_ylabel("ROC AUC on observed_test")
    fig.legend(ncols=3, loc="outside upper center", fontsize=8)  # above the bars, never on them
    save_figure(fig, outputs)


def _pair_grid(n: int, aspect: float):
    """Two panels a row (a net's source-only and adapted model side by side), a row per net; the
    unused panel of an odd count hidden. With all panels in one row the titles and labels of
    eight panels ran together."""
    n = max(n, 1)
    ncols = min(n, 2)
    fig, axes = style.subplots(-(-n // ncols), ncols, columns=ncols,
                               aspect=aspect if ncols == 1 else 0.42)  # fmt: skip
    axes = np.atleast_1d(axes).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes


def _legend_above(fig, ax, **kwargs) -> None:
    """One legend for every panel, above them: inside a panel it covers the data."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", **kwargs)


def plot_representation(
    samples: Mapping[str, tuple[np.ndarray, np.ndarray]], outputs: Sequence[str]
) -> None:
    """Per model: the first two principal components of the encoder's representation of simulated
    (source) and observed (target) events, the PCA fitted on both together."""
    names = list(samples)
    fig, axes = _pair_grid(len(names), aspect=0.8)
    for ax, name in zip(axes, names, strict=False):
        z_s, z_t = samples[name]
        pca = PCA(2, random_state=0).fit(np.vstack([z_s, z_t]))
        projected = [pca.transform(z) for z in (z_s, z_t)]
        colours = ("tab:blue", "tab:orange")
        for p, label, c in zip(projected, ("simulated", "observed"), colours, strict=True):
            ax.scatter(p[:, 0], p[:, 1], s=3, alpha=0.35, color=c, label=label, rasterized=True)
        # a few events far out set the autoscale and squeeze the bulk into a corner: show the
        # central 99 % of both samples and say how many lie outside
        both = np.vstack(projected)
        lo, hi = np.percentile(both, [0.5, 99.5], axis=0)
        pad = 0.05 * (hi - lo)
        ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
        ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
        outside = np.count_nonzero(np.any((both < lo - pad) | (both > hi + pad), axis=1))
        ax.text(0.02, 0.02, f"{outside} of {len(both)} outside", transform=ax.transAxes,
                fontsize=7, va="bottom", bbox=dict(facecolor="white", alpha=0.8, lw=0))  # fmt: skip
        ax.set_title(name)
        ev = pca.explained_variance_ratio_
        ax.set_xlabel(f"PC 1 ({100 * ev[0]:.0f}% of variance)")
        ax.set_ylabel(f"PC 2 ({100 * ev[1]:.0f}%)")
    if names:
        _legend_above(fig, axes[0], ncols=2, markerscale=4)
    save_figure(fig, outputs)


def plot_onoff_gammaness(predictions: Mapping[str, str], outputs: Sequence[str]) -> None:
    """Per model: gammaness of observed_test's ON region against alpha x OFF (alpha = 1 /
    n_off_regions, the file's attribute; OFF holds hadrons only), and their difference, the gamma
    excess: a model that separates on the observation puts the excess at high gammaness. No truth
    needed."""
    names = list(predictions)
    fig, axes = _pair_grid(len(names), aspect=0.75)
    bins = np.linspace(0, 1, 26)
    for ax, name in zip(axes, names, strict=False):
        c = read_columns(predictions[name], ["gammaness", "region"])
        n_off_regions = int(read_attrs(predictions[name]).get("n_off_regions", c["region"].max()))
        alpha = 1.0 / max(n_off_regions, 1)
        on = np.histogram(c["gammaness"][c["region"] == 0], bins)[0]
        off_sel = (c["region"] >= 1) & (c["region"] <= n_off_regions)
        off = np.histogram(c["gammaness"][off_sel], bins)[0]
        ax.stairs(on, bins, label="ON", lw=1.5)
        ax.stairs(alpha * off, bins, label=f"alpha x OFF (alpha = {alpha:.2f})", lw=1.5)
        ax.stairs(on - alpha * off, bins, label="excess", lw=1.5, color="k")
        ax.set_yscale("symlog", linthresh=10)
        ax.set_title(name)
        ax.set_xlabel("gammaness")
        ax.set_ylabel("events per bin")
    if names:
        _legend_above(fig, axes[0], ncols=3)
    save_figure(fig, outputs)
