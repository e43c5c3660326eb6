"""How long `snakemake -n` takes when there is nothing to do (issue 24: at most 1.5x the start-up
of `snakemake --version`, in wall and in CPU time), and the parse's peak memory.

Builds the DAG's outputs in a temporary copy of the repository without running any job
(empty files named by ``snakemake -n --summary``, then ``snakemake --touch`` puts their mtimes in
DAG order) or uses an existing, finished working copy
(``--repo``), then times ``snakemake --dry-run`` there ``--repeats`` times. The reference measured
side by side is the fixed start-up cost of the same interpreter + Snakemake (``snakemake
--version``): the DAG's own cost is the difference.

The two commands alternate (a dry run, then ``--version``, ``--repeats`` times) so that a busy
machine slows both alike; CPU seconds (user + system, the process and its children) are reported
beside wall seconds because they hardly depend on what else runs. Peak memory is the largest
resident set of the process (``wait4``'s ``ru_maxrss``).

Prints one JSON object as its last line::

    {"benchmark": "dag", "dry_run_s": ..., "reference": "snakemake --version",
     "reference_s": ..., "ratio": ..., "cpu_ratio": ..., "peak_rss_mb": ...,
     "reference_peak_rss_mb": ..., "target_ratio": 1.5, "ok": true, "n_jobs": ..., ...}

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


def _timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str, float, float]:
    """Wall seconds, output, CPU seconds and peak resident memory (MB) of one command."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out[-3000:]}")
    return dt, out, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configfile", default="config.yaml", help="config whose DAG is timed")
    ap.add_argument("--repeats", type=int, default=5, help="timed dry runs (median reported)")
    ap.add_argument("--repo", type=Path, help="finished working copy to time (no --touch build)")
    ap.add_argument("--target-ratio", type=float, default=1.5)
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
        _timed(["snakemake", "--dry-run", *conf], work, env)  # the caches (code index, config)
        dry, ref = [], []
        for _ in range(args.repeats):  # alternating: a busy machine slows both alike
            dry.append(_timed(["snakemake", "--dry-run", *conf], work, env))
            ref.append(_timed(["snakemake", "--version"], work, env))
        out = dry[-1][1]
        nothing = "Nothing to be done" in out
        jobs = _timed(
            ["snakemake", "--dry-run", "--forceall", "--quiet", "rules", *conf], work, env
        )
        total = re.search(r"^total\s+(\d+)", jobs[1], flags=re.M)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    med = lambda runs, i: statistics.median(r[i] for r in runs)  # noqa: E731
    dry_s, ref_s = med(dry, 0), med(ref, 0)
    ratio, cpu_ratio = dry_s / ref_s, med(dry, 2) / med(ref, 2)
    return {
        "benchmark": "dag",
        "dry_run_s": round(dry_s, 3),
        "dry_run_min_s": round(min(r[0] for r in dry), 3),
        "reference": "snakemake --version (interpreter + snakemake start-up)",
        "reference_s": round(ref_s, 3),
        "ratio": round(ratio, 2),
        "dry_run_cpu_s": round(med(dry, 2), 3),
        "reference_cpu_s": round(med(ref, 2), 3),
        "cpu_ratio": round(cpu_ratio, 2),
        "peak_rss_mb": round(max(r[3] for r in dry), 1),
        "reference_peak_rss_mb": round(max(r[3] for r in ref), 1),
        "dag_only_s": round(dry_s - ref_s, 3),
        "target_ratio": args.target_ratio,
        "ok": bool(nothing and ratio <= args.target_ratio),
        "nothing_to_do": nothing,
        "n_jobs": int(total[1]) if total else None,
        "configfile": args.configfile,
        "repeats": args.repeats,
        "python": sys.version.split()[0],
    }


if __name__ == "__main__":
    print(json.dumps(main()))
