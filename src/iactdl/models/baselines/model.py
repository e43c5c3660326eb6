"""A baseline's config entry and its model: a scikit-learn estimator with the columns it reads.

:func:`validate_baseline_entry` checks an entry (estimator and hyper-parameters by name from
:mod:`iactdl.models.estimators`, derived features by name from :mod:`iactdl.features.derived`),
:func:`build_baseline` turns it into an unfitted :class:`BaselineModel`, which implements the common
predict interface (``required_columns``, ``predict(columns)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble._forest import BaseForest
from sklearn.utils.parallel import Parallel, delayed

from iactdl.features.derived import compute_derived, derived_inputs
from iactdl.io import InputError
from iactdl.models.common_entry import OUTPUTS, validate_model_entry
from iactdl.models.estimators import check_hyperparameters, make_estimator

__all__ = [
    "BASELINE_DEFAULTS",
    "BASELINE_KEYS",
    "BaselineModel",
    "build_baseline",
    "forest_mean_prediction",
    "validate_baseline_entry",
]

# Defaults of a baseline entry's optional keys (the schema repeats them; tests/test_defaults.py)
# labelnoise: null = trained on simulations; a section makes an ON/OFF entry, which
# iactdl.labelnoise.baselines trains after taking the section off (base_entry), never fit_baseline
# as it is; adapt: null = not adapted; a section makes an importance-weighted entry
# (iactdl.adapt.importance), likewise
BASELINE_DEFAULTS = {
    "params": {},
    "derived_features": [],
    "cv_folds": 5,
    "labelnoise": None,
    "adapt": None,
}
BASELINE_KEYS = {"kind", "task", "estimator", "features", *BASELINE_DEFAULTS}


def validate_baseline_entry(name: str, entry: Mapping) -> None:
    """Check a baseline entry (common keys, then estimator, hyper-parameters, derived features).

    Parameters
    ----------
    name : str
        The model's name (its key in ``config.yaml: models``).
    entry : mapping
        Its config entry: the keys of :func:`iactdl.models.common_entry.validate_model_entry`,
        ``estimator`` and the optional keys of :data:`BASELINE_DEFAULTS`; no others.

    Raises
    ------
    ValueError
        Naming ``config models.{name}`` and the key: a kind other than ``baseline``, an unknown
        key, a ``labelnoise`` or ``adapt`` section (those entries are trained by their stage), a
        missing or unknown estimator, an unknown hyper-parameter or derived feature, or
        ``cv_folds`` not an integer >= 2.
    """
    validate_model_entry(name, entry)
    where = f"config models.{name}"
    if entry["kind"] != "baseline":
        raise ValueError(f"{where}.kind: {entry['kind']!r} is not a baseline")
    unknown = sorted(set(entry) - BASELINE_KEYS)
    if unknown:
        raise ValueError(
            f"{where}: unknown key(s) {unknown}; a baseline takes {sorted(BASELINE_KEYS)}"
        )
    if entry.get("labelnoise") is not None:
        raise ValueError(
            f"{where}.labelnoise: an ON/OFF entry, trained by iactdl.labelnoise.baselines (rule "
            "train_onoff) on observed ON/OFF labels, not as a simulation-trained baseline"
        )
    if entry.get("adapt") is not None:
        raise ValueError(
            f"{where}.adapt: an adapted entry, trained by iactdl.adapt.importance (rule "
            "train_adapted_baseline) with importance weights, not as a plain baseline"
        )
    if "estimator" not in entry:
        raise ValueError(f"{where}.estimator: missing")
    try:
        check_hyperparameters(entry["estimator"], entry["task"], entry.get("params"))
        derived_inputs(entry.get("derived_features", BASELINE_DEFAULTS["derived_features"]))
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    folds = entry.get("cv_folds", BASELINE_DEFAULTS["cv_folds"])
    if not isinstance(folds, int) or folds < 2:
        raise ValueError(f"{where}.cv_folds: expected an integer >= 2, got {folds!r}")


@dataclass
class BaselineModel:
    """A fitted (or to-be-fitted) baseline and the columns it reads.

    ``predict(columns)`` returns ``{"gammaness": P(gamma)}`` for separation and
    ``{"energy_pred": E / TeV}`` for energy (the estimator regresses log10 E).

    Parameters
    ----------
    name : str
        The model's name (its key in ``config.yaml: models``; named in errors).
    task : str
        ``separation`` or ``energy``.
    features : list of str
        Dataset columns the estimator reads, in design-matrix order.
    estimator : sklearn.base.BaseEstimator
        The scikit-learn estimator (from :func:`iactdl.models.estimators.make_estimator`):
        fitted, or to be fitted on :meth:`design_matrix`.
    derived_features : list of str, optional
        Names of :mod:`iactdl.features.derived` columns computed from the dataset's columns and
        appended after ``features`` (default none).
    """

    name: str
    task: str
    features: list[str]
    estimator: BaseEstimator
    derived_features: list[str] = field(default_factory=list)

    @property
    def required_columns(self) -> list[str]:
        """Dataset columns :meth:`predict` reads: ``features``, then the inputs of the derived
        features not among them."""
        cols = list(self.features)
        return cols + [c for c in derived_inputs(self.derived_features) if c not in cols]

    @property
    def feature_names(self) -> list[str]:
        """Names of the design matrix's columns: ``features``, then ``derived_features``."""
        return list(self.features) + list(self.derived_features)

    def design_matrix(self, columns: Mapping[str, np.ndarray], source: str = "input") -> np.ndarray:
        """(n, n_features) float64; infinities become NaN (the trees route them as missing).

        Parameters
        ----------
        columns : mapping of str to numpy.ndarray
            Dataset columns by name, 1-D, one value per event: at least
            :attr:`required_columns`.
        source : str, optional
            What ``columns`` were read from (a file name), named in errors (default ``input``).

        Returns
        -------
        numpy.ndarray
            Shape (n_events, len(feature_names)), float64, columns in :attr:`feature_names`
            order.

        Raises
        ------
        iactdl.io.InputError
            Where a required column is missing or a feature is not 1-D.
        """
        missing = [c for c in self.required_columns if c not in columns]
        if missing:
            raise InputError(
                f"{source}: model '{self.name}' needs column(s) {missing}; it has {sorted(columns)}"
            )
        parts = [np.asarray(columns[f], dtype=np.float64) for f in self.features]
        parts += list(compute_derived(columns, self.derived_features).values())
        bad = [f for f, p in zip(self.feature_names, parts, strict=True) if p.ndim != 1]
        if bad:
            raise InputError(f"{source}: feature(s) {bad} are not 1-D columns")
        x = np.column_stack(parts) if parts else np.empty((0, 0))
        x[~np.isfinite(x)] = np.nan
        return x

    def predict_array(self, x: np.ndarray) -> np.ndarray:
        """The estimator's raw prediction on a design matrix.

        A forest predicts through :func:`forest_mean_prediction` (its trees summed in tree
        order: reproducible to the bit).

        Parameters
        ----------
        x : numpy.ndarray
            Design matrix, shape (n_events, len(feature_names)) (:meth:`design_matrix`).

        Returns
        -------
        numpy.ndarray
            Shape (n_events,): P(gamma) for separation, log10(E / TeV) for energy.
        """
        if isinstance(self.estimator, BaseForest):
            return forest_mean_prediction(self.estimator, x, self.task == "separation")
        if self.task == "separation":
            return self.estimator.predict_proba(x)[:, 1]
        return self.estimator.predict(x)  # log10(E / TeV)

    def predict(self, columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The model's prediction from dataset columns (the common predict interface).

        Parameters
        ----------
        columns : mapping of str to numpy.ndarray
            Dataset columns by name, 1-D, one value per event: at least
            :attr:`required_columns`.

        Returns
        -------
        dict of str to numpy.ndarray
            One float32 column of shape (n_events,): ``gammaness`` (P(gamma), in [0, 1]) for
            separation or ``energy_pred`` (TeV) for energy.
        """
        raw = self.predict_array(self.design_matrix(columns))
        if self.task == "energy":
            raw = 10.0**raw
        return {OUTPUTS[self.task]: raw.astype(np.float32)}


# The name model files record and load by (skops, TRUSTED_TYPES): the public path, as before the
# split into modules, so models saved then still load and a later move of this file breaks none.
BaselineModel.__module__ = "iactdl.models.baselines"


def forest_mean_prediction(
    forest: BaseForest, x: np.ndarray, proba: bool, block_rows: int = 16384
) -> np.ndarray:
    """The forest's prediction (P(class 1), or the regression), its trees summed in tree order.

    scikit-learn's forests add each tree's prediction to a shared sum in whichever order their
    threads finish, so the last bits of a prediction (and a CV score in the fifth digit) change
    from run to run. Here the trees still predict in parallel (``forest.n_jobs`` threads), but
    the sum runs in tree order: same seed, same bytes. Rows go in blocks, so memory stays
    ``block_rows x n_trees`` values.

    .. math:: \\hat y(x) = \\frac{1}{T} \\sum_{t=1}^{T} \\hat y_t(x)

    summed over the trees ``t`` in the order of ``forest.estimators_`` (Breiman 2001).

    Parameters
    ----------
    forest : sklearn.ensemble._forest.BaseForest
        A fitted random forest (classifier or regressor).
    x : numpy.ndarray
        Design matrix, shape (n_events, n_features); converted to float32 as scikit-learn does.
    proba : bool
        True: average each tree's probability of class 1 (a classifier); False: its regression.
    block_rows : int, optional
        Rows predicted at once (default 16384).

    Returns
    -------
    numpy.ndarray
        Shape (n_events,), float64: the mean over the trees.
    """
    x = np.asarray(x, dtype=np.float32)  # the trees' own dtype (sklearn converts the same way)
    trees = forest.estimators_

    def one_tree(tree, rows):
        if proba:
            return tree.predict_proba(rows, check_input=False)[:, 1]
        return tree.predict(rows, check_input=False)

    out = np.empty(len(x), dtype=np.float64)
    with Parallel(n_jobs=forest.n_jobs, prefer="threads") as parallel:
        for start in range(0, len(x), block_rows):
            rows = np.ascontiguousarray(x[start : start + block_rows])
            parts = parallel(delayed(one_tree)(tree, rows) for tree in trees)
            total = np.zeros(len(rows), dtype=np.float64)
            for part in parts:  # tree order, whatever order the threads finished in
                total += part
            out[start : start + len(rows)] = total / len(trees)
    return out


def build_baseline(name: str, entry: Mapping, seed: int | None = None, threads: int = 1):
    """An unfitted :class:`BaselineModel` from a validated config entry.

    Parameters
    ----------
    name : str
        The model's name (its key in ``config.yaml: models``).
    entry : mapping
        Its config entry, checked by :func:`validate_baseline_entry`.
    seed : int, optional
        The estimator's ``random_state`` where it has one (default None: unseeded).
    threads : int, optional
        ``n_jobs`` of estimators that parallelise with it (random forests; default 1).

    Returns
    -------
    BaselineModel
        With its estimator from :func:`iactdl.models.estimators.make_estimator`, not fitted.

    Raises
    ------
    ValueError
        Where the entry fails :func:`validate_baseline_entry`.
    """
    validate_baseline_entry(name, entry)
    estimator = make_estimator(
        entry["estimator"], entry["task"], entry.get("params"), seed=seed, n_jobs=threads
    )
    return BaselineModel(
        name=name,
        task=entry["task"],
        features=list(entry["features"]),
        estimator=estimator,
        derived_features=list(entry.get("derived_features", BASELINE_DEFAULTS["derived_features"])),
    )
