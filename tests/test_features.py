"""iactdl.features: physical invariants, hand-made images, grid/pixel-set layout, the pipeline's
bad-input handling, and the dataset split (determinism, stratification, disjointness)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from iactdl.camera import fact_camera
from iactdl.features import (
    DEFAULT_FEATURES,
    FEATURE_UNITS,
    build_features,
    check_feature_columns,
    grid_image,
    hillas_parameters,
    image_features,
    leakage_parameters,
    number_of_islands,
    pixel_below,
    pixel_set,
    split_dataset,
    split_observed,
    tailcuts_clean,
    tailcuts_clean_pixels,
)
from iactdl.features.reference import toy_events
from iactdl.io import InputError, read_columns, write_events

CAM = fact_camera()
FACT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "fact-data"


def gaussian_image(cx, cy, length, width, psi, size=2000.0, skew=1.0):
    """Noise-free elliptical Gaussian light (p.e.); skew != 1 stretches the head (l > 0)."""
    dx, dy = CAM.x - cx, CAM.y - cy
    lon = dx * np.cos(psi) + dy * np.sin(psi)
    tra = -dx * np.sin(psi) + dy * np.cos(psi)
    sig = np.where(lon > 0, length * skew, length)
    dens = np.exp(-0.5 * (lon / sig) ** 2 - 0.5 * (tra / width) ** 2)
    return size * dens / dens.sum()


# the levels these hand-made images are built for, without FACT's picture-neighbour requirement
NO_NEIGHBOUR_RULE = dict(
    picture_threshold=5.5, boundary_threshold=3.0, min_number_picture_neighbors=0
)


def neighbours_of(pix):
    return [int(j) for j in CAM.neighbours[pix] if j >= 0]


# --- invariants -----------------------------------------------------------------------------


def test_rotation_by_60_degrees_keeps_width_length_size():
    # The camera centre lies between pixels; a 60 deg rotation about the central pixel maps the
    # hexagonal lattice onto itself, so the rotated image is an exact permutation of pixels.
    centre = int(np.argmin(np.hypot(CAM.x, CAM.y)))
    cx, cy = CAM.x[centre], CAM.y[centre]
    image = gaussian_image(cx + 20, cy - 10, 18.0, 6.0, 0.3, skew=1.3)
    image[image < 0.5] = 0.0
    base = hillas_parameters(image, moments="fact")
    for k in range(1, 6):
        a = k * np.pi / 3
        # pixel j of the rotated image holds the light of the pixel that rotates onto it
        xr = cx + (CAM.x - cx) * np.cos(-a) - (CAM.y - cy) * np.sin(-a)
        yr = cy + (CAM.x - cx) * np.sin(-a) + (CAM.y - cy) * np.cos(-a)
        src = pixel_below(xr, yr)
        rotated = np.where(src >= 0, image[np.maximum(src, 0)], 0.0)
        assert rotated.sum() == pytest.approx(image.sum(), rel=1e-12)
        rot = hillas_parameters(rotated, moments="fact")
        for key in ("size", "length", "width", "kurtosis_long"):
            assert rot[key][0] == pytest.approx(base[key][0], rel=1e-9), (k, key)
        # skewness refers to the direction (cos delta, sin delta), whose sign flips when the
        # axis crosses +-90 deg (delta wraps): its magnitude is invariant
        assert abs(rot["skewness_long"][0]) == pytest.approx(abs(base["skewness_long"][0]), 1e-9)
        turned = np.angle(np.exp(2j * (rot["delta"][0] - base["delta"][0]))) / 2
        assert turned == pytest.approx(np.angle(np.exp(2j * a)) / 2, abs=1e-9)


def test_point_symmetric_image_has_zero_skewness():
    centre = int(np.argmin(np.hypot(CAM.x - 50, CAM.y - 30)))
    image = gaussian_image(CAM.x[centre], CAM.y[centre], 20.0, 5.0, 0.7)
    h = hillas_parameters(image, image > 1e-3)
    assert abs(h["skewness_long"][0]) < 1e-9
    assert abs(h["skewness_trans"][0]) < 1e-9
    skewed = hillas_parameters(
        gaussian_image(50, 30, 15.0, 5.0, 0.7, skew=1.6), moments="population"
    )
    # head (l > 0) stretched: the light has a positive third moment along +l
    assert skewed["skewness_long"][0] > 0.2


@pytest.mark.parametrize("psi", [-1.4, -0.8, 0.0, 0.4, 1.2, np.pi / 2])
def test_ellipse_recovers_orientation_and_cog(psi):
    image = gaussian_image(-30.0, 40.0, 25.0, 4.0, psi)
    h = hillas_parameters(image, moments="population")
    d = np.angle(np.exp(2j * (h["delta"][0] - psi))) / 2
    assert abs(d) < 0.02
    assert -np.pi / 2 < h["delta"][0] <= np.pi / 2
    assert h["cog_x"][0] == pytest.approx(-30.0, abs=0.5)
    assert h["cog_y"][0] == pytest.approx(40.0, abs=0.5)
    assert h["length"][0] == pytest.approx(25.0, rel=0.05)
    assert h["width"][0] == pytest.approx(4.0, rel=0.15)


def test_fact_moments_exceed_population_moments_by_the_sample_factor():
    image = gaussian_image(0, 0, 15.0, 5.0, 0.2)
    image[image < 1] = 0
    f, p = hillas_parameters(image, moments="fact"), hillas_parameters(image, moments="population")
    w = image.sum()
    v = w - (image**2).sum() / w
    assert f["length"][0] == pytest.approx(p["length"][0] * np.sqrt(w / v), rel=1e-12)
    assert f["size"][0] == p["size"][0]


# --- cleaning, islands on hand-made images --------------------------------------------------


def test_cleaning_hand_made():
    core = 700
    nbs = neighbours_of(core)
    image = np.zeros(1440)
    image[core] = 10.0  # picture
    image[nbs[0]] = 4.0  # boundary next to the picture pixel: kept
    image[nbs[1]] = 2.0  # below boundary: dropped
    far = 100
    image[far] = 4.0  # boundary, no picture neighbour: dropped
    lone = 1200
    image[lone] = 50.0  # isolated picture pixel: dropped unless keep_isolated_pixels
    mask = tailcuts_clean(image, **NO_NEIGHBOUR_RULE)
    assert set(np.flatnonzero(mask)) == {core, nbs[0]}
    iso = tailcuts_clean(image, **NO_NEIGHBOUR_RULE, keep_isolated_pixels=True)
    assert set(np.flatnonzero(iso)) == {core, nbs[0], lone}
    # min picture neighbours: a lone picture pixel with boundary neighbours no longer seeds
    assert not tailcuts_clean(
        image, picture_threshold=5.5, boundary_threshold=3.0, min_number_picture_neighbors=1
    ).any()
    image[nbs[2]] = 8.0  # a second picture pixel next to the core: both are seeds now
    m2 = tailcuts_clean(
        image, picture_threshold=5.5, boundary_threshold=3.0, min_number_picture_neighbors=1
    )
    assert {core, nbs[2], nbs[0]} <= set(np.flatnonzero(m2))


def test_cleaning_time_constraint_and_nan():
    core = 700
    nbs = neighbours_of(core)
    image = np.zeros(1440)
    image[[core, *nbs[:3]]] = [10, 8, 4, 4]
    t = np.full(1440, 20.0)
    t[nbs[2]] = 60.0  # out of time with all its neighbours
    mask = tailcuts_clean(image, **NO_NEIGHBOUR_RULE, peak_time=t, time_limit=5.0)
    assert set(np.flatnonzero(mask)) == {core, nbs[0], nbs[1]}
    image[nbs[1]] = np.nan  # NaN never passes a threshold
    assert nbs[1] not in set(np.flatnonzero(tailcuts_clean(image, **NO_NEIGHBOUR_RULE)))


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"min_number_picture_neighbors": 2},
        {"min_number_picture_neighbors": 3},
        {"keep_isolated_pixels": True},
        {"min_number_picture_neighbors": 2, "time_limit": 1.0, "time_min_neighbors": 2},
    ],
)
def test_numba_kernel_equals_numpy_path(kw):
    from iactdl.features._kernels import HAVE_NUMBA

    if not HAVE_NUMBA:
        pytest.skip("numba not installed: only the numpy path exists")
    image, t = toy_events(400, seed=5)
    image[3, 100] = np.nan
    kw = {"min_number_picture_neighbors": 0, **kw}  # {}: no requirement
    a = tailcuts_clean_pixels(image, peak_time=t, count_islands=True, engine="numpy", **kw)
    b = tailcuts_clean_pixels(image, peak_time=t, count_islands=True, engine="numba", **kw)
    for field in ("event", "pixel", "charge", "time", "n_islands"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field


@pytest.mark.parametrize("moments", ["fact", "population"])
def test_numba_features_equal_numpy_features(moments):
    from iactdl.features._kernels import HAVE_NUMBA

    if not HAVE_NUMBA:
        pytest.skip("numba not installed: only the numpy path exists")
    image, t = toy_events(500, seed=8)
    image[4, 10] = np.nan
    cfg = {"moments": moments}
    a, _, ca = image_features(image, t, cfg, engine="numpy")
    b, _, cb = image_features(image, t, cfg, engine="numba")
    assert ca == cb and set(a) == set(b)
    for key in a:
        np.testing.assert_allclose(b[key], a[key], rtol=1e-9, atol=1e-9, err_msg=key)


def test_islands_hand_made():
    masks = np.zeros((4, 1440), dtype=bool)
    a, b = 700, 100
    masks[0, [a, *neighbours_of(a)]] = True  # one blob
    masks[1, [a, *neighbours_of(a), b, *neighbours_of(b)]] = True  # two separated blobs
    masks[2, [a, b, 1200]] = True  # three single pixels
    assert list(number_of_islands(masks)) == [1, 2, 3, 0]
    # the same through cleaning (islands counted on the candidate graph): every masked pixel is a
    # picture pixel kept as is
    sp = tailcuts_clean_pixels(
        np.where(masks, 10.0, 0.0),
        picture_threshold=5.0,
        boundary_threshold=3.0,
        min_number_picture_neighbors=0,
        keep_isolated_pixels=True,
        count_islands=True,
    )
    assert list(sp.n_islands) == [1, 2, 3, 0]
    # neighbouring pixels in different events never merge
    two = np.zeros((2, 1440), dtype=bool)
    two[0, a] = True
    two[1, neighbours_of(a)[0]] = True
    assert list(number_of_islands(two)) == [1, 1]
    # a ring (hole inside) is one island
    ring = np.zeros(1440, dtype=bool)
    ring[neighbours_of(a)] = True
    assert number_of_islands(ring)[0] == 1


def test_leakage_border_light():
    border = np.flatnonzero(CAM.is_border)[0]
    image = np.zeros(1440)
    image[border] = 10.0
    image[neighbours_of(border)] = 5.0
    lk = leakage_parameters(image)
    inner = [j for j in neighbours_of(border) if not CAM.is_border[j]]
    assert lk["leakage1"][0] == pytest.approx((image.sum() - 5.0 * len(inner)) / image.sum())
    assert lk["leakage2"][0] == pytest.approx(1.0)


def test_pixel_below_maps_centres_and_rejects_outside():
    assert np.array_equal(pixel_below(CAM.x, CAM.y), np.arange(1440))
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-150, 150, 2000), rng.uniform(-150, 150, 2000)
    p = pixel_below(x, y)
    d = np.hypot(CAM.x[None] - x[:, None], CAM.y[None] - y[:, None])
    inside = p >= 0
    assert np.array_equal(p[inside], np.argmin(d, axis=1)[inside])
    assert pixel_below(np.array([1000.0]), np.array([0.0]))[0] == -1


# --- grid images and pixel sets -------------------------------------------------------------


def test_grid_round_trip_each_pixel_one_cell():
    values = np.random.default_rng(1).normal(size=(3, 1440)).astype(np.float32)
    grid = CAM.to_grid(values)
    assert grid.shape == (3, 46, 45)
    assert np.array_equal(CAM.from_grid(grid), values)
    assert CAM.grid_mask.sum() == 1440
    r, c = CAM.grid_index
    assert len(set(zip(r.tolist(), c.tolist(), strict=True))) == 1440
    image, t = toy_events(5, seed=2)
    mask = tailcuts_clean(image)
    g = grid_image(image, t, mask)
    assert g.shape == (5, 2, 46, 45) and g.dtype == np.float32
    assert np.array_equal(CAM.from_grid(g[:, 0]), np.where(mask, image, 0))
    assert np.array_equal(CAM.from_grid(g[:, 1]), np.where(mask, t, 0))
    assert not g[:, :, ~CAM.grid_mask].any()


def test_pixel_set_padding_mask_truncation():
    image = np.zeros((3, 1440))
    image[0, [5, 6, 7]] = [3.0, 9.0, 1.0]
    image[1, :10] = np.arange(1, 11)
    t = np.tile(np.arange(1440, dtype=float), (3, 1))
    rows, mask, n_trunc = pixel_set(image, t, max_pixels=4)
    assert rows.shape == (3, 4, 4) and mask.shape == (3, 4)
    assert list(mask.sum(axis=1)) == [3, 4, 0]
    assert list(rows[0, :3, 2]) == [9.0, 3.0, 1.0]  # sorted by charge, brightest first
    assert list(rows[0, :3, 3]) == [6.0, 5.0, 7.0]  # times follow their pixels
    assert rows[0, 0, 0] == pytest.approx(CAM.x_deg[6]) and rows[0, 0, 1] == pytest.approx(
        CAM.y_deg[6]
    )
    assert not rows[0, 3].any() and not rows[2].any()  # zero padding
    assert list(rows[1, :, 2]) == [10.0, 9.0, 8.0, 7.0]  # truncated: brightest kept
    assert n_trunc == 1


# --- the pipeline on bad input --------------------------------------------------------------


def test_image_features_flags_bad_events():
    image, t = toy_events(8, seed=4)
    image[1] = 0.0  # all-zero
    image[2, 10] = np.nan  # NaN pixel
    image[3] = 0.0
    image[3, 700] = 100.0  # a single pixel: fails cleaning (no boundary neighbour)
    cols, sp, counts = image_features(image, t)
    assert counts["nonfinite"] == 1 and counts["no_pixels"] >= 2
    assert not cols["clean_ok"][[1, 2, 3]].any()
    for key, values in cols.items():
        if values.dtype.kind == "f":
            assert np.isnan(values[[1, 2, 3]]).all(), key
    assert not np.isin(sp.event, [1, 2, 3]).any()
    assert set(cols) - {"clean_ok"} <= set(FEATURE_UNITS)
    empty, _, _ = image_features(np.zeros((0, 1440), np.float32), np.zeros((0, 1440), np.float32))
    assert all(len(v) == 0 for v in empty.values())


def _events_file(path, n=600, seed=0, particle_id=1, with_region=False):
    image, t = toy_events(n, seed=seed)
    cols = {
        "event_id": np.arange(n, dtype=np.int64),
        "image": image,
        "peak_time": t,
        "source_x": np.zeros(n),
        "source_y": np.zeros(n),
    }
    if with_region:
        cols["region"] = np.arange(n) % 6
    else:
        cols.update({"particle_id": np.full(n, particle_id), "true_energy": np.ones(n)})
    write_events(path, cols)
    return path


def test_build_features_streams_and_passes_columns_through(tmp_path):
    src = _events_file(tmp_path / "gamma.h5", n=700)
    out = tmp_path / "features.h5"
    counts = build_features(src, out, {"pixel_set_size": 16}, chunk_size=256)
    cols = read_columns(out)
    assert len(cols["event_id"]) == 700 and np.array_equal(cols["event_id"], np.arange(700))
    assert cols["grid_image"].shape == (700, 2, 46, 45)
    assert cols["pixel_set"].shape == (700, 16, 4)
    assert "image" not in cols and "true_energy" in cols
    assert counts["pixel_set_truncated"] == np.count_nonzero(cols["num_pixel_in_shower"] > 16)
    whole, _, _ = image_features(*toy_events(700, seed=0), {"pixel_set_size": 16})
    np.testing.assert_array_equal(cols["size"], whole["size"])  # chunking changes nothing
    assert all(c in cols for c in DEFAULT_FEATURES)


def test_build_features_same_whatever_the_chunk_size(tmp_path):
    """Every column, grid images and pixel sets included, is the same chunked or in one piece."""
    src = _events_file(tmp_path / "gamma.h5", n=700)
    one, chunked = tmp_path / "one.h5", tmp_path / "chunked.h5"
    build_features(src, one, {"pixel_set_size": 16}, chunk_size=700)
    build_features(src, chunked, {"pixel_set_size": 16}, chunk_size=256)
    a, b = read_columns(one), read_columns(chunked)
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_build_features_passes_fact_features_through(tmp_path):
    n = 50
    rng = np.random.default_rng(0)
    src = tmp_path / "fact.h5"
    write_events(
        src,
        {
            "event_id": np.arange(n),
            "size": rng.uniform(50, 500, n),
            "width": rng.uniform(3, 9, n),
            "length": rng.uniform(8, 30, n),
            "cog_x": rng.normal(0, 50, n),
            "cog_y": rng.normal(0, 50, n),
        },
    )
    build_features(src, tmp_path / "out.h5")
    cols = read_columns(tmp_path / "out.h5")
    assert cols["clean_ok"].all() and "grid_image" not in cols and "pixel_set" not in cols
    np.testing.assert_array_equal(cols["size"], read_columns(src, ["size"])["size"])
    assert np.allclose(cols["area"], np.pi * cols["width"] * cols["length"])


def test_missing_columns_are_named(tmp_path):
    src = tmp_path / "bad.h5"
    write_events(src, {"event_id": np.arange(3), "image": np.zeros((3, 1440), np.float32)})
    with pytest.raises(InputError, match="peak_time"):
        build_features(src, tmp_path / "out.h5")
    assert not (tmp_path / "out.h5").exists()
    write_events(src, {"event_id": np.arange(3), "size": np.ones(3)})
    with pytest.raises(InputError, match=r"'width'.*'length'|'length'"):
        build_features(src, tmp_path / "out.h5")
    with pytest.raises(InputError, match=r"\['width', 'grid_image'\].*simulate"):
        check_feature_columns(src, ["size", "width", "grid_image"], who="model cnn")


@pytest.mark.skipif(
    not (FACT_DATA / "gamma.hdf5").exists(), reason=f"real FACT files not found in {FACT_DATA}"
)
def test_default_features_exist_in_real_fact_files():
    pytest.importorskip("hdf5plugin", reason="FACT files are blosc-compressed")
    for name in ("gamma.hdf5", "proton.hdf5"):
        with h5py.File(FACT_DATA / name, "r") as f:
            missing = [c for c in DEFAULT_FEATURES if c not in f["events"]]
        assert not missing, f"{name} lacks {missing}"


# --- datasets -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def feature_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("features")
    files = {}
    for i, (name, pid, n) in enumerate(
        [("gamma", 1, 300), ("gamma_diffuse", 1, 200), ("proton", 14, 500)]
    ):
        ev = _events_file(d / f"ev_{name}.h5", n=n, seed=10 + i, particle_id=pid)
        files[name] = d / f"{name}.h5"
        build_features(ev, files[name], {"pixel_set_size": 8}, chunk_size=128)
    obs = _events_file(d / "ev_observed.h5", n=120, seed=20, with_region=True)
    files["observed"] = d / "observed.h5"
    build_features(obs, files["observed"], {"pixel_set_size": 8})
    return d, files


def _split(d, files, tag, seed, fractions=None):
    outputs = {s: d / f"{tag}_{s}.h5" for s in ("train", "val", "test")}
    labelled = {k: v for k, v in files.items() if k != "observed"}
    counts = split_dataset(labelled, outputs, fractions, seed=seed, chunk_size=64, quality_cuts={})
    return outputs, counts


def test_split_is_stratified_disjoint_complete_and_deterministic(feature_files):
    d, files = feature_files
    outputs, counts = _split(d, files, "a", seed=5)
    sizes = {"gamma": 300, "gamma_diffuse": 200, "proton": 500}
    seen = {s: [] for s in sizes}
    for split, frac in (("train", 0.6), ("val", 0.2), ("test", 0.2)):
        cols = read_columns(outputs[split], ["sample", "event_id", "is_gamma", "grid_image"])
        for s, n in sizes.items():
            rows = cols["sample"] == s.encode()
            assert rows.sum() == counts[split][s] == round(frac * n)  # stratified by sample
            seen[s].extend(cols["event_id"][rows].tolist())
            assert (cols["is_gamma"][rows] == (s != "proton")).all()
        assert cols["grid_image"].shape[1:] == (2, 46, 45)
    for s, n in sizes.items():  # disjoint and complete
        assert sorted(seen[s]) == list(range(n))
    again, _ = _split(d, files, "b", seed=5)
    other, _ = _split(d, files, "c", seed=6)
    ids = lambda p: read_columns(p, ["event_id"])["event_id"]  # noqa: E731
    assert np.array_equal(ids(outputs["train"]), ids(again["train"]))
    assert not np.array_equal(ids(outputs["train"]), ids(other["train"]))


def test_split_rejects_bad_fractions(feature_files):
    d, files = feature_files
    with pytest.raises(ValueError, match="sum to 1"):
        _split(d, files, "bad", seed=1, fractions={"train": 0.7, "val": 0.2, "test": 0.2})
    assert not (d / "bad_train.h5").exists()


def test_quality_cuts_apply_alike_to_splits_and_observed(feature_files, tmp_path):
    d, files = feature_files
    labelled = {k: v for k, v in files.items() if k != "observed"}
    cuts = {"num_pixel_in_shower": [10, None]}
    outputs = {s: tmp_path / f"{s}.h5" for s in ("train", "val", "test")}
    counts = split_dataset(labelled, outputs, seed=5, chunk_size=64, quality_cuts=cuts)
    full, _ = _split(d, files, "q", seed=5)
    for split in outputs:
        kept = read_columns(outputs[split], ["event_id", "num_pixel_in_shower", "sample"])
        before = read_columns(full[split], ["event_id", "num_pixel_in_shower", "sample"])
        assert (kept["num_pixel_in_shower"] >= 10).all()
        # a cut drops events, it does not move any event to another split
        sel = before["num_pixel_in_shower"] >= 10
        assert np.array_equal(kept["event_id"], before["event_id"][sel])
        assert sum(counts[split].values()) == sel.sum()
    obs = {k: tmp_path / f"obs_{k}.h5" for k in ("train", "train_images", "val", "test")}
    counts = split_observed(files["observed"], obs, quality_cuts=cuts, chunk_size=50)
    npix = read_columns(files["observed"], ["num_pixel_in_shower"])["num_pixel_in_shower"]
    assert sum(sum(counts[s].values()) for s in ("train", "val", "test")) == (npix >= 10).sum()
    for s in ("train", "val", "test"):
        assert (read_columns(obs[s], ["num_pixel_in_shower"])["num_pixel_in_shower"] >= 10).all()
    bad = {k: tmp_path / f"x_{k}.h5" for k in obs}
    with pytest.raises(InputError, match="no column 'nonexistent'"):
        split_observed(files["observed"], bad, quality_cuts={"nonexistent": [0, 1]})
    assert not any(p.exists() for p in bad.values())
