"""Planning the workflow imports no torch, scikit-learn, skops, numba or matplotlib (issue 24).

Snakemake parses the Snakefile on every call (a dry run, ``--report``, ``--lint``, every SLURM job's
own start): the parse imports only what planning needs (config, names, paths, source hashes). The
checks that need those libraries run once per config and code in a child process
(:func:`iactdl.config.checked_config`), so both a first (cold) and a repeated (cached) parse stay
free of them. Measured as a ratio against ``snakemake --version`` by ``benchmarks/dag.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "sklearn", "skops", "numba", "matplotlib")
PROBE = f"""
import json, sys
from snakemake.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
loaded = sorted(m for m in {HEAVY!r} if m in sys.modules)
print("PARSE-PROBE", json.dumps({{"exit": code, "loaded": loaded}}))
"""


def _parse(work: Path, *targets: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *targets, "--dry-run", "--quiet", "rules",
         "--directory", str(work), "--configfile", "tests/config/tiny.yaml"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    line = [x for x in proc.stdout.splitlines() if x.startswith("PARSE-PROBE")]
    assert line, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(line[-1].split(" ", 1)[1])


@pytest.mark.parametrize("targets", [("all",), ("all", "paper", "adaptation_study", "shift_study")])
def test_a_dry_run_imports_no_heavy_library(tmp_path, targets):
    cold = _parse(tmp_path, *targets)  # the config checks run (in a child process)
    assert cold == {"exit": 0, "loaded": []}
    assert list((tmp_path / ".snakemake" / "iactdl" / "config_checks").glob("*.yaml"))
    assert (tmp_path / ".snakemake" / "iactdl" / "code_index.json").is_file()
    warm = _parse(tmp_path, *targets)  # read from the caches
    assert warm == {"exit": 0, "loaded": []}


# Every job is a fresh interpreter that runs its script's imports again (issue 23: ~220 jobs per
# DAG on 2 cores), so a script must not import at its top a library its job does not use. Measured
# per script and summed over the DAGs by benchmarks/job_startup.py. These are the most numerous
# jobs of the default DAG (predict 59, dl3 32, theta2 16 of 227): they read and write events
# (pandas only in iactdl.io.read_table) and compute no AUC (scikit-learn and, through it, scipy only
# in the metrics that do); predict's model is loaded by iactdl.models.load_model, which imports
# torch for a net and skops for a baseline only then.
LIGHT_SCRIPTS = {
    "predict.py": HEAVY + ("pandas", "scipy"),
    "dl3.py": HEAVY + ("pandas", "scipy"),
    "theta2.py": HEAVY + ("pandas", "scipy"),
}


@pytest.mark.parametrize("script", sorted(LIGHT_SCRIPTS))
def test_a_job_script_imports_no_library_its_job_does_not_use(script):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from job_startup import measure, script_imports

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cost = measure(
        script_imports(ROOT / "workflow" / "scripts" / script), 1, env, LIGHT_SCRIPTS[script]
    )
    assert cost["heavy"] == [], f"{script} imports {cost['heavy']} before its job starts"
