"""The extract stage: selection, streaming, provenance, real FACT DL2, and every bad input (with no
partial output left behind)."""

import json
import logging
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from iactdl.camera import N_PIXELS
from iactdl.extract import DEFAULTS, FACT_DEFAULTS, extract_events, image_cut_masks
from iactdl.io import InputError, read_attrs, read_columns, write_events
from iactdl.io.fact import FACT_FEATURES, read_fact

ROOT = Path(__file__).resolve().parents[1]
FACT_DATA = ROOT.parent / "shared" / "fact-data"
needs_fact_data = pytest.mark.skipif(
    not (FACT_DATA / "gamma.hdf5").exists(),
    reason=f"real FACT example files not found in {FACT_DATA} (see data/README.md)",
)
CUTS = {"pixel_threshold": 5.5, "min_pixels_above_threshold": 3, "min_signal_charge": 30.0}


def raw_events(n=400, seed=0, shower_fraction=0.5):
    """Synthetic raw gammas: Poisson night-sky background, and a shower blob in some events."""
    rng = np.random.default_rng(seed)
    image = rng.poisson(0.4, (n, N_PIXELS)).astype(np.float32)
    shower = rng.random(n) < shower_fraction
    pixels = rng.integers(0, N_PIXELS - 12, n)
    for offset in range(12):  # 12 bright pixels in the showers
        image[shower, pixels[shower] + offset] += rng.poisson(15.0, shower.sum())
    return {
        "event_id": np.arange(n, dtype=np.int64) + 1000,
        "image": image,
        "peak_time": rng.normal(30.0, 3.0, (n, N_PIXELS)).astype(np.float32),
        "particle_id": np.ones(n, dtype=np.int64),
        "true_energy": 10 ** rng.uniform(-0.7, 1.5, n),
        "true_impact": rng.uniform(0, 270, n),
        "true_source_x": np.full(n, 51.2),
        "true_source_y": np.zeros(n),
        "source_x": np.full(n, 51.2),
        "source_y": np.zeros(n),
    }


@pytest.fixture
def raw(tmp_path):
    path = tmp_path / "raw" / "gamma.h5"
    columns = raw_events()
    write_events(path, columns, config={"n_events": 400}, seed=11, attrs={"n_off_regions": 3})
    return path, columns


def assert_no_output(folder: Path):
    """Nothing in the output folder: no result, no temporary file."""
    assert not folder.exists() or list(folder.iterdir()) == []


def test_extract_selects_triggered_events_and_keeps_columns(raw, tmp_path):
    path, columns = raw
    out = tmp_path / "results" / "events" / "gamma.h5"
    summary = extract_events("simulate", path, out, {"chunk_size": 64, **CUTS}, sample="gamma")
    expected = np.ones(len(columns["event_id"]), bool)
    for mask in image_cut_masks(columns["image"], 30.0, 5.5, 3).values():
        expected &= mask
    assert 0 < expected.sum() < len(expected)
    got = read_columns(out)
    assert sorted(got) == sorted(columns)
    for name, values in columns.items():
        np.testing.assert_array_equal(got[name], values[expected])
    assert summary["n_input"] == 400 and summary["n_selected"] == expected.sum()
    assert sum(summary["removed"].values()) == 400 - expected.sum()
    attrs = read_attrs(out)
    assert attrs["input_seed"] == 11 and attrs["n_off_regions"] == 3
    assert json.loads(attrs["extract_summary"]) == json.loads(json.dumps(summary))
    assert "chunk_size: 64" in attrs["config"] and "source: simulate" in attrs["config"]


def test_extract_does_not_depend_on_chunk_size_or_compression(raw, tmp_path):
    path, _ = raw
    for chunk_size, compression in ((37, "none"), (10_000, "gzip")):
        cfg = {**CUTS, "chunk_size": chunk_size, "compression": compression}
        extract_events("simulate", path, tmp_path / f"{chunk_size}.h5", cfg, sample="gamma")
    a, b = read_columns(tmp_path / "37.h5"), read_columns(tmp_path / "10000.h5")
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])


def test_signal_charge_ignores_night_sky_background():
    """An empty camera with 0.4 p.e. of NSB per pixel (576 p.e. in total) must not pass."""
    image = np.full((1, N_PIXELS), 0.4, dtype=np.float32)
    masks = image_cut_masks(image, 30.0, 5.5, 0)
    assert not masks["min_signal_charge"][0] and masks["min_pixels_above_threshold"][0]


def test_range_cuts_are_inclusive(raw, tmp_path):
    path, columns = raw
    out = tmp_path / "out.h5"
    ranges = {"true_energy": [1.0, None], "true_impact": [None, 100.0]}
    cfg = {**CUTS, "min_pixels_above_threshold": 0, "min_signal_charge": 0.0, "ranges": ranges}
    extract_events("simulate", path, out, cfg, sample="gamma")
    keep = (columns["true_energy"] >= 1.0) & (columns["true_impact"] <= 100.0)
    np.testing.assert_array_equal(read_columns(out)["event_id"], columns["event_id"][keep])


@pytest.mark.parametrize("where", ["image", "true_energy"])
def test_nan_policy_drop_counts_and_logs(raw, tmp_path, caplog, where):
    path, columns = raw
    columns = {k: v.copy() for k, v in columns.items()}
    bad_rows = [3, 17, 250]
    if where == "image":
        columns["image"][bad_rows, 5] = np.nan
        columns["image"][17, 6] = np.inf
    else:
        columns["true_energy"][bad_rows] = np.nan
    columns["image"][bad_rows, :40] += 50  # would pass the cuts if finite
    write_events(path, columns)
    out = tmp_path / "out.h5"
    cfg = {**CUTS, "chunk_size": 100, "nan_policy": "drop"}
    with caplog.at_level(logging.WARNING, logger="iactdl.extract"):
        summary = extract_events("simulate", path, out, cfg, sample="gamma")
    assert summary["n_nonfinite"] == 3 and summary["nonfinite_by_column"] == {where: 3}
    assert "dropped 3 rows with NaN/inf" in caplog.text
    kept = read_columns(out, ["event_id"])["event_id"]
    assert not np.isin(columns["event_id"][bad_rows], kept).any()


def test_nan_in_true_source_of_hadrons_is_not_an_error(raw, tmp_path):
    path, columns = raw
    columns = {**columns, "particle_id": np.full(400, 14), "true_source_x": np.full(400, np.nan)}
    write_events(path, columns)
    summary = extract_events("simulate", path, tmp_path / "p.h5", CUTS, sample="proton")
    assert summary["n_nonfinite"] == 0


def test_nan_policy_stop_gives_the_count_and_no_output(raw, tmp_path):
    path, columns = raw
    columns = {k: v.copy() for k, v in columns.items()}
    columns["peak_time"][[1, 2, 399], 100] = np.nan
    columns["true_impact"][[2, 398]] = np.inf
    write_events(path, columns)
    out_dir = tmp_path / "results"
    cfg = {**CUTS, "chunk_size": 50, "nan_policy": "stop"}
    with pytest.raises(InputError) as err:
        extract_events("simulate", path, out_dir / "gamma.h5", cfg, sample="gamma")
    message = str(err.value)
    assert "gamma.h5: 4 of 400 rows have NaN or inf" in message
    assert "'peak_time': 3" in message and "'true_impact': 2" in message
    assert "extract.nan_policy" in message
    assert_no_output(out_dir)


# (column, rows, value, required?): NaN and inf in required and other input columns
NONFINITE = [
    ("true_energy", [3, 17], np.nan, True),
    ("true_impact", [5], np.inf, True),
    ("source_x", [7, 8, 9], -np.inf, False),  # not required for simulated events
    ("extra_float", [1, 2], np.nan, False),
    ("extra_float", [4], np.inf, False),
]


@pytest.mark.parametrize("column, rows, value, required", NONFINITE)
def test_nonfinite_values_are_counted_per_file_and_column_and_logged(
    raw, tmp_path, caplog, column, rows, value, required
):
    path, columns = raw
    columns = {k: v.copy() for k, v in columns.items()}
    columns["extra_float"] = np.linspace(0.0, 1.0, len(columns["event_id"]))
    columns["image"][rows, :40] += 50  # would pass the cuts if finite
    columns[column][rows] = value
    write_events(path, columns)
    out = tmp_path / "out.h5"
    with caplog.at_level(logging.INFO, logger="iactdl.extract"):
        summary = extract_events("simulate", path, out, {**CUTS, "chunk_size": 3}, sample="gamma")
    kind = "NaN" if np.isnan(value) else "inf"
    assert summary["nonfinite_values"] == {
        column: {
            "nan": len(rows) * (kind == "NaN"),
            "inf": len(rows) * (kind == "inf"),
            "rows": len(rows),
        }
    }
    line = next(r for r in caplog.records if "NaN/inf per column" in r.getMessage()).getMessage()
    assert line.startswith(
        f"{path}: NaN/inf per column: '{column}' {len(rows)} {kind} in {len(rows)} rows"
    )
    kept = read_columns(out, ["event_id"])["event_id"]
    if required:
        assert "required: rows dropped, extract.nan_policy: drop" in line
        assert not np.isin(columns["event_id"][rows], kept).any()
    else:
        assert "not required: kept as missing values" in line
        values = read_columns(out, ["event_id", column])
        at = np.isin(values["event_id"], columns["event_id"][rows])
        assert at.sum() == len(rows) and not np.isfinite(values[column][at]).any()


def test_a_clean_file_says_so(raw, tmp_path, caplog):
    path, _ = raw
    with caplog.at_level(logging.INFO, logger="iactdl.extract"):
        extract_events("simulate", path, tmp_path / "o.h5", CUTS, sample="gamma")
    assert f"{path}: no NaN or inf in its" in caplog.text


def test_empty_after_cuts_is_an_error_with_no_output(raw, tmp_path):
    path, _ = raw
    out_dir = tmp_path / "results"
    cfg = {**CUTS, "min_signal_charge": 1e9}
    with pytest.raises(InputError, match=r"no events left after the cuts.*read 400.*loosen"):
        extract_events("simulate", path, out_dir / "gamma.h5", cfg, sample="gamma")
    assert_no_output(out_dir)


def test_bad_inputs_name_file_and_what_was_expected(raw, tmp_path):
    path, columns = raw
    out_dir = tmp_path / "results"
    out = out_dir / "gamma.h5"
    with pytest.raises(InputError, match=r"nope\.h5: file not found"):
        extract_events("simulate", tmp_path / "nope.h5", out, CUTS, sample="gamma")
    text = tmp_path / "text.h5"
    text.write_text("event_id,image\n")
    with pytest.raises(InputError, match=r"text\.h5: not an HDF5 file"):
        extract_events("simulate", text, out, CUTS, sample="gamma")
    nogroup = tmp_path / "nogroup.h5"
    with h5py.File(nogroup, "w") as f:
        f["image"] = columns["image"][:3]
    with pytest.raises(InputError, match=r"nogroup\.h5: no group 'events'"):
        extract_events("simulate", nogroup, out, CUTS, sample="gamma")
    no_energy = tmp_path / "no_energy.h5"
    write_events(no_energy, {k: v for k, v in columns.items() if k != "true_energy"})
    with pytest.raises(InputError, match=r"no_energy\.h5: missing column\(s\) \['true_energy'\]"):
        extract_events("simulate", no_energy, out, CUTS, sample="gamma")
    # the observed sample has no truth to require
    extract_events("simulate", no_energy, out_dir / "observed.h5", CUTS, sample="observed")
    (out_dir / "observed.h5").unlink()
    with pytest.raises(InputError, match=r"extract\.ranges\.size: no column 'size'"):
        extract_events("simulate", path, out, {**CUTS, "ranges": {"size": [1, None]}})
    with pytest.raises(ValueError, match="nan_policy"):
        extract_events("simulate", path, out, {"nan_policy": "ignore"})
    assert_no_output(out_dir)


# --- real FACT DL2 -------------------------------------------------------------------------------


@needs_fact_data
@pytest.mark.parametrize("sample", ["gamma", "gamma_diffuse", "proton"])
def test_extract_real_fact_dl2(tmp_path, sample):
    src = FACT_DATA / f"{sample}.hdf5"
    out = tmp_path / f"{sample}.h5"
    fact = {"extra_columns": ["pointing_position_zd"], "quality_cuts": {"size": [100.0, None]}}
    summary = extract_events("fact", src, out, {"chunk_size": 256}, fact, sample=sample)
    ours = read_fact(src, extra_columns=["pointing_position_zd"])
    keep = ours["size"] >= 100.0
    got = read_columns(out)
    assert "image" not in got
    assert set(got) == set(ours)
    assert set(got) >= {"event_id", "particle_id", "true_energy", "true_impact", "source_x"}
    assert set(got) >= set(FACT_FEATURES)
    for name in got:
        np.testing.assert_array_equal(got[name], ours[name][keep])
    assert summary["n_selected"] == keep.sum() and summary["n_input"] == 1000
    with h5py.File(out) as f:
        assert "quality_cuts" in f.attrs["config"]


@needs_fact_data
def test_extract_default_quality_cuts_on_real_dl2(tmp_path):
    summary = extract_events(
        "fact", FACT_DATA / "proton.hdf5", tmp_path / "p.h5", {}, {}, sample="proton"
    )
    # the example files were written after the same quality cuts: nothing more to remove
    assert summary["n_selected"] == 1000
    assert set(summary["removed"]) >= {"fact.quality_cuts.leakage1", "fact.quality_cuts.width"}


@needs_fact_data
def test_extract_rejects_dl3_with_a_clear_message(tmp_path):
    with pytest.raises(InputError, match=r"crab_dl3_small\.hdf5: missing column.*'size'.*DL3"):
        extract_events(
            "fact", FACT_DATA / "crab_dl3_small.hdf5", tmp_path / "o.h5", {}, {}, "observed"
        )
    assert list(tmp_path.iterdir()) == []


@needs_fact_data
def test_extract_fact_missing_truth_column_is_named(tmp_path):
    src = tmp_path / "gamma.hdf5"
    with h5py.File(FACT_DATA / "gamma.hdf5") as fin, h5py.File(src, "w") as fout:
        for name in fin["events"]:
            if name not in ("corsika_run_header_particle_id", "runtype"):
                fout[f"events/{name}"] = fin["events"][name][:]
    out_dir = tmp_path / "results"
    with pytest.raises(InputError, match="corsika_run_header_particle_id"):
        extract_events("fact", src, out_dir / "gamma.h5", {}, {}, sample="gamma")
    assert_no_output(out_dir)


@needs_fact_data
@pytest.mark.parametrize(
    ("file", "sample", "found", "expected"),
    [
        ("proton.hdf5", "gamma", r"14 \(proton\): 1000 events", r"gammas \(particle id 1\)"),
        ("proton.hdf5", "gamma_diffuse", r"14 \(proton\): 1000", r"gammas \(particle id 1\)"),
        ("gamma.hdf5", "proton", r"1 \(gamma\): 1000 events", r"protons \(particle id 14\)"),
        ("gamma_diffuse.hdf5", "proton", r"1 \(gamma\): 1000", r"protons \(particle id 14\)"),
    ],
)
def test_a_fact_file_of_another_primary_is_refused(tmp_path, file, sample, found, expected):
    out_dir = tmp_path / "results"
    message = (
        rf"{file}: listed as sample '{sample}', which holds {expected}, but the file holds "
        rf"particle ids {found}.*corsika_run_header_particle_id.*fact\.files\.{sample}"
    )
    with pytest.raises(InputError, match=message):
        extract_events("fact", FACT_DATA / file, out_dir / f"{sample}.h5", {}, {}, sample=sample)
    assert_no_output(out_dir)


@needs_fact_data
def test_diffuse_gammas_pass_as_either_gamma_sample(tmp_path):
    for sample in ("gamma", "gamma_diffuse"):
        got = extract_events(
            "fact", FACT_DATA / "gamma_diffuse.hdf5", tmp_path / f"{sample}.h5", {}, {}, sample
        )
        assert got["n_selected"] > 0


@needs_fact_data
def test_a_fact_file_of_mixed_primaries_is_refused_with_every_id_counted(tmp_path):
    """A gamma file with 7 proton events, the last in the third chunk: every id of the file is
    counted, not only those of the chunk where the first wrong one was seen."""
    src = tmp_path / "gamma.hdf5"
    with h5py.File(FACT_DATA / "gamma.hdf5") as fin, h5py.File(src, "w") as fout:
        for name in fin["events"]:
            values = fin["events"][name][:]
            if name == "corsika_run_header_particle_id":
                values[[3, 40, 41, 42, 300, 301, 700]] = 14
            fout[f"events/{name}"] = values
    out_dir = tmp_path / "results"
    with pytest.raises(InputError, match=r"1 \(gamma\): 993 events, 14 \(proton\): 7 events"):
        extract_events("fact", src, out_dir / "g.h5", {"chunk_size": 256}, {}, sample="gamma")
    assert_no_output(out_dir)


def test_a_simulated_file_of_another_primary_is_refused(tmp_path):
    path = tmp_path / "raw" / "gamma.h5"
    columns = raw_events()
    columns["particle_id"][:] = 402
    write_events(path, columns, config={"n_events": 400}, seed=11)
    out_dir = tmp_path / "results"
    with pytest.raises(
        InputError,
        match=r"gamma\.h5: listed as sample 'gamma'.*402 \(helium\): 400 events.*column "
        r"'particle_id' of the simulator's 'gamma' sample",
    ):
        extract_events("simulate", path, out_dir / "gamma.h5", CUTS, sample="gamma")
    assert_no_output(out_dir)
    # the observation holds every primary: never checked
    assert extract_events("simulate", path, out_dir / "o.h5", CUTS, sample="observed")["n_input"]


# --- the rule ------------------------------------------------------------------------------------


def _snakemake(workdir, configfile, *args):
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
         str(workdir), "--configfile", str(configfile), "--cores", "1", *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.workflow
@needs_fact_data
def test_rule_extract_on_the_shared_fact_files(tmp_path):
    config = ROOT / "tests/config/fact_examples.yaml"
    results_dir = yaml.safe_load(config.read_text())["results_dir"]  # its own folder
    results = tmp_path / results_dir
    # targets relative to the working directory, as the rules' outputs are
    targets = [f"{results_dir}/events/{s}.h5" for s in ("gamma", "proton")]
    run = _snakemake(tmp_path, config, *targets)
    assert run.returncode == 0, run.stderr[-3000:]
    for sample in ("gamma", "proton"):
        got = read_columns(results / "events" / f"{sample}.h5")
        assert len(got["event_id"]) == 1000 and "size" in got and "true_energy" in got
        assert (results / "logs" / "extract" / f"{sample}.log").exists()


@pytest.mark.workflow
@needs_fact_data  # the other files of the config must exist for the missing one to be named
def test_missing_fact_file_fails_before_any_job(tmp_path):
    config = tmp_path / "fact.yaml"
    text = (ROOT / "tests/config/fact_examples.yaml").read_text()
    config.write_text(text.replace("../shared/fact-data/proton.hdf5", "data/no_such_proton.hdf5"))
    run = _snakemake(tmp_path, config, "-n")
    assert run.returncode != 0
    assert "config fact.files.proton: file not found" in run.stderr + run.stdout
    assert not (tmp_path / "results").exists()


def test_example_configs_validate():
    yaml = pytest.importorskip("yaml")
    jsonschema = pytest.importorskip("jsonschema")
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    for name in ("config.yaml", "tests/config/fact_examples.yaml", "config/fact_open_data.yaml",
                 "tests/config/tiny.yaml"):  # fmt: skip
        jsonschema.validate(yaml.safe_load((ROOT / name).read_text()), schema)
    # config.yaml says the package defaults (the schema's: tests/test_defaults.py)
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    for section, defaults in (("extract", DEFAULTS), ("fact", FACT_DEFAULTS)):
        assert {k: config[section][k] for k in defaults if k != "files"} == {
            k: v for k, v in defaults.items() if k != "files"
        }, section
    bad = yaml.safe_load((ROOT / "config.yaml").read_text())
    bad["extract"]["nan_policy"] = "ignore"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
