"""The significance table: every model's theta^2 analysis of observed_test, sigma per sqrt(hour).

One row per separation model (source-only, adapted, ON/OFF-trained; the family from its config
entry, :func:`iactdl.evaluate.labels.model_family`): the gammaness cut chosen on observed_val
without truth, N_on, N_off, alpha, excess, the Li & Ma significance, the hours observed_test holds
and sigma per sqrt(hour) (:mod:`iactdl.evaluate.theta2_analysis`), with FACT's open Crab analysis
(6.3 sigma per sqrt(hour), 17.7 h) as the reference row. CSV and LaTeX.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import pandas as pd

from iactdl.evaluate.labels import model_family
from iactdl.evaluate.latex import latex_table, tex_escape
from iactdl.evaluate.theta2 import FACT_PUBLISHED, OPEN_CRAB_CUTS
from iactdl.io.atomic import atomic_paths
from iactdl.io.hdf5 import InputError
from iactdl.io.jsonfile import read_json

__all__ = ["significance_table"]

COLUMNS = (
    "model", "family", "gammaness_cut", "theta2_cut", "n_on", "n_off", "alpha", "excess",
    "li_ma_significance", "hours", "sigma_per_sqrt_hour",
)  # fmt: skip


def significance_table(
    analyses: Mapping[str, str | os.PathLike],
    entries: Mapping[str, Mapping],
    csv_path: str | os.PathLike,
    tex_path: str | os.PathLike,
) -> pd.DataFrame:
    """Rows from each model's ``theta2.json`` (model name -> path), written as CSV and LaTeX.

    Parameters
    ----------
    analyses : mapping of str to path
        Model name -> its theta^2 analysis (:func:`iactdl.evaluate.theta2_analysis.analyse_theta2`),
        whose ``counts`` give the columns of :data:`COLUMNS` from ``gammaness_cut`` on.
    entries : mapping of str to mapping
        The config's ``models`` by name, for each model's family.
    csv_path, tex_path : path
        Where the table is written as CSV and as a LaTeX ``tabular`` (both or neither).

    Returns
    -------
    pandas.DataFrame
        One row per model in the order of ``analyses``, then FACT's open Crab analysis
        (:data:`iactdl.evaluate.theta2.FACT_PUBLISHED`; no counts); columns :data:`COLUMNS`,
        ``theta2_cut`` in deg^2, ``hours`` in h.
    """
    rows = []
    for name, path in analyses.items():
        analysis = read_json(path, "a theta^2 analysis (rule theta2)")
        missing = [k for k in COLUMNS[2:] if k not in analysis.get("counts", {})]
        if missing:
            raise InputError(f"{path}: no counts {missing} under 'counts'; rerun rule theta2")
        counts = analysis["counts"]
        rows.append(
            {"model": name, "family": model_family(entries.get(name)),
             **{k: counts[k] for k in COLUMNS[2:]}}
        )  # fmt: skip
    rows.append(
        {"model": "FACT open Crab analysis", "family": "reference", **OPEN_CRAB_CUTS,
         "alpha": 0.2,
         "li_ma_significance": FACT_PUBLISHED["li_ma_significance"],
         "hours": FACT_PUBLISHED["hours"],
         "sigma_per_sqrt_hour": FACT_PUBLISHED["sigma_per_sqrt_hour"]}
    )  # fmt: skip
    # counts stay integers beside the reference row, which has none
    table = pd.DataFrame(rows, columns=list(COLUMNS)).astype({"n_on": "Int64", "n_off": "Int64"})
    tex = latex_table(
        "llrrrrrr",
        ["model", "family", "cut", r"$N_\mathrm{on}$", r"$N_\mathrm{off}$", "excess",
         r"$S$ / $\sigma$", r"$\sigma/\sqrt{\mathrm{h}}$"],
        [
            [tex_escape(r.model), tex_escape(r.family), _num(r.gammaness_cut, 3), _num(r.n_on, 0),
             _num(r.n_off, 0), _num(r.excess, 1), _num(r.li_ma_significance, 1),
             _num(r.sigma_per_sqrt_hour, 2)]
            for r in table.itertuples()
        ],
    )  # fmt: skip
    with atomic_paths(csv_path, tex_path) as (csv_tmp, tex_tmp):
        table.to_csv(csv_tmp, index=False)
        tex_tmp.write_text(tex)
    return table


def _num(value, digits: int) -> str:
    return "--" if pd.isna(value) else f"{float(value):.{digits}f}"
