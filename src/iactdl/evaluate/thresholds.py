"""Truth-free gammaness thresholds on an observation: the cut maximising the Li & Ma significance.

An ON/OFF observation scores a cut without any truth: the events above it give ``N_on`` and
``N_off``, and the Li & Ma (1983, eq. 17) significance of their excess is what an analysis wants
largest. Bunse et al. (2022, "Imbalanced classification with partially-known class-conditional label
noise", ICDM; their package pkccn) choose the decision threshold of a noisy-label classifier this
way. We scan every distinct score (exact, vectorised through cumulative counts) instead of their
multi-start scalar optimisation, on a validation split that the threshold is then applied beyond
(choosing it on the events it is scored on would bias the significance upwards).
"""

from __future__ import annotations

import numpy as np

from iactdl.evaluate.significance import li_ma_significance

__all__ = ["CONSTANT_MODEL", "constant_score", "li_ma_threshold"]

# how the tables name a model whose predictions rank no event above another
CONSTANT_MODEL = "constant model"


def constant_score(score, where: str = "score") -> str | None:
    """Why ``score`` ranks no event above another (one value for every event), else ``None``.

    A model that predicts one value has no working point: every cut keeps all of its events or
    none, its ROC AUC is 0.5 and its Li & Ma significance that of no cut at all, by construction
    and not by measurement. This is read from the predictions alone (no truth), so it is checked
    where a model's predictions on observed_val are first turned into a cut
    (:func:`iactdl.evaluate.theta2_analysis.choose_cuts`,
    :func:`iactdl.adapt.lambda_selection.observed_val_significance`) and on an ON/OFF baseline's
    out-of-fold predictions when it is trained; the tables then mark the model as a
    :data:`CONSTANT_MODEL` instead of scoring it. Values must be equal exactly: a spread of any
    size still ranks (NaN are ignored; fewer than two finite values are not judged).

    Parameters
    ----------
    score : array_like
        The predictions (gammaness, or any score the cut applies to).
    where : str
        What they are, named in the reason (e.g. ``"{path}: gammaness"``).

    Returns
    -------
    str or None
        ``"{where}: one value (v) for all n events: a constant model (no ranking, no cut)"``,
        or ``None`` where the predictions take two values or more.
    """
    s = np.asarray(score, dtype=np.float64).ravel()
    s = s[np.isfinite(s)]
    if s.size < 2 or s.min() != s.max():
        return None
    return (
        f"{where}: one value ({s[0]:.6g}) for all {s.size} events: a {CONSTANT_MODEL} (no "
        "ranking, so no cut separates any event from another; its AUC would be 0.5 by "
        "construction)"
    )


def li_ma_threshold(score, region, n_off_regions: int, min_on: int = 10) -> dict:
    """The cut ``score >= cut`` with the largest Li & Ma significance of the ON excess.

    Parameters
    ----------
    score : array
        Any score monotone in gammaness (the threshold is on this score's scale).
    region : array of int
        0 for ON, 1..n_off_regions for OFF events.
    n_off_regions : int
        ``alpha = 1 / n_off_regions``.
    min_on : int
        Cuts keeping fewer ON events are not considered: the significance of a handful of events
        is a fluctuation, not a working point.

    Returns
    -------
    dict
        ``cut``, ``n_on``, ``n_off``, ``excess``, ``li_ma_significance`` at the best cut.
    """
    score = np.asarray(score, dtype=np.float64).ravel()
    region = np.asarray(region).ravel()
    if score.shape != region.shape:
        raise ValueError(f"score {score.shape} and region {region.shape} differ in length")
    if n_off_regions < 1:
        raise ValueError(f"n_off_regions must be >= 1, got {n_off_regions}")
    if not np.isfinite(score).all():
        raise ValueError(f"score: {np.count_nonzero(~np.isfinite(score))} non-finite value(s)")
    is_on = region == 0
    is_off = (region >= 1) & (region <= n_off_regions)
    if not is_on.any() or not is_off.any():
        raise ValueError("li_ma_threshold needs ON (region 0) and OFF (region >= 1) events")
    order = np.argsort(-score, kind="stable")
    s = score[order]
    n_on = np.cumsum(is_on[order])
    n_off = np.cumsum(is_off[order])
    # a cut keeps a whole group of tied scores: evaluate at the last event of each group
    last = np.r_[np.flatnonzero(np.diff(s) != 0), s.size - 1]
    n_on, n_off, cuts = n_on[last], n_off[last], s[last]
    alpha = 1.0 / n_off_regions
    sig = np.where(n_on >= min_on, li_ma_significance(n_on, n_off, alpha), -np.inf)
    if not np.isfinite(sig).any():
        raise ValueError(f"no cut keeps at least min_on = {min_on} ON events")
    best = int(np.argmax(sig))
    return {
        "cut": float(cuts[best]),
        "n_on": int(n_on[best]),
        "n_off": int(n_off[best]),
        "excess": float(n_on[best] - alpha * n_off[best]),
        "li_ma_significance": float(sig[best]),
    }
