"""Gathering the per-file event files of one sample into one (rule ``gather_features``).

A sample read from several FACT files (:mod:`iactdl.io.run_files`) is extracted and its features
built per file, by jobs of their own; the splits read one features file per sample, which this
writes by appending the parts in order, chunk by chunk (memory stays flat). The predictions of a
split predicted in parts (rule ``gather_predictions``,
:func:`iactdl.evaluate.predictions.gather_predictions`) are gathered here too.

The parts must be one data set: the same columns and dtypes, the same data attributes (what a
stage carries on, e.g. ``n_off_regions``), and no event in two parts (the same run given twice,
under two names, would count its events twice and put copies of one event into train and test).
Anything else is an :class:`~iactdl.io.InputError` naming the part and what differs. What is
naturally per file is kept per file: ``count_*`` attributes are summed, and text attributes that
differ (the source file, the extract summary) become a JSON object by part.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import numpy as np

from iactdl.io.hdf5 import (
    GROUP,
    EventWriter,
    InputError,
    data_attrs,
    iter_chunks,
    open_events,
    read_columns,
)

__all__ = ["gather_events"]

log = logging.getLogger(__name__)


def _layout(path: Path) -> dict[str, tuple]:
    with open_events(path) as f:
        return {name: (ds.dtype.str, ds.shape[1:]) for name, ds in f[GROUP].items()}


def _check_same_layout(paths: list[Path]) -> None:
    first = _layout(paths[0])
    for path in paths[1:]:
        layout = _layout(path)
        if layout != first:
            missing = sorted(set(first) - set(layout))
            extra = sorted(set(layout) - set(first))
            other = sorted(c for c in set(first) & set(layout) if first[c] != layout[c])
            raise InputError(
                f"{path}: not the same columns as {paths[0]} (missing {missing}, extra {extra}, "
                f"dtype or shape differs: {other}); the parts of one sample must come from the "
                "same kind of FACT file and the same config"
            )


def _check_unique_events(paths: list[Path]) -> None:
    """No event in two parts (event_id is FACT's night, run and event number)."""
    if "event_id" not in _layout(paths[0]):
        return
    ids = [read_columns(p, ["event_id"])["event_id"] for p in paths]  # 8 bytes an event
    owner = np.repeat(np.arange(len(paths)), [len(i) for i in ids])
    values = np.concatenate(ids)
    order = np.argsort(values, kind="stable")
    same = np.flatnonzero(np.diff(values[order]) == 0)
    if same.size:
        a, b = owner[order[same[0]]], owner[order[same[0] + 1]]
        where = f"{paths[a]} and {paths[b]}" if a != b else f"{paths[a]} (twice)"
        raise InputError(
            f"{same.size} event(s) appear twice in the parts of one sample, first event_id "
            f"{values[order[same[0]]]} in {where}: the same run given twice (a copy under another "
            "name?); leave one out"
        )


def _gathered_attrs(paths: list[Path], parts: Sequence[str], drop: Collection[str] = ()) -> dict:
    per_part = [{k: v for k, v in data_attrs(p).items() if k not in drop} for p in paths]
    keys = sorted(set().union(*per_part))
    out = {}
    for key in keys:
        values = [a.get(key) for a in per_part]
        if key.startswith("count_"):
            out[key] = int(sum(int(v or 0) for v in values))
        elif all(_same(v, values[0]) for v in values):
            out[key] = values[0]
        elif all(isinstance(v, (str, bytes, type(None))) for v in values):
            text = [v.decode() if isinstance(v, bytes) else v for v in values]
            out[key] = json.dumps(dict(zip(parts, text, strict=True)), sort_keys=True)
        else:
            i = next(i for i, v in enumerate(values) if not _same(v, values[0]))
            raise InputError(
                f"{paths[i]}: attribute {key!r} = {values[i]!r}, but {values[0]!r} in "
                f"{paths[0]}; the parts of one sample must describe the same data"
            )
    return out


def _same(a, b) -> bool:
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))


def gather_events(
    in_paths: Sequence[str | os.PathLike],
    out_path: str | os.PathLike,
    parts: Sequence[str] | None = None,
    config: Mapping | None = None,
    chunk_size: int = 65536,
    part_attrs: Collection[str] | None = None,
) -> int:
    """Append the event files ``in_paths`` (in this order) into ``out_path`` (atomically).

    Parameters
    ----------
    in_paths : sequence of str or os.PathLike
        The parts' event files (group ``events``), at least one; all with the same columns,
        dtypes and data attributes, and (the files of a sample) no ``event_id`` in two of them.
    out_path : str or os.PathLike
        The gathered event file, written whole or not at all.
    parts : sequence of str, optional
        The parts' names, one per file, for the per-part attributes and the logs; default: the
        file names.
    config : Mapping, optional
        The config section the file is made with, stored as a provenance attribute
        (:class:`iactdl.io.hdf5.EventWriter`).
    chunk_size : int
        Events read and appended at a time (memory stays flat in the number of events).
    part_attrs : collection of str, optional
        None (the files of a sample): every data attribute is gathered and ``gathered_parts``
        names the parts. Otherwise the parts are cuts of one file (a split's predictions, by row
        ranges) and these attributes say which cut each is: checked by the caller, they are left
        out, and no ``gathered_parts`` is added, so the file is what the whole would have been;
        ``event_id`` is not checked then (the caller's rows are disjoint, and a simulated split
        holds each sample's own event numbers).

    Returns
    -------
    int
        The number of events written (the sum over the parts).

    Raises
    ------
    iactdl.io.hdf5.InputError
        No part; a part whose columns, dtypes or shapes differ from the first's; an event
        (``event_id``) in two parts; or a non-text data attribute that differs between parts.
        The message names the file(s).
    """
    paths = [Path(p) for p in in_paths]
    if not paths:
        raise InputError(f"{out_path}: no parts to gather")
    parts = list(parts) if parts is not None else [p.name for p in paths]
    _check_same_layout(paths)
    if part_attrs is None:  # cuts of one file hold other rows (checked): the same event_id may
        _check_unique_events(paths)  # be two events of a simulated split (each sample counts)
    attrs = _gathered_attrs(paths, parts, part_attrs or ())
    if part_attrs is None:
        attrs["gathered_parts"] = json.dumps(parts)
    total = 0
    with EventWriter(out_path, config=config, attrs=attrs) as writer:
        for path, part in zip(paths, parts, strict=True):
            n = 0
            for chunk in iter_chunks(path, chunk_size):
                writer.append(chunk)
                n += len(next(iter(chunk.values())))
            log.info("gather %s: %d events from %s (%s)", Path(out_path).name, n, part, path)
            total += n
    log.info("gather %s: %d events from %d parts", out_path, total, len(paths))
    return total
