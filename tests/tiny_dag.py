"""A shared test helper: the whole tiny DAG (``all paper`` on tests/config/tiny.yaml), built in a
temporary copy of the repository, and the Snakemake calls the workflow tests make on such a copy.

tests/conftest.py builds it once per session (fixture ``tiny_dag``) for every test that needs
the tiny DAG's outputs: tests/test_rerun.py plans reruns on it, tests/test_slurm.py runs the
model jobs of a copy of it on SLURM. Building it is most of the workflow tests' time (175 jobs).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TINY = "tests/config/tiny.yaml"
# the whole tiny DAG: the default target and `paper` (which adds the experiment sweeps)
TARGETS = ("all", "paper")
LIMIT_S = 1500  # one snakemake call, wall clock (SIGKILL after)
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".snakemake", "results", "logs", "__pycache__", ".pytest_cache", ".ruff_cache", "*.h5"
)


def env(work: Path) -> dict[str, str]:
    """Environment of a snakemake call in ``work``: the copy's package first on PYTHONPATH, so
    ``src()`` hashes (and jobs import) the copy's code."""
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(
        [str(work / "src"), environ.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    return environ


def smk(work: Path, *args: str, limit: int = LIMIT_S) -> subprocess.CompletedProcess:
    """``snakemake *args`` in ``work``, killed (SIGKILL) after ``limit`` seconds."""
    cmd = ["timeout", "-s", "KILL", str(limit), "snakemake", *args]
    return subprocess.run(cmd, cwd=work, env=env(work), capture_output=True, text=True)


def run(work: Path, *args: str) -> subprocess.CompletedProcess:
    """A real run with the copy's default profile (loaded automatically), on 2 cores."""
    proc = smk(work, "--cores", "2", *args)
    assert proc.returncode == 0, (
        f"snakemake {args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    )
    return proc


def table(work: Path, configfile: str, detailed: bool = False) -> list[dict[str, str]]:
    """Rows of ``snakemake -n --summary`` (or --detailed-summary): one per output file."""
    flag = "--detailed-summary" if detailed else "--summary"
    proc = smk(work, "--dry-run", flag, *TARGETS, "--configfile", configfile, limit=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    lines = [ln for ln in proc.stdout.splitlines() if "\t" in ln]
    header = lines[0].split("\t")
    assert header[0] == "output_file", proc.stdout[:2000]
    return [dict(zip(header, ln.split("\t"), strict=False)) for ln in lines[1:]]


def build(base: Path) -> dict:
    """Copy the repository to ``base/repo`` and build the whole tiny DAG there.

    Returns
    -------
    dict
        ``work`` (the copy), ``graph`` (rows of its ``--detailed-summary``) and ``outputs`` (every
        output file of the DAG, relative to ``work``).
    """
    work = base / "repo"
    shutil.copytree(REPO, work, ignore=COPY_IGNORE, symlinks=True)
    t0 = time.monotonic()
    run(work, *TARGETS, "--configfile", TINY)
    print(f"\ntiny DAG built in {time.monotonic() - t0:.0f} s")
    graph = table(work, TINY, detailed=True)
    assert graph, "the tiny DAG has no outputs"
    return {"work": work, "graph": graph, "outputs": {r["output_file"] for r in graph}}
