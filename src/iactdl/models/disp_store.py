"""Training, saving and loading the disp baseline of the pipeline (rule ``train_disp``).

The model (:class:`iactdl.models.disp.DispModel`) trains on the simulated diffuse gammas of the
training split (a field of view's worth of source offsets, as FACT's open analysis trains its disp
model on ``gamma_diffuse``); the point-like gammas are left for the evaluation on the test split.
Files: ``model.skops`` (skops, only our class and sklearn's trees trusted) and ``model.json`` (the
config section, counts, the SHA-256 of the model file, checked before loading).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

# skops.io is imported in save_disp and load_disp, not here (the reason:
# iactdl.models.baselines.persistence's note on imports).
from iactdl import __version__
from iactdl.io import InputError, atomic_paths, column_names, read_columns, to_json
from iactdl.models.disp import (
    DISP_FEATURES,
    DispModel,
    build_disp_model,
    read_disp_training_data,
)
from iactdl.models.stored import model_file_record, skops_io, verified_model_file

__all__ = ["DISP_DEFAULTS", "train_disp", "save_disp", "load_disp", "disp_settings"]

MODEL_FILE = "model.skops"
# config `directions.disp` (the schema fills the same defaults): aict-tools' example disp config
DISP_DEFAULTS = {
    "features": list(DISP_FEATURES),
    "n_estimators": 30,
    "max_depth": 20,
    "max_features": "sqrt",
    "project": False,
    "train_sample": "gamma_diffuse",
}
# types skops does not trust by itself: our model class and the forests' trees; nothing else
TRUSTED_TYPES = ("iactdl.models.disp.DispModel", "sklearn.tree._tree.Tree")


def disp_settings(section: Mapping | None) -> dict:
    """Config ``directions.disp`` with the defaults filled in; unknown keys refused.

    Parameters
    ----------
    section : mapping or None
        The config section ``directions.disp`` (keys of :data:`DISP_DEFAULTS`); None: all
        defaults.

    Returns
    -------
    dict
        :data:`DISP_DEFAULTS` updated with ``section``.

    Raises
    ------
    ValueError
        Where ``section`` has a key not in :data:`DISP_DEFAULTS`.
    """
    section = dict(section or {})
    unknown = sorted(set(section) - set(DISP_DEFAULTS))
    if unknown:
        raise ValueError(
            f"config directions.disp: unknown key(s) {unknown}; known {list(DISP_DEFAULTS)}"
        )
    return {**DISP_DEFAULTS, **section}


def train_disp(
    train_path: str | os.PathLike,
    model_dir: str | os.PathLike,
    section: Mapping | None = None,
    *,
    seed: int = 0,
    threads: int = 1,
) -> dict:
    """Fit the disp baseline on the ``train_sample`` rows (default ``gamma_diffuse``) of
    ``train_path`` and save it to ``model_dir``; returns ``model.json``'s content.

    A file without the true source position (``true_source_x/y``) or the image parameters is
    refused naming the file and the column (:func:`iactdl.models.disp.read_disp_training_data`);
    one without rows of ``train_sample`` names the samples it has.

    Parameters
    ----------
    train_path : str or os.PathLike
        The training split's event file; a file without a ``sample`` column is used whole.
    model_dir : str or os.PathLike
        Folder to write ``model.skops`` and ``model.json`` to (must exist).
    section : mapping, optional
        Config ``directions.disp`` (:func:`disp_settings`; default: :data:`DISP_DEFAULTS`).
    seed : int, optional
        The forests' ``random_state`` (default 0).
    threads : int, optional
        The forests' ``n_jobs`` (default 1).

    Returns
    -------
    dict
        The written ``model.json``: name, kind ``disp``, task ``direction``, the settings
        (``entry``), ``n_train`` (rows with a true source), ``seed``, ``fit_seconds`` (s),
        ``iactdl_version`` and ``model_file``.

    Raises
    ------
    iactdl.io.InputError
        Naming the file and the column or sample that is missing.
    ValueError
        Where the section has an unknown key, or the training rows have a single disp sign.
    """
    cfg = disp_settings(section)
    cols = read_disp_training_data(train_path, cfg["features"])
    if "sample" in column_names(train_path):
        sample = read_columns(train_path, ["sample"])["sample"].astype(str)
        rows = np.flatnonzero(sample == cfg["train_sample"])
        if not rows.size:
            raise InputError(
                f"{train_path}: column 'sample' has no {cfg['train_sample']!r} rows "
                f"(it has {sorted(set(sample.tolist()))}); config directions.disp.train_sample"
            )
        cols = {k: v[rows] for k, v in cols.items()}
    model = build_disp_model(
        cfg["features"],
        n_estimators=cfg["n_estimators"],
        max_depth=cfg["max_depth"],
        max_features=cfg["max_features"],
        project=cfg["project"],
        seed=seed,
        threads=threads,
    )
    t0 = time.perf_counter()
    model.fit(cols, str(train_path))
    meta = {
        "name": "disp",
        "kind": "disp",
        "task": "direction",
        "entry": cfg,
        "n_train": int(np.count_nonzero(np.isfinite(cols["true_source_x"]))),
        "seed": int(seed),
        "fit_seconds": time.perf_counter() - t0,
        "iactdl_version": __version__,
    }
    return save_disp(model_dir, model, meta)


def save_disp(model_dir: str | os.PathLike, model: DispModel, meta: Mapping) -> dict:
    """Write ``model.skops`` and ``model.json`` (with the model file's SHA-256), both or none.

    Parameters
    ----------
    model_dir : str or os.PathLike
        Folder to write to (must exist).
    model : DispModel
        The fitted model (skops format).
    meta : mapping
        The ``model.json`` content; NaN is written as null.

    Returns
    -------
    dict
        The written ``model.json`` content: ``meta`` plus ``model_file`` (name and SHA-256,
        :func:`iactdl.models.stored.model_file_record`).
    """
    out = Path(model_dir)
    meta = dict(meta)
    sio = skops_io()  # here, not at the top: see the note on imports

    with atomic_paths(out / MODEL_FILE, out / "model.json") as (model_tmp, info_tmp):
        sio.dump(model, model_tmp)
        meta["model_file"] = model_file_record(model_tmp, MODEL_FILE)
        info_tmp.write_text(json.dumps(to_json(meta), indent=2))
    return meta


def load_disp(model_dir: str | os.PathLike) -> DispModel:
    """The :class:`DispModel` saved by :func:`save_disp`, after its SHA-256 matched.

    Only our model class and scikit-learn's trees are trusted when skops reads the file.

    Parameters
    ----------
    model_dir : str or os.PathLike
        Folder written by :func:`save_disp` (or :func:`train_disp`).

    Returns
    -------
    DispModel
        The fitted model.

    Raises
    ------
    iactdl.io.InputError
        Where ``model.json`` is missing or not JSON, or ``model.skops`` is missing, altered,
        holds an untrusted type or no :class:`DispModel`.
    """
    info_path = Path(model_dir) / "model.json"
    if not info_path.is_file():
        raise InputError(f"{info_path}: file not found (rule train_disp writes it)")
    try:
        info = json.loads(info_path.read_text())
    except json.JSONDecodeError as err:
        raise InputError(f"{info_path}: not valid JSON ({err})") from None
    path = verified_model_file(model_dir, info)
    sio = skops_io()  # here, not at the top: see the note on imports

    untrusted = sio.get_untrusted_types(file=path)
    unexpected = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unexpected:
        raise InputError(f"{path}: holds types a disp model does not have, refused: {unexpected}")
    model = sio.load(path, trusted=untrusted)
    if not isinstance(model, DispModel):
        raise InputError(f"{path}: expected a DispModel, got {type(model).__name__}")
    return model
