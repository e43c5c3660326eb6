"""Augmentation (iactdl.adapt.augment): the observed camera estimated without truth, and refused
when its estimates are bad; the pedestal statistics it reads (iactdl.features.pedestal)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from iactdl.adapt.augment import (
    AUGMENT_KEYS,
    augmented_simulation,
    estimate_detector,
    gain_and_nsb,
    read_detector,
)
from iactdl.features.pipeline import image_features
from iactdl.io import EventWriter, InputError
from iactdl.simulate import simulate_chunks
from iactdl.simulate.settings import DEFAULTS

ROOT = Path(__file__).resolve().parents[1]
# the configured observed camera's values of the keys the augmentation estimates (a test may read
# the config; the rule may not read the truth, and the estimate reads neither)
OBSERVED = {k: DEFAULTS["observed"]["detector"][k] for k in AUGMENT_KEYS}


def _dataset(path, detector, seed, n=700):
    """Features of ``n`` protons and ``n`` gammas through ``detector``: a dataset file."""
    with EventWriter(path, config={}, seed=seed, attrs={}) as out:
        for sample in ("proton", "gamma"):
            sim = {"chunk_size": 700, "detector": detector}
            for cols in simulate_chunks(sample, n, sim, seed):
                feats, _, _ = image_features(cols["image"], cols["peak_time"])
                ok = feats["clean_ok"]
                out.append({k: v[ok] for k, v in feats.items()})
    return path


@pytest.fixture(scope="module")
def estimate(tmp_path_factory):
    d = tmp_path_factory.mktemp("augment")
    observed = _dataset(d / "observed_train.h5", OBSERVED, seed=21)
    simulated = _dataset(d / "train.h5", {}, seed=22)
    return estimate_detector(observed, simulated, {}, out_path=d / "detector.json"), d


@pytest.mark.parametrize("key", ["nsb_pe", "gain"])
def test_pedestal_recovers_the_observed_night_sky_and_gain_within_its_error(estimate, key):
    result, _ = estimate
    got, err = result["detector"][key], result["errors"][key]
    assert 0 < err < 0.1 * OBSERVED[key]
    assert abs(got - OBSERVED[key]) < 3 * err, (key, got, err, OBSERVED[key])


def test_time_placement_is_found_shifted_towards_the_observed_trigger(estimate):
    # the shower-time estimator is noisier under a brighter night sky: within 30 %, not its error
    result, _ = estimate
    det = result["detector"]
    for key in ("trigger_walk_ns", "trigger_jitter_ns"):
        assert abs(det[key] - OBSERVED[key]) < 0.3 * OBSERVED[key], (key, det[key])
    assert result["simulated"]["trigger_jitter_ns"] == 0.0 < det["trigger_jitter_ns"]


def test_the_written_file_reads_back_as_the_augmented_detector(estimate):
    result, d = estimate
    got = read_detector(d / "detector.json", {})
    assert got == pytest.approx(result["detector"])
    cfg = augmented_simulation({"detector": {"psf_sigma_mm": 4.0}}, got)
    assert cfg["detector"] == {"psf_sigma_mm": 4.0, **got}


def test_gain_and_nsb_invert_the_pedestal_cumulants():
    g = np.array([0.6, 0.82, 1.0, 1.3])
    nsb = np.array([0.8, 3.0, 0.8, 10.0])
    e, sigma, s = 0.1, 0.5, 0.05
    k2 = g**2 * (1 + s**2) * (nsb * (1 + e**2) + sigma**2)
    k3 = g**3 * (1 + 3 * s**2) * nsb * (1 + 3 * e**2)
    got_g, got_nsb = gain_and_nsb(k2, k3, sigma, e, s)
    np.testing.assert_allclose(got_g, g, rtol=1e-9)
    np.testing.assert_allclose(got_nsb, nsb, rtol=1e-9)
    # no skewness, or less variance than the electronics allow: no gain fits
    bad_g, bad_nsb = gain_and_nsb(np.array([1.0, 0.01]), np.array([0.0, 0.8]), sigma, e, s)
    assert np.isnan(bad_g).all() and np.isnan(bad_nsb).all()


def test_same_seed_throws_the_same_showers_through_the_new_camera():
    sim = {"chunk_size": 200}
    new = augmented_simulation(sim, OBSERVED)
    a = next(simulate_chunks("gamma", 200, sim, 5))
    b = next(simulate_chunks("gamma", 200, new, 5))
    np.testing.assert_array_equal(a["true_energy"], b["true_energy"])
    np.testing.assert_array_equal(a["true_source_x"], b["true_source_x"])
    assert not np.array_equal(a["image"], b["image"])


def _write(tmp_path, detector):
    path = tmp_path / "detector.json"
    path.write_text(json.dumps({"detector": detector}))
    return path


@pytest.mark.parametrize(
    "change, message",
    [
        ({"gain": 3.0}, r"detector\.gain: 3\.0 is out of range \[0\.5, 1\.5\]"),
        ({"nsb_pe": -0.5}, r"detector\.nsb_pe: -0\.5 is out of range \[0\.0, 25\.0\]"),
        ({"trigger_jitter_ns": float("nan")}, r"detector\.trigger_jitter_ns: expected a finite"),
        ({"gain": True}, r"detector\.gain: expected a finite number, got True"),
        ({"psf_sigma_mm": 5.0}, r"unknown \['psf_sigma_mm'\]"),
    ],
)
def test_a_bad_estimate_is_refused_naming_the_file_and_key(tmp_path, change, message):
    path = _write(tmp_path, {**OBSERVED, **change})
    with pytest.raises(InputError, match=message) as err:
        read_detector(path, {})
    assert str(path) in str(err.value)


def test_a_detector_file_without_estimates_is_refused(tmp_path):
    path = _write(tmp_path, {"nsb_pe": 1.0})
    with pytest.raises(InputError, match=r"missing \['gain', 'trigger_walk_ns'"):
        read_detector(path, {})
    path.write_text(json.dumps({"estimates": OBSERVED}))
    with pytest.raises(InputError, match="no mapping 'detector'"):
        read_detector(path, {})


def test_augment_takes_method_alone():
    from iactdl.config import validate_model

    entry = {
        "kind": "baseline", "task": "energy", "estimator": "random_forest",
        "features": ["size", "width"], "adapt": {"method": "augment"},
    }  # fmt: skip
    validate_model("rf_aug", entry)  # any task: it trains on simulations
    with pytest.raises(ValueError, match=r"models\.rf_aug\.adapt: \['weight_clip'\]"):
        validate_model("rf_aug", {**entry, "adapt": {"method": "augment", "weight_clip": 5}})


def test_tiny_dag_estimates_without_truth_and_trains_the_augmented_model_on_it(tmp_path):
    if shutil.which("snakemake") is None:
        pytest.skip("snakemake is not installed")
    proc = subprocess.run(
        ["snakemake", "-n", "--forceall", "--configfile", "tests/config/tiny.yaml",
         "--directory", str(tmp_path), "--", "results/tiny/models/augmented_hist_gbt/model.json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    jobs = {}
    for block in out.split("\n\n"):
        if "rule " in block and "input:" in block:
            name = block[block.index("rule ") + 5 :].split(":")[0]
            inputs = block[block.index("input:") :].split("\n")[0]
            jobs.setdefault(name, []).append(inputs)
    assert {"estimate_detector", "simulate_augmented", "split_augmented"} <= set(jobs)
    # nothing upstream of the augmented model reads the observed truth
    assert not any("observed_truth" in i for inputs in jobs.values() for i in inputs), jobs
    assert "observed_train.h5" in jobs["estimate_detector"][0]
    assert "results/tiny/augmented/datasets/train.h5" in jobs["train_baseline"][0]
