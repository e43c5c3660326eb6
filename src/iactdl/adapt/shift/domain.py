"""The domain classifier: how separable are simulated and observed events, and importance weights.

A classifier trained to tell target (observed) from source (simulated) events measures covariate
shift without any truth: its cross-validated ROC AUC is 0.5 when the two samples are alike and 1
when they do not overlap (the classifier two-sample test, Lopez-Paz and Oquab 2017). Histogram
gradient boosting handles NaN features (failed cleaning) natively and needs no scaling.

Its out-of-fold odds also estimate the density ratio ``p_t(x) / p_s(x)`` (Bickel et al. 2009):

    w(x) = P(t|x) / P(s|x) * n_s / n_t,

the importance weight of a source event under covariate shift (Shimodaira 2000). The weights are
normalised to mean 1 over the source events and clipped at ``clip`` times that mean, since a few
source events in sparse regions would otherwise carry the whole sample; the effective sample size
``(sum w)^2 / sum w^2`` (Kish) says how many events the weighted sample is worth. When the domain
AUC is close to 1 the domains barely overlap and the odds, hence the weights, mean nothing: a
warning says so.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

__all__ = [
    "DOMAIN_CLASSIFIER_DEFAULTS",
    "OVERLAP_AUC",
    "DomainClassification",
    "DomainWeights",
    "domain_classifier",
    "domain_weights",
    "effective_sample_size",
]

log = logging.getLogger(__name__)

# a small boosted model: a shift usually sits in a few inputs, and 5 folds must stay cheap
DOMAIN_CLASSIFIER_DEFAULTS = {
    "learning_rate": 0.1,
    "max_iter": 100,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 20,
    "early_stopping": False,  # deterministic and with no inner split of the folds
}
# domain AUC at or above which the domains are treated as not overlapping
OVERLAP_AUC = 0.99


@dataclass
class DomainClassification:
    """Out-of-fold domain classification of the source rows followed by the target rows.

    Parameters
    ----------
    p_target : numpy.ndarray
        Out-of-fold ``P(target | x)`` of every row (source rows first).
    is_target : numpy.ndarray
        The domain of every row (bool).
    auc : float
        Out-of-fold ROC AUC (0.5: same distribution; 1: separable).
    auc_folds : list of float
        The AUC of each fold.
    """

    p_target: np.ndarray  # out-of-fold P(target | x) of every row (source rows first)
    is_target: np.ndarray  # bool, the domain of every row
    auc: float  # out-of-fold ROC AUC (0.5: same distribution; 1: separable)
    auc_folds: list[float] = field(default_factory=list)

    @property
    def auc_std(self) -> float:
        """The standard deviation of the folds' AUCs (NaN without folds)."""
        return float(np.std(self.auc_folds)) if self.auc_folds else float("nan")

    @property
    def n_source(self) -> int:
        """Number of source rows."""
        return int((~self.is_target).sum())

    @property
    def n_target(self) -> int:
        """Number of target rows."""
        return int(self.is_target.sum())

    def summary(self) -> dict:
        """The classification's numbers, for the diagnostics' JSON.

        Returns
        -------
        dict
            ``auc``, ``auc_std``, ``auc_folds``, ``n_source`` and ``n_target``.
        """
        return {
            "auc": self.auc,
            "auc_std": self.auc_std,
            "auc_folds": list(self.auc_folds),
            "n_source": self.n_source,
            "n_target": self.n_target,
        }


@dataclass
class DomainWeights:
    """Importance weights of source events from the domain classifier's odds.

    Parameters
    ----------
    weights : numpy.ndarray
        One per source row, mean 1 before clipping, capped at ``clip``.
    auc : float
        The domain classifier's out-of-fold AUC.
    effective_sample_size : float
        Kish's ``(sum w)^2 / sum w^2`` of the clipped weights.
    n_clipped : int
        Source rows whose weight was capped.
    clip : float
        The cap.
    overlap : bool
        False when ``auc >= OVERLAP_AUC``: the weights are then meaningless.
    """

    weights: np.ndarray  # one per source row, mean 1 before clipping, capped at clip
    auc: float  # the domain classifier's out-of-fold AUC
    effective_sample_size: float  # Kish's (sum w)^2 / sum w^2 of the clipped weights
    n_clipped: int  # source rows whose weight was capped
    clip: float
    overlap: bool  # False when auc >= OVERLAP_AUC: the weights are meaningless

    def summary(self) -> dict:
        """The weights' numbers, for ``model.json`` and the diagnostics' JSON.

        Returns
        -------
        dict
            ``auc``, ``clip``, ``n_source``, ``n_clipped``, ``effective_sample_size``,
            ``effective_fraction``, ``max_weight`` and ``overlap``.
        """
        n = self.weights.size
        return {
            "auc": self.auc,
            "clip": self.clip,
            "n_source": int(n),
            "n_clipped": self.n_clipped,
            "effective_sample_size": self.effective_sample_size,
            "effective_fraction": self.effective_sample_size / n if n else float("nan"),
            "max_weight": float(self.weights.max()) if n else float("nan"),
            "overlap": self.overlap,
        }


def _matrix(x, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(
            f"domain classifier: {name} must be a non-empty (n, features) array, "
            f"got shape {x.shape}"
        )
    x = x.copy()
    x[~np.isfinite(x)] = np.nan  # infinities -> missing, routed by the trees
    return x


def domain_classifier(
    source,
    target,
    *,
    cv_folds: int = 5,
    seed: int = 0,
    params: Mapping | None = None,
    threads: int = 1,
) -> DomainClassification:
    """Cross-validated domain classification of source (label 0) against target (label 1) rows.

    Parameters
    ----------
    source, target : array_like
        The same inputs of the two samples, shapes (n_s, d) and (n_t, d) (NaN allowed).
    cv_folds : int
        Stratified folds (>= 2); every row is predicted by the model that did not see it.
    seed : int
        Seed of the folds and the classifier.
    params : Mapping, optional
        Hyper-parameters of ``HistGradientBoostingClassifier`` over
        :data:`DOMAIN_CLASSIFIER_DEFAULTS`.
    threads : int
        Cores of the classifier.

    Returns
    -------
    DomainClassification
        The out-of-fold predictions and AUC.

    Raises
    ------
    ValueError
        Samples of different widths, or a domain with fewer rows than ``cv_folds``.
    """
    xs, xt = _matrix(source, "source"), _matrix(target, "target")
    if xs.shape[1] != xt.shape[1]:
        raise ValueError(
            f"domain classifier: source has {xs.shape[1]} inputs, target {xt.shape[1]}"
        )
    if min(len(xs), len(xt)) < cv_folds:
        raise ValueError(
            f"domain classifier: {len(xs)} source and {len(xt)} target rows, fewer "
            f"than cv_folds = {cv_folds} in one domain"
        )
    x = np.vstack([xs, xt])
    y = np.r_[np.zeros(len(xs), dtype=np.int8), np.ones(len(xt), dtype=np.int8)]
    settings = {**DOMAIN_CLASSIFIER_DEFAULTS, **dict(params or {})}
    p = np.empty(len(y))
    aucs = []
    folds = StratifiedKFold(cv_folds, shuffle=True, random_state=seed)
    with threadpool_limits(threads):
        for k, (tr, te) in enumerate(folds.split(x, y)):
            clf = HistGradientBoostingClassifier(random_state=seed + k, **settings)
            p[te] = clf.fit(x[tr], y[tr]).predict_proba(x[te])[:, 1]
            aucs.append(float(roc_auc_score(y[te], p[te])))
    return DomainClassification(
        p_target=p, is_target=y.astype(bool), auc=float(roc_auc_score(y, p)), auc_folds=aucs
    )


def effective_sample_size(weights) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2``.

    Parameters
    ----------
    weights : array_like
        The weights.

    Returns
    -------
    float
        0 where every weight is 0.
    """
    w = np.asarray(weights, dtype=np.float64)
    s2 = float(np.sum(w**2))
    return float(np.sum(w)) ** 2 / s2 if s2 > 0 else 0.0


def domain_weights(
    source,
    target,
    *,
    clip: float = 20.0,
    cv_folds: int = 5,
    seed: int = 0,
    params: Mapping | None = None,
    threads: int = 1,
) -> DomainWeights:
    """Importance weights ``p_t(x) / p_s(x)`` of the source rows from the domain classifier's odds.

    Out-of-fold odds (no source event is weighted by a model that saw it), scaled by ``n_s / n_t``
    and to mean 1, then capped at ``clip`` (> 1). Logs the effective sample size; warns when the
    domain AUC is >= :data:`OVERLAP_AUC`.

    Parameters
    ----------
    source, target : array_like
        The same inputs of the two samples, shapes (n_s, d) and (n_t, d).
    clip : float
        The cap of the weights, as a multiple of their mean (> 1).
    cv_folds : int
        Stratified folds of :func:`domain_classifier`.
    seed : int
        Its seed.
    params : Mapping, optional
        Its hyper-parameters.
    threads : int
        Its cores.

    Returns
    -------
    DomainWeights
        ``weights`` in the order of ``source``'s rows, with the AUC and effective sample size.

    Raises
    ------
    ValueError
        ``clip`` not > 1, or as :func:`domain_classifier`.
    """
    if not clip > 1.0:
        raise ValueError(
            f"domain_weights: clip must be > 1 (a multiple of the mean weight), got {clip}"
        )
    dc = domain_classifier(
        source, target, cv_folds=cv_folds, seed=seed, params=params, threads=threads
    )
    p = np.clip(dc.p_target[~dc.is_target], 1e-6, 1.0 - 1e-6)
    w = p / (1.0 - p) * (dc.n_source / dc.n_target)
    w /= w.mean()
    n_clipped = int((w > clip).sum())
    w = np.minimum(w, clip)
    ess = effective_sample_size(w)
    overlap = dc.auc < OVERLAP_AUC
    log.info(
        "domain weights: AUC %.4f, %d source rows, %d clipped at %.3g, effective sample size "
        "%.0f (%.1f%%)",
        dc.auc,
        w.size,
        n_clipped,
        clip,
        ess,
        100.0 * ess / max(w.size, 1),
    )
    if not overlap:
        message = (
            f"domain classifier AUC {dc.auc:.4f} >= {OVERLAP_AUC}: the source and target events "
            "barely overlap, so the importance weights are meaningless (most source events get "
            "~0 weight)"
        )
        log.warning(message)
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    return DomainWeights(
        weights=w,
        auc=dc.auc,
        effective_sample_size=ess,
        n_clipped=n_clipped,
        clip=float(clip),
        overlap=overlap,
    )
