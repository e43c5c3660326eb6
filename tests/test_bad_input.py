"""The last classes of bad input (issue 23): each refused with a message naming the key, file or
column and what was expected, leaving nothing behind; each class tried with several inputs.

Hostile YAML (aliases of aliases), the config checker's command line and the schema's one-line
errors, names that point at nothing, the one name rule and results_dir, compressed FACT files
without their filter, model files that torch's safe mode (or JSON, or .npz) refuses, and NaN/inf
in build_features' input (extract's: tests/test_extract.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from refusal import refused_dry_run

from iactdl.config import (
    MAX_NODES,
    NAME_PATTERN,
    ConfigError,
    check_config,
    check_name,
    check_results_dir,
    check_size,
    load_config,
)
from iactdl.config import main as config_main

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "config" / "tiny.yaml"


# ---- hostile YAML: refused in well under a second, never walked ----


def _laughs(levels: int, width: int = 9, flow: bool = True) -> str:
    """A "billion laughs": each level a list of ``width`` aliases of the level below."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def _mapping_laughs(levels: int) -> str:
    """The same with mappings and merge keys (``<<: *a``), the form a config would use."""
    lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}"]
    for i in range(1, levels + 1):
        keys = ", ".join(f"k{j}: *m{i - 1}" for j in range(10))
        lines.append(f"m{i}: &m{i} {{{keys}}}")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "lists, 9 levels (10^9 values)": _laughs(9),
    "lists, 30 levels": _laughs(30, width=2),
    "mappings, 12 levels": _mapping_laughs(12),
    "inside models": TINY.read_text() + _laughs(12).replace("l0:", "zz_l0:", 1),
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_nested_aliases_are_refused_fast(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=rf"^{path}: the config expands to over") as err:
        load_config(path)
    assert time.perf_counter() - start < 1.0
    assert "aliases" in str(err.value)


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_parsed_hostile_config_is_refused_before_it_is_walked(text):
    """What Snakemake's own reader returns (shared lists, not expanded) is refused as fast."""
    config = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="^c.yaml: the config expands"):
        check_size(config, "c.yaml")
    assert time.perf_counter() - start < 1.0


def test_a_few_aliases_are_fine(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(_laughs(3) + _mapping_laughs(2))  # 9^4 and 10^2 * 8: below the limit
    assert 9**4 < MAX_NODES
    assert len(load_config(path)["l3"]) == 9


def test_shipped_configs_are_far_below_the_limit():
    for path in [ROOT / "config.yaml", TINY]:
        check_size(load_config(path), str(path))
        check_size(yaml.compose(path.read_text()), str(path))


@pytest.mark.workflow
def test_snakemake_refuses_nested_aliases(tmp_path):
    out = refused_dry_run(TINY.read_text() + _laughs(9).replace("l0:", "zz_l0:", 1), tmp_path)
    assert "config.yaml: the config expands to over" in out, out[-3000:]


# ---- the config checker: python -m iactdl.config applies the whole schema ----

SCHEMA_BAD = [
    ("seed", "abc", "config seed: 'abc' is not of type 'integer'"),
    ("no_such_key", 1, "unknown config key no_such_key (a typo?"),
    ("features.no_such_option", 1, "unknown config key no_such_option in features"),
    ("source", "facts", "config source: 'facts' is not one of"),
    ("seed", -1, "config seed: -1 is less than the minimum of 0"),
    ("simulation.observed.hours", 0, "config simulation.observed.hours: 0 is less than or equal"),
]


def _write(config: dict, tmp_path: Path) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _with(key: str, value) -> dict:
    config = yaml.safe_load(TINY.read_text())
    *parents, last = key.split(".")
    node = config
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return config


@pytest.mark.parametrize("key, value, message", SCHEMA_BAD, ids=[str(b[:2]) for b in SCHEMA_BAD])
def test_checker_applies_the_schema(tmp_path, capsys, key, value, message):
    path = _write(_with(key, value), tmp_path)
    assert config_main([str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: invalid config (1 error(s) against config.schema.yaml)")
    assert message in err, err
    assert len(err.splitlines()) == 2  # one line per error, no schema or config dumped


def test_checker_command_line(tmp_path):
    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "iactdl.config", *args], capture_output=True, text=True
        )

    proc = run()  # no argument: an error, not a silent 0
    assert proc.returncode == 2 and "give at least one config FILE" in proc.stderr
    proc = run("--help")  # help, not a file named --help
    assert proc.returncode == 0 and "usage: python -m iactdl.config" in proc.stdout
    proc = run(str(TINY))
    assert proc.returncode == 0 and proc.stdout.strip() == f"{TINY}: ok"
    proc = run(str(TINY), "--schema", str(tmp_path / "none.yaml"))  # installed without the repo
    assert proc.returncode == 1 and "no config schema there" in proc.stderr
    assert "--schema REPO/workflow/schemas/config.schema.yaml" in proc.stderr


@pytest.mark.parametrize("text", [b"\xff\xfe\x00seed: 1", "seed: 1  # caf\xe9\n".encode("latin-1")])
def test_checker_names_a_file_that_is_not_utf8(tmp_path, capsys, text):
    """A binary file or another encoding: the file named, not a UnicodeDecodeError's traceback
    (benchmarks/bad_inputs.py found it)."""
    path = tmp_path / "c.yaml"
    path.write_bytes(text)
    assert config_main([str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: not a text file in UTF-8 (byte 0x"), err


@pytest.mark.parametrize("value", ["/", "//", "///"])
def test_checker_says_the_root_is_the_root(tmp_path, capsys, value):
    """The schema's regex ("'/' does not match '[^/]'") said nothing of what was expected;
    check_results_dir says what the folder is and what to give instead."""
    path = _write(_with("results_dir", value), tmp_path)
    assert config_main([str(path)]) == 1
    err = capsys.readouterr().err
    assert f"config results_dir: {value!r} is the filesystem root" in err, err
    assert "expected a folder of its own" in err


@pytest.mark.workflow
@pytest.mark.parametrize("key, value, message", SCHEMA_BAD[:2], ids=["seed", "unknown"])
def test_snakemake_schema_error_is_one_line(tmp_path, key, value, message):
    out = refused_dry_run(yaml.safe_dump(_with(key, value)), tmp_path)
    assert message in out, out[-3000:]
    assert len(out.splitlines()) < 15, out[-3000:]  # not the schema and config (4,000 lines)


# ---- names that point at nothing: checked against the models table, naming the key ----

REFERENCES = [
    ("adaptation.nets", ["mlp", "no_such_net"], "config adaptation.nets[1]: 'no_such_net' is not"),
    (
        "adaptation.nets",
        ["mlp", "hist_gbt"],
        "config adaptation.nets[1]: 'hist_gbt' is a 'baseline'",
    ),
    ("adaptation.nets", ["mlp", "deepset"], "expected the name of a net entry, one of ["),
    (
        "experiments.inductive_bias.reference",
        "featur_mlp",
        "inductive_bias.reference: 'featur_mlp'",
    ),
    ("shift.quantifier_model", "hist_gtb", "shift.quantifier_model: 'hist_gtb' is not"),
    ("shift_study.models", ["hist_gbt", "hist_gtb"], "shift_study.models[1]: 'hist_gtb' is not"),
    ("shift_study.models", ["hist_gbt_onoff"], "'hist_gbt_onoff' must be a plain separation"),
    ("shift_study.shifts", ["night_sky", "moon"], "shift_study.shifts: unknown shift(s) ['moon']"),
    ("shift_study.methods", ["source", "dann"], "lacks source or oracle"),
]


@pytest.mark.parametrize("key, value, message", REFERENCES, ids=[str(r[1]) for r in REFERENCES])
def test_names_that_point_at_nothing_are_refused(key, value, message):
    with pytest.raises(ConfigError) as err:
        check_config(_with(key, value))
    assert message in str(err.value), str(err.value)


def test_quantifier_is_checked_without_observed_events_too():
    config = _with("simulation.observed.hours", None)
    config["shift"] = {"quantifier_model": "no_such_baseline"}
    with pytest.raises(ConfigError, match="shift.quantifier_model: 'no_such_baseline' is not"):
        check_config(config)


# ---- paths and names: one name rule; results_dir never a system folder ----

BAD_NAMES = ["../evil", "a/b", "mlp~x", "has space", "1mlp", "", "x.y", "dann@2", "-rf", "ünï"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_one_name_rule(name):
    message = check_name(name, "models.x")
    assert message.startswith(f"config models.x: {name!r} is not a valid name; expected a letter")


@pytest.mark.parametrize("name", ["mlp", "Hex_CNN2", "a"])
def test_good_names(name):
    assert check_name(name, "k") is None


@pytest.mark.parametrize("name", BAD_NAMES[:4])
def test_the_schema_states_the_name_rule_in_words(tmp_path, capsys, name):
    """The schema's propertyNames error said "'../evil' does not match '^[A-Za-z]...'" (found by
    benchmarks/bad_inputs.py): the name rule's own message instead."""
    config = yaml.safe_load(TINY.read_text())
    config["models"][name] = config["models"].pop("energy_rf")
    path = _write(config, tmp_path)
    assert config_main([str(path)]) == 1
    err = capsys.readouterr().err
    assert f"config models: {name!r} is not a valid name; expected a letter" in err, err
    assert "does not match" not in err


def test_the_schema_and_the_name_rule_agree():
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    assert schema["properties"]["models"]["propertyNames"]["pattern"] == NAME_PATTERN


NAMED_KEYS = [
    ("adaptation.nets", ["mlp", "../x"], "config adaptation.nets[1]: '../x' is not a valid name"),
    ("shift_study.models", ["../x"], "config shift_study.models[0]: '../x' is not a valid name"),
    ("experiments.optimisers.nets", {"a/b": {"net": "mlp"}}, "experiments.optimisers.nets.a/b"),
    ("experiments.inductive_bias.models", {"x y": {"net": "mlp"}}, "inductive_bias.models.x y"),
    ("fact.files", {"../gamma": "x.h5"}, "config fact.files.../gamma (a sample)"),
    ("simulation.n_events", {"gammma": 10}, "unknown sample(s) ['gammma']"),
]


@pytest.mark.parametrize("key, value, message", NAMED_KEYS, ids=[k for k, _, _ in NAMED_KEYS])
def test_names_in_paths_follow_the_rule(key, value, message):
    config = _with(key, value)
    if key == "experiments.inductive_bias.models":
        config["experiments"]["inductive_bias"]["reference"] = "x y"
    with pytest.raises(ConfigError) as err:
        check_config(config)
    assert message in str(err.value), str(err.value)


SYSTEM = ["/", "//", "/./", "/..", "/../..", "///", "/etc", "/usr/lib/x", "/etc/../usr", "/tmp"]
SYSTEM += ["/home", "~/results", "."]


@pytest.mark.parametrize("value", SYSTEM)
def test_results_dir_refuses_system_folders(value):
    with pytest.raises(ValueError, match=rf"^config results_dir: {re.escape(repr(value))}"):
        check_results_dir(value)


def test_results_dir_refuses_home_in_any_spelling(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    for value in [str(tmp_path), f"{tmp_path}/", f"{tmp_path}/x/..", f"{tmp_path}/."]:
        with pytest.raises(ValueError, match="the home folder itself"):
            check_results_dir(value)
    check_results_dir(f"{tmp_path}/results")


def test_results_dir_refuses_the_root_by_relative_path(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    ups = "/".join([".."] * (len(tmp_path.parts) + 2))
    with pytest.raises(ValueError, match="the filesystem root"):
        check_results_dir(ups)


@pytest.mark.parametrize("value", ["results", "results/tiny", "/data/me/out", "out/../results"])
def test_results_dir_accepts_own_folders(value):
    check_results_dir(value)


@pytest.mark.workflow
@pytest.mark.parametrize("value", ["/./", "/etc"])
def test_snakemake_refuses_system_results_dir(tmp_path, value):
    out = refused_dry_run(yaml.safe_dump(_with("results_dir", value)), tmp_path)
    assert f"config results_dir: {value!r}" in out, out[-3000:]


@pytest.mark.workflow
def test_every_planned_output_lies_under_results_dir(tmp_path):
    """Plan the whole DAG (every named target) for the tiny config: every output, log and
    benchmark lies under results_dir."""
    if shutil.which("snakemake") is None:
        pytest.skip("snakemake is not installed")
    out_dir = tmp_path / "out"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(_with("results_dir", str(out_dir))))
    targets = ["all", "paper", "adaptation_study", "shift_study", "experiments"]
    targets.append("benchmark_summary")
    proc = subprocess.run(
        ["snakemake", "-n", "--configfile", str(config), "--directory", str(tmp_path / "work")]
        + targets,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    paths = [
        p.strip()
        for line in proc.stdout.splitlines()
        if re.match(r"^ *(output|log|benchmark): ", line)
        for p in line.split(": ", 1)[1].split(", ")
    ]
    assert len(paths) > 300  # the whole DAG, not the default target alone
    outside = [p for p in paths if not Path(p).resolve().is_relative_to(out_dir)]
    assert not outside, outside[:10]


# ---- compressed FACT files read without the filter: name it and what to install ----

_READ_WITHOUT_PLUGIN = """
import sys
sys.modules["hdf5plugin"] = None  # as if not installed
from iactdl.io.hdf5 import InputError, read_columns
try:
    read_columns(sys.argv[1], ["size"])
except InputError as err:
    print(err)
    sys.exit(1)
"""


@pytest.mark.parametrize(
    "kind, name",
    [
        ("Blosc", "blosc (32001)"),
        ("LZ4", "lz4 (32004)"),
        ("Bitshuffle", "bitshuffle (32008)"),
        ("Zstd", "zstd (32015)"),
    ],
)
def test_compressed_file_without_its_filter_names_it(tmp_path, kind, name):
    hdf5plugin = pytest.importorskip("hdf5plugin")
    import h5py
    import numpy as np

    path = tmp_path / "gamma.hdf5"
    with h5py.File(path, "w") as f:
        size = np.linspace(10, 1000, 5000)
        f.create_dataset("events/size", data=size, chunks=(500,), **getattr(hdf5plugin, kind)())
    before = sorted(tmp_path.iterdir())
    env = {**os.environ, "HDF5_PLUGIN_PATH": str(tmp_path / "no_plugins")}
    proc = subprocess.run(
        [sys.executable, "-c", _READ_WITHOUT_PLUGIN, str(path)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    msg = proc.stdout
    assert msg.startswith(f"{path}: column 'size' is compressed with {name}"), msg
    assert "pip install hdf5plugin" in msg and "not damaged: keep it" in msg
    assert "delete" not in msg
    assert sorted(tmp_path.iterdir()) == before  # nothing written, the input kept


def test_damaged_file_is_still_called_damaged(tmp_path):
    import h5py
    import numpy as np

    from iactdl.io.hdf5 import InputError, read_columns

    path = tmp_path / "gamma.hdf5"
    with h5py.File(path, "w") as f:
        f.create_dataset("events/size", data=np.arange(20000.0), chunks=(1000,), compression="gzip")
        offset = f["events/size"].id.get_chunk_info(3).byte_offset
    with open(path, "r+b") as out:
        out.seek(offset)
        out.write(b"\xff" * 64)
    with pytest.raises(InputError, match="column 'size' cannot be read .*truncated or damaged"):
        read_columns(path, ["size"])


# ---- model files: safe mode refuses -> our message (the file, retrain), never "turn it off" ----


class Pickled:
    """A Python object torch's safe mode (weights_only) refuses to unpickle."""


def _net_dir(tmp_path: Path) -> Path:
    torch = pytest.importorskip("torch")
    from iactdl.models.nets.registry import build_net
    from iactdl.models.nets.saved import save_net

    torch.manual_seed(0)
    net = build_net("mlp", {"hidden": [4]}, ("gammaness",), n_features=3)
    model_dir = tmp_path / "models" / "mlp"
    save_net(
        net,
        model_dir,
        {"name": "mlp", "input_kind": "features", "features": ["size", "width", "length"]},
    )
    return model_dir


def _replace_weights(model_dir: Path, write) -> None:
    """Replace model.pt and record its SHA-256 (as if trained so), so the loader reads it."""
    import json

    from iactdl.models.stored import model_file_record

    with open(model_dir / "model.pt", "wb") as f:
        write(f)
    info = json.loads((model_dir / "model.json").read_text())
    info["model_file"] = model_file_record(model_dir / "model.pt", "model.pt")
    (model_dir / "model.json").write_text(json.dumps(info))


def _whole_module(f):
    import torch

    from iactdl.models.nets.registry import build_net

    torch.save(build_net("mlp", {"hidden": [4]}, ("gammaness",), n_features=3), f)


def _object_in_dict(f):
    import torch

    torch.save({"weight": Pickled()}, f)


def _junk(f):
    f.write(b"these are not weights\n" * 10)


def _truncated(f):
    import io

    import torch

    buf = io.BytesIO()
    torch.save({"w": torch.zeros(1000)}, buf)
    f.write(buf.getvalue()[:300])


def _wrong_shapes(f):
    import torch

    from iactdl.models.nets.registry import build_net

    torch.save(build_net("mlp", {"hidden": [7]}, ("gammaness",), n_features=3).state_dict(), f)


def _a_list(f):
    import torch

    torch.save([torch.zeros(3)], f)


WEIGHTS = {
    "whole module pickled": (_whole_module, "holds a pickled Python object"),
    "object in a dict": (_object_in_dict, "holds a pickled Python object (test_bad_input.Pickled)"),
    "junk bytes": (_junk, "is not a file of tensors saved by torch"),
    "truncated": (_truncated, "is not a file of tensors saved by torch"),
    "other shapes": (_wrong_shapes, "weights do not fit the net model.json describes"),
    "a list": (_a_list, "holds a list, expected a state dict"),
}


@pytest.mark.parametrize("write, message", WEIGHTS.values(), ids=WEIGHTS.keys())
def test_refused_weights_name_the_file_and_say_retrain(tmp_path, write, message):
    from iactdl.io import InputError
    from iactdl.models.nets.saved import load_net

    model_dir = _net_dir(tmp_path)
    load_net(model_dir)  # as trained: loads
    _replace_weights(model_dir, write)
    before = sorted(p.name for p in model_dir.iterdir())
    with pytest.raises(InputError) as err:
        load_net(model_dir)
    msg = str(err.value)
    assert msg.startswith(f"{model_dir / 'model.pt'}: "), msg
    assert message in msg, msg
    assert "Retrain the net: delete" in msg, msg
    for unsafe in ("weights_only=False", "weights_only` set to `False", "add_safe_globals"):
        assert unsafe not in msg
    assert sorted(p.name for p in model_dir.iterdir()) == before  # nothing written or removed


@pytest.mark.parametrize("write", [_whole_module, _object_in_dict, _junk])
def test_refused_checkpoint_names_the_file(tmp_path, write):
    pytest.importorskip("torch")
    from iactdl.fit.checkpoint import load_checkpoint
    from iactdl.io import InputError

    path = tmp_path / "checkpoint.pt"
    with open(path, "wb") as f:
        write(f)
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: .*refused") as err:
        load_checkpoint(path)
    assert "weights_only=False" not in str(err.value)


JSON_BAD = {
    "empty": ("", "not valid JSON (Expecting value)"),
    "cut short": ('{"kind": "net", "net": ', "not valid JSON"),
    "a list": ("[1, 2]", "holds a JSON list; expected the model.json a train rule writes"),
    "not UTF-8": (b"\xff\xfe{}", "cannot be read"),
}


@pytest.mark.parametrize("text, message", JSON_BAD.values(), ids=JSON_BAD.keys())
def test_bad_json_names_the_file(tmp_path, text, message):
    from iactdl.io import InputError
    from iactdl.models.nets.saved import load_net

    model_dir = tmp_path / "m"
    model_dir.mkdir()
    path = model_dir / "model.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}(:\d+:\d+)?: ") as err:
        load_net(model_dir)
    assert message in str(err.value), str(err.value)


NPZ_BAD = {
    "objects": (lambda p: np.savez(p, a__b=np.array([{"x": 1}], dtype=object)), "pickled Python"),
    "junk": (lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), "truncated, damaged or not"),
    "one array (.npy)": (lambda p: np.save(open(p, "wb"), np.zeros(3)), "holds one array"),
    "missing": (lambda p: None, "file not found"),
}


@pytest.mark.parametrize("write, message", NPZ_BAD.values(), ids=NPZ_BAD.keys())
def test_bad_npz_names_the_file(tmp_path, write, message):
    from iactdl.io import InputError
    from iactdl.io.npzfile import read_npz

    path = tmp_path / "samples.npz"
    write(path)
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: ") as err:
        read_npz(path, "the shift diagnostics' samples")
    assert message in str(err.value), str(err.value)


# ---- non-finite values in build_features' input: counted per column, logged with the policy ----


def write_nonfinite_events(path: Path, column: str, value: float) -> int:
    """Write 50 events of image parameters to ``path``, ``value`` (NaN or inf) in two rows of
    ``column``; the number of events (shared with benchmarks/bad_inputs.py)."""
    from iactdl.io import write_events

    n = 50
    rng = np.random.default_rng(0)
    columns = {
        "event_id": np.arange(n, dtype=np.int64),
        "size": rng.uniform(100, 1000, n),
        "width": rng.uniform(5, 20, n),
        "length": rng.uniform(10, 40, n),
        "pointing_zd": rng.uniform(5, 30, n),
    }
    columns[column][[4, 9]] = value
    write_events(path, columns)
    return n


@pytest.mark.parametrize(
    "column, value, policy",
    [
        ("width", np.nan, "clean_ok False for those events"),
        ("size", np.inf, "clean_ok False for those events"),
        ("pointing_zd", np.nan, "kept as missing values"),
    ],
)
def test_build_features_logs_nonfinite_input_per_column(tmp_path, caplog, column, value, policy):
    import logging

    from iactdl.features.pipeline import build_features
    from iactdl.io import read_columns

    path = tmp_path / "events" / "gamma.h5"
    n = write_nonfinite_events(path, column, value)
    out = tmp_path / "features" / "gamma.h5"
    with caplog.at_level(logging.INFO, logger="iactdl.features"):
        build_features(path, out)
    kind = "NaN" if np.isnan(value) else "inf"
    assert f"{path}: NaN/inf per column: '{column}' 2 {kind} in 2 rows ({policy})" in caplog.text
    ok = read_columns(out, ["clean_ok"])["clean_ok"]
    assert ok.sum() == n - 2 * (policy != "kept as missing values")
