"""The observation's physical shifts (issue 21, part 2): each switch alone against none, as the
shift diagnostics' hadron-class statistics see it (benchmarks/shifts.py, the KS ranking of
``shift_diagnostics``' feature table and pixel channels), the switches themselves, and each
magnitude outside its physical range refused with its source.

5000 protons per sample through the observed detector (~2500 after cleaning), ~10 s in all.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

from iactdl.simulate.settings import (
    DEFAULTS,
    SHIFTS,
    check_config,
    detector_config,
    shower_config,
)
from iactdl.simulate.showers import (
    REFERENCE_ZENITH_DEG,
    hadron_geometry,
    throw_triggered,
    zenith_scaling,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from shifts import STRONG, diagnose, hadrons  # noqa: E402

N = 5000
# the noise floor: with every shift off on both sides the largest KS of any feature is 0.038 and
# of any pixel channel 0.016 at these sizes and seeds (5000 protons, ~2500 after cleaning); a
# shift is found when an input it should move ranks among the first few and lies well above that
# floor (night sky and dead pixels move their inputs by KS ~0.08)
FOUND_KS = 0.07

# shift -> (magnitude: {} = config.yaml's, inputs it should move, how many top ranks may hold one)
EXPECTED = {
    # more noise pixels survive cleaning, with random times: the shower's time spread; and the
    # night-sky pedestal of the pixels the shower did not reach (iactdl.features.pedestal), its
    # direct trace
    "night_sky": (
        {},
        {
            "timespread",
            "timespread_weighted",
            "time_gradient_sse_long",
            "pedestal_variance",
            "pedestal_m3",
            "pedestal_mean",
        },
        2,
    ),  # fmt: skip
    # a higher threshold keeps brighter showers: size and everything that grows with it
    "moon_trigger": (STRONG["moon_trigger"], {"size", "log_size", "n_pixels"}, 3),
    # charges read low against the cleaning's thresholds (p.e.): the charges of the shower pixels
    "gain_drift": (STRONG["gain_drift"], {"photoncharge_shower_max", "n_pixels"}, 3),
    # per-pixel gains spread the charges, of the shower and of the pedestal's night sky alike
    "gain_spread": (
        STRONG["gain_spread"],
        {"photoncharge_shower_mean", "pedestal_variance", "pedestal_m3"},
        2,
    ),
    # holes in the images: lower mean charge, more light in fewer pixels
    "dead_pixels": (
        STRONG["dead_pixels"],
        {"photoncharge_shower_mean", "concentration_one_pixel", "concentration_two_pixel"},
        3,
    ),
    # a wider point-spread: light spread over more, fainter pixels; wider images
    "mirrors": ({}, {"photoncharge_shower_mean", "photoncharge_shower_variance", "width"}, 3),
    # the trigger moves the shower in the readout window: absolute times
    "trigger_timing": ({}, {"time_gradient_intercept_long", "time_gradient_intercept_trans"}, 2),
    # a farther shower maximum: smaller images of the same light, so more light per pixel and area
    "zenith": (
        STRONG["zenith"],
        {"size_area", "area_size_cut_var", "n_pixels", "concentration_cog", "width", "length"},
        3,
    ),
}


@pytest.fixture(scope="module")
def simulated():
    return hadrons(None, N, 1)


def _ranked(result):
    """(input, KS) of the feature table and the pixel channels together, largest first."""
    rows = [(r.input, r.ks) for t in ("features", "pixels") for r in result[t].itertuples()]
    return sorted(rows, key=lambda r: -r[1])


def test_no_shift_flags_nothing(simulated):
    ranked = _ranked(diagnose(simulated, hadrons(None, N, 2), classifiers=False))
    assert ranked[0][1] < FOUND_KS, ranked[:3]


@pytest.mark.parametrize("shift", sorted(EXPECTED))
def test_diagnostics_name_the_shifted_inputs(simulated, shift):
    detector, expected, top = EXPECTED[shift]
    ranked = _ranked(diagnose(simulated, hadrons(shift, N, 2, detector), classifiers=False))
    named = {name: ks for name, ks in ranked[:top] if name in expected and ks > FOUND_KS}
    assert named, f"{shift}: expected one of {sorted(expected)} in the top {top}, got {ranked[:5]}"


def test_atmosphere_moves_the_energy_scale_not_the_images(simulated):
    """Less light through the atmosphere, through the trigger: for a power-law spectrum the images
    that trigger look the same (a rescaled power law), but each comes from a more energetic
    shower. The diagnostics cannot see it (no input above the noise floor); the truth can."""
    shifted = hadrons("atmosphere", N, 2, STRONG["atmosphere"])
    ranked = _ranked(diagnose(simulated, shifted, classifiers=False))
    assert ranked[0][1] < FOUND_KS, ranked[:3]
    ratio = float(np.median(shifted["true_energy"]) / np.median(simulated["true_energy"]))
    assert ratio > 1.4, ratio  # 1 / 0.6 = 1.67 for a pure rescaling


def test_each_switch_off_gives_the_simulated_value():
    on = detector_config(check_config({}), observed=True)
    for name, (keys, _) in SHIFTS.items():
        cfg = check_config({"observed": {"shifts": {name: False}}})
        det = detector_config(cfg, observed=True)
        for key in on:
            want = DEFAULTS["detector"][key] if key in keys else on[key]
            assert det[key] == want, (name, key)
    everything_off = {"observed": {"shifts": dict.fromkeys(SHIFTS, False)}}
    det = detector_config(check_config(everything_off), observed=True)
    differ = {k for k in det if det[k] != DEFAULTS["detector"][k]}
    assert differ == set(), differ  # every observed difference belongs to a switch


def test_default_observation_has_every_shift_on():
    cfg = check_config({})
    assert all(cfg["observed"]["shifts"].values())
    obs, sim = cfg["observed"]["detector"], cfg["detector"]
    for name, (keys, _) in SHIFTS.items():
        assert any(obs[k] != sim[k] for k in keys), name


@pytest.mark.parametrize(
    ("key", "value", "source"),
    [
        ("nsb_pe", 40.0, "Knoetig et al. 2013"),
        ("gain", 0.3, "Biland et al. 2014"),
        ("gain_spread", 0.5, "Biland et al. 2014"),
        ("psf_sigma_mm", 30.0, "Anderhub et al. 2013"),
        ("dead_pixel_fraction", 0.2, "FACT-Tools"),
        ("trigger_threshold_factor", 4.0, "Knoetig et al. 2013"),
        ("atmospheric_transmission", 0.1, "trigger rate"),
        ("zenith_max_deg", 70.0, "Bretz 2019"),
        ("zenith_min_deg", -5.0, "Bretz 2019"),
    ],
)
def test_a_magnitude_outside_its_physical_range_is_refused_with_its_source(key, value, source):
    with pytest.raises(ValueError, match=rf"observed\.detector\.{key}.*range.*{source}"):
        check_config({"observed": {"detector": {key: value}}})


def test_a_switch_must_be_a_boolean_and_known():
    with pytest.raises(ValueError, match=r"observed\.shifts\.mirrors: expected true or false"):
        check_config({"observed": {"shifts": {"mirrors": 1}}})
    with pytest.raises(ValueError, match=r"observed\.shifts\.helium: unknown key"):
        check_config({"observed": {"shifts": {"helium": True}}})


def test_a_zenith_range_upside_down_is_refused():
    with pytest.raises(
        ValueError, match=r"observed\.detector\.zenith_min_deg \(40.*zenith_max_deg \(20"
    ):
        check_config({"observed": {"detector": {"zenith_min_deg": 40.0, "zenith_max_deg": 20.0}}})


def test_zenith_moves_the_threshold_as_cos_to_the_minus_2664():
    """At the reference zenith nothing changes; at 60 deg the light per TeV (so the energy
    threshold's inverse) falls as (cos 60 / cos 15)^2.664 and images shrink by cos 60 / cos 15."""
    light, scale = zenith_scaling(np.array([REFERENCE_ZENITH_DEG, 60.0]))
    assert light[0] == scale[0] == 1.0
    ratio = 0.5 / np.cos(np.radians(15.0))
    assert scale[1] == pytest.approx(ratio) and light[1] == pytest.approx(ratio**2.664)
    # through the trigger: protons of the same thrown sky trigger at higher energies
    shifted = hadrons("zenith", 2000, 2, STRONG["zenith"])
    reference = hadrons(None, 2000, 2)
    e_ratio = float(np.median(shifted["true_energy"]) / np.median(reference["true_energy"]))
    assert e_ratio > 1.5, e_ratio


def test_the_observation_throws_through_the_same_zenith():
    """The sample observed (flux-given throws, iactdl.simulate.observation) meets the zenith
    through the same trigger selection: of the same thrown protons fewer trigger at 30-60 deg,
    at higher energies, and each carries its zenith angle from the range."""
    kept = {}
    for name, det in (("default", {}), ("zenith", STRONG["zenith"])):
        cfg = check_config({"observed": {"detector": det}})
        cfg = shower_config(cfg, detector_config(cfg, observed=True))
        rng = np.random.default_rng(3)
        spectrum = cfg["observed"]["spectra"]["proton"]
        geometry = hadron_geometry(rng, cfg["proton"])
        kept[name] = throw_triggered(
            rng, 400_000, cfg["proton"], cfg["trigger"], geometry, spectrum, 0.2, 100.0
        )
    ref, zen = kept["default"], kept["zenith"]
    assert ref["zenith"].min() >= 6.4 and ref["zenith"].max() <= 29.9  # FACT's Crab runs
    assert zen["zenith"].min() >= 30.0 and zen["zenith"].max() <= 60.0
    assert zen["e"].size < 0.8 * ref["e"].size, (zen["e"].size, ref["e"].size)
    assert np.median(zen["e"]) > 1.3 * np.median(ref["e"])
