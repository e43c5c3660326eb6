"""The observed events' hidden truth, joined to them by ``event_id``: one reader for all callers.

The observation's truth (``{results_dir}/simulated/observed_truth.h5``: ``event_id`` and
:data:`iactdl.io.TRUTH_COLUMNS`) exists only because the embedded default simulates the sky; no
model may learn from it except the oracles, so every claim about adaptation and label noise is
measured honestly (DESIGN.md, "The simulator"). Who may call :func:`read_observed_truth`:

- evaluation (:mod:`iactdl.evaluate`: metrics, the shift diagnostics' truth, the label-noise
  measurement);
- the oracle trainers, whose rule and model names say ``oracle`` (a reference ceiling, never a
  method): :func:`iactdl.fit.train.load_split` with ``truth_path`` and
  :func:`iactdl.labelnoise.baselines.fit_onoff_oracle`.

Nothing else: a new caller is a new place the truth leaks into training or model selection. It
lives in ``io`` (the bottom layer) so both evaluation and the oracles reach it without importing
each other.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from iactdl.io.event_columns import PARTICLE_ID
from iactdl.io.hdf5 import InputError, read_columns

__all__ = ["read_observed_truth"]


def _refuse_repeats(ids: np.ndarray, where) -> None:
    """An event id twice would join one event to two rows (or two events to one truth)."""
    ids = np.sort(ids, kind="stable")
    twice = np.unique(ids[1:][ids[1:] == ids[:-1]])
    if twice.size:
        raise InputError(
            f"{where}: column 'event_id' has {twice.size} repeated value(s) "
            f"(first {twice[:5].tolist()}); expected each event once"
        )


def read_observed_truth(
    truth_path: str | os.PathLike,
    event_id: np.ndarray,
    columns: Sequence[str] = ("particle_id", "true_energy"),
    events_path: str | os.PathLike | None = None,
) -> dict[str, np.ndarray]:
    """The hidden truth of the observed events ``event_id``, row for row in their order.

    Only evaluation and the oracle trainers call this (see the module docstring).

    Parameters
    ----------
    truth_path : path
        The observed truth file (``event_id`` and the truth columns, each event once).
    event_id : (n,) integer array
        The events to look up, each once, in any order (a prediction file's or a split's).
    columns : sequence of str
        Truth columns to return (``particle_id`` is always read).
    events_path : path, optional
        The file ``event_id`` came from, named in the error messages.

    Returns
    -------
    dict of (n,) arrays
        ``columns`` aligned with ``event_id``, plus ``is_gamma`` (int8, 1 where ``particle_id`` is
        :data:`iactdl.io.PARTICLE_ID` ``["gamma"]``). Equal to a pandas inner merge on
        ``event_id`` that keeps the events' order.

    Raises
    ------
    InputError
        An event has no truth row (it would otherwise count as a hadron and bias every observed
        metric), or an ``event_id`` repeats in either file; the message names the file, the count
        and the first event ids.
    """
    event_id = np.asarray(event_id)
    where = f" of {events_path}" if events_path is not None else ""
    _refuse_repeats(event_id, events_path or "events")
    wanted = list(dict.fromkeys(["event_id", "particle_id", *columns]))
    truth = read_columns(truth_path, wanted)
    ids = np.asarray(truth["event_id"])
    _refuse_repeats(ids, truth_path)
    order = np.argsort(ids, kind="stable")
    pos = np.clip(np.searchsorted(ids, event_id, sorter=order), 0, max(ids.size - 1, 0))
    row = order[pos] if ids.size else pos
    found = ids[row] == event_id if ids.size else np.zeros(event_id.size, dtype=bool)
    if not found.all():
        raise InputError(
            f"{truth_path}: no truth row for {int((~found).sum())} of {event_id.size} events"
            f"{where} (event_id {event_id[~found][:5].tolist()} ...); the truth must cover every "
            "observed event (a missing row would count as a hadron)"
        )
    out = {c: np.asarray(truth[c])[row] for c in columns}
    is_gamma = np.asarray(truth["particle_id"])[row] == PARTICLE_ID["gamma"]
    out["is_gamma"] = is_gamma.astype(np.int8)
    return out
