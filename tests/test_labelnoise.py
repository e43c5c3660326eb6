"""Label-noise correction for ON/OFF labels (iactdl.labelnoise.correction) and the Li & Ma
threshold.

The derivation is checked on a constructed case where every quantity is known exactly; the
synthetic check flips the labels of simulated gammas and protons with chosen class-conditional
rates, trains on them, corrects, and compares with the model trained on the clean labels.
"""

import logging

import numpy as np
import pytest

from iactdl.evaluate.significance import li_ma_significance
from iactdl.evaluate.thresholds import li_ma_threshold
from iactdl.labelnoise.correction import (
    MenonCorrection,
    NoiseEstimationError,
    alpha_from_attrs,
    check_source_independent,
    estimate_noise_rates,
    menon_correction,
    onoff_labels,
)
from iactdl.metrics import expected_calibration_error

# --- the derivation on a constructed case ---


@pytest.mark.parametrize("rho_minus, rho_plus", [(1 / 6, 0.0), (0.3, 0.1), (0.05, 0.4)])
def test_affine_relation_from_flip_rates(rho_minus, rho_plus):
    """eta_noisy = (1 - rho+ - rho-) eta + rho- for every clean eta; a, b invert it exactly."""
    eta = np.linspace(0, 1, 101)
    eta_noisy = eta * (1 - rho_plus) + (1 - eta) * rho_minus  # P(noisy 1 | x), by counting
    corr = MenonCorrection(rho_minus=rho_minus, rho_plus=rho_plus)
    np.testing.assert_allclose(corr.a * eta_noisy + corr.b, eta, atol=1e-12)
    assert corr.a == pytest.approx(1 / (1 - rho_plus - rho_minus))
    assert corr.b == pytest.approx(-rho_minus / (1 - rho_plus - rho_minus))
    assert corr.eta_min == pytest.approx(eta_noisy[0]) and corr.eta_max == pytest.approx(
        eta_noisy[-1]
    )


@pytest.mark.parametrize("n_off", [1, 3, 5, 11])
def test_onoff_known_alpha_gives_a_one_plus_alpha_b_minus_alpha(n_off):
    alpha = 1 / n_off
    corr = MenonCorrection.from_alpha(alpha)
    assert corr.a == pytest.approx(1 + alpha) and corr.b == pytest.approx(-alpha)
    assert corr.rho_minus == pytest.approx(1 / (n_off + 1)) and corr.rho_plus == 0
    assert corr.alpha == pytest.approx(alpha)
    # the corrected-0.5 cut on P(ON|x): (0.5 + alpha) / (1 + alpha)
    assert corr.threshold(0.5) == pytest.approx((0.5 + alpha) / (1 + alpha))


def test_onoff_counting_case_exact():
    """Cells of a feature with known gamma/hadron counts spread over ON and n_off OFF regions:
    the ON fraction per cell, corrected with a = 1 + alpha, b = -alpha, is the gamma fraction."""
    n_off = 4
    gammas = np.array([0, 10, 50, 200, 400])
    hadrons = np.array([1000, 500, 250, 50, 0]) * (n_off + 1)  # equal share per region
    n_on = gammas + hadrons / (n_off + 1)
    eta_noisy = n_on / (gammas + hadrons)
    corr = MenonCorrection.from_alpha(1 / n_off)
    np.testing.assert_allclose(menon_correction(eta_noisy, corr), gammas / (gammas + hadrons))


def test_clipping_counted_and_logged(caplog):
    corr = MenonCorrection.from_alpha(0.2)  # eta_min = 1/6
    with caplog.at_level(logging.INFO, logger="iactdl.labelnoise.correction"):
        eta = menon_correction(np.array([0.0, 0.1, 0.5, 1.0]), corr)
    assert eta.min() == 0 and eta.max() == 1
    assert corr(np.array([0.0, 0.1, 0.5, 1.0]))[1] == {"below_0": 2, "above_1": 0}
    assert "clipped 2 below 0 and 0 above 1 of 4" in caplog.text
    # the unclipped values keep the mean (the prior estimate) unbiased
    assert corr.unclipped([0.0])[0] == pytest.approx(-0.2)


# --- estimators on a constructed case ---


def _constructed(n=200_000, rho_minus=1 / 6, pi=0.05, seed=0):
    """Events with a score that ranks them perfectly at the extremes and noisy labels."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < pi
    s = np.where(y, 1, (rng.random(n) < rho_minus)).astype(int)
    # the exact eta_noisy per class plus a model's estimation scatter
    eta_noisy = np.clip(np.where(y, 1.0, rho_minus) + rng.normal(0, 0.05, n), 0, 1)
    return y, s, eta_noisy


def test_anchor_estimator_finds_rho_minus_where_range_is_biased_low():
    y, s, eta_noisy = _constructed()
    anchor = estimate_noise_rates(eta_noisy, s, method="anchor", rho_plus=0.0)
    assert abs(anchor.rho_minus - 1 / 6) < 3 * anchor.rho_minus_std + 1e-3
    assert anchor.rho_plus == 0 and anchor.method == "anchor"
    # Menon's range estimate reads the scatter: the 1 % quantile sits ~2.3 sigma below rho_minus
    rng_est = estimate_noise_rates(eta_noisy, method="range", quantiles=(0.01, 0.99))
    assert rng_est.rho_minus == pytest.approx(1 / 6 - 2.33 * 0.05, abs=0.01)


def test_range_estimator_is_exact_on_exact_posteriors():
    eta_noisy = np.r_[np.full(1000, 0.2), np.linspace(0.2, 0.9, 1000), np.full(1000, 0.9)]
    corr = estimate_noise_rates(eta_noisy, method="range", quantiles=(0.05, 0.95))
    assert corr.rho_minus == pytest.approx(0.2) and corr.rho_plus == pytest.approx(0.1)
    assert corr.a == pytest.approx(1 / 0.7) and corr.b == pytest.approx(-0.2 / 0.7)


# --- bad input ---


def test_eta_max_not_above_eta_min_fails_without_dividing():
    flat = np.full(100, 0.3)
    with pytest.raises(NoiseEstimationError, match="eta_max .* <= eta_min .*not dividing"):
        estimate_noise_rates(flat, method="range")
    labels = np.r_[np.ones(50, int), np.zeros(50, int)]
    scores = np.r_[np.zeros(50), np.ones(50)]  # anti-correlated: the top holds only OFF labels
    with pytest.raises(NoiseEstimationError, match="noise estimation failed"):
        estimate_noise_rates(scores, labels, method="anchor")
    with pytest.raises(NoiseEstimationError, match=">= 1"):
        MenonCorrection(rho_minus=0.6, rho_plus=0.4)


def test_alpha_missing_or_wrong_in_attrs():
    with pytest.raises(ValueError, match="obs.h5: attribute 'n_off_regions' is missing"):
        alpha_from_attrs({"sample": "observed"}, "obs.h5")
    for bad in (0, -1, 2.5, "5", True):
        with pytest.raises(ValueError, match="n_off_regions"):
            alpha_from_attrs({"n_off_regions": bad})
    assert alpha_from_attrs({"n_off_regions": np.int64(5)}) == pytest.approx(0.2)


def test_onoff_labels_checks_regions_against_alpha():
    rng = np.random.default_rng(1)
    region = rng.integers(0, 6, 5000)
    s = onoff_labels(region, 0.2, "train.h5")
    np.testing.assert_array_equal(s, region == 0)
    with pytest.raises(
        ValueError, match=r"train.h5: column 'region' has value\(s\) \[4, 5\] outside 0..3"
    ):
        onoff_labels(region, 1 / 3, "train.h5")
    with pytest.raises(ValueError, match=r"OFF region\(s\) \[6, 7\] have no events"):
        onoff_labels(region, 1 / 7, "train.h5")
    with pytest.raises(ValueError, match="no ON"):
        onoff_labels(np.r_[region[region > 0]], 0.2)
    with pytest.raises(ValueError, match="no OFF"):
        onoff_labels(np.zeros(10, int), 0.2)
    with pytest.raises(ValueError, match="not 1 / an integer"):
        onoff_labels(region, 0.3)


def test_source_dependent_features_refused_with_reason():
    with pytest.raises(ValueError, match="ON and OFF positions differ in the camera"):
        check_source_independent(["size", "source_x"], "models.x")
    with pytest.raises(ValueError, match=r"\['alpha', 'distance'\]"):
        check_source_independent(["width", "distance", "alpha"], "models.x")
    with pytest.raises(ValueError, match="label itself"):
        check_source_independent(["region"])
    with pytest.raises(ValueError, match="truth"):
        check_source_independent(["is_gamma"])
    check_source_independent(["size", "width", "cog_x", "cog_r", "log_size"])


# --- thresholds ---


def test_li_ma_threshold_is_the_exhaustive_maximum():
    rng = np.random.default_rng(3)
    n_off = 5
    n = 20_000
    gamma = rng.random(n) < 0.02
    region = np.where(gamma, 0, rng.integers(0, n_off + 1, n))
    score = np.where(gamma, rng.beta(5, 2, n), rng.beta(2, 5, n))
    best = li_ma_threshold(score, region, n_off, min_on=10)
    # brute force over every score as a cut
    cuts = np.unique(score)
    sel = score[None, :] >= cuts[::50, None]
    n_on = (sel & (region == 0)).sum(1)
    n_of = (sel & (region > 0)).sum(1)
    sig = np.where(n_on >= 10, li_ma_significance(n_on, n_of, 1 / n_off), -np.inf)
    assert best["li_ma_significance"] >= sig.max() - 1e-9
    passed = score >= best["cut"]
    assert best["n_on"] == np.count_nonzero(passed & (region == 0))
    assert best["li_ma_significance"] == pytest.approx(
        li_ma_significance(best["n_on"], best["n_off"], 1 / n_off)
    )
    # the cut is better than keeping everything (the signal is at high score)
    assert best["li_ma_significance"] > li_ma_significance(
        np.count_nonzero(region == 0), np.count_nonzero(region > 0), 1 / n_off
    )


def test_li_ma_threshold_bad_input():
    with pytest.raises(ValueError, match="ON .* and OFF"):
        li_ma_threshold(np.ones(5), np.zeros(5, int), 5)
    with pytest.raises(ValueError, match="min_on"):
        li_ma_threshold(np.arange(4.0), np.array([0, 1, 2, 1]), 5, min_on=10)


def test_expected_calibration_error():
    rng = np.random.default_rng(4)
    p = rng.random(100_000)
    y = (rng.random(p.size) < p).astype(int)
    assert expected_calibration_error(y, p) < 0.01
    assert expected_calibration_error(y, 0.5 * p) == pytest.approx(0.25, abs=0.01)
