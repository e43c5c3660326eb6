"""The paper's first figures, one function per figure: PDF for the paper, PNG to look at.

Every function takes its inputs (prediction files, metrics JSON, model directories, keyed by model
name) and a list of output paths (``.pdf`` and/or ``.png``); each output is written whole or not at
all. Axes carry units; energies are on log axes, as physics plots them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D

from iactdl.evaluate import style  # sets the Agg backend (files only) before any figure
from iactdl.evaluate.labels import FAMILIES
from iactdl.evaluate.style import save_figure
from iactdl.io import read_columns, read_observed_truth
from iactdl.io.jsonfile import read_json
from iactdl.metrics import roc, roc_auc_bootstrap

__all__ = [
    "save_figure",
    "ROC_CURVES_PER_PANEL",
    "plot_roc_panels",
    "plot_roc_curves",
    "plot_observed_roc",
    "plot_gammaness",
    "plot_energy_resolution",
    "plot_migration",
    "plot_learning_curves",
]


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


ROC_CURVES_PER_PANEL = 7  # with the random-guess diagonal at most 8 lines a panel: all tell apart
ROC_BOOTSTRAP = 200  # resamples of the AUC's uncertainty in the legend
# the palette without its yellow, which thin curves on white do not show; black last
ROC_COLOURS = tuple(c for c in style.PALETTE if c != "#F0E442")


def _roc_groups(names: Sequence[str], families: Mapping[str, str]) -> list[tuple[str, list[str]]]:
    """(panel title, models) per panel: by family in the order of ``labels.FAMILIES`` (unknown
    families after), a family of more than ``ROC_CURVES_PER_PANEL`` models over several panels."""
    by_family: dict[str, list[str]] = {}
    for name in names:
        by_family.setdefault(families.get(name, "models"), []).append(name)
    order = [f for f in FAMILIES if f in by_family] + [f for f in by_family if f not in FAMILIES]
    groups = []
    for family in order:
        members = by_family[family]
        chunks = [members[i : i + ROC_CURVES_PER_PANEL]
                  for i in range(0, len(members), ROC_CURVES_PER_PANEL)]  # fmt: skip
        for k, chunk in enumerate(chunks):
            groups.append((family + (f" ({k + 1} of {len(chunks)})" if len(chunks) > 1 else ""),
                           chunk))  # fmt: skip
    return groups


def plot_roc_panels(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    outputs: Sequence[str],
    families: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    title: str = "",
) -> None:
    """ROC curves, one panel per family of models (baselines, nets, adapted, ON/OFF; at most
    ``ROC_CURVES_PER_PANEL`` curves a panel, each its own colour and line style), the legend
    with each ROC AUC +- its bootstrap std below its panel, never over the curves.

    Hadron efficiency on a log axis (the region of strong background suppression matters), from
    half the smallest non-zero efficiency a sample can show (1 / hadrons) to 1: the cut that
    keeps no hadron is drawn on the left edge.

    Parameters
    ----------
    curves : mapping of str to (numpy.ndarray, numpy.ndarray)
        Model name -> (true class ``is_gamma`` (1 gamma, 0 hadron), gammaness), each of shape
        (n_events,).
    outputs : sequence of str
        Files to write (one per format, see :func:`~iactdl.evaluate.style.save_figure`).
    families : mapping of str to str, optional
        Model name -> family (:func:`iactdl.evaluate.labels.model_families`); a model without
        one goes to a panel "models" after the known families.
    labels : mapping of str to str, optional
        Model name -> its name in the legend (default: the model name).
    title : str
        The figure's title ("": none).
    """
    families = families or {}
    labels = labels or {}
    groups = _roc_groups(sorted(curves), families)
    if not groups:
        fig, ax = style.subplots(columns=1, aspect=0.4)
        _empty(ax, "no separation models")
        save_figure(fig, outputs)
        return
    fig, subfigs = style.subfigure_grid(len(groups), aspect=0.62)
    n_hadrons = [np.count_nonzero(np.asarray(y) == 0) for y, _ in curves.values()]
    x_min = 0.5 / max(max(n_hadrons), 1)
    for sub, (group, names) in zip(subfigs, groups, strict=False):
        ax = sub.subplots()
        for k, name in enumerate(names):
            y, score = curves[name]
            curve = roc(y, score)
            auc, unc = roc_auc_bootstrap(y, score, ROC_BOOTSTRAP, seed=0)
            x = np.clip(curve["hadron_efficiency"], x_min, None)
            ax.plot(x, curve["gamma_efficiency"], color=ROC_COLOURS[k % len(ROC_COLOURS)],
                    ls=style.LINESTYLES[k % len(style.LINESTYLES)],
                    label=f"{labels.get(name, name)}, AUC {auc:.3f}$\\pm${unc:.3f}")  # fmt: skip
        grid = np.geomspace(x_min, 1, 100)
        ax.plot(grid, grid, ls=":", color="0.5", lw=0.8, label="random guess")
        ax.set_xscale("log")
        ax.set_xlim(x_min, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("hadron efficiency (false-positive rate)")
        ax.set_ylabel("gamma efficiency (true-positive rate)")
        ax.set_title(group)
        ax.grid(alpha=0.3, which="both")
        sub.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=1,
                   fontsize=6.5, handlelength=2.5)  # fmt: skip
    if title:
        fig.suptitle(title)
    save_figure(fig, outputs)


def plot_roc_curves(
    predictions: Mapping[str, str],
    outputs: Sequence[str],
    families: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> None:
    """ROC curves of the separation models on the simulated test set, a panel per family
    (:func:`plot_roc_panels`).

    Parameters
    ----------
    predictions : mapping of str to str
        Model name -> its prediction file on the simulated test split (``is_gamma``,
        ``gammaness``).
    outputs : sequence of str
        Files to write (one per format).
    families, labels : mapping of str to str, optional
        Model name -> family and -> legend name, as for :func:`plot_roc_panels`.
    """
    curves = {}
    for name, path in predictions.items():
        c = read_columns(path, ["is_gamma", "gammaness"])
        curves[name] = (c["is_gamma"], c["gammaness"])
    plot_roc_panels(curves, outputs, families, labels, "ROC curves, simulated test set")


def plot_observed_roc(
    predictions: Mapping[str, str],
    truth: str,
    outputs: Sequence[str],
    families: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> None:
    """ROC curves on observed_test, where the paper's claims are: each model's gammaness against
    the hidden truth (the simulated observation's ``observed_truth.h5``, joined by ``event_id``;
    evaluation, never training), a panel per family (:func:`plot_roc_panels`).

    Parameters
    ----------
    predictions : mapping of str to str
        Model name -> its prediction file on observed_test (``event_id``, ``gammaness``).
    truth : str
        The observation's hidden truth, read with :func:`iactdl.io.read_observed_truth`.
    outputs : sequence of str
        Files to write (one per format).
    families, labels : mapping of str to str, optional
        Model name -> family and -> legend name, as for :func:`plot_roc_panels`.
    """
    curves = {}
    n = (0, 0)
    for name, path in predictions.items():
        events = read_columns(path, ["event_id", "gammaness"])
        true = read_observed_truth(truth, events["event_id"], events_path=path)
        y = true["is_gamma"].astype(np.int8)
        curves[name] = (y, np.asarray(events["gammaness"]))
        n = (int(y.sum()), int(len(y) - y.sum()))
    # two lines: on one it reached 4.6 in past the 3.5 in column (the saved file widens to it)
    title = f"ROC curves, observed_test\n({n[0]} gammas, {n[1]} hadrons; hidden truth)"
    plot_roc_panels(curves, outputs, families, labels, title)


def plot_gammaness(
    predictions: Mapping[str, str],
    outputs: Sequence[str],
    labels: Mapping[str, str] | None = None,
) -> None:
    """Gammaness distributions per true class, one panel per separation model (log counts).

    Parameters
    ----------
    predictions : mapping of str to str
        Model name -> its prediction file on the simulated test split (``is_gamma``,
        ``gammaness``).
    outputs : sequence of str
        Files to write (one per format, see :func:`~iactdl.evaluate.style.save_figure`).
    labels : mapping of str to str, optional
        Model name -> its readable name (:func:`iactdl.evaluate.labels.model_labels`); a model
        it lacks is shown by its name.
    """
    labels = labels or {}
    names = sorted(predictions)
    n = max(len(names), 1)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, axes = style.subplots(rows, cols, columns=2, aspect=0.75 / cols, squeeze=False)
    bins = np.linspace(0, 1, 41)
    for ax, name in zip(axes.flat, names, strict=False):
        c = read_columns(predictions[name], ["is_gamma", "gammaness"])
        g = c["is_gamma"].astype(bool)
        ax.hist(c["gammaness"][g], bins, histtype="step", lw=1.5, label="gammas")
        ax.hist(c["gammaness"][~g], bins, histtype="step", lw=1.5, label="hadrons (protons)")
        ax.set_yscale("log")
        ax.set_ylim(0.5, ax.get_ylim()[1] * 2)
        # wrapped: three panels a row, "boosted trees, importance weighting" reached past the page
        ax.set_title(textwrap.fill(labels.get(name, name), 30))
        ax.set_xlabel("gammaness")
        ax.set_ylabel("events per bin")
    for ax in list(axes.flat)[len(names) :]:
        _empty(ax, "no separation models" if not names else "")
    if names:  # one legend above the panels: inside small panels it hid the axis labels
        fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="outside upper center", ncols=2)
    save_figure(fig, outputs)


def _load(path) -> dict:
    return read_json(path)


def _energy_section(metrics: dict) -> dict | None:
    """The energy part of a model's metrics: the energy task's test section, or the ``energy``
    section of a separation net with an energy head; None if it has none."""
    test = metrics.get("test", {})
    if "energy" in test:
        return test["energy"]
    return test if "binned" in test else None


def plot_energy_resolution(
    metrics: Mapping[str, str],
    outputs: Sequence[str],
    labels: Mapping[str, str] | None = None,
) -> None:
    """Energy resolution (68 % containment of (E_est - E_true)/E_true) and bias vs true energy,
    for the energy baselines and every net with an energy head, with statistical uncertainties
    (Gaussian approximations from the events per bin: sigma / sqrt(2(n-1)) for the resolution,
    1.2533 sigma / sqrt(n) for the median).

    Parameters
    ----------
    metrics : mapping of str to str
        Model name -> its metrics JSON (:func:`iactdl.evaluate.evaluation.evaluate_model`);
        models without an energy section (the ``binned`` bias and resolution per bin of true
        energy, TeV) are skipped.
    outputs : sequence of str
        Files to write (one per format, see :func:`~iactdl.evaluate.style.save_figure`).
    labels : mapping of str to str, optional
        Model name -> its readable name (:func:`iactdl.evaluate.labels.model_labels`); a model
        it lacks is shown by its name.
    """
    labels = labels or {}
    fig, (ax_r, ax_b) = style.subplots(2, 1, columns=1, aspect=0.5, sharex=True)
    drawn = 0
    for k, (name, path) in enumerate(sorted(metrics.items())):
        section = _energy_section(_load(path))
        if section is None:
            continue
        b = section["binned"]
        center = np.asarray(b["energy_center"], dtype=float)
        edges = np.asarray(b["energy_bins"], dtype=float)
        xerr = [center - edges[:-1], edges[1:] - center]
        res = np.asarray(b["resolution"], dtype=float)
        bias = np.asarray(b["bias"], dtype=float)
        count = np.asarray(b.get("count", np.full(len(res), np.nan)), dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            res_err = res / np.sqrt(2 * np.clip(count - 1, 1, None))
            bias_err = 1.2533 * res / np.sqrt(np.clip(count, 1, None))
        kw = dict(fmt=style.MARKERS[k % 8], color=style.colour(k), capsize=1.5, elinewidth=0.8)
        label = labels.get(name, name)
        ax_r.errorbar(center, res, xerr=xerr, yerr=res_err, label=label, **kw)
        ax_b.errorbar(center, bias, xerr=xerr, yerr=bias_err, label=label, **kw)
        drawn += 1
    if drawn:
        ax_r.set_ylabel("resolution (68 %)")
        ax_r.set_ylim(bottom=0)
        ax_b.axhline(0, color=style.colour(7), lw=0.6)
        ax_b.set_ylabel("bias (median rel. error)")
        ax_b.set_xlabel(r"true energy $E_\mathrm{true}$ / TeV")
        ax_b.set_xscale("log")
        ax_r.legend(ncols=2)
        ax_r.set_title("Energy estimation, simulated test gammas")
    else:
        _empty(ax_r, "no energy models or energy heads")
        ax_b.set_axis_off()
    save_figure(fig, outputs)


def plot_migration(
    metrics: Mapping[str, str],
    outputs: Sequence[str],
    labels: Mapping[str, str] | None = None,
) -> None:
    """Migration matrix P(E_est | E_true) per energy model or energy head: every column of true
    energy is normalised to 1 (each true-energy bin's events spread over the estimated bins);
    log-log axes, log colour scale.

    Parameters
    ----------
    metrics : mapping of str to str
        Model name -> its metrics JSON (:func:`iactdl.evaluate.evaluation.evaluate_model`);
        models without an energy section are skipped, the others give their ``migration``
        (``probability``, ``bins_true``, ``bins_est`` in TeV; see
        :func:`iactdl.metrics.migration_matrix`).
    outputs : sequence of str
        Files to write (one per format, see :func:`~iactdl.evaluate.style.save_figure`).
    labels : mapping of str to str, optional
        Model name -> its readable name (:func:`iactdl.evaluate.labels.model_labels`); a model
        it lacks is shown by its name.
    """
    labels = labels or {}
    sections = {n: _energy_section(_load(p)) for n, p in sorted(metrics.items())}
    names = [n for n, sec in sections.items() if sec is not None]
    n = max(len(names), 1)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, axes = style.subplots(rows, cols, columns=2, aspect=0.85 / cols, squeeze=False)
    mesh = None
    for ax, name in zip(axes.flat, names, strict=False):
        m = sections[name]["migration"]
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
        ax.set_title(textwrap.fill(labels.get(name, name), 30))  # as the gammaness panels
        ax.grid(False)
    for ax in list(axes.flat)[len(names) :]:
        _empty(ax, "no energy models or energy heads" if not names else "")
    if mesh is not None:
        fig.colorbar(mesh, ax=axes, label=r"$P(E_\mathrm{est} \mid E_\mathrm{true})$, "
                     "per true-energy bin", shrink=0.9)  # fmt: skip
    save_figure(fig, outputs)


_CURVE_STYLES = (  # prefix of a history column -> line style, legend name
    ("train_", "-", "training"),
    ("val_", "--", "validation"),
    ("class_", "-.", "class loss (DANN)"),
    ("domain_", ":", "domain loss (DANN)"),
)


def _curve_style(column: str) -> tuple[str, str]:
    for prefix, ls, kind in _CURVE_STYLES:
        if column.startswith(prefix):
            return ls, kind
    return "-", column


def plot_learning_curves(
    model_dirs: Mapping[str, str],
    outputs: Sequence[str],
    labels: Mapping[str, str] | None = None,
) -> None:
    """Loss (and validation metrics) per epoch from each net's ``history.csv``, where present.

    Left the loss columns (log scale), right the numeric ``train_``/``val_`` metrics; one colour
    per net, one line style per kind of curve (training, validation, DANN's class and domain
    losses).

    Parameters
    ----------
    model_dirs : mapping of str to str
        Model name -> its model folder; folders without a ``history.csv`` (the baselines) are
        skipped.
    outputs : sequence of str
        Files to write (one per format, see :func:`~iactdl.evaluate.style.save_figure`).
    labels : mapping of str to str, optional
        Model name -> its readable name (:func:`iactdl.evaluate.labels.model_labels`); a model
        it lacks is shown by its name.
    """
    labels = labels or {}
    histories = {}
    for name, d in sorted(model_dirs.items()):
        path = Path(d) / "history.csv"
        if path.exists():
            histories[name] = pd.read_csv(path)
    if not histories:
        fig, ax = style.subplots(columns=1, aspect=0.4)
        _empty(ax, "no net training histories (history.csv)")
        save_figure(fig, outputs)
        return
    fig, (ax_l, ax_m) = style.subplots(1, 2, columns=2, aspect=0.38)
    styles_used: dict[str, str] = {}
    metric_cols: set[str] = set()
    for k, h in enumerate(histories.values()):
        x = h["epoch"] if "epoch" in h else np.arange(1, len(h) + 1)
        color = style.colour(k)  # one colour per net, one line style per kind of curve
        for col in [c for c in h.columns if "loss" in c]:
            ls, kind = _curve_style(col)
            styles_used[kind] = ls
            ax_l.plot(x, h[col], color=color, ls=ls)
        # quality metrics only: not the loss, the learning rate or timings (seconds, time)
        for col in [
            c
            for c in h.columns
            if "loss" not in c
            and c.startswith(("val_", "train_"))
            and pd.api.types.is_numeric_dtype(h[c])
        ]:
            ls, kind = _curve_style(col)
            styles_used[kind] = ls
            metric_cols.add(col)
            ax_m.plot(x, h[col], color=color, ls=ls)
    ax_l.set_yscale("log")
    ax_l.set_xlabel("epoch")
    ax_l.set_ylabel("loss")
    ax_m.set_xlabel("epoch")
    names = {"val_auc": "validation ROC AUC", "train_auc": "training ROC AUC"}
    ax_m.set_ylabel(
        names[next(iter(metric_cols))] if len(metric_cols) == 1 and metric_cols <= set(names)
        else "metric per epoch"
    )  # fmt: skip
    # one legend beside the panels (inside, 16 entries covered the curves): nets by colour, then
    # the kinds of curve by line style
    handles = [Line2D([], [], color=style.colour(k)) for k in range(len(histories))]
    texts = [labels.get(name, name) for name in histories]
    for kind, ls in styles_used.items():
        handles.append(Line2D([], [], color="0.3", ls=ls))
        texts.append(kind)
    fig.legend(handles, texts, loc="outside right upper")
    save_figure(fig, outputs)
