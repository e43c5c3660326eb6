"""DL3 in FACT's layout and the theta^2 rule (issue 20, part 3).

- FACT's real DL3 (``shared/fact-data/crab_dl3_small.hdf5``, read in place, skipped where absent)
  through our reader and rule gives the N_on, N_off and Li & Ma of an independent count (h5py and
  numpy) and gammapy's ``WStatCountsStatistic.sqrt_ts``, at FACT's open-analysis cuts.
- Our DL3 writer and reader round-trip, with FACT's layout (units, one dataset per column).
- The rule on constructed events (strict cuts, NaN, alpha exact for a flat background), and every
  bad input refused with a message naming what is wrong.
"""

from __future__ import annotations

import math
from pathlib import Path

import h5py
import numpy as np
import pytest

from iactdl.evaluate.theta2 import (
    OPEN_CRAB_CUTS,
    check_theta2_cut,
    dl3_theta2,
    max_theta2_cut,
    observation_hours,
    theta2_counts,
    theta2_histograms,
)
from iactdl.io.dl3 import dl3_events, read_dl3, theta_off_columns, write_dl3
from iactdl.io.hdf5 import InputError

ROOT = Path(__file__).resolve().parents[1]
CRAB_DL3 = ROOT.parent / "shared" / "fact-data" / "crab_dl3_small.hdf5"


def _need_crab():
    if not CRAB_DL3.exists():
        pytest.skip(f"FACT's DL3 not found at {CRAB_DL3} (shared test data absent)")


def _wobble_thetas(x, y, n_off=5, r=0.6):
    """theta (deg) of directions (x, y) to the source at (r, 0) and its n_off rotations."""
    angles = np.arange(n_off + 1) * 2 * np.pi / (n_off + 1)
    return np.hypot(x[None] - r * np.cos(angles)[:, None], y[None] - r * np.sin(angles)[:, None])


def _events(n=200, n_off=5, seed=0):
    rng = np.random.default_rng(seed)
    theta = _wobble_thetas(rng.uniform(-1, 1, n), rng.uniform(-1, 1, n), n_off)
    ev = {
        "gamma_prediction": rng.uniform(0, 1, n),
        "gamma_energy_prediction": rng.lognormal(7, 1, n),  # GeV
        "theta_deg": theta[0],
        "night": np.full(n, 20131104, dtype=np.int64),
        "run_id": rng.integers(1, 4, n),
    }
    for k, c in enumerate(theta_off_columns(n_off), start=1):
        ev[c] = theta[k]
    runs = {
        "night": np.full(3, 20131104, dtype=np.int64),
        "run_id": np.arange(1, 4),
        "ontime": np.array([290.0, 295.5, 300.0]),
        "source": np.array([b"Crab"] * 3),
    }
    return ev, runs


# ---- FACT's real DL3 against independent computations ----------------------------------------


def test_fact_dl3_counts_and_li_ma_agree_with_numpy_and_gammapy():
    _need_crab()
    stats = pytest.importorskip("gammapy.stats")
    g_cut, t2_cut = OPEN_CRAB_CUTS["gammaness_cut"], OPEN_CRAB_CUTS["theta2_cut"]
    assert (g_cut, t2_cut) == (0.85, 0.025)  # fact-project/open_crab_sample_analysis, Makefile
    ours = dl3_theta2(CRAB_DL3)
    with h5py.File(CRAB_DL3, "r") as f:  # independent: raw columns, no iactdl
        e = f["events"]
        sel = e["gamma_prediction"][:] > g_cut
        n_on = int(np.sum(e["theta_deg"][:][sel] ** 2 < t2_cut))
        n_off = int(sum(np.sum(e[f"theta_deg_off_{k}"][:][sel] ** 2 < t2_cut) for k in range(1, 6)))
        hours = f["runs/ontime"][:].sum() / 3600
    assert (ours["n_on"], ours["n_off"], ours["n_off_regions"]) == (n_on, n_off, 5)
    assert ours["alpha"] == 0.2
    assert ours["excess"] == pytest.approx(n_on - 0.2 * n_off)
    ref = float(stats.WStatCountsStatistic(n_on, n_off, 0.2).sqrt_ts)
    assert ours["li_ma_significance"] == pytest.approx(ref, rel=1e-9)
    assert ours["hours"] == pytest.approx(hours) and ours["hours"] == pytest.approx(17.73, abs=0.01)
    assert ours["sigma_per_sqrt_hour"] == pytest.approx(ref / math.sqrt(hours))
    # the numbers themselves (10,000 of ~747,000 events: a small excess, see the benchmark)
    assert (ours["n_on"], ours["n_off"]) == (6, 13)
    # FACT counts gamma_prediction >= 0.85 and theta <= sqrt(cut): no event sits on a cut here
    with h5py.File(CRAB_DL3, "r") as f:
        assert not np.any(f["events/gamma_prediction"][:] == g_cut)


def test_fact_dl3_is_read_with_its_layout():
    _need_crab()
    dl3 = read_dl3(CRAB_DL3)
    assert dl3.n_off == 5 and dl3.theta_off.shape == (5, 10000)
    assert {"night", "run_id"} <= set(dl3.events)
    assert len(dl3.runs["ontime"]) == 218 and dl3.attrs == {}
    assert np.median(dl3.events["gamma_energy_prediction"]) > 500  # GeV, as FACT writes it


def test_the_theta2_rule_at_other_cuts_matches_a_plain_count():
    _need_crab()
    dl3 = read_dl3(CRAB_DL3)
    g, t_on, t_off = dl3.events["gamma_prediction"], dl3.events["theta_deg"], dl3.theta_off
    for g_cut, t2_cut in [(0.0, 0.01), (0.5, 0.03), (0.7, 0.05), (0.9, 0.08)]:
        res = theta2_counts(g, t_on, t_off, gammaness_cut=g_cut, theta2_cut=t2_cut)
        sel = g > g_cut
        assert res["n_on"] == np.sum(t_on[sel] ** 2 < t2_cut)
        assert res["n_off"] == np.sum(t_off[:, sel] ** 2 < t2_cut)


# ---- writer and reader ------------------------------------------------------------------------


def test_dl3_round_trip_in_facts_layout(tmp_path):
    ev, runs = _events()
    runs["source"] = np.array(["Crab"] * 3)  # text: written as bytes, as FACT's
    path = tmp_path / "dl3.h5"
    write_dl3(path, ev, runs, n_off=5, config={"model": "rf"}, seed=3)
    back = read_dl3(path)
    assert back.n_off == 5 and back.attrs["n_off_regions"] == 5 and back.attrs["seed"] == 3
    for k in ("gamma_prediction", "gamma_energy_prediction", "theta_deg", "night", "run_id"):
        np.testing.assert_array_equal(back.events[k], ev[k])
    np.testing.assert_array_equal(back.theta_off, np.stack([ev[c] for c in theta_off_columns(5)]))
    np.testing.assert_array_equal(back.ontime_s, runs["ontime"])
    assert back.runs["source"].tolist() == [b"Crab"] * 3
    with h5py.File(path, "r") as f:  # what pyfact's read_h5py needs: 1-D datasets, units
        assert set(f) == {"events", "runs"}
        assert all(ds.ndim == 1 for ds in f["events"].values())
        assert f["events/theta_deg_off_3"].attrs["unit"] == "deg"
        assert f["events/gamma_energy_prediction"].attrs["unit"] == "GeV"
        assert f["runs/ontime"].attrs["unit"] == "s"
    # the rule reads our file as it reads FACT's
    res = dl3_theta2(path, gammaness_cut=0.5, theta2_cut=0.02)
    direct = theta2_counts(
        ev["gamma_prediction"],
        ev["theta_deg"],
        [ev[c] for c in theta_off_columns(5)],
        gammaness_cut=0.5,
        theta2_cut=0.02,
        ontime_s=runs["ontime"],
    )
    assert {k: v for k, v in res.items() if k != "path"} == direct
    assert res["hours"] == pytest.approx(885.5 / 3600)


def test_dl3_writer_refuses_incomplete_input_and_leaves_nothing(tmp_path):
    ev, runs = _events(n_off=3)
    path = tmp_path / "dl3.h5"
    with pytest.raises(ValueError, match="theta_deg_off_4"):
        write_dl3(path, ev, runs, n_off=5)
    with pytest.raises(ValueError, match="theta_deg_off_3"):
        write_dl3(path, ev, runs, n_off=2)  # more OFF columns than n_off
    with pytest.raises(ValueError, match="ontime"):
        write_dl3(path, ev, {"run_id": runs["run_id"]}, n_off=3)
    with pytest.raises(ValueError, match="ontime"):
        write_dl3(path, ev, {"ontime": np.array([1.0, -2.0])}, n_off=3)
    with pytest.raises(ValueError, match="n_off"):
        write_dl3(path, ev, runs, n_off=0)
    assert list(tmp_path.iterdir()) == []  # atomic: no partial file, no temporary left


def _write_raw(path, columns, runs=None, attrs=None):
    with h5py.File(path, "w") as f:
        for k, v in columns.items():
            f.create_dataset(f"events/{k}", data=v)
        for k, v in (runs or {}).items():
            f.create_dataset(f"runs/{k}", data=v)
        f.attrs.update(attrs or {})


def test_dl3_reader_refuses_files_without_theta_columns(tmp_path):
    ev, runs = _events()
    no_theta = tmp_path / "no_theta.h5"
    _write_raw(no_theta, {k: v for k, v in ev.items() if k != "theta_deg"}, runs)
    with pytest.raises(InputError, match=r"no_theta\.h5.*'theta_deg'"):
        read_dl3(no_theta)
    no_off = tmp_path / "no_off.h5"
    _write_raw(no_off, {k: v for k, v in ev.items() if "off" not in k}, runs)
    with pytest.raises(InputError, match=r"no_off\.h5.*no OFF theta column.*theta_deg_off_1"):
        dl3_theta2(no_off)
    gap = tmp_path / "gap.h5"
    _write_raw(gap, {k: v for k, v in ev.items() if k != "theta_deg_off_2"}, runs)
    with pytest.raises(InputError, match=r"gap\.h5.*numbered \[1, 3, 4, 5\]"):
        read_dl3(gap)


def test_dl3_reader_refuses_an_inconsistent_n_off_and_missing_ontime(tmp_path):
    ev, runs = _events()
    path = tmp_path / "dl3.h5"
    write_dl3(path, ev, runs, n_off=5)
    with pytest.raises(InputError, match=r"n_off = 3 asked for, but the file has 5"):
        dl3_theta2(path, n_off=3)
    bad_attr = tmp_path / "attr.h5"
    _write_raw(bad_attr, ev, runs, attrs={"n_off_regions": 4})
    with pytest.raises(InputError, match=r"n_off_regions = 4 but the file has 5"):
        read_dl3(bad_attr)
    no_runs = tmp_path / "no_runs.h5"
    _write_raw(no_runs, ev)
    assert read_dl3(no_runs).runs is None
    with pytest.raises(InputError, match=r"no_runs\.h5: no group 'runs'.*ontime"):
        dl3_theta2(no_runs)
    no_ontime = tmp_path / "no_ontime.h5"
    _write_raw(no_ontime, ev, {"run_id": runs["run_id"]})
    with pytest.raises(InputError, match=r"no column 'ontime'.*'runs'"):
        dl3_theta2(no_ontime)


# ---- the rule on constructed events -----------------------------------------------------------


def test_cuts_are_strict_and_nan_is_in_no_region():
    g = np.array([0.9, 0.85, 0.9, 0.9, 0.9, 0.9])
    t_on = np.array([0.1, 0.1, 0.2, np.nan, 0.5, 0.5])  # 0.2^2 = 0.04 = the cut: out
    t_off = np.full((2, 6), 0.5)
    t_off[0, 4] = 0.05
    t_off[1, 5] = np.nan
    res = theta2_counts(g, t_on, t_off, gammaness_cut=0.85, theta2_cut=0.04, ontime_s=[3600.0])
    assert (res["n_on"], res["n_off"], res["n_selected"]) == (1, 1, 5)
    assert res["alpha"] == 0.5 and res["excess"] == 0.5
    assert res["excess_error"] == pytest.approx(math.sqrt(1 + 0.25))
    assert res["hours"] == 1.0 and res["sigma_per_sqrt_hour"] == res["li_ma_significance"]
    assert math.isnan(theta2_counts(g, t_on, t_off, gammaness_cut=0.5, theta2_cut=0.04)["hours"])


def test_alpha_is_exact_for_a_flat_background():
    # hadrons spread evenly over the field: ON and each OFF region collect the same rate, so
    # N_on / (alpha N_off) -> 1 and the significance stays near 0
    rng = np.random.default_rng(1)
    n, n_off, r = 400_000, 5, 0.6
    theta = _wobble_thetas(rng.uniform(-2, 2, n), rng.uniform(-2, 2, n), n_off, r)
    cut = max_theta2_cut(r, n_off)
    assert cut == pytest.approx(0.09)
    res = theta2_counts(
        np.ones(n), theta[0], theta[1:], gammaness_cut=0.5, theta2_cut=cut, wobble_offset_deg=r
    )
    expected = n * np.pi * cut / 16  # region area / field area
    assert res["n_on"] == pytest.approx(expected, rel=0.05)
    assert res["n_on"] / (res["alpha"] * res["n_off"]) == pytest.approx(1, abs=0.02)
    assert abs(res["li_ma_significance"]) < 4


def test_histograms_count_what_the_rule_counts():
    ev, _ = _events(n=2000)
    t_off = np.stack([ev[c] for c in theta_off_columns(5)])
    h = theta2_histograms(ev["gamma_prediction"], ev["theta_deg"], t_off, gammaness_cut=0.3)
    sel = ev["gamma_prediction"] > 0.3
    assert h["on"].sum() == np.sum(ev["theta_deg"][sel] ** 2 < 0.3)
    assert h["off"].sum() == np.sum(t_off[:, sel] ** 2 < 0.3)
    np.testing.assert_allclose(h["off_scaled"], 0.2 * h["off"])
    np.testing.assert_allclose(h["off_scaled_error"], 0.2 * np.sqrt(h["off"]))
    assert len(h["edges"]) == 41 and h["edges"][-1] == pytest.approx(0.3)


@pytest.mark.parametrize("cut", [0.0, -0.01, float("nan")])
def test_a_theta2_cut_not_above_zero_is_refused(cut):
    ev, _ = _events()
    with pytest.raises(ValueError, match="theta2_cut must be > 0 deg"):
        theta2_counts(
            ev["gamma_prediction"],
            ev["theta_deg"],
            [ev["theta_deg_off_1"]],
            gammaness_cut=0.5,
            theta2_cut=cut,
        )


def test_counting_refuses_an_overlap_with_the_one_check_of_every_cut():
    ev, _ = _events()
    args = (ev["gamma_prediction"], ev["theta_deg"], [ev[c] for c in theta_off_columns(5)])
    with pytest.raises(ValueError) as expected:
        check_theta2_cut(0.1, 0.6, 5)
    with pytest.raises(ValueError) as err:
        theta2_counts(*args, gammaness_cut=0.0, theta2_cut=0.1, wobble_offset_deg=0.6)
    assert str(err.value) == str(expected.value)
    assert "source 0.6 deg from the camera centre, 5 OFF positions" in str(err.value)


def test_overlapping_regions_are_refused_with_the_largest_allowed_cut():
    ev, _ = _events()
    args = (ev["gamma_prediction"], ev["theta_deg"], [ev[c] for c in theta_off_columns(5)])
    with pytest.raises(ValueError, match=r"overlap.*largest allowed value is 0\.09 deg\^2"):
        theta2_counts(*args, gammaness_cut=0.0, theta2_cut=0.1, wobble_offset_deg=0.6)
    # without the offset, an event counted twice shows the overlap
    t = np.array([0.1])
    with pytest.raises(ValueError, match="1 event.*two regions"):
        theta2_counts([1.0], t, [t], gammaness_cut=0.5, theta2_cut=0.02)


def test_inconsistent_n_off_and_shapes_are_refused():
    ev, _ = _events()
    offs = [ev[c] for c in theta_off_columns(5)]
    with pytest.raises(ValueError, match="n_off = 3 but theta_deg_off holds 5"):
        theta2_counts(
            ev["gamma_prediction"],
            ev["theta_deg"],
            offs,
            gammaness_cut=0.5,
            theta2_cut=0.02,
            n_off=3,
        )
    with pytest.raises(ValueError, match=r"expected \(n_off, 200\)"):
        theta2_counts(
            ev["gamma_prediction"],
            ev["theta_deg"],
            [o[:-1] for o in offs],
            gammaness_cut=0.5,
            theta2_cut=0.02,
        )
    with pytest.raises(ValueError, match="theta must be >= 0"):
        theta2_counts([0.9], [-0.1], [[0.5]], gammaness_cut=0.5, theta2_cut=0.02)


@pytest.mark.parametrize("ontime", [[], [0.0, 0.0], [10.0, -1.0], [np.inf]])
def test_bad_ontime_is_refused(ontime):
    with pytest.raises(ValueError, match="ontime"):
        observation_hours(ontime)


def test_theta2_plot_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    from iactdl.evaluate.theta2_figures import plot_theta2, theta2_text

    ev, runs = _events(n=500)
    offs = np.stack([ev[c] for c in theta_off_columns(5)])
    kw = {"gammaness_cut": 0.5}
    counts = theta2_counts(
        ev["gamma_prediction"],
        ev["theta_deg"],
        offs,
        theta2_cut=0.025,
        ontime_s=runs["ontime"],
        **kw,
    )
    text = theta2_text(counts)
    assert f"N_\\mathrm{{on}} = {counts['n_on']}" in text and "Li & Ma" in text and " h, " in text
    hist = theta2_histograms(ev["gamma_prediction"], ev["theta_deg"], offs, **kw)
    out = [tmp_path / "t2.pdf", tmp_path / "t2.png"]
    plot_theta2(hist, counts, out, title="test")
    assert all(p.stat().st_size > 1000 for p in out)


# ---- the peer: pyfact itself (aict-tools' environment; skipped where it is absent) -----------


def _pyfact(path, g_cut, t2_cut) -> dict:
    """pyfact's own rule on ``path`` (benchmarks/fact_theta2.py runs it in aict-tools' venv)."""
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import fact_theta2 as bench
    finally:
        sys.path.pop(0)
    if bench.find_pyfact(None) is None:
        pytest.skip("pyfact's environment (../venv-aict/bin/python with fact) not found")
    return bench.pyfact_rule(path, g_cut, t2_cut)


def test_pyfact_reads_our_dl3_and_counts_what_we_count(tmp_path):
    ev, runs = _events(n=20_000, seed=5)
    runs["source"] = np.array(["Crab"] * 3)
    path = tmp_path / "ours_dl3.h5"
    write_dl3(path, ev, runs, n_off=5, config={"model": "rf"}, seed=0)
    g_cut, t2_cut = OPEN_CRAB_CUTS["gammaness_cut"], OPEN_CRAB_CUTS["theta2_cut"]
    theirs = _pyfact(path, g_cut, t2_cut)
    ours = dl3_theta2(path)
    assert theirs["n_events"] == 20_000
    assert set(theirs["columns"]) == set(ev) and "ontime" in theirs["runs"]
    assert ours["n_on"] > 0 and ours["n_off"] > 0
    assert (theirs["n_on"], theirs["n_off"], theirs["n_off_regions"]) == (
        ours["n_on"],
        ours["n_off"],
        ours["n_off_regions"],
    )
    assert theirs["li_ma"] == pytest.approx(max(ours["li_ma_significance"], 0.0), abs=1e-9)
    assert theirs["hours"] == pytest.approx(ours["hours"])


def test_pyfact_on_facts_dl3_gives_our_numbers():
    _need_crab()
    theirs = _pyfact(CRAB_DL3, OPEN_CRAB_CUTS["gammaness_cut"], OPEN_CRAB_CUTS["theta2_cut"])
    ours = dl3_theta2(CRAB_DL3)
    assert (theirs["n_on"], theirs["n_off"]) == (ours["n_on"], ours["n_off"]) == (6, 13)
    assert theirs["li_ma"] == pytest.approx(ours["li_ma_significance"], rel=1e-9)
    assert theirs["hours"] == pytest.approx(ours["hours"])


# ---- from reconstructed directions to the DL3 columns and the ON/OFF labels ------------------


def test_off_positions_rotate_the_source_about_the_centre():
    from iactdl.evaluate.theta2 import off_positions

    x, y = off_positions(51.2, 0.0, 5)  # FACT's 0.6 deg wobble, in mm
    assert x.shape == (5,)
    np.testing.assert_allclose(np.hypot(x, y), 51.2)
    np.testing.assert_allclose(np.degrees(np.arctan2(y, x)), [60, 120, 180, -120, -60], atol=1e-9)
    xs, ys = off_positions(np.array([51.2, 0.0]), np.array([0.0, 51.2]), 3)
    assert xs.shape == (3, 2)
    np.testing.assert_allclose([xs[1, 0], ys[1, 1]], [-51.2, -51.2], atol=1e-9)  # opposite


def test_theta_on_off_and_regions_from_reconstructed_directions():
    from iactdl.camera import MM_TO_DEG
    from iactdl.evaluate.theta2 import NO_REGION, off_positions, theta2_regions, theta_on_off

    src = (51.2, 0.0)
    x_off, y_off = off_positions(*src, 5)
    # one event at the source, one at OFF position 3, one at the camera centre (in no region)
    x_rec = np.array([src[0], x_off[2], 0.0])
    y_rec = np.array([src[1], y_off[2], 0.0])
    t_on, t_off = theta_on_off(x_rec, y_rec, *src, 5)
    assert t_off.shape == (5, 3)
    assert t_on[0] == 0 and t_off[2, 1] == pytest.approx(0, abs=1e-9)
    assert t_on[2] == pytest.approx(51.2 * MM_TO_DEG)  # 0.6 deg
    region = theta2_regions(t_on, t_off, 0.025)
    assert region.tolist() == [0, 3, NO_REGION] and region.dtype == np.int8
    # the same counts as the rule
    res = theta2_counts(np.ones(3), t_on, t_off, gammaness_cut=0.5, theta2_cut=0.025)
    assert (res["n_on"], res["n_off"]) == (1, 1)
    with pytest.raises(ValueError, match="overlap"):
        theta2_regions(t_on, t_off, 0.5)  # radius 0.71 deg > the 0.6 deg between positions


def test_a_non_finite_gammaness_cut_is_refused():
    with pytest.raises(ValueError, match="gammaness_cut must be a finite number"):
        theta2_counts([0.9], [0.1], [[0.5]], gammaness_cut=float("nan"), theta2_cut=0.02)


def test_our_predictions_become_facts_dl3_columns(tmp_path):
    from iactdl.io.dl3 import dl3_events

    t_off = np.array([[0.5, 0.6], [0.7, 0.8]])
    ev = dl3_events([0.2, 0.9], [1.5, 0.3], [0.1, 0.4], t_off, event_id=np.array([7, 8]))
    assert set(ev) == {
        "gamma_prediction",
        "gamma_energy_prediction",
        "theta_deg",
        "theta_deg_off_1",
        "theta_deg_off_2",
        "event_id",
    }
    np.testing.assert_allclose(ev["gamma_energy_prediction"], [1500.0, 300.0])  # TeV -> GeV
    write_dl3(tmp_path / "d.h5", ev, {"ontime": [3600.0]}, n_off=2)
    back = read_dl3(tmp_path / "d.h5", columns=["event_id"])
    np.testing.assert_array_equal(back.theta_off, t_off)
    assert back.events["event_id"].tolist() == [7, 8] and back.n_off == 2


# ---- the significance analysis: theta^2 and gammaness cuts chosen on observed_val -------------


def _source_field(sigma_deg: float, seed: int, n_bg: int = 60_000, n_src: int = 1500):
    """A wobble observation: an isotropic background over the field of view (uniform in a disc
    of 1.5 deg about the camera centre, gammaness uniform in [0, 1]) and a source at (0.6, 0) deg
    whose reconstructed directions scatter as a 2-D Gaussian of ``sigma_deg`` per axis (gammaness
    uniform in [0.5, 1]). Returns gammaness, theta_deg (n,) and theta_deg_off (5, n)."""
    rng = np.random.default_rng(seed)
    r, phi = 1.5 * np.sqrt(rng.uniform(0, 1, n_bg)), rng.uniform(0, 2 * np.pi, n_bg)
    x = np.concatenate([r * np.cos(phi), 0.6 + rng.normal(0, sigma_deg, n_src)])
    y = np.concatenate([r * np.sin(phi), rng.normal(0, sigma_deg, n_src)])
    g = np.concatenate([rng.uniform(0, 1, n_bg), rng.uniform(0.5, 1, n_src)])
    theta = _wobble_thetas(x, y)
    return g, theta[0], theta[1:]


CANDIDATES = [0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.08]


def test_the_joint_choice_widens_the_theta2_cut_for_a_wider_source():
    """With the source's directions scattered by sigma, the source's theta^2 is exponential with
    mean 2 sigma^2 and the background's flat, so S / sqrt(B) peaks near theta^2 = 2.5 sigma^2:
    0.012 deg^2 for sigma = 0.07 deg, 0.056 deg^2 for 0.15 deg. A fixed cut gives both the same."""
    from iactdl.evaluate.theta2_analysis import choose_cuts

    narrow = choose_cuts(*_source_field(0.07, seed=1), CANDIDATES)
    wide = choose_cuts(*_source_field(0.15, seed=1), CANDIDATES)
    assert narrow["theta2_cut"] <= 0.02 and wide["theta2_cut"] >= 0.04, (narrow, wide)
    # the gammaness cut is chosen too: near the source's lower edge (0.5), for both
    assert 0.4 < narrow["gammaness_cut"] < 0.6 and 0.4 < wide["gammaness_cut"] < 0.6
    # the choice is the best of its own scan, and that scan's counts are theta2_counts'
    for choice, field in ((narrow, _source_field(0.07, seed=1)), (wide, _source_field(0.15, 1))):
        best = max(r["li_ma_significance"] for r in choice["scan"])
        assert choice["li_ma_significance"] == best
        for row in choice["scan"]:
            ref = theta2_counts(
                *field, gammaness_cut=row["gammaness_cut"], theta2_cut=row["theta2_cut"]
            )
            assert (row["n_on"], row["n_off"]) == (ref["n_on"], ref["n_off"])
            assert row["li_ma_significance"] == ref["li_ma_significance"]


def test_the_chosen_cut_reaches_the_json_the_table_and_the_figure(tmp_path):
    pytest.importorskip("matplotlib")
    from iactdl.evaluate.significance_table import significance_table
    from iactdl.evaluate.theta2_analysis import analyse_theta2
    from iactdl.evaluate.theta2_figures import draw_theta2

    paths = {}
    for split, seed in (("val", 2), ("test", 3)):
        g, t_on, t_off = _source_field(0.15, seed=seed)
        paths[split] = tmp_path / f"{split}.h5"
        events = dl3_events(g, np.ones_like(g), t_on, t_off)
        runs = {"ontime": np.array([3600.0]), "run_id": np.array([0])}
        write_dl3(paths[split], events, runs, n_off=5)
    out = analyse_theta2(
        paths["val"], paths["test"], tmp_path / "t.json", CANDIDATES, model="m",
        wobble_offset_deg=0.6,
    )  # fmt: skip
    chosen = out["choice"]["theta2_cut"]
    assert chosen >= 0.04 and out["counts"]["theta2_cut"] == chosen
    assert out["theta2_cut_candidates"] == CANDIDATES and len(out["choice"]["scan"]) == 9
    assert "theta^2 and gammaness cuts" in out["cut_chosen_on"]
    import json

    stored = json.loads((tmp_path / "t.json").read_text())
    assert stored["counts"]["theta2_cut"] == chosen
    table = significance_table(
        {"m": tmp_path / "t.json"}, {"m": {"kind": "baseline"}}, tmp_path / "s.csv",
        tmp_path / "s.tex",
    )  # fmt: skip
    assert table["theta2_cut"].iloc[0] == chosen
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        draw_theta2(ax, stored["histograms"], stored["counts"])
        cut_lines = [ln for ln in ax.get_lines() if len(set(ln.get_xdata())) == 1]
        assert [ln.get_xdata()[0] for ln in cut_lines] == [chosen]
        assert f"{chosen:g}" in cut_lines[0].get_label()
    finally:
        plt.close(fig)


def test_a_theta2_candidate_over_the_limit_is_refused_naming_the_key(tmp_path):
    from iactdl.evaluate.theta2_analysis import analyse_theta2, choose_cuts, theta2_candidates

    with pytest.raises(ValueError, match=r"config directions\.theta2_cuts: .*0\.1 deg\^2.*"
                       r"largest allowed value is 0\.09 deg\^2"):  # fmt: skip
        theta2_candidates([0.02, 0.1], wobble_offset_deg=0.6, n_off=5)
    with pytest.raises(ValueError, match=r"config directions\.theta2_cuts: .*> 0"):
        theta2_candidates([0.02, 0.0])
    with pytest.raises(ValueError, match=r"config directions\.theta2_cuts: no theta\^2 cut"):
        theta2_candidates([])
    # by the analysis, given the wobble offset, before a cut is chosen; nothing written
    g, t_on, t_off = _source_field(0.1, seed=4, n_bg=5000, n_src=100)
    runs = {"ontime": np.array([3600.0]), "run_id": np.array([0])}
    write_dl3(tmp_path / "d.h5", dl3_events(g, np.ones_like(g), t_on, t_off), runs, n_off=5)
    with pytest.raises(ValueError, match=r"config directions\.theta2_cuts: .*0\.09 deg\^2"):
        analyse_theta2(
            tmp_path / "d.h5", tmp_path / "d.h5", tmp_path / "t.json", [0.05, 0.1],
            wobble_offset_deg=0.6,
        )  # fmt: skip
    assert not (tmp_path / "t.json").exists()
    # without the offset (FACT's files): events in two regions at a candidate name it
    with pytest.raises(ValueError, match=r"config directions\.theta2_cuts: candidate 0\.2 deg"):
        choose_cuts(g, t_on, t_off, [0.02, 0.2])


def _todays_choice(g, t_on, t_off, theta2_cut, min_on=5, n_cuts=100):
    """The gammaness cut as analyse_theta2 chose it before the joint choice (commit 8416721):
    a loop over the quantiles, theta2_counts at each, the first with the largest Li & Ma."""
    candidates = np.unique(np.quantile(g, np.linspace(0.0, 0.99, n_cuts)))
    best, best_s = -np.inf, -np.inf
    for cut in candidates:
        c = theta2_counts(g, t_on, t_off, gammaness_cut=cut, theta2_cut=theta2_cut)
        if c["n_on"] >= min_on and c["li_ma_significance"] > best_s:
            best, best_s = float(cut), c["li_ma_significance"]
    return best if np.isfinite(best) else float(np.min(g) - 1.0)


@pytest.mark.parametrize("theta2_cuts", [0.025, [0.025], (0.025, 0.025)])
def test_one_theta2_candidate_reproduces_the_fixed_cut_analysis_exactly(tmp_path, theta2_cuts):
    from iactdl.evaluate.theta2_analysis import analyse_theta2, choose_gammaness_cut

    data, paths = {}, {}
    for split, seed in (("val", 5), ("test", 6)):
        g, t_on, t_off = _source_field(0.12, seed=seed, n_bg=20_000, n_src=1000)
        ev = dl3_events(g, np.full(len(g), 2.0), t_on, t_off)
        runs = {"ontime": np.array([1800.0, 1800.0]), "run_id": np.array([1, 2])}
        paths[split] = tmp_path / f"{split}.h5"
        write_dl3(paths[split], ev, runs, n_off=5)
        data[split] = read_dl3(paths[split], columns=[])
    val, test = data["val"], data["test"]
    cut = _todays_choice(
        val.events["gamma_prediction"], val.events["theta_deg"], val.theta_off, 0.025
    )
    assert (
        choose_gammaness_cut(
            val.events["gamma_prediction"], val.events["theta_deg"], val.theta_off, 0.025
        )
        == cut
    )
    g, t_on, t_off = test.events["gamma_prediction"], test.events["theta_deg"], test.theta_off
    counts = theta2_counts(
        g, t_on, t_off, gammaness_cut=cut, theta2_cut=0.025, ontime_s=test.ontime_s
    )
    hist = theta2_histograms(g, t_on, t_off, gammaness_cut=cut)
    out = analyse_theta2(paths["val"], paths["test"], tmp_path / "t.json", theta2_cuts, model="m")
    assert out["counts"] == counts  # every number, exactly
    assert out["histograms"] == {k: np.asarray(v).tolist() for k, v in hist.items()}
    assert out["theta2_cut_candidates"] == [0.025] and out["choice"]["gammaness_cut"] == cut
    assert out["cut_chosen_on"].startswith("observed_val (the gammaness cut:")


def test_counts_over_gammaness_cuts_are_theta2_counts_at_each():
    from iactdl.evaluate.theta2 import on_off_counts_over_cuts

    g, t_on, t_off = _source_field(0.1, seed=7, n_bg=3000, n_src=200)
    g[::50], t_on[1::70], t_off[2, 3::90] = np.nan, np.nan, np.nan  # in no region / no cut
    cuts = np.array([-1.0, 0.0, 0.3, 0.5, 0.77, 0.99, 1.0])
    n_on, n_off = on_off_counts_over_cuts(g, t_on, t_off, theta2_cut=0.03, gammaness_cuts=cuts)
    for cut, a, b in zip(cuts, n_on, n_off, strict=True):
        ref = theta2_counts(g, t_on, t_off, gammaness_cut=cut, theta2_cut=0.03)
        assert (a, b) == (ref["n_on"], ref["n_off"]), cut
