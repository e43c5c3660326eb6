"""A model's observation as FACT analyses it: DL3, cuts chosen without truth, theta^2 counts.

Per separation model (rule ``dl3``):

1. DL3 in FACT's layout (:mod:`iactdl.io.dl3`) of ``observed_val`` and ``observed_test``: the
   model's ``gamma_prediction``, an energy estimate (the model's own energy head, else the energy
   model's), and the ``theta_deg``, ``theta_deg_off_1..n`` that the observed split files carry
   (:mod:`iactdl.observed_regions`), with a ``runs`` table whose ``ontime`` is the split's share
   of the observation time (:func:`split_ontime_s`);
2. the gammaness cut that maximises the Li & Ma significance on ``observed_val`` at the configured
   theta^2 cut (ON/OFF counts only: no truth, as an analyst chooses it), at least ``min_on`` ON
   events (:func:`choose_gammaness_cut`);
3. that cut applied to ``observed_test``: N_on, N_off, excess, Li & Ma, hours and sigma per
   sqrt(hour) (:func:`iactdl.evaluate.theta2.theta2_counts`) and the theta^2 histograms.
"""

from __future__ import annotations

import json
import os

import numpy as np

from iactdl.evaluate.theta2 import THETA2_BINS, THETA2_RANGE, theta2_counts, theta2_histograms
from iactdl.io import InputError, column_names, read_attrs, read_columns, to_json
from iactdl.io.atomic import atomic_path
from iactdl.io.dl3 import dl3_events, read_dl3, theta_off_columns, write_dl3

__all__ = ["split_ontime_s", "write_split_dl3", "choose_gammaness_cut", "analyse_theta2"]

SPLITS = ("train", "val", "test")


def split_ontime_s(dataset: str | os.PathLike, split: str) -> float:
    """The observation time (s) a split holds: the file's ``ontime_s`` (the whole observation)
    times the split's share of the observed events (attribute ``split_counts``: train, val, test).

    Raises :class:`~iactdl.io.InputError` naming the file and the attribute where one is missing.

    Parameters
    ----------
    dataset : path
        An observed split file, with the attributes ``ontime_s`` (s) and ``split_counts`` (JSON:
        split -> events per sample).
    split : {"train", "val", "test"}
        The split whose share is wanted.

    Returns
    -------
    float
        ``ontime_s * n_split / n_total``, s.

    Raises
    ------
    iactdl.io.InputError
        An attribute is missing, or the counts hold no events at all or no such split.
    """
    attrs = read_attrs(dataset)
    for key in ("ontime_s", "split_counts"):
        if key not in attrs:
            raise InputError(
                f"{dataset}: no attribute {key!r}; the observed split files carry the observation "
                "time (ontime_s, s) and the events per split (split_counts)"
            )
    counts = json.loads(attrs["split_counts"])
    per_split = {s: sum(int(v) for v in counts.get(s, {}).values()) for s in SPLITS}
    total = sum(per_split.values())
    if split not in per_split or total == 0:
        raise InputError(f"{dataset}: split_counts {counts} hold no events of split {split!r}")
    return float(attrs["ontime_s"]) * per_split[split] / total


def write_split_dl3(
    predictions: str | os.PathLike,
    dataset: str | os.PathLike,
    out_path: str | os.PathLike,
    split: str,
    energy: str | os.PathLike | None = None,
) -> int:
    """DL3 of one observed split: the model's predictions joined with the split's thetas by
    ``event_id``; ``energy``: predictions holding ``energy_pred`` (TeV) when the model has none.
    Returns the number of events.

    Parameters
    ----------
    predictions : path
        The separation model's predictions on the split (``event_id``, ``gammaness``, and
        ``energy_pred`` in TeV for a net with an energy head), in the split file's event order.
    dataset : path
        The observed split file: ``event_id``, ``theta_deg`` and ``theta_deg_off_1..n`` (deg),
        the attribute ``n_off_regions`` and those of :func:`split_ontime_s`.
    out_path : path
        The DL3 file to write (:func:`iactdl.io.dl3.write_dl3`): events and one run whose
        ``ontime`` is the split's share (s).
    split : {"train", "val", "test"}
        Which split ``dataset`` is, for its ontime.
    energy : path, optional
        The energy model's predictions on the same events, used where ``predictions`` has no
        ``energy_pred``; without either the energy is NaN.

    Returns
    -------
    int
        The number of events written.

    Raises
    ------
    iactdl.io.InputError
        The thetas or ``n_off_regions`` are missing (no reconstructed directions), or the
        ``event_id`` of the files differ.
    """
    pred = read_columns(predictions, ["event_id", "gammaness"])
    n_off = int(read_attrs(dataset).get("n_off_regions", 0))
    theta_cols = ["theta_deg", *theta_off_columns(n_off)] if n_off >= 1 else ["theta_deg"]
    have = column_names(dataset)
    missing = [c for c in ["event_id", *theta_cols] if c not in have]
    if missing or n_off < 1:
        raise InputError(
            f"{dataset}: column(s) {missing or ['n_off_regions attribute']} missing: the observed "
            "split files need reconstructed directions (config directions; rule train_disp)"
        )
    data = read_columns(dataset, ["event_id", *theta_cols])
    if not np.array_equal(data["event_id"], pred["event_id"]):
        raise InputError(f"{predictions}: event_id differs from {dataset} (predict it again)")
    source = predictions if "energy_pred" in column_names(predictions) else energy
    if source is not None:
        e = read_columns(source, ["event_id", "energy_pred"])
        if not np.array_equal(e["event_id"], data["event_id"]):
            raise InputError(f"{source}: event_id differs from {dataset} (predict it again)")
        energy_tev = e["energy_pred"]
    else:
        energy_tev = np.full(len(pred["gammaness"]), np.nan)
    events = dl3_events(
        pred["gammaness"],
        energy_tev,
        data["theta_deg"],
        np.stack([data[c] for c in theta_off_columns(n_off)]),
        event_id=data["event_id"],
    )
    ontime = split_ontime_s(dataset, split)
    write_dl3(
        out_path, events, {"ontime": np.array([ontime]), "run_id": np.array([0])}, n_off=n_off
    )
    return len(data["event_id"])


def choose_gammaness_cut(
    gammaness, theta_deg, theta_deg_off, theta2_cut: float, *, min_on: int = 5, n_cuts: int = 100
) -> float:
    """The gammaness cut with the largest Li & Ma significance of these ON/OFF counts (no truth).

    Candidates: ``n_cuts`` quantiles (0 to 0.99) of the gammaness of all the events given (in a
    region or not); a cut leaving fewer than ``min_on`` ON events is not a candidate (a handful
    of events would make the choice noise). No candidate: the loosest (keep every event).

    Parameters
    ----------
    gammaness : array_like, shape (n_events,)
        Gammaness per event.
    theta_deg : array_like, shape (n_events,)
        Angular distance to the source position, deg.
    theta_deg_off : array_like, shape (n_off, n_events)
        Angular distance to each OFF position, deg.
    theta2_cut : float
        Region radius squared, deg^2.
    min_on : int
        Fewest ON events a candidate cut must leave.
    n_cuts : int
        Number of quantiles tried (duplicates dropped).

    Returns
    -------
    float
        The cut (events pass ``gammaness > cut``, as in
        :func:`iactdl.evaluate.theta2.theta2_counts`); without a candidate, one below the
        smallest gammaness (0 for no events).
    """
    g = np.asarray(gammaness, dtype=np.float64)
    candidates = np.unique(np.quantile(g, np.linspace(0.0, 0.99, n_cuts))) if len(g) else []
    best, best_s = -np.inf, -np.inf
    for cut in candidates:  # a loop over cuts; each evaluation is vectorised over events
        c = theta2_counts(g, theta_deg, theta_deg_off, gammaness_cut=cut, theta2_cut=theta2_cut)
        if c["n_on"] >= min_on and c["li_ma_significance"] > best_s:
            best, best_s = float(cut), c["li_ma_significance"]
    return best if np.isfinite(best) else float(np.min(g) - 1.0) if len(g) else 0.0


def analyse_theta2(
    val_dl3: str | os.PathLike,
    test_dl3: str | os.PathLike,
    out_json: str | os.PathLike,
    theta2_cut: float,
    model: str = "",
    min_on: int = 5,
) -> dict:
    """Cut chosen on ``observed_val``'s DL3, counts and histograms on ``observed_test``'s; JSON.

    Parameters
    ----------
    val_dl3, test_dl3 : path
        The model's DL3 files of observed_val (where the cut is chosen,
        :func:`choose_gammaness_cut`) and of observed_test (where it is applied).
    out_json : path
        Where the result is written (JSON, atomically).
    theta2_cut : float
        Region radius squared, deg^2.
    model : str
        The model's name, recorded in the result.
    min_on : int
        Fewest ON events on observed_val a candidate cut must leave.

    Returns
    -------
    dict
        ``model``, ``cut_chosen_on``, ``counts`` (:func:`iactdl.evaluate.theta2.theta2_counts`
        on observed_test, with its hours) and ``histograms``
        (:func:`iactdl.evaluate.theta2.theta2_histograms`, as lists).
    """
    val = read_dl3(val_dl3, columns=[])
    cut = choose_gammaness_cut(
        val.events["gamma_prediction"], val.events["theta_deg"], val.theta_off, theta2_cut,
        min_on=min_on,
    )  # fmt: skip
    test = read_dl3(test_dl3, columns=[])
    g, t_on, t_off = test.events["gamma_prediction"], test.events["theta_deg"], test.theta_off
    counts = theta2_counts(
        g, t_on, t_off, gammaness_cut=cut, theta2_cut=theta2_cut, ontime_s=test.ontime_s
    )
    hist = theta2_histograms(
        g, t_on, t_off, gammaness_cut=cut, bins=THETA2_BINS, theta2_range=THETA2_RANGE
    )
    out = {
        "model": model,
        "cut_chosen_on": "observed_val (Li & Ma of the ON/OFF counts, no truth)",
        "counts": counts,
        "histograms": {k: np.asarray(v).tolist() for k, v in hist.items()},
    }
    with atomic_path(out_json) as tmp:
        tmp.write_text(json.dumps(to_json(out), indent=2))
    return out
