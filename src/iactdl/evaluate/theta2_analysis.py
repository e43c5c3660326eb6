"""A model's observation as FACT analyses it: DL3, cuts chosen without truth, theta^2 counts.

Per separation model (rule ``dl3``):

1. DL3 in FACT's layout (:mod:`iactdl.io.dl3`) of ``observed_val`` and ``observed_test``: the
   model's ``gamma_prediction``, an energy estimate (the model's own energy head, else the energy
   model's), and the ``theta_deg``, ``theta_deg_off_1..n`` that the observed split files carry
   (:mod:`iactdl.observed_regions`), with a ``runs`` table whose ``ontime`` is the split's share
   of the observation time (:func:`split_ontime_s`);
2. the theta^2 cut and the gammaness cut that together maximise the Li & Ma significance on
   ``observed_val`` (ON/OFF counts only: no truth, as an analyst chooses them), at least
   ``min_on`` ON events (:func:`choose_cuts`): the theta^2 cut among the configured candidates
   (config ``directions.theta2_cuts``; one candidate, the fixed cut ``directions.theta2_cut``:
   only the gammaness cut is chosen, :func:`choose_gammaness_cut`);
3. those cuts applied to ``observed_test``: N_on, N_off, excess, Li & Ma, hours and sigma per
   sqrt(hour) (:func:`iactdl.evaluate.theta2.theta2_counts`) and the theta^2 histograms.

Only this analysis chooses its theta^2 cut: the ON/OFF labels that stage 6 learns from
(:mod:`iactdl.observed_regions`) stay at ``directions.theta2_cut``. A wider cut keeps more of a
source's gammas (the point-spread function of the reconstructed directions) and more background;
the best trade-off depends on the model's gammaness cut, hence the joint choice. The candidates
are few and fixed before looking at the data, and the choice is scored on ``observed_test``, which
it never saw.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence

import numpy as np

from iactdl.evaluate.significance import li_ma_significance
from iactdl.evaluate.theta2 import (
    THETA2_BINS,
    THETA2_RANGE,
    check_theta2_cut,
    on_off_counts_over_cuts,
    theta2_counts,
    theta2_histograms,
)
from iactdl.evaluate.thresholds import constant_score
from iactdl.io import InputError, column_names, read_attrs, read_columns, to_json
from iactdl.io.atomic import atomic_path
from iactdl.io.dl3 import dl3_events, read_dl3, theta_off_columns, write_dl3

__all__ = [
    "split_ontime_s", "write_split_dl3", "theta2_candidates", "choose_cuts", "choose_gammaness_cut",
    "analyse_theta2",
]  # fmt: skip

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
# the config key of the candidates, named in the errors about them
THETA2_CUTS_KEY = "config directions.theta2_cuts"


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


def theta2_candidates(
    theta2_cuts: float | Sequence[float],
    *,
    wobble_offset_deg: float | None = None,
    n_off: int | None = None,
) -> list[float]:
    """The theta^2 cut candidates, sorted and checked: each > 0 deg^2 and, given the wobble
    offset, small enough that the ON and OFF regions do not overlap.

    Parameters
    ----------
    theta2_cuts : float or sequence of float
        One cut (the fixed cut) or the candidates, deg^2 (config ``directions.theta2_cuts``).
    wobble_offset_deg : float, optional
        Distance of the source position from the camera centre, deg; with it a candidate above
        :func:`iactdl.evaluate.theta2.max_theta2_cut` is refused. Without it (FACT's files: the
        offset is the events'), a candidate that puts an event in two regions is refused when
        counted (:func:`choose_cuts`).
    n_off : int, optional
        Number of OFF positions; needed with ``wobble_offset_deg``.

    Returns
    -------
    list of float
        The distinct candidates in increasing order.

    Raises
    ------
    ValueError
        No candidate, one not a finite number > 0, or one above the largest allowed cut; the
        message names :data:`THETA2_CUTS_KEY` and the largest allowed value.
    """
    values = [theta2_cuts] if np.isscalar(theta2_cuts) else list(theta2_cuts)
    if not values:
        raise ValueError(f"{THETA2_CUTS_KEY}: no theta^2 cut candidate; give at least one (deg^2)")
    try:
        cuts = sorted({float(c) for c in values})
    except (TypeError, ValueError):
        msg = f"{THETA2_CUTS_KEY}: candidates must be numbers (deg^2), got {values!r}"
        raise ValueError(msg) from None
    return [check_theta2_cut(cut, wobble_offset_deg, n_off, THETA2_CUTS_KEY) for cut in cuts]


def _gammaness_candidates(g: np.ndarray, n_cuts: int) -> np.ndarray:
    """``n_cuts`` quantiles (0 to 0.99) of the gammaness, duplicates dropped, increasing."""
    return np.unique(np.quantile(g, np.linspace(0.0, 0.99, n_cuts))) if len(g) else np.zeros(0)


def choose_cuts(
    gammaness,
    theta_deg,
    theta_deg_off,
    theta2_cuts: float | Sequence[float],
    *,
    min_on: int = 5,
    n_cuts: int = 100,
    where: str = "gammaness",
) -> dict:
    """The (theta^2 cut, gammaness cut) with the largest Li & Ma significance of these ON/OFF
    counts (no truth).

    Gammaness candidates: ``n_cuts`` quantiles (0 to 0.99) of the gammaness of all the events
    given (in a region or not), the same for every theta^2 candidate; a pair leaving fewer than
    ``min_on`` ON events is not a candidate (a handful of events would make the choice noise).
    Ties go to the smaller theta^2 cut, then to the looser gammaness cut. No candidate: the
    smallest theta^2 cut and the loosest gammaness cut (keep every event). The events are counted
    once per theta^2 candidate, for every gammaness cut at once
    (:func:`iactdl.evaluate.theta2.on_off_counts_over_cuts`).

    Parameters
    ----------
    gammaness : array_like, shape (n_events,)
        Gammaness per event.
    theta_deg : array_like, shape (n_events,)
        Angular distance to the source position, deg.
    theta_deg_off : array_like, shape (n_off, n_events)
        Angular distance to each OFF position, deg.
    theta2_cuts : float or sequence of float
        The theta^2 cut candidates, deg^2 (:func:`theta2_candidates`; one: a fixed cut).
    min_on : int
        Fewest ON events a candidate pair must leave.
    n_cuts : int
        Number of gammaness quantiles tried (duplicates dropped).
    where : str
        What ``gammaness`` is (its file), named in ``constant_model``.

    Returns
    -------
    dict
        ``theta2_cut`` (deg^2) and ``gammaness_cut`` (events pass ``gammaness > cut``, as in
        :func:`iactdl.evaluate.theta2.theta2_counts`; without a candidate, one below the smallest
        gammaness, 0 for no events), their ``n_on``, ``n_off`` and ``li_ma_significance`` here,
        ``scan``: per theta^2 candidate the same for its best gammaness cut (``n_on`` 0 and
        the significance NaN where none leaves ``min_on`` ON events), and ``constant_model``:
        ``None``, or why the gammaness ranks nothing
        (:func:`iactdl.evaluate.thresholds.constant_score`: one value for every event; the cuts
        are then those of no gammaness cut, and the tables mark the model instead of scoring it).
    """
    g = np.asarray(gammaness, dtype=np.float64)
    t_off = np.asarray(theta_deg_off, dtype=np.float64)
    alpha = 1.0 / (t_off.shape[0] if t_off.ndim == 2 else 1)
    candidates = _gammaness_candidates(g, n_cuts)

    def counts(theta2_cut, cuts):
        try:
            return on_off_counts_over_cuts(
                g, theta_deg, t_off, theta2_cut=theta2_cut, gammaness_cuts=cuts
            )
        except ValueError as err:  # e.g. an event in two regions: a candidate too large
            raise ValueError(f"{THETA2_CUTS_KEY}: candidate {theta2_cut} deg^2: {err}") from None

    def row(theta2_cut, cut, n_on, n_off):
        significance = float(li_ma_significance(n_on, n_off, alpha))
        return {
            "theta2_cut": float(theta2_cut), "gammaness_cut": float(cut), "n_on": int(n_on),
            "n_off": int(n_off), "li_ma_significance": significance,
        }  # fmt: skip

    best, best_s, scan = None, -np.inf, []
    for theta2_cut in theta2_candidates(theta2_cuts):  # a few: one pass over the events each
        n_on, n_off = counts(theta2_cut, candidates)
        s = li_ma_significance(n_on, n_off, alpha)
        score = np.where((n_on >= min_on) & ~np.isnan(s), s, -np.inf)
        i = int(np.argmax(score)) if len(score) else 0  # the first of equal maxima: the loosest
        if not (len(score) and np.isfinite(score[i])):
            scan.append(row(theta2_cut, np.nan, 0, 0) | {"li_ma_significance": float("nan")})
            continue
        scan.append(row(theta2_cut, candidates[i], n_on[i], n_off[i]))
        if score[i] > best_s:  # strictly: a tie keeps the smaller theta^2 cut
            best, best_s = scan[-1], score[i]
    if best is None:  # no candidate: the smallest theta^2 cut, every event
        loosest = float(np.min(g) - 1.0) if len(g) else 0.0
        theta2_cut = scan[0]["theta2_cut"]
        n_on, n_off = counts(theta2_cut, [loosest])
        best = row(theta2_cut, loosest, n_on[0], n_off[0])
    return {**best, "scan": scan, "constant_model": constant_score(g, where)}


def choose_gammaness_cut(
    gammaness, theta_deg, theta_deg_off, theta2_cut: float, *, min_on: int = 5, n_cuts: int = 100
) -> float:
    """The gammaness cut with the largest Li & Ma significance of these ON/OFF counts at a fixed
    theta^2 cut (no truth): :func:`choose_cuts` with one theta^2 candidate.

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
        The cut (events pass ``gammaness > cut``); without a candidate, one below the smallest
        gammaness (0 for no events).
    """
    return choose_cuts(
        gammaness, theta_deg, theta_deg_off, [theta2_cut], min_on=min_on, n_cuts=n_cuts
    )["gammaness_cut"]


def analyse_theta2(
    val_dl3: str | os.PathLike,
    test_dl3: str | os.PathLike,
    out_json: str | os.PathLike,
    theta2_cuts: float | Sequence[float],
    model: str = "",
    min_on: int = 5,
    wobble_offset_deg: float | None = None,
) -> dict:
    """Cuts chosen on ``observed_val``'s DL3, counts and histograms on ``observed_test``'s; JSON.

    Parameters
    ----------
    val_dl3, test_dl3 : path
        The model's DL3 files of observed_val (where the cuts are chosen, :func:`choose_cuts`)
        and of observed_test (where they are applied).
    out_json : path
        Where the result is written (JSON, atomically).
    theta2_cuts : float or sequence of float
        The theta^2 cut, deg^2, or the candidates it is chosen from with the gammaness cut
        (config ``directions.theta2_cuts``; :func:`theta2_candidates`).
    model : str
        The model's name, recorded in the result.
    min_on : int
        Fewest ON events on observed_val a candidate pair of cuts must leave.
    wobble_offset_deg : float, optional
        The source's distance from the camera centre, deg: a theta^2 candidate that lets the ON
        and OFF regions overlap is refused before any cut is chosen.

    Returns
    -------
    dict
        ``model``, ``cut_chosen_on``, ``theta2_cut_candidates`` (deg^2), ``choice``
        (:func:`choose_cuts` on observed_val: the cuts, their counts and significance there, and
        the scan over the theta^2 candidates), ``counts``
        (:func:`iactdl.evaluate.theta2.theta2_counts` on observed_test at the chosen cuts, with
        its hours) and ``histograms`` (:func:`iactdl.evaluate.theta2.theta2_histograms`, as
        lists).
    """
    val = read_dl3(val_dl3, columns=[])
    candidates = theta2_candidates(
        theta2_cuts, n_off=val.theta_off.shape[0], wobble_offset_deg=wobble_offset_deg
    )
    choice = choose_cuts(
        val.events["gamma_prediction"], val.events["theta_deg"], val.theta_off, candidates,
        min_on=min_on, where=f"{val_dl3}: gamma_prediction",
    )  # fmt: skip
    if choice["constant_model"]:  # the tables mark it; the log says so where it was found
        log.warning("model %s: %s", model, choice["constant_model"])
    cut, theta2_cut = choice["gammaness_cut"], choice["theta2_cut"]
    test = read_dl3(test_dl3, columns=[])
    g, t_on, t_off = test.events["gamma_prediction"], test.events["theta_deg"], test.theta_off
    counts = theta2_counts(
        g, t_on, t_off, gammaness_cut=cut, theta2_cut=theta2_cut, ontime_s=test.ontime_s
    )
    hist = theta2_histograms(
        g, t_on, t_off, gammaness_cut=cut, bins=THETA2_BINS, theta2_range=THETA2_RANGE
    )
    what = "the gammaness cut" if len(candidates) == 1 else "the theta^2 and gammaness cuts"
    out = {
        "model": model,
        "cut_chosen_on": f"observed_val ({what}: Li & Ma of the ON/OFF counts, no truth)",
        "theta2_cut_candidates": candidates,
        "choice": choice,
        "counts": counts,
        "histograms": {k: np.asarray(v).tolist() for k, v in hist.items()},
    }
    with atomic_path(out_json) as tmp:
        tmp.write_text(json.dumps(to_json(out), indent=2))
    return out
