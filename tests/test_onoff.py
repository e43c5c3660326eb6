"""ON/OFF training on simulated showers (iactdl.labelnoise.baselines) and the synthetic label-flip
check.

Fixture: simulated point-like gammas and protons through the library's features (a few thousand
events after the quality cut), so the estimators meet real image parameters, not toy Gaussians.
"""

import json

import numpy as np
import pytest
from onoff_toy import assign_regions
from showers import shower_features

from iactdl.config import validate_model
from iactdl.features.columns import DEFAULT_FEATURES
from iactdl.io import InputError, write_events
from iactdl.labelnoise.baselines import OnOffModel, fit_onoff_baseline, fit_onoff_oracle
from iactdl.labelnoise.correction import MenonCorrection, estimate_noise_rates, menon_correction
from iactdl.metrics import expected_calibration_error, roc_auc
from iactdl.models import load_baseline, load_model
from iactdl.models.estimators import make_estimator

FEATURES = list(DEFAULT_FEATURES)
N_OFF = 5


def _features(sample, n, seed):
    return shower_features(sample, n, seed, FEATURES)


@pytest.fixture(scope="module")
def showers():
    """Features of simulated gammas and protons, shuffled; is_gamma alongside."""
    g, p = _features("gamma", 5000, 11), _features("proton", 10000, 12)
    cols = {c: np.concatenate([g[c], p[c]]) for c in FEATURES}
    y = np.r_[np.ones(len(g["size"]), int), np.zeros(len(p["size"]), int)]
    order = np.random.default_rng(0).permutation(len(y))
    return {c: v[order] for c, v in cols.items()}, y[order]


def _matrix(cols):
    x = np.column_stack([cols[c] for c in FEATURES]).astype(np.float64)
    x[~np.isfinite(x)] = np.nan
    return x


def _hgb():
    return make_estimator(
        "hist_gradient_boosting", "separation",
        {"max_iter": 100, "max_leaf_nodes": 15, "min_samples_leaf": 50}, seed=0,
    )  # fmt: skip


@pytest.mark.parametrize("rho_minus, rho_plus", [(1 / 6, 0.0), (0.3, 0.1)])
def test_synthetic_flips_corrected_posterior_matches_clean_model(showers, rho_minus, rho_plus):
    """Flip clean labels with known class-conditional rates, train, correct: the corrected
    posterior is calibrated like the clean-trained model's, and the anchor estimator finds rho_-."""
    cols, y = showers
    x = _matrix(cols)
    rng = np.random.default_rng(1)
    flip = np.where(y == 1, rng.random(len(y)) < rho_plus, rng.random(len(y)) < rho_minus)
    s = np.where(flip, 1 - y, y)
    half = len(y) // 2
    clean = _hgb().fit(x[:half], y[:half]).predict_proba(x[half:])[:, 1]
    noisy = _hgb().fit(x[:half], s[:half]).predict_proba(x[half:])[:, 1]
    corrected = menon_correction(noisy, MenonCorrection(rho_minus=rho_minus, rho_plus=rho_plus))
    yt = y[half:]
    ece_clean = expected_calibration_error(yt, clean)
    ece_noisy = expected_calibration_error(yt, noisy)
    ece_corr = expected_calibration_error(yt, corrected)
    # how well the noisy model estimates P(noisy label | x), against the held-out noisy labels:
    # the correction multiplies its errors by a = 1 / (1 - rho_+ - rho_-), and cannot do better
    corr = MenonCorrection(rho_minus=rho_minus, rho_plus=rho_plus)
    ece_noisy_own = expected_calibration_error(s[half:], noisy)
    print(
        f"ECE clean {ece_clean:.3f} noisy {ece_noisy:.3f} corrected {ece_corr:.3f} "
        f"noisy-vs-noisy-labels {ece_noisy_own:.3f} a {corr.a:.3f}"
    )
    assert ece_noisy > ece_corr + 0.03  # the noisy posterior is visibly off ...
    assert ece_corr < corr.a * ece_noisy_own + 0.02  # ... the corrected one within a x its error
    if corr.a < 1.3:  # ON/OFF-like noise (alpha = 0.2): as calibrated as the clean-trained model
        assert ece_corr < ece_clean + 0.03
    assert np.mean(np.abs(corrected - clean)) < np.mean(np.abs(noisy - clean))
    # the correction is monotone: ranking (AUC) untouched
    assert roc_auc(yt, corrected) == pytest.approx(
        roc_auc(yt, np.clip(noisy, corr.eta_min, corr.eta_max))
    )
    # rate estimator: anchor set = the 5 % lowest out-of-fold scores (the test is half gammas, so
    # the anchor must be small to be pure); the held-out half plays the out-of-fold role
    est = estimate_noise_rates(
        _hgb().fit(x[half:], s[half:]).predict_proba(x[:half])[:, 1], s[:half],
        method="anchor", anchor_fraction=0.05,
    )  # fmt: skip
    assert abs(est.rho_minus - rho_minus) < 0.06
    assert abs(est.rho_minus - rho_minus) < 3 * est.rho_minus_std + 0.03


@pytest.fixture(scope="module")
def observed(tmp_path_factory, showers):
    """An observed-like training file: gammas only in ON, protons evenly over ON and 5 OFF; no
    truth columns. The truth goes to its own file, as the simulator does."""
    cols, y = showers
    d = tmp_path_factory.mktemp("obs")
    region = assign_regions(np.random.default_rng(2), y == 1, N_OFF)
    eid = np.arange(len(y), dtype=np.int64) * 3  # event ids need not be positions
    write_events(d / "train.h5", {**cols, "region": region, "event_id": eid},
                 attrs={"n_off_regions": N_OFF})  # fmt: skip
    write_events(d / "truth.h5", {"event_id": eid[::-1].copy(),
                                  "particle_id": np.where(y == 1, 1, 14)[::-1].copy()})  # fmt: skip
    return d, y, region


ENTRY = {
    "kind": "baseline", "task": "separation", "estimator": "hist_gradient_boosting",
    "params": {"max_iter": 60, "max_leaf_nodes": 15, "min_samples_leaf": 50},
    "features": FEATURES, "cv_folds": 3, "labelnoise": {"noise_rates": "known_alpha"},
}  # fmt: skip


def test_fit_onoff_baseline_corrects_with_known_alpha(observed, tmp_path):
    d, y, region = observed
    fit_onoff_baseline(d / "train.h5", tmp_path / "m", "bdt_onoff", ENTRY, seed=3)
    info = json.loads((tmp_path / "m" / "model.json").read_text())
    ln = info["labelnoise"]
    assert info["labels"] == "on_off" and ln["alpha"] == pytest.approx(0.2)
    assert ln["correction"]["a"] == pytest.approx(1.2) and ln["correction"]["b"] == pytest.approx(
        -0.2
    )
    assert "pooled observation" in ln["prior"]
    assert info["n_on"] == int((region == 0).sum())
    # the alpha-free anchor estimate of rho_minus = 1/6 (the gammas here are ~40 % of all events)
    anchor = ln["estimated"]["anchor"]
    assert abs(anchor["rho_minus"] - 1 / 6) < 0.05
    model = load_model(tmp_path / "m")  # the one door: model.json names stage 6's loader
    assert isinstance(model, OnOffModel)
    with pytest.raises(InputError, match="iactdl.labelnoise.baselines.OnOffModel"):
        load_baseline(tmp_path / "m")  # the plain loader trusts no stage-6 type
    cols = {c: np.asarray(v) for c, v in zip(FEATURES, _matrix_cols(d / "train.h5"), strict=True)}
    out = model.predict(cols)
    np.testing.assert_allclose(out["gammaness"], np.clip(1.2 * out["p_on"] - 0.2, 0, 1), atol=1e-6)
    assert roc_auc(y, out["gammaness"]) > 0.75  # learned gammas from ON/OFF labels alone


def _matrix_cols(path):
    from iactdl.io import read_columns

    cols = read_columns(path, FEATURES)
    return [cols[c] for c in FEATURES]


def test_oracle_reads_truth_by_event_id(observed, tmp_path):
    d, y, _ = observed
    fit_onoff_oracle(d / "train.h5", d / "truth.h5", tmp_path / "o", "bdt_onoff", ENTRY, seed=3)
    info = json.loads((tmp_path / "o" / "model.json").read_text())
    assert info["n_gamma"] == int(y.sum()) and "oracle" in info["labels"]


def test_bad_entries_and_files(observed, tmp_path):
    d, _, _ = observed
    with pytest.raises(ValueError, match="ON and OFF positions differ"):
        validate_model("x", {**ENTRY, "derived_features": ["distance"]})
    with pytest.raises(ValueError, match="noise_rates"):
        validate_model("x", {**ENTRY, "labelnoise": {"noise_rates": "guess"}})
    with pytest.raises(ValueError, match="unknown key"):
        validate_model("x", {**ENTRY, "labelnoise": {"alpha": 0.2}})
    validate_model("x", ENTRY)
    # the schema fills labelnoise: null into every baseline entry: a simulation-trained baseline
    plain = {k: v for k, v in ENTRY.items() if k != "labelnoise"}
    validate_model("x", {**plain, "labelnoise": None})
    from iactdl.models import validate_baseline_entry

    with pytest.raises(ValueError, match="ON/OFF entry, trained by iactdl.labelnoise.baselines"):
        validate_baseline_entry("x", ENTRY)
    # a file without n_off_regions
    from iactdl.io import read_columns

    cols = read_columns(d / "train.h5", FEATURES + ["region", "event_id"])
    write_events(tmp_path / "noattr.h5", cols)
    with pytest.raises(ValueError, match="noattr.h5: attribute 'n_off_regions' is missing"):
        fit_onoff_baseline(tmp_path / "noattr.h5", tmp_path / "m", "x", ENTRY)
    # regions inconsistent with alpha
    write_events(tmp_path / "few.h5", cols, attrs={"n_off_regions": 3})
    with pytest.raises(ValueError, match="outside 0..3"):
        fit_onoff_baseline(tmp_path / "few.h5", tmp_path / "m", "x", ENTRY)
    assert not (tmp_path / "m" / "model.json").exists()


def test_trees_that_cannot_split_are_logged_as_a_constant_model(tmp_path, caplog):
    """ON/OFF trees on a short observation (config.yaml's 4 h `all` shift: 1,100 ON/OFF events,
    min_samples_leaf 500, 10 % held out for early stopping) cannot split, and predict one value:
    the training log says so with the ON/OFF counts and why, and model.json records it. Read from
    the predictions alone (no truth); a model that can split is not flagged."""
    rng = np.random.default_rng(4)
    n = 1100
    region = np.where(rng.random(n) < 0.22, 0, rng.integers(1, N_OFF + 1, n))
    cols = {"size": rng.lognormal(5, 1, n), "width": rng.normal(10 + 3 * (region == 0), 3, n)}
    write_events(tmp_path / "train.h5", {**cols, "region": region, "event_id": np.arange(n)},
                 attrs={"n_off_regions": N_OFF})  # fmt: skip
    params = {"early_stopping": True, "validation_fraction": 0.1, "n_iter_no_change": 10,
              "max_iter": 50}  # fmt: skip
    entry = {**ENTRY, "features": ["size", "width"], "params": {**params, "min_samples_leaf": 500}}
    with caplog.at_level("WARNING"):
        fit_onoff_baseline(tmp_path / "train.h5", tmp_path / "flat", "bdt_onoff", entry, seed=1)
    n_on = int((region == 0).sum())
    assert f"trained on 1100 ON/OFF events ({n_on} ON, {n - n_on} OFF, alpha = 0.2)" in caplog.text
    assert "a constant model" in caplog.text
    assert (
        "min_samples_leaf = 500 allows a split only with >= 1000 events, and the trees were "
        "fitted on 990 (1100 minus 110 held out by validation_fraction 0.1)" in caplog.text
    )
    info = json.loads((tmp_path / "flat" / "model.json").read_text())
    assert "one value" in info["constant_model"]
    caplog.clear()
    entry = {**entry, "params": {**params, "min_samples_leaf": 20}}
    with caplog.at_level("WARNING"):
        fit_onoff_baseline(tmp_path / "train.h5", tmp_path / "ranks", "bdt_onoff", entry, seed=1)
    assert "constant model" not in caplog.text
    assert json.loads((tmp_path / "ranks" / "model.json").read_text())["constant_model"] is None
