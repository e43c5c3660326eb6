"""Label shift: the gamma fraction of an unlabelled sample, estimated without its truth.

A classifier trained on simulations (gamma prior ``pi_s``, about 0.58) and applied to the
observation (a few percent gammas) counts the wrong number of gammas: its posteriors carry the
training prior. Quantification (Forman 2008; Saerens, Latinne and Decaestecker 2002) corrects for
that:

- classify and count (CC): the fraction of events with ``score >= t``; biased whenever the prior
  changes (kept as the naive reference);
- adjusted classify and count (ACC, Forman 2008): with the classifier's true and false positive
  rates ``tpr``, ``fpr`` at ``t`` (measured on labelled source events it did not see, i.e. out of
  fold), ``cc = p tpr + (1 - p) fpr`` gives ``p = (cc - fpr) / (tpr - fpr)``, clipped to [0, 1];
- EM (Saerens et al. 2002, Neural Computation 14, 21): alternate re-weighting the posteriors to
  the current prior estimate ``q`` (E step, ``P(g|x) q / pi_s`` normalised over the two classes)
  and ``q = mean P(g|x)`` (M step) until ``q`` stops moving.

Both assume pure label shift, ``p(x|y)`` the same in both domains. The detector shift of the
observation breaks that, so the ON/OFF excess gives a truth-free reference: with one ON and
``n_off`` OFF regions of equal acceptance (``alpha = 1 / n_off``), ``N_on - alpha N_off`` counts the
gammas of the ON region whatever their images look like (:func:`onoff_gamma_fraction`), and the
OFF regions hold hadrons only, so a quantifier's estimate there (truth 0) measures its bias.

Uncertainties come from a Poisson bootstrap over the observed events (every estimator of one
resample sees the same weights), vectorised over the resamples.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = [
    "classify_and_count",
    "classifier_rates",
    "adjusted_classify_and_count",
    "em_prior",
    "onoff_gamma_fraction",
    "quantify_gamma_fraction",
    "poisson_weights",
]

EM_TOLERANCE = 1e-6
EM_MAX_ITER = 1000


def _as_weights(weights, n: int) -> np.ndarray:
    """(B, n) float64 weights; ``None`` means one resample with unit weights."""
    if weights is None:
        return np.ones((1, n))
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    if w.shape[1] != n:
        raise ValueError(f"weights have {w.shape[1]} columns for {n} events")
    return w


def poisson_weights(n: int, n_bootstrap: int, seed: int) -> np.ndarray:
    """(n_bootstrap, n) Poisson(1) resampling weights (the bootstrap for large samples).

    Parameters
    ----------
    n : int
        Number of events.
    n_bootstrap : int
        Number of resamples.
    seed : int
        Seed.

    Returns
    -------
    numpy.ndarray
        Float64 weights, shape (n_bootstrap, n).
    """
    return np.random.default_rng(seed).poisson(1.0, (n_bootstrap, n)).astype(np.float64)


def classify_and_count(scores, threshold: float = 0.5, weights=None) -> np.ndarray:
    """Fraction of events with ``score >= threshold`` (one value per row of ``weights``).

    Parameters
    ----------
    scores : array_like
        Gammaness of the events.
    threshold : float
        The cut.
    weights : array_like, optional
        Resampling weights (B, n); default: one row of ones.

    Returns
    -------
    numpy.ndarray
        The fraction per row of ``weights``.
    """
    scores = np.asarray(scores, dtype=np.float64)
    w = _as_weights(weights, scores.size)
    return (w @ (scores >= threshold)) / w.sum(axis=1)


def classifier_rates(labels, scores, threshold: float = 0.5) -> tuple[float, float]:
    """``(tpr, fpr)`` at ``score >= threshold`` on labelled events (out-of-fold predictions).

    Parameters
    ----------
    labels : array_like
        The events' classes (bool or 0/1).
    scores : array_like
        Their out-of-fold gammaness.
    threshold : float
        The cut.

    Returns
    -------
    tpr, fpr : float
        The fractions of gammas and of hadrons that pass.

    Raises
    ------
    ValueError
        Labels without one of the classes.
    """
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    if labels.all() or not labels.any():
        raise ValueError("classifier_rates needs labelled events of both classes")
    passed = scores >= threshold
    return float(passed[labels].mean()), float(passed[~labels].mean())


def adjusted_classify_and_count(
    scores, tpr: float, fpr: float, threshold: float = 0.5, weights=None
) -> np.ndarray:
    """ACC (Forman 2008): ``(cc - fpr) / (tpr - fpr)``, clipped to [0, 1].

    Parameters
    ----------
    scores : array_like
        Gammaness of the observed events.
    tpr, fpr : float
        The classifier's rates on labelled events (:func:`classifier_rates`).
    threshold : float
        The cut on ``scores``.
    weights : array_like, optional
        Resampling weights (B, n); default: one row of ones.

    Returns
    -------
    numpy.ndarray
        The estimated gamma fraction per row of ``weights``.

    Raises
    ------
    ValueError
        ``tpr <= fpr``: the classifier does not separate, ACC divides by nothing.
    """
    if tpr - fpr <= 1e-9:
        raise ValueError(
            f"adjusted classify and count needs tpr > fpr (got tpr={tpr}, fpr={fpr}): the "
            "classifier does not separate the classes at this threshold"
        )
    cc = classify_and_count(scores, threshold, weights)
    return np.clip((cc - fpr) / (tpr - fpr), 0.0, 1.0)


def em_prior(
    posteriors,
    source_prior: float,
    weights=None,
    tol: float = EM_TOLERANCE,
    max_iter: int = EM_MAX_ITER,
) -> tuple[np.ndarray, int]:
    """EM re-estimation of the positive-class prior (Saerens et al. 2002, eqs. 2.9-2.10).

    Parameters
    ----------
    posteriors : array_like
        ``P(gamma | x)`` (n,) of the source classifier, calibrated to the source prior.
    source_prior : float
        The gamma fraction of the classifier's training set, in (0, 1).
    weights : array_like, optional
        Resampling weights (B, n); the EM runs for every row at once.
    tol : float
        Convergence: the largest change of a row's prior in an iteration.
    max_iter : int
        The most iterations.

    Returns
    -------
    prior : numpy.ndarray
        The estimated gamma fraction per row of ``weights`` (B,).
    n_iter : int
        Iterations until every row moved less than ``tol``.

    Raises
    ------
    ValueError
        A source prior outside (0, 1).
    """
    if not 0.0 < source_prior < 1.0:
        raise ValueError(f"source_prior must be in (0, 1), got {source_prior}")
    p = np.clip(np.asarray(posteriors, dtype=np.float64), 0.0, 1.0)
    w = _as_weights(weights, p.size)
    wsum = w.sum(axis=1)
    q = np.full(w.shape[0], float(source_prior))
    # likelihood ratio of the source posteriors: P(g|x) / P(h|x) * (1 - pi_s) / pi_s
    for it in range(1, max_iter + 1):
        g = p[None, :] * (q / source_prior)[:, None]
        h = (1.0 - p)[None, :] * ((1.0 - q) / (1.0 - source_prior))[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            post = np.where(g + h > 0, g / (g + h), 0.0)
        q_new = np.einsum("bn,bn->b", w, post) / wsum
        if np.max(np.abs(q_new - q)) < tol:
            return q_new, it
        q = q_new
    return q, max_iter


def onoff_gamma_fraction(region, n_off_regions: int, weights=None) -> dict[str, np.ndarray]:
    """Gamma fractions from the ON/OFF excess ``N_on - alpha N_off`` (``alpha = 1/n_off``).

    Regions are 0 (ON) and 1..n_off (OFF).

    Parameters
    ----------
    region : array_like of int
        Per event.
    n_off_regions : int
        Number of OFF positions.
    weights : array_like, optional
        Resampling weights (B, n); default: one row of ones.

    Returns
    -------
    dict of str to numpy.ndarray
        ``{"all": excess / N, "on": excess / N_on}`` per row of ``weights``.

    Raises
    ------
    ValueError
        ``n_off_regions`` < 1.
    """
    if n_off_regions < 1:
        raise ValueError(f"n_off_regions must be >= 1, got {n_off_regions}")
    region = np.asarray(region)
    w = _as_weights(weights, region.size)
    on = w @ (region == 0)
    off = w @ ((region >= 1) & (region <= n_off_regions))
    excess = on - off / n_off_regions
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "all": excess / w.sum(axis=1),
            "on": excess / on,
        }


def _summary(values: np.ndarray) -> dict:
    """Point estimate (row 0: the sample itself) and the bootstrap std of the other rows."""
    out = {"estimate": float(values[0])}
    if values.size > 1:
        out["std"] = float(np.nanstd(values[1:], ddof=1))
    return out


def quantify_gamma_fraction(
    scores,
    region,
    n_off_regions: int,
    source_labels,
    source_scores,
    threshold: float = 0.5,
    n_bootstrap: int = 100,
    seed: int = 0,
) -> dict:
    """Every estimate of the gamma fraction of an observed sample, overall, in ON and in OFF.

    Parameters
    ----------
    scores, region : array_like
        Gammaness (n,) of the observed events by the source classifier, and their ON/OFF region.
    n_off_regions : int
        Number of OFF positions.
    source_labels, source_scores : array_like
        ``is_gamma`` and out-of-fold gammaness (m,) of the classifier's labelled training events:
        the source prior and the rates ``tpr``, ``fpr`` of ACC.
    threshold : float
        The cut of CC and ACC.
    n_bootstrap : int
        Poisson resamples of the observed events for the standard deviations (0 = none).
    seed : int
        Seed of the resamples.

    Returns
    -------
    dict
        ``source`` (prior, tpr, fpr, threshold) and, per subset ``all``/``on``/``off``,
        ``n_events`` and ``cc``/``acc``/``em``/``onoff_excess`` (each ``estimate`` and ``std``; no
        excess for OFF, which holds no gammas by construction: there the quantifiers' estimates are
        their bias); ``assumption_check``: the OFF events' pass rate against the source ``fpr``
        (equal under pure label shift; ``consistent`` False means ACC and EM are biased and the
        ON - alpha OFF excess is the estimate to use).

    Raises
    ------
    ValueError
        ``scores`` and ``region`` of different shapes, or as the quantifiers.
    """
    scores = np.asarray(scores, dtype=np.float64)
    region = np.asarray(region)
    if scores.shape != region.shape:
        raise ValueError(f"scores {scores.shape} and region {region.shape} differ in shape")
    source_labels = np.asarray(source_labels).astype(bool)
    source_prior = float(source_labels.mean())
    tpr, fpr = classifier_rates(source_labels, source_scores, threshold)
    w_all = np.vstack([np.ones((1, scores.size)), poisson_weights(scores.size, n_bootstrap, seed)])
    excess = onoff_gamma_fraction(region, n_off_regions, w_all)
    subsets: Mapping[str, np.ndarray] = {
        "all": np.ones(scores.size, dtype=bool),
        "on": region == 0,
        "off": (region >= 1) & (region <= n_off_regions),
    }
    out: dict = {
        "source": {
            "gamma_fraction": source_prior,
            "n_events": int(source_labels.size),
            "threshold": float(threshold),
            "tpr": tpr,
            "fpr": fpr,
        },
        "n_bootstrap": int(n_bootstrap),
    }
    for name, sel in subsets.items():
        w = w_all[:, sel]
        s = scores[sel]
        entry: dict = {"n_events": int(sel.sum())}
        if sel.any():
            em, n_iter = em_prior(s, source_prior, w)
            entry["cc"] = _summary(classify_and_count(s, threshold, w))
            entry["acc"] = _summary(adjusted_classify_and_count(s, tpr, fpr, threshold, w))
            entry["em"] = {**_summary(em), "n_iter": n_iter}
        if name != "off":  # OFF holds no gammas by construction: the excess is 0 there
            entry["onoff_excess"] = _summary(excess[name])
        out[name] = entry
    # truth-free test of the label-shift assumption p(x|y) fixed: OFF events are hadrons only, so
    # their pass rate must equal the source hadrons' fpr. When it does not (a shifted hadron
    # class), ACC and EM are biased and the ON - alpha OFF excess is the estimate to use.
    off_rate = out["off"].get("cc")
    if off_rate is not None:
        std = off_rate.get("std") or 0.0
        out["assumption_check"] = {
            "source_fpr": fpr,
            "off_pass_rate": off_rate["estimate"],
            "off_pass_rate_std": std,
            "consistent": bool(abs(off_rate["estimate"] - fpr) <= max(3 * std, 0.01)),
        }
    return out
