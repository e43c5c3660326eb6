"""Evaluation: metrics (separation and energy from :mod:`iactdl.metrics`, significance),
predictions, figures, summary table.

Import figures from :mod:`iactdl.evaluate.performance_figures` directly (it loads matplotlib).
"""

from iactdl.evaluate.evaluation import EVALUATION_DEFAULTS, energy_bins, evaluate_model
from iactdl.evaluate.predictions import predict_file
from iactdl.evaluate.significance import (
    best_cut_expected_significance,
    li_ma_significance,
    onoff_counts,
)
from iactdl.evaluate.summary import summary_table, write_summary
from iactdl.metrics import (  # re-exported: evaluation's metrics live one layer down
    bias_resolution,
    binned_bias_resolution,
    brier_score,
    calibration_curve,
    cut_at_gamma_efficiency,
    migration_matrix,
    relative_error,
    roc,
    roc_auc,
    roc_auc_bootstrap,
    working_points,
)

__all__ = [
    "EVALUATION_DEFAULTS",
    "best_cut_expected_significance",
    "bias_resolution",
    "binned_bias_resolution",
    "brier_score",
    "calibration_curve",
    "cut_at_gamma_efficiency",
    "energy_bins",
    "evaluate_model",
    "li_ma_significance",
    "migration_matrix",
    "onoff_counts",
    "predict_file",
    "relative_error",
    "roc",
    "roc_auc",
    "roc_auc_bootstrap",
    "summary_table",
    "working_points",
    "write_summary",
]
