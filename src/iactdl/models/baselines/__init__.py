"""Baselines: scikit-learn estimators on image parameters, fitted with k-fold cross-validation.

The lecture's first lesson (and FACT's practice, aict-tools): on structured features, logistic
regression and decision-tree ensembles do very well; every deep net is measured against them.

Three modules, one concept each, their names re-exported here:

- :mod:`~.model`: the config entry (:func:`validate_baseline_entry`), :class:`BaselineModel` (the
  fitted estimator with the features it reads: ``required_columns``, ``predict(columns)``) and
  :func:`build_baseline`, from the estimators of :mod:`iactdl.models.estimators`;
- :mod:`~.cross_validation`: :func:`fit_baseline` checks the entry and the training file before
  fitting (unknown estimator or hyper-parameter, a missing feature, missing truth, a single class),
  computes out-of-fold predictions with k-fold cross-validation (stratified for separation), then
  fits the final model on the whole training set;
- :mod:`~.persistence`: the model directory: ``model.skops`` (skops' format, which runs no code when
  read; loading trusts exactly :data:`TRUSTED_TYPES`), ``model.json`` (kind, task, entry, features,
  CV scores and the SHA-256 of ``model.skops``, checked before loading) and ``cv.csv`` (out-of-fold
  predictions), renamed into place together.
"""

from iactdl.models.baselines.cross_validation import (
    cross_validate,
    fit_baseline,
    fit_estimator,
    summarise_cv,
    training_data,
)
from iactdl.models.baselines.model import (
    BASELINE_DEFAULTS,
    BASELINE_KEYS,
    BaselineModel,
    build_baseline,
    forest_mean_prediction,
    validate_baseline_entry,
)
from iactdl.models.baselines.persistence import (
    MODEL_FILE,
    TRUSTED_TYPES,
    baseline_record,
    load_baseline,
    save_baseline,
)

__all__ = [
    "BASELINE_DEFAULTS",
    "BASELINE_KEYS",
    "BaselineModel",
    "validate_baseline_entry",
    "build_baseline",
    "forest_mean_prediction",
    "training_data",
    "cross_validate",
    "fit_estimator",
    "fit_baseline",
    "load_baseline",
    "MODEL_FILE",
    "TRUSTED_TYPES",
    "save_baseline",
    "baseline_record",
    "summarise_cv",
]
