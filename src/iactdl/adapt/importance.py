"""Covariate-shift importance weighting of simulated events, for nets and baselines.

Under covariate shift (P(class | x) the same in both domains, p(x) not), the loss on the
observation is the loss on the simulation with every simulated event weighted by
``w(x) = p_obs(x) / p_sim(x)`` (Shimodaira 2000). :func:`importance_weights` estimates ``w`` from
the odds of a domain classifier on the feature table
(:func:`iactdl.adapt.shift.domain.domain_weights`: simulated train + val against
``observed_train``, out of fold, normalised to mean 1, clipped, with the effective sample size
logged). Nets take the weights in their loss (:mod:`iactdl.adapt.nets`,
method ``importance``); a baseline entry with ``adapt: {method: importance}`` takes them as
scikit-learn's ``sample_weight`` (:func:`fit_importance_baseline`, rule
``train_adapted_baseline``)::

    hist_gbt_importance:
      <everything of hist_gbt>
      adapt: {method: importance}   # optional: weight_clip, weight_features

Model selection without observed truth: a baseline's hyper-parameters are the entry's, chosen by
nothing inside the rule; the scores it is judged by (``cv`` and ``val`` of ``model.json``) are
importance-weighted (Sugiyama et al. 2007), an estimate of the ROC AUC on the observation that
reads no observed label. The plain simulated scores stand beside them (``cv_unweighted``,
``val_unweighted``). The observed events give their features alone: no truth, no ON/OFF label.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Mapping

import numpy as np

from iactdl.adapt.settings import AdaptSettings, adapted_baseline_settings
from iactdl.adapt.shift.domain import domain_weights
from iactdl.io import InputError, column_names, n_events, read_columns
from iactdl.models.baselines import BaselineModel, fit_baseline

__all__ = ["BASELINE_SELECTION", "importance_weights", "fit_importance_baseline"]

log = logging.getLogger(__name__)

# the keys of an adapt section that importance weighting reads (model.json records these)
IMPORTANCE_KEYS = ("method", "weight_clip", "weight_features")

BASELINE_SELECTION = (
    "no hyper-parameter chosen in the rule (the entry's); its scores (cv, val) are "
    "importance-weighted ROC AUCs, the events weighted like the training events (Sugiyama et "
    "al. 2007): an estimate of the observed AUC; no observed truth"
)


def _feature_table(path, columns: list[str], rows=None, role: str = "") -> np.ndarray:
    """(n, len(columns)) float64 of ``path``'s ``columns`` (rows ``rows``, default all)."""
    missing = [c for c in columns if c not in column_names(path)]
    if missing:
        raise InputError(
            f"{path}: the importance weights' domain classifier reads {missing} ({role}), "
            f"which the file lacks; set adapt.weight_features to columns every dataset has"
        )
    data = read_columns(path, columns, index=rows)
    return np.stack([np.asarray(data[c], dtype=np.float64) for c in columns], axis=1)


def importance_weights(
    settings: AdaptSettings,
    train_path: str | os.PathLike,
    val_path: str | os.PathLike,
    target_path: str | os.PathLike,
    rows: np.ndarray | None = None,
    seed: int = 0,
    threads: int = 1,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Clipped domain-classifier odds ``p_obs(x) / p_sim(x)`` of the simulated events.

    One classifier, simulated train + val (label 0) against ``target_path``'s events (label 1,
    observed_train's feature table: no truth read), on ``settings.weight_features``; out of fold,
    so no event is weighted by a model that saw it; mean 1 over all simulated events, capped at
    ``settings.weight_clip``.

    Parameters
    ----------
    settings : AdaptSettings
        The entry's ``adapt`` section.
    train_path, val_path : str or os.PathLike
        The simulated splits.
    target_path : str or os.PathLike
        Observed_train's feature table.
    rows : numpy.ndarray, optional
        The rows of ``train_path`` to weight; default: all.
    seed : int
        Seed of the classifier's folds.
    threads : int
        Threads of the classifier.

    Returns
    -------
    w_train, w_val : numpy.ndarray
        The weights (float64) of the train rows and of the val events.
    summary : dict
        :meth:`~iactdl.adapt.shift.domain.DomainWeights.summary` plus the row counts and features.

    Raises
    ------
    InputError
        ``target_path`` holds no observed events.
    """
    if n_events(target_path) == 0:
        raise InputError(
            f"{target_path}: no observed events; an adapted model needs observed_train events (a "
            f"config with source `simulate`, or `fact` with an observed file, and split fractions "
            f"that leave observed_train non-empty)"
        )
    cols = list(settings.weight_features)
    source_train = _feature_table(train_path, cols, rows, "simulated training events")
    source_val = _feature_table(val_path, cols, None, "simulated validation events")
    target = _feature_table(target_path, cols, None, "observed_train events")
    dw = domain_weights(
        np.vstack([source_train, source_val]), target, clip=settings.weight_clip, seed=seed,
        threads=threads,
    )  # fmt: skip
    n = len(source_train)
    summary = {
        **dw.summary(),
        "n_train": n,
        "n_val": len(source_val),
        "n_target": len(target),
        "features": cols,
    }
    return dw.weights[:n], dw.weights[n:], summary


def fit_importance_baseline(
    train: str | os.PathLike,
    val: str | os.PathLike,
    target: str | os.PathLike,
    model_dir: str | os.PathLike,
    name: str,
    entry: Mapping,
    seed: int = 0,
    threads: int = 1,
) -> BaselineModel:
    """Fit a baseline entry with ``adapt: {method: importance}`` (see the module doc).

    Writes ``model.skops``, ``cv.csv`` (with each event's ``weight``) and ``model.json`` like
    :func:`iactdl.models.baselines.fit_baseline`, which gains ``adapt``, the weights' summary
    (``importance_weights``: domain AUC, effective sample size, events clipped) and the selection
    criterion (``selection``).

    Parameters
    ----------
    train, val : str or os.PathLike
        The simulated splits (fitted with weights and weighted CV; weighted validation score).
    target : str or os.PathLike
        Observed_train's feature table (the domain classifier's target sample, features only).
    model_dir : str or os.PathLike
        The folder to write.
    name : str
        The model's name.
    entry : Mapping
        Its entry of ``config.yaml: models``.
    seed : int
        Seed of the estimator and of the domain classifier's folds.
    threads : int
        Threads of the estimators.

    Returns
    -------
    iactdl.models.baselines.BaselineModel
        The fitted model, as written.
    """
    name = name or "baseline"
    entry = json.loads(json.dumps(dict(entry)))  # plain types (Snakemake hands its own)
    settings = adapted_baseline_settings(name, entry)
    base = {k: v for k, v in entry.items() if k != "adapt"}
    w_train, w_val, summary = importance_weights(
        settings, train, val, target, seed=seed, threads=threads
    )
    log.info(
        "model %s: importance weights from domain AUC %.4f, effective sample size %.0f of %d "
        "(%d clipped at %.3g), max weight %.3g",
        name, summary["auc"], summary["effective_sample_size"], summary["n_source"],
        summary["n_clipped"], settings.weight_clip, summary["max_weight"],
    )  # fmt: skip
    record = {
        "entry": entry,
        "adapt": {k: v for k, v in dataclasses.asdict(settings).items() if k in IMPORTANCE_KEYS},
        "importance_weights": summary,
        "selection": BASELINE_SELECTION,
    }
    return fit_baseline(
        train, model_dir, name, base, seed=seed, threads=threads, val=val,
        sample_weight=w_train, val_weight=w_val, record=record,
    )  # fmt: skip
