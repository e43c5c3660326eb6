"""Separation metrics: ROC AUC with its uncertainty, working points, Brier score, calibration.

The label is ``is_gamma`` (1 gamma, 0 hadron) and the score the model's ``gammaness``. A working
point is a gammaness cut chosen to keep a fixed fraction of gammas (the gamma efficiency); at it we
report the hadron rejection (fraction of hadrons below the cut) and the accuracy, the quantities an
IACT analysis quotes (e.g. Bock et al. 2004, NIM A 516, 511, for MAGIC).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "roc_auc",
    "roc_auc_bootstrap",
    "roc",
    "cut_at_gamma_efficiency",
    "working_points",
    "brier_score",
    "calibration_curve",
    "expected_calibration_error",
]


def _check(y, score):
    y = np.asarray(y).astype(np.int64).ravel()
    score = np.asarray(score, dtype=np.float64).ravel()
    if y.shape != score.shape:
        raise ValueError(f"labels {y.shape} and scores {score.shape} differ in length")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 (hadron) or 1 (gamma)")
    return y, score


def roc_auc(y, score, sample_weight=None) -> float:
    """Area under the ROC curve.

    Parameters
    ----------
    y : array_like
        Labels, 1 gamma and 0 hadron.
    score : array_like
        Gammaness per event.
    sample_weight : array_like, optional
        Each event counted this many times (e.g. an importance weight).

    Returns
    -------
    float
        The AUC; NaN when only one class is present.
    """
    # sklearn.metrics imported here, not at the top: with scipy.stats and pandas it was ~2.5 s of
    # CPU in every predict job (benchmarks/job_startup.py), which imports this module through
    # iactdl.evaluate.evaluation and computes no AUC
    from sklearn.metrics import roc_auc_score

    y, score = _check(y, score)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, score, sample_weight=sample_weight))


def roc_auc_bootstrap(y, score, n_bootstrap: int = 200, seed: int = 0) -> tuple[float, float]:
    """ROC AUC and its standard deviation over ``n_bootstrap`` resamplings of the events.

    The bootstrap (Efron 1979) resamples events with replacement; resamples that lose a class are
    skipped. Vectorised through the Mann-Whitney form of the AUC: a resample is a vector of event
    multiplicities, and AUC = sum over gammas of (hadrons scored below + half the tied) / (n_g n_h).

    Parameters
    ----------
    y : array_like
        Labels, 1 gamma and 0 hadron.
    score : array_like
        Gammaness per event.
    n_bootstrap : int
        Number of resamples.
    seed : int
        Seed of the resamples.

    Returns
    -------
    auc : float
        The AUC of the events.
    std : float
        Its standard deviation over the resamples (NaN with one class or fewer than 2).
    """
    y, score = _check(y, score)
    auc = roc_auc(y, score)
    if np.isnan(auc) or n_bootstrap < 2:
        return auc, float("nan")
    rng = np.random.default_rng(seed)
    n = len(y)
    order = np.argsort(score, kind="mergesort")
    y_sorted = y[order].astype(np.float64)
    # groups of tied scores: a tie counts one half (the Mann-Whitney convention, = sklearn's AUC)
    starts = np.flatnonzero(np.r_[True, np.diff(score[order]) != 0])
    aucs = []
    batch = max(1, int(4e6 // n))  # resamples per batch: bounds memory to ~32 MB of weights
    for done in range(0, n_bootstrap, batch):
        b = min(batch, n_bootstrap - done)
        draws = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        w = np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
        g = np.add.reduceat(w * y_sorted, starts, axis=1)  # gamma copies per tie group
        h = np.add.reduceat(w * (1.0 - y_sorted), starts, axis=1)
        below = np.cumsum(h, axis=1) - h + 0.5 * h  # hadrons below a group (+ half its ties)
        n_g, n_h = g.sum(1), h.sum(1)
        ok = (n_g > 0) & (n_h > 0)
        aucs.append((g * below).sum(1)[ok] / (n_g[ok] * n_h[ok]))
    aucs = np.concatenate(aucs)
    return auc, float(aucs.std(ddof=1)) if len(aucs) > 1 else float("nan")


def roc(y, score) -> dict[str, np.ndarray]:
    """ROC curve: gamma efficiency (TPR) against hadron efficiency (FPR) and the cuts.

    Parameters
    ----------
    y : array_like
        Labels, 1 gamma and 0 hadron.
    score : array_like
        Gammaness per event.

    Returns
    -------
    dict of str to numpy.ndarray
        ``hadron_efficiency``, ``gamma_efficiency`` and ``threshold``, per point of the curve.
    """
    from sklearn.metrics import roc_curve  # here: see roc_auc

    y, score = _check(y, score)
    fpr, tpr, thr = roc_curve(y, score)
    return {"hadron_efficiency": fpr, "gamma_efficiency": tpr, "threshold": thr}


def cut_at_gamma_efficiency(score_gamma, efficiency: float) -> float:
    """The gammaness cut that keeps the fraction ``efficiency`` of gammas (score >= cut).

    Parameters
    ----------
    score_gamma : array_like
        The scores of the gammas.
    efficiency : float
        The gamma efficiency wanted, in (0, 1].

    Returns
    -------
    float
        The ``1 - efficiency`` quantile of ``score_gamma`` (inverted CDF).

    Raises
    ------
    ValueError
        An efficiency outside (0, 1], or no gammas.
    """
    if not 0 < efficiency <= 1:
        raise ValueError(f"gamma efficiency must be in (0, 1], got {efficiency}")
    score_gamma = np.asarray(score_gamma, dtype=np.float64)
    if len(score_gamma) == 0:
        raise ValueError("no gammas to choose a cut on")
    return float(np.quantile(score_gamma, 1.0 - efficiency, method="inverted_cdf"))


def working_points(y, score, efficiencies: Sequence[float] = (0.5, 0.7, 0.9)) -> list[dict]:
    """At each gamma efficiency: the cut, the achieved efficiency, hadron rejection, accuracy.

    Parameters
    ----------
    y : array_like
        Labels, 1 gamma and 0 hadron.
    score : array_like
        Gammaness per event.
    efficiencies : sequence of float
        The gamma efficiencies wanted.

    Returns
    -------
    list of dict
        Per efficiency: ``gamma_efficiency_target``, ``cut``, ``gamma_efficiency`` (achieved),
        ``hadron_rejection`` and ``accuracy``.
    """
    y, score = _check(y, score)
    out = []
    for eff in efficiencies:
        cut = cut_at_gamma_efficiency(score[y == 1], eff)
        sel = score >= cut
        out.append(
            {
                "gamma_efficiency_target": float(eff),
                "cut": cut,
                "gamma_efficiency": float(sel[y == 1].mean()),
                "hadron_rejection": float(1.0 - sel[y == 0].mean()) if (y == 0).any() else None,
                "accuracy": float((sel == (y == 1)).mean()),
            }
        )
    return out


def brier_score(y, prob) -> float:
    """Mean squared difference between the predicted P(gamma) and the label (Brier 1950).

    Parameters
    ----------
    y : array_like
        Labels, 1 gamma and 0 hadron.
    prob : array_like
        Predicted P(gamma) per event.

    Returns
    -------
    float
        ``mean((prob - y)^2)``.

    Raises
    ------
    ValueError
        Labels other than 0/1, or of another length than ``prob``.
    """
    y, prob = _check(y, prob)
    return float(np.mean((prob - y) ** 2))


def calibration_curve(
    y, prob, n_bins: int = 10, strategy: str = "uniform"
) -> dict[str, np.ndarray]:
    """Reliability diagram: per bin of predicted probability, mean prediction and gamma fraction.

    ``strategy`` "uniform": equal-width bins on [0, 1] (empty bins are NaN); "quantile":
    equal-mass bins, edges at the quantiles of ``prob``, so every bin holds about ``n / n_bins``
    events (ties may merge bins). At a small gamma prior (2.5 % on the observation) nearly every
    prediction falls in the lowest equal-width bins and a diagram shows 3-6 of them; equal-mass
    bins spread the diagram over the range the model predicts.

    Parameters
    ----------
    y : array_like
        Labels, 1 gamma and 0 hadron.
    prob : array_like
        Predicted P(gamma) per event.
    n_bins : int
        Number of bins.
    strategy : {"uniform", "quantile"}
        Equal-width or equal-mass bins.

    Returns
    -------
    dict of str to numpy.ndarray
        ``bin_edges``, and per bin ``mean_predicted``, ``fraction_gamma`` and ``count`` (events).

    Raises
    ------
    ValueError
        An unknown ``strategy``, or labels as :func:`brier_score` refuses.
    """
    y, prob = _check(y, prob)
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        edges = np.unique(np.quantile(prob, np.linspace(0.0, 1.0, n_bins + 1)))
        if edges.size < 2:  # one predicted value: one bin around it
            edges = np.array([edges[0], edges[0]]) if edges.size else np.array([0.0, 1.0])
    else:
        raise ValueError(f"strategy must be 'uniform' or 'quantile', got {strategy!r}")
    n = max(edges.size - 1, 1)
    idx = np.clip(np.searchsorted(edges, prob, side="right") - 1, 0, n - 1)
    count = np.bincount(idx, minlength=n).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_pred = np.bincount(idx, prob, n) / count
        frac = np.bincount(idx, y.astype(np.float64), n) / count
    return {"bin_edges": edges, "mean_predicted": mean_pred, "fraction_gamma": frac, "count": count}


def expected_calibration_error(y, prob, n_bins: int = 10, strategy: str = "uniform") -> float:
    """ECE: the event-weighted mean of ``|gamma fraction - mean prediction|`` over the bins.

    Naeini et al. (2015, AAAI) / Guo et al. (2017, ICML): ``sum_b n_b / n |o_b - p_b|`` over the
    bins of :func:`calibration_curve`; 0 for a perfectly calibrated P(gamma).

    Parameters
    ----------
    y : array_like
        Labels, 1 gamma and 0 hadron.
    prob : array_like
        Predicted P(gamma) per event.
    n_bins : int
        Number of bins.
    strategy : {"uniform", "quantile"}
        Equal-width or equal-mass bins.

    Returns
    -------
    float
        The ECE (NaN when no bin holds an event).
    """
    curve = calibration_curve(y, prob, n_bins, strategy)
    count = curve["count"]
    if count.sum() == 0:
        return float("nan")
    full = count > 0
    gap = np.abs(curve["fraction_gamma"][full] - curve["mean_predicted"][full])
    return float(np.sum(count[full] * gap) / count.sum())
