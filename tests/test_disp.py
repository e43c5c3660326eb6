"""Direction reconstruction (disp): geometry invariants, theta, angular resolution, the model.

The geometry is checked on constructed events (a source placed on or off the main axis), theta
against FACT's own ``theta_deg`` on ``gamma_diffuse.hdf5``, the containment metric against
pyirf's ``angular_resolution`` and against the Rayleigh law, the model on the real FACT file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from iactdl.camera import MM_TO_DEG
from iactdl.features import camera_centre_long, reconstruct_source_position, signed_disp, true_disp
from iactdl.io import InputError, write_events
from iactdl.metrics import ONE_SIGMA_QUANTILE, angular_resolution, containment, theta
from iactdl.models.disp import (
    DISP_FEATURES,
    DISP_FEATURES_CAMERA,
    DispModel,
    build_disp_model,
    cross_validate_disp,
    read_disp_training_data,
)

ROOT = Path(__file__).resolve().parents[1]
FACT = ROOT.parent / "shared" / "fact-data"
needs_fact_data = pytest.mark.skipif(
    not (FACT / "gamma_diffuse.hdf5").exists(),
    reason=f"real FACT example files not found in {FACT} (see data/README.md)",
)


def _events_on_axis(n=500, seed=0):
    """cog, delta and a source on the main axis at signed distance ``d`` (mm) from the cog."""
    rng = np.random.default_rng(seed)
    cog_x, cog_y = rng.uniform(-150, 150, (2, n))
    delta = rng.uniform(-np.pi / 2, np.pi / 2, n)
    d = rng.choice([-1.0, 1.0], n) * rng.uniform(1, 200, n)
    return cog_x, cog_y, delta, d, cog_x + d * np.cos(delta), cog_y + d * np.sin(delta)


# ---- geometry ----


@pytest.mark.parametrize("project", [False, True])
def test_true_disp_reconstructs_a_source_on_the_axis_exactly(project):
    cog_x, cog_y, delta, d, sx, sy = _events_on_axis()
    abs_disp, sign = true_disp(sx, sy, cog_x, cog_y, delta, project=project)
    np.testing.assert_allclose(abs_disp, np.abs(d), rtol=1e-12)
    x, y = reconstruct_source_position(cog_x, cog_y, delta, signed_disp(abs_disp, sign))
    np.testing.assert_allclose(x, sx, atol=1e-9)
    np.testing.assert_allclose(y, sy, atol=1e-9)
    np.testing.assert_allclose(theta(x, y, sx, sy), 0.0, atol=1e-9)


def test_sign_convention_plus_is_along_cos_sin_delta():
    # delta = 0: the axis is the x axis; a source at larger x is +1, at smaller x -1
    abs_disp, sign = true_disp([10.0, -10.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0])
    assert sign.tolist() == [1, -1] and abs_disp.tolist() == [10.0, 10.0]
    # delta = pi/4: a source up and right of the cog is +1; down-left -1
    _, sign = true_disp([5.0, -5.0], [5.0, -5.0], 0.0, 0.0, np.pi / 4)
    assert sign.tolist() == [1, -1]
    # FACT's delta is a line in (-pi/2, pi/2]: the same axis with delta -> delta - pi flips the sign
    cog_x, cog_y, delta, d, sx, sy = _events_on_axis(seed=1)
    _, s1 = true_disp(sx, sy, cog_x, cog_y, delta)
    _, s2 = true_disp(sx, sy, cog_x, cog_y, delta - np.pi)
    np.testing.assert_array_equal(s1, np.sign(d).astype(np.int8))
    np.testing.assert_array_equal(s2, -s1)
    # a source exactly perpendicular to the axis is +1 (two classes, never 0)
    _, sign = true_disp(0.0, 10.0, 0.0, 0.0, 0.0)
    assert sign.tolist() == 1


def test_off_axis_source_projected_disp_lands_on_the_foot_of_the_perpendicular():
    rng = np.random.default_rng(2)
    cog_x, cog_y, delta, d, ax, ay = _events_on_axis(seed=2)
    perp = rng.uniform(-30, 30, len(d))  # move the source off the axis, perpendicularly
    sx, sy = ax - perp * np.sin(delta), ay + perp * np.cos(delta)
    a_proj, s_proj = true_disp(sx, sy, cog_x, cog_y, delta, project=True)
    x, y = reconstruct_source_position(cog_x, cog_y, delta, signed_disp(a_proj, s_proj))
    np.testing.assert_allclose(x, ax, atol=1e-9)  # the closest point of the axis
    np.testing.assert_allclose(theta(x, y, sx, sy), np.abs(perp) * MM_TO_DEG, rtol=1e-9)
    a_full, s_full = true_disp(sx, sy, cog_x, cog_y, delta)
    np.testing.assert_array_equal(s_full, s_proj)
    np.testing.assert_allclose(a_full, np.hypot(d, perp), rtol=1e-12)  # distance, not projection


def test_camera_centre_long_sign_says_on_which_side_the_centre_lies():
    # cog at x = 100 mm on the x axis (delta = 0): the centre lies against +x
    assert camera_centre_long(100.0, 0.0, 0.0) == pytest.approx(-100.0)
    assert camera_centre_long(-100.0, 0.0, 0.0) == pytest.approx(100.0)
    assert camera_centre_long(0.0, 50.0, 0.0) == pytest.approx(0.0)


def test_theta_units_and_nan():
    assert theta(1.0, 0.0, 0.0, 0.0) == pytest.approx(MM_TO_DEG)
    assert theta(3.0, 4.0, 0.0, 0.0, mm_to_deg=1.0) == pytest.approx(5.0)
    assert np.isnan(theta(np.nan, 0.0, 0.0, 0.0))


@needs_fact_data
def test_theta_agrees_with_fact_theta_deg_on_real_dl2():
    # aict-tools computed theta_deg in horizontal coordinates; ours is the camera-plane distance
    from iactdl.io.fact import read_fact

    cols = read_fact(
        FACT / "gamma_diffuse.hdf5",
        features=(),
        extra_columns=["source_x_prediction", "source_y_prediction", "theta_deg"],
        truth=True,
    )
    ours = theta(
        cols["source_x_prediction"],
        cols["source_y_prediction"],
        cols["true_source_x"],
        cols["true_source_y"],
    )
    np.testing.assert_allclose(ours, cols["theta_deg"], atol=0.005)


# ---- containment and angular resolution ----


def test_containment_of_a_gaussian_point_spread_is_1_51_sigma():
    # 2-D Gaussian with sigma per axis: theta is Rayleigh, P(theta < r) = 1 - exp(-r^2 / 2 sigma^2)
    rng = np.random.default_rng(3)
    sigma = 0.1
    t = np.hypot(*rng.normal(0, sigma, (2, 200_000)))
    expected = sigma * np.sqrt(-2 * np.log(1 - ONE_SIGMA_QUANTILE))  # 1.5096 sigma
    assert containment(t) == pytest.approx(expected, rel=0.01)
    assert containment(t, 0.5) == pytest.approx(sigma * np.sqrt(2 * np.log(2)), rel=0.01)


def test_containment_rejects_bad_input_and_ignores_nan():
    with pytest.raises(ValueError, match="fraction"):
        containment([0.1], 1.0)
    with pytest.raises(ValueError, match=">= 0"):
        containment([-0.1, 0.2])
    assert containment([0.1, np.nan, 0.1]) == pytest.approx(0.1)
    assert np.isnan(containment([]))


def _theta_energy(n=5000, seed=4):
    rng = np.random.default_rng(seed)
    energy = 10 ** rng.uniform(-1.2, 2.2, n)  # TeV, some outside the bins
    t = np.hypot(*rng.normal(0, 0.3 / np.sqrt(energy), (2, n)))  # better at high energy
    return t, energy, np.geomspace(0.1, 100, 7)


def test_angular_resolution_matches_pyirf():
    u = pytest.importorskip("astropy.units")
    QTable = pytest.importorskip("astropy.table").QTable
    pyirf_ar = pytest.importorskip("pyirf.benchmarks").angular_resolution
    t, energy, bins = _theta_energy()
    ours = angular_resolution(t, energy, bins, min_events=1)
    events = QTable({"true_energy": energy * u.TeV, "theta": t * u.deg})
    ref = pyirf_ar(events, bins * u.TeV)
    np.testing.assert_array_equal(ours["count"], np.asarray(ref["n_events"]))
    np.testing.assert_allclose(
        ours["angular_resolution"], ref["angular_resolution_68"].to_value(u.deg), rtol=1e-12
    )
    assert np.all(np.diff(ours["angular_resolution"]) < 0)  # better with energy, as built


def test_angular_resolution_against_numpy_and_min_events():
    t, energy, bins = _theta_energy(n=300)
    res = angular_resolution(t, energy, bins, min_events=30)
    for k in range(len(bins) - 1):
        sel = (energy >= bins[k]) & (energy < bins[k + 1])
        if sel.sum() >= 30:
            assert res["angular_resolution"][k] == pytest.approx(np.quantile(t[sel], 0.6827), 1e-3)
        else:
            assert np.isnan(res["angular_resolution"][k])
    with pytest.raises(ValueError, match="increasing"):
        angular_resolution(t, energy, [1.0, 0.5])
    with pytest.raises(ValueError, match="shape"):
        angular_resolution(t[:5], energy, bins)


# ---- the model ----


@needs_fact_data
def test_disp_model_on_a_fact_slice_beats_the_cog(tmp_path):
    from iactdl.io.fact import read_fact

    cols = read_fact(FACT / "gamma_diffuse.hdf5", features=DISP_FEATURES + ("cog_x", "cog_y"))
    cols = {k: v[:600] for k, v in cols.items()}
    cog = theta(cols["cog_x"], cols["cog_y"], cols["true_source_x"], cols["true_source_y"])
    cv = cross_validate_disp(build_disp_model(DISP_FEATURES_CAMERA, threads=1), cols, folds=3)
    assert (cv["fold"] >= 0).all() and len(cv["theta_deg"]) == 600
    # the head-tail ambiguity resolved better than chance (0.68 here)
    assert cv["sign_accuracy"] > 0.6
    # The estimate of a point at the cog (where the image is) misses the source by the whole
    # disp. With ~70 % right signs on a few hundred training events, the 68 % quantile sits at
    # the edge of the wrong-sign events (about 2 |disp| off) and is no better than the cog's
    # (0.91 vs 0.90 deg here), so the core is compared: the 50 % containment (0.29 vs 0.79),
    # and the 68 % one of the events whose sign is right (0.26 vs 0.90; what the |disp|
    # regression achieves).
    assert containment(cv["theta_deg"], 0.5) < 0.6 * containment(cog, 0.5)
    right = np.sign(cv["disp_pred"]) == cv["sign_true"]
    assert containment(cv["theta_deg"][right]) < 0.5 * containment(cog[right])
    # the fitted model predicts the same columns on new events
    model = build_disp_model(DISP_FEATURES_CAMERA, threads=1).fit(cols, source="slice")
    pred = model.predict(cols)
    assert set(pred) == {"disp_pred", "disp_sign_score", "source_x_pred", "source_y_pred"}
    assert np.all(np.abs(pred["disp_sign_score"]) <= 1)
    x, y = reconstruct_source_position(
        cols["cog_x"], cols["cog_y"], cols["delta"], pred["disp_pred"]
    )
    np.testing.assert_allclose(pred["source_x_pred"], x, rtol=1e-5, atol=1e-3)


def test_training_without_true_source_names_the_file_and_column(tmp_path):
    rng = np.random.default_rng(5)
    n = 50
    cols = {f: rng.normal(size=n) for f in DISP_FEATURES + ("cog_x", "cog_y")}
    path = tmp_path / "observed.h5"
    write_events(path, cols)
    with pytest.raises(InputError, match=r"observed\.h5.*'true_source_x'"):
        read_disp_training_data(path)
    with pytest.raises(InputError, match=r"events of run 7.*true_source_x"):
        DispModel().fit(cols, source="events of run 7")
    # hadrons only: the column is there but has no finite value
    cols.update(true_source_x=np.full(n, np.nan), true_source_y=np.full(n, np.nan))
    with pytest.raises(InputError, match=r"protons\.h5.*'true_source_x' has no finite value"):
        DispModel().fit(cols, source="protons.h5")


def test_read_disp_training_data_reads_what_the_model_needs(tmp_path):
    cog_x, cog_y, delta, d, sx, sy = _events_on_axis(n=40)
    rng = np.random.default_rng(6)
    cols = {f: rng.normal(size=40) for f in DISP_FEATURES}
    cols.update(cog_x=cog_x, cog_y=cog_y, delta=delta, true_source_x=sx, true_source_y=sy)
    path = tmp_path / "gammas.h5"
    write_events(path, cols)
    got = read_disp_training_data(path, DISP_FEATURES_CAMERA)  # the derived one is computed
    assert "camera_centre_long" not in got and "true_source_x" in got
    model = build_disp_model(DISP_FEATURES_CAMERA, n_estimators=5, max_depth=4).fit(got)
    assert model.predict(got)["disp_pred"].shape == (40,)


# ---- the peer: aict-tools' own CLI (in its own environment; skipped where it is absent)


@needs_fact_data
def test_benchmark_reproduces_aict_tools_sample_folds_and_disp_targets(tmp_path):
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import fact_disp as bench
    finally:
        sys.path.pop(0)
    cli = bench.find_aict(None)
    if cli is None:
        pytest.skip(f"aict-tools' {bench.CLI} not found (../venv-aict/bin or PATH)")
    from iactdl.io.fact import read_fact

    cols = read_fact(
        bench.DATA,
        features=(*DISP_FEATURES, "cog_x", "cog_y"),
        extra_columns=["theta_deg", "disp_prediction"],
    )
    # one_repeat raises unless aict-tools' CV rows carry our sample's energies and fold numbers,
    # its true |disp| equals ours to 1 mm; the signs (our convention) must agree everywhere
    results, _, check, n = bench.one_repeat(cols, cli, 1, 500, 1, tmp_path)
    assert n == 500 and check["sign_disagreements"] == 0
    assert check["max_abs_disp_diff_mm"] < 1e-6
    assert {"aict_tools_example", "ours_aict_example", "cog_only"} <= set(results)
