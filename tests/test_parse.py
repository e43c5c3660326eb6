"""Planning the workflow imports no torch, scikit-learn, skops, numba or matplotlib (issue 24).

Snakemake parses the Snakefile on every call (a dry run, ``--report``, ``--lint``, every SLURM job's
own start): the parse imports only what planning needs (config, names, paths, source hashes). The
checks that need those libraries run once per config and code in a child process
(:func:`iactdl.config.checked_config`), so both a first (cold) and a repeated (cached) parse stay
free of them. Measured as a ratio against ``snakemake --version`` by ``benchmarks/dag.py``.
"""

from __future__ import annotations

import json
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
