"""Invariants of the air-shower simulator (iactdl.simulate): physics, determinism, file contract."""

from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from iactdl.camera import MM_TO_DEG, fact_camera
from iactdl.io import read_attrs, read_columns
from iactdl.simulate import DEFAULTS, check_config, read_throws, simulate_chunks, simulate_sample

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"chunk_size": 400}


# ~600 triggered events of the observation (~29 Hz: benchmarks/observation_rates.py)
OBSERVED = {**SMALL, "observed": {"hours": 0.0058}}


def _sample(sample, n, seed=1, **cfg):
    chunks = list(simulate_chunks(sample, n, {**SMALL, **cfg}, seed))
    return {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}


def _moments(image, threshold=5.0):
    """Charge-weighted centroid and second moments of the pixels above ``threshold`` p.e."""
    cam = fact_camera()
    w = np.where(image > threshold, image, 0.0)
    size = w.sum(1)
    ok = size > 0
    w, size = w[ok], size[ok]
    cx = w @ cam.x / size
    cy = w @ cam.y / size
    dx = cam.x[None] - cx[:, None]
    dy = cam.y[None] - cy[:, None]
    sxx = (w * dx * dx).sum(1) / size
    syy = (w * dy * dy).sum(1) / size
    sxy = (w * dx * dy).sum(1) / size
    root = np.sqrt(((sxx - syy) / 2) ** 2 + sxy**2)
    length = np.sqrt(np.maximum((sxx + syy) / 2 + root, 0))
    width = np.sqrt(np.maximum((sxx + syy) / 2 - root, 0))
    psi = 0.5 * np.arctan2(2 * sxy, sxx - syy)
    return ok, size, cx, cy, length, width, psi


@pytest.fixture(scope="module")
def gammas():
    return _sample("gamma", 2000)


@pytest.fixture(scope="module")
def protons():
    return _sample("proton", 2000)


def test_columns_shapes_and_units(gammas, protons):
    for ev in (gammas, protons):
        assert ev["image"].shape == (2000, 1440) and ev["image"].dtype == np.float32
        assert ev["peak_time"].shape == (2000, 1440) and ev["peak_time"].dtype == np.float32
        assert np.array_equal(ev["event_id"], np.arange(2000))
        assert np.isfinite(ev["image"]).all() and np.isfinite(ev["peak_time"]).all()
    assert (gammas["particle_id"] == 1).all() and (protons["particle_id"] == 14).all()
    assert np.isnan(protons["true_source_x"]).all() and np.isnan(protons["true_source_y"]).all()
    # point-like gammas: the source is at the wobble position, 0.6 deg off the centre
    r = np.hypot(gammas["true_source_x"], gammas["true_source_y"]) * MM_TO_DEG
    np.testing.assert_allclose(r, 0.6, rtol=1e-9)
    np.testing.assert_array_equal(gammas["source_x"], gammas["true_source_x"])
    assert (gammas["true_energy"] >= 0.2).all() and (gammas["true_energy"] <= 50).all()
    assert (gammas["true_impact"] >= 0).all() and (gammas["true_impact"] <= 270).all()


def test_diffuse_sources_within_max_offset():
    ev = _sample("gamma_diffuse", 500)
    r = np.hypot(ev["true_source_x"], ev["true_source_y"]) * MM_TO_DEG
    assert r.max() <= 3.0 and r.max() > 2.0  # fills the disk
    np.testing.assert_array_equal(ev["source_x"], ev["true_source_x"])


def test_gamma_images_narrower_than_protons(gammas, protons):
    _, sg, *_, wg, _ = _moments(gammas["image"])
    _, sp, *_, wp, _ = _moments(protons["image"])
    assert np.median(wg[sg > 50]) < 0.85 * np.median(wp[sp > 50])


def test_size_grows_with_energy(gammas):
    ok, size, *_ = _moments(gammas["image"])
    e = gammas["true_energy"][ok]
    assert np.corrcoef(np.log(size), np.log(e))[0, 1] > 0.5
    low, high = np.median(size[e < 0.7]), np.median(size[e > 3])
    assert high > 3 * low


def _miss(ev):
    """Distance (mm) of source_x/y from the major axis, for bright elongated images."""
    ok, size, cx, cy, length, width, psi = _moments(ev["image"])
    sx, sy = ev["source_x"][ok], ev["source_y"][ok]
    bright = (size > 300) & (length > 1.5 * width)
    miss = np.abs(-(sx - cx) * np.sin(psi) + (sy - cy) * np.cos(psi))
    return miss[bright], width[bright]


def test_gamma_axes_point_back_to_the_source(gammas, protons):
    miss, width = _miss(gammas)
    assert miss.size > 50
    assert np.median(miss) < 0.5 * np.median(width)
    # protons come from anywhere: their axes miss the assumed (wobble) source by far more
    miss_p, _ = _miss(protons)
    assert np.median(miss_p) > 4 * np.median(miss)


def test_arrival_times_follow_the_axis(gammas):
    # shower pixels (bright) lie in a narrow time window; pixels without light spread uniformly
    img, t = gammas["image"], gammas["peak_time"]
    assert np.std(t[img > 20]) < 3.0
    assert np.std(t[img < 0.5]) > 8.0


def test_same_seed_same_events_other_seed_other_events():
    a = _sample("observed", None, seed=7, **OBSERVED)
    b = _sample("observed", None, seed=7, **OBSERVED)
    c = _sample("observed", None, seed=8, **OBSERVED)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert not np.array_equal(a["image"], c["image"])


def test_same_seed_identical_file(tmp_path):
    for name in ("a.h5", "b.h5"):
        simulate_sample("proton", 300, SMALL, 3, tmp_path / name)
    x, y = read_columns(tmp_path / "a.h5"), read_columns(tmp_path / "b.h5")
    assert sorted(x) == sorted(y)
    for k in x:
        np.testing.assert_array_equal(x[k], y[k], err_msg=k)
    assert read_attrs(tmp_path / "a.h5")["seed"] == 3
    throw = read_throws(read_attrs(tmp_path / "a.h5")["throws"])["proton"]
    assert throw.n_thrown > 300 and throw.viewcone_deg == 4.5 and throw.max_impact_m == 400


def test_observed_truth_only_in_its_own_file(tmp_path):
    out, truth = tmp_path / "observed.h5", tmp_path / "observed_truth.h5"
    # a source 100x the Crab, so that the few seconds hold gammas to check
    bright = {"gamma": {**DEFAULTS["observed"]["spectra"]["gamma"], "amplitude": 3.23e-9}}
    cfg = {**SMALL, "observed": {"hours": 0.02, "spectra": bright}}
    simulate_sample("observed", None, cfg, 11, out, truth_path=truth)
    with h5py.File(out) as f:
        cols = set(f["events"])
        assert "n_off_regions" not in f.attrs  # regions are the analysis' (theta^2 cut)
        assert f.attrs["ontime_s"] == pytest.approx(72.0)
    assert read_attrs(truth)["ontime_s"] == pytest.approx(72.0)
    throws = read_throws(read_attrs(out)["throws"])
    assert sorted(throws) == ["gamma", "helium", "proton"]
    assert throws["gamma"].e_max_tev == 30.0  # the Crab spectrum's measured range, not 50 TeV
    assert {"event_id", "image", "peak_time", "source_x", "source_y"} == cols
    for c in ("particle_id", "true_energy", "true_impact", "true_source_x", "true_source_y"):
        assert c not in cols
    t = read_columns(truth)
    assert set(t) == {
        "event_id",
        "particle_id",
        "true_energy",
        "true_impact",
        "true_source_x",
        "true_source_y",
    }
    o = read_columns(out, ["event_id", "source_x", "source_y"])
    np.testing.assert_array_equal(o["event_id"], t["event_id"])
    pid = t["particle_id"]
    assert {1, 14, 402} == set(np.unique(pid))  # gammas, protons and helium
    assert (pid == 1).any()
    # source_x/y: the ON source of the event's wobble pointing, on the 0.6 deg circle
    r = np.hypot(o["source_x"], o["source_y"]) * MM_TO_DEG
    np.testing.assert_allclose(r, 0.6, rtol=1e-9)
    g = pid == 1
    np.testing.assert_allclose(o["source_x"][g], t["true_source_x"][g])
    # hadrons: their true arrival direction, isotropic within 4.5 deg of the camera centre
    r_h = np.hypot(t["true_source_x"][~g], t["true_source_y"][~g]) * MM_TO_DEG
    assert np.isfinite(r_h).all() and r_h.max() <= 4.5 and np.median(r_h) > 1.5


def test_observed_needs_a_truth_path(tmp_path):
    with pytest.raises(ValueError, match="truth_path"):
        simulate_sample("observed", None, OBSERVED, 1, tmp_path / "o.h5")
    assert not (tmp_path / "o.h5").exists()


def test_memory_is_chunked():
    sizes = [len(c["event_id"]) for c in simulate_chunks("gamma", 1000, {"chunk_size": 300}, 1)]
    assert sizes == [300, 300, 300, 100]


@pytest.mark.parametrize(
    ("bad", "key"),
    [
        ({"chunk_size": 0}, "simulation.chunk_size"),
        ({"gamma": {"spectral_index": 1.5}}, "simulation.gamma.spectral_index"),
        ({"proton": {"muon_fraction": 0.9}}, "simulation.proton.muon_fraction"),
        ({"observed": {"detector": {"gain": "low"}}}, "simulation.observed.detector.gain"),
        ({"observed": {"n_off_regions": 2.5}}, "simulation.observed.n_off_regions"),
        ({"gamma": {"e_min_tev": 60.0}}, "simulation.gamma"),
        ({"detector": {"nsb": 1.0}}, "simulation.detector.nsb"),
        ({"compression": "zip"}, "simulation.compression"),
        ({"observed": {"hours": 0}}, "simulation.observed.hours"),
        ({"observed": {"hours": -1.0}}, "simulation.observed.hours"),
        ({"observed": {"spectra": {"proton": {"amplitude": 0.0}}}}, "simulation.observed.spectra"),
    ],
)
def test_bad_config_names_the_key(bad, key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        check_config(bad)


def test_config_yaml_matches_defaults_and_schema():
    jsonschema = pytest.importorskip("jsonschema")
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    assert check_config(config["simulation"]) == check_config({})
    jsonschema.validate(config["simulation"], schema["properties"]["simulation"])
    bad = {**config["simulation"], "wobble_offset_deg": -1}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema["properties"]["simulation"])
