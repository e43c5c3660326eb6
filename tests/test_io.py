"""iactdl.io: event-file round trips, the FACT DL2/DL3 reader on every shared real file, blosc
files, the photon-stream reader, and the bad inputs of each."""

import gzip
import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from iactdl.camera import N_PIXELS
from iactdl.io import EventWriter, InputError, iter_chunks, read_attrs, read_columns
from iactdl.io.fact import (
    DL3_COLUMNS,
    FACT_FEATURES,
    fact_event_id,
    fact_level,
    iter_fact_chunks,
    read_fact,
)
from iactdl.io.photonstream import (
    TIME_SLICE_NS,
    photons_to_image,
    photonstream_to_events,
    read_photonstream,
)

FACT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "fact-data"
needs_fact_data = pytest.mark.skipif(
    not (FACT_DATA / "gamma.hdf5").exists(),
    reason=f"real FACT example files not found in {FACT_DATA} (see data/README.md)",
)
DL2_FILES = {"gamma.hdf5": 1, "proton.hdf5": 14, "gamma_diffuse.hdf5": 1}


# --- our event files -----------------------------------------------------------------------------


def test_event_writer_round_trip_in_chunks(tmp_path):
    rng = np.random.default_rng(1)
    image = rng.poisson(2.0, (250, N_PIXELS)).astype(np.float32)
    energy = rng.uniform(0.1, 10, 250)
    path = tmp_path / "events.h5"
    with EventWriter(path, config={"a": 1}, seed=7) as w:
        for start in range(0, 250, 100):
            w.append(
                {
                    "event_id": np.arange(start, min(start + 100, 250)),
                    "image": image[start : start + 100],
                    "true_energy": energy[start : start + 100],
                }
            )
    back = read_columns(path)
    np.testing.assert_array_equal(back["image"], image)
    np.testing.assert_array_equal(back["true_energy"], energy)
    np.testing.assert_array_equal(
        np.concatenate([c["event_id"] for c in iter_chunks(path, 64)]), np.arange(250)
    )
    attrs = read_attrs(path)
    assert attrs["seed"] == 7 and "a: 1" in attrs["config"]
    with h5py.File(path) as f:  # plain h5py, the pyfact layout
        assert f["events/image"].shape == (250, N_PIXELS)


def test_event_writer_caches_one_chunk_per_column(tmp_path):
    """Appends that end inside an HDF5 chunk are written right, and each column's chunk cache
    holds one chunk: HDF5 2.0's default (8 MiB a column) kept up to 8 MiB of written chunks per
    column in memory, so a writer's memory grew with the events (~0.4 kB per event)."""
    rng = np.random.default_rng(2)
    image = rng.random((1000, N_PIXELS)).astype(np.float32)
    energy = rng.random(1000)
    path = tmp_path / "events.h5"
    with EventWriter(path, chunk_rows=64) as w:
        for start in range(0, 1000, 150):  # 150 rows: never a whole number of 64-row chunks
            w.append(
                {"image": image[start : start + 150], "true_energy": energy[start : start + 150]}
            )
        for name, ds in w._datasets.items():
            _, cache_bytes, _ = ds.id.get_access_plist().get_chunk_cache()
            chunk_bytes = ds.chunks[0] * ds.dtype.itemsize * int(np.prod(ds.shape[1:]))
            assert cache_bytes == chunk_bytes, name
    back = read_columns(path)
    np.testing.assert_array_equal(back["image"], image)
    np.testing.assert_array_equal(back["true_energy"], energy)


def test_event_writer_leaves_nothing_on_error(tmp_path):
    path = tmp_path / "events.h5"
    with pytest.raises(RuntimeError):
        with EventWriter(path) as w:
            w.append({"event_id": np.arange(3)})
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


# --- FACT DL2/DL3 --------------------------------------------------------------------------------


@needs_fact_data
@pytest.mark.parametrize("name", sorted(DL2_FILES))
def test_read_every_shared_dl2_file(name):
    path = FACT_DATA / name
    ours = read_fact(path)
    with h5py.File(path) as f:
        g = f["events"]
        raw = {k: g[k][:] for k in g if g[k].ndim == 1}
    assert fact_level(path) == "dl2_simulated"
    n = len(raw["size"])
    assert n == 1000
    assert set(ours) >= {"event_id", "particle_id", "true_energy", "true_impact", "source_x"}
    assert set(ours) >= set(FACT_FEATURES)
    assert all(len(v) == n for v in ours.values())
    # units: GeV -> TeV, cm -> m; features passed through bit for bit
    np.testing.assert_allclose(ours["true_energy"], raw["corsika_event_header_total_energy"] / 1e3)
    np.testing.assert_allclose(ours["true_impact"], raw["ceres_event_basic_impact"] / 1e2)
    for feature in FACT_FEATURES:
        np.testing.assert_array_equal(ours[feature], raw[feature])
    assert np.all(ours["particle_id"] == DL2_FILES[name])
    assert len(np.unique(ours["event_id"])) == n
    # inside the simulated energy range of the CORSIKA run header (GeV) and the scatter radius
    # (270 m gammas, 400 m protons)
    assert np.all(ours["true_energy"] >= raw["corsika_run_header_energy_min"] / 1e3)
    assert np.all(ours["true_energy"] <= raw["corsika_run_header_energy_max"] / 1e3)
    assert 0 <= ours["true_impact"].min() and ours["true_impact"].max() < 400.0
    # the impact is the shower-plane distance: close to the ground distance of the core position
    core = np.hypot(raw["corsika_event_header_x"], raw["corsika_event_header_y"]) / 1e2
    assert np.median(ours["true_impact"] / core) == pytest.approx(1.0, abs=0.02)
    if DL2_FILES[name] == 1:
        np.testing.assert_array_equal(ours["true_source_x"], ours["source_x"])
    else:
        assert np.isnan(ours["true_source_x"]).all() and np.isnan(ours["true_source_y"]).all()


@needs_fact_data
@pytest.mark.parametrize("name", ["gamma.hdf5", "gamma_diffuse.hdf5"])
def test_gamma_axes_point_to_the_source_in_our_frame(name):
    """Sign convention: the image axis (delta) of gammas points back to (source_x, source_y)."""
    ours = read_fact(FACT_DATA / name)
    dx = ours["source_x"] - ours["cog_x"]
    dy = ours["source_y"] - ours["cog_y"]
    misalignment = np.abs(np.sin(np.arctan2(dy, dx) - ours["delta"]))
    assert np.median(misalignment) < 0.15
    flipped = np.abs(np.sin(np.arctan2(dy, -ours["source_x"] - ours["cog_x"]) - ours["delta"]))
    assert np.median(flipped) > 0.3


@needs_fact_data
def test_point_like_sources_sit_at_the_wobble_offset():
    ours = read_fact(FACT_DATA / "gamma.hdf5")
    r_deg = np.hypot(ours["source_x"], ours["source_y"]) * 0.011719  # mm -> deg
    np.testing.assert_allclose(r_deg, 0.6, atol=0.01)


@needs_fact_data
def test_read_shared_dl3_file():
    path = FACT_DATA / "crab_dl3_small.hdf5"
    assert fact_level(path) == "dl3"
    extra = list(DL3_COLUMNS) + [f"theta_deg_off_{i}" for i in range(1, 6)]
    ours = read_fact(path, features=(), extra_columns=extra)
    assert len(ours["event_id"]) == 10000
    assert "particle_id" not in ours  # observations carry no truth
    assert len(np.unique(ours["event_id"])) == 10000
    with h5py.File(path) as f:
        night, run, event = (f["events"][k][:] for k in ("night", "run_id", "event_num"))
    np.testing.assert_array_equal(ours["event_id"], fact_event_id(run, event, night))
    assert ours["event_id"][0] // 10**7 == int(night[0]) * 1000 + int(run[0])
    # DL3 is no DL2: asking for the image features names them and says what the file is
    with pytest.raises(InputError, match=r"missing column.*'size'.*DL3"):
        read_fact(path)


@needs_fact_data
def test_blosc_zstd_file_written_with_hdf5plugin_opens(tmp_path):
    """pyfact's write_data compresses with blosc:zstd (filter 32001); hdf5plugin decodes it."""
    hdf5plugin = pytest.importorskip("hdf5plugin")
    src = FACT_DATA / "gamma.hdf5"
    path = tmp_path / "gamma_blosc.hdf5"
    with h5py.File(src) as fin, h5py.File(path, "w") as fout:
        g = fout.create_group("events")
        for name in fin["events"]:
            data = fin["events"][name][:]
            if data.dtype.kind == "O":
                continue
            g.create_dataset(
                name,
                data=data,
                chunks=(256,),
                **hdf5plugin.Blosc(cname="zstd", clevel=5, shuffle=hdf5plugin.Blosc.SHUFFLE),
            )
    with h5py.File(path) as f:
        assert "32001" in str(f["events/size"]._filters)
    plain, blosc = read_fact(src), read_fact(path)
    assert sorted(plain) == sorted(blosc)
    for name in plain:
        np.testing.assert_array_equal(plain[name], blosc[name])


@needs_fact_data
def test_fact_reader_streams_in_chunks():
    path = FACT_DATA / "proton.hdf5"
    chunks = list(iter_fact_chunks(path, chunk_size=300))
    assert [len(c["event_id"]) for c in chunks] == [300, 300, 300, 100]
    whole = read_fact(path)
    np.testing.assert_array_equal(np.concatenate([c["size"] for c in chunks]), whole["size"])


def test_fact_reader_bad_inputs(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_fact(tmp_path / "nope.hdf5")
    text = tmp_path / "text.hdf5"
    text.write_text("size,width\n1,2\n")
    with pytest.raises(InputError, match="not an HDF5 file"):
        read_fact(text)
    nogroup = tmp_path / "nogroup.hdf5"
    with h5py.File(nogroup, "w") as f:
        f["size"] = np.ones(3)
    with pytest.raises(InputError, match="no group 'events'"):
        read_fact(nogroup)
    partial = tmp_path / "partial.hdf5"
    with h5py.File(partial, "w") as f:
        for name in ["run_id", "event_num", *FACT_FEATURES]:
            if name != "width":
                f[f"events/{name}"] = np.arange(3)
        f["events/corsika_event_header_total_energy"] = np.ones(3)
    with pytest.raises(InputError, match=r"partial.hdf5.*missing column.*'width'"):
        read_fact(partial)
    # simulated (has energy), so the truth is needed: the missing CORSIKA columns are named
    with pytest.raises(InputError, match="corsika_run_header_particle_id"):
        read_fact(partial, features=("size",))
    ragged = tmp_path / "ragged.hdf5"
    with h5py.File(ragged, "w") as f:
        f["events/run_id"] = np.arange(3)
        f["events/event_num"] = np.arange(4)
    with pytest.raises(InputError, match="ragged.hdf5: columns .* different lengths"):
        read_fact(ragged, features=())


# --- photon stream -------------------------------------------------------------------------------


def _write_phs(path, events):
    with gzip.open(path, "wt") as f:
        for event in events:
            f.write((event if isinstance(event, str) else json.dumps(event)) + "\n")


def _event(pixels, run=11014, event=1):
    return {
        "Run": run,
        "Event": event,
        "Reuse": 1,
        "Az_deg": 0.0,
        "Zd_deg": 10.0,
        "SaturatedPixels": [],
        "PhotonArrivals_500ps": pixels,
    }


def test_photon_stream_known_event(tmp_path):
    pixels = [[] for _ in range(N_PIXELS)]
    pixels[0] = [40, 44]  # median (40+44)/2 slices = 21 ns
    pixels[393] = [50, 30, 100]  # median 50 slices = 25 ns
    pixels[1439] = [129]
    path = tmp_path / "one.phs.jsonl.gz"
    _write_phs(path, [_event(pixels, event=9)])
    d = read_photonstream(path)
    assert d["image"].shape == (1, N_PIXELS) and d["image"].sum() == 6
    assert d["image"][0, 393] == 3 and d["image"][0, 0] == 2
    assert d["peak_time"][0, 0] == 21.0 and d["peak_time"][0, 393] == 25.0
    assert d["peak_time"][0, 1439] == 129 * TIME_SLICE_NS
    assert d["peak_time"][0, 1] == 0.0  # empty pixel
    assert d["event_id"][0] == 11014 * 10**7 + 9
    mean = read_photonstream(path, reduce="mean")
    assert mean["peak_time"][0, 393] == pytest.approx(60 * TIME_SLICE_NS)


@needs_fact_data
@pytest.mark.parametrize(
    "name, n",
    [("observed_20170119_229_100events.phs.jsonl.gz", 100), ("simulated_011014.phs.jsonl.gz", 61)],
)
def test_read_every_shared_photon_stream_file(name, n):
    path = FACT_DATA / name
    d = read_photonstream(path)
    assert d["image"].shape == (n, N_PIXELS) and d["peak_time"].shape == (n, N_PIXELS)
    assert len(np.unique(d["event_id"])) == n
    # reference: a per-pixel loop over the JSON of the first events
    with gzip.open(path, "rt") as f:
        for i, line in zip(range(3), f, strict=False):
            pixels = json.loads(line)["PhotonArrivals_500ps"]
            counts = [len(p) for p in pixels]
            medians = [np.median(p) * 0.5 if p else 0.0 for p in pixels]
            np.testing.assert_array_equal(d["image"][i], counts)
            np.testing.assert_allclose(d["peak_time"][i], medians, rtol=1e-6)
    hit = d["image"] > 0
    # the photon-stream window is slices 30..129 of the ROI: 15..65 ns
    assert d["peak_time"][hit].min() >= 15.0 and d["peak_time"][hit].max() <= 65.0
    if name.startswith("observed"):
        assert (d["night"] == 20170119).all() and (d["run_id"] == 229).all()


@needs_fact_data
def test_photon_stream_to_event_file(tmp_path):
    src = FACT_DATA / "simulated_011014.phs.jsonl.gz"
    out = tmp_path / "phs.h5"
    assert photonstream_to_events(src, out, chunk_size=25) == 61
    back, direct = read_columns(out), read_photonstream(src)
    for name, values in direct.items():
        np.testing.assert_array_equal(back[name], values)


def test_photon_stream_bad_file_leaves_no_event_file(tmp_path):
    src = tmp_path / "bad.phs.jsonl.gz"
    _write_phs(src, [_event([[40]] * N_PIXELS), "not json"])
    with pytest.raises(InputError, match="line 2"):
        photonstream_to_events(src, tmp_path / "out" / "phs.h5")
    assert list((tmp_path / "out").iterdir()) == []


def test_photons_to_image_matches_a_loop():
    rng = np.random.default_rng(3)
    counts = rng.poisson(1.5, (4, 50))
    slices = rng.integers(30, 130, counts.sum())
    image, peak = photons_to_image(counts, slices)
    offsets = np.concatenate(([0], np.cumsum(counts.ravel())))
    expected = [
        np.median(slices[a:b]) * 0.5 if b > a else 0.0
        for a, b in zip(offsets[:-1], offsets[1:], strict=True)
    ]
    np.testing.assert_allclose(peak.ravel(), expected, rtol=1e-6)
    np.testing.assert_array_equal(image, counts)


@pytest.mark.parametrize(
    "bad, message",
    [
        ('{"Run": 1, "Event": 2, "PhotonArrivals_500ps": [[1, 2]', "line 3: not valid JSON"),
        (
            '{"Run": 1, "Event": 2}',
            "line 3: expected a JSON object with key 'PhotonArrivals_500ps'",
        ),
        (
            '{"Run": 1, "Event": 2, "PhotonArrivals_500ps": [[1]]}',
            "line 3: .*has 1 pixels, expected 1440",
        ),
        (json.dumps(_event([["a"]] * N_PIXELS)), "line 3: .*integer time slices"),
    ],
)
def test_bad_photon_stream_line_names_file_and_line(tmp_path, bad, message):
    good = _event([[40]] * N_PIXELS)
    path = tmp_path / "bad.phs.jsonl.gz"
    _write_phs(path, [good, good, bad, good])
    with pytest.raises(InputError, match=rf"bad\.phs\.jsonl\.gz: {message}"):
        read_photonstream(path)


def test_photon_stream_not_gzip_or_missing(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_photonstream(tmp_path / "nope.phs.jsonl.gz")
    broken = tmp_path / "broken.phs.jsonl.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(InputError, match="broken.phs.jsonl.gz: not a readable"):
        read_photonstream(broken)
