"""The experiments' figures and tables, one function per figure (:mod:`iactdl.evaluate.style`).

Each function reads the sweep points' files (JSON summaries, CSV histories), aggregates over the
repetitions (mean and standard deviation over seeds) and writes the figure as PDF and PNG, and its
table, whole or not at all.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from iactdl.evaluate import style
from iactdl.evaluate.labels import net_label
from iactdl.evaluate.latex import latex_table, tex_escape
from iactdl.evaluate.style import save_figure
from iactdl.io import write_text_atomic
from iactdl.io.jsonfile import read_json

__all__ = [
    "capacity_table",
    "interpolation_threshold",
    "plot_capacity",
    "optimiser_histories",
    "optimiser_table",
    "plot_optimisers",
    "inductive_bias_table",
    "crossing_size",
    "plot_inductive_bias",
]

log = logging.getLogger(__name__)

OPTIMISER_LABELS = {"sgd": "SGD", "nesterov": "SGD + Nesterov", "adam": "Adam", "adamw": "AdamW"}
SCHEDULE_LABELS = {
    "constant": "constant",
    "step": "step",
    "cosine": "cosine",
    "warmup": "warm-up + cosine",
}


# ------------------------------------------------------------------ 1. capacity and double descent
def capacity_table(points: Sequence[str | os.PathLike]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(final errors per point, errors per recorded epoch per point) of the capacity sweep.

    Parameters
    ----------
    points : sequence of path
        The sweep points' JSON (:func:`iactdl.experiments.capacity.capacity_point`).

    Returns
    -------
    final : pandas.DataFrame
        One row per point: ``depth``, ``width``, ``seed``, ``n_params``, the last epoch's errors,
        AUCs and losses (``train_error_noisy``, ``test_error``, ``test_auc``, ...), ``n_train``,
        ``label_noise`` and ``epochs``.
    epochs : pandas.DataFrame
        One row per point and recorded epoch: ``depth``, ``width``, ``seed``, ``n_params`` and
        that epoch's row of the history.
    """
    finals, epochs = [], []
    for path in points:
        d = read_json(path)
        s = d["settings"]
        key = {
            "depth": s["depth"],
            "width": s["width"],
            "seed": s["seed"],
            "n_params": d["n_params"],
        }
        finals.append(
            {
                **key,
                **d["final"],
                "n_train": s["n_train"],
                "label_noise": s["label_noise"],
                "epochs": s["epochs"],
            }
        )
        epochs += [{**key, **row} for row in d["history"]]
    return pd.DataFrame(finals), pd.DataFrame(epochs)


def interpolation_threshold(final: pd.DataFrame, tolerance: float = 0.01) -> float:
    """Parameters of the smallest net whose mean training error (noisy labels) is <= tolerance.

    The interpolation threshold of Belkin et al. (2019): the capacity at which the net first
    fits its (noisy) training labels.

    Parameters
    ----------
    final : pandas.DataFrame
        Final errors per point (:func:`capacity_table`): ``n_params`` and ``train_error_noisy``;
        the error is averaged over the seeds of each size.
    tolerance : float
        Largest mean training error (fraction misclassified) that counts as interpolating.

    Returns
    -------
    float
        The number of parameters; NaN if no net reaches the tolerance.
    """
    mean = final.groupby("n_params")["train_error_noisy"].mean().sort_index()
    reached = mean[mean <= tolerance]
    return float(reached.index[0]) if len(reached) else float("nan")


def _mean_std(df: pd.DataFrame, by: str | list, col: str) -> pd.DataFrame:
    g = df.groupby(by)[col]
    return pd.DataFrame({"mean": g.mean(), "std": g.std(ddof=1), "n": g.size()}).reset_index()


def _line_band(ax, x, mean, std, **kw) -> None:
    ax.plot(x, mean, **kw)
    std = np.nan_to_num(np.asarray(std, dtype=float))
    if np.any(std > 0):
        ax.fill_between(x, mean - std, mean + std, color=kw.get("color"), alpha=0.2, lw=0)


def plot_capacity(
    points: Sequence[str | os.PathLike],
    outputs: Sequence[str | os.PathLike],
    epochwise_widths: Sequence[int] = (),
) -> dict:
    """Train and test error, and test AUC, against parameters; test error against epochs.

    Panel (a): training error on the noisy labels and test error against parameters (mean and
    +-1 std over seeds), with the interpolation threshold (:func:`interpolation_threshold`) and
    parameters = training events marked; (b) test ROC AUC; (c) test error against epochs for
    some widths (the epoch-wise view, of the smallest depth).

    Parameters
    ----------
    points : sequence of path
        The sweep points' JSON (:func:`iactdl.experiments.capacity.capacity_point`); they share
        ``n_train``, ``label_noise`` and ``epochs``.
    outputs : sequence of path
        Files to write (one per format, see :func:`iactdl.evaluate.style.save_figure`).
    epochwise_widths : sequence of int
        Widths drawn in panel (c); those not in the sweep are dropped, and none left means
        every width.

    Returns
    -------
    dict
        The numbers the caption quotes: ``n_train``, ``label_noise``, ``epochs`` and per depth
        in ``depths`` the ``interpolation_threshold_params``, the U-curve minimum below it
        (``u_minimum``), the ``peak`` and the ``widest`` net, each as ``n_params`` and mean
        ``test_error``.
    """
    final, hist = capacity_table(points)
    n_train = int(final["n_train"].iloc[0])
    noise = float(final["label_noise"].iloc[0])
    epochs = int(final["epochs"].iloc[0])
    fig, axes = style.subplots(1, 3, columns=2, aspect=0.3)
    ax_e, ax_a, ax_t = axes
    facts: dict = {"n_train": n_train, "label_noise": noise, "epochs": epochs, "depths": {}}
    depths = sorted(set(final["depth"]))
    numbers: list[str] = []  # the run's U minimum, peak and widest net, written under panel (a)
    for k, (depth, df) in enumerate(final.groupby("depth")):
        ls = style.LINESTYLES[k % len(style.LINESTYLES)]  # cyclic, as style.colour
        tr = _mean_std(df, "n_params", "train_error_noisy")
        te = _mean_std(df, "n_params", "test_error")
        auc = _mean_std(df, "n_params", "test_auc")
        suffix = f" ({depth} hidden layers)" if final["depth"].nunique() > 1 else ""
        curves = (
            (ax_e, tr, "o", "train (noisy labels)"),
            (ax_e, te, "s", "test"),
            (ax_a, auc, "^", "test"),
        )
        for k_curve, (ax, m, marker, label) in enumerate(curves):
            _line_band(
                ax, m["n_params"], m["mean"], m["std"], color=style.colour(k_curve), ls=ls,
                marker=marker, label=label + suffix,
            )  # fmt: skip
        threshold = interpolation_threshold(df)
        below = te[te["n_params"] < threshold] if np.isfinite(threshold) else te
        u_min = below.loc[below["mean"].idxmin()] if len(below) else None
        peak = te.loc[te["mean"].idxmax()] if len(te) else None
        facts["depths"][int(depth)] = {
            "interpolation_threshold_params": threshold,
            "u_minimum": None
            if u_min is None
            else {"n_params": int(u_min["n_params"]), "test_error": float(u_min["mean"])},
            "peak": None
            if peak is None
            else {"n_params": int(peak["n_params"]), "test_error": float(peak["mean"])},
            "widest": {
                "n_params": int(te["n_params"].iloc[-1]),
                "test_error": float(te["mean"].iloc[-1]),
            },
        }
        if np.isfinite(threshold):
            for ax in (ax_e, ax_a):
                ax.axvline(threshold, color=style.colour(7), ls=ls, lw=0.8)
        # the run's own numbers on the figure (the caption cannot know them): the U's minimum,
        # the peak and the widest net's test error, circled, and written under panel (a)
        marks = [(u_min, "U min"), (peak, "peak"), (te.iloc[-1] if len(te) else None, "widest")]
        for row, name in marks:
            if row is None:
                continue
            ax_e.plot(row["n_params"], row["mean"], marker="o", mfc="none", ms=6,
                      color=style.colour(1), ls="none")  # fmt: skip
            prefix = f"depth {int(depth)}: " if len(depths) > 1 else ""
            numbers.append(f"{prefix}{name} {row['mean']:.3f} @ {int(row['n_params'])}")
    for ax in (ax_e, ax_a):
        label = "parameters = events" if ax is ax_e else None  # named in (a)'s legend
        ax.axvline(n_train, color=style.colour(4), ls=":", lw=1.0, label=label)
        ax.set_xscale("log")
        ax.set_xlabel("parameters")
    if numbers:  # under the axis, where no curve can sit (test error @ parameters)
        ax_e.set_xlabel("parameters\n" + "\n".join(numbers), color="k")
    ax_e.set_ylabel("error rate (fraction misclassified)")
    ax_e.set_ylim(bottom=0)
    # the two reference lines named in the legend, not by text in the axes: the text labels sat on
    # the test curve's peak and under the legend
    ax_e.axhline(noise, color=style.colour(7), lw=0.6, ls="--", label=f"{noise:.0%} labels flipped")
    # headroom above the curves for the legend: inside the curves it hid markers wherever it sat
    ax_e.set_ylim(0, 1.6 * max(ax_e.get_ylim()[1], noise))
    ax_e.legend(loc="upper center", ncols=2, fontsize=5.5, handlelength=1.5, columnspacing=0.8)
    ax_e.set_title(f"(a) {n_train} events, {noise:.0%} labels flipped")
    ax_a.set_ylabel("test ROC AUC")
    ax_a.set_title("(b) solid line: interpolation threshold")
    # (c) epoch-wise: test error against epochs for a few widths (mean over seeds)
    widths = [w for w in epochwise_widths if w in set(hist["width"])] or sorted(set(hist["width"]))
    depth0 = hist["depth"].min()
    for k, w in enumerate(widths):
        h = hist[(hist["width"] == w) & (hist["depth"] == depth0)]
        m = _mean_std(h, "epoch", "test_error")
        params = int(h["n_params"].iloc[0])
        _line_band(
            ax_t,
            m["epoch"],
            m["mean"],
            m["std"],
            color=style.colour(k),
            ls=style.LINESTYLES[k % len(style.LINESTYLES)],
            label=f"width {w} ({params} params)",
        )
    ax_t.set_xscale("log")
    ax_t.set_xlabel("epoch")
    ax_t.set_ylabel("test error rate")
    ax_t.set_title("(c) epoch-wise")
    ax_t.legend(loc="best")
    save_figure(fig, outputs)
    log.info("capacity: %s", facts)
    return facts


# ------------------------------------------------------------------ 2. optimisers and schedules
_RUN = re.compile(
    r"(?P<net>[^/]+)/(?P<opt>[^/]+)/(?P<schedule>[^/]+)/lr(?P<lr>[^_/]+)_seed(?P<rep>\d+)"
)


def optimiser_histories(runs: Sequence[str | os.PathLike]) -> pd.DataFrame:
    """All histories of the optimiser sweep in one frame (net, optimizer, schedule, lr, rep).

    Parameters
    ----------
    runs : sequence of path
        The runs' ``history.csv``, each under ``.../{net}/{optimizer}/{schedule}/lr{lr}_seed{n}``
        (the path names the run); an empty history (a diverged run) is skipped with a warning.

    Returns
    -------
    pandas.DataFrame
        The histories' rows (``epoch``, ``val_loss``, ``val_auc``, ``wall_seconds`` in s, ...)
        with the columns ``net``, ``optimizer``, ``schedule``, ``lr`` and ``rep`` (the seed).

    Raises
    ------
    ValueError
        A path that does not name a run, or no run with an epoch.
    """
    frames = []
    for path in runs:
        m = _RUN.search(Path(path).as_posix())
        if m is None:
            raise ValueError(f"{path}: not an optimiser run path (.../net/opt/schedule/lrX_seedN)")
        h = pd.read_csv(path)
        if h.empty:  # a diverged run: no epoch to show
            log.warning("%s: no epochs (the run diverged)", path)
            continue
        frames.append(
            h.assign(
                net=m["net"],
                optimizer=m["opt"],
                schedule=m["schedule"],
                lr=float(m["lr"]),
                rep=int(m["rep"]),
            )
        )
    return pd.concat(frames, ignore_index=True)


def optimiser_table(hist: pd.DataFrame) -> pd.DataFrame:
    """Best validation AUC (max over epochs) and loss per combination: mean and std over seeds.

    Parameters
    ----------
    hist : pandas.DataFrame
        The histories (:func:`optimiser_histories`).

    Returns
    -------
    pandas.DataFrame
        One row per (``net``, ``optimizer``, ``schedule``, ``lr``): ``best_val_auc`` and
        ``best_val_loss`` (mean over seeds of each run's best epoch) with their ``_std``
        (ddof 1; NaN for one seed), ``wall_seconds`` (mean training time, s) and ``seeds``;
        sorted by net, then by AUC, best first.
    """
    best = hist.groupby(["net", "optimizer", "schedule", "lr", "rep"]).agg(
        best_val_auc=("val_auc", "max"),
        best_val_loss=("val_loss", "min"),
        wall_seconds=("wall_seconds", "max"),
    )
    g = best.groupby(["net", "optimizer", "schedule", "lr"])
    table = g.agg(
        best_val_auc=("best_val_auc", "mean"),
        best_val_auc_std=("best_val_auc", "std"),
        best_val_loss=("best_val_loss", "mean"),
        best_val_loss_std=("best_val_loss", "std"),
        wall_seconds=("wall_seconds", "mean"),
        seeds=("best_val_auc", "size"),
    ).reset_index()
    return table.sort_values(["net", "best_val_auc"], ascending=[True, False])


def _tex_table(table: pd.DataFrame) -> str:
    header = ["net", "optimiser", "schedule", "lr", r"best val.\ AUC", r"best val.\ loss"]
    rows = [
        [
            tex_escape(r.net), OPTIMISER_LABELS.get(r.optimizer, r.optimizer),
            SCHEDULE_LABELS.get(r.schedule, r.schedule), f"{r.lr:g}",
            f"${r.best_val_auc:.4f} \\pm {np.nan_to_num(r.best_val_auc_std):.4f}$",
            f"${r.best_val_loss:.4f} \\pm {np.nan_to_num(r.best_val_loss_std):.4f}$",
        ]
        for r in table.itertuples()
    ]  # fmt: skip
    return latex_table("lllrcc", header, rows)


def plot_optimisers(
    runs: Sequence[str | os.PathLike],
    outputs: Sequence[str | os.PathLike],
    table_csv: str | os.PathLike | None = None,
    table_tex: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Validation loss against epoch and against wall time, per net; colour = optimiser,
    line style = schedule; mean over seeds with a +-1 std band. Writes the table of best val AUC.

    Parameters
    ----------
    runs : sequence of path
        The runs' ``history.csv`` (:func:`optimiser_histories`).
    outputs : sequence of path
        Files to write (one per format, see :func:`iactdl.evaluate.style.save_figure`).
    table_csv, table_tex : path, optional
        Where the table (:func:`optimiser_table`) is written as CSV and as a LaTeX ``tabular``
        (each atomically; None: not written).

    Returns
    -------
    pandas.DataFrame
        The table of :func:`optimiser_table`.
    """
    hist = optimiser_histories(runs)
    nets = list(dict.fromkeys(hist["net"]))
    opts = [o for o in OPTIMISER_LABELS if o in set(hist["optimizer"])]
    schedules = [s for s in SCHEDULE_LABELS if s in set(hist["schedule"])]
    fig, axes = style.subplots(len(nets), 2, columns=2, aspect=0.32, squeeze=False)
    for row, net in enumerate(nets):
        ax_ep, ax_t = axes[row]
        for i, opt in enumerate(opts):
            for j, sched in enumerate(schedules):
                h = hist[
                    (hist["net"] == net) & (hist["optimizer"] == opt) & (hist["schedule"] == sched)
                ]
                if h.empty:
                    continue
                g = h.groupby("epoch")
                mean, std = g["val_loss"].mean(), g["val_loss"].std(ddof=1)
                wall = g["wall_seconds"].mean()
                kw = dict(
                    color=style.colour(i), ls=style.LINESTYLES[j % len(style.LINESTYLES)], lw=1.0
                )
                label = f"{OPTIMISER_LABELS[opt]}, {SCHEDULE_LABELS[sched]}"
                _line_band(ax_ep, mean.index, mean.values, std.values, label=label, **kw)
                _line_band(ax_t, wall.values, mean.values, std.values, **kw)
        ax_ep.set_xlabel("epoch")
        ax_t.set_xlabel("wall time / s (mean over seeds)")
        for ax in (ax_ep, ax_t):
            ax.set_ylabel("validation loss (BCE)")
        # the learning rates were chosen per net: they go in its panel, not the shared legend
        rates = hist[hist["net"] == net].groupby("optimizer")["lr"].first()
        # under the axis, where no curve can sit (inside it the text lay on the first epochs)
        lr = ", ".join(f"{OPTIMISER_LABELS[o]} {rates[o]:g}" for o in opts if o in rates)
        ax_ep.set_xlabel(f"epoch\nlr: {lr}")
        ax_ep.set_title(f"{net_label(net)}: validation loss per epoch")
        ax_t.set_title(f"{net_label(net)}: against wall time")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=6)
    save_figure(fig, outputs)
    table = optimiser_table(hist)
    if table_csv:
        write_text_atomic(table_csv, table.to_csv(index=False, float_format="%.5g"))
    if table_tex:
        write_text_atomic(table_tex, _tex_table(table))
    return table


# ------------------------------------------------------------------ 3. inductive bias
def inductive_bias_table(points: Sequence[str | os.PathLike]) -> pd.DataFrame:
    """Test AUC per (model, training events): mean and std over seeds.

    Parameters
    ----------
    points : sequence of path
        The sweep points' JSON (:func:`iactdl.experiments.inductive_bias.inductive_bias_point`),
        each at ``.../{model}/{size}_seed{n}.json`` (the folder names the model, the stem the
        training size).

    Returns
    -------
    pandas.DataFrame
        One row per (``model``, size): ``n_train`` (events), ``test_auc`` and ``test_auc_std``
        (ddof 1; NaN for one seed), ``seeds``, ``n_params`` and ``seconds`` (mean training time,
        s); sorted by model and ``n_train``.
    """
    rows = []
    for path in points:
        p = Path(path)
        d = json.loads(p.read_text())
        rows.append(
            {
                "model": p.parent.name,
                "size": p.stem.split("_seed")[0],
                "n_train": d["n_train"],
                "seed": d["seed"],
                "test_auc": d["test_auc"],
                "n_params": d["n_params"],
                "seconds": d["seconds"],
            }
        )
    df = pd.DataFrame(rows)
    g = df.groupby(["model", "size"])
    table = g.agg(
        n_train=("n_train", "mean"),
        test_auc=("test_auc", "mean"),
        test_auc_std=("test_auc", "std"),
        seeds=("test_auc", "size"),
        n_params=("n_params", "first"),
        seconds=("seconds", "mean"),
    ).reset_index()
    table["n_train"] = table["n_train"].round().astype(int)
    return table.drop(columns="size").sort_values(["model", "n_train"]).reset_index(drop=True)


def crossing_size(
    table: pd.DataFrame, model: str, reference: str, direction: str = "above"
) -> float:
    """Training events at which ``model``'s mean test AUC first rises above ``reference``'s
    (``direction="above"``; its smallest size if it starts above) or first falls below it after
    being above (``"below"``; NaN if it never is above); linear interpolation in log events, NaN if
    it never crosses. Both together say "above from the start, overtaken at N" as well as "catches
    up at N".

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`inductive_bias_table`: ``model``, ``n_train`` and ``test_auc``; only the training
        sizes both models have are compared.
    model, reference : str
        The model followed and the one it is compared with.
    direction : {"above", "below"}
        Which crossing is wanted.

    Returns
    -------
    float
        Training events at the crossing (interpolated linearly in log events between the sizes
        around it); NaN without one or without a common size.

    Raises
    ------
    ValueError
        An unknown ``direction``.
    """
    if direction not in ("above", "below"):
        raise ValueError(f"direction: 'above' or 'below', got {direction!r}")
    a = table[table["model"] == model].set_index("n_train")["test_auc"]
    b = table[table["model"] == reference].set_index("n_train")["test_auc"]
    common = a.index.intersection(b.index).sort_values()
    if len(common) == 0:
        return float("nan")
    diff = (a[common] - b[common]).to_numpy()
    n = np.asarray(common, dtype=float)
    if direction == "above" and diff[0] > 0:
        return float(n[0])
    if direction == "below":  # an upward crossing of reference - model, from its first lead on
        above = np.flatnonzero(diff > 0)
        if len(above) == 0:
            return float("nan")
        diff, n = -diff[above[0] :], n[above[0] :]
    for k in range(1, len(n)):
        if diff[k - 1] <= 0 < diff[k]:
            t = -diff[k - 1] / (diff[k] - diff[k - 1])
            return float(np.exp(np.log(n[k - 1]) + t * (np.log(n[k]) - np.log(n[k - 1]))))
    return float("nan")


def plot_inductive_bias(
    points: Sequence[str | os.PathLike],
    outputs: Sequence[str | os.PathLike],
    table_csv: str | os.PathLike | None = None,
    reference: str = "",
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Test AUC against training events (log x) per model, mean and +-1 std over seeds.

    Parameters
    ----------
    points : sequence of path
        The sweep points' JSON (:func:`inductive_bias_table`).
    outputs : sequence of path
        Files to write (one per format, see :func:`iactdl.evaluate.style.save_figure`).
    table_csv : path, optional
        Where the table is written as CSV (atomically; None: not written).
    reference : str
        A model to compare every model with (:func:`crossing_size`); "" or a model not in the
        points: no comparison.
    labels : mapping of str to str, optional
        Model -> legend name; its order is the order of the curves (models it lacks follow).

    Returns
    -------
    pandas.DataFrame
        :func:`inductive_bias_table`, with a reference the columns ``crosses_reference_at`` and
        ``falls_below_reference_at`` (training events, NaN where it does not happen).
    """
    table = inductive_bias_table(points)
    labels = dict(labels or {})
    # the configured order (labels), then any other model of the points
    order = [m for m in labels if m in set(table["model"])]
    order += [m for m in dict.fromkeys(table["model"]) if m not in order]
    fig, ax = style.subplots(columns=1, aspect=0.75)
    for k, model in enumerate(order):
        t = table[table["model"] == model]
        ax.errorbar(
            t["n_train"],
            t["test_auc"],
            yerr=np.nan_to_num(t["test_auc_std"]),
            color=style.colour(k),
            ls=style.LINESTYLES[k % len(style.LINESTYLES)],
            marker=style.MARKERS[k % len(style.MARKERS)],
            capsize=2,
            label=labels.get(model, model),
        )
    ax.set_xscale("log")
    ax.set_xlabel("training events")
    ax.set_ylabel("test ROC AUC")
    fig.legend(loc="outside lower center", ncols=1)
    save_figure(fig, outputs)
    if reference and reference in set(table["model"]):
        for column, direction in (
            ("crosses_reference_at", "above"),
            ("falls_below_reference_at", "below"),
        ):
            table[column] = table["model"].map(
                {m: crossing_size(table, m, reference, direction) for m in table["model"].unique()}
            )
    if table_csv:
        write_text_atomic(table_csv, table.to_csv(index=False, float_format="%.5g"))
    return table
