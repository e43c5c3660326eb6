"""A split predicted in parts (config ``evaluation.predict_parts``): one job per part of its rows,
gathered into the file the whole split's prediction is, row for row; parts that do not line up and
bad values of the key are refused, named. The DAG: N parts make N predict_part jobs and one
gather_predictions per model and split, with predict's resources; 1 (the default) plans exactly
the predict jobs of before. Unit tests: a few seconds; the DAG test: two dry runs of the tiny
config (minutes).
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml
from refusal import refused_dry_run

from iactdl.config import ConfigError, validate_schema
from iactdl.evaluate.evaluation import check_evaluation_config
from iactdl.evaluate.predictions import gather_predictions, part_rows, predict_file
from iactdl.io import InputError, read_attrs, read_columns, write_events
from iactdl.io.atomic import leftover_temporaries

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "config" / "tiny.yaml"
FEATURES = ["size", "width", "length", "leakage1"]
N_EVENTS = 1001  # not a multiple of the number of parts, nor of the chunk size


def _split(path: Path, n: int = N_EVENTS, seed: int = 0) -> Path:
    """A split with what the predictions carry over: the truth, ``region`` and its
    ``n_off_regions`` attribute; gammas narrow, hadrons wide; ``event_id`` repeats across
    samples, as in the simulated test split."""
    rng = np.random.default_rng(seed)
    is_gamma = rng.integers(0, 2, n).astype(np.int8)
    energy = 10 ** rng.uniform(-0.5, 1.5, n)
    size = 200 * energy * rng.lognormal(0, 0.3, n)
    length = 10 + 8 * np.log10(size) + rng.normal(0, 3, n)
    cols = {
        # each sample numbers its events from 0, as the simulated splits do: ids repeat
        "event_id": np.where(is_gamma == 1, np.cumsum(is_gamma), np.cumsum(1 - is_gamma)) - 1,
        "size": size,
        "width": np.where(is_gamma == 1, 0.35, 0.6) * length * rng.lognormal(0, 0.25, n),
        "length": length,
        "leakage1": rng.uniform(0, 0.2, n),
        "is_gamma": is_gamma,
        "particle_id": np.where(is_gamma == 1, 1, 14),
        "true_energy": energy,
        "sample": np.where(is_gamma == 1, b"gamma", b"proton"),
        "region": rng.integers(-1, 4, n).astype(np.int8),
    }
    write_events(path, cols, attrs={"n_off_regions": 3})
    return path


@pytest.fixture(scope="module")
def split(tmp_path_factory) -> Path:
    return _split(tmp_path_factory.mktemp("split") / "observed_test.h5")


@pytest.fixture(scope="module")
def forest(tmp_path_factory) -> Path:
    """A random forest fitted on a split like the one predicted."""
    from iactdl.models import fit_baseline

    d = tmp_path_factory.mktemp("forest")
    entry = {
        "kind": "baseline", "task": "separation", "estimator": "random_forest",
        "params": {"n_estimators": 10, "min_samples_leaf": 2}, "features": FEATURES,
        "derived_features": ["log_size", "width_length"], "cv_folds": 2,
    }  # fmt: skip
    fit_baseline(_split(d / "train.h5", n=400, seed=1), d / "rf", "rf", entry, seed=3)
    return d / "rf"


def _predict_in_parts(model: Path, dataset: Path, out: Path, parts: int, **kw) -> list[Path]:
    """What the predict_part jobs write: part k of ``parts``, rows counted from the dataset."""
    from iactdl.io import n_events

    paths = []
    for k in range(parts):
        path = out / f"{k}.h5"
        rows = part_rows(n_events(dataset), k, parts)
        assert predict_file(model, dataset, path, rows=rows, **kw) == rows[1] - rows[0]
        paths.append(path)
    return paths


def _assert_same_file(got: Path, expected: Path, rtol: float = 0.0) -> None:
    """The same columns (dtype, shape, values: row for row, floats to ``rtol``) and the same
    attributes."""
    with h5py.File(got, "r") as g, h5py.File(expected, "r") as e:
        assert sorted(g["events"]) == sorted(e["events"])
        for name in e["events"]:
            a, b = g["events"][name], e["events"][name]
            assert (a.dtype, a.shape) == (b.dtype, b.shape), name
            if rtol and a.dtype.kind == "f":
                np.testing.assert_allclose(a[()], b[()], rtol=rtol, atol=0, err_msg=name)
            else:
                np.testing.assert_array_equal(a[()], b[()], err_msg=name)
    got_attrs, expected_attrs = read_attrs(got), read_attrs(expected)
    assert sorted(got_attrs) == sorted(expected_attrs)
    for key, value in expected_attrs.items():
        assert np.array_equal(np.asarray(got_attrs[key]), np.asarray(value)), key


# --- the rows of a part ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1001])
@pytest.mark.parametrize("parts", [1, 2, 3, 5])
def test_parts_hold_every_row_once_in_order(n, parts):
    cuts = [part_rows(n, k, parts) for k in range(parts)]
    assert np.array_equal(np.concatenate([np.arange(a, b) for a, b in cuts]), np.arange(n))
    sizes = [b - a for a, b in cuts]
    assert max(sizes) - min(sizes) <= 1
    with pytest.raises(ValueError, match=f"part {parts} of {parts}"):
        part_rows(n, parts, parts)


# --- gathered parts equal the whole split ---------------------------------------------------------


@pytest.mark.parametrize("parts", [1, 3, 7])
def test_gathered_parts_equal_the_whole_split_row_for_row(split, forest, parts, tmp_path):
    whole = tmp_path / "whole.h5"
    assert predict_file(forest, split, whole, chunk_size=128, model_name="rf") == N_EVENTS
    paths = _predict_in_parts(forest, split, tmp_path, parts, chunk_size=128, model_name="rf")
    assert read_attrs(paths[-1])["dataset_rows"] == N_EVENTS
    gathered = tmp_path / "gathered.h5"
    assert gather_predictions(paths, gathered, chunk_size=100) == N_EVENTS
    _assert_same_file(gathered, whole)
    assert read_attrs(gathered)["n_off_regions"] == 3 and "part_rows" not in read_attrs(gathered)
    assert not leftover_temporaries(gathered)


def test_a_net_predicted_in_parts_equals_the_whole_split(tmp_path):
    """A Deep Sets net (untrained: the equality, not the quality, is tested) on toy events.

    Equal to float32's precision, not bit for bit: torch's float32 sums over a batch of another
    size (the last chunk of a part) may round differently in the last bit, as a whole split
    predicted with another chunk_size does (seen: 8 of 300 rows, 7e-9 relative)."""
    import torch

    from iactdl.fit.toydata import TOY_FEATURES, toy_events
    from iactdl.models.nets import NETS, build_net, net_inputs
    from iactdl.models.nets.saved import save_net

    events = toy_events(300, seed=3, max_pixels=16)
    events.pop("grid_image")  # not read by the net: a smaller file
    write_events(tmp_path / "test.h5", events)
    kind = NETS["deepsets"].input_kind
    torch.manual_seed(0)
    net = build_net("deepsets", {"phi": [16, 16], "rho": [16]}, ("gammaness",), len(TOY_FEATURES))
    net.fit_scaling(**net_inputs(events, kind, TOY_FEATURES))
    meta = {"task": "separation", "input_kind": kind, "features": TOY_FEATURES}
    save_net(net.eval(), tmp_path / "net", meta)
    whole = tmp_path / "whole.h5"
    predict_file(tmp_path / "net", tmp_path / "test.h5", whole, chunk_size=64)
    paths = _predict_in_parts(tmp_path / "net", tmp_path / "test.h5", tmp_path, 4, chunk_size=64)
    gather_predictions(paths, tmp_path / "gathered.h5")
    _assert_same_file(tmp_path / "gathered.h5", whole, rtol=1e-6)


def test_more_parts_than_events_gather_to_the_whole(forest, tmp_path):
    small = _split(tmp_path / "small.h5", n=2)
    predict_file(forest, small, tmp_path / "whole.h5")
    paths = _predict_in_parts(forest, small, tmp_path, 5)  # three parts of no rows
    gather_predictions(paths, tmp_path / "gathered.h5")
    _assert_same_file(tmp_path / "gathered.h5", tmp_path / "whole.h5")


# --- parts that do not line up are refused, naming the file ---------------------------------------


def test_parts_that_do_not_line_up_are_refused_naming_the_file(split, forest, tmp_path):
    paths = _predict_in_parts(forest, split, tmp_path, 3)
    out = tmp_path / "gathered.h5"
    other = _predict_in_parts(forest, _split(tmp_path / "other.h5", n=900), tmp_path / "o", 3)
    whole = tmp_path / "whole.h5"
    predict_file(forest, split, whole)
    cases = [
        ([paths[1], paths[0], paths[2]], rf"{paths[1]}: rows \[333, 667\), but the first must"),
        ([paths[0], paths[2]], rf"{paths[2]}: rows \[667, 1001\), but the part before it, "
         rf"{paths[0]}, stops at row 333"),
        ([paths[0], paths[1]], rf"{paths[1]}: the last part stops at row 667, .* 1001 events"),
        ([paths[0], paths[1], paths[1], paths[2]], rf"{paths[1]}: rows \[333, 667\), but the part"),
        ([paths[0], other[1], paths[2]], rf"{other[1]}: a part of a dataset of 900 events"),
        ([whole], rf"{whole}: no attribute\(s\) \['part_rows', 'dataset_rows'\]"),
        ([], "no parts to gather"),
    ]  # fmt: skip
    for given, message in cases:
        with pytest.raises(InputError, match=message):
            gather_predictions(given, out)
        assert not out.exists() and not leftover_temporaries(out)
    # a part cut short after it was written: its rows say more than it holds
    attrs = {k: v for k, v in read_attrs(paths[1]).items() if k != "config"}
    write_events(tmp_path / "short.h5", read_columns(paths[1], start=0, stop=10), attrs=attrs)
    with pytest.raises(InputError, match=r"short.h5: 10 events, but its rows \[333, 667\) are 334"):
        gather_predictions([paths[0], tmp_path / "short.h5", paths[2]], out)


# --- the config key -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -2, 2.5, "3", True])
def test_bad_predict_parts_are_refused_naming_the_key(value):
    config = yaml.safe_load(TINY.read_text())
    config["evaluation"]["predict_parts"] = value
    with pytest.raises(ConfigError, match=r"evaluation\.predict_parts"):
        validate_schema(config)


def test_a_float_number_of_parts_is_refused_by_the_section_check():
    """3.0 is an integer to JSON schema; the stage's own check wants an int."""
    with pytest.raises(ValueError, match=r"evaluation\.predict_parts: expected an integer >= 1"):
        check_evaluation_config({"predict_parts": 3.0})
    assert check_evaluation_config(None)["predict_parts"] == 1


@pytest.mark.workflow
def test_snakemake_refuses_zero_parts_before_any_job(tmp_path):
    config = yaml.safe_load(TINY.read_text())
    config["evaluation"]["predict_parts"] = 0
    out = refused_dry_run(yaml.safe_dump(config), tmp_path)
    assert "evaluation.predict_parts" in out, out[-3000:]


# --- the DAG --------------------------------------------------------------------------------------


def _plan(config: dict, tmp_path: Path, work: Path, name: str) -> tuple[dict, dict]:
    """``snakemake -n`` of the default target with the SLURM profile's resources (as flags, as
    tests/test_profile.py plans them): job counts by rule, and each rule's resources."""
    from test_profile import _parse_jobs, _profile, _resource_args

    if shutil.which("snakemake") is None:
        pytest.skip("snakemake is not installed")
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", str(path),
         "--directory", str(work), *_resource_args(_profile())],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    counts = {k: int(v) for k, v in re.findall(r"^(\w+)\s+(\d+)$", out, re.MULTILINE)}
    counts.pop("total", None)
    resources = {}
    for rule, res in _parse_jobs(out):
        resources.setdefault(rule, []).append(res)
    return counts, resources


@pytest.mark.workflow
def test_parts_plan_a_job_per_part_and_one_gather_with_predicts_resources(tmp_path):
    """Two dry runs of the tiny config's default target, in one folder (a few minutes)."""
    config = yaml.safe_load(TINY.read_text())
    work = tmp_path / "work"
    default, res_default = _plan(config, tmp_path, work, "default")
    parted = copy.deepcopy(config)
    parted["evaluation"]["predict_parts"] = 3
    counts, res_parts = _plan(parted, tmp_path, work, "parts")
    n_predict = default.pop("predict")
    assert n_predict >= 3 and "predict_part" not in default and "gather_predictions" not in default
    # every (model, split) predicted whole before: 3 parts and one gather now, nothing else changes
    assert counts.pop("predict_part") == 3 * n_predict
    assert counts.pop("gather_predictions") == n_predict
    assert counts == default
    # predict's resources, from the profile's default-resources: CPU nodes, no GPU
    (predict,) = {tuple(sorted(r.items())) for r in res_default["predict"]}
    assert {tuple(sorted(r.items())) for r in res_parts["predict_part"]} == {predict}
    assert all("gpu" not in r for r in res_parts["gather_predictions"])


@pytest.mark.workflow
def test_predict_part_and_gather_jobs_write_the_whole_splits_predictions(tmp_path, monkeypatch):
    """One real run of the two rules on a model and a split put in place (``--allowed-rules``:
    no upstream job), 3 parts of 1001 events; the parts, temporary, are gone after the gather."""
    from iactdl.models import fit_baseline

    config = yaml.safe_load(TINY.read_text())
    config["evaluation"]["predict_parts"] = 3
    entry = config["models"]["hist_gbt"]
    monkeypatch.chdir(tmp_path)  # the rules' paths are relative to the working directory
    results = Path(config["results_dir"])
    rng = np.random.default_rng(7)
    for split, n in (("train", 400), ("test", N_EVENTS)):
        is_gamma = rng.integers(0, 2, n).astype(np.int8)
        cols = {c: rng.lognormal(1 + is_gamma * (k % 3 == 0), 1, n)
                for k, c in enumerate(entry["features"])}  # fmt: skip
        cols.update(event_id=np.arange(n, dtype=np.int64), is_gamma=is_gamma,
                    particle_id=np.where(is_gamma == 1, 1, 14), true_energy=np.ones(n))  # fmt: skip
        write_events(results / f"datasets/{split}.h5", cols)
    model = results / "models/hist_gbt"
    fit_baseline(results / "datasets/train.h5", model, "hist_gbt", entry, seed=1)
    (tmp_path / "parts.yaml").write_text(yaml.safe_dump(config))
    target = results / "predictions/hist_gbt/test.h5"
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--cores", "2",
         "--configfile", "parts.yaml", "--allowed-rules", "predict_part", "gather_predictions",
         "--", str(target)],
        capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-3000:]
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", out, re.MULTILINE))
    assert (jobs["predict_part"], jobs["gather_predictions"], jobs["total"]) == ("3", "1", "4")
    log = (results / "logs/predict_part/hist_gbt/test/2.log").read_text()
    assert "predicted 334 / 334 events" in log, log[-2000:]  # rows [667, 1001)
    predict_file(model, results / "datasets/test.h5", tmp_path / "whole.h5", model_name="hist_gbt")
    _assert_same_file(target, tmp_path / "whole.h5")
    assert not list((results / "predictions/hist_gbt/parts").rglob("*.h5"))  # temp(): removed
