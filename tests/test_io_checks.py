"""Every file is checked where it is read: bad files stop the first reader, naming file and column.

Each class of damage is tried on several inputs and on the stage that first reads that kind of
file (extract reads raw events, build_features events, split_dataset features, evaluate
predictions and the observed truth): the error names the path, the column and what was expected,
and no output (nor a temporary file) is left. The checks live in :func:`iactdl.io.open_events`
(types, shapes, lengths, readability) and :func:`iactdl.io.read_dataset` (damaged chunks), so
every reader shares them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from iactdl.evaluate.evaluation import evaluate_model
from iactdl.extract import extract_events
from iactdl.features import build_features, split_dataset
from iactdl.io import InputError, open_events, read_columns, write_events
from iactdl.simulate.run import simulate_sample


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A raw gamma file (uncompressed, as the simulator writes it), its events and features."""
    d = tmp_path_factory.mktemp("good")
    raw, events, features = d / "raw.h5", d / "events.h5", d / "features.h5"
    simulate_sample("gamma", 200, {"chunk_size": 100}, 3, raw)
    extract_events("simulate", raw, events, {"chunk_size": 64}, sample="gamma")
    build_features(events, features, {"pixel_set_size": 8, "chunk_size": 64})
    return {"raw": raw, "events": events, "features": features}


def _replace(path: Path, column: str, fn) -> None:
    with h5py.File(path, "a") as f:
        values = fn(f["events"][column][:])
        del f["events"][column]
        f["events"][column] = values


def _no_output(out: Path) -> None:
    assert not out.exists(), f"{out} was written"
    assert not [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}")]


def _first_reader(kind: str, path: Path, out_dir: Path) -> Path:
    """Run the stage that first reads a file of this kind; return its output path."""
    out = out_dir / "out.h5"
    if kind == "raw":
        extract_events("simulate", path, out, {"chunk_size": 64}, sample="gamma")
    elif kind == "events":
        build_features(path, out, {"pixel_set_size": 8, "chunk_size": 64})
    else:
        outs = {s: out_dir / f"{s}.h5" for s in ("train", "val", "test")}
        split_dataset({"gamma": path}, outs, seed=0, chunk_size=64, quality_cuts={})
        out = outs["train"]
    return out


# ---- columns of the wrong type: strings (or other kinds) where numbers belong ----

WRONG_TYPE = [
    ("raw", "true_energy", lambda v: v.astype("S8"), "holds |S8 (bytes); expected"),
    (
        "raw",
        "event_id",
        lambda v: v.astype(np.float64),
        "holds float64 (floats); expected integers",
    ),
    ("raw", "image", lambda v: v.astype(np.int32), "holds int32 (integers); expected floats"),
    ("raw", "particle_id", lambda v: v.astype("S2"), "expected integers"),
    ("events", "source_x", lambda v: np.array([str(x) for x in v], dtype="S"), "expected bools"),
    ("features", "size", lambda v: np.array([str(x) for x in v], dtype="S"), "column 'size'"),
    ("features", "event_id", lambda v: v.astype(np.float32), "expected integers"),
]


@pytest.mark.parametrize(
    "kind, column, change, message", WRONG_TYPE, ids=[f"{k}-{c}" for k, c, _, _ in WRONG_TYPE]
)
def test_wrong_column_type_stops_the_first_reader(files, tmp_path, kind, column, change, message):
    bad = tmp_path / f"{kind}.h5"
    shutil.copy(files[kind], bad)
    _replace(bad, column, change)
    with pytest.raises(InputError) as err:
        _first_reader(kind, bad, tmp_path)
    assert str(bad) in str(err.value) and f"column '{column}'" in str(err.value)
    assert message in str(err.value)
    _no_output(tmp_path / "out.h5")
    _no_output(tmp_path / "train.h5")


# ---- columns of different lengths ----

SHORTER = [
    ("raw", "true_impact", 1),
    ("raw", "image", 5),
    ("events", "peak_time", 1),
    ("features", "width", 2),
    ("features", "grid_image", 1),
]


@pytest.mark.parametrize("kind, column, cut", SHORTER, ids=[f"{k}-{c}" for k, c, _ in SHORTER])
def test_columns_of_different_lengths_stop_the_first_reader(files, tmp_path, kind, column, cut):
    bad = tmp_path / f"{kind}.h5"
    shutil.copy(files[kind], bad)
    _replace(bad, column, lambda v: v[:-cut])
    with pytest.raises(InputError, match="have different lengths") as err:
        _first_reader(kind, bad, tmp_path)
    assert str(bad) in str(err.value) and f"'{column}'" in str(err.value)
    _no_output(tmp_path / "out.h5")
    _no_output(tmp_path / "train.h5")


# ---- images with the wrong number of pixels ----

PIXELS = [
    ("image", lambda v: v[:, :1439], r"\(\d+, 1439\)"),
    ("image", lambda v: np.pad(v, ((0, 0), (0, 1))), r"\(\d+, 1441\)"),
    ("peak_time", lambda v: v[:, :720], r"\(\d+, 720\)"),
    ("image", lambda v: v.sum(axis=1), r"\(\d+,\)"),
]


@pytest.mark.parametrize("kind", ["raw", "events"])
@pytest.mark.parametrize("column, change, shape", PIXELS)
def test_image_with_wrong_pixel_count_is_refused(files, tmp_path, kind, column, change, shape):
    bad = tmp_path / f"{kind}.h5"
    shutil.copy(files[kind], bad)
    _replace(bad, column, change)
    with pytest.raises(InputError) as err:
        _first_reader(kind, bad, tmp_path)
    msg = str(err.value)
    assert str(bad) in msg and re.search(f"column '{column}' has shape {shape}", msg)
    assert "expected (n_events, 1440)" in msg
    _no_output(tmp_path / "out.h5")


# ---- truncated, damaged or unreadable files ----


def _truncate(fraction):
    def damage(path):
        os.truncate(path, int(os.path.getsize(path) * fraction))

    return damage


def _damage_chunk(fraction, n_bytes=512):
    """Overwrite bytes inside the chunk at ``fraction`` of the largest column's chunks (bytes in
    the file's free space would damage nothing)."""

    def damage(path):
        with h5py.File(path) as f:
            ds = max(f["events"].values(), key=lambda d: d.id.get_storage_size())
            chunk = ds.id.get_chunk_info(int(ds.id.get_num_chunks() * fraction))
        rng = np.random.default_rng(0)
        with open(path, "r+b") as f:
            f.seek(chunk.byte_offset + chunk.size // 3)
            f.write(rng.integers(0, 256, min(n_bytes, chunk.size // 2), dtype=np.uint8).tobytes())

    return damage


def _damage_header(path):
    with open(path, "r+b") as f:  # behind the 8-byte signature: superblock and root group
        f.seek(16)
        f.write(b"\x00" * 512)


def _empty(path):
    path.write_bytes(b"")


def _text(path):
    path.write_text("event_id,size\n1,2\n")


DAMAGE = [
    ("truncated at 10%", _truncate(0.1), "truncated or damaged"),
    ("truncated at 50%", _truncate(0.5), "truncated or damaged"),
    ("truncated at 99%", _truncate(0.99), "truncated or damaged"),
    ("random bytes in the first chunk", _damage_chunk(0.0), "truncated or damaged"),
    ("random bytes in a middle chunk", _damage_chunk(0.5), "truncated or damaged"),
    ("random bytes in the last chunk", _damage_chunk(0.99), "truncated or damaged"),
    ("zeroed header", _damage_header, "truncated or damaged"),
    ("empty file", _empty, "not an HDF5 file"),
    ("a CSV file", _text, "not an HDF5 file"),
]


@pytest.mark.parametrize("kind", ["raw", "events", "features"])
@pytest.mark.parametrize("what, damage, message", DAMAGE, ids=[d[0] for d in DAMAGE])
def test_damaged_file_stops_the_first_reader(files, tmp_path, kind, what, damage, message):
    bad = tmp_path / f"{kind}.h5"
    shutil.copy(files[kind], bad)
    damage(bad)
    with pytest.raises(InputError, match=message) as err:
        _first_reader(kind, bad, tmp_path)
    assert str(bad) in str(err.value)
    _no_output(tmp_path / "out.h5")
    _no_output(tmp_path / "train.h5")


def test_damaged_chunk_names_the_column(files, tmp_path):
    # the writer stores a checksum per chunk: garbage in the data is a read error, not garbage out
    bad = tmp_path / "events.h5"
    shutil.copy(files["events"], bad)
    with h5py.File(bad) as f:
        offset = f["events/peak_time"].id.get_chunk_info(0).byte_offset
    with open(bad, "r+b") as f:
        f.seek(offset + 16)
        f.write(b"\xff" * 64)
    with pytest.raises(InputError, match=r"column 'peak_time' cannot be read"):
        read_columns(bad, ["peak_time"])
    read_columns(bad, ["event_id", "true_energy"])  # the rest of the file is still readable


def test_good_files_pass_and_fact_files_keep_their_text_columns(files):
    for path in files.values():
        open_events(path).close()
    fact = Path(__file__).resolve().parents[2] / "shared" / "fact-data" / "gamma.hdf5"
    if fact.exists():  # FACT's runtype is text; open for FACT reading, it is no error
        open_events(fact, text_ok=True).close()
        with pytest.raises(InputError, match="column 'runtype' holds object"):
            open_events(fact)


# ---- the hidden truth covers every observed event ----


def test_evaluate_refuses_a_truth_file_with_missing_rows(tmp_path):
    n = 50
    rng = np.random.default_rng(0)
    info = tmp_path / "model.json"
    info.write_text(json.dumps({"name": "m", "kind": "baseline", "task": "separation"}))
    is_gamma = (np.arange(n) % 2).astype(np.int8)
    write_events(
        tmp_path / "test.h5",
        {"event_id": np.arange(n), "is_gamma": is_gamma, "gammaness": rng.uniform(size=n)},
    )
    obs = {"event_id": np.arange(n), "gammaness": rng.uniform(size=n), "region": np.arange(n) % 6}
    write_events(tmp_path / "observed.h5", obs, attrs={"n_off_regions": 5})
    truth = {"event_id": np.arange(n - 1), "particle_id": np.full(n - 1, 14)}
    truth["true_energy"] = np.ones(n - 1)
    write_events(tmp_path / "truth.h5", truth)
    out = tmp_path / "metrics.json"
    with pytest.raises(InputError, match=r"truth.h5: no truth row for 1 of 50 events"):
        evaluate_model(
            info, tmp_path / "test.h5", out, {"n_bootstrap": 2}, tmp_path / "observed.h5",
            tmp_path / "truth.h5",
        )  # fmt: skip
    assert not out.exists()
    with pytest.raises(InputError, match="file not found"):  # a truth file named must exist
        evaluate_model(
            info, tmp_path / "test.h5", out, {"n_bootstrap": 2}, tmp_path / "observed.h5",
            tmp_path / "no_truth.h5",
        )  # fmt: skip


# ---- in the workflow: the first rule that reads a damaged file stops, and writes nothing ----


@pytest.mark.workflow
@pytest.mark.parametrize("damage", ["truncate", "pixels"])
def test_snakemake_extract_stops_on_a_damaged_raw_file(tmp_path, damage):
    import subprocess

    import yaml

    if shutil.which("snakemake") is None:
        pytest.skip("snakemake is not installed")
    root = Path(__file__).resolve().parents[1]
    config = yaml.safe_load((root / "tests" / "config" / "tiny.yaml").read_text())
    config["simulation"]["n_events"] = {"gamma": 200, "gamma_diffuse": 0, "proton": 200}
    config["simulation"]["observed"] = {"hours": None}
    # entries that learn from observed events are refused without them (config check)
    config["models"] = {
        name: entry
        for name, entry in config["models"].items()
        if not {"adapt", "labelnoise", "joint"} & set(entry)
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    work = tmp_path / "work"
    base = ["snakemake", "--cores", "1", "--configfile", str(tmp_path / "config.yaml")]
    base += ["--directory", str(work)]
    out = Path(config["results_dir"])

    def smk(target):
        return subprocess.run(
            [*base, str(out / target)], cwd=root, capture_output=True, text=True, timeout=900
        )

    made = smk("simulated/gamma.h5")
    assert made.returncode == 0, made.stderr[-3000:]
    raw = work / out / "simulated" / "gamma.h5"
    if damage == "truncate":
        os.truncate(raw, os.path.getsize(raw) // 2)
    else:
        _replace(raw, "image", lambda v: v[:, :1439])
    failed = smk("events/gamma.h5")
    assert failed.returncode != 0
    log = (work / out / "logs" / "extract" / "gamma.log").read_text()
    expected = "truncated or damaged" if damage == "truncate" else "column 'image' has shape"
    assert f"{out / 'simulated' / 'gamma.h5'}: " in log and expected in log, log[-3000:]
    assert not (work / out / "events" / "gamma.h5").exists()
    assert not list((work / out / "events").glob(".*tmp*"))
