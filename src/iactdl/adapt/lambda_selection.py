"""Choose a DANN's ``lambda_max`` without observed truth: the Li & Ma significance on observed_val.

The adaptation study trains every dann/iwdann model once per value of ``adaptation.lambda_grid``
(the *candidates* of one ``{net}~{method}~s{seed}``, which share their training seed and differ by
``lambda_max`` alone; :mod:`iactdl.adapt.study`). Rule ``select_lambda`` keeps the candidate whose
gammaness on ``observed_val`` gives the most significant ON excess: for each candidate, the cut
``gammaness >= c`` with the largest Li & Ma (1983, eq. 17) significance of ``N_on - alpha N_off``
(:func:`iactdl.evaluate.thresholds.li_ma_threshold`, ``alpha = 1 / n_off_regions``), and the
candidate with the largest such significance wins.

Why it is sound: the ON and OFF regions of a wobble observation see the same hadron background
(same camera, same time, same conditions) and differ only by the source's gammas, so above any cut
the excess ``N_on - alpha N_off`` counts gammas and ``alpha N_off`` the hadrons that pass with them.
A better gamma/hadron separator *on the observation* keeps more of the first for fewer of the second
and so gives a more significant excess; it is the quantity an analysis of this observation wants
largest. It reads the ON/OFF ``region`` that every observation has, never the hidden truth: the
prediction files of observed_val carry no truth, and only ``event_id``, ``gammaness`` and
``region`` are read here.

Known weaknesses:

- The maximum over cuts on a finite observed_val is an optimistic, noisy statistic (the best of many
  correlated tests); with few ON gammas the significances of close candidates differ by less than
  their fluctuation, and the choice between them is then a coin toss. The selection says how
  firm it is: it is made again on bootstrap resamples of observed_val (paired: the same events
  for every candidate), and ``bootstrap_wins`` is each candidate's share of them; the grid table,
  ``paper/adaptation_lambda.csv``, shows what the choice gained or cost on observed_test. On the
  default run's observed_val (39k events), two nets 0.06 apart in observed AUC were told apart in
  88% of resamples, 0.01 apart in 60%, and DANN's lambdas move the AUC by about 0.01. Cuts keeping
  fewer than 10 ON events are not considered (fewer on a tiny observed_val: all of its ON events).
- It rewards separation at the best working point only, not the whole ROC curve (the AUC that the
  table reports on observed_test).
- The choice is made on observed_val and the table scores the chosen candidate on observed_test:
  not in-sample (the events differ), but the table's Li & Ma significance on observed_test (at the
  simulation-chosen cut) measures the same kind of thing as the criterion, so it favours the
  chosen candidate more than the AUC does; judge the choice by the AUC.

Ties (equal significance) go to the smallest ``lambda_max``, the weaker adversary.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from iactdl.adapt.study import parse
from iactdl.evaluate.thresholds import constant_score, li_ma_threshold
from iactdl.io import InputError, column_names, read_attrs, read_columns, write_json
from iactdl.io.jsonfile import read_json

__all__ = ["LAMBDA_CRITERION", "observed_val_significance", "select_lambda", "read_selection"]

LAMBDA_CRITERION = (
    "lambda_max of the candidate with the largest Li & Ma significance of the ON excess on "
    "observed_val at its own best gammaness cut (alpha = 1 / n_off_regions; ON/OFF regions only, "
    "no observed truth); ties to the smallest lambda_max"
)
# what is read from a prediction file: never the truth (observed predictions carry none)
READ_COLUMNS = ("event_id", "gammaness", "region")
MIN_ON = 10  # a cut keeping fewer ON events is a fluctuation, not a working point


def _read(path: str | os.PathLike) -> tuple[dict, int]:
    """The columns the criterion needs and ``n_off_regions`` of one prediction file, checked."""
    have = column_names(path)
    missing = [c for c in READ_COLUMNS if c not in have]
    if missing:
        raise InputError(
            f"{path}: column(s) {missing} missing (predictions on observed_val need "
            f"{list(READ_COLUMNS)}); the file has {have}"
        )
    n_off = read_attrs(path).get("n_off_regions")
    if n_off is None or int(n_off) < 1:
        raise InputError(
            f"{path}: attribute n_off_regions is {n_off!r}; expected an integer >= 1 (carried from "
            "the observed dataset by predict; alpha = 1 / n_off_regions)"
        )
    data = read_columns(path, list(READ_COLUMNS))
    region = np.asarray(data["region"])
    n_off = int(n_off)
    n_on_all = int(np.count_nonzero(region == 0))
    n_off_all = int(np.count_nonzero((region >= 1) & (region <= n_off)))
    if n_on_all == 0 or n_off_all == 0:
        empty = "ON (region 0)" if n_on_all == 0 else f"OFF (region 1..{n_off})"
        raise InputError(
            f"{path}: no {empty} events among its {region.size} (ON {n_on_all}, OFF {n_off_all}); "
            "the Li & Ma significance needs both: is observed_val empty or not an ON/OFF "
            "observation?"
        )
    return data, n_off


def _best_cut(gammaness, region, n_off: int, min_on: int, where) -> dict:
    """li_ma_threshold with ``min_on`` lowered to the ON events there are (a tiny observed_val)."""
    n_on_all = int(np.count_nonzero(region == 0))
    try:
        return li_ma_threshold(gammaness, region, n_off, max(1, min(min_on, n_on_all)))
    except ValueError as err:
        raise InputError(f"{where}: {err}") from None


def observed_val_significance(path: str | os.PathLike, min_on: int = MIN_ON) -> dict:
    """The best truth-free cut of one prediction file on observed_val (see the module doc).

    Parameters
    ----------
    path : str or os.PathLike
        A model's predictions on observed_val (``gammaness``, ``region``).
    min_on : int
        The fewest ON events a cut may keep; lowered to the file's ON events when it has fewer.

    Returns
    -------
    dict
        ``li_ma_threshold``'s ``cut``, ``n_on``, ``n_off``, ``excess`` and
        ``li_ma_significance``, and ``constant_model``: ``None``, or why the gammaness ranks
        nothing (:func:`iactdl.evaluate.thresholds.constant_score`: one value for every event,
        so the "best cut" keeps every event; a table marks such a model instead of scoring it).
    """
    data, n_off = _read(path)
    best = _best_cut(data["gammaness"], np.asarray(data["region"]), n_off, min_on, path)
    return {**best, "constant_model": constant_score(data["gammaness"], f"{path}: gammaness")}


def _choose(sig: np.ndarray, lam: np.ndarray) -> int:
    """The largest significance; among equal ones the smallest lambda_max."""
    return int(np.lexsort((lam, -sig))[0])  # lexsort: the last key first


def select_lambda(
    candidates: Sequence[str],
    predictions: Sequence[str | os.PathLike],
    output: str | os.PathLike | None = None,
    min_on: int = MIN_ON,
    n_bootstrap: int = 200,
    seed: int = 0,
) -> dict:
    """Pick the ``lambda_max`` of one selection from its candidates' predictions on observed_val.

    Parameters
    ----------
    candidates : sequence of str
        Names ``{net}~{method}@{lambda}~s{seed}`` of one selection (the lambda is read from the
        name).
    predictions : sequence of str or os.PathLike
        Each candidate's predictions on observed_val (rule ``predict``), in the same order; they
        must hold the same events.
    output : str or os.PathLike, optional
        The selection's json (written whole or not at all), if given.
    min_on : int
        The fewest ON events a cut may keep.
    n_bootstrap, seed : int
        Resamples of observed_val (the same events for every candidate) on which the choice is
        made again: each candidate's share of wins, ``bootstrap_wins``, says how firm the choice
        is (the criterion's noise; 0: no resampling).

    Returns
    -------
    dict
        ``selection``, ``criterion``, the chosen ``lambda_max`` and ``model``, its
        ``bootstrap_wins``, and per candidate (grid order) its ``lambda_max``, ``model``, best cut
        on observed_val and ``bootstrap_wins``.

    Raises
    ------
    ValueError
        No candidates, not one file per candidate, names that are no candidates, or candidates
        of several selections.
    InputError
        Prediction files of different events or different ``n_off_regions``.
    """
    candidates, predictions = list(candidates), list(predictions)
    if not candidates or len(candidates) != len(predictions):
        raise ValueError(
            f"select_lambda: {len(candidates)} candidate(s) and {len(predictions)} prediction "
            "file(s); expected one file per candidate, at least one"
        )
    parsed = [parse(name) for name in candidates]
    bad = [n for n, p in zip(candidates, parsed, strict=True) if p is None or p.lambda_max is None]
    if bad:
        raise ValueError(
            f"select_lambda: {bad} are not lambda-grid candidates ({{net}}~{{method}}@{{lambda}}"
            "~s{seed})"
        )
    selections = sorted({p.selection for p in parsed})
    if len(selections) != 1:
        raise ValueError(f"select_lambda: the candidates belong to {selections}; expected one")
    rows, scores, first = [], [], None
    for name, p, path in zip(candidates, parsed, predictions, strict=True):
        data, n_off = _read(path)
        order = np.argsort(data["event_id"], kind="stable")  # row i: the same event in every file
        event_id, region = data["event_id"][order], np.asarray(data["region"])[order]
        if first is None:
            first = (path, event_id, region, n_off)
        elif not (np.array_equal(first[1], event_id) and np.array_equal(first[2], region)):
            raise InputError(
                f"{path}: not the events of {first[0]} ({event_id.size} vs {first[1].size} "
                "events, or other regions); candidates must be compared on the same observed_val"
            )
        elif n_off != first[3]:
            raise InputError(f"{path}: n_off_regions {n_off}, {first[0]}: {first[3]}")
        scores.append(np.asarray(data["gammaness"], dtype=np.float64)[order])
        best = _best_cut(scores[-1], region, n_off, min_on, path)
        rows.append({"model": name, "lambda_max": p.lambda_max, **best})
    sig = np.array([r["li_ma_significance"] for r in rows])
    lam = np.array([r["lambda_max"] for r in rows])
    chosen = _choose(sig, lam)
    # the same resamples for every candidate (paired): how often would another observed_val of
    # this size have chosen each one? One vectorised scan per candidate and resample.
    _, _, region, n_off = first
    where = f"a bootstrap resample of {first[0]}"
    wins = np.zeros(len(rows))
    rng = np.random.default_rng(seed)
    for _ in range(int(n_bootstrap)):
        i = rng.integers(0, region.size, region.size)
        s = [_best_cut(g[i], region[i], n_off, min_on, where)["li_ma_significance"] for g in scores]
        wins[_choose(np.array(s), lam)] += 1
    share = wins / n_bootstrap if n_bootstrap else np.full(len(rows), np.nan)
    for r, w in zip(rows, share, strict=True):
        r["bootstrap_wins"] = float(w)
    result = {
        "selection": selections[0],
        "criterion": LAMBDA_CRITERION,
        "lambda_max": rows[chosen]["lambda_max"],
        "model": rows[chosen]["model"],
        "bootstrap_wins": float(share[chosen]),
        "n_bootstrap": int(n_bootstrap),
        "n_off_regions": n_off,
        "candidates": rows,
    }
    if output is not None:
        write_json(output, result)
    return result


def read_selection(path: str | os.PathLike) -> dict:
    """A selection's json (rule ``select_lambda``), checked for the keys the table reads.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    dict
        Its content.

    Raises
    ------
    InputError
        A missing or malformed file, or one without the keys the table reads.
    """
    try:
        sel = read_json(path)
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: not a readable lambda selection ({err})") from None
    missing = [k for k in ("selection", "lambda_max", "model", "candidates") if k not in sel]
    if missing:
        raise InputError(f"{path}: key(s) {missing} missing; not a selection of select_lambda")
    return sel
