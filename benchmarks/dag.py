"""How long `snakemake -n` takes when there is nothing to do (issue 6: target < 3 s).

Builds the DAG's outputs in a temporary copy of the repository without running any job
(empty files named by ``snakemake -n --summary``, then ``snakemake --touch`` puts their mtimes in
DAG order) or uses an existing, finished working copy
(``--repo``), then times ``snakemake --dry-run`` there ``--repeats`` times. The reference measured
side by side is the fixed start-up cost of the same interpreter + Snakemake (``snakemake
--version``): the DAG's own cost is the difference.

Prints one JSON object as its last line::

    {"benchmark": "dag", "dry_run_s": ..., "reference": "snakemake --version",
     "reference_s": ..., "ratio": ..., "target_s": 3.0, "ok": true, "n_jobs": ..., ...}

Usage: ``python benchmarks/dag.py [--configfile tests/config/tiny.yaml] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns(
    ".git", ".snakemake", "results", "logs", "__pycache__", ".pytest_cache", ".ruff_cache", "*.h5"
)


def _timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return dt, proc.stdout + proc.stderr


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configfile", default="config.yaml", help="config whose DAG is timed")
    ap.add_argument("--repeats", type=int, default=5, help="timed dry runs (median reported)")
    ap.add_argument("--repo", type=Path, help="finished working copy to time (no --touch build)")
    ap.add_argument("--target-s", type=float, default=3.0)
    args = ap.parse_args(argv)

    tmp = None
    if args.repo is None:
        tmp = Path(tempfile.mkdtemp(prefix="iactdl-dag-"))
        work = tmp / "repo"
        shutil.copytree(REPO, work, ignore=IGNORE, symlinks=True)
    else:
        work = args.repo.resolve()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(work / "src"), env.get("PYTHONPATH", "")])
    conf = ["--configfile", args.configfile]
    try:
        if tmp is not None:  # every output (and log) as an empty file, in DAG order, no job run
            summary = _timed(["snakemake", "--dry-run", "--summary", *conf], work, env)[1]
            for line in summary.splitlines():
                cols = line.split("\t")
                if len(cols) >= 6 and cols[0] != "output_file":
                    for name in [cols[0], *cols[3].split(",")]:
                        if name.strip() and name.strip() != "-":
                            (work / name.strip()).parent.mkdir(parents=True, exist_ok=True)
                            (work / name.strip()).touch()
            _timed(["snakemake", "--touch", "--cores", "1", *conf], work, env)
        ref = [_timed(["snakemake", "--version"], work, env)[0] for _ in range(args.repeats)]
        times, out = [], ""
        for _ in range(args.repeats):
            dt, out = _timed(["snakemake", "--dry-run", *conf], work, env)
            times.append(dt)
        nothing = "Nothing to be done" in out
        jobs = _timed(
            ["snakemake", "--dry-run", "--forceall", "--quiet", "rules", *conf], work, env
        )
        total = re.search(r"^total\s+(\d+)", jobs[1], flags=re.M)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    dry, ref_s = statistics.median(times), statistics.median(ref)
    return {
        "benchmark": "dag",
        "dry_run_s": round(dry, 3),
        "dry_run_min_s": round(min(times), 3),
        "reference": "snakemake --version (interpreter + snakemake start-up)",
        "reference_s": round(ref_s, 3),
        "ratio": round(dry / ref_s, 2),
        "dag_only_s": round(dry - ref_s, 3),
        "target_s": args.target_s,
        "ok": bool(nothing and dry < args.target_s),
        "nothing_to_do": nothing,
        "n_jobs": int(total[1]) if total else None,
        "configfile": args.configfile,
        "repeats": args.repeats,
        "python": sys.version.split()[0],
    }


if __name__ == "__main__":
    print(json.dumps(main()))
