"""Saving and loading a fitted baseline: ``model.skops``, ``model.json`` and ``cv.csv``.

``model.skops`` holds the fitted :class:`~iactdl.models.baselines.BaselineModel` in skops' format,
which runs no code when read; loading trusts exactly :data:`TRUSTED_TYPES` (and a stage's
own types its loader names). ``model.json`` holds
kind, task, entry, features, scores and the SHA-256 of ``model.skops``, checked before loading;
``cv.csv`` the out-of-fold predictions. The three are renamed into place together.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

# skops.io is imported in save_baseline and load_baseline (iactdl.models.stored.skops_io: without
# torch), not here: importing it lists every scikit-learn estimator (its default trusted types),
# which imports all of scikit-learn (about 4 s of CPU). The jobs that import this module and never
# read or write a model file (the nets' training, the lecture's sweeps, the figures of
# directions) do not pay for it.
from iactdl import __version__
from iactdl.io import InputError, atomic_paths, to_json
from iactdl.models.baselines.model import BaselineModel
from iactdl.models.stored import model_file_record, skops_io, verified_model_file

__all__ = ["MODEL_FILE", "TRUSTED_TYPES", "baseline_record", "save_baseline", "load_baseline"]

MODEL_FILE = "model.skops"
# Types in our saved models that skops does not trust by default: our own model class (a plain
# dataclass, rebuilt from its fields), the tree structures of random forests and histogram
# boosting, and numpy dtypes (the imputer of the linear models). None runs code when read. Loading
# trusts these and the ones its caller adds (stage 6's ON/OFF models: iactdl.labelnoise.baselines),
# nothing else.
TRUSTED_TYPES = (
    "iactdl.models.baselines.BaselineModel",
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
)


def baseline_record(
    name: str, model: BaselineModel, entry: Mapping, *, n_train: int, seed: int, threads: int,
    fit_seconds: float, **extra,
) -> dict:  # fmt: skip
    """The ``model.json`` of a fitted baseline (plain, ON/OFF or oracle fit; :func:`save_baseline`
    adds the model file's SHA-256): what every fit records, then ``extra``, what this one adds.

    Parameters
    ----------
    name : str
        The model's name.
    model : BaselineModel
        The fitted model (its task, feature names and required columns are recorded).
    entry : mapping
        Its config entry, as plain JSON types.
    n_train : int
        Number of training events.
    seed : int
        The rule's seed.
    threads : int
        Cores the fit used.
    fit_seconds : float
        Wall-clock time of the fit (s).
    **extra
        Further keys of this fit (e.g. ``cv``, ``val`` scores); they may replace the ones
        above, except ``iactdl_version``.

    Returns
    -------
    dict
        The record: the keys above plus ``kind`` ("baseline"), ``task``, ``features``,
        ``required_columns`` and ``iactdl_version``.
    """
    return {
        "name": name,
        "kind": "baseline",
        "task": model.task,
        "entry": entry,
        "features": model.feature_names,
        "required_columns": model.required_columns,
        "n_train": int(n_train),
        "seed": int(seed),
        "threads": int(threads),
        "fit_seconds": fit_seconds,
        **extra,
        "iactdl_version": __version__,
    }


def save_baseline(
    model_dir: str | os.PathLike, model: BaselineModel, meta: Mapping, cv: pd.DataFrame | None
) -> dict:
    """Write ``model.skops`` (the model, skops), ``model.json`` (``meta`` plus the SHA-256 of the
    model file) and, if given, ``cv.csv``: all of them or none (:func:`iactdl.io.atomic_paths`).

    Parameters
    ----------
    model_dir : str or os.PathLike
        Folder to write to (must exist).
    model : BaselineModel
        The fitted model.
    meta : mapping
        The ``model.json`` content (e.g. from :func:`baseline_record`); NaN is written as null.
    cv : pandas.DataFrame or None
        Out-of-fold predictions (``event_id``, ``fold``, ``target``, ``oof_prediction``), or
        None for no ``cv.csv``.

    Returns
    -------
    dict
        The written ``model.json`` content: ``meta`` plus ``model_file`` (name and SHA-256 of
        ``model.skops``, :func:`iactdl.models.stored.model_file_record`).
    """
    sio = skops_io()  # here, not at the top: see the note on imports

    out = Path(model_dir)
    meta = dict(meta)
    files = ([out / "cv.csv"] if cv is not None else []) + [out / MODEL_FILE, out / "model.json"]
    with atomic_paths(*files) as tmps:
        *cv_tmp, model_tmp, info_tmp = tmps
        if cv is not None:
            cv.to_csv(cv_tmp[0], index=False)
        sio.dump(model, model_tmp)
        meta["model_file"] = model_file_record(model_tmp, MODEL_FILE)
        info_tmp.write_text(json.dumps(to_json(meta), indent=2))  # to_json: NaN -> null
    return meta


def load_baseline(model_dir: str | os.PathLike, trusted: tuple[str, ...] = ()) -> BaselineModel:
    """The fitted :class:`BaselineModel` (or subclass) saved by :func:`save_baseline`.

    ``model.skops`` is read only after its SHA-256 matched the one in ``model.json`` and only if
    every type skops does not trust by itself is one of :data:`TRUSTED_TYPES` or ``trusted`` (the
    types of a subclass of another stage, named by the loader of that stage).

    Parameters
    ----------
    model_dir : str or os.PathLike
        Folder written by :func:`save_baseline`.
    trusted : tuple of str, optional
        Further type names (``module.Class``) to trust beside :data:`TRUSTED_TYPES`
        (default none).

    Returns
    -------
    BaselineModel
        The fitted model (or a subclass of it).

    Raises
    ------
    iactdl.io.InputError
        Where ``model.json`` is missing or not JSON, ``model.skops`` is missing, altered (its
        SHA-256 differs), unreadable, holds an untrusted type or no :class:`BaselineModel`.
    """
    info_path = Path(model_dir) / "model.json"
    if not info_path.is_file():
        raise InputError(f"{info_path}: file not found (train the baseline first)")
    try:
        info = json.loads(info_path.read_text())
    except json.JSONDecodeError as err:
        raise InputError(f"{info_path}: not valid JSON ({err})") from None
    path = verified_model_file(model_dir, info)
    sio = skops_io()  # here, not at the top: see the note on imports

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as err:  # noqa: BLE001  (any unreadable file: say which, and why)
        raise InputError(f"{path}: not a readable skops file ({err})") from err
    unexpected = sorted(set(untrusted) - {*TRUSTED_TYPES, *trusted})
    if unexpected:
        raise InputError(
            f"{path}: holds types no baseline of ours has, refused: {unexpected} "
            f"(trusted: {[*TRUSTED_TYPES, *trusted]})"
        )
    model = sio.load(path, trusted=untrusted)
    if not isinstance(model, BaselineModel):
        raise InputError(f"{path}: expected a BaselineModel, got {type(model).__name__}")
    return model
