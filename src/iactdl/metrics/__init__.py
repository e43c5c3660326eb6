"""Metrics of separation, energy estimation and direction reconstruction, on plain arrays.

The lowest layer that scores predictions: model selection (:mod:`iactdl.models` cross-validation)
and evaluation (:mod:`iactdl.evaluate`) both read them from here, so neither imports the other.
"""

from iactdl.metrics.direction import (
    ONE_SIGMA_QUANTILE,
    angular_resolution,
    containment,
    theta,
)
from iactdl.metrics.energy import (
    bias_resolution,
    binned_bias_resolution,
    migration_matrix,
    relative_error,
)
from iactdl.metrics.separation import (
    brier_score,
    calibration_curve,
    cut_at_gamma_efficiency,
    expected_calibration_error,
    roc,
    roc_auc,
    roc_auc_bootstrap,
    working_points,
)

__all__ = [
    "ONE_SIGMA_QUANTILE",
    "angular_resolution",
    "bias_resolution",
    "binned_bias_resolution",
    "brier_score",
    "calibration_curve",
    "containment",
    "cut_at_gamma_efficiency",
    "expected_calibration_error",
    "migration_matrix",
    "relative_error",
    "roc",
    "roc_auc",
    "roc_auc_bootstrap",
    "theta",
    "working_points",
]
