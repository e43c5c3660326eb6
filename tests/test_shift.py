"""Shift diagnostics (iactdl.adapt.shift): quantifiers against quapy and against a known prior,
two-sample statistics, the domain classifier and its weights, pixel channels, bad input."""

import json

import h5py
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict

from iactdl.adapt.shift import (
    adjusted_classify_and_count,
    check_shift_config,
    classifier_rates,
    classify_and_count,
    domain_classifier,
    domain_weights,
    em_prior,
    onoff_gamma_fraction,
    pixel_channel_values,
    quantify_gamma_fraction,
    shift_diagnostics,
    two_sample_statistics,
    two_sample_table,
)
from iactdl.adapt.shift.evaluation import evaluate_shift
from iactdl.adapt.shift.files import read_rows
from iactdl.io import InputError, write_events

SOURCE_PRIOR = 0.6


def _labelled(n, prior, rng):
    """Two overlapping Gaussian classes in 3-D (gammas around +0.8, hadrons around -0.8)."""
    y = (rng.random(n) < prior).astype(int)
    x = rng.normal(0.0, 1.0, (n, 3)) + np.where(y[:, None] == 1, 0.8, -0.8)
    return x, y


@pytest.fixture(scope="module")
def label_shift_problem():
    """A source-only classifier with out-of-fold training predictions, and target samples of
    known gamma fraction with p(x|y) unchanged (pure label shift)."""
    rng = np.random.default_rng(7)
    xs, ys = _labelled(6000, SOURCE_PRIOR, rng)
    clf = LogisticRegression()
    oof = cross_val_predict(clf, xs, ys, cv=5, method="predict_proba")[:, 1]
    clf.fit(xs, ys)
    targets = {}
    for prior in (0.05, 0.3):
        xt, yt = _labelled(20000, prior, rng)
        targets[prior] = (clf.predict_proba(xt)[:, 1], yt)
    return ys, oof, targets


# --------------------------------------------------------------------------------- quantifiers
@pytest.mark.parametrize("prior", [0.05, 0.3])
def test_quantifiers_recover_a_known_prior_under_label_shift(label_shift_problem, prior):
    ys, oof, targets = label_shift_problem
    scores, yt = targets[prior]
    true = yt.mean()
    tpr, fpr = classifier_rates(ys, oof)
    acc = adjusted_classify_and_count(scores, tpr, fpr)[0]
    em, n_iter = em_prior(scores, ys.mean())
    cc = classify_and_count(scores)[0]
    assert abs(acc - true) < 0.015, (acc, true)
    assert abs(em[0] - true) < 0.015, (em, true)
    assert n_iter < 1000
    # the naive count carries the training prior: it is far off, which is why one adjusts
    assert abs(cc - true) > 0.05


def test_quantifiers_agree_with_quapy(label_shift_problem):
    """ACC's rates and adjustment, and the EM of Saerens et al., against quapy on the same
    out-of-fold and target predictions."""
    pytest.importorskip("quapy")
    from quapy.method.aggregative import ACC, EMQ

    ys, oof, targets = label_shift_problem
    for scores, _ in targets.values():
        # ACC: quapy's P(yhat_i | y_j) from the same crisp out-of-fold labels, then its inversion
        rates = ACC.getPteCondEstim(np.array([0, 1]), ys, (oof >= 0.5).astype(int))
        cc = classify_and_count(scores)[0]
        theirs = ACC.solve_adjustment(
            rates, np.array([1 - cc, cc]), method="inversion", solver="exact-raise"
        )
        tpr, fpr = classifier_rates(ys, oof)
        ours = adjusted_classify_and_count(scores, tpr, fpr)[0]
        assert ours == pytest.approx(np.clip(theirs[1], 0, 1), abs=1e-10)
        # EM: quapy stops at a mean absolute change < 1e-4; ours at 1e-6
        q, _ = EMQ.EM(np.array([1 - ys.mean(), ys.mean()]), np.column_stack([1 - scores, scores]))
        em, _ = em_prior(scores, ys.mean())
        assert em[0] == pytest.approx(q[1], abs=1e-3)


def test_em_vectorised_over_bootstrap_weights_matches_one_by_one(label_shift_problem):
    ys, _, targets = label_shift_problem
    scores, _ = targets[0.05]
    scores = scores[:3000]
    w = np.random.default_rng(1).poisson(1.0, (4, scores.size)).astype(float)
    together, _ = em_prior(scores, ys.mean(), w)
    for b in range(4):
        alone, _ = em_prior(np.repeat(scores, w[b].astype(int)), ys.mean())
        assert together[b] == pytest.approx(alone[0], abs=1e-5)


def test_onoff_excess_counts_the_gammas_of_the_on_region():
    # 5 OFF regions with 100 hadrons each, ON: 100 hadrons + 25 gammas
    region = np.r_[np.zeros(125), np.repeat(np.arange(1, 6), 100)].astype(int)
    f = onoff_gamma_fraction(region, 5)
    assert f["on"][0] == pytest.approx(25 / 125)
    assert f["all"][0] == pytest.approx(25 / 625)
    with pytest.raises(ValueError, match="n_off_regions"):
        onoff_gamma_fraction(region, 0)


def test_quantify_gamma_fraction_off_regions_hold_no_gammas(label_shift_problem):
    ys, oof, targets = label_shift_problem
    scores, yt = targets[0.05]
    # gammas to ON, hadrons spread over ON and 5 OFF regions, as the simulated observation does
    rng = np.random.default_rng(3)
    region = np.where(yt == 1, 0, rng.integers(0, 6, yt.size))
    out = quantify_gamma_fraction(scores, region, 5, ys, oof, n_bootstrap=30, seed=1)
    on_true = yt[region == 0].mean()
    assert out["source"]["gamma_fraction"] == pytest.approx(ys.mean())
    assert out["on"]["onoff_excess"]["estimate"] == pytest.approx(
        on_true, abs=4 * out["on"]["onoff_excess"]["std"]
    )
    for method in ("acc", "em"):
        assert out["off"][method]["estimate"] < 0.01  # pure label shift: no bias in OFF
        assert out["on"][method]["estimate"] == pytest.approx(on_true, abs=0.03)
        assert out["all"][method]["std"] > 0
    assert "onoff_excess" not in out["off"]
    assert out["assumption_check"]["consistent"]  # pure label shift: OFF passes at the fpr
    # hadrons that look less gamma-like than simulated ones break it, and the check says so
    shifted = np.where(region >= 1, scores * 0.5, scores)
    broken = quantify_gamma_fraction(shifted, region, 5, ys, oof, n_bootstrap=30, seed=1)
    assert not broken["assumption_check"]["consistent"]


def test_acc_refuses_a_classifier_without_separation():
    with pytest.raises(ValueError, match="tpr > fpr"):
        adjusted_classify_and_count(np.array([0.2, 0.7]), tpr=0.4, fpr=0.4)


# ------------------------------------------------------------------------ two-sample statistics
def test_two_sample_statistics_zero_for_identical_and_large_for_shifted():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 2, 5000)
    same = two_sample_statistics(a, a)
    assert same["ks"] == 0.0 and same["wasserstein"] == 0.0
    draw = two_sample_statistics(a, rng.normal(0, 2, 5000))
    assert draw["ks"] < 0.04 and draw["wasserstein_std"] < 0.05
    shifted = two_sample_statistics(a, rng.normal(2, 2, 5000))  # one source std
    assert shifted["ks"] > 0.3
    assert shifted["wasserstein"] == pytest.approx(2.0, rel=0.1)
    assert shifted["wasserstein_std"] == pytest.approx(1.0, rel=0.1)


def test_two_sample_table_ranks_the_shifted_column_first_and_counts_nan():
    rng = np.random.default_rng(1)
    src = {"same": rng.normal(size=3000), "shifted": rng.normal(size=3000)}
    tgt = {"same": rng.normal(size=3000), "shifted": rng.normal(0.5, 1, 3000)}
    tgt["same"][:300] = np.nan
    table = two_sample_table(src, tgt)
    assert list(table["input"]) == ["shifted", "same"]
    assert list(table["rank"]) == [1, 2]
    assert table.set_index("input").loc["same", "nonfinite_target"] == pytest.approx(0.1)


# ---------------------------------------------------------------------------- domain classifier
def test_domain_classifier_near_half_for_the_same_distribution():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4000, 4))
    dc = domain_classifier(x[:2000], x[2000:], cv_folds=3, seed=0)
    assert abs(dc.auc - 0.5) < 0.05, dc.auc
    assert dc.n_source == dc.n_target == 2000 and len(dc.auc_folds) == 3


def test_domain_classifier_sees_a_shift_in_one_input():
    rng = np.random.default_rng(3)
    s, t = rng.normal(size=(2000, 4)), rng.normal(size=(2000, 4))
    t[:, 2] += 1.0
    assert domain_classifier(s, t, cv_folds=3, seed=0).auc > 0.7


def test_domain_weights_reweight_the_source_towards_the_target():
    rng = np.random.default_rng(4)
    s = rng.normal(0.0, 1.0, (6000, 1))
    t = rng.normal(0.5, 1.0, (6000, 1))
    dw = domain_weights(s, t, clip=20.0, cv_folds=3, seed=0)
    assert dw.weights.shape == (6000,) and dw.weights.max() <= 20.0 and dw.overlap
    weighted_mean = np.average(s[:, 0], weights=dw.weights)
    assert weighted_mean == pytest.approx(t.mean(), abs=0.1)  # unweighted: 0.5 away
    assert 0 < dw.effective_sample_size < 6000


def test_domain_weights_warn_when_the_domains_do_not_overlap():
    rng = np.random.default_rng(5)
    s, t = rng.normal(0, 1, (600, 2)), rng.normal(20, 1, (600, 2))
    with pytest.warns(RuntimeWarning, match="barely overlap"):
        dw = domain_weights(s, t, cv_folds=3)
    assert not dw.overlap and dw.auc > 0.99
    with pytest.raises(ValueError, match="clip"):
        domain_weights(s, t, clip=1.0)


# ------------------------------------------------------------------------------- pixel channels
def test_relative_time_removes_a_per_event_time_offset():
    """A trigger-time jitter per event shifts peak_time but not the event-relative time."""
    rng = np.random.default_rng(6)
    n, p = 1500, 16
    rows = np.zeros((n, p, 4), dtype=np.float32)
    rows[:, :, 0:2] = rng.normal(size=(n, p, 2))
    rows[:, :, 2] = rng.exponential(10.0, (n, p))
    rows[:, :, 3] = 20 + rng.normal(size=(n, p))
    mask = np.ones((n, p), dtype=bool)
    mask[:, 12:] = False
    jittered = rows.copy()
    jittered[:, :, 3] += rng.normal(0, 3.0, (n, 1))  # one offset per event
    table = two_sample_table(pixel_channel_values(rows, mask), pixel_channel_values(jittered, mask))
    ks = table.set_index("input")["ks"]
    assert ks["peak_time"] > 0.1
    assert ks["relative_time"] < 0.03 and ks["charge"] == 0.0 and ks["n_pixels"] == 0.0


# ------------------------------------------------------------------------- diagnostics, bad input
def _observed_file(path, n_off=5, region=True):
    rng = np.random.default_rng(8)
    cols = {"event_id": np.arange(300), "size": rng.lognormal(5, 1, 300)}
    if region:
        cols["region"] = rng.integers(0, n_off + 1, 300)
    write_events(path, cols, attrs={"n_off_regions": n_off} if n_off else {})


def test_shift_diagnostics_refuses_observed_without_regions(tmp_path):
    _observed_file(tmp_path / "obs.h5", region=False)
    write_events(tmp_path / "train.h5", {"size": np.ones(10), "is_gamma": np.zeros(10, np.int8)})
    with pytest.raises(InputError, match="region"):
        shift_diagnostics(
            source=tmp_path / "train.h5",
            observed=tmp_path / "obs.h5",
            quantifier_dir=tmp_path,
            outputs={},
        )


def test_shift_diagnostics_refuses_observed_without_n_off_regions(tmp_path):
    _observed_file(tmp_path / "obs.h5", n_off=0)
    write_events(tmp_path / "train.h5", {"size": np.ones(10), "is_gamma": np.zeros(10, np.int8)})
    with pytest.raises(InputError, match="n_off_regions"):
        shift_diagnostics(
            source=tmp_path / "train.h5",
            observed=tmp_path / "obs.h5",
            quantifier_dir=tmp_path,
            outputs={},
        )


def test_shift_diagnostics_names_a_missing_feature(tmp_path):
    _observed_file(tmp_path / "obs.h5")
    write_events(tmp_path / "train.h5", {"size": np.ones(10), "is_gamma": np.zeros(10, np.int8)})
    with pytest.raises(InputError, match=r"shift.features.*'width'"):
        shift_diagnostics(
            source=tmp_path / "train.h5",
            observed=tmp_path / "obs.h5",
            quantifier_dir=tmp_path,
            outputs={},
            config={"features": ["width"]},
        )


def test_evaluate_shift_puts_the_truth_beside_the_estimates(tmp_path):
    _observed_file(tmp_path / "obs.h5")
    with h5py.File(tmp_path / "obs.h5") as f:
        region = f["events/region"][:]
    particle = np.where((region == 0) & (np.arange(300) % 3 == 0), 1, 14)
    write_events(
        tmp_path / "truth.h5",
        {"event_id": np.arange(300)[::-1].copy(), "particle_id": particle[::-1].copy()},
    )
    diag = {
        "n_off_regions": 5,
        "label_shift": {
            "model": "m",
            "source": {"gamma_fraction": 0.6},
            "on": {"n_events": 1, "em": {"estimate": 0.3, "std": 0.1}},
            "all": {"n_events": 1},
            "off": {"n_events": 1},
        },
    }
    (tmp_path / "d.json").write_text(json.dumps(diag))
    out = evaluate_shift(
        tmp_path / "d.json", tmp_path / "obs.h5", tmp_path / "truth.h5", tmp_path / "e.json"
    )
    true_on = particle[region == 0].tolist().count(1) / (region == 0).sum()
    assert out["on"]["true_gamma_fraction"] == pytest.approx(true_on)
    assert out["on"]["em"]["error"] == pytest.approx(0.3 - true_on)
    assert out["off"]["true_gamma_fraction"] == 0.0
    assert json.loads((tmp_path / "e.json").read_text()) == out
    # an event without truth is named, not silently dropped
    write_events(
        tmp_path / "truth2.h5", {"event_id": np.arange(1, 300), "particle_id": particle[1:]}
    )
    with pytest.raises(InputError, match="truth2.h5: no truth row for 1 of 300 events"):
        evaluate_shift(
            tmp_path / "d.json", tmp_path / "obs.h5", tmp_path / "truth2.h5", tmp_path / "e2.json"
        )
    assert not (tmp_path / "e2.json").exists()


def test_read_rows_streams_the_same_rows_as_an_index(tmp_path):
    rng = np.random.default_rng(9)
    cols = {"a": rng.normal(size=1000), "img": rng.normal(size=(1000, 3, 2)).astype(np.float32)}
    write_events(tmp_path / "f.h5", cols)
    rows = np.sort(rng.choice(1000, 250, replace=False))
    got = read_rows(tmp_path / "f.h5", ["a", "img"], rows, chunk_size=64)
    assert np.array_equal(got["a"], cols["a"][rows])
    assert np.array_equal(got["img"], cols["img"][rows])
    assert read_rows(tmp_path / "f.h5", ["img"], rows[:0])["img"].shape == (0, 3, 2)


def test_shift_config_check_names_the_key():
    models = {
        "hist_gbt": {"kind": "baseline", "task": "separation"},
        "energy_rf": {"kind": "baseline", "task": "energy"},
    }
    assert check_shift_config({"cv_folds": 3}, models)["cv_folds"] == 3
    with pytest.raises(ValueError, match=r"shift: unknown key\(s\) \['folds'\]"):
        check_shift_config({"folds": 3})
    with pytest.raises(ValueError, match="shift.threshold"):
        check_shift_config({"threshold": 1.5})
    with pytest.raises(ValueError, match="shift.weight_clip"):
        check_shift_config({"weight_clip": 1.0})
    with pytest.raises(ValueError, match=r"domain_classifier.*\['max_iters'\]"):
        check_shift_config({"domain_classifier": {"max_iters": 10}})
    with pytest.raises(ValueError, match=r"quantifier_model: 'energy_rf'.*\['hist_gbt'\]"):
        check_shift_config({"quantifier_model": "energy_rf"}, models)
    # an ON/OFF-trained or importance-weighted baseline predicts something else than the truth
    for key, value in (
        ("labelnoise", {"noise_rates": "known_alpha"}),
        ("adapt", {"method": "importance"}),
    ):
        other = {**models, "gbt_x": {"kind": "baseline", "task": "separation", key: value}}
        with pytest.raises(ValueError, match=f"quantifier_model: 'gbt_x' has `{key}`"):
            check_shift_config({"quantifier_model": "gbt_x"}, other)


def test_the_workflow_config_check_refuses_a_bad_quantifier():
    from pathlib import Path

    from iactdl.config import ConfigError, check_config, load_config

    config = load_config(Path(__file__).parent / "config" / "tiny.yaml")
    check_config(config)
    config["shift"] = {**config.get("shift", {}), "quantifier_model": "mlp"}
    with pytest.raises(ConfigError, match="shift.quantifier_model: 'mlp'"):
        check_config(config)
