"""Reruns exactly what changed: the tiny DAG in a temporary copy of the repository.

The DAG is built once per session (fixture ``tiny_dag`` of tests/conftest.py, ``built`` here;
tests/test_slurm.py starts from it too) and reused. Each scenario edits the copy (a
config copy, a package module), asks Snakemake which outputs it would rebuild (``--dry-run
--summary``: plan "update pending") and compares that with the downstream closure of what was
edited, computed independently from the inputs/outputs of every job (``--detailed-summary``):

- a second ``snakemake`` call does nothing and changes no output's mtime;
- one model's hyper-parameter -> that model's train/predict/evaluate and the figures/table that
  read its outputs; nothing upstream, nothing of the other models;
- a code edit of a plotting module (iactdl/evaluate/performance_figures.py) -> figure rules only
  (figures.smk, every ``figure_*`` rule, rules that write only figures and paper tables);
- the simulator (iactdl/simulate) -> everything downstream of the simulate rules;
- source hashes follow each script's imports, code only: camera.py (the nets' hexagonal grid)
  retrains every net; a docstring and a comment in the engine rerun nothing; a stage-6 module
  retrains no plain net; a stage-5 module (adapt/nets.py) reruns the adapted nets and what reads
  them, and no plain net; one net's module (models/nets/deepsets.py) retrains that net's
  entries (deepsets, and deepsets_dann by train_adapted) and no other net's;
- SIGKILL during ``train_net`` -> the next ``snakemake`` (default profile: rerun-incomplete)
  finishes the job, resuming from {results_dir}/checkpoints/{model}.pt;
- the tiny config with the keys of every mapping in reverse order -> nothing to rebuild (params
  are compared canonically);
- the significance analysis's theta^2 candidates (directions.theta2_cuts) -> rule theta2 and
  what reads it, nothing else.

Outputs are under the tiny config's ``results_dir`` (results/tiny), read from the config.

The copy's ``src/`` goes first on PYTHONPATH, so ``src()`` hashes (and jobs import) the copy's code.
Each scenario prints its job list (``pytest -s``).
"""

from __future__ import annotations

import copy as copy_mod
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from tiny_dag import REPO, TARGETS, TINY
from tiny_dag import env as _env
from tiny_dag import run as _run
from tiny_dag import smk as _smk
from tiny_dag import table as _table

pytestmark = pytest.mark.workflow


def _pending(work: Path, configfile: str = TINY) -> dict[str, str]:
    """Output file -> rule, for every output that Snakemake would rebuild now."""
    return {
        r["output_file"]: r["rule"] for r in _table(work, configfile) if r["plan"] != "no update"
    }


def _downstream(graph: list[dict[str, str]], seeds: set[str]) -> set[str]:
    """Outputs of every job that (transitively) reads one of ``seeds`` -- and the seeds."""
    inputs = {r["output_file"]: set(filter(None, r["input-file(s)"].split(","))) for r in graph}
    # one job = one rule + its log file(s) (every rule has a log): a job's outputs rerun together
    job_of = {r["output_file"]: (r["rule"], r["log-file(s)"] or r["output_file"]) for r in graph}
    done, frontier = set(seeds), set(seeds)
    while frontier:
        new = {o for o, ins in inputs.items() if ins & frontier} - done
        jobs = {job_of[n] for n in new}
        new |= {o for o, j in job_of.items() if j in jobs} - done
        done |= new
        frontier = new
    return done


def _results_dir(work: Path, configfile: str = TINY) -> Path:
    """The config's output folder (every output, log, benchmark and the simulated events)."""
    return work / yaml.safe_load((work / configfile).read_text()).get("results_dir", "results")


def _snapshot(work: Path) -> dict[str, int]:
    files = {}
    for p in _results_dir(work).rglob("*"):
        if p.is_file():
            files[p.relative_to(work).as_posix()] = p.stat().st_mtime_ns
    return files


def _rules_in(smk: str) -> set[str]:
    """Rules (and checkpoints) defined in a rule file, also those inside an ``if`` block."""
    text = (REPO / "workflow" / "rules" / smk).read_text()
    return set(re.findall(r"^\s*(?:rule|checkpoint) (\w+):", text, flags=re.M))


def _checkpoints() -> set[str]:
    found = set()
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        found |= set(re.findall(r"^\s*checkpoint (\w+):", smk.read_text(), flags=re.M))
    return found


def _figure_rules(graph: list[dict[str, str]]) -> set[str]:
    """Rules that only draw or tabulate: those of figures.smk, every ``figure_*`` rule (stages 5-7
    draw in their own rule files), and rules whose every output is a figure or a paper table."""
    outputs: dict[str, set[str]] = {}
    for r in graph:
        outputs.setdefault(r["rule"], set()).add(r["output_file"])
    drawn = {
        rule
        for rule, outs in outputs.items()
        if all(re.search(r"/(figures|paper)/", o) for o in outs)
    }
    return _rules_in("figures.smk") | {r for r in outputs if r.startswith("figure_")} | drawn


def _behind_checkpoint(graph: list[dict[str, str]], pending: dict[str, str]) -> set[str]:
    """Outputs a dry run cannot plan while a checkpoint is due: those of jobs that only readers of
    a pending checkpoint output ask for (their input functions read the checkpoint's result, so
    Snakemake adds those jobs once the checkpoint has run again). Jobs are rule + log files."""
    chk_outputs = {r["output_file"] for r in graph if r["rule"] in _checkpoints()}
    due = chk_outputs & set(pending)
    readers: dict[str, list[set[str]]] = {}
    for r in graph:
        ins = set(filter(None, r["input-file(s)"].split(",")))
        for i in ins:
            readers.setdefault(i, []).append(ins)
    jobs: dict[tuple[str, str], set[str]] = {}
    for r in graph:
        jobs.setdefault((r["rule"], r["log-file(s)"] or r["output_file"]), set()).add(
            r["output_file"]
        )
    behind = set()
    for outs in jobs.values():
        read = [ins for o in outs for ins in readers.get(o, [])]
        if due and not outs & chk_outputs and read and all(ins & due for ins in read):
            behind |= outs
    return behind


def _show(title: str, pending: dict[str, str]) -> None:
    print(f"\n== {title}: {len(pending)} outputs to rebuild")
    for out, rule in sorted(pending.items(), key=lambda kv: (kv[1], kv[0])):
        print(f"   {rule:28s} {out}")


def _merged_config(work: Path, configfile: str = TINY) -> dict:
    """The config a run with ``--configfile`` reads: that file alone, which replaces config.yaml
    (the Snakefile; missing keys take the schema's defaults, not config.yaml's). Merging
    config.yaml under it gave the tiny MLP config.yaml's direction head, so an entry written back
    changed more than the one setting a test edits."""
    return yaml.safe_load((work / configfile).read_text())


def _edit_one_hyperparameter(entry: dict) -> tuple[str, object, object]:
    """Change the first float hyper-parameter of a model entry (else the first int): in place."""
    leaves = []

    def walk(d, path):
        for k, v in d.items():
            if isinstance(v, dict):
                walk(v, (*path, k))
            elif isinstance(v, float | int) and not isinstance(v, bool):
                leaves.append(((*path, k), d, k, v))

    walk(entry, ())
    assert leaves, f"no numeric hyper-parameter in {entry}"
    path, holder, key, old = next((x for x in leaves if isinstance(x[3], float)), leaves[0])
    holder[key] = old * 2 if isinstance(old, float) and old else old + 1
    return ".".join(path), old, holder[key]


def _model_outputs(name: str, outputs) -> set[str]:
    """Outputs that belong to model ``name`` by the path contract (a path segment is the name, or
    a model made from its entry: the adaptation study's ``{name}~{method}~s{seed}``, an ON/OFF
    model's ``{name}~oracle``). The experiment sweeps (experiments/) name their own nets, which
    may share a model's name."""
    return {
        o
        for o in outputs
        if re.search(rf"(^|/){re.escape(name)}(~[^/.]+)?(/|\.)", o) and "/experiments/" not in o
    }


# ----------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def built(tiny_dag):
    """The tiny DAG, built once per session in a temporary copy of the repository (the shared
    fixture ``tiny_dag`` of tests/conftest.py; tests/test_slurm.py starts from it too)."""
    return tiny_dag


# ------------------------------------------------------------------------------------------- tests
def test_second_run_does_nothing_and_touches_nothing(built):
    work = built["work"]
    before = _snapshot(work)
    assert set(before) >= built["outputs"] - {""}, "outputs of the DAG missing after the run"
    proc = _run(work, *TARGETS, "--configfile", TINY)
    assert "Nothing to be done" in proc.stdout + proc.stderr, proc.stdout[-3000:]
    assert _snapshot(work) == before, "a second run changed files"
    assert _pending(work) == {}


def test_one_model_hyperparameter_reruns_only_its_branch(built):
    work, graph = built["work"], built["graph"]
    config = _merged_config(work)
    models = config["models"]
    # a net if the tiny config has one (the costliest branch), else the first model
    name = next((m for m, e in models.items() if e.get("kind") == "net"), next(iter(models)))
    tiny = yaml.safe_load((work / TINY).read_text())
    entry = copy_mod.deepcopy(models[name])
    key, old, new = _edit_one_hyperparameter(entry)
    tiny.setdefault("models", {})[name] = entry
    edited = f"tests/config/tiny_edit_{name}.yaml"
    (work / edited).write_text(yaml.safe_dump(tiny, sort_keys=False))
    try:
        pending = _pending(work, edited)
    finally:
        (work / edited).unlink()
    _show(f"model {name}: {key} {old} -> {new}", pending)

    mine = _model_outputs(name, built["outputs"])
    others = set().union(*(_model_outputs(m, built["outputs"]) for m in models if m != name))
    figure_rules = _figure_rules(graph)
    assert mine, f"no outputs of model {name} in the DAG"
    assert mine <= set(pending), f"outputs of {name} not rebuilt: {sorted(mine - set(pending))}"
    assert not set(pending) & (others - mine), sorted(set(pending) & others)
    stray = {o: r for o, r in pending.items() if o not in mine and r not in figure_rules}
    assert not stray, f"rebuilt, though neither {name}'s nor a figure: {stray}"
    # exactly the training job and what (transitively) reads it: predict, evaluate, the figures
    # and the table that read its predictions/metrics
    rule_of = {r["output_file"]: r["rule"] for r in graph}
    seeds = {o for o in mine if rule_of[o].startswith("train")}
    assert seeds, f"no training output of {name}: {sorted(mine)}"
    expected = _downstream(graph, seeds) - _behind_checkpoint(graph, pending)
    assert set(pending) == expected, (
        f"missing: {sorted(expected - set(pending))}\nextra: {sorted(set(pending) - expected)}"
    )
    # the figures it feeds, the run's numbers and the article: rebuilt, so none can be stale
    out = _results_dir(work).relative_to(work).as_posix()
    article = {r["output_file"] for r in graph if r["rule"] in ("article", "paper_numbers")}
    assert article and article <= set(pending), sorted(article - set(pending))
    assert f"{out}/paper/comparison.csv" in pending, "the comparison does not read the model"


def _with_edited_module(work: Path, module: str, edit=None):
    """Context: edit a package module of the copy (restored afterwards). By default a code edit
    (a new module-level name); ``edit(text) -> text`` for another one."""
    path = work / "src" / "iactdl" / module

    class _Edit:
        def __enter__(self):
            assert path.exists(), f"{path.relative_to(work)} does not exist"
            self.original = path.read_bytes()
            text = self.original.decode()
            text = edit(text) if edit else text + "\n_EDITED_BY_TESTS = 1\n"
            assert text != self.original.decode(), f"the edit of {module} changed nothing"
            path.write_bytes(text.encode())
            return path

        def __exit__(self, *exc):
            path.write_bytes(self.original)

    return _Edit()


def _model_nets(work: Path) -> dict[str, str]:
    """Model name -> net (catalogue name) of every net entry of the tiny config; a study model
    ``{net entry}~{method}~s{seed}`` (or ``@lambda``) takes its net entry's."""
    models = _merged_config(work)["models"]
    return {name: e["net"] for name, e in models.items() if e.get("kind") == "net"}


def _net_of_output(output: str, nets: dict[str, str]) -> str | None:
    for segment in re.split(r"[/.]", output):
        entry = segment.split("~")[0]
        if entry in nets:
            return nets[entry]
    return None


def test_plotting_module_reruns_only_figure_rules(built):
    work = built["work"]
    with _with_edited_module(work, "evaluate/performance_figures.py"):
        pending = _pending(work)
    _show("edited iactdl/evaluate/performance_figures.py", pending)
    figure_rules = _figure_rules(built["graph"])
    assert pending, "editing the plotting module reran nothing"
    assert set(pending.values()) <= figure_rules, sorted(set(pending.values()) - figure_rules)


def test_camera_edit_retrains_every_net(built):
    """camera.py holds the hexagonal kernel's and the grid's masks: the hand-written lists missed
    it, so an edit changed every net's weights and reran none."""
    work, graph = built["work"], built["graph"]
    trained = {r["output_file"] for r in graph if r["rule"] == "train_net"}
    assert trained, "no train_net job in the tiny DAG"
    with _with_edited_module(work, "camera.py"):
        pending = _pending(work)
    assert trained <= set(pending), sorted(trained - set(pending))


def test_docstring_and_comment_edits_rerun_nothing(built):
    work = built["work"]

    def docs(text: str) -> str:
        text = text.replace('"""', '"""Edited by tests/test_rerun.py.\n\n', 1)  # module docstring
        return text + "\n# a comment added by tests/test_rerun.py\n"

    with _with_edited_module(work, "fit/engine.py", edit=docs):
        pending = _pending(work)
    assert pending == {}, sorted(pending.items())


def test_stage6_module_retrains_no_plain_net(built):
    work = built["work"]
    with _with_edited_module(work, "labelnoise/correction.py"):
        pending = _pending(work)
    _show("edited iactdl/labelnoise/correction.py", pending)
    rules = set(pending.values())
    assert "train_net" not in rules, sorted(o for o, r in pending.items() if r == "train_net")
    assert rules & {"train_onoff", "train_onoff_net"}, "the ON/OFF models were not retrained"


def test_stage5_module_reruns_the_adapted_nets_and_no_plain_net(built):
    """iactdl/adapt/nets.py (adapted nets through the engine's ``prepare`` hook) is imported by two
    scripts, train_adapted.py and figure_adaptation_representation.py: an edit reruns those jobs
    and what reads them, and no plain net, oracle, baseline or ON/OFF model."""
    work, graph = built["work"], built["graph"]
    seeds = {
        r["output_file"]
        for r in graph
        if r["rule"] in {"train_adapted", "figure_adaptation_representation"}
    }
    assert any(r["rule"] == "train_adapted" for r in graph), "no train_adapted job in the tiny DAG"
    with _with_edited_module(work, "adapt/nets.py"):
        pending = _pending(work)
    _show("edited iactdl/adapt/nets.py", pending)
    other_training = {"train_net", "train_oracle", "train_baseline", "train_adapted_baseline"}
    other_training |= {
        "train_onoff",
        "train_onoff_net",
        "train_onoff_oracle",
        "train_onoff_oracle_net",
    }
    wrong = {o: r for o, r in pending.items() if r in other_training}
    assert not wrong, f"retrained, though not an adapted net: {wrong}"
    expected = _downstream(graph, seeds) - _behind_checkpoint(graph, pending)
    assert set(pending) == expected, (
        f"missing: {sorted(expected - set(pending))}\nextra: {sorted(set(pending) - expected)}"
    )


def test_one_nets_module_retrains_only_that_nets_entries(built):
    """Deep Sets: the tiny config's net with two entries (deepsets by train_net, deepsets_dann by
    train_adapted), beside nets of other modules (mlp, hexcnn). The Set Transformer, which the
    tiny DAG leaves out, shares no module of its own with them (tests/test_provenance.py hashes
    its module out of the other nets' jobs)."""
    work, graph = built["work"], built["graph"]
    nets = _model_nets(work)
    assert "deepsets" in nets.values() and "mlp" in nets.values(), nets
    with _with_edited_module(work, "models/nets/deepsets.py"):
        pending = _pending(work)
    _show("edited iactdl/models/nets/deepsets.py", pending)
    trained = {o: r for o, r in pending.items() if r.startswith("train")}
    assert trained, "editing the Deep Sets net retrained nothing"
    wrong = {o: _net_of_output(o, nets) for o in trained if _net_of_output(o, nets) != "deepsets"}
    assert not wrong, f"retrained, though not a Deep Sets net: {wrong}"
    mine = {
        r["output_file"]
        for r in graph
        if r["rule"] in ("train_net", "train_adapted") and "/models/" in r["output_file"]
    }
    mine = {o for o in mine if _net_of_output(o, nets) == "deepsets"}
    assert mine, "no Deep Sets training job in the tiny DAG"
    assert mine <= set(pending), sorted(mine - set(pending))


def test_simulator_reruns_everything_downstream(built):
    work, graph = built["work"], built["graph"]
    sim_rules = _rules_in("simulate.smk")
    seeds = {r["output_file"] for r in graph if r["rule"] in sim_rules}
    assert seeds, "no simulate outputs in the DAG"
    with _with_edited_module(work, "simulate/__init__.py"):
        pending = _pending(work)
    _show("edited iactdl/simulate/__init__.py", pending)
    expected = _downstream(graph, seeds) - _behind_checkpoint(graph, pending)
    assert set(pending) == expected, (
        f"missing: {sorted(expected - set(pending))}\nextra: {sorted(set(pending) - expected)}"
    )


def _resume_checkpoint(work: Path, name: str) -> Path:
    """Where train_net keeps its per-epoch checkpoint: its ``resume`` param, under results_dir."""
    text = (REPO / "workflow" / "rules" / "deepnets.smk").read_text()
    m = re.search(r'resume=results\("([^"]+)"\)', text)
    assert m, "rule train_net has no resume=results(...) param"
    return _results_dir(work) / m[1].format(model=name)


def test_killed_training_is_finished_from_its_checkpoint(built, tmp_path):
    """SIGKILL (snakemake and the training job) during train_net, then a plain rerun.

    Both snakemake calls ask for the training job's outputs only: the rerun finishes that job from
    its checkpoint and Snakemake then counts it complete. What reads a retrained net (predict,
    evaluate, the figures, the article) reruns after it as after any training: that is
    test_one_model_hyperparameter_reruns_only_its_branch's plan, not rebuilt here."""
    src_work, graph = built["work"], built["graph"]
    config = _merged_config(src_work)
    nets = [m for m, e in config["models"].items() if e.get("kind") == "net"]
    assert nets, "the tiny config has no net model"
    name = nets[0]
    work = tmp_path / "repo"
    shutil.copytree(src_work, work, symlinks=True)  # copy2: mtimes and .snakemake metadata kept
    # more epochs for this net: its training is due again and lasts long enough to be killed
    tiny = yaml.safe_load((work / TINY).read_text())
    entry = tiny["models"][name]
    entry["epochs"] = 30
    if "patience" in entry:
        entry["patience"] = 30
    conf = "tests/config/tiny_kill.yaml"
    (work / conf).write_text(yaml.safe_dump(tiny, sort_keys=False))
    ckpt = _resume_checkpoint(work, name)
    ckpt.unlink(missing_ok=True)
    # its own folder only: the adaptation study's models of the entry ({name}~source~s1) train
    # by train_net too, and finish before the kill
    train_outputs = [
        r["output_file"]
        for r in graph
        if r["rule"] == "train_net" and f"/models/{name}/" in r["output_file"]
    ]
    assert train_outputs, f"no train_net job for {name}"

    cmd = ["snakemake", "--cores", "2", *train_outputs, "--configfile", conf]
    proc = subprocess.Popen(cmd, cwd=work, env=_env(work), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 900
    try:
        while not ckpt.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        finished_early = proc.poll() is not None
        os.killpg(proc.pid, signal.SIGKILL)  # snakemake and its job: one process group
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not finished_early, f"snakemake ended before train_net wrote {ckpt}"
    assert ckpt.exists(), f"no checkpoint {ckpt} after the first epoch"
    ckpt_bytes = ckpt.read_bytes()

    subprocess.run(["snakemake", "--unlock", "--configfile", conf], cwd=work, env=_env(work),
                   capture_output=True)  # fmt: skip
    pending = _pending(work, conf)
    _show(f"after SIGKILL during train_net of {name}", pending)
    assert set(train_outputs) <= set(pending)
    assert ckpt.read_bytes() == ckpt_bytes, "the checkpoint changed before the rerun"
    # rerun-incomplete comes from profiles/default
    again = _run(work, *train_outputs, "--configfile", conf)
    unfinished = set(train_outputs) & set(_pending(work, conf))
    assert not unfinished, f"the rerun did not finish the training job: {sorted(unfinished)}"
    log = next(r for r in graph if r["output_file"] == train_outputs[0])["log-file(s)"]
    text = "\n".join((work / f).read_text(errors="replace") for f in log.split(",") if f)
    assert re.search(r"resum", text, flags=re.I), (
        f"train_net log {log} does not say it resumed from the checkpoint:\n{text[-2000:]}"
        f"\n--- snakemake\n{again.stdout[-2000:]}"
    )


def test_benchmark_summary_has_a_row_per_benchmarked_job(built):
    work, graph = built["work"], built["graph"]
    if "benchmarks.smk" not in (work / "Snakefile").read_text():
        pytest.skip("Snakefile does not include workflow/rules/benchmarks.smk")
    _run(work, "benchmark_summary", "--configfile", TINY)
    benchmarks = _results_dir(work) / "benchmarks"
    with (benchmarks / "summary.csv").open() as f:
        rows = list(csv.DictReader(f))
    files = {r["file"] for r in rows}
    expected = {p.relative_to(work).as_posix() for p in benchmarks.rglob("*.tsv")}
    assert files == expected
    assert {"rule", "wildcards", "seconds", "max_rss_mb"} <= set(rows[0])
    benchmarked = {r["rule"] for r in rows}
    assert "train_net" in benchmarked and len(benchmarked) > 3, benchmarked
    assert all(float(r["seconds"]) >= 0 for r in rows)
    assert {r["rule"] for r in graph} >= benchmarked


def _reversed_keys(value):
    """``value`` with the keys of every mapping, at any depth, in reverse order."""
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value


def test_config_with_keys_in_another_order_reruns_nothing(built):
    """Every section of the tiny config (and every model entry, every nested mapping) with its
    keys reversed: the same values, so Snakemake must find nothing to do."""
    work = built["work"]
    tiny = yaml.safe_load((work / TINY).read_text())
    reordered = _reversed_keys(tiny)
    assert list(reordered) != list(tiny)
    assert list(reordered["models"]) != list(tiny["models"])
    conf = "tests/config/tiny_reordered.yaml"
    (work / conf).write_text(yaml.safe_dump(reordered, sort_keys=False))
    try:
        assert yaml.safe_load((work / conf).read_text()) == tiny  # same values
        pending = _pending(work, conf)
    finally:
        (work / conf).unlink()
    _show("tiny config, keys of every mapping reversed", pending)
    assert pending == {}, f"reordered keys rerun: {sorted(set(pending.values()))}"


def test_theta2_cut_candidates_rerun_only_the_significance_analysis(built):
    """directions.theta2_cuts (the significance analysis's theta^2 candidates) reaches rule
    theta2 alone: editing it reruns every model's theta^2 analysis and what reads it (plots,
    significance table, report pages, article), no region label, no model; reordering or
    repeating a candidate reruns nothing."""
    work, graph = built["work"], built["graph"]
    tiny = yaml.safe_load((work / TINY).read_text())
    cuts = tiny["directions"]["theta2_cuts"]
    edited = "tests/config/tiny_edit_theta2_cuts.yaml"
    try:
        tiny["directions"]["theta2_cuts"] = [*reversed(cuts), cuts[0]]  # the same candidates
        (work / edited).write_text(yaml.safe_dump(tiny, sort_keys=False))
        assert _pending(work, edited) == {}
        tiny["directions"]["theta2_cuts"] = [0.02, 0.05]
        (work / edited).write_text(yaml.safe_dump(tiny, sort_keys=False))
        pending = _pending(work, edited)
    finally:
        (work / edited).unlink(missing_ok=True)
    _show("directions.theta2_cuts edited", pending)
    seeds = {r["output_file"] for r in graph if r["rule"] == "theta2"}
    assert seeds, "no rule theta2 in the tiny DAG"
    expected = _downstream(graph, seeds) - _behind_checkpoint(graph, pending)
    assert set(pending) == expected, (
        f"missing: {sorted(expected - set(pending))}\nextra: {sorted(set(pending) - expected)}"
    )


def test_shift_diagnostics_run_in_the_tiny_dag_without_the_truth(built):
    """Rule shift_diagnostics is in the default target, never reads the observed truth, and writes
    its JSON, tables and figures; evaluate_shift puts the truth beside its estimates."""
    work, graph = built["work"], built["graph"]
    shift = _results_dir(work) / "shift"
    rule_of = {r["output_file"]: r for r in graph}
    diag = rule_of.get((shift / "diagnostics.json").relative_to(work).as_posix())
    assert diag is not None and diag["rule"] == "shift_diagnostics", "not in the default DAG"
    assert "observed_truth" not in diag["input-file(s)"]
    assert "observed_test" not in diag["input-file(s)"]
    result = json.loads((shift / "diagnostics.json").read_text())
    auc = result["hadron_shift"]["features"]["domain_classifier"]["auc"]
    assert 0.0 <= auc <= 1.0
    assert result["hadron_shift"]["pixels"]["channels"], "no pixel channels in the tiny DAG"
    for subset in ("all", "on", "off"):
        assert {"cc", "acc", "em"} <= set(result["label_shift"][subset])
    for name in ("feature_shift", "pixel_shift", "label_shift"):
        for ext in ("pdf", "png"):
            assert (shift / f"{name}.{ext}").stat().st_size > 0
    evaluation = json.loads((shift / "evaluation.json").read_text())
    # regions from reconstructed directions: a misreconstructed gamma can fall in an OFF region
    off, on = evaluation["off"]["true_gamma_fraction"], evaluation["on"]["true_gamma_fraction"]
    assert 0.0 <= off < on < 1.0


def test_tiny_dag_reconstructs_directions_and_writes_dl3_theta2_and_significance(built):
    """The direction task and the headline in the tiny DAG: the disp model's angular resolution
    per energy bin, the observed splits' theta^2 regions, every separation model's DL3 in FACT's
    layout with its runs' ontime, its theta^2 plot, and the significance table of every model."""
    check_directions_outputs(
        _results_dir(built["work"]), yaml.safe_load((built["work"] / TINY).read_text())
    )


def check_directions_outputs(results: Path, config: dict) -> None:
    import h5py

    from iactdl.io import read_attrs, read_columns

    metrics = json.loads((results / "metrics" / "directions.json").read_text())
    assert set(metrics["samples"]) == {"gamma", "gamma_diffuse"}
    for sample in metrics["samples"].values():
        assert 0.0 < sample["containment_68_deg"] < 3.0
        assert len(sample["angular_resolution_deg"]) == len(metrics["energy_bins_tev"]) - 1
    for ext in ("pdf", "png"):
        assert (results / "figures" / f"angular_resolution.{ext}").stat().st_size > 0
    n_off = config["directions"]["n_off"]
    cut = config["directions"]["theta2_cut"]
    total = 0
    for split in ("observed_train", "observed_val", "observed_test"):
        path = results / "datasets" / f"{split}.h5"
        cols = read_columns(path, ["region", "theta_deg", "theta_deg_off_1"])
        region = cols["region"]
        assert set(region.tolist()) <= set(range(-1, n_off + 1))
        assert ((region == 0) == (cols["theta_deg"] ** 2 < cut)).all()
        assert ((region == 1) == (cols["theta_deg_off_1"] ** 2 < cut)).all()
        assert read_attrs(path)["n_off_regions"] == n_off
        total += len(region)
    ontime = read_attrs(results / "datasets" / "observed_test.h5")["ontime_s"]
    separation = [m for m, e in config["models"].items() if e["task"] == "separation"]
    table = list(csv.DictReader((results / "paper" / "significance.csv").open()))
    assert [r["model"] for r in table[:-1]] == sorted(separation)
    assert table[-1]["model"] == "FACT open Crab analysis"
    for model in separation:
        dl3 = results / "dl3" / model / "observed_test.h5"
        with h5py.File(dl3, "r") as f:  # the columns FACT's tools (pyfact, aict-tools) read
            names = ["gamma_prediction", "gamma_energy_prediction", "theta_deg"]
            names += [f"theta_deg_off_{k}" for k in range(1, n_off + 1)]
            assert all(n in f["events"] for n in names), list(f["events"])
            n_test = len(f["events"]["theta_deg"])
            # the test split's share of the observation time
            assert abs(f["runs"]["ontime"][:].sum() - ontime * n_test / total) < 1e-6 * ontime
        counts = json.loads((results / "dl3" / model / "theta2.json").read_text())["counts"]
        assert counts["n_on"] >= 0 and counts["n_off"] >= 0 and counts["hours"] > 0
        for ext in ("pdf", "png"):
            assert (results / "figures" / "theta2" / f"{model}.{ext}").stat().st_size > 0


def test_a_replaced_model_file_reruns_its_predictions(built):
    """predict declares the model file it loads (model.skops / model.pt) as an input."""
    work, graph = built["work"], built["graph"]
    models = yaml.safe_load((work / TINY).read_text())["models"]
    baseline, other = [m for m, e in models.items() if e["kind"] == "baseline"][:2]
    model = _results_dir(work) / "models" / baseline / "model.skops"
    original, stat = model.read_bytes(), model.stat()
    try:  # another model's file in its place (same bytes would not count: Snakemake checksums)
        model.write_bytes((_results_dir(work) / "models" / other / "model.skops").read_bytes())
        pending = _pending(work)
    finally:
        model.write_bytes(original)
        os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _show(f"replaced {model.relative_to(work)}", pending)
    predictions = {
        r["output_file"]
        for r in graph
        if r["rule"] == "predict" and f"/predictions/{baseline}/" in r["output_file"]
    }
    assert predictions and predictions <= set(pending), sorted(predictions - set(pending))
    assert not {o for o, r in pending.items() if r.startswith("train")}, pending


def test_workstation_profile_nets_train_on_the_cpu_they_were_given(built):
    """profiles/default gives train_net no GPU unless the entry asks (tiny: none asks): each
    training log says so and names the device; no job asked for CUDA."""
    work = built["work"]
    logs = sorted((_results_dir(work) / "logs" / "train_net").glob("*.log"))
    assert logs, "no train_net logs"
    for log in logs:
        text = log.read_text(errors="replace")
        assert "the job was given no GPU (resource gpu=0): training on the CPU" in text, log
        assert re.search(r"training \S+ .* on cpu \(CPU \(", text), text[-2000:]
        assert "asking for CUDA" not in text, log


def test_same_seed_same_bytes(built, tmp_path):
    """A part of the DAG run a second time gives the same bytes: the random forests (threaded
    fits and predictions), a net trained again from scratch (its weights), and what they feed up
    to the metrics and the summary table.

    The second run builds only the watched files (``--forcerun`` of the trainings, the watched
    files as targets): the figures, DL3 files and the article that also read these models are
    not rebuilt, as no byte of theirs is compared here (their rebuild after a model change is
    what test_one_model_hyperparameter_reruns_only_its_branch checks). It runs in a copy of the
    built tree: history.csv holds each epoch's seconds, so the learning curves would be stale in
    the shared tree for the tests after this one."""
    src_work = built["work"]
    work = tmp_path / "repo"
    shutil.copytree(src_work, work, symlinks=True)  # copy2: mtimes and .snakemake metadata kept
    results = _results_dir(work)
    models = yaml.safe_load((work / TINY).read_text())["models"]
    forests = [m for m, e in models.items() if e.get("estimator") == "random_forest"]
    nets = [m for m, e in models.items() if e["kind"] == "net"][:1]
    assert forests and nets, models
    watched = [results / "paper" / "summary.csv"]
    watched += [results / "metrics" / f"{m}.json" for m in forests + nets]
    watched += [results / "models" / m / "cv.csv" for m in forests]
    watched += [results / "models" / m / "history.csv" for m in nets]
    watched += [results / "models" / m / "model.pt" for m in nets]  # the weights themselves
    first = {p: p.read_bytes() for p in watched}
    trained = [(results / "models" / m / "model.json").relative_to(work) for m in forests + nets]
    targets = [p.relative_to(work).as_posix() for p in watched]
    proc = _run(work, *targets, "--configfile", TINY, "--forcerun", *map(str, trained))
    ran = set(re.findall(r"^(?:local)?rule (\w+):", proc.stdout + proc.stderr, flags=re.M))
    assert {"train_baseline", "train_net", "predict", "evaluate", "summary_table"} <= ran, ran
    history = {p for p in watched if p.name == "history.csv"}  # has each epoch's seconds
    for path in watched:
        again = path.read_bytes()
        if path in history:
            again, before = (_without_columns(b, ["seconds"]) for b in (again, first[path]))
            assert again == before, f"{path.relative_to(work)} differs"
        else:
            assert again == first[path], f"{path.relative_to(work)} differs between two runs"


def _without_columns(csv_bytes: bytes, drop: list[str]) -> list[list[str]]:
    rows = list(csv.reader(csv_bytes.decode().splitlines()))
    keep = [i for i, c in enumerate(rows[0]) if c not in drop]
    return [[r[i] for i in keep] for r in rows]


# ------------------------------------------------------------------ the experiments and the report
def _edited_tiny(work: Path, name: str, edit) -> str:
    """A copy of the tiny config with ``edit(config)`` applied; returns its relative path."""
    tiny = yaml.safe_load((work / TINY).read_text())
    edit(tiny)
    path = f"tests/config/tiny_edit_{name}.yaml"
    (work / path).write_text(yaml.safe_dump(tiny, sort_keys=False))
    return path


@pytest.mark.parametrize("sweep", ["inductive_bias", "capacity", "optimisers"])
def test_one_sweep_point_setting_reruns_only_its_points_and_the_figure(built, sweep):
    """Edit the setting of one model / width / optimiser of a sweep: its points and what reads
    them rerun, no other point of any sweep, nothing upstream."""
    work, graph = built["work"], built["graph"]
    tiny = yaml.safe_load((work / TINY).read_text())["experiments"]
    out = _results_dir(work).relative_to(work).as_posix()
    if sweep == "inductive_bias":
        model = next(iter(tiny["inductive_bias"]["models"]))
        mine = f"{out}/experiments/inductive_bias/{model}/"

        def edit(c):
            c["experiments"]["inductive_bias"]["models"][model]["lr"] = 0.0042

    elif sweep == "capacity":
        width = tiny["capacity"]["widths"][-1]
        mine = f"{out}/experiments/capacity/depth1/width{width + 1}_"

        def edit(c):
            c["experiments"]["capacity"]["widths"][-1] = width + 1

    else:
        opt = next(iter(tiny["optimisers"]["learning_rates"]))
        mine = f"{out}/experiments/optimisers/mlp/{opt}/"

        def edit(c):
            c["experiments"]["optimisers"]["learning_rates"][opt] = [0.0042]

    edited = _edited_tiny(work, sweep, edit)
    try:
        pending = _pending(work, edited)
    finally:
        (work / edited).unlink()
    _show(f"experiments.{sweep}: one point's setting", pending)
    points = {o for o, r in pending.items() if r.endswith("_point")}
    assert points, f"editing {sweep} reran no point"
    assert all(o.startswith(mine) for o in points), sorted(points - {mine})
    rules = set(pending.values())
    own = {"capacity": {"capacity_point"}, "inductive_bias": {"inductive_bias_point"},
           "optimisers": {"optimiser_point", "optimiser_lr"}}[sweep]  # fmt: skip
    # figures_index: the caption quotes the sweep's config (e.g. its widths); article: the
    # article holds the sweep's figure (rule article of `paper`); table_html_<sweep>: the
    # report's page of the sweep's table (inductive_bias.csv, optimisers.csv; capacity has none)
    pages = {f"table_html_{sweep}"}
    assert rules <= own | {f"figure_{sweep}", "figures_index", "article"} | pages, rules
    assert f"figure_{sweep}" in rules
    # the old points of this sweep that the edit does not touch stay as they are
    untouched = {
        r["output_file"]
        for r in graph
        if r["rule"].endswith("_point") and not r["output_file"].startswith(mine)
    }
    assert not untouched & set(pending), sorted(untouched & set(pending))


def test_report_has_every_figure_and_table(built, tmp_path):
    """`snakemake --report` on the tiny DAG: one self-contained HTML with every paper figure and
    table, in the report's categories; results/paper/figures.md lists every figure."""
    work, graph = built["work"], built["graph"]
    out = _results_dir(work).relative_to(work).as_posix()
    report = tmp_path / "report.html"
    proc = _smk(work, "--report", str(report), *TARGETS, "--configfile", TINY, limit=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    html = report.read_text(errors="replace")
    figures = sorted(
        {r["output_file"] for r in graph if r["output_file"].startswith(f"{out}/figures/")
         and r["output_file"].endswith(".png")}
    )  # fmt: skip
    assert len(figures) >= 10, figures
    missing = [f for f in figures if Path(f).name not in html]
    assert not missing, f"figures not in the report: {missing}"
    for table in ("summary.csv", "optimisers.csv", "inductive_bias.csv", "shift_study.csv"):
        assert table in html, table
    for category in ("data", "features", "baselines and nets", "nets", "experiments",
                     "dataset shift"):  # fmt: skip
        assert category in html, category
    index = (work / out / "paper/figures.md").read_text()
    for f in figures:
        stem = f.removeprefix(f"{out}/figures/").removesuffix(".png")
        assert f"**{stem}**" in index, stem
    assert "no caption" not in index, index


def test_article_is_built_from_the_runs_numbers(built):
    """`paper` writes the run's numbers (numbers.json and the macros of numbers.tex, from the
    paper's tables) and the article: every macro it uses is defined there, each figure of the
    paper is in it, and where TeX is installed (CI) its PDF is built."""
    import shutil

    work, graph = built["work"], built["graph"]
    paper = _results_dir(work) / "paper"
    numbers = json.loads((paper / "numbers.json").read_text())
    macros = (paper / "numbers.tex").read_text()
    defined = set(re.findall(r"\\newcommand\{\\(iact[A-Za-z]+)\}", macros))
    assert defined == {"iact" + k for k in numbers}
    # the shift study's captions quote its own numbers (rule shift_study_table): the article
    # defines their macros too
    study = _results_dir(work) / "shift_study" / "numbers.tex"
    assert study.exists(), "the tiny `paper` built no shift study"
    defined |= set(re.findall(r"\\newcommand\{\\(iact[A-Za-z]+)\}", study.read_text()))
    tex = (paper / "article.tex").read_text()
    used = set(re.findall(r"\\(iact[A-Za-z]+)", tex))
    assert used and used <= defined, sorted(used - defined)
    assert "iactShifts" in used
    # a number of the text is the table's: the boosted trees' source-only AUC on observed_test
    with (paper / "comparison.csv").open() as f:
        rows = list(csv.DictReader(f))
    trees = next(r for r in rows if (r["group"], r["approach"]) == ("boosted trees", "source-only"))
    assert numbers["TreesSourceAuc"] == f"{float(trees['roc_auc']):.3f}"
    assert "iactTreesSourceAuc" in used
    figures = [r for r in graph if r["rule"] == "article"]
    inputs = set(filter(None, figures[0]["input-file(s)"].split(",")))
    pdfs = {r["output_file"] for r in graph if re.search(r"/figures/.*\.pdf$", r["output_file"])}
    assert pdfs and pdfs <= inputs, sorted(pdfs - inputs)
    assert tex.count(r"\begin{figure}") == len(pdfs)
    # the report's caption of the comparison quotes the run (figures.md renders it the same way)
    index = (paper / "figures.md").read_text()
    assert f"({numbers['ObsEvents']} events" in index and "[[" not in index
    if shutil.which("latexmk") is None or shutil.which("pdflatex") is None:
        pytest.skip("latexmk/pdflatex not installed: the article's LaTeX only (CI installs TeX)")
    assert (paper / "article.pdf").read_bytes()[:5] == b"%PDF-"
