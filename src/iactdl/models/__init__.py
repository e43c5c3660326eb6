"""Models behind one interface: baselines (scikit-learn) and nets (PyTorch, ``iactdl.models.nets``).

Every model is a named entry of ``config.yaml: models``. :func:`load_model` reads
``results/models/{model}/model.json`` and dispatches on its ``kind``; the object it returns has
``required_columns`` (the dataset columns it reads) and ``predict(columns) -> dict`` giving
``gammaness`` (task separation, P(gamma) in [0, 1]) or ``energy_pred`` (task energy, TeV),
vectorised over a chunk of events.
"""

from __future__ import annotations

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
    "load_model": "iactdl.models.loading",
    "read_model_info": "iactdl.models.loading",
    "ESTIMATORS": "iactdl.models.estimators",
    "check_hyperparameters": "iactdl.models.estimators",
    "make_estimator": "iactdl.models.estimators",
}
__all__ = [*_LAZY]
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
