"""Detection significance of an ON/OFF observation: Li & Ma (1983), ApJ 272, 317, eq. 17.

With ``n_on`` counts in the ON region, ``n_off`` in the OFF regions and ``alpha`` the ratio of ON to
OFF exposure (``1 / n_off_regions`` for equal-sized wobble regions), the excess is
``n_on - alpha n_off`` and its significance

.. math::

    S = \\sqrt{2} \\left\\{ N_{on} \\ln\\left[\\frac{1+\\alpha}{\\alpha}
        \\frac{N_{on}}{N_{on}+N_{off}}\\right]
        + N_{off} \\ln\\left[(1+\\alpha)\\frac{N_{off}}{N_{on}+N_{off}}\\right] \\right\\}^{1/2},

signed like the excess: negative for a deficit (``n_on < alpha n_off``). This is gammapy's
convention (``WStatCountsStatistic(n_on, n_off, alpha).sqrt_ts``, which we match for excesses,
deficits and zero counts); pyirf's ``li_ma_significance`` agrees for an excess but returns 0 for a
deficit. No counts at all give 0; ``n_on = 0`` with OFF counts is a (finite) deficit. The events
counted are those passing a gammaness cut chosen on simulations, never on the observation itself
(that would bias the significance upwards).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "li_ma_significance",
    "li_ma_bootstrap_unc",
    "onoff_counts",
    "best_cut_expected_significance",
]


def li_ma_significance(n_on, n_off, alpha):
    """Li & Ma (1983) eq. 17 significance, vectorised over arrays; 0 where there is no count.

    Signed like the excess ``n_on - alpha n_off`` (negative for a deficit, as gammapy's
    ``WStatCountsStatistic.sqrt_ts``; pyirf gives 0 for a deficit).

    Parameters
    ----------
    n_on, n_off : array_like
        Counts in the ON region and summed over the OFF regions.
    alpha : array_like
        ON/OFF exposure ratio, ``1 / n_off_regions`` for wobble observations.

    Returns
    -------
    float or numpy.ndarray
        The significance S (in sigma, see the module's formula), a float for scalar inputs,
        else an array of the broadcast shape.

    Raises
    ------
    ValueError
        An ``alpha`` <= 0 or a negative count.
    """
    n_on = np.asarray(n_on, dtype=np.float64)
    n_off = np.asarray(n_off, dtype=np.float64)
    alpha = np.asarray(alpha, dtype=np.float64)
    if np.any(alpha <= 0):
        raise ValueError(f"alpha must be > 0, got {alpha}")
    if np.any(n_on < 0) or np.any(n_off < 0):
        raise ValueError("counts must be >= 0")
    total = n_on + n_off
    with np.errstate(divide="ignore", invalid="ignore"):
        t_on = np.where(n_on > 0, n_on * np.log((1 + alpha) / alpha * n_on / total), 0.0)
        t_off = np.where(n_off > 0, n_off * np.log((1 + alpha) * n_off / total), 0.0)
        s = np.sqrt(np.clip(2.0 * (t_on + t_off), 0.0, None))
    s = np.where(total > 0, np.sign(n_on - alpha * n_off) * s, 0.0)
    return s if s.ndim else float(s)


def li_ma_bootstrap_unc(
    n_on: int, n_off: int, n_events: int, alpha: float, n_bootstrap: int = 200, seed: int = 0
) -> float:
    """Standard deviation of the Li & Ma significance at a fixed cut when the ``n_events`` events
    of the sample are resampled with replacement: the counts that pass the cut in ON and OFF (and
    the rest) are then multinomial, so the resamples are drawn as counts, not as events. NaN for
    fewer than 2 resamples.

    Parameters
    ----------
    n_on, n_off : int
        Counts that pass the cut in the ON region and in the OFF regions together.
    n_events : int
        Events of the sample (all regions, before the cut); those not counted are the third
        multinomial category.
    alpha : float
        ON/OFF exposure ratio (``1 / n_off_regions``).
    n_bootstrap : int
        Number of resamples.
    seed : int
        Seed of the random generator (numpy's ``default_rng``).

    Returns
    -------
    float
        The sample standard deviation (ddof 1) of the resampled significances (sigma); NaN for
        ``n_bootstrap < 2`` or no events.
    """
    if n_bootstrap < 2 or n_events < 1:
        return float("nan")
    rng = np.random.default_rng(seed)
    rest = max(n_events - n_on - n_off, 0)
    p = np.array([n_on, n_off, rest], dtype=np.float64) / max(n_on + n_off + rest, 1)
    draws = rng.multinomial(int(n_on + n_off + rest), p, size=n_bootstrap)
    s = li_ma_significance(draws[:, 0], draws[:, 1], alpha)
    return float(np.std(s, ddof=1))


def onoff_counts(gammaness, region, cut: float, n_off_regions: int) -> dict:
    """Counts after the cut ``gammaness >= cut``: ON (region 0), OFF (regions 1..n), excess, S.

    Parameters
    ----------
    gammaness : array_like
        Gammaness per event, shape (n_events,).
    region : array_like
        Region per event, shape (n_events,): 0 ON, 1..``n_off_regions`` OFF, others (e.g. -1,
        outside every region) not counted.
    cut : float
        Events with ``gammaness >= cut`` are counted.
    n_off_regions : int
        Number of OFF regions; ``alpha = 1 / n_off_regions``.

    Returns
    -------
    dict
        ``cut``, ``n_on``, ``n_off``, ``alpha``, ``excess`` (``n_on - alpha n_off``) and
        ``li_ma_significance`` (:func:`li_ma_significance`).

    Raises
    ------
    ValueError
        ``n_off_regions`` < 1.
    """
    gammaness = np.asarray(gammaness, dtype=np.float64)
    region = np.asarray(region)
    if n_off_regions < 1:
        raise ValueError(f"n_off_regions must be >= 1, got {n_off_regions}")
    passed = gammaness >= cut
    n_on = int(np.count_nonzero(passed & (region == 0)))
    n_off = int(np.count_nonzero(passed & (region >= 1) & (region <= n_off_regions)))
    alpha = 1.0 / n_off_regions
    return {
        "cut": float(cut),
        "n_on": n_on,
        "n_off": n_off,
        "alpha": alpha,
        "excess": n_on - alpha * n_off,
        "li_ma_significance": float(li_ma_significance(n_on, n_off, alpha)),
    }


def best_cut_expected_significance(
    score_gamma,
    score_hadron,
    n_gamma_expected: float,
    n_hadron_expected: float,
    alpha: float,
    cuts=None,
) -> tuple[float, float]:
    """The cut maximising the Li & Ma significance expected from simulations.

    Expected ON counts ``eps_g n_gamma + eps_h n_hadron`` and OFF counts ``eps_h n_hadron / alpha``
    (efficiencies on the simulated test set, expected numbers of the observation before cuts).

    Parameters
    ----------
    score_gamma, score_hadron : array_like
        Gammaness of the simulated test gammas and hadrons.
    n_gamma_expected, n_hadron_expected : float
        Expected gamma (excess) and hadron counts in the ON region before cuts.
    alpha : float
        ON/OFF exposure ratio (``1 / n_off_regions``).
    cuts : array_like, optional
        Candidate cuts (events pass ``gammaness >= cut``); default 0, 0.01, ..., 0.99.

    Returns
    -------
    cut : float
        The candidate with the highest expected significance (the first, on ties).
    significance : float
        Its expected Li & Ma significance (sigma).
    """
    score_gamma = np.sort(np.asarray(score_gamma, dtype=np.float64))
    score_hadron = np.sort(np.asarray(score_hadron, dtype=np.float64))
    cuts = np.linspace(0.0, 1.0, 101)[:-1] if cuts is None else np.asarray(cuts)
    eff_g = 1.0 - np.searchsorted(score_gamma, cuts, side="left") / max(len(score_gamma), 1)
    eff_h = 1.0 - np.searchsorted(score_hadron, cuts, side="left") / max(len(score_hadron), 1)
    n_off = eff_h * n_hadron_expected / alpha
    n_on = eff_g * n_gamma_expected + eff_h * n_hadron_expected
    s = li_ma_significance(n_on, n_off, alpha)
    best = int(np.nanargmax(s))
    return float(cuts[best]), float(s[best])
