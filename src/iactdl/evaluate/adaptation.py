"""The adaptation table and its figures: how much of the simulation -> observation gap each method
closes, on observed_test (the only observed events any model is scored on).

Per net and method (seeds pooled): the observed AUC against the hidden truth (from ``evaluate``:
the mean over seeds, the std over seeds, and the mean bootstrap uncertainty of one model), the
simulated test AUC (what adaptation may cost), the fraction of the gap closed ``(AUC - AUC_source) /
(AUC_oracle - AUC_source)`` (means over seeds; it exceeds 1 when a method beats a weak oracle), the
gamma efficiency on observed_test at the cut chosen on the simulations (70% of simulated gammas by
default), and the Li & Ma significance of the ON/OFF excess at that cut (chosen without observed
truth). The oracle rows are a reference: trained on observed truth, never a method.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from iactdl.evaluate.adaptation_figures import plot_adaptation_bars
from iactdl.evaluate.latex import latex_table, tex_escape
from iactdl.io import InputError, atomic_paths

__all__ = ["ADAPTATION_COLUMNS", "study_rows", "adaptation_table", "write_adaptation_table"]

ADAPTATION_COLUMNS = (
    "net", "method", "n_seeds", "observed_auc", "observed_auc_std", "observed_auc_unc",
    "simulated_auc", "simulated_auc_std", "gap_closed", "gamma_efficiency_observed",
    "li_ma_significance", "reference",
)  # fmt: skip
METHOD_ORDER = ("source", "relative", "importance", "dann", "iwdann", "oracle")


def _get(d: Mapping, *keys, default=np.nan):
    for k in keys:
        if not isinstance(d, Mapping) or k not in d:
            return default
        d = d[k]
    return d


def study_rows(models: Iterable[str], metrics_paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """One row per study model ``{net}~{method}~s{seed}`` from its metrics json."""
    rows = []
    for name, path in zip(models, metrics_paths, strict=True):
        parts = name.split("~")
        if len(parts) != 3:
            raise ValueError(f"{name!r}: not a study model name ({{net}}~{{method}}~s{{seed}})")
        try:
            m = json.loads(Path(path).read_text())
        except (OSError, ValueError) as err:
            raise InputError(f"{path}: not a readable metrics file ({err})") from None
        rows.append(
            {
                "model": name,
                "net": parts[0],
                "method": parts[1],
                "seed": int(parts[2][1:]),
                "observed_auc": _get(m, "observed", "roc_auc"),
                "observed_auc_unc": _get(m, "observed", "roc_auc_unc"),
                "simulated_auc": _get(m, "test", "roc_auc"),
                "gamma_efficiency_observed": _get(m, "observed", "gamma_efficiency_at_cut"),
                "li_ma_significance": _get(m, "observed", "onoff", "li_ma_significance"),
            }
        )
    return pd.DataFrame(rows)


def adaptation_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean +- std over seeds per (net, method), and the fraction of the gap closed."""
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
    ).reset_index()
    by = t.set_index(["net", "method"])["observed_auc"]
    gap = []
    for net, auc in zip(t["net"], t["observed_auc"], strict=True):
        src, ora = by.get((net, "source"), np.nan), by.get((net, "oracle"), np.nan)
        gap.append((auc - src) / (ora - src) if np.isfinite(ora - src) and ora != src else np.nan)
    t["gap_closed"] = gap
    t["reference"] = np.where(t["method"] == "oracle", "oracle (observed truth)", "")
    order = {m: i for i, m in enumerate(METHOD_ORDER)}
    t = t.sort_values(["net", "method"], key=lambda c: c.map(order) if c.name == "method" else c)
    return t[list(ADAPTATION_COLUMNS)].reset_index(drop=True)


def _tex(t: pd.DataFrame) -> str:
    header = [
        "net", "method", "seeds", r"AUC$_\mathrm{obs}$", r"AUC$_\mathrm{sim}$", "gap closed",
        r"$\epsilon_\gamma^\mathrm{obs}$", r"$S_\mathrm{Li\&Ma}$",
    ]  # fmt: skip
    rows = []
    for r in t.itertuples():
        std = r.observed_auc_std if np.isfinite(r.observed_auc_std) else r.observed_auc_unc
        method = r.method + (r" (oracle: observed truth)" if r.method == "oracle" else "")
        rows.append(
            [
                tex_escape(r.net), tex_escape(method), str(r.n_seeds),
                f"{r.observed_auc:.3f} $\\pm$ {std:.3f}", f"{r.simulated_auc:.3f}",
                f"{r.gap_closed:.2f}", f"{r.gamma_efficiency_observed:.2f}",
                f"{r.li_ma_significance:.1f}",
            ]
        )  # fmt: skip
    return latex_table("llcccccc", header, rows).replace("nan", "--")


def write_adaptation_table(
    models: Iterable[str],
    metrics_paths: Iterable[str | os.PathLike],
    csv_path: str | os.PathLike,
    tex_path: str | os.PathLike,
    figure_paths: Iterable[str | os.PathLike] = (),
) -> pd.DataFrame:
    """Read the study's metrics, write the table (csv, tex) and the adaptation bars figure."""
    table = adaptation_table(study_rows(models, metrics_paths))
    with atomic_paths(csv_path, tex_path) as (csv_tmp, tex_tmp):  # both or neither
        csv_tmp.write_text(table.to_csv(index=False, float_format="%.5g"))
        tex_tmp.write_text(_tex(table))
    figure_paths = list(figure_paths)
    if figure_paths:
        plot_adaptation_bars(table, figure_paths)
    return table
