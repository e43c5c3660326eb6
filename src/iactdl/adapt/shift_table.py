"""The shift study's table, heat map and caption numbers (:mod:`iactdl.adapt.shift_study`).

Per observation (one shift alone, or all), model and method, over seeds (mean and std): the ROC
AUC on the observation's observed_test against its hidden truth (from rule ``evaluate``'s metrics)
and on the simulated test split, and the Li & Ma significance of the ON excess on observed_test at
the gammaness cut chosen on the same observation's observed_val without truth (the largest Li & Ma
significance there: :func:`iactdl.adapt.lambda_selection.observed_val_significance`, the lambda
selection's criterion), also per square root of observed_test's hours (sigma grows as the root of
the observation time, so that number compares observations of different lengths). Then the
fraction of the source-to-oracle gap each method closes, in AUC and in significance
(:func:`iactdl.adapt.table.gap_closed`; NaN where the oracle does not beat source-only). The
oracle rows are a reference (observed truth), never a method.

A model whose gammaness on observed_val takes one value for every event (a constant model,
:func:`iactdl.evaluate.thresholds.constant_score`, found from its predictions alone while its cut
is chosen) ranks nothing: its AUC of 0.5 and its Li & Ma at "every event" are no result. Its
scores are left out (NaN, not averaged over seeds), ``n_constant`` counts such seeds, and the
LaTeX table and the heat map say "constant model" where every seed is one; the rule's log names
it with the reason.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from iactdl.adapt.lambda_selection import READ_COLUMNS, observed_val_significance
from iactdl.adapt.shift_study import SHIFT_STUDY_METHODS, parse_shift_study_name
from iactdl.adapt.table import gap_closed
from iactdl.evaluate.labels import method_label
from iactdl.evaluate.latex import latex_table, tex_escape
from iactdl.evaluate.numbers import write_numbers
from iactdl.evaluate.significance import onoff_counts
from iactdl.evaluate.theta2_analysis import split_ontime_s
from iactdl.evaluate.thresholds import CONSTANT_MODEL
from iactdl.io import InputError, atomic_paths, read_attrs, read_columns, write_json
from iactdl.io.jsonfile import read_json

__all__ = [
    "SHIFT_TABLE_COLUMNS",
    "shift_study_row",
    "shift_study_table",
    "best_methods",
    "shift_label",
    "readable_table",
    "plot_gap_heatmap",
    "write_shift_study_table",
]

log = logging.getLogger(__name__)

SHIFT_TABLE_COLUMNS = (
    "shift", "model", "method", "n_seeds", "n_constant", "observed_auc", "observed_auc_std",
    "simulated_auc", "li_ma_significance", "li_ma_significance_std", "sigma_per_sqrt_hour",
    "observed_test_hours", "oracle_gap_auc", "gap_closed_auc", "oracle_gap_significance",
    "gap_closed_significance", "reference",
)  # fmt: skip


def _metric(m: Mapping, *keys) -> float:
    for k in keys:
        if not isinstance(m, Mapping) or k not in m:
            return np.nan
        m = m[k]
    return float(m) if m is not None else np.nan


def shift_study_row(
    shift: str,
    model: str,
    metrics_path: str | os.PathLike,
    val_path: str | os.PathLike,
    test_path: str | os.PathLike,
    dataset_path: str | os.PathLike,
) -> dict:
    """One study model on one observation: its scores and its observed_val-chosen cut.

    Parameters
    ----------
    shift : str
        The observation (a shift's name, or ``all``).
    model : str
        The study model, ``{model}~{method}~s{seed}``.
    metrics_path : str or os.PathLike
        Its ``metrics.json`` on this observation (rule ``evaluate``).
    val_path, test_path : str or os.PathLike
        Its predictions on observed_val and observed_test (``gammaness``, ``region``; no truth).
    dataset_path : str or os.PathLike
        The observation's observed_test file (``ontime_s``, ``split_counts``: its hours).

    Returns
    -------
    dict
        ``shift``, ``model``, ``method``, ``seed``, ``observed_auc``, ``simulated_auc``,
        ``cut`` (chosen on observed_val), ``li_ma_significance`` (observed_test at that cut),
        ``observed_test_hours``, ``sigma_per_sqrt_hour`` and ``constant_model`` (bool). A
        constant model (one gammaness on observed_val: no ranking) is not scored: every score
        NaN, and the reason logged.
    """
    parsed = parse_shift_study_name(model)
    try:
        metrics = read_json(metrics_path)
    except (OSError, ValueError) as err:
        raise InputError(f"{metrics_path}: not a readable metrics file ({err})") from None
    choice = observed_val_significance(val_path)
    hours = split_ontime_s(dataset_path, "test") / 3600.0
    common = {"shift": shift, "model": parsed.model, "method": parsed.method, "seed": parsed.seed,
              "observed_test_hours": hours}  # fmt: skip
    if choice["constant_model"]:  # an AUC of 0.5 and Li & Ma at "every event": no result
        log.warning("shift %s, model %s: not scored: %s", shift, model, choice["constant_model"])
        return {**common, "observed_auc": np.nan, "simulated_auc": np.nan, "cut": np.nan,
                "li_ma_significance": np.nan, "sigma_per_sqrt_hour": np.nan,
                "constant_model": True}  # fmt: skip
    cut = choice["cut"]
    # the columns the lambda selection reads: never the truth (predictions carry none)
    test = read_columns(test_path, list(READ_COLUMNS))
    n_off = int(read_attrs(test_path).get("n_off_regions") or 0)
    if n_off < 1:
        raise InputError(f"{test_path}: attribute n_off_regions missing; expected an integer >= 1")
    counts = onoff_counts(test["gammaness"], np.asarray(test["region"]), cut, n_off)
    sig = counts["li_ma_significance"]
    return {
        **common,
        "observed_auc": _metric(metrics, "observed", "roc_auc"),
        "simulated_auc": _metric(metrics, "test", "roc_auc"),
        "cut": cut,
        "li_ma_significance": sig,
        "sigma_per_sqrt_hour": sig / math.sqrt(hours) if hours > 0 else np.nan,
        "constant_model": False,
    }


def shift_study_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean +- std over seeds per (shift, model, method), and the fraction of the gap closed.

    Parameters
    ----------
    rows : pandas.DataFrame
        One row per study model and observation (:func:`shift_study_row`).

    Returns
    -------
    pandas.DataFrame
        One row per (shift, model, method), columns :data:`SHIFT_TABLE_COLUMNS`, in the order of
        the shifts and models given and of :data:`~iactdl.adapt.shift_study.SHIFT_STUDY_METHODS`;
        ``n_constant`` counts the seeds whose model was constant (their scores, NaN, are not in
        the means).
    """
    keys = ["shift", "model", "method"]
    dup = rows.duplicated([*keys, "seed"])
    if dup.any():
        raise ValueError(f"{rows.loc[dup, keys + ['seed']].values.tolist()}: listed twice")
    t = (
        rows.groupby(keys, sort=False)
        .agg(
            n_seeds=("seed", "size"),
            n_constant=("constant_model", "sum"),
            observed_auc=("observed_auc", "mean"),
            observed_auc_std=("observed_auc", "std"),
            simulated_auc=("simulated_auc", "mean"),
            li_ma_significance=("li_ma_significance", "mean"),
            li_ma_significance_std=("li_ma_significance", "std"),
            sigma_per_sqrt_hour=("sigma_per_sqrt_hour", "mean"),
            observed_test_hours=("observed_test_hours", "mean"),
        )
        .reset_index()
    )
    t["gap_closed_auc"], t["oracle_gap_auc"] = gap_closed(t, ["shift", "model"], "observed_auc")
    t["gap_closed_significance"], t["oracle_gap_significance"] = gap_closed(
        t, ["shift", "model"], "li_ma_significance"
    )
    t["reference"] = np.where(t["method"] == "oracle", "oracle (observed truth)", "")
    order = {
        "shift": {s: i for i, s in enumerate(dict.fromkeys(rows["shift"]))},
        "model": {m: i for i, m in enumerate(dict.fromkeys(rows["model"]))},
        "method": {m: i for i, m in enumerate(SHIFT_STUDY_METHODS)},
    }
    t = t.sort_values(keys, key=lambda c: c.map(order[c.name]))
    return t[list(SHIFT_TABLE_COLUMNS)].reset_index(drop=True)


def best_methods(table: pd.DataFrame) -> dict[str, tuple[str, float]]:
    """Per observation, the method (not source, not the oracle) that closes the most of the AUC
    gap, averaged over the models it applies to.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`shift_study_table`.

    Returns
    -------
    dict of str to (str, float)
        Shift -> (method, mean fraction of the gap closed); shifts without any finite gap are
        left out (no model's oracle beat source-only there).
    """
    methods = table[~table["method"].isin(["source", "oracle"])]
    out = {}
    for shift, t in methods.groupby("shift", sort=False):
        mean = t.groupby("method", sort=False)["gap_closed_auc"].mean().dropna()
        if len(mean):
            out[shift] = (str(mean.idxmax()), float(mean.max()))
    return out


def shift_label(shift: str) -> str:
    """An observation's name as a reader reads it: ``night_sky`` -> "night sky"; ``all`` (every
    shift together) as it is.

    Parameters
    ----------
    shift : str
        A switch of ``simulation.observed.shifts``, or ``all``.

    Returns
    -------
    str
        The name with spaces for underscores.
    """
    return str(shift).replace("_", " ")


def _all_constant(r) -> bool:
    """Every seed of a table row gave a constant model (nothing of it is scored)."""
    return bool(r["n_constant"] > 0 and r["n_constant"] == r["n_seeds"])


def plot_gap_heatmap(
    table: pd.DataFrame,
    outputs: Sequence[str | os.PathLike],
    labels: Mapping[str, str] | None = None,
) -> None:
    """The fraction of the AUC gap closed: shifts (rows) x methods (columns), a panel per model.

    Source-only (0) and the oracle (1) are the gap's ends and not shown. A cell where the method
    does not apply says n/a; one whose oracle does not beat source-only is hatched grey ("no
    gap"): there is nothing to close there; one whose every seed gave a constant model (no
    ranking on observed_val) is hatched grey and says "constant model": it has no score.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`shift_study_table`.
    outputs : sequence of str or os.PathLike
        The figure's files (PDF, PNG), all written or none new.
    labels : mapping of str to str, optional
        Config model name -> its readable name (:func:`iactdl.evaluate.labels.model_labels`),
        the panels' titles; a model without one is titled by its name.
    """
    from matplotlib.patches import Rectangle

    from iactdl.evaluate import style

    labels = labels or {}
    style.apply()
    shifts = list(dict.fromkeys(table["shift"]))
    models = list(dict.fromkeys(table["model"]))
    present = set(table["method"])
    methods = [m for m in SHIFT_STUDY_METHODS if m in present and m not in ("source", "oracle")]
    # beside one or two rows of cells a vertical colour bar is too short to read: it goes below
    # them, and the figure grows by its height
    few = len(shifts) < 3
    wide = len(models) > 1
    aspect = (0.12 + 0.06 * len(shifts)) if wide else (0.25 + 0.09 * len(shifts))
    fig, axes = style.subplots(
        1, len(models), columns=2 if wide else 1,
        aspect=aspect + (0.12 if wide else 0.25) * few, squeeze=False,
    )  # fmt: skip
    image = None
    for ax, model in zip(axes[0], models, strict=True):
        t = table[table["model"] == model].set_index(["shift", "method"])
        grid = np.full((len(shifts), max(len(methods), 1)), np.nan)
        for i, shift in enumerate(shifts):
            for j, method in enumerate(methods):
                if (shift, method) not in t.index:  # the method does not apply to the model
                    ax.text(j, i, "n/a", ha="center", va="center", fontsize=5.5, color="0.6")
                    continue
                r = t.loc[(shift, method)]
                grid[i, j] = r["gap_closed_auc"]
                no_gap = np.isfinite(r["oracle_gap_auc"]) and r["oracle_gap_auc"] <= 0
                constant = _all_constant(r)
                if constant:  # no ranking, no score: not the colour of a fraction
                    grid[i, j] = np.nan
                    text = CONSTANT_MODEL.replace(" ", "\n")
                elif no_gap:
                    text = "no gap"
                else:
                    text = f"{grid[i, j]:+.2f}" if np.isfinite(grid[i, j]) else "--"
                if no_gap or constant:
                    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fc="0.85", hatch="//", lw=0))
                dark = np.isfinite(grid[i, j]) and abs(grid[i, j]) > 0.6  # white on dark cells
                ax.text(j, i, text, ha="center", va="center", fontsize=5.5,
                        color="white" if dark else "black")  # fmt: skip
        image = ax.imshow(np.clip(grid, -1, 1), cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
        ax.set_xticks(
            range(len(methods)), [method_label(m) for m in methods], rotation=30, ha="right"
        )
        ticks = [shift_label(s) for s in shifts] if ax is axes[0][0] else [""] * len(shifts)
        ax.set_yticks(range(len(shifts)), ticks)
        ax.set_title(labels.get(model, model))
        ax.grid(False)  # the style's grid would cross the cells
    if image is not None:
        fig.colorbar(
            image, ax=list(axes[0]), label="fraction of the AUC gap closed",
            shrink=0.9 if not few else 0.6, location="bottom" if few else "right",
        )  # fmt: skip
    style.save_figure(fig, outputs)


def readable_table(table: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The table with each row's readable names beside its keys, as the figures name them:
    ``model_label`` after ``model`` (``labels``, from ``figure_labels`` in
    ``workflow/rules/common.smk``) and ``method_label`` after ``method``
    (:func:`iactdl.evaluate.labels.method_label`).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`shift_study_table`.
    labels : mapping of str to str, optional
        Config model name -> readable name; a model without one is named by its key.

    Returns
    -------
    pandas.DataFrame
        A copy with the two columns added.
    """
    labels = labels or {}
    out = table.copy()
    out.insert(out.columns.get_loc("model") + 1, "model_label",
               [labels.get(m, m) for m in out["model"]])  # fmt: skip
    out.insert(out.columns.get_loc("method") + 1, "method_label",
               [method_label(m) for m in out["method"]])  # fmt: skip
    return out


def _tex(t: pd.DataFrame, labels: Mapping[str, str] | None = None) -> str:
    header = [
        "shift", "model", "method", "seeds", r"AUC$_\mathrm{obs}$", r"AUC$_\mathrm{sim}$",
        "gap closed (AUC)", r"$S_\mathrm{Li\&Ma}$", r"$S/\sqrt{h}$", r"gap closed ($S$)",
    ]  # fmt: skip

    def pm(mean, std, digits):
        if not np.isfinite(mean):
            return "--"
        return f"{mean:.{digits}f}" + (f" $\\pm$ {std:.{digits}f}" if np.isfinite(std) else "")

    def auc(r):
        if _all_constant(r._asdict()):
            return CONSTANT_MODEL
        out = pm(r.observed_auc, r.observed_auc_std, 3)
        if r.n_constant:  # some seeds left out of the mean
            out += f" ({r.n_constant} of {r.n_seeds} seeds constant)"
        return out

    def gap(value, oracle_gap):
        if np.isfinite(value):
            return f"{value:.2f}"
        return "no gap" if np.isfinite(oracle_gap) and oracle_gap <= 0 else "--"

    rows = []
    # the names the figures use (the oracle's label says it is the observed truth's)
    for r in readable_table(t, labels).itertuples():
        rows.append(
            [
                tex_escape(shift_label(r.shift)), tex_escape(r.model_label),
                tex_escape(r.method_label), str(r.n_seeds),
                auc(r), pm(r.simulated_auc, np.nan, 3),
                gap(r.gap_closed_auc, r.oracle_gap_auc),
                pm(r.li_ma_significance, r.li_ma_significance_std, 1),
                pm(r.sigma_per_sqrt_hour, np.nan, 1),
                gap(r.gap_closed_significance, r.oracle_gap_significance),
            ]
        )  # fmt: skip
    return latex_table("lllc" + "c" * 6, header, rows)


def _numbers(table: pd.DataFrame, rows: pd.DataFrame, labels: Mapping[str, str]) -> dict:
    """The caption's numbers (names of letters only, values as LaTeX text, as
    :func:`iactdl.evaluate.numbers.write_numbers` wants them: the article quotes their macros)."""
    best = best_methods(table)
    sentence = "; ".join(
        f"{shift_label(shift)}: {method_label(m)} ({100 * g:.0f} \\%)"
        for shift, (m, g) in best.items()
    )
    models = dict.fromkeys(rows["model"])
    return {
        "Shifts": ", ".join(shift_label(s) for s in dict.fromkeys(rows["shift"])),
        "Models": tex_escape(", ".join(labels.get(m, m) for m in models)),
        "Seeds": str(int(rows["seed"].max())),
        "Hours": f"{rows['observed_test_hours'].mean():.2f}",
        "Best": sentence or "no method closed a gap (no oracle beat source-only)",
    }


def write_shift_study_table(
    entries: Iterable[tuple[str, str]],
    metrics_paths: Iterable[str | os.PathLike],
    val_paths: Iterable[str | os.PathLike],
    test_paths: Iterable[str | os.PathLike],
    dataset_paths: Iterable[str | os.PathLike],
    csv_path: str | os.PathLike,
    tex_path: str | os.PathLike,
    numbers_path: str | os.PathLike,
    figure_paths: Iterable[str | os.PathLike] = (),
    numbers_tex_path: str | os.PathLike | None = None,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read every study model's files, write the table (csv, tex), its numbers and the heat map.

    Parameters
    ----------
    entries : iterable of (str, str)
        (shift, study model) pairs.
    metrics_paths, val_paths, test_paths, dataset_paths : iterable of str or os.PathLike
        Per pair, aligned with ``entries``: the metrics, the predictions on observed_val and
        observed_test, and the observation's observed_test file (:func:`shift_study_row`).
    csv_path, tex_path, numbers_path : str or os.PathLike
        The table's files and the caption's numbers (JSON, name -> as printed in LaTeX).
    figure_paths : iterable of str or os.PathLike
        The heat map's files (:func:`plot_gap_heatmap`); none: no figure.
    numbers_tex_path : str or os.PathLike, optional
        The numbers' macros (``\\iactShifts`` ...) for the article: with it, both number files are
        written by :func:`iactdl.evaluate.numbers.write_numbers`, both or neither.
    labels : mapping of str to str, optional
        Config model name -> readable name: the table's ``model_label`` column and LaTeX model
        column (:func:`readable_table`), the heat map's panel titles and the number ``Models``.

    Returns
    -------
    pandas.DataFrame
        The table (:func:`shift_study_table`).
    """
    entries = list(entries)
    if not entries:
        raise InputError("the shift study has no models (config shift_study: shifts, models?)")
    rows = pd.DataFrame(
        [
            shift_study_row(shift, model, *paths)
            for (shift, model), *paths in zip(
                entries, metrics_paths, val_paths, test_paths, dataset_paths, strict=True
            )
        ]
    )
    table = shift_study_table(rows)
    with atomic_paths(csv_path, tex_path) as (csv_tmp, tex_tmp):  # both or neither
        csv_tmp.write_text(readable_table(table, labels).to_csv(index=False, float_format="%.5g"))
        tex_tmp.write_text(_tex(table, labels))
    numbers = _numbers(table, rows, labels or {})
    if numbers_tex_path is None:
        write_json(numbers_path, numbers)
    else:
        write_numbers(numbers, numbers_path, numbers_tex_path, rule="shift_study_table")
    figure_paths = list(figure_paths)
    if figure_paths:
        plot_gap_heatmap(table, figure_paths, labels=labels)
    return table
