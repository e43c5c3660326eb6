"""Metrics of separation, energy estimation and direction reconstruction, on plain arrays.

The lowest layer that scores predictions: model selection (:mod:`iactdl.models` cross-validation)
and evaluation (:mod:`iactdl.evaluate`) both read them from here, so neither imports the other.
"""

from iactdl._lazy import lazy_exports

# Lazy (iactdl._lazy): importing one submodule must not import scikit-learn through this file.
_LAZY = {
    "ONE_SIGMA_QUANTILE": "iactdl.metrics.direction",
    "angular_resolution": "iactdl.metrics.direction",
    "containment": "iactdl.metrics.direction",
    "theta": "iactdl.metrics.direction",
    "bias_resolution": "iactdl.metrics.energy",
    "binned_bias_resolution": "iactdl.metrics.energy",
    "migration_matrix": "iactdl.metrics.energy",
    "relative_error": "iactdl.metrics.energy",
    "brier_score": "iactdl.metrics.separation",
    "calibration_curve": "iactdl.metrics.separation",
    "cut_at_gamma_efficiency": "iactdl.metrics.separation",
    "expected_calibration_error": "iactdl.metrics.separation",
    "roc": "iactdl.metrics.separation",
    "roc_auc": "iactdl.metrics.separation",
    "roc_auc_bootstrap": "iactdl.metrics.separation",
    "working_points": "iactdl.metrics.separation",
}
__all__ = [*_LAZY]
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
