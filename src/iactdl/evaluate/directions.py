"""The disp baseline on the simulated test gammas: angular resolution per bin of true energy.

Rule ``evaluate_directions``: the disp model (rule ``train_disp``) reconstructs the source
position of every gamma of the test split (point-like ``gamma`` and ``diffuse`` gammas alike);
theta to the true source (:func:`iactdl.metrics.direction.theta`) gives the 68 % containment per
bin of true energy (:func:`iactdl.metrics.direction.angular_resolution`, equal to pyirf's), the
sign accuracy and the theta^2 histogram of each sample. The FACT reference
(``iactdl/data/fact_angular_resolution.csv``, :func:`fact_reference`) is drawn beside it.
"""

from __future__ import annotations

import json
import os
from importlib.resources import files

import numpy as np
import pandas as pd

from iactdl.evaluate.theta2 import THETA2_BINS, THETA2_RANGE
from iactdl.features.disp import true_disp
from iactdl.io import InputError, column_names, read_columns, to_json
from iactdl.io.atomic import atomic_path
from iactdl.metrics.direction import angular_resolution, containment, theta
from iactdl.models.disp import DISP_TRUTH_COLUMNS
from iactdl.models.disp_store import load_disp

__all__ = ["FACT_REFERENCE", "fact_reference", "evaluate_directions"]

FACT_REFERENCE = "fact_angular_resolution.csv"


def fact_reference() -> pd.DataFrame:
    """FACT's own angular resolution per true-energy bin (see the CSV's header for its making).

    Returns
    -------
    pandas.DataFrame
        The packaged ``iactdl/data/fact_angular_resolution.csv``: one row per bin of true energy,
        with ``energy_low_tev``, ``energy_high_tev``, ``energy_center_tev`` (TeV),
        ``angular_resolution_deg`` (68 % containment, deg) and ``count`` (events).
    """
    return pd.read_csv(files("iactdl") / "data" / FACT_REFERENCE, comment="#")


def evaluate_directions(
    model_dir: str | os.PathLike,
    dataset: str | os.PathLike,
    out_json: str | os.PathLike,
    n_energy_bins: int = 10,
    min_events: int = 10,
) -> dict:
    """Reconstruct the gammas of ``dataset`` and score them per sample; write ``out_json``.

    Events with a finite true source position (the gammas) are reconstructed; theta is the
    angular distance between the reconstructed and the true source position.

    Parameters
    ----------
    model_dir : path
        The trained disp model (rule ``train_disp``), read by
        :func:`iactdl.models.disp_store.load_disp`.
    dataset : path
        The simulated test split's feature file: the model's input columns, the true source
        position (``true_source_x``, ``true_source_y``, mm), ``true_energy`` (TeV) and ``sample``.
    out_json : path
        Where the result is written as JSON (atomically).
    n_energy_bins : int
        Number of log-spaced bins of true energy between the smallest and largest true energy of
        the gammas.
    min_events : int
        Fewest events a bin needs for its angular resolution (NaN below).

    Returns
    -------
    dict
        ``n_events`` (gammas), ``energy_bins_tev`` (edges) and, per sample in ``samples``:
        ``n_events``, ``containment_68_deg`` (over all energies), ``sign_accuracy`` (fraction of
        events whose disp sign is right), ``energy_center_tev``, ``angular_resolution_deg`` and
        ``count`` per bin, and the theta^2 histogram ``theta2_counts`` on ``theta2_edges_deg2``.

    Raises
    ------
    iactdl.io.InputError
        A needed column is missing, or no gamma has a true energy > 0 TeV.
    """
    model = load_disp(model_dir)
    have = column_names(dataset)
    need = [*model.required_columns, *DISP_TRUTH_COLUMNS, "true_energy", "sample"]
    missing = [c for c in need if c not in have]
    if missing:
        raise InputError(f"{dataset}: the direction evaluation needs column(s) {missing}")
    cols = read_columns(dataset, list(dict.fromkeys(need)))
    gammas = np.flatnonzero(np.isfinite(cols["true_source_x"]) & np.isfinite(cols["true_source_y"]))
    cols = {k: v[gammas] for k, v in cols.items()}
    pred = model.predict(cols)
    th = theta(
        pred["source_x_pred"], pred["source_y_pred"], cols["true_source_x"], cols["true_source_y"]
    )
    _, sign = true_disp(
        cols["true_source_x"], cols["true_source_y"], cols["cog_x"], cols["cog_y"], cols["delta"],
        project=model.project,
    )  # fmt: skip
    sign_ok = np.sign(pred["disp_pred"]) == sign
    energy = np.asarray(cols["true_energy"], dtype=np.float64)
    positive = energy[energy > 0]
    if not positive.size:
        raise InputError(f"{dataset}: no gamma with a true energy > 0 TeV")
    bins = np.geomspace(positive.min(), positive.max() * (1 + 1e-9), n_energy_bins + 1)
    sample = cols["sample"].astype(str)
    out = {"n_events": int(len(th)), "energy_bins_tev": bins.tolist(), "samples": {}}
    for name in sorted(set(sample.tolist())):
        rows = sample == name
        res = angular_resolution(th[rows], energy[rows], bins, min_events=min_events)
        hist, edges = np.histogram(th[rows] ** 2, bins=THETA2_BINS, range=THETA2_RANGE)
        out["samples"][name] = {
            "n_events": int(rows.sum()),
            "containment_68_deg": containment(th[rows]),
            "sign_accuracy": float(np.mean(sign_ok[rows])),
            "energy_center_tev": res["energy_center"].tolist(),
            "angular_resolution_deg": res["angular_resolution"].tolist(),
            "count": res["count"].tolist(),
            "theta2_edges_deg2": edges.tolist(),
            "theta2_counts": hist.tolist(),
        }
    with atomic_path(out_json) as tmp:
        tmp.write_text(json.dumps(to_json(out), indent=2))
    return out
