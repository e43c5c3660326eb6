"""The catalogue of bad inputs (issue 23): each tried as a user meets it, and what the user sees.

    python benchmarks/bad_inputs.py --markdown table.md          # the whole catalogue
    python benchmarks/bad_inputs.py --no-snakemake               # without the snakemake dry runs
    python benchmarks/bad_inputs.py --cases seed-abc,fact-truncated-50   # a few, by id
    python benchmarks/bad_inputs.py --no-cases --with-rows a.json b.json --markdown table.md

Every class of bad input of issue 23, several inputs each: a full disk (every writer class, in a
2 MiB tmpfs: the child of ``tests/test_disk_full.py``; needs root), paths and names (the one name
rule, ``results_dir``), hostile YAML (nested aliases, duplicate keys), names that point at nothing,
non-finite values, model files, the config checker's command line, compressed files without their
filter, and FACT files. A config is tried through ``python -m iactdl.config FILE`` (its ``main``,
in this process) and, for one or more inputs per class, through ``snakemake -n`` in a temporary
working directory (``tests/refusal.py``); a file through the function the rule calls on it
(``extract_events``, ``build_features``, ``load_net`` ...), on a damaged copy in a temporary folder
(the real FACT files of ``../shared/fact-data`` where the input is a FACT file).

Per input: its class, the input in one line, the first line of the message the user sees (the
exception's, the checker's or Snakemake's error; the log line of a policy), whether that message
names the key, file or column (the name is looked for in it), whether it fails (a non-zero exit or
an exception: what makes the rule fail), whether anything was left (every file under the case's
temporary folder before and after: new files are partial output, a changed size, mtime or SHA-256
is a modified input). A row is a defect where a refusal was expected and the message does not name
the thing, nothing failed, something was left or an input changed. Inputs with a policy instead of
a refusal (NaN/inf dropped or flagged and logged, ``--help``) must not fail and must name the
column (or print the usage).

Prints one JSON object as its last line::

    {"benchmark": "bad_inputs", "n_inputs": ..., "per_class": {...}, "n_defects": ...,
     "defects": [...], "rows": [...], "seconds": ...}

About 30 CPU-seconds without the dry runs, 3-5 s of CPU per dry run (on a busy machine, at
nice 19, a dry run may take minutes of wall time: run them apart, ``--cases ID``, and merge the
outputs with ``--with-rows``; one that times out after 600 s is listed as not run).
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # one thread everywhere, before numpy loads its BLAS
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[_var] = "1"

import argparse  # noqa: E402
import contextlib  # noqa: E402
import hashlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FACT_DATA = ROOT.parent / "shared" / "fact-data"
TINY = ROOT / "tests" / "config" / "tiny.yaml"
FACT_CONFIG = ROOT / "tests" / "config" / "fact_examples.yaml"
sys.path.insert(0, str(ROOT / "tests"))  # the tests' helpers and damaged inputs, not copies

import test_bad_input as tb  # noqa: E402
import test_io_checks as tio  # noqa: E402
from refusal import dry_run  # noqa: E402

from iactdl.config import main as config_main  # noqa: E402

CLASSES = {
    "disk_full": "a full disk",
    "names": "paths and names",
    "hostile_yaml": "hostile YAML",
    "references": "names that point at nothing",
    "schema": "the config checker",
    "nonfinite": "non-finite values",
    "model_files": "model files",
    "compressed": "compressed files without their filter",
    "fact_files": "FACT files",
}


@dataclass
class Case:
    """One bad input: ``make(folder)`` writes its inputs, ``act(folder)`` meets them as a user
    does and returns ``(failed, message)``; ``name`` must appear in the message."""

    cls: str
    id: str
    input: str
    name: str
    act: Callable[[Path], tuple[bool, str]]
    make: Callable[[Path], None] = lambda folder: None
    how: str = "function"
    expect: str = "refused"  # "refused", or "policy": must not fail, output expected
    extra: dict = field(default_factory=dict)


# ---- how a user meets each kind of input ----


def _raised(fn: Callable[[], object]) -> tuple[bool, str]:
    """Call ``fn``: (True, the exception's text) if it raised, else (False, the log's lines)."""
    records = io.StringIO()
    handler = logging.StreamHandler(records)
    handler.setLevel(logging.INFO)
    logger = logging.getLogger("iactdl")
    old = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        fn()
    except Exception as err:  # what the rule's script would die of
        return True, f"{str(err) or type(err).__name__}"
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    lines = [line for line in records.getvalue().splitlines() if "NaN/inf" in line]
    return False, "\n".join(lines) or records.getvalue()


def _checker(*args: str) -> tuple[bool, str]:
    """``python -m iactdl.config ARGS`` (its ``main``, in this process): exit status, output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = config_main(list(args))
        except SystemExit as stop:  # argparse: --help (0), a usage error (2)
            status = stop.code
        except Exception as crash:  # a traceback is what the user would see
            status, err = 1, io.StringIO(f"Traceback: {type(crash).__name__}: {crash}")
    return status != 0, (err.getvalue() + out.getvalue()).strip()


_BOILERPLATE = re.compile(
    r"^(Using workflow specific profile|Creating specified working directory|Building DAG"
    r"|Assuming unrestricted|host:|Config file|  File \"|\w+ in (file|line) .*:$|Traceback)"
)


def _snakemake_message(out: str) -> str:
    """The error of a failed ``snakemake -n``, its chatter and traceback lines removed."""
    return "\n".join(
        line for line in out.splitlines() if line.strip() and not _BOILERPLATE.match(line)
    )


def _config_text(base: Path, key: str | None, value, raw: str = "") -> str:
    config = yaml.safe_load(base.read_text())
    if key is not None:
        *parents, last = key.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return (yaml.safe_dump(config) if key is not None or not raw else base.read_text()) + raw


def config_case(cls, id, key, value, name, *, base=TINY, raw="", text=None, snakemake=False):
    """A config with ``key`` set to ``value`` (or ``raw`` YAML appended, or ``text`` whole), tried
    through the checker (``snakemake``: through ``snakemake -n``)."""

    def content() -> str:
        return text if text is not None else _config_text(base, key, value, raw)

    if snakemake:

        def make(folder: Path) -> None:
            (folder / "config.yaml").write_text(content())

        def act(folder: Path) -> tuple[bool, str]:
            returncode, out, _ = dry_run(content(), folder)
            built = "Job stats" in out  # a DAG was built: not refused before planning
            return returncode != 0 and not built, _snakemake_message(out)

        what = f"{key} = {value!r}" if key else (text or raw).strip().splitlines()[0][:60]
        return Case(cls, id + "-smk", f"snakemake -n: {what}", name, act, make, how="snakemake -n")

    def make(folder: Path) -> None:
        (folder / "c.yaml").write_text(content())

    what = f"{key} = {value!r}" if key else (text or raw).strip().splitlines()[0][:60] + " ..."
    return Case(
        cls,
        id,
        what,
        name,
        lambda folder: _checker(str(folder / "c.yaml")),
        make,
        how="python -m iactdl.config",
    )


# ---- the catalogue ----


def _names_cases() -> list[Case]:
    cases = []
    for i, bad in enumerate(tb.BAD_NAMES):  # a model entry named so (its name is in every path)
        tiny = yaml.safe_load(TINY.read_text())
        tiny["models"][bad] = tiny["models"].pop("energy_rf")
        cases.append(
            config_case(
                "names",
                f"model-name-{i}",
                None,
                None,
                f"models.{bad}",
                text=yaml.safe_dump(tiny),
            )
        )
        cases[-1].input = f"models: a model named {bad!r}"
        cases[-1].name = repr(bad)
    for key, value, _ in tb.NAMED_KEYS:
        case = config_case("names", f"named-{key}", key, value, key.split(".")[-1])
        if key == "experiments.inductive_bias.models":  # the reference follows the new name
            tiny = yaml.safe_load(case_text(key, value))
            tiny["experiments"]["inductive_bias"]["reference"] = "x y"
            case = config_case(
                "names", f"named-{key}", None, None, "x y", text=yaml.safe_dump(tiny)
            )
            case.input = f"{key} = {value!r}"
        case.name = NAMED_KEYS[key]
        cases.append(case)
    for value in tb.SYSTEM:
        cases.append(
            config_case("names", f"results_dir-{value}", "results_dir", value, "results_dir")
        )
    cases.append(
        config_case("names", "results_dir-home", "results_dir", str(Path.home()), "results_dir")
    )
    cases.append(
        config_case("names", "results_dir-/./", "results_dir", "/./", "results_dir", snakemake=True)
    )
    cases.append(
        config_case(
            "names", "results_dir-/etc", "results_dir", "/etc", "results_dir", snakemake=True
        )
    )
    tiny = yaml.safe_load(TINY.read_text())
    tiny["models"]["../evil"] = tiny["models"].pop("energy_rf")
    case = config_case(
        "names",
        "model-name-../evil",
        None,
        None,
        "'../evil'",
        text=yaml.safe_dump(tiny),
        snakemake=True,
    )
    case.input = "snakemake -n: models: a model named '../evil'"
    cases.append(case)
    return cases


def case_text(key, value) -> str:
    return _config_text(TINY, key, value)


# the key each input of tests/test_bad_input.py's NAMED_KEYS must be named by
NAMED_KEYS = {
    "adaptation.nets": "adaptation.nets[1]",
    "shift_study.models": "shift_study.models[0]",
    "experiments.optimisers.nets": "experiments.optimisers.nets.a/b",
    "experiments.inductive_bias.models": "inductive_bias.models.x y",
    "fact.files": "fact.files",
    "simulation.n_events": "simulation.n_events",
}


def _hostile_cases() -> list[Case]:
    cases = []
    for i, (what, text) in enumerate(tb.HOSTILE.items()):
        case = config_case("hostile_yaml", f"aliases-{i}", None, None, "c.yaml", text=text)
        case.input = f"nested aliases ({what})"
        cases.append(case)
    tiny = TINY.read_text()
    duplicates = {
        "seed twice": (tiny + "\nseed: 7\n", "seed"),
        "a model entry twice": (
            tiny.replace("models:\n", "models:\n  hist_gbt: {kind: baseline}\n", 1),
            "models.hist_gbt",
        ),
        "a nested key twice": (
            "seed: 1\nsimulation:\n  chunk_size: 5\n  chunk_size: 6\n",
            "simulation.chunk_size",
        ),
    }
    for what, (text, key) in duplicates.items():
        case = config_case(
            "hostile_yaml", f"duplicate-{key}", None, None, f"duplicate key '{key}'", text=text
        )
        case.input = f"duplicate key: {what}"
        cases.append(case)
    case = config_case(
        "hostile_yaml",
        "aliases-0",
        None,
        None,
        "expands to over",
        raw=tb._laughs(9).replace("l0:", "zz_l0:", 1),
        snakemake=True,
    )
    case.input = "snakemake -n: nested aliases (lists, 9 levels), appended to tiny.yaml"
    cases.append(case)
    case = config_case(
        "hostile_yaml",
        "duplicate-seed",
        None,
        None,
        "duplicate key 'seed'",
        text=duplicates["seed twice"][0],
        snakemake=True,
    )
    case.input = "snakemake -n: duplicate key: seed twice"
    cases.append(case)
    return cases


def _reference_cases() -> list[Case]:
    cases = [
        config_case("references", f"ref-{key}-{i}", key, value, key.split(".")[-1])
        for i, (key, value, _) in enumerate(tb.REFERENCES)
    ]
    for case, (key, _, message) in zip(cases, tb.REFERENCES, strict=True):
        case.name = key if key in message else key.split(".", 1)[-1]
    cases.append(
        config_case(
            "references",
            "ref-nets-smk",
            "adaptation.nets",
            ["mlp", "no_such_net"],
            "adaptation.nets",
            snakemake=True,
        )
    )
    return cases


def _schema_cases() -> list[Case]:
    cases = []
    for key, value, _ in tb.SCHEMA_BAD:
        name = "no_such" if "no_such" in key else key
        cases.append(config_case("schema", f"schema-{key}={value}", key, value, name))
    cases.append(config_case("schema", "seed-abc", "seed", "abc", "seed", snakemake=True))
    cases.append(
        config_case("schema", "unknown-key", "no_such_key", 1, "no_such_key", snakemake=True)
    )

    def cli(id, args, name, what, make=lambda folder: None, expect="refused"):
        act = lambda folder: _checker(*[a.format(folder=folder) for a in args])  # noqa: E731
        return Case(
            "schema", id, what, name, act, make, how="python -m iactdl.config", expect=expect
        )

    def write(name, content):
        def make(folder):
            (folder / name).write_bytes(content)

        return make

    cases += [
        cli("cli-no-argument", [], "FILE", "python -m iactdl.config (no argument)"),
        cli("cli-help", ["--help"], "usage:", "python -m iactdl.config --help", expect="policy"),
        cli(
            "cli-missing-file",
            ["{folder}/none.yaml"],
            "none.yaml",
            "a config file that does not exist",
        ),
        cli("cli-folder", ["{folder}"], "{folder}", "a folder given as the config file"),
        cli(
            "cli-empty", ["{folder}/c.yaml"], "c.yaml", "an empty config file", write("c.yaml", b"")
        ),
        cli(
            "cli-syntax",
            ["{folder}/c.yaml"],
            "c.yaml",
            "a YAML syntax error (an unclosed [ on line 2)",
            write("c.yaml", b"seed: 1\nmodels: [a\n"),
        ),
        cli(
            "cli-list",
            ["{folder}/c.yaml"],
            "c.yaml",
            "a YAML list instead of a mapping",
            write("c.yaml", b"- seed\n- 1\n"),
        ),
        cli(
            "cli-binary",
            ["{folder}/c.yaml"],
            "c.yaml",
            "binary bytes (not UTF-8)",
            write("c.yaml", b"\xff\xfe\x00seed"),
        ),
        cli(
            "cli-no-schema",
            [str(TINY), "--schema", "{folder}/none.yaml"],
            "none.yaml",
            "--schema naming no file",
        ),
    ]
    return cases


def _nonfinite_cases() -> list[Case]:
    cases = []
    for column, value, policy in [
        ("width", np.nan, "clean_ok False"),
        ("size", np.inf, "clean_ok False"),
        ("pointing_zd", np.nan, "kept as missing"),
        ("length", -np.inf, "clean_ok False"),
    ]:

        def make(folder, column=column, value=value):
            tb.write_nonfinite_events(folder / "in" / "gamma.h5", column, value)

        def act(folder):
            from iactdl.features.pipeline import build_features

            return _raised(lambda: build_features(folder / "in/gamma.h5", folder / "out/gamma.h5"))

        cases.append(
            Case(
                "nonfinite",
                f"features-{column}-{value}",
                f"build_features: 2 rows {value} in '{column}' (events file)",
                f"'{column}' 2",
                act,
                make,
                expect="policy",
                extra={"policy": policy},
            )
        )
    for column, value, policy in [
        ("width", np.nan, "drop"),
        ("size", np.inf, "drop"),
        ("width", np.nan, "stop"),
        ("length", np.inf, "stop"),
    ]:

        def make(folder, column=column, value=value):
            path = _fact_copy(folder, "gamma")

            def poke(v):
                v = v.copy()
                v[[3, 17, 400]] = value
                return v

            tio._replace(path, column, poke)

        def act(folder, policy=policy):
            return _extract_fact(folder, "gamma", nan_policy=policy)

        cases.append(
            Case(
                "nonfinite",
                f"extract-{column}-{value}-{policy}",
                f"extract (FACT gamma.hdf5): 3 rows {value} in '{column}', nan_policy {policy}",
                f"'{column}'",
                act,
                make,
                expect="policy" if policy == "drop" else "refused",
            )
        )
    return cases


def _fact_copy(folder: Path, sample: str, name: str | None = None) -> Path:
    (folder / "in").mkdir(exist_ok=True)
    path = folder / "in" / (name or f"{sample}.hdf5")
    shutil.copy(FACT_DATA / f"{sample}.hdf5", path)
    path.chmod(0o644)
    return path


def _extract_fact(folder, sample, listed_as=None, nan_policy="drop", name=None):
    from iactdl.extract import extract_events

    config = yaml.safe_load(FACT_CONFIG.read_text())
    path = folder / "in" / (name or f"{sample}.hdf5")
    out = folder / "out" / "events" / f"{listed_as or sample}.h5"
    return _raised(
        lambda: extract_events(
            "fact",
            path,
            out,
            {**config["extract"], "nan_policy": nan_policy},
            config["fact"],
            sample=listed_as or sample,
        )
    )


def _model_cases() -> list[Case]:
    cases = []
    for what, (write, _) in tb.WEIGHTS.items():

        def make(folder, write=write):
            tb._replace_weights(tb._net_dir(folder), write)

        def act(folder):
            from iactdl.models.nets.saved import load_net

            return _raised(lambda: load_net(folder / "models" / "mlp"))

        cases.append(
            Case("model_files", f"weights-{what}", f"model.pt: {what}", "model.pt", act, make)
        )
    for write in (tb._whole_module, tb._object_in_dict, tb._junk):

        def make(folder, write=write):
            with open(folder / "checkpoint.pt", "wb") as f:
                write(f)

        def act(folder):
            from iactdl.fit.checkpoint import load_checkpoint

            return _raised(lambda: load_checkpoint(folder / "checkpoint.pt"))

        what = write.__name__.strip("_").replace("_", " ")
        cases.append(
            Case(
                "model_files",
                f"checkpoint-{what}",
                f"checkpoint.pt: {what}",
                "checkpoint.pt",
                act,
                make,
            )
        )
    for what, (text, _) in tb.JSON_BAD.items():

        def make(folder, text=text):
            (folder / "m").mkdir()
            (folder / "m" / "model.json").write_bytes(
                text if isinstance(text, bytes) else text.encode()
            )

        def act(folder):
            from iactdl.models.nets.saved import load_net

            return _raised(lambda: load_net(folder / "m"))

        cases.append(
            Case("model_files", f"json-{what}", f"model.json: {what}", "model.json", act, make)
        )
    for what, (write, _) in tb.NPZ_BAD.items():

        def make(folder, write=write):
            write(folder / "samples.npz")

        def act(folder):
            from iactdl.io.npzfile import read_npz

            return _raised(
                lambda: read_npz(folder / "samples.npz", "the shift diagnostics' samples")
            )

        cases.append(
            Case("model_files", f"npz-{what}", f"samples.npz: {what}", "samples.npz", act, make)
        )
    return cases


# a child without hdf5plugin (as if not installed): extract reads a compressed FACT file
_EXTRACT_WITHOUT_PLUGIN = """
import sys
sys.modules["hdf5plugin"] = None
import yaml
from iactdl.extract import extract_events
from iactdl.io.hdf5 import InputError
config = yaml.safe_load(open(sys.argv[3]))
try:
    extract_events(
        "fact", sys.argv[1], sys.argv[2], config["extract"], config["fact"], sample="gamma"
    )
except InputError as err:
    print(err)
    sys.exit(1)
"""


def _compressed_cases() -> list[Case]:
    cases = []

    def without_plugin(script, *args):
        env = {**os.environ, "HDF5_PLUGIN_PATH": "/nonexistent", "PYTHONPATH": str(ROOT / "src")}
        proc = subprocess.run(
            [sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, env=env
        )
        return proc.returncode != 0, (proc.stdout + proc.stderr).strip()

    for kind in ("Blosc", "LZ4", "Bitshuffle", "Zstd"):

        def make(folder, kind=kind):
            import h5py
            import hdf5plugin

            with h5py.File(folder / "gamma.hdf5", "w") as f:
                size = np.linspace(10, 1000, 5000)
                f.create_dataset(
                    "events/size", data=size, chunks=(500,), **getattr(hdf5plugin, kind)()
                )

        cases.append(
            Case(
                "compressed",
                f"filter-{kind}",
                f"read_columns: 'size' compressed with {kind}, no hdf5plugin",
                "gamma.hdf5",
                lambda folder: without_plugin(tb._READ_WITHOUT_PLUGIN, folder / "gamma.hdf5"),
                make,
            )
        )

    def make_fact(folder):
        import h5py
        import hdf5plugin

        (folder / "in").mkdir()
        with (
            h5py.File(FACT_DATA / "gamma.hdf5") as src,
            h5py.File(folder / "in/gamma.hdf5", "w") as dst,
        ):
            for name, ds in src["events"].items():
                data = ds[:]
                opts = hdf5plugin.Blosc(cname="zstd") if data.dtype.kind in "fiub" else {}
                dst.create_dataset(f"events/{name}", data=data, **opts)

    cases.append(
        Case(
            "compressed",
            "fact-blosc-zstd",
            "extract: FACT gamma.hdf5 as pyfact writes it (blosc:zstd), no hdf5plugin",
            "gamma.hdf5",
            lambda folder: without_plugin(
                _EXTRACT_WITHOUT_PLUGIN,
                folder / "in/gamma.hdf5",
                folder / "out/events/gamma.h5",
                FACT_CONFIG,
            ),
            make_fact,
        )
    )
    return cases


def _fact_cases(snakemake: bool) -> list[Case]:
    cases = []

    def damaged(id, what, damage, sample="gamma", listed_as=None, name_in="gamma.hdf5"):
        def make(folder):
            damage(_fact_copy(folder, sample))

        cases.append(
            Case(
                "fact_files",
                f"fact-{id}",
                f"extract: FACT {sample}.hdf5 {what}"
                + (f", listed as {listed_as}" if listed_as else ""),
                name_in,
                lambda folder: _extract_fact(folder, sample, listed_as),
                make,
            )
        )

    for fraction in (0.1, 0.5, 0.99):
        damaged(
            f"truncated-{int(fraction * 100)}",
            f"truncated at {fraction:.0%}",
            tio._truncate(fraction),
        )
    damaged("zeroed-header", "with a zeroed header", tio._damage_header)
    damaged("empty", "empty (0 bytes)", tio._empty)
    damaged("csv", "a CSV file named .hdf5", tio._text)
    damaged("proton-as-gamma", "(protons)", lambda p: None, "proton", "gamma", "proton.hdf5")
    damaged("gamma-as-proton", "(gammas)", lambda p: None, "gamma", "proton", "gamma.hdf5")

    def drop(column):
        def damage(path):
            import h5py

            with h5py.File(path, "a") as f:
                del f["events"][column]

        return damage

    damaged("no-size", "without the column 'size'", drop("size"), name_in="'size'")
    damaged(
        "no-particle-id",
        "without 'corsika_run_header_particle_id'",
        drop("corsika_run_header_particle_id"),
        name_in="corsika_run_header_particle_id",
    )
    damaged(
        "short-width",
        "with 'width' one row short",
        lambda p: tio._replace(p, "width", lambda v: v[:-1]),
        name_in="'width'",
    )
    damaged(
        "text-size",
        "with 'size' as text",
        lambda p: tio._replace(p, "size", lambda v: v.astype("S12")),
        name_in="'size'",
    )
    damaged(
        "2d-length",
        "with 'length' of shape (n, 2)",
        lambda p: tio._replace(p, "length", lambda v: np.stack([v, v], 1)),
        name_in="'length'",
    )

    def no_events(path):
        import h5py

        with h5py.File(path, "a") as f:
            f.move("events", "evts")

    damaged("no-events-group", "with its group 'events' renamed", no_events, name_in="events")

    def dl3(folder):
        (folder / "in").mkdir()
        shutil.copy(FACT_DATA / "crab_dl3_small.hdf5", folder / "in" / "observed.hdf5")

    cases.append(
        Case(
            "fact_files",
            "fact-dl3-as-observed",
            "extract: crab_dl3_small.hdf5 (DL3, no image features) as fact.files.observed",
            "observed.hdf5",
            lambda folder: _extract_fact(folder, "observed"),
            dl3,
        )
    )
    cases.append(
        Case(
            "fact_files",
            "fact-missing",
            "extract: a FACT file that does not exist",
            "gamma.hdf5",
            lambda folder: _extract_fact(folder, "gamma"),
        )
    )

    def listing(id, spec, what, name):
        def make(folder):
            (folder / "copy").mkdir()
            for n in ("run_1.hdf5", "copy/run_1.hdf5"):
                (folder / n).write_bytes(b"")

        def act(folder):
            from iactdl.io.run_files import fact_sample_files, part_names

            key = "fact.files.observed"
            return _raised(lambda: part_names(fact_sample_files(spec, folder, key), key))

        cases.append(
            Case("fact_files", f"fact-list-{id}", f"fact.files.observed: {what}", name, act, make)
        )

    listing("glob-nothing", "nothing_*.hdf5", "a glob matching nothing", "fact.files.observed")
    listing("missing", ["run_1.hdf5", "gone.hdf5"], "a list naming a missing file", "gone.hdf5")
    listing("same-stem", ["run_1.hdf5", "copy/run_1.hdf5"], "two files of the same name", "run_1")
    listing(
        "not-a-list", {"a": "run_1.hdf5"}, "a mapping instead of a path or list", "expected a path"
    )
    listing("a-number", 7, "a number instead of a path", "expected a path")

    base = FACT_CONFIG
    if (FACT_DATA / "gamma.hdf5").exists():
        cases.append(
            config_case(
                "fact_files",
                "fact-glob-nothing",
                "fact.files.gamma",
                "/nonexistent/gamma_*.hdf5",
                "fact.files.gamma",
                base=base,
                snakemake=True,
            )
        )
        cases.append(
            config_case(
                "fact_files",
                "fact-gone",
                "fact.files.proton",
                ["../shared/fact-data/proton.hdf5", "/nonexistent/p.hdf5"],
                "fact.files.proton",
                base=base,
                snakemake=True,
            )
        )
    return cases


def _disk_full_cases() -> list[Case]:
    """The full-disk writers of tests/test_disk_full.py, run once in their child; one row each."""
    import test_disk_full as tdf

    results: dict = {}

    def run_child() -> dict:
        if results:
            return results
        folder = Path(tempfile.mkdtemp(prefix="iactdl-tinyfs-"))
        try:
            found, status, _ = tdf.run_child_on_full_disk(folder, timeout=600)
        except tdf.NoTinyDisk as why:
            results["_skip"] = str(why)
            return results
        finally:
            folder.rmdir()
        results.update(found)
        results["_status"] = status
        return results

    cases = []
    for kind, target in tdf.WRITERS.items():

        def act(folder, kind=kind):
            got = run_child()
            if "_skip" in got:
                return False, f"skipped: {got['_skip']}"
            if kind not in got:
                return True, f"the writing process died ({got['_status']}) before {kind}"
            r = got[kind]
            (folder / "left.json").write_text(json.dumps(r.get("left", [])))  # read by run_case
            return r["error"] is not None, r.get("message") or "(written without an error)"

        cases.append(
            Case(
                "disk_full",
                f"disk-{kind}",
                f"{kind} writer: {target} into a full 2 MiB tmpfs",
                target.replace("observed_train.h5", "observed_"),
                act,
            )
        )
    return cases


def catalogue(snakemake: bool = True) -> list[Case]:
    """Every bad input, in class order; without the ``snakemake -n`` ones if not ``snakemake``."""
    cases = (
        _disk_full_cases()
        + _names_cases()
        + _hostile_cases()
        + _reference_cases()
        + _schema_cases()
        + _nonfinite_cases()
        + _model_cases()
        + _compressed_cases()
        + _fact_cases(snakemake)
    )
    return [c for c in cases if snakemake or c.how != "snakemake -n"]


# ---- running a case: what it left, what it changed ----


def _state(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under ``folder``: size, mtime (ns) and SHA-256."""
    state = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            state[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns, digest)
    return state


def run_case(case: Case) -> dict:
    """Meet ``case`` in a fresh temporary folder; its row."""
    folder = Path(tempfile.mkdtemp(prefix="iactdl-bad-"))
    try:
        case.make(folder)
        before = _state(folder)
        t0 = time.perf_counter()
        try:
            failed, message = case.act(folder)
        except subprocess.TimeoutExpired as err:  # a busy machine: no answer, not a refusal
            failed, message = None, f"not run to its end: timed out after {err.timeout:.0f} s"
        seconds = time.perf_counter() - t0
        after = _state(folder)
        left = sorted(set(after) - set(before))
        if (folder / "left.json").exists():  # a full disk's own folder (the tmpfs)
            left = [n for n in left if n != "left.json"] + json.loads(
                (folder / "left.json").read_text()
            )
        modified = sorted(k for k in before if after.get(k) != before[k])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    message = message.replace(str(folder), "TMP")
    message = re.sub(re.escape(tempfile.gettempdir()) + r"/iactdl-tinyfs-\w+", "TINYFS", message)
    name = case.name.replace("{folder}", "TMP")
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):  # a header ("invalid config (1 error(s)):")
        lines[0] += " " + lines.pop(1)
    row = {
        "class": case.cls,
        "id": case.id,
        "input": case.input,
        "how": case.how,
        "expect": case.expect,
        "message": lines[0] if lines else "",
        "names_it": bool(name) and name in message,
        "fails": bool(failed),
        # Snakemake's own state (.snakemake/: the cached result of a config check that passed,
        # before a later check, e.g. of fact.files on disk, refused) is no output of the run
        "partial": [n for n in left if ".snakemake/" not in n] if case.expect == "refused" else [],
        "snakemake_state": [n for n in left if ".snakemake/" in n],
        "input_modified": modified,
        "seconds": round(seconds, 2),
    }
    if case.expect == "refused":
        row["defect"] = [
            what
            for what, bad in [
                ("accepted", not row["fails"]),
                ("does not name it", not row["names_it"]),
                ("partial output", bool(row["partial"])),
                ("input modified", bool(modified)),
            ]
            if bad
        ]
    else:
        row["defect"] = [
            what
            for what, bad in [
                ("failed", row["fails"]),
                ("does not name it", not row["names_it"]),
                ("input modified", bool(modified)),
            ]
            if bad
        ]
    if message.startswith(("skipped: ", "not run to its end: ")):
        row["defect"] = []
        row["skipped"] = True
    row["full_message"] = message[:2000]
    return row


def markdown(rows: list[dict]) -> str:
    """The closing note's table: the count per class, then one line per input."""

    def cell(text: str, n: int = 160) -> str:
        text = text if len(text) <= n else text[: n - 3] + "..."
        return text.replace("|", "\\|").replace("\n", " ")

    yes = lambda b: "yes" if b else "no"  # noqa: E731
    order = list(CLASSES)
    rows = sorted(rows, key=lambda row: order.index(row["class"]))  # stable: catalogue order
    counts = {}
    for row in rows:
        c = counts.setdefault(row["class"], [0, 0])
        c[0] += not row.get("skipped")  # a timed-out or skipped input was not tried
        c[1] += bool(row["defect"])
    out = ["| class | inputs tried | defects |", "|---|---:|---:|"]
    out += [f"| {CLASSES[k]} | {n} | {d} |" for k, (n, d) in counts.items()]
    total = sum(n for n, _ in counts.values())
    out += [f"| **total** | **{total}** | **{sum(d for _, d in counts.values())}** |", ""]
    out += [
        "| # | class | input | how | first line of the message | names it | fails | "
        "partial output | input modified | defect |",
        "|---:|---|---|---|---|---|---|---|---|---|",
    ]
    for i, row in enumerate(rows, 1):
        fails = yes(row["fails"]) + ("" if row["expect"] == "refused" else " (policy: no)")
        if row.get("skipped"):
            fails = "not run"
        out.append(
            f"| {i} | {CLASSES[row['class']]} | {cell(row['input'], 90)} | {row['how']} | "
            f"{cell(row['message'])} | {yes(row['names_it'])} | {fails} | "
            f"{cell(', '.join(row['partial'])) or 'no'}"
            f"{' (.snakemake: a cached config check)' if row.get('snakemake_state') else ''} | "
            f"{cell(', '.join(row['input_modified'])) or 'no'} | "
            f"{'; '.join(row['defect']) or '-'} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--markdown", type=Path, help="write the table (count per class, every row)")
    ap.add_argument("--no-snakemake", action="store_true", help="skip the snakemake -n cases")
    ap.add_argument("--cases", help="comma-separated case ids (default: every case)")
    ap.add_argument("--classes", help="comma-separated classes (default: every class)")
    ap.add_argument(
        "--with-rows",
        type=Path,
        nargs="*",
        default=[],
        help="JSON outputs of earlier runs: their rows come first (e.g. the slow snakemake "
        "cases run apart); with --no-cases, only theirs",
    )
    ap.add_argument("--no-cases", action="store_true", help="run no case (see --with-rows)")
    args = ap.parse_args(argv)
    snakemake = not args.no_snakemake and shutil.which("snakemake") is not None
    cases = catalogue(snakemake)
    if not FACT_DATA.exists():
        cases = [c for c in cases if "fact" not in c.id and "extract" not in c.id]
    if args.cases:
        wanted = args.cases.split(",")
        unknown = sorted(set(wanted) - {c.id for c in cases})
        if unknown:
            raise SystemExit(f"--cases: unknown id(s) {unknown}")
        cases = [c for c in cases if c.id in wanted]
    if args.classes:
        cases = [c for c in cases if c.cls in args.classes.split(",")]
    if args.no_cases:
        cases = []
    t0 = time.perf_counter()
    rows = [
        row
        for path in args.with_rows
        for row in json.loads(path.read_text().strip().splitlines()[-1])["rows"]
    ]
    for case in cases:
        rows.append(run_case(case))
        row = rows[-1]
        print(
            f"{case.cls:13s} {case.id[:40]:40s} {'FAIL' if row['fails'] else 'ok  '} "
            f"{row['seconds']:6.1f}s {'DEFECT ' + str(row['defect']) if row['defect'] else ''}"
            f"  {row['message'][:100]}",
            file=sys.stderr,
            flush=True,
        )
    if args.markdown:
        args.markdown.write_text(markdown(rows))
    per_class = {}
    for row in rows:
        per_class[row["class"]] = per_class.get(row["class"], 0) + 1
    defects = [f"{r['id']}: {'; '.join(r['defect'])}" for r in rows if r["defect"]]
    return {
        "benchmark": "bad_inputs",
        "n_inputs": len(rows),
        "per_class": per_class,
        "n_snakemake": sum(r["how"] == "snakemake -n" for r in rows),
        "n_defects": len(defects),
        "defects": defects,
        "seconds": round(time.perf_counter() - t0, 1),
        "rows": rows,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
