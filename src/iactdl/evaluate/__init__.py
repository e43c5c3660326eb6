"""Evaluation: metrics (separation and energy from :mod:`iactdl.metrics`, significance),
predictions, figures, summary table.

Import figures from :mod:`iactdl.evaluate.performance_figures` directly (it loads matplotlib).
"""

from iactdl._lazy import lazy_exports

# Lazy (iactdl._lazy): importing one submodule must not import scikit-learn and matplotlib
# through this file.
_LAZY = {
    "EVALUATION_DEFAULTS": "iactdl.evaluate.evaluation",
    "energy_bins": "iactdl.evaluate.evaluation",
    "evaluate_model": "iactdl.evaluate.evaluation",
    "predict_file": "iactdl.evaluate.predictions",
    "best_cut_expected_significance": "iactdl.evaluate.significance",
    "li_ma_significance": "iactdl.evaluate.significance",
    "onoff_counts": "iactdl.evaluate.significance",
    "summary_table": "iactdl.evaluate.summary",
    "dl3_theta2": "iactdl.evaluate.theta2",
    "theta2_counts": "iactdl.evaluate.theta2",
    "theta2_histograms": "iactdl.evaluate.theta2",
    "write_summary": "iactdl.evaluate.summary",
    "bias_resolution": "iactdl.metrics",
    "binned_bias_resolution": "iactdl.metrics",
    "brier_score": "iactdl.metrics",
    "calibration_curve": "iactdl.metrics",
    "cut_at_gamma_efficiency": "iactdl.metrics",
    "migration_matrix": "iactdl.metrics",
    "relative_error": "iactdl.metrics",
    "roc": "iactdl.metrics",
    "roc_auc": "iactdl.metrics",
    "roc_auc_bootstrap": "iactdl.metrics",
    "working_points": "iactdl.metrics",
}
__all__ = [*_LAZY]
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
