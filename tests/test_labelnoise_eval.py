"""The stage-6 measurement (iactdl.labelnoise.measurement) and the central comparison table."""

import numpy as np
import pytest

from iactdl.labelnoise.comparison import comparison_table, plot_comparison, write_comparison
from iactdl.labelnoise.correction import MenonCorrection
from iactdl.labelnoise.measurement import at_threshold, measure_onoff, on_gamma_fraction


def _observation(n=200_000, f_on=0.1, n_off=5, seed=0):
    """Hadrons evenly over 1 + n_off regions, gammas in ON only, and an exact P(ON | x) model."""
    rng = np.random.default_rng(seed)
    pi = f_on / ((1 - f_on) * (n_off + 1) + f_on)
    gamma = rng.random(n) < pi
    region = np.where(gamma, 0, rng.integers(0, n_off + 1, n))
    # a feature whose likelihood ratio is known: x ~ N(2, 1) for gammas, N(0, 1) for hadrons
    x = rng.normal(np.where(gamma, 2.0, 0.0), 1.0)
    lr = np.exp(2 * x - 2)
    eta = pi * lr / (pi * lr + 1 - pi)  # the exact clean posterior, pooled prior pi
    p_on = eta + (1 - eta) / (n_off + 1)  # the exact noisy posterior
    return gamma, region, eta, p_on


def test_measurement_on_exact_posteriors():
    gamma, region, eta, p_on = _observation()
    corr = MenonCorrection.from_alpha(0.2)
    g, _ = corr(p_on)
    np.testing.assert_allclose(g, eta, atol=1e-12)
    m = measure_onoff(
        score=p_on, region=region, is_gamma=gamma, n_off_regions=5,
        cuts={"corrected_0.5": corr.threshold(0.5)}, gammaness=g,
        eta_unclipped=corr.unclipped(p_on), rho_minus_estimated=0.17, n_bootstrap=50,
    )  # fmt: skip
    assert m["calibration_after"]["ece"] < 0.01  # the exact posterior is calibrated
    assert m["calibration_before"]["ece"] > 0.1  # P(ON) is not P(gamma)
    assert m["calibration_after"]["brier"] < m["calibration_before"]["brier"]
    assert m["rho_minus_true"] == pytest.approx(1 / 6, abs=0.005)
    frac = m["on_gamma_fraction"]
    assert abs(frac["counted_pull"]) < 3 and abs(frac["model_pull"]) < 3
    assert frac["true"] == pytest.approx(0.1, abs=0.01)
    thr = m["thresholds"]["corrected_0.5"]
    # eta >= 0.5 <=> x >= 1 + ln((1 - pi) / pi) / 2: the efficiency of a Gaussian cut
    assert 0 < thr["gamma_efficiency"] < 1 and thr["li_ma_significance"] > 5


def test_on_gamma_fraction_counting_and_uncertainty():
    region = np.r_[np.zeros(150, int), np.ones(500, int)]  # 150 ON, 500 OFF, alpha = 0.2
    out = on_gamma_fraction(region, 5)
    assert out["counted"] == pytest.approx((150 - 100) / 150)
    assert out["counted_std"] == pytest.approx(np.sqrt(150 + 0.04 * 500) / 150)
    with pytest.raises(ValueError, match="no ON"):
        on_gamma_fraction(np.ones(5, int), 5)


def test_at_threshold_counts():
    score = np.array([0.9, 0.8, 0.2, 0.95, 0.1])
    region = np.array([0, 1, 0, 0, 2])
    out = at_threshold(score, region, 2, 0.5, is_gamma=np.array([1, 0, 0, 1, 0]))
    assert (out["n_on"], out["n_off"], out["excess"]) == (2, 1, 1.5)
    assert out["gamma_efficiency"] == 1.0 and out["hadron_efficiency"] == pytest.approx(1 / 3)


def _measurement(auc):
    thr = {"cut": 0.5, "gamma_efficiency": 0.6, "li_ma_significance": 10.0}
    cal = {"ece": 0.01, "brier": 0.02}
    return {"roc_auc": auc, "roc_auc_unc": 0.01, "n_gamma": 100, "n_events": 1000,
            "calibration_after": cal, "thresholds": {"li_ma_val": thr}}  # fmt: skip


def test_comparison_rows_with_and_without_adapted_models(tmp_path):
    entries = {
        "lr": {"kind": "baseline"}, "bdt": {"kind": "baseline"}, "mlp": {"kind": "net"},
        "bdt_onoff": {"kind": "baseline", "labelnoise": {}},
        "lr_onoff": {"kind": "baseline", "labelnoise": {}},
    }  # fmt: skip
    metrics = {n: {"test": {"roc_auc": a}} for n, a in [("lr", 0.8), ("bdt", 0.9), ("mlp", 0.85)]}
    infos = {"bdt_onoff": {"cv": {"roc_auc": 0.6}}, "lr_onoff": {"cv": {"roc_auc": 0.58}}}
    meas = {n: {"measurement": _measurement(0.7)} for n in entries}
    meas["bdt_onoff"]["oracle"] = _measurement(0.9)
    df = comparison_table(entries, metrics, infos, meas)
    assert list(zip(df.approach, df.family, df.model, strict=True)) == [
        ("source-only", "baseline", "bdt"),
        ("ON/OFF corrected", "baseline", "bdt_onoff"),
        ("oracle", "baseline", "bdt_onoff (oracle)"),
        ("source-only", "net", "mlp"),
    ]
    # an adapted net (dann's entries) adds its row
    entries["mlp_dann"] = {"kind": "net", "adapt": {"method": "dann"}}
    metrics["mlp_dann"] = {"test": {"roc_auc": 0.84}}
    meas["mlp_dann"] = {"measurement": _measurement(0.8)}
    df = comparison_table(entries, metrics, infos, meas)
    rows = set(zip(df.approach, df.family, df.model, strict=True))
    assert ("domain-adapted", "net", "mlp_dann") in rows
    # ON/OFF nets: the best by its ON-vs-OFF AUC on observed_val (no cross-validation for nets),
    # with its oracle (the same net on truth) beside it
    for name, val_auc in (("mlp_onoff", 0.57), ("deepsets_onoff", 0.55)):
        entries[name] = {"kind": "net", "labelnoise": {}}
        infos[name] = {"kind": "net", "metrics": {"val_auc": val_auc}}
        meas[name] = {"measurement": _measurement(0.75), "oracle": _measurement(0.88)}
    df = comparison_table(entries, metrics, infos, meas)
    rows = list(zip(df.approach, df.family, df.model, strict=True))
    assert ("ON/OFF corrected", "net", "mlp_onoff") in rows
    assert ("oracle", "net", "mlp_onoff (oracle)") in rows
    assert not [r for r in rows if r[2].startswith("deepsets_onoff")]
    write_comparison(df, tmp_path / "c.csv", tmp_path / "c.tex")
    plot_comparison(df, tmp_path / "c.pdf", tmp_path / "c.png")
    assert "domain-adapted" in (tmp_path / "c.tex").read_text()
    assert (tmp_path / "c.png").stat().st_size > 1000


def test_model_on_gamma_fraction_uncertainty_covers_the_calibration_of_the_training_labels():
    """Repeated toy observations, an ON/OFF classifier fit on each: the model's ON gamma fraction
    scatters around the truth as its stated uncertainty says only with the calibration term (the
    mean of p_on is set by the training labels' ON fraction, binomial noise and all)."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)
    alpha, n_train, n_test = 0.2, 30_000, 15_000

    def observe(n):
        gamma = rng.random(n) < 0.03
        x = np.where(gamma, rng.normal(1.5, 1.0, n), rng.normal(0.0, 1.0, n))
        on = gamma | (rng.random(n) < alpha / (1 + alpha))  # no gamma in OFF
        return np.c_[x, x**2], gamma, np.where(on, 0, 1 + rng.integers(0, 5, n))

    pulls_events, pulls = [], []
    for _ in range(60):
        x, _, region = observe(n_train)
        clf = LogisticRegression(C=1e6).fit(x, region == 0)
        x_t, gamma_t, region_t = observe(n_test)
        eta = (1 + alpha) * clf.predict_proba(x_t)[:, 1] - alpha
        out = on_gamma_fraction(
            region_t, 5, gamma_t, eta, n_bootstrap=50, n_train=n_train, slope=1 + alpha
        )
        assert out["model_std_calibration"] > out["model_std_events"]
        pulls.append(out["model_pull"])
        pulls_events.append((out["model"] - out["true"]) / out["model_std_events"])
    assert 0.7 < np.std(pulls) < 1.4 and abs(np.mean(pulls)) < 0.5
    assert np.std(pulls_events) > 2.5  # the events' bootstrap alone understates it
