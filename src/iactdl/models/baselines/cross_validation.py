"""Fitting a baseline: its training data checked, k-fold cross-validation, the final fit.

:func:`fit_baseline` checks the entry and the training file before fitting (unknown estimator or
hyper-parameter, a missing feature, missing truth, a single class), computes out-of-fold
predictions with k-fold cross-validation (stratified for separation), then fits the final model on
the whole training set and saves it (:mod:`iactdl.models.baselines.persistence`).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from iactdl.io import InputError, column_names, n_events, read_columns
from iactdl.metrics import bias_resolution, roc_auc
from iactdl.models.baselines.model import BASELINE_DEFAULTS, BaselineModel, build_baseline
from iactdl.models.baselines.persistence import baseline_record, save_baseline

__all__ = [
    "training_data",
    "cross_validate",
    "fit_estimator",
    "fit_baseline",
    "summarise_cv",
]

log = logging.getLogger(__name__)


def training_data(model: BaselineModel, path: str | os.PathLike):
    """Read the design matrix and target of ``path`` for ``model.task``; check before fitting.

    Separation: every event, y = ``is_gamma`` (0/1); energy: the gammas with a finite, positive
    ``true_energy`` only, y = log10(``true_energy`` / TeV).

    Parameters
    ----------
    model : BaselineModel
        The model to fit: its ``task`` and ``required_columns`` say what is read.
    path : str or os.PathLike
        Dataset file (``results/datasets/{split}.h5``).

    Returns
    -------
    x : numpy.ndarray
        Design matrix, shape (n_events, n_features), float64
        (:meth:`~iactdl.models.baselines.BaselineModel.design_matrix`).
    y : numpy.ndarray
        Target, shape (n_events,): int64 0/1 (separation) or log10(E / TeV) (energy).
    event_id : numpy.ndarray
        Shape (n_events,): the file's ``event_id`` (the row index where it has none).

    Raises
    ------
    iactdl.io.InputError
        Naming the file and the missing feature or truth column (with what the file has).
    ValueError
        For a training set a fit cannot use: a single class (separation), fewer than two gammas
        with a valid energy (energy).
    """
    have = column_names(path)
    missing = [c for c in model.required_columns if c not in have]
    if missing:
        raise InputError(
            f"{path}: model '{model.name}' needs feature column(s) {missing}; the file has {have}"
        )
    truth = "is_gamma" if model.task == "separation" else "true_energy"
    if truth not in have:
        raise InputError(
            f"{path}: task '{model.task}' of model '{model.name}' needs the truth column "
            f"'{truth}', which the file lacks (it has {have})"
        )
    extra = [c for c in ("is_gamma", "event_id") if c in have and c != truth]
    cols = read_columns(path, list(dict.fromkeys(model.required_columns + [truth] + extra)))
    x = model.design_matrix(cols, source=str(path))
    n = len(x)
    event_id = cols.get("event_id", np.arange(n))
    if model.task == "separation":
        y = np.asarray(cols["is_gamma"]).astype(np.int64)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                f"{path}: model '{model.name}': the training set has a single class "
                f"(is_gamma == {classes.tolist()} for all {n} events); separation needs gammas "
                "and hadrons"
            )
    else:
        keep = np.asarray(cols["is_gamma"]).astype(bool) if "is_gamma" in cols else np.ones(n, bool)
        energy = np.asarray(cols["true_energy"], dtype=np.float64)
        keep &= np.isfinite(energy) & (energy > 0)
        x, event_id, y = x[keep], event_id[keep], np.log10(energy[keep])
        if len(y) < 2:
            raise ValueError(
                f"{path}: model '{model.name}': {len(y)} gamma(s) with a valid true_energy; "
                "the energy task needs gammas"
            )
    return x, y, np.asarray(event_id)


def fit_estimator(estimator: BaseEstimator, x, y, sample_weight=None) -> BaseEstimator:
    """``estimator.fit(x, y)``, each event's loss weighted by ``sample_weight`` if given (a
    pipeline passes them to its final step: the imputer and scaler stay unweighted).

    Parameters
    ----------
    estimator : sklearn.base.BaseEstimator
        The estimator to fit, in place.
    x : numpy.ndarray
        Design matrix, shape (n_events, n_features).
    y : numpy.ndarray
        Target, shape (n_events,).
    sample_weight : numpy.ndarray, optional
        One non-negative weight per event (default None: unweighted).

    Returns
    -------
    sklearn.base.BaseEstimator
        ``estimator``, fitted.
    """
    if sample_weight is None:
        return estimator.fit(x, y)
    if isinstance(estimator, Pipeline):
        return estimator.fit(x, y, **{f"{estimator.steps[-1][0]}__sample_weight": sample_weight})
    return estimator.fit(x, y, sample_weight=sample_weight)


def _scores(task: str, y: np.ndarray, pred: np.ndarray, weight=None) -> dict[str, float]:
    """Fold scores: ROC AUC for separation (each event counted ``weight`` times if given);
    bias, resolution (68 % containment) for energy."""
    if task == "separation":
        return {"roc_auc": float(roc_auc(y, pred, sample_weight=weight))}
    if weight is not None:
        raise ValueError("weighted scores: task separation only")
    bias, res = bias_resolution(10.0**y, 10.0**pred)
    return {"bias": float(bias), "resolution": float(res)}


def cross_validate(model: BaselineModel, x, y, n_folds: int = 5, seed: int = 0, sample_weight=None):
    """Out-of-fold predictions and per-fold scores with k-fold CV (stratified for separation).

    Returns ``(oof, fold, scores)``: the prediction of each event by the model that did not see it,
    its fold number and a list of score dicts, one per fold. With ``sample_weight`` (one per
    event), every fold is fitted and scored with the weights of its events.

    Each fold fits a clone of ``model.estimator`` (which stays unfitted) on the other folds.
    Scores: ``roc_auc`` for separation (:func:`iactdl.metrics.roc_auc`); ``bias`` and
    ``resolution`` of E_pred / E_true for energy (:func:`iactdl.metrics.bias_resolution`).

    Parameters
    ----------
    model : BaselineModel
        The model whose estimator is cross-validated.
    x : numpy.ndarray
        Design matrix, shape (n_events, n_features).
    y : numpy.ndarray
        Target, shape (n_events,): 0/1 (separation) or log10(E / TeV) (energy).
    n_folds : int, optional
        Number of folds k (default 5).
    seed : int, optional
        Seed of the shuffled split (default 0).
    sample_weight : numpy.ndarray, optional
        One weight per event, separation only (default None: unweighted).

    Returns
    -------
    oof : numpy.ndarray
        Shape (n_events,), float64: out-of-fold P(gamma) or log10(E / TeV).
    fold : numpy.ndarray
        Shape (n_events,), int64: the fold (0 .. k-1) in which each event was predicted.
    scores : list of dict
        One dict of score name to float per fold.

    Raises
    ------
    ValueError
        Where the smaller class (separation) or the training set (energy) has fewer events than
        folds, or weights are given for the energy task.
    """
    if model.task == "separation":
        counts = np.bincount(y)
        if counts.min() < n_folds:
            raise ValueError(
                f"model '{model.name}': {counts.min()} events in the smaller class, fewer than "
                f"cv_folds = {n_folds}"
            )
        splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    else:
        if len(y) < n_folds:
            raise ValueError(f"model '{model.name}': {len(y)} events, fewer than {n_folds} folds")
        splitter = KFold(n_folds, shuffle=True, random_state=seed)
    oof = np.empty(len(y), dtype=np.float64)
    fold = np.empty(len(y), dtype=np.int64)
    scores = []

    def w(rows):
        return None if sample_weight is None else sample_weight[rows]

    for k, (tr, te) in enumerate(splitter.split(x, y)):
        est = fit_estimator(clone(model.estimator), x[tr], y[tr], w(tr))
        part = BaselineModel(model.name, model.task, model.features, est, model.derived_features)
        oof[te] = part.predict_array(x[te])
        fold[te] = k
        scores.append(_scores(model.task, y[te], oof[te], w(te)))
        log.info("model %s fold %d/%d: %s", model.name, k + 1, n_folds, scores[-1])
    return oof, fold, scores


def summarise_cv(scores: list[dict]) -> dict:
    """Per-fold scores and, per score, their mean and standard deviation (``model.json: cv``).

    Parameters
    ----------
    scores : list of dict
        One dict of score name to value per fold (as :func:`cross_validate` returns), at least
        one, all with the keys of the first.

    Returns
    -------
    dict
        ``folds``: ``scores``; per score ``key``: its mean over the folds, and ``{key}_std``:
        their population standard deviation (ddof 0).
    """
    out = {"folds": scores}
    for key in scores[0]:
        vals = np.array([s[key] for s in scores])
        out[key] = float(vals.mean())
        out[f"{key}_std"] = float(vals.std())
    return out


def fit_baseline(
    train: str | os.PathLike,
    model_dir: str | os.PathLike,
    name: str,
    entry: Mapping,
    seed: int = 0,
    threads: int = 1,
    val: str | os.PathLike | None = None,
    *,
    sample_weight: np.ndarray | None = None,
    val_weight: np.ndarray | None = None,
    record: Mapping | None = None,
) -> BaselineModel:
    """Validate, cross-validate, fit and save one baseline into ``model_dir``.

    Parameters
    ----------
    train, val : path
        Dataset files (``results/datasets/{split}.h5``); ``val`` is only scored, never fitted.
    model_dir : path
        Receives ``model.skops``, ``model.json``, ``cv.csv`` (renamed into place together, so
        either all three are complete or none is new).
    name, entry : str, mapping
        The model's name and config entry.
    seed : int
        The rule's seed: CV folds and the estimator's ``random_state``.
    threads : int
        Cores to use (``n_jobs`` of forests, OpenMP threads of histogram boosting).
    sample_weight, val_weight : arrays, optional
        One weight per event of ``train`` and ``val`` (task separation; e.g. importance weights,
        :mod:`iactdl.adapt.importance`): the CV folds and the final model are fitted with them, and
        ``cv`` and ``val`` in ``model.json`` are weighted scores (the unweighted ones beside them
        as ``cv_unweighted``, ``val_unweighted``); ``cv.csv`` gains a ``weight`` column.
    record : mapping, optional
        Keys added to (or replacing those of) ``model.json``.

    Returns
    -------
    BaselineModel
        The model fitted on the whole training set (as saved in ``model_dir``).

    Raises
    ------
    iactdl.io.InputError
        Where a training or validation file lacks a column the model needs.
    ValueError
        Where the entry is invalid, the training set unusable (see :func:`training_data`,
        :func:`cross_validate`) or the weights do not fit it.
    """
    entry = json.loads(json.dumps(dict(entry)))  # plain types (Snakemake hands its own)
    model = build_baseline(name, entry, seed=seed, threads=threads)
    x, y, event_id = training_data(model, train)
    weighted = sample_weight is not None
    if weighted:
        sample_weight = _event_weights(sample_weight, len(y), train, model)
    log.info("model %s: %d training events, %d features", name, len(y), x.shape[1])
    t0 = time.perf_counter()
    extra = {}
    with threadpool_limits(threads):
        folds = entry.get("cv_folds", BASELINE_DEFAULTS["cv_folds"])
        oof, fold, scores = cross_validate(model, x, y, folds, seed, sample_weight)
        fit_estimator(model.estimator, x, y, sample_weight)
        val_scores = None
        if val is not None and n_events(val) > 0:
            xv, yv, _ = training_data(model, val)
            pv = model.predict_array(xv)
            if weighted and val_weight is not None:
                val_weight = _event_weights(val_weight, len(yv), val, model)
                extra["val_unweighted"] = _scores(model.task, yv, pv)
            val_scores = _scores(model.task, yv, pv, val_weight if weighted else None)
    if weighted:
        extra["cv_unweighted"] = summarise_cv(
            [_scores(model.task, y[fold == k], oof[fold == k]) for k in range(len(scores))]
        )
    fit_seconds = time.perf_counter() - t0
    out = Path(model_dir)
    out.mkdir(parents=True, exist_ok=True)
    cv = pd.DataFrame({"event_id": event_id, "fold": fold, "target": y, "oof_prediction": oof})
    if weighted:
        cv["weight"] = sample_weight
    meta = baseline_record(
        name, model, entry, n_train=len(y), seed=seed, threads=threads, fit_seconds=fit_seconds,
        cv=summarise_cv(scores), val=val_scores, **extra,
    )  # fmt: skip
    meta.update(record or {})
    save_baseline(out, model, meta, cv)
    log.info(
        "model %s: CV %s, val %s",
        name,
        {k: v for k, v in meta["cv"].items() if k != "folds"},
        val_scores,
    )
    return model


def _event_weights(weight, n: int, path, model: BaselineModel) -> np.ndarray:
    """``weight`` as float64, checked: one finite, non-negative weight per event of ``path``."""
    w = np.asarray(weight, dtype=np.float64)
    if model.task != "separation":
        raise ValueError(f"model '{model.name}': sample weights are for task separation only")
    if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any() or not w.sum() > 0:
        raise ValueError(
            f"{path}: model '{model.name}': expected {n} finite, non-negative sample weights "
            f"(one per event, not all 0), got shape {w.shape}"
        )
    return w
