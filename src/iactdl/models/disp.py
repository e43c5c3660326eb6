"""The disp baseline: direction reconstruction from image parameters, as FACT does it.

Two forests on the image parameters (Lessard et al. 2001, Astropart. Phys. 15, 1; FACT's
aict-tools ``aict_train_disp_regressor``): a :class:`~sklearn.ensemble.RandomForestRegressor`
for ``|disp|`` (mm) and a :class:`~sklearn.ensemble.RandomForestClassifier` for its sign (the
head-tail ambiguity). The source position is then ``cog +- |disp|`` along the main axis
(:func:`iactdl.features.disp.reconstruct_source_position`). Targets come from the true source
position (:func:`iactdl.features.disp.true_disp`), so the model trains on gammas, diffuse ones
for a field of view's worth of offsets.

Defaults are aict-tools' example disp config (``examples/config_source.yaml``: 30 trees each,
``max_depth`` 20, ``max_features='sqrt'``, unprojected disp, its 11 features), so the benchmark
``benchmarks/fact_disp.py`` compares the same method, ours against theirs, on the same folds.

:data:`DISP_FEATURES_CAMERA` adds one feature from the image's position in the camera
(:data:`DISP_DERIVED`, computed here when a file lacks it): where the camera centre lies on the
main axis (:func:`iactdl.features.disp.camera_centre_long`, a head-tail hint).

Columns (ours, :mod:`iactdl.io.event_columns`): the features, ``cog_x``, ``cog_y`` (mm), ``delta``
(rad); for training also ``true_source_x``, ``true_source_y`` (mm; NaN rows, hadrons, are left
out). ``predict`` returns ``disp_pred`` (signed, mm), ``disp_sign_score`` (``2 P(+1) - 1`` in
[-1, 1], aict-tools' ``sign_score``), ``source_x_pred``, ``source_y_pred`` (mm).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.model_selection import KFold
from threadpoolctl import threadpool_limits

from iactdl.features.disp import (
    DISP_GEOMETRY_COLUMNS,
    camera_centre_long,
    reconstruct_source_position,
    signed_disp,
    true_disp,
)
from iactdl.io import InputError, column_names, read_columns
from iactdl.metrics.direction import containment, theta
from iactdl.models.baselines import forest_mean_prediction

__all__ = [
    "DISP_DERIVED",
    "DISP_FEATURES",
    "DISP_FEATURES_CAMERA",
    "DISP_TRUTH_COLUMNS",
    "DispModel",
    "build_disp_model",
    "disp_targets",
    "read_disp_training_data",
    "cross_validate_disp",
]

log = logging.getLogger(__name__)

# aict-tools' example disp features (examples/config_source.yaml), all in FACT DL2 and in ours
DISP_FEATURES = (
    "concentration_cog",
    "concentration_core",
    "delta",
    "leakage1",
    "leakage2",
    "length",
    "skewness_long",
    "kurtosis_long",
    "num_islands",
    "size",
    "width",
)
DISP_TRUTH_COLUMNS = ("true_source_x", "true_source_y")
# features computed from the geometry columns when a model lists them (mm; no truth)
DISP_DERIVED = {"camera_centre_long": camera_centre_long}
# aict-tools' features plus where the camera centre lies on the main axis (a head-tail hint from
# the prior that the source is near the pointing; benchmarks/fact_disp.py measures what it adds)
DISP_FEATURES_CAMERA = (*DISP_FEATURES, "camera_centre_long")


def build_disp_model(
    features: Sequence[str] = DISP_FEATURES,
    *,
    n_estimators: int = 30,
    max_depth: int | None = 20,
    max_features: str | float | None = "sqrt",
    project: bool = False,
    seed: int = 0,
    threads: int = 1,
) -> DispModel:
    """An unfitted :class:`DispModel`; the defaults are aict-tools' example disp config.

    Parameters
    ----------
    features : sequence of str, optional
        Feature columns of both forests, in design-matrix order (default :data:`DISP_FEATURES`);
        names in :data:`DISP_DERIVED` are computed from the geometry columns.
    n_estimators : int, optional
        Trees per forest (default 30).
    max_depth : int or None, optional
        Maximum depth of each tree (default 20; None: unlimited).
    max_features : str, float or None, optional
        Features considered at each split (default ``sqrt``), as in scikit-learn.
    project : bool, optional
        Whether the target is the projected ``|disp|`` (:func:`~iactdl.features.disp.true_disp`;
        default False, aict-tools' unprojected one).
    seed : int, optional
        The forests' ``random_state`` (default 0).
    threads : int, optional
        The forests' ``n_jobs`` (default 1).

    Returns
    -------
    DispModel
        A ``RandomForestRegressor`` and a ``RandomForestClassifier`` with these settings, not
        fitted.
    """
    kw = dict(
        n_estimators=n_estimators,
        max_depth=max_depth,
        max_features=max_features,
        random_state=seed,
        n_jobs=threads,
    )
    return DispModel(
        features=list(features),
        regressor=RandomForestRegressor(**kw),
        classifier=RandomForestClassifier(**kw),
        project=project,
    )


def disp_targets(
    columns: Mapping[str, np.ndarray], source: str = "input", project: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(|disp| mm, sign, rows)`` from the true source position, for the rows that have one.

    Parameters
    ----------
    columns : mapping of str to numpy.ndarray
        Event columns by name: ``true_source_x``, ``true_source_y``, ``cog_x``, ``cog_y`` (mm)
        and ``delta`` (rad), one value per event.
    source : str, optional
        What ``columns`` were read from (a file name), named in errors (default ``input``).
    project : bool, optional
        Whether ``|disp|`` is the source offset projected on the main axis rather than its
        distance from the cog (default False; :func:`iactdl.features.disp.true_disp`).

    Returns
    -------
    abs_disp : numpy.ndarray
        Shape (n_rows,): ``|disp|`` (mm) of the rows with a true source.
    sign : numpy.ndarray
        Shape (n_rows,): the disp sign, -1 or +1 (which side of the cog along ``delta`` the
        source lies).
    rows : numpy.ndarray
        Shape (n_rows,): their indices into ``columns`` (finite true source position).

    Raises
    ------
    iactdl.io.InputError
        Naming ``source`` and the column, where the true source position or a geometry column is
        missing, or no row has a finite true source (hadrons only: disp trains on gammas).
    """
    need = list(DISP_TRUTH_COLUMNS) + list(DISP_GEOMETRY_COLUMNS)
    missing = [c for c in need if c not in columns]
    if missing:
        raise InputError(
            f"{source}: the disp model trains on the true source position; column(s) {missing} "
            f"missing (it has {sorted(columns)}). Simulated gammas carry it (FACT: "
            "source_position_x/y, read as true_source_x/y by iactdl.io.fact.read_fact)"
        )
    sx = np.asarray(columns["true_source_x"], dtype=np.float64)
    sy = np.asarray(columns["true_source_y"], dtype=np.float64)
    rows = np.flatnonzero(np.isfinite(sx) & np.isfinite(sy))
    if len(rows) == 0:
        raise InputError(
            f"{source}: column 'true_source_x' has no finite value in {len(sx)} rows; the disp "
            "model trains on gammas (hadrons have NaN there)"
        )
    abs_disp, sign = true_disp(
        sx[rows],
        sy[rows],
        np.asarray(columns["cog_x"])[rows],
        np.asarray(columns["cog_y"])[rows],
        np.asarray(columns["delta"])[rows],
        project=project,
    )
    return abs_disp, sign, rows


@dataclass
class DispModel:
    """``|disp|`` regressor + sign classifier on image parameters (see the module docstring).

    The source position is ``cog + disp (cos delta, sin delta)`` with ``disp = sign |disp|``
    (Lessard et al. 2001): the regressor predicts ``|disp|``, the classifier its sign.

    Parameters
    ----------
    features : list of str, optional
        Feature columns of both forests (default :data:`DISP_FEATURES`); names in
        :data:`DISP_DERIVED` are computed from ``cog_x``, ``cog_y``, ``delta``.
    regressor : sklearn.base.BaseEstimator, optional
        The ``|disp|`` (mm) regressor (default: an unfitted ``RandomForestRegressor``).
    classifier : sklearn.base.BaseEstimator, optional
        The sign classifier, classes -1 and +1 (default: an unfitted
        ``RandomForestClassifier``).
    project : bool, optional
        Whether it trains on the projected ``|disp|`` (default False; :func:`disp_targets`).
    name : str, optional
        Named in errors (default ``disp``).
    """

    features: list[str] = field(default_factory=lambda: list(DISP_FEATURES))
    regressor: BaseEstimator = field(default_factory=RandomForestRegressor)
    classifier: BaseEstimator = field(default_factory=RandomForestClassifier)
    project: bool = False
    name: str = "disp"

    @property
    def required_columns(self) -> list[str]:
        """Columns :meth:`predict` reads: the measured features, then ``cog_x``, ``cog_y``,
        ``delta`` (the geometry from which the derived features and the position follow)."""
        measured = [f for f in self.features if f not in DISP_DERIVED]
        return list(dict.fromkeys(measured + list(DISP_GEOMETRY_COLUMNS)))

    def design_matrix(self, columns: Mapping[str, np.ndarray], source: str = "input") -> np.ndarray:
        """(n, n_features) float64; infinities become NaN (the trees route them as missing).

        Parameters
        ----------
        columns : mapping of str to numpy.ndarray
            Event columns by name, one value per event: at least :attr:`required_columns`.
        source : str, optional
            What ``columns`` were read from (a file name), named in errors (default ``input``).

        Returns
        -------
        numpy.ndarray
            Shape (n_events, len(features)), float64, in ``features`` order (derived features
            computed by :data:`DISP_DERIVED`).

        Raises
        ------
        iactdl.io.InputError
            Where a required column is missing.
        """
        missing = [c for c in self.required_columns if c not in columns]
        if missing:
            raise InputError(
                f"{source}: model '{self.name}' needs column(s) {missing}; it has {sorted(columns)}"
            )
        geometry = [np.asarray(columns[c], dtype=np.float64) for c in DISP_GEOMETRY_COLUMNS]
        x = np.column_stack(
            [
                np.asarray(columns[f], dtype=np.float64)
                if f in columns
                else DISP_DERIVED[f](*geometry)
                for f in self.features
            ]
        )
        x[~np.isfinite(x)] = np.nan
        return x

    def fit(self, columns: Mapping[str, np.ndarray], source: str = "input") -> DispModel:
        """Fit both forests on the rows with a true source position (gammas).

        The forests are replaced by fitted clones: the regressor on ``|disp|`` (mm), the
        classifier on the sign.

        Parameters
        ----------
        columns : mapping of str to numpy.ndarray
            Event columns by name, one value per event: at least :attr:`required_columns`,
            and the true source position ``true_source_x``, ``true_source_y`` (mm).
        source : str, optional
            What ``columns`` were read from (a file name), named in errors (default ``input``).

        Returns
        -------
        DispModel
            This model, fitted.

        Raises
        ------
        iactdl.io.InputError
            Where a column is missing or no row has a true source (:func:`disp_targets`).
        ValueError
            Where every training event has the same disp sign.
        """
        abs_disp, sign, rows = disp_targets(columns, source, self.project)
        x = self.design_matrix(columns, source)[rows]
        if len(np.unique(sign)) < 2:
            raise ValueError(
                f"{source}: all {len(sign)} training events have disp sign {int(sign[0])}; "
                "the sign classifier needs both"
            )
        self.regressor = clone(self.regressor).fit(x, abs_disp)
        self.classifier = clone(self.classifier).fit(x, sign)
        return self

    def predict_parts(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(|disp| mm, P(sign = +1))`` of a design matrix.

        Parameters
        ----------
        x : numpy.ndarray
            Design matrix, shape (n_events, len(features)) (:meth:`design_matrix`).

        Returns
        -------
        abs_disp : numpy.ndarray
            Shape (n_events,), float64: predicted ``|disp|`` (mm), the regressor's tree mean.
        p_plus : numpy.ndarray
            Shape (n_events,), float64: the classifier's P(sign = +1).

        Raises
        ------
        ValueError
            Where the classifier's classes are not [-1, 1].
        """
        if list(self.classifier.classes_) != [-1, 1]:
            raise ValueError(f"sign classifier has classes {self.classifier.classes_}, not [-1, 1]")
        return (
            forest_mean_prediction(self.regressor, x, proba=False),
            forest_mean_prediction(self.classifier, x, proba=True),
        )

    def predict(self, columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Signed disp, sign score and the reconstructed source position (mm) per event.

        The sign is +1 where P(+1) >= 0.5.

        Parameters
        ----------
        columns : mapping of str to numpy.ndarray
            Event columns by name, one value per event: at least :attr:`required_columns`.

        Returns
        -------
        dict of str to numpy.ndarray
            float32, shape (n_events,) each: ``disp_pred`` (signed, mm), ``disp_sign_score``
            (``2 P(+1) - 1`` in [-1, 1]), ``source_x_pred``, ``source_y_pred`` (mm, camera
            frame).
        """
        abs_disp, p_plus = self.predict_parts(self.design_matrix(columns))
        sign = np.where(p_plus < 0.5, -1, 1)
        disp = signed_disp(abs_disp, sign)
        x, y = reconstruct_source_position(
            columns["cog_x"], columns["cog_y"], columns["delta"], disp
        )
        return {
            "disp_pred": disp.astype(np.float32),
            "disp_sign_score": (2.0 * p_plus - 1.0).astype(np.float32),
            "source_x_pred": x.astype(np.float32),
            "source_y_pred": y.astype(np.float32),
        }


def read_disp_training_data(
    path: str | os.PathLike, features: Sequence[str] = DISP_FEATURES
) -> dict[str, np.ndarray]:
    """The columns a :class:`DispModel` trains on, from one of our event/feature files.

    Checks the file's columns first and raises :class:`~iactdl.io.InputError` naming the file and
    the column (a file without ``true_source_x``: observed data, or extracted without truth).

    Parameters
    ----------
    path : str or os.PathLike
        An HDF5 event/feature file of ours (:func:`iactdl.io.read_columns`).
    features : sequence of str, optional
        The model's features (default :data:`DISP_FEATURES`); derived ones are not read.

    Returns
    -------
    dict of str to numpy.ndarray
        The measured features, ``cog_x``, ``cog_y``, ``delta``, the true source position and,
        where the file has them, ``event_id`` and ``true_energy``.

    Raises
    ------
    iactdl.io.InputError
        Naming the file and the missing column.
    """
    have = column_names(path)
    for col in DISP_TRUTH_COLUMNS:
        if col not in have:
            raise InputError(
                f"{path}: no column '{col}' (true source position, mm): the disp model trains on "
                f"simulated gammas with their true source; the file has {have}"
            )
    measured = [f for f in features if f not in DISP_DERIVED]
    need = list(dict.fromkeys(measured + list(DISP_GEOMETRY_COLUMNS)))
    missing = [c for c in need if c not in have]
    if missing:
        raise InputError(f"{path}: the disp model needs column(s) {missing}; the file has {have}")
    extra = [c for c in ("event_id", "true_energy") if c in have]
    return read_columns(path, list(dict.fromkeys(need + list(DISP_TRUTH_COLUMNS) + extra)))


def cross_validate_disp(
    model: DispModel,
    columns: Mapping[str, np.ndarray],
    *,
    folds: int = 5,
    seed: int = 0,
    splits: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    threads: int | None = None,
    source: str = "input",
) -> dict[str, np.ndarray | float]:
    """Out-of-fold disp predictions and their scores on the rows with a true source.

    Each fold fits clones of ``model``'s forests on the other folds (``model`` stays as it is).
    ``theta_deg`` is the angular distance of the reconstructed from the true source position
    (:func:`iactdl.metrics.direction.theta`).

    Parameters
    ----------
    model : DispModel
        The model whose forests are cross-validated.
    columns : mapping of str to numpy.ndarray
        Event columns by name (:func:`read_disp_training_data`): the features, geometry and the
        true source position.
    folds : int, optional
        Number of folds of the default split (default 5).
    seed : int, optional
        Seed of the default split (default 0).
    splits : sequence of ``(train_rows, test_rows)``, optional
        Row indices into the gamma rows (those with a finite true source, in file order), e.g.
        another tool's folds; default ``KFold(folds, shuffle=True, random_state=seed)`` (what
        aict-tools uses).
    threads : int, optional
        Limit of the BLAS/OpenMP thread pools during the fits (default None: no limit); the
        forests' own ``n_jobs`` is set by :func:`build_disp_model`.
    source : str, optional
        What ``columns`` were read from (a file name), named in errors (default ``input``).

    Returns
    -------
    dict
        Per gamma row: ``rows`` (indices into ``columns``), ``fold``, ``theta_deg``,
        ``abs_disp_true``, ``sign_true``, ``disp_pred``, ``disp_sign_score``; and the scores
        ``containment_68_deg`` (:func:`~iactdl.metrics.direction.containment`) and
        ``sign_accuracy``. Rows in no test fold keep fold -1 and NaN predictions and are left
        out of the scores.
    """
    abs_disp, sign, rows = disp_targets(columns, source, model.project)
    x = model.design_matrix(columns, source)[rows]
    if splits is None:
        splits = list(KFold(folds, shuffle=True, random_state=seed).split(x))
    n = len(rows)
    fold = np.full(n, -1, dtype=np.int64)
    pred_abs = np.full(n, np.nan)
    p_plus = np.full(n, np.nan)
    with threadpool_limits(threads):
        for k, (train, test) in enumerate(splits):
            m = DispModel(
                model.features,
                clone(model.regressor),
                clone(model.classifier),
                model.project,
                model.name,
            )
            m.regressor.fit(x[train], abs_disp[train])
            m.classifier.fit(x[train], sign[train])
            pred_abs[test], p_plus[test] = m.predict_parts(x[test])
            fold[test] = k
    sign_pred = np.where(p_plus < 0.5, -1, 1)
    disp = signed_disp(pred_abs, sign_pred)
    xs, ys = reconstruct_source_position(
        np.asarray(columns["cog_x"])[rows],
        np.asarray(columns["cog_y"])[rows],
        np.asarray(columns["delta"])[rows],
        disp,
    )
    sx, sy = (np.asarray(columns[c], dtype=np.float64)[rows] for c in DISP_TRUTH_COLUMNS)
    th = theta(xs, ys, sx, sy)
    tested = fold >= 0
    return {
        "rows": rows,
        "fold": fold,
        "theta_deg": th,
        "abs_disp_true": abs_disp,
        "sign_true": sign,
        "disp_pred": disp,
        "disp_sign_score": 2.0 * p_plus - 1.0,
        "containment_68_deg": containment(th[tested]),
        "sign_accuracy": float(np.mean(sign_pred[tested] == sign[tested])),
    }
