"""Loading a trained model whatever its kind and stage: :func:`load_model`, the one door.

Kept out of the package's ``__init__``: its imports (scikit-learn's and torch's loaders) are what
a job that loads a model runs, not what importing any module of :mod:`iactdl.models` runs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["MODEL_KINDS", "load_model", "read_model_info"]

# kinds a model folder's model.json may name: the config entries' kinds and the disp direction
# model, which rule train_disp trains from config `directions.disp`, not from a `models` entry
MODEL_KINDS = ("baseline", "net", "disp")


def read_model_info(model_dir: str | os.PathLike) -> dict:
    """The ``model.json`` of a model directory (kind, task, entry, features, scores).

    Parameters
    ----------
    model_dir : str or os.PathLike
        A trained model's folder.

    Returns
    -------
    dict
        The parsed ``model.json``.

    Raises
    ------
    iactdl.io.InputError
        Where ``model.json`` is missing, not JSON, or its ``kind`` is not one of
        :data:`MODEL_KINDS` (:data:`iactdl.models.common_entry.KINDS` and ``disp``).
    """
    from iactdl.io import InputError

    path = Path(model_dir) / "model.json"
    if not path.exists():
        raise InputError(f"{path}: file not found (is {model_dir} a trained model directory?)")
    try:
        info = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not valid JSON ({err})") from None
    if info.get("kind") not in MODEL_KINDS:
        raise InputError(
            f"{path}: key 'kind' is {info.get('kind')!r}; expected one of {MODEL_KINDS}"
        )
    return info


def load_model(model_dir: str | os.PathLike):
    """Load the trained model in ``model_dir`` whatever its kind and stage: the one door.

    ``model.json: loader`` (``"iactdl.labelnoise.nets:load_onoff_net"``), written by a stage whose
    models need more than the plain load (stage 6's ON/OFF models carry their label-noise
    correction), names the package function that loads it; without one, ``kind`` decides. The
    stage's module is imported by name only here, so ``models`` imports no stage.

    Parameters
    ----------
    model_dir : str or os.PathLike
        A trained model's folder (``model.json`` and the model file).

    Returns
    -------
    object
        The model, with ``required_columns`` and ``predict(columns)`` (a dict of per-event
        arrays: ``gammaness`` in [0, 1] and/or ``energy_pred`` in TeV; a disp model's
        ``source_x_pred``, ``source_y_pred`` in mm):
        :class:`iactdl.models.baselines.BaselineModel`,
        :class:`iactdl.models.nets.saved.NetPredictor`,
        :class:`iactdl.models.disp.DispModel` (kind ``disp``, through
        :func:`iactdl.models.disp_store.load_disp`) or what the stage's loader returns.

    Raises
    ------
    iactdl.io.InputError
        Where ``model.json`` is missing or invalid, names a loader that is not
        ``iactdl.<module>:load_<model>`` or does not exist, or the model file is refused.
    """
    info = read_model_info(model_dir)
    if info.get("loader"):
        return _stage_loader(info["loader"], model_dir)(model_dir)
    if info["kind"] == "baseline":
        from iactdl.models.baselines import load_baseline

        return load_baseline(model_dir)
    if info["kind"] == "disp":
        from iactdl.models.disp_store import load_disp

        return load_disp(model_dir)
    from iactdl.models.nets import load_net  # torch is imported only where a net is used

    return load_net(model_dir)


def _stage_loader(name: str, model_dir):
    """The function ``"iactdl.module:load_..."`` names; only a package loader, nothing else."""
    import importlib

    from iactdl.io import InputError

    module, _, function = str(name).partition(":")
    if not (module.startswith("iactdl.") and function.startswith("load_")):
        raise InputError(
            f"{Path(model_dir) / 'model.json'}: key 'loader' is {name!r}; expected "
            "'iactdl.<module>:load_<model>' (a loader of this package)"
        )
    try:
        return getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError) as err:
        raise InputError(
            f"{Path(model_dir) / 'model.json'}: loader {name!r} does not exist in this version of "
            f"iactdl ({err}); train the model again"
        ) from None
