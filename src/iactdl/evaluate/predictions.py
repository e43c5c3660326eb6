"""Apply a trained model to a dataset file in chunks: ``results/predictions/{model}/{split}.h5``.

Any model :func:`iactdl.models.load_model` returns works (baselines and nets, and ON/OFF models
of stage 6 with their correction: gammaness corrected, p_on raw): the file is streamed in chunks
of the columns the model requires, so memory does not grow with the number of events. The output
keeps ``event_id``, the model's prediction columns, and the columns evaluation needs that the input
has: the truth of simulations (``is_gamma``, ``particle_id``, ``true_energy``, ``sample``) and the
``region`` of observed events.
The observed file's ``n_off_regions`` attribute is carried over for the Li & Ma significance. The
observed truth is never read here.

A large split can be predicted in parts (config ``evaluation.predict_parts``), each by a job of
its own so that a cluster runs them in parallel (rule ``predict_part``): part ``k`` of ``N`` is the
contiguous rows :func:`part_rows` ``[k n // N, (k + 1) n // N)`` of the split's ``n`` events, known
from the file's length when the job runs (planning reads no file), and its file records them
(:data:`PART_ATTRS`). :func:`gather_predictions` (rule ``gather_predictions``) appends the parts
in order into the file the whole split's prediction would have been (same columns, attributes and
rows), refusing parts that do not cover the split's rows exactly once, in order.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from iactdl.evaluate.evaluation import EVALUATION_DEFAULTS
from iactdl.io import EventWriter, column_names, iter_chunks, n_events, read_attrs
from iactdl.io.gather import gather_events
from iactdl.io.hdf5 import InputError
from iactdl.progress import Progress

__all__ = ["PART_ATTRS", "PASSTHROUGH", "gather_predictions", "part_rows", "predict_file"]

log = logging.getLogger(__name__)

PASSTHROUGH = ("event_id", "is_gamma", "particle_id", "true_energy", "sample", "region")

# the attributes of a part's prediction file: its rows [start, stop) and the dataset's row count
PART_ATTRS = ("part_rows", "dataset_rows")


def part_rows(n: int, part: int, parts: int) -> tuple[int, int]:
    """The rows ``[start, stop)`` of part ``part`` of ``parts`` of a file of ``n`` events.

    Contiguous, in order and as even as integers allow (sizes differ by at most one): together the
    parts hold every row once.

    Parameters
    ----------
    n : int
        The file's number of events.
    part : int
        Which part, ``0 <= part < parts``.
    parts : int
        The number of parts, at least 1.

    Returns
    -------
    tuple of int
        ``(part * n // parts, (part + 1) * n // parts)``.

    Raises
    ------
    ValueError
        ``parts`` below 1 or ``part`` not one of them.
    """
    if parts < 1 or not 0 <= part < parts:
        raise ValueError(f"part {part} of {parts}: expected 0 <= part < parts and parts >= 1")
    return part * n // parts, (part + 1) * n // parts


def predict_file(
    model_dir: str | os.PathLike,
    dataset: str | os.PathLike,
    output: str | os.PathLike,
    chunk_size: int = EVALUATION_DEFAULTS["chunk_size"],
    model_name: str | None = None,
    threads: int = 1,
    rows: tuple[int, int] | None = None,
) -> int:
    """Predict every event of ``dataset`` (or its ``rows``) with the model in ``model_dir``;
    return the count.

    Parameters
    ----------
    model_dir : path
        A trained model's folder, loaded with :func:`iactdl.models.load_model`.
    dataset : path
        The event file (features and, for nets, images): the model's required columns and
        ``event_id``; the columns of :data:`PASSTHROUGH` it has are copied to the output.
    output : path
        The prediction file: ``event_id``, the passed-through columns and the model's prediction
        columns (``gammaness``, ``energy_pred``, ...), with the attributes ``model``,
        ``model_dir`` and the input's ``n_off_regions``.
    chunk_size : int
        Events per chunk read, predicted and written.
    model_name : str, optional
        The ``model`` attribute of the output (default: the folder's name).
    threads : int
        Most threads of the numerical libraries (threadpoolctl) while predicting.
    rows : tuple of int, optional
        Predict only the rows ``[start, stop)`` (one part of the split, :func:`part_rows`); the
        output then records them and the dataset's length (attributes ``part_rows`` and
        ``dataset_rows``) for :func:`gather_predictions`. Default: every row, no such attributes.

    Returns
    -------
    int
        The number of events predicted (all events of ``dataset``, or of ``rows``).

    Raises
    ------
    iactdl.io.InputError
        ``dataset`` lacks a column the model needs, or ``event_id``.
    """
    from threadpoolctl import threadpool_limits

    from iactdl.models import load_model

    model = load_model(model_dir)  # any kind and stage (an ON/OFF model with its correction)
    have = column_names(dataset)
    missing = [c for c in model.required_columns if c not in have]
    if missing:
        raise InputError(
            f"{dataset}: model in {model_dir} needs column(s) {missing}; the file has {have}"
        )
    keep = [c for c in PASSTHROUGH if c in have]
    if "event_id" not in keep:
        raise InputError(f"{dataset}: no column 'event_id' (the file has {have})")
    attrs = {k: v for k, v in read_attrs(dataset).items() if k == "n_off_regions"}
    attrs["model"] = str(model_name or os.path.basename(os.fspath(model_dir).rstrip("/")))
    attrs["model_dir"] = os.fspath(model_dir)
    start, stop = 0, n_events(dataset)
    if rows is not None:
        attrs["dataset_rows"] = stop
        start, stop = (int(r) for r in rows)
        attrs["part_rows"] = np.array([start, stop], dtype=np.int64)
    columns = list(dict.fromkeys(list(model.required_columns) + keep))
    n = 0
    progress = Progress(stop - start, log, what=os.fspath(dataset), verb="predicted")
    with threadpool_limits(threads), EventWriter(output, attrs=attrs) as writer:
        for chunk in iter_chunks(dataset, chunk_size, columns, start, stop):
            pred = model.predict(chunk)
            out = {c: chunk[c] for c in keep}
            out.update({k: np.asarray(v) for k, v in pred.items()})
            writer.append(out)
            n += len(chunk["event_id"])
            progress.update(n)
    return n


def gather_predictions(
    parts: Sequence[str | os.PathLike],
    output: str | os.PathLike,
    chunk_size: int = EVALUATION_DEFAULTS["chunk_size"],
) -> int:
    """Append the predictions of a split's parts (in order) into ``output``, atomically.

    ``output`` is what :func:`predict_file` writes for the whole split: the same columns, rows
    and attributes (the parts' ``part_rows`` and ``dataset_rows`` left out). The parts must line
    up: each written by :func:`predict_file` with ``rows``, of one dataset's length, the first
    starting at row 0, each starting where the one before stopped, the last stopping at the end,
    each holding as many events as its rows say; and the same columns and attributes
    (:func:`iactdl.io.gather.gather_events`).

    Parameters
    ----------
    parts : sequence of str or os.PathLike
        The parts' prediction files, in the order of their rows.
    output : str or os.PathLike
        The split's prediction file, written whole or not at all.
    chunk_size : int
        Events read and appended at a time.

    Returns
    -------
    int
        The number of events written (the dataset's).

    Raises
    ------
    iactdl.io.InputError
        No part, or parts that do not line up (a part without its rows, of another dataset
        length, out of order, overlapping or leaving a gap, or with other columns or
        attributes); the message names the file(s).
    """
    paths = [Path(p) for p in parts]
    if not paths:
        raise InputError(f"{output}: no parts to gather")
    cuts = []  # (start, stop) of each part
    total = None  # the dataset's rows, as the first part records them
    for i, path in enumerate(paths):
        attrs = read_attrs(path)
        missing = [a for a in PART_ATTRS if a not in attrs]
        if missing:
            raise InputError(
                f"{path}: no attribute(s) {missing}; expected a part of a split's predictions "
                "(rule predict_part: predict_file with rows), which records its rows"
            )
        start, stop = (int(r) for r in np.asarray(attrs["part_rows"]).ravel())
        total = int(attrs["dataset_rows"]) if total is None else total
        if int(attrs["dataset_rows"]) != total:
            raise InputError(
                f"{path}: a part of a dataset of {attrs['dataset_rows']} events, but {paths[0]} "
                f"is a part of one of {total}: the parts must cut the same dataset (a stale "
                "part? rerun its predict_part job)"
            )
        if n_events(path) != stop - start:
            raise InputError(
                f"{path}: {n_events(path)} events, but its rows [{start}, {stop}) are "
                f"{stop - start}"
            )
        end = cuts[-1][1] if cuts else 0
        if start != end:
            before = f"the part before it, {paths[i - 1]}, stops" if i else "the first must start"
            raise InputError(
                f"{path}: rows [{start}, {stop}), but {before} at row {end}: the parts must "
                "cover the split's rows once, in order"
            )
        cuts.append((start, stop))
    if cuts[-1][1] != total:
        raise InputError(
            f"{paths[-1]}: the last part stops at row {cuts[-1][1]}, but the dataset has {total} "
            "events: a part is missing"
        )
    # a part of no rows (more parts than events) has no columns: left out, unless all are
    kept = [p for p, (start, stop) in zip(paths, cuts, strict=True) if stop > start] or paths[:1]
    return gather_events(
        kept, output, parts=[p.stem for p in kept], chunk_size=chunk_size, part_attrs=PART_ATTRS
    )
