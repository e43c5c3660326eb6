"""Every direction model on the simulated test gammas: angular resolution per bin of true energy.

Rule ``evaluate_directions``: the disp model (rule ``train_disp``) reconstructs the source
position of every gamma of the test split (point-like ``gamma`` and ``diffuse`` gammas alike), and
every net with a direction head has done so in its predictions of the test split (rule
``predict``: ``source_x_pred``, ``source_y_pred``);
theta to the true source (:func:`iactdl.metrics.direction.theta`) gives the 68 % containment per
bin of true energy (:func:`iactdl.metrics.direction.angular_resolution`, equal to pyirf's), the
sign accuracy (the side of the cog along the main axis the reconstructed source lies on) and the
theta^2 histogram of each sample, in the same bins for every model. The FACT reference
(``iactdl/data/fact_angular_resolution.csv``, :func:`fact_reference`) is drawn beside them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
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
    predictions: Mapping[str, str | os.PathLike] | None = None,
) -> dict:
    """Reconstruct the gammas of ``dataset`` and score every model per sample; write ``out_json``.

    Events with a finite true source position (the gammas) are reconstructed; theta is the
    angular distance between the reconstructed and the true source position.

    Parameters
    ----------
    model_dir : path
        The trained disp baseline (rule ``train_disp``), read by
        :func:`iactdl.models.disp_store.load_disp`.
    dataset : path
        The simulated test split's feature file: the model's input columns, the true source
        position (``true_source_x``, ``true_source_y``, mm), ``true_energy`` (TeV), ``sample``
        and ``event_id``.
    out_json : path
        Where the result is written as JSON (atomically).
    n_energy_bins : int
        Number of log-spaced bins of true energy between the smallest and largest true energy of
        the gammas.
    min_events : int
        Fewest events a bin needs for its angular resolution (NaN below).
    predictions : mapping, optional
        Net name -> its predictions of ``dataset`` (rule ``predict``) holding ``source_x_pred``,
        ``source_y_pred`` (mm) and ``event_id`` in the dataset's order.

    Returns
    -------
    dict
        ``n_events`` (gammas), ``energy_bins_tev`` (edges) and the disp baseline's scores per
        sample in ``samples``: ``n_events``, ``containment_68_deg`` (over all energies),
        ``sign_accuracy`` (fraction of events whose disp sign is right), ``energy_center_tev``,
        ``angular_resolution_deg`` and ``count`` per bin, and the theta^2 histogram
        ``theta2_counts`` on ``theta2_edges_deg2``; ``models``: the same per model, ``disp``
        first.

    Raises
    ------
    iactdl.io.InputError
        A needed column is missing, no gamma has a true energy > 0 TeV, or a net's predictions
        are not row for row those of ``dataset``.
    """
    model = load_disp(model_dir)
    have = column_names(dataset)
    need = [*model.required_columns, *DISP_TRUTH_COLUMNS, "true_energy", "sample", "event_id"]
    missing = [c for c in need if c not in have]
    if missing:
        raise InputError(f"{dataset}: the direction evaluation needs column(s) {missing}")
    cols = read_columns(dataset, list(dict.fromkeys(need)))
    gammas = np.flatnonzero(np.isfinite(cols["true_source_x"]) & np.isfinite(cols["true_source_y"]))
    cols = {k: v[gammas] for k, v in cols.items()}
    energy = np.asarray(cols["true_energy"], dtype=np.float64)
    positive = energy[energy > 0]
    if not positive.size:
        raise InputError(f"{dataset}: no gamma with a true energy > 0 TeV")
    bins = np.geomspace(positive.min(), positive.max() * (1 + 1e-9), n_energy_bins + 1)
    positions = {"disp": model.predict(cols)}
    for name, path in (predictions or {}).items():
        positions[name] = _net_positions(path, cols["event_id"], gammas, dataset)
    per_model = {
        name: _scores(pred, cols, energy, bins, min_events) for name, pred in positions.items()
    }
    out = {
        "n_events": int(len(gammas)),
        "energy_bins_tev": bins.tolist(),
        "samples": per_model["disp"],
        "models": {name: {"samples": s} for name, s in per_model.items()},
    }
    with atomic_path(out_json) as tmp:
        tmp.write_text(json.dumps(to_json(out), indent=2))
    return out


def _net_positions(path, event_id: np.ndarray, gammas: np.ndarray, dataset) -> dict:
    """A net's reconstructed source positions (mm) of the gamma rows of the dataset."""
    have = column_names(path)
    need = ["event_id", "source_x_pred", "source_y_pred"]
    missing = [c for c in need if c not in have]
    if missing:
        raise InputError(
            f"{path}: column(s) {missing} missing; a net's predictions hold the source position "
            "only with a direction head (config models.<net>.direction_head)"
        )
    pred = read_columns(path, need)
    if len(pred["event_id"]) <= gammas.max(initial=-1) or not np.array_equal(
        pred["event_id"][gammas], event_id
    ):
        raise InputError(
            f"{path}: its event_id column is not that of {dataset} row for row; predict the same "
            "dataset again (rule predict)"
        )
    return {k: np.asarray(pred[k])[gammas] for k in ("source_x_pred", "source_y_pred")}


def _scores(pred: Mapping, cols: Mapping, energy, bins, min_events: int) -> dict:
    """Per sample: 68 % containment (deg), per energy bin too, sign accuracy, theta^2 counts."""
    th = theta(
        pred["source_x_pred"], pred["source_y_pred"], cols["true_source_x"], cols["true_source_y"]
    )
    geometry = (cols["cog_x"], cols["cog_y"], cols["delta"])
    _, sign = true_disp(cols["true_source_x"], cols["true_source_y"], *geometry)
    # the side of the cog along the main axis the reconstruction lies on: the disp sign for the
    # disp baseline, the same question for a net that regresses the position
    _, sign_pred = true_disp(pred["source_x_pred"], pred["source_y_pred"], *geometry)
    sign_ok = (sign_pred == sign) & np.isfinite(th)  # no reconstruction: not a right sign
    sample = cols["sample"].astype(str)
    out = {}
    for name in sorted(set(sample.tolist())):
        rows = sample == name
        res = angular_resolution(th[rows], energy[rows], bins, min_events=min_events)
        hist, edges = np.histogram(th[rows] ** 2, bins=THETA2_BINS, range=THETA2_RANGE)
        out[name] = {
            "n_events": int(rows.sum()),
            "containment_68_deg": containment(th[rows]),
            "sign_accuracy": float(np.mean(sign_ok[rows])),
            "energy_center_tev": res["energy_center"].tolist(),
            "angular_resolution_deg": res["angular_resolution"].tolist(),
            "count": res["count"].tolist(),
            "theta2_edges_deg2": edges.tolist(),
            "theta2_counts": hist.tolist(),
        }
    return out
