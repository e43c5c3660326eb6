"""A FACT sample of several files (config ``fact.files``: a list or a glob): resolved before any
job, read per file by jobs of their own, gathered into one features file equal to that of the whole
file; a damaged file fails only its own job, named, and the other files' outputs are built and
kept. About 25 s (most of it the one snakemake call)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from iactdl.extract import extract_events
from iactdl.features import build_features
from iactdl.io import InputError, read_attrs, read_columns, write_events
from iactdl.io.atomic import leftover_temporaries
from iactdl.io.gather import gather_events
from iactdl.io.run_files import fact_sample_files, part_names

ROOT = Path(__file__).resolve().parents[1]
FACT_DATA = ROOT.parent / "shared" / "fact-data"
needs_fact_data = pytest.mark.skipif(
    not (FACT_DATA / "gamma.hdf5").exists(),
    reason=f"real FACT example files not found in {FACT_DATA} (see data/README.md)",
)


def _split_fact_file(src: Path, out: Path, n_parts: int) -> list[Path]:
    """Copies of the rows of a FACT DL2 file in ``n_parts`` files (runs of one observation)."""
    paths = []
    with h5py.File(src, "r") as f:
        n = len(next(iter(f["events"].values())))
        edges = np.linspace(0, n, n_parts + 1).astype(int)
        for k in range(n_parts):
            path = out / f"{src.stem}_{k}.hdf5"
            with h5py.File(path, "w") as g:
                for key, value in f.attrs.items():
                    g.attrs[key] = value
                group = g.create_group("events")
                for name, ds in f["events"].items():
                    group.create_dataset(name, data=ds[edges[k] : edges[k + 1]])
            paths.append(path)
    return paths


# --- resolving fact.files (planning: no file opened) ----------------------------------------------


def test_paths_patterns_and_lists_resolve_sorted_once(tmp_path):
    for name in ("run_2.hdf5", "run_1.hdf5", "other.h5"):
        (tmp_path / name).write_bytes(b"")
    key = "fact.files.observed"
    got = fact_sample_files(["run_*.hdf5", "run_1.hdf5"], tmp_path, key)
    assert got == [tmp_path / "run_1.hdf5", tmp_path / "run_2.hdf5"]  # sorted, each once
    assert fact_sample_files(str(tmp_path / "other.h5"), "/", key) == [tmp_path / "other.h5"]
    assert fact_sample_files(None, tmp_path, key) == []
    assert part_names(got, key) == {"run_1": str(got[0]), "run_2": str(got[1])}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nothing_*.hdf5", "config fact.files.observed: the pattern 'nothing_*.hdf5' matches no"),
        (["run_1.hdf5", "gone.hdf5"], "config fact.files.observed: file not found: "),
        (["run_1.hdf5", "copy/run_1.hdf5"], "two files would share the per-file outputs of part"),
    ],
)
def test_bad_file_lists_are_named_before_any_job(tmp_path, spec, message):
    (tmp_path / "copy").mkdir()
    for name in ("run_1.hdf5", "copy/run_1.hdf5"):
        (tmp_path / name).write_bytes(b"")
    key = "fact.files.observed"
    with pytest.raises(ValueError, match=re.escape(message)):
        part_names(fact_sample_files(spec, tmp_path, key), key)


@pytest.mark.parametrize("spec", [{"gamma": "run_1.hdf5"}, 7, ["run_1.hdf5", 7]])
def test_a_value_that_is_no_path_or_list_is_named(tmp_path, spec):
    """A mapping was read as its keys ("file not found: .../gamma"), a number raised TypeError
    (benchmarks/bad_inputs.py found it)."""
    (tmp_path / "run_1.hdf5").write_bytes(b"")
    with pytest.raises(ValueError, match=r"^config fact.files.observed: expected a path, a glob"):
        fact_sample_files(spec, tmp_path, "fact.files.observed")


# --- gathering ----------------------------------------------------------------------------------


def _events(path, event_id, **extra):
    columns = {"event_id": np.asarray(event_id, np.int64), "size": np.ones(len(event_id))}
    write_events(path, {**columns, **extra}, attrs={"count_n_events": len(event_id)})


def test_gather_refuses_parts_that_are_not_one_sample(tmp_path):
    a, b, c, d = (tmp_path / f"{k}.h5" for k in "abcd")
    _events(a, [1, 2, 3])
    _events(b, [3, 4])  # event 3 again: the same run given twice
    _events(c, [5], width=np.ones(1))  # another column set
    _events(d, [6, 7])
    out = tmp_path / "out.h5"
    with pytest.raises(InputError, match=r"1 event\(s\) appear twice .* event_id 3 in .*a.h5"):
        gather_events([a, b], out)
    with pytest.raises(InputError, match=r"c.h5: not the same columns as .*extra \['width'\]"):
        gather_events([a, c], out)
    assert not out.exists() and not leftover_temporaries(out)
    assert gather_events([a, d], out, parts=["a", "d"]) == 5
    assert read_columns(out)["event_id"].tolist() == [1, 2, 3, 6, 7]
    assert read_attrs(out)["count_n_events"] == 5  # per-file counts are summed


# --- the workflow: a glob, a list, and one truncated run file -------------------------------------


@pytest.mark.workflow
@needs_fact_data
def test_per_file_jobs_gather_and_a_damaged_file_is_named(tmp_path):
    """A snakemake call of 8 jobs and a dry run, about 25 s of CPU."""
    data = tmp_path / "data"
    data.mkdir()
    gammas = _split_fact_file(FACT_DATA / "gamma.hdf5", data, 2)
    *protons, damaged = _split_fact_file(FACT_DATA / "proton.hdf5", data, 2)
    shutil.copy(damaged, tmp_path / "proton_1.good")  # the second run, cut short by a failed copy
    with open(damaged, "r+b") as f:
        f.truncate(damaged.stat().st_size // 2)
    config = yaml.safe_load((ROOT / "tests/config/fact_examples.yaml").read_text())
    config["fact"]["files"] = {
        "gamma": str(data / "gamma_*.hdf5"),  # a glob
        "proton": [str(p) for p in [*protons, damaged]],  # a list
        "gamma_diffuse": None,
        "observed": None,
    }
    config["models"] = {k: v for k, v in config["models"].items() if v["task"] == "separation"}
    configfile = tmp_path / "many_files.yaml"
    configfile.write_text(yaml.safe_dump(config))
    results = config["results_dir"]
    targets = [f"{results}/features/gamma.h5", f"{results}/features/proton.h5"]
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
         str(tmp_path), "--cores", "1", "--keep-going", *targets, "--configfile", str(configfile)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    out = run.stdout + run.stderr
    assert run.returncode != 0, "the damaged run file was read without an error"
    # the damaged file is named: its job, and in its log the file and what is wrong
    assert "rule extract_part" in out and "proton_1" in out
    log = (tmp_path / results / "logs/extract/proton/proton_1.log").read_text()
    assert str(damaged) in log and "truncated or damaged" in log, log[-2000:]
    result = tmp_path / results
    assert not (result / "events/parts/proton/proton_1.h5").exists()
    assert not (result / "features/proton.h5").exists()  # the gather waits for every file
    # ... and the rest still built: every other file's outputs, kept for the rerun
    for sample, parts in (("gamma", gammas), ("proton", protons)):
        for part in parts:
            assert (result / f"features/parts/{sample}/{part.stem}.h5").exists(), part
    # the gathered gammas are the features of the whole file, row for row
    whole = tmp_path / "whole"
    extract_events(
        "fact", FACT_DATA / "gamma.hdf5", whole / "events.h5", config["extract"],
        config["fact"], sample="gamma",
    )  # fmt: skip
    build_features(whole / "events.h5", whole / "features.h5", config["features"])
    expected, got = read_columns(whole / "features.h5"), read_columns(result / "features/gamma.h5")
    assert sorted(got) == sorted(expected)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    assert read_attrs(result / "features/gamma.h5")["gathered_parts"] == ('["gamma_0", "gamma_1"]')
    leftovers = list(result.rglob(".*.tmp*"))
    assert not leftovers, leftovers
    # the file replaced by a good copy: only its own jobs and its sample's gather are left to run
    shutil.copy(tmp_path / "proton_1.good", damaged)
    plan = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
         str(tmp_path), "--cores", "1", "-n", *targets,
         "--configfile", str(configfile)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert plan.returncode == 0, plan.stderr[-3000:]
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", plan.stdout + plan.stderr, re.MULTILINE))
    jobs.pop("total", None)
    assert jobs == {"extract_part": "1", "build_features_part": "1", "gather_features": "1"}, jobs
