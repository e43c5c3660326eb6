"""The stage-6 measurement (iactdl.labelnoise.measurement) and the central comparison table."""

import numpy as np
import pytest

from iactdl.labelnoise.comparison import (
    bootstrap_metrics,
    comparison_rows,
    comparison_table,
    gamma_fraction_estimate,
    plot_comparison,
    prior_shift,
    write_comparison,
)
from iactdl.labelnoise.correction import MenonCorrection
from iactdl.labelnoise.measurement import at_threshold, measure_onoff, on_gamma_fraction
from iactdl.metrics.separation import roc_auc_bootstrap


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


def _entries():
    feats = {"features": ["size"]}
    return {
        "lr": {"kind": "baseline", "estimator": "logistic_regression", **feats},
        "bdt": {"kind": "baseline", "estimator": "hist_gradient_boosting", **feats},
        "bdt_iw": {"kind": "baseline", "estimator": "hist_gradient_boosting",
                   "adapt": {"method": "importance"}, **feats},
        "bdt_onoff": {"kind": "baseline", "estimator": "hist_gradient_boosting",
                      "labelnoise": {}, **feats},
        "lr_onoff": {"kind": "baseline", "estimator": "logistic_regression", "labelnoise": {}},
        "mlp": {"kind": "net", "net": "mlp", **feats},
        "mlp_onoff": {"kind": "net", "net": "mlp", "labelnoise": {}, **feats},
        "deepsets": {"kind": "net", "net": "deepsets"},
        "hexcnn": {"kind": "net", "net": "hexcnn"},
        "deepsets_iwdann": {"kind": "net", "net": "deepsets", "adapt": {"method": "iwdann"}},
        "hexcnn_dann": {"kind": "net", "net": "hexcnn", "adapt": {"method": "dann"}},
    }  # fmt: skip


def test_comparison_rows_hold_one_architecture_per_group():
    entries = _entries()
    aucs = {"lr": 0.8, "bdt": 0.9, "bdt_iw": 0.88, "mlp": 0.85, "deepsets": 0.87, "hexcnn": 0.86,
            "deepsets_iwdann": 0.8, "hexcnn_dann": 0.95}  # fmt: skip
    metrics = {n: {"test": {"roc_auc": a}} for n, a in aucs.items()}
    infos = {"bdt_onoff": {"cv": {"roc_auc": 0.6}}, "lr_onoff": {"cv": {"roc_auc": 0.7}},
             "mlp_onoff": {"kind": "net", "metrics": {"val_auc": 0.57}}}  # fmt: skip
    rows = comparison_rows(entries, metrics, infos, {"bdt_onoff": True})
    got = [(r["group"], r["approach"], r["model"], r["prior_corrected"]) for r in rows]
    assert got == [
        ("boosted trees", "source-only", "bdt", True),
        ("boosted trees", "domain-adapted", "bdt_iw", True),
        ("boosted trees", "ON/OFF corrected", "bdt_onoff", False),
        ("boosted trees", "oracle", "bdt_onoff~oracle", True),
        ("feature MLP", "source-only", "mlp", True),
        ("feature MLP", "ON/OFF corrected", "mlp_onoff", False),
        # the pixel net is the best source-only one (Deep Sets), and its group holds Deep Sets
        # only: the hexagonal CNN's DANN, better on simulations, is another architecture
        ("pixel net", "source-only", "deepsets", True),
        ("pixel net", "domain-adapted", "deepsets_iwdann", True),
    ]


def test_prior_shift_recovers_the_posterior_at_the_new_prior():
    lr = np.exp(np.linspace(-4, 4, 9))  # likelihood ratios
    post = lambda pi: pi * lr / (pi * lr + 1 - pi)  # noqa: E731
    np.testing.assert_allclose(prior_shift(post(0.6), 0.6, 0.025), post(0.025), rtol=1e-12)
    assert gamma_fraction_estimate(100, 300, 1000, 0.2) == pytest.approx(0.04)
    assert gamma_fraction_estimate(10, 300, 1000, 0.2) == pytest.approx(1e-4)  # a deficit


def test_bootstrap_metrics_judge_calibration_at_the_observations_prior():
    """Exact posteriors fit at a 60 % training prior, scored on an observation with ~2 % gammas:
    prior-corrected with the ON/OFF estimate they are calibrated (ECE near 0, positive skill);
    uncorrected they are not; the prior everywhere has ECE near 0 too, but no skill."""
    gamma, region, eta, _ = _observation(n=100_000, f_on=0.1)
    pi = gamma.mean()
    lr = eta / (1 - eta) * (1 - pi) / pi
    sim = 0.6 * lr / (0.6 * lr + 0.4)  # the same likelihoods at the training prior
    rows = [
        {"model": "corrected", "score": sim, "posterior": sim, "cut": 0.9,
         "prior_corrected": True, "train_prior": 0.6},
        {"model": "raw", "score": sim, "posterior": sim, "cut": 0.9, "prior_corrected": False,
         "train_prior": 0.6},
        {"model": "prior", "score": np.full(gamma.size, pi), "posterior": np.full(gamma.size, pi),
         "cut": 0.5, "prior_corrected": False, "train_prior": pi},
    ]  # fmt: skip
    df = bootstrap_metrics(gamma, region, 5, rows, n_bootstrap=30, seed=3).set_index("model")
    assert df.loc["corrected", "prior_estimate"] == pytest.approx(pi, abs=3 * 0.002)
    assert df.loc["corrected", "ece"] < 0.005 < df.loc["raw", "ece"]
    assert df.loc["corrected", "brier_skill"] > 0.2 > df.loc["raw", "brier_skill"]
    assert df.loc["corrected", "log_loss"] < df.loc["raw", "log_loss"]
    assert df.loc["prior", "ece"] < 0.005 and abs(df.loc["prior", "brier_skill"]) < 0.01
    # the ranking is untouched by the prior: one AUC, and the bootstrap's spread as the
    # Mann-Whitney bootstrap's of the measurement
    assert df.loc["corrected", "roc_auc"] == pytest.approx(df.loc["raw", "roc_auc"])
    _, unc = roc_auc_bootstrap(gamma.astype(int), sim, 30, 3)
    assert df.loc["corrected", "roc_auc_unc"] == pytest.approx(unc, rel=0.5)
    for col in ("roc_auc", "li_ma_significance", "brier_skill", "log_loss", "ece"):
        assert df.loc["corrected", f"{col}_unc"] > 0, col


def test_calibration_is_judged_on_the_labelled_events_of_a_theta2_observation():
    """Most events in no region and gammas reconstructed outside ON, as the theta^2 rule labels
    them: the truth-free prior (N_on - alpha N_off) / (N_on + N_off) is the gamma fraction of the
    events in a region (short by alpha x the gammas leaked into OFF), where
    (N_on - alpha N_off) / N would miss the 40 % of gammas outside ON; the exact posteriors,
    moved there from the training prior, are calibrated on those events; an oracle moved from
    the observation's true prior too."""
    from onoff_toy import theta2_observation

    t = theta2_observation(np.random.default_rng(5), 400_000, gamma_on=0.6, gamma_per_off=0.005)
    gamma, region = t["is_gamma"], t["region"]
    labelled = region >= 0
    lr = t["eta_all"] / (1 - t["eta_all"]) * (1 - t["pi_all"]) / t["pi_all"]
    sim = 0.6 * lr / (0.6 * lr + 0.4)
    rows = [
        {"model": "sim", "score": sim, "posterior": sim, "cut": 0.9, "prior_corrected": True,
         "train_prior": 0.6},
        {"model": "oracle", "score": t["eta_all"], "posterior": t["eta_all"], "cut": 0.9,
         "prior_corrected": True, "train_prior": "observed"},
        {"model": "onoff", "score": t["eta_labelled"], "posterior": t["eta_labelled"],
         "cut": 0.9, "prior_corrected": False, "train_prior": 0.6},
    ]  # fmt: skip
    df = bootstrap_metrics(gamma, region, 5, rows, n_bootstrap=10, seed=1).set_index("model")
    true_l = gamma[labelled].mean()
    assert df.loc["sim", "true_gamma_fraction"] == pytest.approx(true_l)
    assert df.loc["sim", "n_labelled"] == labelled.sum()
    # short by (1 + alpha) x the gammas in OFF: missing from N_on, and subtracted with the OFF;
    # the hadrons' ON - alpha OFF scatters by ~0.003 here
    leak = 1.2 * (gamma & (region >= 1)).sum() / labelled.sum()
    assert df.loc["sim", "prior_estimate"] == pytest.approx(true_l - leak, abs=0.01)
    assert df.loc["sim", "prior_estimate"] > 5 * gamma.mean()  # not the all-events fraction
    assert np.isnan(df.loc["oracle", "train_prior"])
    for model in ("sim", "oracle", "onoff"):
        assert df.loc[model, "ece"] < 0.02, model
        assert df.loc[model, "brier_skill"] > 0.3, model


def test_comparison_table_and_figure_are_written(tmp_path):
    gamma, region, eta, _ = _observation(n=20_000, f_on=0.1)
    rows = [
        {"group": "boosted trees", "approach": "source-only", "model": "bdt", "scored": "bdt",
         "prior_corrected": True},
        {"group": "boosted trees", "approach": "ON/OFF corrected", "model": "bdt_onoff",
         "scored": "bdt_onoff", "prior_corrected": False},
        {"group": "boosted trees", "approach": "oracle", "model": "bdt_onoff~oracle",
         "scored": "bdt_onoff~oracle", "prior_corrected": False},
    ]  # fmt: skip
    preds = {"bdt": {"gammaness": eta}, "bdt_onoff": {"gammaness": eta},
             "bdt_onoff~oracle": {"gammaness": eta}}  # fmt: skip
    cuts = {m: {"theta2_cut": 0.025, "gammaness_cut": 0.5, "region": region} for m in preds}
    df = comparison_table(rows, preds, {"is_gamma": gamma, "region": region}, 5, cuts, 0.6, 20)
    assert list(df["model"]) == ["bdt", "bdt_onoff", "bdt_onoff~oracle"]
    assert not df["constant_model"].any()
    entries = _entries()
    write_comparison(df, tmp_path / "c.csv", tmp_path / "c.tex", entries)
    plot_comparison(df, tmp_path / "c.pdf", tmp_path / "c.png", entries)
    tex = (tmp_path / "c.tex").read_text()
    assert "boosted trees, ON/OFF labels (oracle)" in tex and r"\pm" in tex
    assert (tmp_path / "c.png").stat().st_size > 1000


def _wobble_field(rng, n):
    """Thetas of a wobble observation (source 0.6 deg off the centre, 5 OFF positions): gammas
    reconstructed around the source, hadrons anywhere; a gammaness that separates them."""
    from iactdl.camera import MM_TO_DEG
    from iactdl.evaluate.theta2 import theta_on_off

    gamma = rng.random(n) < 0.05
    deg = 1.0 / MM_TO_DEG  # mm per deg
    x = np.where(gamma, 0.6 * deg + rng.normal(0, 0.15 * deg, n), rng.uniform(-1.2, 1.2, n) * deg)
    y = np.where(gamma, rng.normal(0, 0.15 * deg, n), rng.uniform(-1.2, 1.2, n) * deg)
    t_on, t_off = theta_on_off(x, y, 0.6 * deg, 0.0, 5)
    g = np.clip(rng.normal(np.where(gamma, 0.7, 0.3), 0.2), 0, 1)
    return gamma, g, t_on, t_off


def test_comparison_li_ma_is_the_significance_tables_at_the_chosen_cuts():
    """The row's Li & Ma is the theta^2 analysis's at its (theta^2, gammaness) pair, not the one
    at the ON/OFF labels' fixed theta^2 cut and the measurement's cut (two numbers for one model
    in one paper); an oracle's pair is chosen on its own observed_val predictions."""
    from iactdl.evaluate.theta2 import theta2_counts, theta2_regions
    from iactdl.evaluate.theta2_analysis import choose_cuts
    from iactdl.labelnoise.comparison import chosen_cuts

    rng = np.random.default_rng(11)
    gamma, g, t_on, t_off = _wobble_field(rng, 20_000)
    region = theta2_regions(t_on, t_off, 0.025)  # the labels' fixed cut
    rows = [
        {"group": "boosted trees", "approach": "source-only", "model": "bdt", "scored": "bdt",
         "prior_corrected": True},
        {"group": "boosted trees", "approach": "oracle", "model": "bdt_onoff~oracle",
         "scored": "bdt_onoff~oracle", "prior_corrected": True},
    ]  # fmt: skip
    analyses = {
        "bdt": {"choice": {"theta2_cut": 0.05, "gammaness_cut": 0.6}},
        "bdt_onoff": {"theta2_cut_candidates": [0.02, 0.04, 0.06]},
    }
    _, g_val, v_on, v_off = _wobble_field(rng, 20_000)
    cuts = chosen_cuts(rows, analyses, (t_on, t_off), 5,
                       {"bdt_onoff~oracle": {"gammaness": g_val}}, (v_on, v_off))  # fmt: skip
    preds = {"bdt": {"gammaness": g}, "bdt_onoff~oracle": {"gammaness": g}}
    truth = {"is_gamma": gamma, "region": region}
    df = comparison_table(rows, preds, truth, 5, cuts, 0.6, 20).set_index("model")
    table = theta2_counts(g, t_on, t_off, gammaness_cut=0.6, theta2_cut=0.05)
    assert df.loc["bdt", "li_ma_significance"] == pytest.approx(table["li_ma_significance"])
    assert (df.loc["bdt", "theta2_cut"], df.loc["bdt", "cut"]) == (0.05, 0.6)
    assert df.loc["bdt", "gamma_efficiency"] == pytest.approx(np.mean(g[gamma] > 0.6))
    # not at the labels' fixed theta^2 cut: the regions of 0.05 deg^2 count other events
    at_fixed = theta2_counts(g, t_on, t_off, gammaness_cut=0.6, theta2_cut=0.025)
    assert at_fixed["li_ma_significance"] != pytest.approx(table["li_ma_significance"])
    choice = choose_cuts(g_val, v_on, v_off, [0.02, 0.04, 0.06])
    oracle = df.loc["bdt_onoff~oracle"]
    assert (oracle["theta2_cut"], oracle["cut"]) == (choice["theta2_cut"], choice["gammaness_cut"])
    with pytest.raises(KeyError, match="observed_val predictions"):
        chosen_cuts(rows, analyses, (t_on, t_off), 5)


def test_a_row_without_its_cuts_is_refused_naming_it():
    """Every row is scored at the cuts chosen on observed_val; there is no second way (the
    measurement's cut at the labels' regions) to fall back on."""
    gamma, region, eta, _ = _observation(n=2_000)
    rows = [{"group": "boosted trees", "approach": "source-only", "model": "bdt",
             "scored": "bdt", "prior_corrected": True}]  # fmt: skip
    truth = {"is_gamma": gamma, "region": region}
    with pytest.raises(KeyError, match=r"no cuts chosen on observed_val for row\(s\) \['bdt'\]"):
        comparison_table(rows, {"bdt": {"gammaness": eta}}, truth, 5, {}, 0.6, 20)


def test_a_constant_model_is_marked_not_scored(tmp_path):
    """ON/OFF trees that predict one value (a 4 h observation, every tree a single leaf): the
    cut chosen on observed_val finds it from the predictions alone (no truth), and the table
    says "constant model" instead of an AUC of 0.5 and a Li & Ma of "every event"."""
    from iactdl.evaluate.theta2 import theta2_regions
    from iactdl.evaluate.theta2_analysis import choose_cuts
    from iactdl.labelnoise.comparison import chosen_cuts

    rng = np.random.default_rng(3)
    gamma, g, t_on, t_off = _wobble_field(rng, 20_000)
    _, g_val, v_on, v_off = _wobble_field(rng, 20_000)
    flat, flat_val = np.full_like(g, 0.068), np.full_like(g_val, 0.068)
    rows = [
        {"group": "boosted trees", "approach": "source-only", "model": "bdt", "scored": "bdt",
         "prior_corrected": True},
        {"group": "boosted trees", "approach": "ON/OFF corrected", "model": "bdt_onoff",
         "scored": "bdt_onoff", "prior_corrected": False},
    ]  # fmt: skip
    analyses = {m: {"choice": choose_cuts(v, v_on, v_off, [0.025], where=f"{m}: val")}
                for m, v in (("bdt", g_val), ("bdt_onoff", flat_val))}  # fmt: skip
    assert analyses["bdt"]["choice"]["constant_model"] is None
    reason = analyses["bdt_onoff"]["choice"]["constant_model"]
    assert "bdt_onoff: val: one value (0.068) for all 20000 events: a constant model" in reason
    cuts = chosen_cuts(rows, analyses, (t_on, t_off), 5)
    truth = {"is_gamma": gamma, "region": theta2_regions(t_on, t_off, 0.025)}
    preds = {"bdt": {"gammaness": g}, "bdt_onoff": {"gammaness": flat}}
    df = comparison_table(rows, preds, truth, 5, cuts, 0.6, 20).set_index("model")
    assert df["constant_model"].to_dict() == {"bdt": False, "bdt_onoff": True}
    for col in ("roc_auc", "li_ma_significance", "gamma_efficiency"):
        assert np.isnan(df.loc["bdt_onoff", col]) and np.isnan(df.loc["bdt_onoff", f"{col}_unc"])
        assert np.isfinite(df.loc["bdt", col])
    assert np.isfinite(df.loc["bdt_onoff", "brier_skill"])  # a constant posterior is scored
    write_comparison(df.reset_index(), tmp_path / "c.csv", tmp_path / "c.tex", _entries())
    onoff_line = next(ln for ln in (tmp_path / "c.tex").read_text().splitlines()
                      if "ON/OFF labels" in ln)  # fmt: skip
    assert onoff_line.count("constant model") == 2 and "0.500" not in onoff_line


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


def test_measurement_on_theta2_labels_leaves_events_in_no_region_out():
    """Theta^2 labels: most events in no region, a few gammas in OFF regions. The flip rates are
    those of the labelled events, and each ON gamma fraction estimate finds what it estimates:
    known alpha (rho_plus = 0) the excess, Menon with the true rho_plus and the oracle's EM the
    true fraction. Before (every event in the sums) the model's estimate was ~8 on the default run.
    """
    from onoff_toy import theta2_observation

    t = theta2_observation(np.random.default_rng(3), 300_000, hadron_per_region=0.02,
                           gamma_per_off=0.03)  # fmt: skip
    gamma, region = t["is_gamma"], t["region"]
    assert np.mean(region == -1) > 0.8  # as in an observation: most events carry no label

    def measure(corr, **kw):
        return measure_onoff(
            score=t["p_on"], region=region, is_gamma=gamma, n_off_regions=5,
            cuts={"corrected_0.5": corr.threshold(0.5)}, gammaness=corr(t["p_on"])[0],
            eta_unclipped=corr.unclipped(t["p_on"]), n_bootstrap=50,
            calibration={"rho_plus": corr.rho_plus}, **kw,
        )  # fmt: skip

    known = measure(MenonCorrection.from_alpha(0.2))
    assert known["rho_minus_true"] == pytest.approx(1 / 6, abs=0.01)
    assert known["alpha_true"] == pytest.approx(0.2, abs=0.015)
    assert known["rho_plus_true"] == pytest.approx(t["rho_plus"], abs=0.01)
    frac = known["on_gamma_fraction"]
    assert frac["n_labelled"] == np.count_nonzero(region >= 0)
    assert abs(frac["counted"] - frac["true_excess"]) < 3 * frac["counted_std"]
    assert abs(frac["model"] - frac["true_excess"]) < 3 * frac["model_std"]
    assert frac["true"] - frac["true_excess"] > 3 * frac["model_std"]  # the leak is visible
    # calibration on the labelled events, where Menon's posterior has its prior
    assert known["calibration_events"] == "labelled"
    assert known["n_calibration_events"] == frac["n_labelled"]

    exact = measure(MenonCorrection(rho_minus=t["rho_minus"], rho_plus=t["rho_plus"]))
    np.testing.assert_allclose(exact["calibration_after"]["reliability"]["mean_predicted"],
                               exact["calibration_after"]["reliability"]["fraction_gamma"],
                               atol=0.03)  # fmt: skip
    frac = exact["on_gamma_fraction"]
    assert abs(frac["model_pull"]) < 3

    # the oracle: a posterior at the prior of all events, moved to the ON region's by EM
    oracle = measure_onoff(
        score=t["eta_all"], region=region, is_gamma=gamma, n_off_regions=5,
        cuts={"corrected_0.5": 0.5}, eta_unclipped=t["eta_all"], n_bootstrap=50,
        calibration={"train_prior": t["pi_all"]},
    )  # fmt: skip
    assert oracle["calibration_events"] == "all"
    frac = oracle["on_gamma_fraction"]
    assert frac["model_method"] == "em_prior_on" and abs(frac["model_pull"]) < 3


def test_em_prior_recovers_a_shifted_prior():
    from iactdl.labelnoise.measurement import em_prior

    rng = np.random.default_rng(5)
    gamma = rng.random(50_000) < 0.6
    lr = np.exp(2 * rng.normal(np.where(gamma, 2.0, 0.0), 1.0) - 2)
    eta = 0.1 * lr / (0.1 * lr + 0.9)  # exact posteriors at prior 0.1
    assert em_prior(eta, 0.1) == pytest.approx(0.6, abs=0.01)
    boot = em_prior(eta, 0.1, rng.poisson(1.0, (20, eta.size)))
    # at least the binomial sqrt(0.6 * 0.4 / 50000) = 0.0022: the posteriors do not separate fully
    assert boot.shape == (20,) and 0.001 < boot.std() < 0.01


def test_split_thetas_and_event_order_are_checked_naming_the_files(tmp_path):
    """The comparison's split file must hold every theta column (a missing one is named with the
    file), and a file whose events are not those of another, in order, is refused naming both."""
    from iactdl.io import InputError, write_events
    from iactdl.labelnoise.comparison import _check_same_events, _split_thetas

    n = 50
    cols = {"event_id": np.arange(n), "theta_deg": np.full(n, 0.1)}
    cols |= {f"theta_deg_off_{k}": np.full(n, 0.5) for k in (1, 2)}
    write_events(tmp_path / "val.h5", cols)
    event_id, on, off = _split_thetas(tmp_path / "val.h5", 2)
    assert np.array_equal(event_id, np.arange(n)) and on.shape == (n,) and off.shape == (2, n)
    with pytest.raises(InputError, match=r"val\.h5.*theta_deg_off_3"):
        _split_thetas(tmp_path / "val.h5", 3)
    with pytest.raises(InputError, match=r"b\.h5: its events are not those of a\.h5"):
        _check_same_events(np.arange(n), np.arange(n)[::-1], "a.h5", "b.h5")
    _check_same_events(np.arange(n), np.arange(n), "a.h5", "b.h5")
