"""The fixed start-up cost of every job (issue 23): the CPU seconds a rule's Python process spends
importing before it does any work, per script and summed over a DAG.

Every rule of the workflow runs a ``script:``: Snakemake writes the script behind its preamble
(``pickle``, ``snakemake.logging``, ``snakemake.iocontainers``, the unpickled job object) and
starts a fresh interpreter on it, so each job pays the interpreter's start-up, the preamble's
imports and its script's imports again. For each script of ``workflow/scripts`` this runs, in a
child process and ``--repeats`` times (median), the script's own import statements (every
``import`` of the script, read from its syntax tree, not its body) after the preamble's, and
measures CPU seconds (user + system, ``resource.getrusage``) around each part inside the child and
of the whole child (``wait4``): CPU, not wall, because the machine this runs on is usually busy.
The child also reports which heavy libraries (torch, scikit-learn, skops, matplotlib, scipy, numba,
pandas) the script's imports loaded (not already loaded by the preamble).

The jobs of each script come from a dry run of a DAG (``snakemake -n --quiet rules``: its Job
stats table) in an empty scratch directory, and the rule -> script map from the parsed workflow
(Snakemake's API; ``"../scripts/{params.script}"`` resolved through the rule's ``script``
param). The DAGs: the default (``config.yaml``, target ``all``) and the tests' tiny one
(``tests/config/tiny.yaml``, ``all paper``).

Prints one JSON object as its last line::

    {"benchmark": "job_startup", "interpreter_cpu_s": ..., "preamble_cpu_s": ...,
     "scripts": {"predict.py": {"imports_cpu_s": ..., "process_cpu_s": ..., "heavy": [...],
                 "jobs": {"default": 40, "tiny": 38}, "import_cpu_s": {"default": ...}}, ...},
     "dags": {"default": {"jobs": 227, "import_cpu_s": ..., "process_cpu_s": ...}, ...}}

``imports_cpu_s``: the script's imports alone; ``process_cpu_s``: the whole child (interpreter,
preamble and imports), what a job spends before its first line of work. A DAG's ``import_cpu_s``
and ``process_cpu_s`` are these times its jobs of each script, summed.

Usage: ``PYTHONPATH=src python benchmarks/job_startup.py [--repeats 3] [--dags default tiny]
[--scripts predict.py evaluate.py] [--jobs-from earlier.json] [--job-stats default=LOG]
[--scratch DIR]``; the package measured is the first ``iactdl`` on ``PYTHONPATH``
(``PYTHONPATH=/work/main/src`` measures another checkout's code with this repository's scripts
and DAG). On a busy machine a dry run takes minutes of wall: ``--job-stats`` takes a finished
run's table instead, ``--jobs-from`` an earlier call's counts (a before/after pair).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "workflow" / "scripts"
HEAVY = ("torch", "sklearn", "skops", "matplotlib", "scipy", "numba", "pandas")
# name -> (configfile, targets)
DAGS = {
    "default": ("config.yaml", ("all",)),
    "tiny": ("tests/config/tiny.yaml", ("all", "paper")),
}
# What Snakemake's Python preamble imports before the script's first line (snakemake/script,
# PythonScript.generate_preamble, 9.27): pickle, the job object's classes, its logger.
PREAMBLE = (
    "import pickle\nimport snakemake.io\n"
    "from snakemake.logging import logger\nfrom snakemake.iocontainers import Snakemake\n"
)
PROBE = """
import json, resource, sys
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
heavy = json.loads(sys.argv[3])
c0 = cpu()
exec(compile(sys.argv[1], "<preamble>", "exec"))
c1 = cpu()
before = {m for m in heavy if m in sys.modules}
exec(compile(sys.argv[2], "<script imports>", "exec"))
c2 = cpu()
after = sorted(m for m in heavy if m in sys.modules and m not in before)
print("STARTUP-PROBE", json.dumps({"preamble": c1 - c0, "imports": c2 - c1, "heavy": after}))
"""
# the rule -> script map of the parsed workflow, printed as JSON (argv: configfile, workdir)
RULE_SCRIPTS = """
import json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import (
    ConfigSettings, OutputSettings, ResourceSettings, StorageSettings,
)
with SnakemakeApi(OutputSettings()) as api:
    workflow = api.workflow(
        resource_settings=ResourceSettings(cores=2),
        config_settings=ConfigSettings(configfiles=[Path(sys.argv[1]).resolve()]),
        storage_settings=StorageSettings(),
        snakefile=Path("Snakefile").resolve(),
        workdir=Path(sys.argv[2]),
    )._workflow
    scripts = {}
    for rule in workflow.rules:
        script = rule.script
        if script and "{params.script}" in script:  # train_net and the rules that reuse it
            script = script.replace("{params.script}", dict(rule.params.items())["script"])
        scripts[rule.name] = Path(script).name if script else None
print("RULE-SCRIPTS", json.dumps(scripts))
"""


def script_imports(path: Path) -> str:
    """The import statements of a script (every ``import``/``from ... import`` in its syntax
    tree, in order, ``from __future__`` left out), as source: what the script's process imports
    before its first line of work."""
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Import) or (isinstance(n, ast.ImportFrom) and n.module != "__future__")
    ]
    return "\n".join(ast.unparse(n) for n in sorted(nodes, key=lambda n: n.lineno))


def _child(code: list[str], env: dict[str, str]) -> tuple[str, float]:
    """Output and CPU seconds (user + system, ``wait4``) of ``python -c code[0] code[1:]``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", *code],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"python -c {code[0][:60]!r}... failed:\n{out[-3000:]}")
    return out, usage.ru_utime + usage.ru_stime


def measure(
    imports: str, repeats: int, env: dict[str, str], heavy: tuple[str, ...] = HEAVY
) -> dict:
    """Median CPU seconds of the preamble, the imports and the whole process over ``repeats``
    children, and which of the libraries ``heavy`` the imports loaded (not the preamble)."""
    runs = []
    for _ in range(repeats):
        out, process = _child([PROBE, PREAMBLE, imports, json.dumps(heavy)], env)
        line = [x for x in out.splitlines() if x.startswith("STARTUP-PROBE")][-1]
        runs.append({**json.loads(line.split(" ", 1)[1]), "process": process})
    med = lambda key: round(statistics.median(r[key] for r in runs), 3)  # noqa: E731
    return {
        "imports_cpu_s": med("imports"),
        "preamble_cpu_s": med("preamble"),
        "process_cpu_s": med("process"),
        "heavy": runs[-1]["heavy"],
    }


def job_stats(text: str, source: str) -> dict[str, int]:
    """Jobs per rule from the first ``Job stats:`` table of a Snakemake output or log."""
    if "Job stats:" not in text:
        raise ValueError(f"{source}: no 'Job stats:' table (a dry run's output or a run's log)")
    table = text[text.index("Job stats:") :].split("\ntotal", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, flags=re.M)}


def dag_jobs(
    name: str, work: Path, env: dict[str, str], stats: Path | None = None
) -> dict[str, int]:
    """Jobs per script of DAG ``name``: from a dry run in the directory ``work`` or, given, the
    Job stats table of the file ``stats`` (a finished run's ``.snakemake/log``); rules without a
    script (targets that only gather inputs) are left out."""
    configfile, targets = DAGS[name]
    if stats is not None:
        counts = job_stats(stats.read_text(), str(stats))
    else:
        proc = subprocess.run(
            ["snakemake", "--dry-run", "--quiet", "rules", "--cores", "2", *targets,
             "--directory", str(work), "--configfile", configfile],
            cwd=REPO, env=env, capture_output=True, text=True,
        )  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(
                f"dry run of {name} failed:\n{proc.stdout[-2000:]}{proc.stderr[-3000:]}"
            )
        counts = job_stats(proc.stdout, f"dry run of {name}")
    out, _ = _child([RULE_SCRIPTS, str(REPO / configfile), str(work)], env)
    line = [x for x in out.splitlines() if x.startswith("RULE-SCRIPTS")][-1]
    scripts = json.loads(line.split(" ", 1)[1])
    per_script: dict[str, int] = {}
    for rule, n in counts.items():
        if scripts.get(rule):
            per_script[scripts[rule]] = per_script.get(scripts[rule], 0) + n
    return per_script


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="children per script (median)")
    ap.add_argument("--dags", nargs="*", default=list(DAGS), choices=list(DAGS))
    ap.add_argument("--scripts", nargs="*", help="script names (default: those the DAGs run)")
    ap.add_argument(
        "--jobs-from",
        type=Path,
        help="an earlier output of this benchmark: its jobs per script instead of the dry runs "
        "(the same DAGs, another checkout's package measured)",
    )
    ap.add_argument(
        "--job-stats",
        nargs="*",
        default=[],
        metavar="DAG=FILE",
        help="a DAG's jobs per rule from the Job stats table of FILE (a finished run's "
        ".snakemake/log of the same code and config) instead of its dry run",
    )
    ap.add_argument(
        "--scratch",
        type=Path,
        help="directory of the dry runs (default: a temporary one); kept, so a second call "
        "reuses Snakemake's config-check cache there",
    )
    ap.add_argument("--out", type=Path, help="also write the JSON here, after every script")
    args = ap.parse_args(argv)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

    jobs: dict[str, dict[str, int]] = {}
    if args.jobs_from:
        earlier = json.loads(args.jobs_from.read_text().strip().splitlines()[-1])["jobs"]
        jobs = {name: earlier[name] for name in args.dags}
    else:
        stats = dict(x.split("=", 1) for x in args.job_stats)
        with tempfile.TemporaryDirectory(prefix="iactdl-startup-") as tmp:
            for name in args.dags:
                work = (args.scratch or Path(tmp)) / name
                jobs[name] = dag_jobs(name, work, env, stats.get(name) and Path(stats[name]))
    # the most jobs first: on a busy machine a call stopped part-way has measured the big terms
    total = lambda s: sum(per.get(s, 0) for per in jobs.values())  # noqa: E731
    names = args.scripts or sorted({s for per in jobs.values() for s in per}, key=total)[::-1]
    interpreter = statistics.median(_child(["pass"], env)[1] for _ in range(args.repeats))
    scripts = {}
    for script in names:
        cost = measure(script_imports(SCRIPTS / script), args.repeats, env)
        n = {dag: jobs[dag].get(script, 0) for dag in args.dags}
        scripts[script] = {
            **cost,
            "jobs": n,
            "import_cpu_s": {dag: round(k * cost["imports_cpu_s"], 2) for dag, k in n.items()},
        }
        print(script, json.dumps(scripts[script]), file=sys.stderr, flush=True)
        if args.out:  # rewritten after every script: what a stopped call had measured
            result = summary(scripts, jobs, args, interpreter)
            args.out.write_text(json.dumps(result) + "\n")
    return summary(scripts, jobs, args, interpreter)


def summary(scripts: dict, jobs: dict, args: argparse.Namespace, interpreter: float) -> dict:
    """The benchmark's JSON: the scripts measured so far and each DAG's sums over them
    (``measured_jobs`` of its ``jobs``)."""
    dags = {}
    for dag in args.dags:
        runs = [(s, c, c["jobs"][dag]) for s, c in scripts.items() if c["jobs"][dag]]
        dags[dag] = {
            "configfile": DAGS[dag][0],
            "targets": list(DAGS[dag][1]),
            "jobs": sum(jobs[dag].values()),
            "measured_jobs": sum(n for *_, n in runs),
            "import_cpu_s": round(sum(n * c["imports_cpu_s"] for _, c, n in runs), 1),
            "process_cpu_s": round(sum(n * c["process_cpu_s"] for _, c, n in runs), 1),
            "top": sorted(
                ((s, round(n * c["imports_cpu_s"], 1)) for s, c, n in runs),
                key=lambda x: -x[1],
            )[:8],
        }
    import iactdl  # the package the children imported (the first on PYTHONPATH)

    return {
        "benchmark": "job_startup",
        "package": str(Path(iactdl.__file__).parent),
        "interpreter_cpu_s": round(interpreter, 3),
        "preamble_cpu_s": round(
            statistics.median(c["preamble_cpu_s"] for c in scripts.values()), 3
        ),
        "scripts": scripts,
        "dags": dags,
        "jobs": jobs,  # per DAG and script, all of them (measured or not)
        "repeats": args.repeats,
        "python": sys.version.split()[0],
    }


if __name__ == "__main__":
    print(json.dumps(main()))
