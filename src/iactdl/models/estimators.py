"""Baseline estimators by name: the only way a config entry becomes a scikit-learn object.

No ``eval`` of strings read from YAML (the habit we avoid from aict-tools): a model entry names an
estimator from :data:`ESTIMATORS` and gives its hyper-parameters as a mapping. Each name has a
classifier (task ``separation``, probabilistic output) and a regressor (task ``energy``, log10 of
the true energy). Hyper-parameters are checked against the estimator's ``get_params()`` before
anything is fitted, so a typo fails at once with the list of what the estimator takes.

Estimators
----------
logistic_regression
    ``SimpleImputer`` (median) + ``StandardScaler`` + ``LogisticRegression`` (standardisation
    makes the L2 penalty treat the features alike); for ``energy`` the same with ``Ridge``, its
    linear counterpart.
    Hyper-parameters are those of the final step (``C``, ``max_iter``, ``alpha``, ...).
random_forest
    Breiman's random forest (``RandomForestClassifier`` / ``RandomForestRegressor``), FACT's own
    separator and energy estimator (aict-tools).
hist_gradient_boosting
    scikit-learn's histogram gradient boosting (LightGBM-style); usually the strongest on tabular
    image parameters.
"""

from __future__ import annotations

from collections.abc import Mapping

from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

__all__ = ["ESTIMATORS", "TASKS", "make_estimator", "check_hyperparameters"]

TASKS = ("separation", "energy")

# name -> task -> estimator class (the final step for pipelines)
ESTIMATORS: dict[str, dict[str, type]] = {
    "logistic_regression": {"separation": LogisticRegression, "energy": Ridge},
    "random_forest": {"separation": RandomForestClassifier, "energy": RandomForestRegressor},
    "hist_gradient_boosting": {
        "separation": HistGradientBoostingClassifier,
        "energy": HistGradientBoostingRegressor,
    },
}

# estimators that get standardised inputs (linear models are not scale invariant; trees are)
_SCALED = {"logistic_regression"}
# estimators whose n_jobs parallelises the fit (LogisticRegression's n_jobs is deprecated and inert;
# histogram boosting uses OpenMP threads, limited by threadpoolctl in the fit)
_PARALLEL = {"random_forest"}


def _final_class(name: str, task: str) -> type:
    if name not in ESTIMATORS:
        raise ValueError(f"unknown estimator '{name}'; known estimators: {sorted(ESTIMATORS)}")
    if task not in TASKS:
        raise ValueError(f"unknown task '{task}'; known tasks: {list(TASKS)}")
    return ESTIMATORS[name][task]


def check_hyperparameters(name: str, task: str, params: Mapping | None) -> None:
    """Raise ``ValueError`` naming every hyper-parameter the estimator does not take.

    ``random_state`` and ``n_jobs`` are set by the pipeline (seed and threads), not by the entry.

    Parameters
    ----------
    name : str
        A key of :data:`ESTIMATORS`.
    task : str
        ``separation`` or ``energy`` (:data:`TASKS`).
    params : mapping or None
        Hyper-parameters of the entry: names of the estimator's (for a pipeline, its final
        step's) ``get_params()``.

    Raises
    ------
    ValueError
        Where ``name`` or ``task`` is unknown, a hyper-parameter is not the estimator's, or
        ``random_state`` or ``n_jobs`` is given.
    """
    cls = _final_class(name, task)
    accepted = set(cls().get_params())
    params = dict(params or {})
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise ValueError(
            f"estimator '{name}' ({cls.__name__}, task {task}) does not take hyper-parameter(s) "
            f"{unknown}; it takes {sorted(accepted)}"
        )
    managed = sorted({"random_state", "n_jobs"} & set(params))
    if managed:
        raise ValueError(
            f"estimator '{name}': {managed} are set from the config seed and the rule's threads; "
            "remove them from the model entry"
        )


def make_estimator(
    name: str,
    task: str,
    params: Mapping | None = None,
    seed: int | None = None,
    n_jobs: int = 1,
) -> BaseEstimator:
    """A fresh, unfitted estimator for ``name`` and ``task`` with ``params`` applied.

    Parameters
    ----------
    name : str
        A key of :data:`ESTIMATORS`.
    task : {"separation", "energy"}
        Classifier or regressor.
    params : mapping, optional
        Hyper-parameters of the estimator (of the final step for pipelines).
    seed : int, optional
        ``random_state`` where the estimator has one: same seed, same model.
    n_jobs : int
        Threads for estimators that parallelise with ``n_jobs`` (random forests).

    Returns
    -------
    sklearn.base.BaseEstimator
        The estimator; for ``logistic_regression`` a ``Pipeline`` of median imputation,
        standardisation and the model (``LogisticRegression`` or ``Ridge``).

    Raises
    ------
    ValueError
        As :func:`check_hyperparameters`.
    """
    check_hyperparameters(name, task, params)
    cls = _final_class(name, task)
    kwargs = dict(params or {})
    accepted = cls().get_params()
    if "random_state" in accepted and seed is not None:
        kwargs["random_state"] = int(seed)
    if name in _PARALLEL:
        kwargs["n_jobs"] = int(n_jobs)
    estimator = cls(**kwargs)
    if name in _SCALED:
        # median imputation: linear models take no NaN (degenerate images); trees route them
        steps = [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
        return Pipeline([*steps, ("model", estimator)])
    return estimator
