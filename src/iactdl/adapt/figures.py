"""The figures of the adaptation study: AUC bars per net and method, the encoder's representation
of simulated and observed events before and after adaptation (PCA), and the gammaness of the ON
region against alpha x OFF on observed_test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, NullFormatter
from sklearn.decomposition import PCA

from iactdl.adapt.study import study_label
from iactdl.evaluate import style
from iactdl.evaluate.labels import method_label, net_label
from iactdl.evaluate.style import save_figure
from iactdl.io import read_attrs, read_columns

__all__ = [
    "plot_adaptation_bars",
    "plot_representation",
    "representation_groups",
    "onoff_histograms",
    "plot_onoff_gammaness",
]

COLOURS = {
    "source": "0.45", "relative": style.PALETTE[5], "importance": style.PALETTE[4],
    "dann": style.PALETTE[0], "iwdann": style.PALETTE[2], "oracle": style.PALETTE[1],
    "augment": style.PALETTE[3],
}  # fmt: skip
RANDOM_AUC = 0.5  # the bars' base: an AUC's length is its skill above random guessing


def plot_adaptation_bars(table: pd.DataFrame, outputs: Sequence[str]) -> None:
    """Observed-test AUC per net (groups) and method (bars).

    Error bars: std over seeds (or the bootstrap uncertainty with one seed); the oracle is hatched
    (observed truth, reference). Bars start at AUC 0.5 (random guessing), so a model worse than
    random points down instead of vanishing below the axis; the axis spans every value with its
    error bar. Above each adapted model's bar the fraction of the gap to the oracle it closes; a
    net whose oracle does not beat source-only beyond the uncertainty has no gap to close, and
    says so under its name.

    Parameters
    ----------
    table : pandas.DataFrame
        The adaptation table (:func:`~iactdl.adapt.table.adaptation_table`).
    outputs : sequence of str
        The figure's files (PDF, PNG), all written or none new.
    """
    nets = list(dict.fromkeys(table["net"]))
    methods = list(dict.fromkeys(table["method"]))
    # one column for one or two nets, two beyond (six bars per net); the legend sits above
    fig, ax = style.subplots(
        columns=1 if len(nets) <= 2 else 2, aspect=0.9 if len(nets) <= 2 else 0.45
    )
    width = 0.8 / max(len(methods), 1)
    ends = [RANDOM_AUC]
    for j, method in enumerate(methods):
        t = table[table["method"] == method].set_index("net").reindex(nets)
        auc = t["observed_auc"].to_numpy(float)
        err = t["observed_auc_std"].where(np.isfinite(t["observed_auc_std"]), t["observed_auc_unc"])
        err = np.nan_to_num(err.to_numpy(float))
        x = np.arange(len(nets)) + (j - (len(methods) - 1) / 2) * width
        ax.bar(
            x, auc - RANDOM_AUC, width, bottom=RANDOM_AUC, yerr=err, capsize=2,
            color=COLOURS.get(method, None), edgecolor="white", linewidth=0.3,
            hatch="//" if method == "oracle" else None, label=method_label(method),
        )  # fmt: skip
        ends += [*(auc - err), *(auc + err)]
        if method not in ("source", "oracle") and "gap_closed" in t:
            for xi, a, e, g in zip(x, auc, err, t["gap_closed"], strict=True):
                if np.isfinite(g) and np.isfinite(a):
                    ax.text(xi, max(a, RANDOM_AUC) + e, f" {100 * g:+.0f}%", rotation=90,
                            ha="center", va="bottom", fontsize=5.5)  # fmt: skip
    ends = np.asarray(ends, dtype=float)
    lo, hi = np.nanmin(ends), np.nanmax(ends)
    pad = 0.08 * (hi - lo) if hi > lo else 0.05
    ax.set_ylim(lo - pad, hi + 2.5 * pad)  # headroom for the gap-closed labels
    ax.axhline(RANDOM_AUC, color="k", lw=0.6)
    ticks = []
    for net in nets:
        rows = table[table["net"] == net]
        gap = rows["oracle_gap"] if "oracle_gap" in table else []
        # no gap: the oracle at or below source-only, or above it by less than the uncertainty
        # (then adaptation_table leaves every gap_closed of the net NaN)
        no_gap = (
            len(gap)
            and np.isfinite(gap.iloc[0])
            and (
                gap.iloc[0] <= 0
                or ("gap_closed" in rows and not np.isfinite(rows["gap_closed"]).any())
            )
        )
        note = "\n(oracle within the uncertainty\nof source-only: no gap to close)"
        ticks.append(net_label(net) + (note if no_gap else ""))
    ax.set_xticks(np.arange(len(nets)), ticks)
    ax.set_ylabel("ROC AUC on observed_test")
    # above the bars, never on them
    # on two lines: on one it was wider than the column and the saved figure 3.8 in wide
    title = "bars from AUC 0.5 (random);\nnumbers: fraction of the source-to-oracle gap closed"
    fig.legend(ncols=3, loc="outside upper center", title=title, title_fontsize=6.5)
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


# per class: its colour and drawing order (the many hadron-like events first, beneath); the
# domain is the marker (simulated: dot, observed: cross). Colour, not marker, carries the class:
# at the few points' size of 4000 events a panel, triangles and circles read alike.
GAMMA_LIKE, HADRON_LIKE, NO_CLASS = style.PALETTE[0], style.PALETTE[1], "0.6"
DOMAIN_MARKERS = {"simulated": "o", "observed": "+"}


def representation_groups(is_gamma, region) -> list[tuple[str, str, str, np.ndarray]]:
    """The marked groups of the representation figure: ``(domain, label, colour, rows)``.

    Simulated events by their label (gamma, hadron); observed events by their truth-free ON/OFF
    region: ON, where the gammas concentrate (yet mostly hadrons at a small gamma fraction), OFF
    (hadrons), and in no region. Empty groups are kept, so every panel and the legend list the
    same groups.

    Parameters
    ----------
    is_gamma : array_like of bool
        Per simulated event.
    region : array_like of int
        Per observed event: 0 ON, >= 1 OFF, < 0 in neither.

    Returns
    -------
    list of tuple
        In drawing order.
    """
    is_gamma, region = np.asarray(is_gamma, bool), np.asarray(region)
    return [
        ("observed", "observed, no region", NO_CLASS, np.flatnonzero(region < 0)),
        ("simulated", "simulated hadron", HADRON_LIKE, np.flatnonzero(~is_gamma)),
        ("observed", "observed OFF", HADRON_LIKE, np.flatnonzero(region >= 1)),
        ("simulated", "simulated gamma", GAMMA_LIKE, np.flatnonzero(is_gamma)),
        ("observed", "observed ON", GAMMA_LIKE, np.flatnonzero(region == 0)),
    ]


def plot_representation(
    samples: Mapping[str, tuple[np.ndarray, np.ndarray]],
    outputs: Sequence[str],
    classes: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """Per model: the first two principal components of the encoder's representation.

    Of simulated (source) and observed (target) events, the PCA fitted on both together. With
    ``classes`` the events are marked by class: colour for the class (gamma-like: simulated gammas
    and observed ON events; hadron-like: simulated hadrons and observed OFF events; grey: observed
    in no region), marker for the domain, so class alignment (IWDAN's aim) shows beside domain
    overlap (DANN's). Observed events are marked by their ON/OFF region, never by their hidden
    class: this figure is no evaluation rule and reads no truth.

    Parameters
    ----------
    samples : Mapping of str to tuple of numpy.ndarray
        Model name to its representations ``(simulated, observed)``
        (:func:`~iactdl.adapt.nets.encoder_samples`).
    outputs : sequence of str
        The figure's files (PDF, PNG), all written or none new.
    classes : tuple of numpy.ndarray, optional
        ``(is_gamma, region)`` of the same events (:func:`~iactdl.adapt.nets.sample_classes`);
        without it the events are marked by domain only.
    """
    names = list(samples)
    labels = {name: study_label(name) for name in names}
    fig, axes = _pair_grid(len(names), aspect=0.8)
    for ax, name in zip(axes, names, strict=False):
        z_s, z_t = samples[name]
        if classes is not None and (len(classes[0]), len(classes[1])) != (len(z_s), len(z_t)):
            raise ValueError(
                f"{name}: {len(z_s)} simulated and {len(z_t)} observed representations but "
                f"{len(classes[0])} and {len(classes[1])} classes; expected the same events"
            )
        pca = PCA(2, random_state=0).fit(np.vstack([z_s, z_t]))
        projected = {"simulated": pca.transform(z_s), "observed": pca.transform(z_t)}
        if classes is None:
            groups = [(d, d, style.colour(i), np.arange(len(projected[d])))
                      for i, d in enumerate(projected)]  # fmt: skip
        else:
            groups = representation_groups(*classes)
        for domain, label, colour, rows in groups:
            p = projected[domain][rows]
            n = f" ({len(rows)})" if classes is not None else ""
            ax.scatter(p[:, 0], p[:, 1], s=4 if domain == "observed" else 3, alpha=0.45,
                       lw=0.5 if domain == "observed" else 0, color=colour,
                       marker=DOMAIN_MARKERS[domain], label=label + n,
                       rasterized=True)  # fmt: skip
        # a few events far out set the autoscale and squeeze the bulk into a corner: show the
        # central 99 % of both samples and say how many lie outside
        both = np.vstack(list(projected.values()))
        lo, hi = np.percentile(both, [0.5, 99.5], axis=0)
        pad = 0.05 * (hi - lo)
        ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
        ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
        outside = np.count_nonzero(np.any((both < lo - pad) | (both > hi + pad), axis=1))
        ax.text(0.02, 0.02, f"{outside} of {len(both)} outside", transform=ax.transAxes,
                fontsize=7, va="bottom", bbox=dict(facecolor="white", alpha=0.8, lw=0))  # fmt: skip
        ax.set_title(labels[name])
        ev = pca.explained_variance_ratio_
        ax.set_xlabel(f"PC 1 ({100 * ev[0]:.0f}% of variance)")
        ax.set_ylabel(f"PC 2 ({100 * ev[1]:.0f}%)")
    if names:
        # the counts are the events of every panel (the same draw); five groups in three columns
        # are wider than one column (4.7 in with one model): two there
        wide = fig.get_figwidth() >= style.TWO_COLUMN
        _legend_above(fig, axes[0], ncols=3 if classes is not None and wide else 2,
                      markerscale=3)  # fmt: skip
        for handle in fig.legends[-1].legend_handles:  # the panels' transparency hid the pale
            handle.set_alpha(1)  # markers of the legend
    save_figure(fig, outputs)


def onoff_histograms(gammaness, region, n_off_regions: int, bins) -> dict[str, np.ndarray]:
    """ON and alpha x OFF counts per gammaness bin, the excess and its uncertainty.

    The excess is ON - alpha x OFF, its Poisson uncertainty ``sqrt(N_on + alpha^2 N_off)`` (alpha =
    1 / n_off_regions; regions are numbered 0 = ON, 1..n_off_regions = OFF, anything else is in
    neither).

    Parameters
    ----------
    gammaness : array_like
        Per event.
    region : array_like of int
        Per event.
    n_off_regions : int
        Number of OFF positions.
    bins : array_like
        The gammaness bin edges.

    Returns
    -------
    dict
        ``alpha``, and per bin ``on`` and ``off`` (counts), ``excess`` (``on - alpha off``) and
        ``excess_err``.
    """
    gammaness, region = np.asarray(gammaness), np.asarray(region)
    alpha = 1.0 / max(int(n_off_regions), 1)
    on = np.histogram(gammaness[region == 0], bins)[0].astype(float)
    off_sel = (region >= 1) & (region <= n_off_regions)
    off = np.histogram(gammaness[off_sel], bins)[0].astype(float)
    return {
        "alpha": alpha, "on": on, "off": off, "excess": on - alpha * off,
        "excess_err": np.sqrt(on + alpha**2 * off),
    }  # fmt: skip


def plot_onoff_gammaness(predictions: Mapping[str, str], outputs: Sequence[str]) -> None:
    """Per model: gammaness of observed_test's ON region against alpha x OFF.

    alpha = 1 / n_off_regions, the file's attribute; OFF holds hadrons only. Counts on a log axis,
    and below it their difference, the gamma excess, with its Poisson uncertainty on a linear
    axis: a model that separates on the observation puts the excess at high gammaness. No truth
    needed.

    Parameters
    ----------
    predictions : Mapping of str to str
        Model name to its predictions on observed_test.
    outputs : sequence of str
        The figure's files (PDF, PNG), all written or none new.
    """
    names = list(predictions)
    fig, subfigs = style.subfigure_grid(len(names), aspect=0.5)
    bins = np.linspace(0, 1, 21)
    centre = 0.5 * (bins[1:] + bins[:-1])
    labels = {name: study_label(name) for name in names}
    handles = None
    for sub, name in zip(subfigs, names, strict=False):
        ax, ax_ex = sub.subplots(2, 1, sharex=True, height_ratios=[1.6, 1])
        c = read_columns(predictions[name], ["gammaness", "region"])
        n_off_regions = int(read_attrs(predictions[name]).get("n_off_regions", c["region"].max()))
        h = onoff_histograms(c["gammaness"], c["region"], n_off_regions, bins)
        ax.stairs(h["on"], bins, label="ON", lw=1.2, color=style.colour(0))
        ax.stairs(h["alpha"] * h["off"], bins, lw=1.2, color=style.colour(1), ls="--",
                  label=f"$\\alpha \\times$ OFF ($\\alpha$ = {h['alpha']:.2f})")  # fmt: skip
        ax.set_yscale("log")
        positive = np.concatenate([h["on"], h["alpha"] * h["off"]])
        positive = positive[positive > 0]
        if positive.size:  # every non-empty bin inside the axis, and at least two decades
            ax.set_ylim(min(positive.min() / 2, positive.max() / 50), positive.max() * 2)
        # decades written plainly; no labelled minor ticks (they read "6 x 10^0")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel("events per bin")
        sub.suptitle(labels[name], fontsize=8)
        filled = (h["on"] + h["off"]) > 0  # bins without events carry no excess to show
        ax_ex.errorbar(centre[filled], h["excess"][filled], yerr=h["excess_err"][filled],
                       xerr=0.5 * np.diff(bins)[filled],
                       fmt="o", ms=2.5, color="k", elinewidth=0.8, capsize=0,
                       label=r"excess ON $-\ \alpha$ OFF, $\pm\sqrt{N_\mathrm{on} + "
                             r"\alpha^2 N_\mathrm{off}}$")  # fmt: skip
        ax_ex.axhline(0, color="0.5", lw=0.6)
        ax_ex.set_ylabel("excess / bin")
        ax_ex.set_xlabel("gammaness")
        ax_ex.set_xlim(0, 1)
        if handles is None:
            handles = [*zip(*ax.get_legend_handles_labels(), strict=True),
                       *zip(*ax_ex.get_legend_handles_labels(), strict=True)]  # fmt: skip
    if handles:
        # three entries a row only at the page's width: in one column the excess's long label
        # goes to a row of its own (a row of three reached 4.1 in, past the 3.5 in column)
        ncols = 3 if len(names) > 1 else 2
        fig.legend(*zip(*handles, strict=True), loc="outside upper center", ncols=ncols)
    save_figure(fig, outputs)
