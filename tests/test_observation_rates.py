"""benchmarks/observation_rates.py: the gamma effective area and the Crab's rate it measures, the
one number issue 20 compares with FACT (the excess rate after the analysis' cuts)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from iactdl.io import EventWriter
from iactdl.io.dl3 import write_dl3
from iactdl.io.event_columns import PARTICLE_ID
from iactdl.simulate import DEFAULTS, Throw
from iactdl.simulate.fluxes import integral_flux
from iactdl.simulate.throw import throws_attr

ROOT = Path(__file__).resolve().parents[1]
CRAB = DEFAULTS["observed"]["spectra"]["gamma"]


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import observation_rates
    finally:
        sys.path.pop(0)
    return observation_rates


def test_crab_rate_is_flux_times_area_and_its_threshold_the_peak_of_dr_de(bench):
    bins = np.geomspace(0.2, 30, 13)
    area = np.full(12, 2e4)  # m^2
    r = bench.crab_rate(area, bins, CRAB)
    assert r["per_hour"] == pytest.approx(2e4 * 1e4 * 3600 * integral_flux(CRAB, 0.2, 30), 1e-6)
    # a flat area: dR/dE is the falling spectrum, largest in the first bin
    assert r["threshold_tev"] == pytest.approx(np.sqrt(bins[0] * bins[1]))
    # a step at 1 TeV moves the threshold there; NaN (nothing thrown) counts as no gammas
    step = np.where(bins[:-1] >= 1.0, 2e4, np.nan)
    r = bench.crab_rate(step, bins, CRAB)
    first = int(np.argmax(bins[:-1] >= 1.0))
    assert r["threshold_tev"] == pytest.approx(np.sqrt(bins[first] * bins[first + 1]))
    assert r["per_hour"] == pytest.approx(sum(r["per_bin"][first:]), 1e-12)
    with pytest.raises(ValueError, match="area_m2: expected 12 bins"):
        bench.crab_rate(area[:-1], bins, CRAB)


def test_fact_reference_folds_to_its_published_crab_rate(bench):
    fact = bench.FACT_EFFECTIVE_AREA
    bins = np.asarray(fact["energy_edges_tev"])
    assert bins.size == len(fact["area_m2"]) + 1 and (np.diff(bins) > 0).all()
    r = bench.crab_rate(fact["area_m2"], bins, CRAB)
    # FACT's IRF x MAGIC's Crab: 35.8 per hour, within 15 % of the 41.3 FACT measured
    assert r["per_hour"] == pytest.approx(35.8, abs=0.1)
    assert 0.8 < r["per_hour"] / fact["measured_excess_per_hour"] < 1.0
    assert 0.8 < r["threshold_tev"] < 1.0


def test_trigger_area_rises_with_energy_and_the_observed_threshold_is_higher(bench):
    bins = np.asarray(bench.FACT_EFFECTIVE_AREA["energy_edges_tev"])
    disk = np.pi * DEFAULTS["gamma"]["max_impact_m"] ** 2
    sim = bench.trigger_effective_area({}, 60_000, bins, seed=2, observed=False)
    obs = bench.trigger_effective_area({}, 60_000, bins, seed=2, observed=True)
    # below 3 TeV enough of the Crab's gammas are thrown per bin for the area to be near its mean
    many = bins[1:] <= 3.0
    assert (sim[many] <= 1.05 * disk).all() and (obs[many] <= 1.05 * disk).all()
    # near threshold (0.3-0.8 TeV) the observed detector (x1.25 threshold, 90 % transmission,
    # higher zenith) keeps far fewer gammas; well above it, about as many
    low = (bins[:-1] >= 0.33) & (bins[1:] <= 0.8)
    assert obs[low].sum() < 0.6 * sim[low].sum()
    r_sim, r_obs = bench.crab_rate(sim, bins, CRAB), bench.crab_rate(obs, bins, CRAB)
    assert r_obs["threshold_tev"] > r_sim["threshold_tev"]
    assert r_obs["per_hour"] < r_sim["per_hour"]
    with pytest.raises(ValueError, match="n_gammas"):
        bench.trigger_effective_area({}, 0, bins)


def _run(tmp_path: Path) -> tuple[Path, dict]:
    """A finished run's files in miniature: 10 thrown gammas a bin in [1, 2] TeV, 1 h."""
    res = tmp_path / "results"
    for d in ("simulated", "datasets", "dl3/rf"):
        (res / d).mkdir(parents=True)
    throw = Throw(40, 1.0, 2.0, 0.0, 0.0, 100.0, 0.0)  # dN/dE flat: 10 per quarter of the range
    e = np.array([1.1, 1.2, 1.3, 1.4, 1.6, 1.7, 1.8, 1.9, 1.5, 1.5])
    pid = np.r_[np.full(8, PARTICLE_ID["gamma"]), np.full(2, PARTICLE_ID["proton"])]
    ids = np.arange(10)
    with EventWriter(
        res / "simulated/observed_truth.h5",
        attrs={"ontime_s": 3600.0, "throws": throws_attr({"gamma": throw})},
    ) as w:
        w.append({"event_id": ids, "particle_id": pid, "true_energy": e})
    # quality cuts kept 6 gammas and both protons; the test split holds events 4..9
    for split, rows in {"train": [0, 1], "val": [2], "test": [4, 5, 6, 7, 8, 9]}.items():
        with EventWriter(res / f"datasets/observed_{split}.h5") as w:
            w.append({"event_id": ids[rows]})
    test = ids[4:]
    gammaness = np.array([0.9, 0.9, 0.9, 0.1, 0.9, 0.9])
    theta = np.array([0.1, 0.1, 0.5, 0.1, 0.1, 0.5])
    off = np.full((5, 6), 0.5)
    off[0, 5] = 0.1  # a gamma-like proton in OFF region 1
    events = {"gamma_prediction": gammaness, "gamma_energy_prediction": np.full(6, 1e3)}
    events |= {"theta_deg": theta, "event_id": test}
    events |= {f"theta_deg_off_{k + 1}": off[k] for k in range(5)}
    write_dl3(res / "dl3/rf/observed_test.h5", events, {"ontime": np.array([1800.0])}, 5)
    choice = {"gammaness_cut": 0.5, "theta2_cut": 0.04}
    (res / "dl3/rf/theta2.json").write_text(json.dumps({"choice": choice}))
    return res, {"throw": throw}


def test_run_areas_count_each_cut_against_the_thrown_share_of_the_split(bench, tmp_path):
    res, _ = _run(tmp_path)
    bins = np.array([1.0, 1.5, 2.0])
    run = bench.run_effective_areas(res, "rf", bins)
    a = {k: np.asarray(v) for k, v in run["areas"].items()}
    disk = np.pi * 100.0**2
    # trigger: 4 of 20 thrown below 1.5 TeV, 4 of 20 above (the 1.5 TeV ones are protons)
    np.testing.assert_allclose(a["trigger"], disk * np.array([4, 4]) / 20)
    # quality: gammas 0, 1, 2 (below 1.5 TeV) and 4..7 (above) kept
    np.testing.assert_allclose(a["quality"], disk * np.array([3, 4]) / 20)
    # the test split is half the hours, so half the thrown: 10 per bin
    np.testing.assert_allclose(a["quality_test"], disk * np.array([0, 4]) / 10)
    np.testing.assert_allclose(a["gammaness"], disk * np.array([0, 3]) / 10)
    np.testing.assert_allclose(a["theta2"], disk * np.array([0, 2]) / 10)
    # ON holds gammas 4, 5 and the gamma-like proton 8; OFF 1 the proton 9
    assert (run["n_on"], run["n_off"], run["true_gammas_on"]) == (3, 1, 2)
    assert run["test_hours"] == pytest.approx(0.5)
    assert run["excess_per_hour"] == pytest.approx((3 - 0.2) / 0.5)
    assert run["true_gammas_on_per_hour"] == pytest.approx(2 / 0.5)
    assert run["background_per_hour"] == pytest.approx(0.2 / 0.5)
