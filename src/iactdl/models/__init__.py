"""Models behind one interface: baselines (scikit-learn) and nets (PyTorch, ``iactdl.models.nets``).

Every model is a named entry of ``config.yaml: models``. :func:`load_model` reads
``results/models/{model}/model.json`` and dispatches on its ``kind``; the object it returns has
``required_columns`` (the dataset columns it reads) and ``predict(columns) -> dict`` giving
``gammaness`` (task separation, P(gamma) in [0, 1]) or ``energy_pred`` (task energy, TeV),
vectorised over a chunk of events.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from iactdl._lazy import lazy_exports

# Lazy (iactdl._lazy): importing a submodule (iactdl.models.nets.catalog, .common_entry) runs
# this file; it must not import scikit-learn or torch for that.
_LAZY = {
    "BaselineModel": "iactdl.models.baselines",
    "build_baseline": "iactdl.models.baselines",
    "fit_baseline": "iactdl.models.baselines",
    "load_baseline": "iactdl.models.baselines",
    "validate_baseline_entry": "iactdl.models.baselines",
    "DERIVED_FEATURES": "iactdl.features.derived",
    "compute_derived": "iactdl.features.derived",
    "derived_inputs": "iactdl.features.derived",
    "KINDS": "iactdl.models.common_entry",
    "OUTPUTS": "iactdl.models.common_entry",
    "TARGETS": "iactdl.models.common_entry",
    "TASKS": "iactdl.models.common_entry",
    "validate_model_entry": "iactdl.models.common_entry",
    "DISP_FEATURES": "iactdl.models.disp",
    "DispModel": "iactdl.models.disp",
    "build_disp_model": "iactdl.models.disp",
    "cross_validate_disp": "iactdl.models.disp",
    "ESTIMATORS": "iactdl.models.estimators",
    "check_hyperparameters": "iactdl.models.estimators",
    "make_estimator": "iactdl.models.estimators",
}
__all__ = [*_LAZY, "load_model", "read_model_info"]
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


def read_model_info(model_dir: str | os.PathLike) -> dict:
    """The ``model.json`` of a model directory (kind, task, entry, features, scores)."""
    from iactdl.io import InputError
    from iactdl.models.common_entry import KINDS

    path = Path(model_dir) / "model.json"
    if not path.exists():
        raise InputError(f"{path}: file not found (is {model_dir} a trained model directory?)")
    try:
        info = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not valid JSON ({err})") from None
    if info.get("kind") not in KINDS:
        raise InputError(f"{path}: key 'kind' is {info.get('kind')!r}; expected one of {KINDS}")
    return info


def load_model(model_dir: str | os.PathLike):
    """Load the trained model in ``model_dir`` whatever its kind and stage: the one door.

    ``model.json: loader`` (``"iactdl.fit.onoff_net:load_onoff_net"``), written by a stage whose
    models need more than the plain load (stage 6's ON/OFF models carry their label-noise
    correction), names the package function that loads it; without one, ``kind`` decides. The
    stage's module is imported by name only here, so ``models`` imports no stage.
    """
    info = read_model_info(model_dir)
    if info.get("loader"):
        return _stage_loader(info["loader"], model_dir)(model_dir)
    if info["kind"] == "baseline":
        from iactdl.models.baselines import load_baseline

        return load_baseline(model_dir)
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
