"""The adaptation table and its figures: how much of the simulation -> observation gap each method
closes, on observed_test (the only observed events any model is scored on).

Per net and method (seeds pooled): the observed AUC against the hidden truth (from ``evaluate``:
the mean over seeds, the std over seeds, and the mean bootstrap uncertainty of one model), the
simulated test AUC (what adaptation may cost), the gap ``oracle_gap = AUC_oracle - AUC_source``
and the fraction of it closed ``(AUC - AUC_source) / (AUC_oracle - AUC_source)`` (means over
seeds; it exceeds 1 when a method beats a weak oracle, and is empty where the oracle does not beat
source-only: there is no gap to close, and the ratio's sign would flip), the
gamma efficiency on observed_test at the cut chosen on the simulations (70% of simulated gammas by
default), and the Li & Ma significance of the ON/OFF excess at that cut (chosen without observed
truth). The oracle rows are a reference: trained on observed truth, never a method. The dann and
iwdann rows give the domain AUC of their representation (simulated val against observed_val, no
truth; 0.5: the adversary won) before and after training, from their ``model.json``
(:func:`iactdl.adapt.nets.representation_domain_auc`).

With a lambda grid (config ``adaptation.lambda_grid``) every dann/iwdann seed has one candidate per
``lambda_max``; the table keeps, per seed, the candidate that rule ``select_lambda`` chose on
observed_val without truth (:mod:`iactdl.adapt.lambda_selection`), says which in a column
``lambda_max`` (the chosen value of each seed, in seed order), and the grid table
(``paper/adaptation_lambda.csv``) lists every candidate: its observed_val significance (the
criterion) beside its observed_test AUC, so a reader sees what the choice gained or cost. Without a
grid the table is as it always was.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from iactdl.adapt.figures import plot_adaptation_bars
from iactdl.adapt.lambda_selection import read_selection
from iactdl.adapt.study import parse, selection_of
from iactdl.evaluate.latex import latex_table, tex_escape
from iactdl.io import InputError, atomic_path, atomic_paths
from iactdl.io.jsonfile import read_json

__all__ = [
    "ADAPTATION_COLUMNS",
    "LAMBDA_GRID_COLUMNS",
    "study_rows",
    "select_candidates",
    "gap_closed",
    "adaptation_table",
    "lambda_grid_table",
    "write_adaptation_table",
    "write_lambda_grid_table",
]

ADAPTATION_COLUMNS = (
    "net", "method", "n_seeds", "observed_auc", "observed_auc_std", "observed_auc_unc",
    "simulated_auc", "simulated_auc_std", "oracle_gap", "gap_closed", "gamma_efficiency_observed",
    "li_ma_significance", "domain_auc_before", "domain_auc_after", "reference",
)  # fmt: skip
# the domain AUC of a DANN's representation (model.json: adapt.domain_auc; iactdl.adapt.nets)
DOMAIN_AUC_COLUMNS = ("domain_auc_before", "domain_auc_after")
METHOD_ORDER = ("source", "relative", "augment", "importance", "dann", "iwdann", "oracle")
LAMBDA_GRID_COLUMNS = (
    "net", "method", "seed", "lambda_max", "selected", "observed_val_significance",
    "observed_val_cut", "bootstrap_wins", "observed_auc", "observed_auc_unc", "simulated_auc",
    "gamma_efficiency_observed", "li_ma_significance", "model",
)  # fmt: skip


def _get(d: Mapping, *keys, default=np.nan):
    for k in keys:
        if not isinstance(d, Mapping) or k not in d:
            return default
        d = d[k]
    return d


def study_rows(
    models: Iterable[str],
    metrics_paths: Iterable[str | os.PathLike],
    info_paths: Iterable[str | os.PathLike] | None = None,
) -> pd.DataFrame:
    """One row per study model from its metrics json (and its model json).

    A lambda-grid candidate ``{net}~{method}@{lambda}~s{seed}`` gives its method and its
    ``lambda_max``.

    Parameters
    ----------
    models : iterable of str
        Study model names ``{net}~{method}~s{seed}``.
    metrics_paths : iterable of str or os.PathLike
        Their ``metrics.json``, aligned with ``models``.
    info_paths : iterable of str or os.PathLike, optional
        Their ``model.json``, aligned with ``models``: the domain AUC of a DANN's representation
        before and after training (NaN where a model has none, or without ``info_paths``).

    Returns
    -------
    pandas.DataFrame
        One row per model.
    """
    rows = []
    models, metrics_paths = list(models), list(metrics_paths)
    info_paths = [None] * len(models) if info_paths is None else list(info_paths)
    for name, path, info in zip(models, metrics_paths, info_paths, strict=True):
        parsed = parse(name)
        if parsed is None:
            raise ValueError(f"{name!r}: not a study model name ({{net}}~{{method}}~s{{seed}})")
        try:
            m = read_json(path)
        except (OSError, ValueError) as err:
            raise InputError(f"{path}: not a readable metrics file ({err})") from None
        rows.append(
            {
                "model": name,
                "net": parsed.net,
                "method": parsed.method,
                "seed": parsed.seed,
                "lambda_max": np.nan if parsed.lambda_max is None else parsed.lambda_max,
                "observed_auc": _get(m, "observed", "roc_auc"),
                "observed_auc_unc": _get(m, "observed", "roc_auc_unc"),
                "simulated_auc": _get(m, "test", "roc_auc"),
                "gamma_efficiency_observed": _get(m, "observed", "gamma_efficiency_at_cut"),
                "li_ma_significance": _get(m, "observed", "onoff", "li_ma_significance"),
                **_domain_auc(info),
            }
        )
    return pd.DataFrame(rows)


def _domain_auc(path) -> dict:
    """``domain_auc_before`` and ``_after`` of a model.json (NaN where it has none)."""
    if path is None:
        return dict.fromkeys(DOMAIN_AUC_COLUMNS, np.nan)
    try:
        info = read_json(path)
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: not a readable model.json ({err})") from None
    auc = _get(info, "adapt", "domain_auc", default={})
    return {
        f"domain_auc_{when}": float(_get(auc, when, "marginal", "auc"))
        for when in ("before", "after")
    }


def select_candidates(rows: pd.DataFrame, selections: Iterable[Mapping]) -> pd.DataFrame:
    """``rows`` with the lambda-grid candidates of each selection reduced to the one chosen.

    Parameters
    ----------
    rows : pandas.DataFrame
        One row per study model (:func:`study_rows`).
    selections : iterable of Mapping
        The selections (:func:`iactdl.adapt.lambda_selection.read_selection`).

    Returns
    -------
    pandas.DataFrame
        The rows without the candidates not chosen.
    """
    candidate = rows["lambda_max"].notna() if "lambda_max" in rows else pd.Series(False, rows.index)
    chosen = {s["selection"]: s["model"] for s in selections}
    needed = sorted(set(rows.loc[candidate, "model"].map(selection_of)))
    missing = [name for name in needed if name not in chosen]
    if missing:
        raise InputError(f"lambda-grid candidates of {missing} but no lambda selection of them")
    absent = sorted(m for m in chosen.values() if m not in set(rows["model"]))
    if absent:
        raise InputError(f"the lambda selections chose {absent}, which have no metrics here")
    return rows[~candidate | rows["model"].isin(set(chosen.values()))].reset_index(drop=True)


def _chosen_lambdas(rows: pd.DataFrame) -> dict:
    """(net, method) -> the chosen lambda_max of each seed, in seed order ('' if none)."""
    out = {}
    for key, r in rows.sort_values("seed").groupby(["net", "method"], sort=False):
        lam = r["lambda_max"].dropna()
        out[key] = " ".join(f"{v:g}" for v in lam)
    return out


def gap_closed(
    table: pd.DataFrame, keys: Sequence[str], column: str, uncertainty: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The fraction of the source-to-oracle gap each row closes, within its group.

    ``(value - source) / (oracle - source)``, where source and oracle are the rows of methods
    ``source`` and ``oracle`` with the same ``keys``. An oracle at or below source-only leaves no
    gap: the ratio would flip its sign (a method better than source-only would read as having
    widened the gap), so it is NaN there, as it is where either row is missing. With
    ``uncertainty``, a gap no larger than its own uncertainty (the two rows' added in quadrature)
    is no gap either: divided by a gap of 0.0004 AUC, a method 0.015 below source-only read as
    "-3821 % closed" (the default run's Deep Sets, whose oracle equals its source-only net).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per group and method: the columns ``keys``, ``method`` and ``column``.
    keys : sequence of str
        The columns that make a group (``["net"]``; the shift study's shift and model).
    column : str
        The measure (``observed_auc``, ``li_ma_significance``, ...).
    uncertainty : str, optional
        A column of each row's uncertainty of ``column`` (NaN counts as 0).

    Returns
    -------
    gap_closed, oracle_gap : numpy.ndarray
        Per row: the fraction closed, and ``oracle - source`` of its group.
    """
    keys = list(keys)
    by = table.set_index([*keys, "method"])[column]
    group = list(zip(*(table[k] for k in keys), strict=True))
    src = np.array([by.get((*g, "source"), np.nan) for g in group], dtype=float)
    ora = np.array([by.get((*g, "oracle"), np.nan) for g in group], dtype=float)
    value = table[column].to_numpy(float)
    gap = ora - src
    floor = np.zeros_like(gap)
    if uncertainty is not None:
        u = table.set_index([*keys, "method"])[uncertainty]
        u_src = np.array([u.get((*g, "source"), np.nan) for g in group], dtype=float)
        u_ora = np.array([u.get((*g, "oracle"), np.nan) for g in group], dtype=float)
        floor = np.hypot(np.nan_to_num(u_src), np.nan_to_num(u_ora))
    with np.errstate(divide="ignore", invalid="ignore"):
        closed = np.where(np.isfinite(gap) & (gap > floor), (value - src) / gap, np.nan)
    return closed, gap


def adaptation_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean +- std over seeds per (net, method), and the fraction of the gap closed.

    With lambda-grid candidates (already reduced to the chosen ones, :func:`select_candidates`) a
    column ``lambda_max``: the chosen value of each seed.

    Parameters
    ----------
    rows : pandas.DataFrame
        One row per study model (:func:`study_rows`).

    Returns
    -------
    pandas.DataFrame
        One row per (net, method).
    """
    dup = rows.duplicated(["net", "method", "seed"])
    if dup.any():
        raise ValueError(
            f"{rows.loc[dup, 'model'].tolist()}: a second model of the same net, method and seed "
            "(lambda-grid candidates: reduce them to the chosen one with select_candidates first)"
        )
    rows = rows.assign(**{c: rows[c] if c in rows else np.nan for c in DOMAIN_AUC_COLUMNS})
    g = rows.groupby(["net", "method"], sort=False)
    t = g.agg(
        n_seeds=("seed", "size"),
        observed_auc=("observed_auc", "mean"),
        observed_auc_std=("observed_auc", "std"),
        observed_auc_unc=("observed_auc_unc", "mean"),
        simulated_auc=("simulated_auc", "mean"),
        simulated_auc_std=("simulated_auc", "std"),
        gamma_efficiency_observed=("gamma_efficiency_observed", "mean"),
        li_ma_significance=("li_ma_significance", "mean"),
        domain_auc_before=("domain_auc_before", "mean"),
        domain_auc_after=("domain_auc_after", "mean"),
    ).reset_index()
    # a gap inside its uncertainty (std over seeds, else the bootstrap's) is no gap
    std = t["observed_auc_std"]
    t["_unc"] = std.where(np.isfinite(std), t["observed_auc_unc"])
    t["gap_closed"], t["oracle_gap"] = gap_closed(t, ["net"], "observed_auc", uncertainty="_unc")
    t["reference"] = np.where(t["method"] == "oracle", "oracle (observed truth)", "")
    order = {m: i for i, m in enumerate(METHOD_ORDER)}
    t = t.sort_values(["net", "method"], key=lambda c: c.map(order) if c.name == "method" else c)
    columns = list(ADAPTATION_COLUMNS)
    if "lambda_max" in rows and rows["lambda_max"].notna().any():
        chosen = _chosen_lambdas(rows)
        t["lambda_max"] = [chosen[k] for k in zip(t["net"], t["method"], strict=True)]
        columns.insert(columns.index("n_seeds") + 1, "lambda_max")
    return t[columns].reset_index(drop=True)


def lambda_grid_table(rows: pd.DataFrame, selections: Iterable[Mapping]) -> pd.DataFrame:
    """Every lambda-grid candidate and how it fared.

    Its observed_val significance (the selection's criterion) and share of the bootstrap resamples
    it wins, its scores on observed_test and the simulated test split, and whether it was chosen.

    Parameters
    ----------
    rows : pandas.DataFrame
        One row per study model (:func:`study_rows`).
    selections : iterable of Mapping
        The selections (:func:`~iactdl.adapt.lambda_selection.read_selection`).

    Returns
    -------
    pandas.DataFrame
        One row per candidate.
    """
    val = {}
    chosen = set()
    for s in selections:
        chosen.add(s["model"])
        for c in s["candidates"]:
            val[c["model"]] = (c["li_ma_significance"], c["cut"], c.get("bootstrap_wins", np.nan))
    t = rows[rows["lambda_max"].notna()].copy()
    missing = sorted(set(t["model"]) - set(val))
    if missing:
        raise InputError(f"lambda-grid candidates {missing} are in no lambda selection")
    t["observed_val_significance"] = [val[m][0] for m in t["model"]]
    t["observed_val_cut"] = [val[m][1] for m in t["model"]]
    t["bootstrap_wins"] = [val[m][2] for m in t["model"]]
    t["selected"] = t["model"].isin(chosen)
    t = t.sort_values(["net", "method", "seed", "lambda_max"])
    return t[list(LAMBDA_GRID_COLUMNS)].reset_index(drop=True)


def _tex(t: pd.DataFrame) -> str:
    header = [
        "net", "method", "seeds", r"AUC$_\mathrm{obs}$", r"AUC$_\mathrm{sim}$", "gap closed",
        r"$\epsilon_\gamma^\mathrm{obs}$", r"$S_\mathrm{Li\&Ma}$",
        r"AUC$_\mathrm{dom}$ before $\to$ after",
    ]  # fmt: skip
    grid = "lambda_max" in t  # the chosen lambda_max of each seed, after the seeds
    if grid:
        header.insert(3, r"$\lambda_\mathrm{max}$")
    rows = []
    for r in t.itertuples():
        std = r.observed_auc_std if np.isfinite(r.observed_auc_std) else r.observed_auc_unc
        method = r.method + (r" (oracle: observed truth)" if r.method == "oracle" else "")
        row = [
            tex_escape(r.net), tex_escape(method), str(r.n_seeds),
            f"{r.observed_auc:.3f} $\\pm$ {std:.3f}", f"{r.simulated_auc:.3f}",
            f"{r.gap_closed:.2f}" if np.isfinite(r.gap_closed) or not np.isfinite(r.oracle_gap)
            else "no gap", f"{r.gamma_efficiency_observed:.2f}",
            f"{r.li_ma_significance:.1f}",
            f"{r.domain_auc_before:.2f} $\\to$ {r.domain_auc_after:.2f}"
            if np.isfinite(r.domain_auc_before) and np.isfinite(r.domain_auc_after) else "--",
        ]  # fmt: skip
        if grid:
            row.insert(3, r.lambda_max.replace(" ", ", ") or "--")
        rows.append(row)
    return latex_table("llc" + "c" * grid + "cccccc", header, rows).replace("nan", "--")


def write_adaptation_table(
    models: Iterable[str],
    metrics_paths: Iterable[str | os.PathLike],
    csv_path: str | os.PathLike,
    tex_path: str | os.PathLike,
    figure_paths: Iterable[str | os.PathLike] = (),
    selection_paths: Iterable[str | os.PathLike] = (),
    info_paths: Iterable[str | os.PathLike] | None = None,
) -> pd.DataFrame:
    """Read the study's metrics, write the table (csv, tex) and the adaptation bars figure.

    Parameters
    ----------
    models : iterable of str
        Study model names.
    metrics_paths : iterable of str or os.PathLike
        Their ``metrics.json``, aligned with ``models``.
    csv_path, tex_path : str or os.PathLike
        The table's files.
    figure_paths : iterable of str or os.PathLike
        The figure's files (:func:`~iactdl.adapt.figures.plot_adaptation_bars`); none: no figure.
    selection_paths : iterable of str or os.PathLike
        With a lambda grid, the selections (``lambda.json``) that pick the candidate of each seed.
    info_paths : iterable of str or os.PathLike, optional
        The models' ``model.json``, aligned with ``models`` (the domain AUC columns).

    Returns
    -------
    pandas.DataFrame
        The table (:func:`adaptation_table`).
    """
    selections = [read_selection(p) for p in selection_paths]
    rows = study_rows(models, metrics_paths, info_paths)
    table = adaptation_table(select_candidates(rows, selections))
    with atomic_paths(csv_path, tex_path) as (csv_tmp, tex_tmp):  # both or neither
        csv_tmp.write_text(table.to_csv(index=False, float_format="%.5g"))
        tex_tmp.write_text(_tex(table))
    figure_paths = list(figure_paths)
    if figure_paths:
        plot_adaptation_bars(table, figure_paths)
    return table


def write_lambda_grid_table(
    models: Iterable[str],
    metrics_paths: Iterable[str | os.PathLike],
    selection_paths: Iterable[str | os.PathLike],
    csv_path: str | os.PathLike,
) -> pd.DataFrame:
    """Every lambda-grid candidate of the study (:func:`lambda_grid_table`) to ``csv_path``.

    Parameters
    ----------
    models : iterable of str
        Study model names.
    metrics_paths : iterable of str or os.PathLike
        Their ``metrics.json``, aligned with ``models``.
    selection_paths : iterable of str or os.PathLike
        The selections (``lambda.json``).
    csv_path : str or os.PathLike
        The file to write.

    Returns
    -------
    pandas.DataFrame
        The table written.
    """
    selections = [read_selection(p) for p in selection_paths]
    table = lambda_grid_table(study_rows(models, metrics_paths), selections)
    if table.empty:
        raise InputError("no lambda-grid candidates among the study's models (lambda_grid empty?)")
    with atomic_path(csv_path) as tmp:
        tmp.write_text(table.to_csv(index=False, float_format="%.5g"))
    return table
