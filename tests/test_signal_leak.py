"""The signal leak rho_plus = P(OFF | gamma, in a region) from simulated point-like gammas
(iactdl.labelnoise.leak) and its use in the known-alpha Menon correction (issue 20)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from disp_toy import constructed_gammas, toy_disp_model
from onoff_toy import theta2_observation

from iactdl.io import InputError, write_events
from iactdl.labelnoise.baselines import correction_record
from iactdl.labelnoise.correction import MenonCorrection
from iactdl.labelnoise.joint import noisy_logit
from iactdl.labelnoise.leak import estimate_signal_leak, read_signal_leak, signal_leak
from iactdl.models.disp_store import save_disp
from iactdl.observed_regions import RegionLabeller


def test_the_leak_of_a_known_source_is_recovered_within_its_error():
    # the source's gammas alone (gamma_fraction 1): 0.6 ON, 0.02 in each of 5 OFF regions
    sim = theta2_observation(np.random.default_rng(3), 20_000, gamma_fraction=1.0,
                             gamma_on=0.6, gamma_per_off=0.02)  # fmt: skip
    leak = signal_leak(sim["region"], n_off=5)
    assert sim["rho_plus"] == pytest.approx(0.1 / 0.7)
    assert abs(leak["rho_plus"] - sim["rho_plus"]) < 3 * leak["rho_plus_std"]
    assert 0.001 < leak["rho_plus_std"] < 0.01  # binomial, ~14 000 gammas in a region
    assert leak["n_in_region"] == leak["n_on"] + sum(leak["n_off_regions"])
    with pytest.raises(ValueError, match="none of 3 point-like gammas lands"):
        signal_leak([-1, -1, -1], n_off=5)


def test_the_leak_changes_the_known_alpha_slope_and_corrects_the_posterior():
    """On a theta^2 observation with a leak, P(ON | x) is known exactly: the known-alpha
    correction with the simulated leak recovers the clean posterior, without it it does not."""
    rng = np.random.default_rng(5)
    sim = theta2_observation(rng, 20_000, gamma_fraction=1.0, gamma_per_off=0.02)
    leak = signal_leak(sim["region"], n_off=5)
    obs = theta2_observation(rng, 200_000, gamma_per_off=0.02)
    alpha = 1 / 5
    plain = MenonCorrection.from_alpha(alpha)
    leaky = MenonCorrection.from_alpha(alpha, leak["rho_plus"], leak["rho_plus_std"])
    assert plain.a == pytest.approx(1 + alpha) and plain.b == pytest.approx(-alpha)
    # the slope grows to 1 / (1 - rho_plus - rho_minus): by 1 / (1 - (1 + alpha) rho_plus)
    assert leaky.a == pytest.approx(1 / (1 - leak["rho_plus"] - alpha / (1 + alpha)))
    assert leaky.a / plain.a == pytest.approx(1 / (1 - (1 + alpha) * leak["rho_plus"]))
    assert leaky.rho_plus_std == leak["rho_plus_std"]
    eta = obs["eta_labelled"]
    err_leaky = np.abs(leaky(obs["p_on"])[0] - eta).max()
    err_plain = np.abs(plain(obs["p_on"])[0] - eta).max()
    assert err_leaky < 0.03 < 0.1 < err_plain  # the pure gammas: 1 - rho_plus, not 1


def test_the_joint_nets_noise_model_takes_the_leak():
    logit = torch.tensor([-30.0, 0.0, 30.0])
    p = torch.sigmoid(noisy_logit(logit, 1 / 6, 0.0, rho_plus=0.1)).numpy()
    eta = torch.sigmoid(logit).numpy()
    np.testing.assert_allclose(p, 1 / 6 * (1 - eta) + 0.9 * eta, rtol=1e-6)
    # without a leak, the form it always had
    p0 = torch.sigmoid(noisy_logit(logit, 1 / 6)).numpy()
    np.testing.assert_allclose(p0, 1 / 6 + 5 / 6 * eta, rtol=1e-6)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """A disp model and a simulated split: point-like gammas (sample gamma, the ON position at
    their true source) and diffuse gammas and protons, which the leak must leave out."""
    d = tmp_path_factory.mktemp("leak")
    (d / "disp").mkdir()
    save_disp(d / "disp", toy_disp_model(), {"name": "disp"})
    ev = constructed_gammas(600, seed=4)
    n = len(ev["cog_x"])
    ev["source_x"], ev["source_y"] = ev["true_source_x"], ev["true_source_y"]
    ev["sample"] = np.array([b"gamma", b"gamma_diffuse", b"proton"] * (n // 3), dtype="S16")
    ev["event_id"] = np.arange(n)
    write_events(d / "test.h5", ev)
    return d, ev


def test_the_rule_labels_the_point_like_gammas_as_the_observation(simulated, tmp_path):
    d, ev = simulated
    section = {"theta2_cut": 0.08, "n_off": 5}
    out = estimate_signal_leak(d / "disp", [d / "test.h5"], section, tmp_path / "leak.json")
    point = ev["sample"] == b"gamma"
    labeller = RegionLabeller(toy_disp_model(), n_off=5, theta2_cut=0.08)
    want = signal_leak(labeller({k: v[point] for k, v in ev.items()})["region"], 5)
    assert out["n_gammas"] == point.sum() == 200
    assert out["rho_plus"] == pytest.approx(want["rho_plus"]) and out["n_on"] == want["n_on"]
    assert read_signal_leak(tmp_path / "leak.json") == (out["rho_plus"], out["rho_plus_std"])
    # the known-alpha record takes it (the range/anchor estimates stay alpha-free)
    s = np.r_[np.ones(50), np.zeros(250)].astype(int)
    eta = np.r_[np.full(50, 0.5), np.full(250, 0.2)]
    settings = {"noise_rates": "known_alpha", "quantiles": [0.01, 0.99], "anchor_fraction": 0.2}
    chosen, record = correction_record("m", settings, 0.2, eta, s, "test", tmp_path / "leak.json")
    assert chosen.rho_plus == pytest.approx(out["rho_plus"]) and chosen.method == "known_alpha"
    assert "leak.json" in record["rho_plus_from"]
    assert correction_record("m", settings, 0.2, eta, s, "test")[0].rho_plus == 0.0


def test_bad_leak_inputs_are_refused(simulated, tmp_path):
    d, ev = simulated
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"rho_plus": 1.2, "rho_plus_std": 0.01}))
    with pytest.raises(InputError, match=r"bad.json: rho_plus = 1.2, expected in \[0, 1\)"):
        read_signal_leak(bad)
    bad.write_text(json.dumps({"n_on": 3}))
    with pytest.raises(InputError, match="bad.json: expected rho_plus and rho_plus_std"):
        read_signal_leak(bad)
    write_events(tmp_path / "no_sample.h5", {k: v for k, v in ev.items() if k != "sample"})
    with pytest.raises(InputError, match=r"no_sample.h5: the signal leak needs .*'sample'"):
        estimate_signal_leak(d / "disp", [tmp_path / "no_sample.h5"], {"theta2_cut": 0.08})
