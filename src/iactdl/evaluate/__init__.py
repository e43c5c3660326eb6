"""Evaluation: metrics (separation, energy, significance), predictions, figures, summary table.

Import figures from :mod:`iactdl.evaluate.figures` directly (it loads matplotlib).
"""

from iactdl.evaluate.energy import (
    bias_resolution,
    binned_bias_resolution,
    migration_matrix,
    relative_error,
)
from iactdl.evaluate.evaluation import EVALUATION_DEFAULTS, energy_bins, evaluate_model
from iactdl.evaluate.metrics import (
    brier_score,
    calibration_curve,
    cut_at_gamma_efficiency,
    roc,
    roc_auc,
    roc_auc_bootstrap,
    working_points,
)
from iactdl.evaluate.predictions import predict_file
from iactdl.evaluate.significance import (
    best_cut_expected_significance,
    li_ma_significance,
    onoff_counts,
)
from iactdl.evaluate.summary import summary_table, write_summary

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
