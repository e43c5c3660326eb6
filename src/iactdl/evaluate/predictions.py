"""Apply a trained model to a dataset file in chunks: ``results/predictions/{model}/{split}.h5``.

Any model :func:`iactdl.models.load_model` returns works (baselines and nets, and ON/OFF models
of stage 6 with their correction: gammaness corrected, p_on raw): the file is streamed in chunks
of the columns the model requires, so memory does not grow with the number of events. The output
keeps ``event_id``, the model's prediction columns, and the columns evaluation needs that the input
has: the truth of simulations (``is_gamma``, ``particle_id``, ``true_energy``, ``sample``) and the
``region`` of observed events.
The observed file's ``n_off_regions`` attribute is carried over for the Li & Ma significance. The
observed truth is never read here.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from iactdl.evaluate.evaluation import EVALUATION_DEFAULTS
from iactdl.io import EventWriter, column_names, iter_chunks, n_events, read_attrs
from iactdl.io.hdf5 import InputError
from iactdl.progress import Progress

__all__ = ["PASSTHROUGH", "predict_file"]

log = logging.getLogger(__name__)

PASSTHROUGH = ("event_id", "is_gamma", "particle_id", "true_energy", "sample", "region")


def predict_file(
    model_dir: str | os.PathLike,
    dataset: str | os.PathLike,
    output: str | os.PathLike,
    chunk_size: int = EVALUATION_DEFAULTS["chunk_size"],
    model_name: str | None = None,
    threads: int = 1,
) -> int:
    """Predict every event of ``dataset`` with the model in ``model_dir``; return the count.

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

    Returns
    -------
    int
        The number of events predicted (all events of ``dataset``).

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
    columns = list(dict.fromkeys(list(model.required_columns) + keep))
    n = 0
    progress = Progress(n_events(dataset), log, what=os.fspath(dataset), verb="predicted")
    with threadpool_limits(threads), EventWriter(output, attrs=attrs) as writer:
        for chunk in iter_chunks(dataset, chunk_size, columns):
            pred = model.predict(chunk)
            out = {c: chunk[c] for c in keep}
            out.update({k: np.asarray(v) for k, v in pred.items()})
            writer.append(out)
            n += len(chunk["event_id"])
            progress.update(n)
    return n
