"""The summary table of the paper: one row per model, ``results/paper/summary.csv`` and ``.tex``.

Columns: ROC AUC on the simulated test set with its bootstrap uncertainty, ROC AUC on the observed
data (from the hidden truth; simulations only), the energy resolution (68 % containment), and the
Li & Ma significance of the ON/OFF excess after the cut chosen on simulations, with its bootstrap
uncertainty (the observed events resampled). With the config's model entries, the rows are grouped
by task and architecture (the estimator or the net, as :mod:`iactdl.evaluate.labels` names it),
each with its readable label, so that rows compared side by side share an architecture.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from iactdl.evaluate.latex import latex_table, tex_escape
from iactdl.io import atomic_paths
from iactdl.io.jsonfile import read_json

__all__ = ["summary_table", "write_summary", "to_latex"]

COLUMNS = [
    "model",
    "label",
    "architecture",
    "kind",
    "task",
    "auc_test",
    "auc_test_unc",
    "auc_observed",
    "auc_observed_unc",
    "energy_resolution",
    "energy_bias",
    "li_ma_sigma",
    "li_ma_sigma_unc",
    "n_on",
    "n_off",
    "alpha",
]


def _architecture(entry: Mapping | None) -> str:
    from iactdl.evaluate.labels import ESTIMATOR_LABELS, net_label

    entry = entry or {}
    if entry.get("kind") == "net":
        return net_label(str(entry.get("net", "net")))
    est = entry.get("estimator")
    return ESTIMATOR_LABELS.get(est, str(est)) if est else ""


def summary_table(
    metrics: Mapping[str, str | os.PathLike], entries: Mapping[str, Mapping] | None = None
) -> pd.DataFrame:
    """One row per model from its ``results/metrics/{model}.json``; with ``entries`` (the config's
    models) labelled and grouped by task and architecture.

    Parameters
    ----------
    metrics : mapping of str to path
        Model name -> its metrics JSON (:func:`iactdl.evaluate.evaluation.evaluate_model`).
    entries : mapping of str to mapping, optional
        The config's ``models`` by name, for the labels and architectures; without it the rows
        are sorted by model name.

    Returns
    -------
    pandas.DataFrame
        One row per model, columns :data:`COLUMNS`: the ROC AUCs with their bootstrap
        uncertainties, the energy resolution and bias (relative, 68 % containment and median),
        the Li & Ma significance (sigma) with its bootstrap uncertainty and the ON/OFF counts;
        None (NaN) where a model has no such value.
    """
    from iactdl.evaluate.labels import model_labels

    entries = entries or {}
    labels = model_labels(metrics, entries)
    rows = []
    for name, path in sorted(metrics.items()):
        m = read_json(path)
        test, obs = m.get("test", {}), m.get("observed") or {}
        onoff = obs.get("onoff") or {}
        energy = test.get("energy") or test  # a separation net's energy head, or the energy task
        rows.append(
            {
                "model": name,
                "label": labels[name],
                "architecture": _architecture(entries.get(name)),
                "kind": m.get("kind"),
                "task": m.get("task"),
                "auc_test": test.get("roc_auc"),
                "auc_test_unc": test.get("roc_auc_unc"),
                "auc_observed": obs.get("roc_auc"),
                "auc_observed_unc": obs.get("roc_auc_unc"),
                "energy_resolution": energy.get("resolution"),
                "energy_bias": energy.get("bias"),
                "li_ma_sigma": onoff.get("li_ma_significance"),
                "li_ma_sigma_unc": onoff.get("li_ma_significance_unc"),
                "n_on": onoff.get("n_on"),
                "n_off": onoff.get("n_off"),
                "alpha": onoff.get("alpha"),
            }
        )
    table = pd.DataFrame(rows, columns=COLUMNS)
    if entries:
        table = table.sort_values(["task", "architecture", "model"], kind="stable")
    return table.reset_index(drop=True)


def _pm(value, unc, digits=3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "--"
    if unc is None or (isinstance(unc, float) and math.isnan(unc)):
        return f"${value:.{digits}f}$"
    return f"${value:.{digits}f} \\pm {unc:.{digits}f}$"


def to_latex(table: pd.DataFrame) -> str:
    """A booktabs table (needs ``\\usepackage{booktabs}``); '--' where a model has no value.

    Parameters
    ----------
    table : pandas.DataFrame
        The summary (:func:`summary_table`).

    Returns
    -------
    str
        The ``tabular``: model label, architecture, task, the two AUCs (3 digits, +- their
        uncertainty), the energy resolution and the Li & Ma significance (1 digit).
    """
    header = [
        "model", "architecture", "task", "AUC (sim. test)", "AUC (observed)",
        r"$\Delta E/E$ (68\,\%)", r"$S_\mathrm{Li\&Ma}$ / $\sigma$",
    ]  # fmt: skip
    rows = []
    for r in table.itertuples(index=False):
        res = None if pd.isna(r.energy_resolution) else r.energy_resolution
        sig = None if pd.isna(r.li_ma_sigma) else r.li_ma_sigma
        sig_unc = None if pd.isna(r.li_ma_sigma_unc) else r.li_ma_sigma_unc
        rows.append(
            [
                tex_escape(r.label if isinstance(r.label, str) and r.label else r.model),
                tex_escape(str(r.architecture or r.kind)),
                str(r.task),
                _pm(
                    None if pd.isna(r.auc_test) else r.auc_test,
                    None if pd.isna(r.auc_test_unc) else r.auc_test_unc,
                ),
                _pm(
                    None if pd.isna(r.auc_observed) else r.auc_observed,
                    None if pd.isna(r.auc_observed_unc) else r.auc_observed_unc,
                ),
                _pm(res, None, 3),
                _pm(sig, sig_unc, 1),
            ]
        )
    return latex_table("lllcccc", header, rows)


def write_summary(
    metrics: Mapping[str, str],
    csv: str | os.PathLike,
    tex: str | os.PathLike,
    entries: Mapping[str, Mapping] | None = None,
):
    """Write the summary as CSV and LaTeX, each atomically; return the table.

    Parameters
    ----------
    metrics : mapping of str to str
        Model name -> its metrics JSON.
    csv, tex : path
        Where the table (:func:`summary_table`) and its LaTeX (:func:`to_latex`) are written
        (both or neither).
    entries : mapping of str to mapping, optional
        The config's ``models`` by name.

    Returns
    -------
    pandas.DataFrame
        The table written.
    """
    table = summary_table(metrics, entries)
    with atomic_paths(csv, tex) as (csv_tmp, tex_tmp):  # both or neither
        Path(csv_tmp).write_text(table.to_csv(index=False))
        Path(tex_tmp).write_text(to_latex(table))
    return table
