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

from iactdl.io import InputError
from iactdl.models.baselines import (
    BaselineModel,
    build_baseline,
    fit_baseline,
    load_baseline,
    validate_baseline_entry,
)
from iactdl.models.derived import DERIVED_FEATURES, compute_derived, derived_inputs
from iactdl.models.disp import DISP_FEATURES, DispModel, build_disp_model, cross_validate_disp
from iactdl.models.entry import KINDS, OUTPUTS, TARGETS, TASKS, validate_model_entry
from iactdl.models.registry import ESTIMATORS, check_hyperparameters, make_estimator

__all__ = [
    "BaselineModel",
    "DERIVED_FEATURES",
    "DISP_FEATURES",
    "DispModel",
    "ESTIMATORS",
    "KINDS",
    "OUTPUTS",
    "TARGETS",
    "TASKS",
    "build_baseline",
    "build_disp_model",
    "check_hyperparameters",
    "compute_derived",
    "cross_validate_disp",
    "derived_inputs",
    "fit_baseline",
    "load_baseline",
    "load_model",
    "read_model_info",
    "make_estimator",
    "validate_baseline_entry",
    "validate_model_entry",
]


def read_model_info(model_dir: str | os.PathLike) -> dict:
    """The ``model.json`` of a model directory (kind, task, entry, features, scores)."""
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
    """Load the trained model in ``model_dir`` whatever its kind (``model.json: kind``)."""
    info = read_model_info(model_dir)
    if info["kind"] == "baseline":
        return load_baseline(model_dir)
    from iactdl.models.nets import load_net  # torch is imported only where a net is used

    return load_net(model_dir)
