"""Snakemake's own CPU (its scheduler, not its jobs) on a synthetic DAG of trivial jobs: a
profile's scheduler settings against Snakemake's defaults (issue 23: on 2 cores every CPU-second
of the scheduler is taken from the jobs).

The DAG, in a temporary directory: ``--jobs`` independent jobs (``sleep --sleep; touch``: they use
no CPU worth counting), all ready at once, and the target that gathers them, run with
``--cores`` (2) and no workflow profile. Two runs, the profile's settings (``scheduler`` and
``max-jobs-per-timespan`` of ``--profile``'s ``config.yaml``, the keys that decide how often the
scheduler selects jobs and how) and Snakemake's defaults (neither flag). The snakemake process's
own user + system CPU seconds are read from ``/proc/<pid>/stat`` (its threads, not its children:
the jobs' shells are children) every ``--poll`` seconds until it exits; the last reading counts.
``children_cpu_s`` is the rest of what it waited for: the jobs' shells and, with the default ILP
scheduler, its solver (a ``cbc`` process per selection), so the difference between the two runs'
``children_cpu_s`` is scheduler CPU too.

Prints one JSON object as its last line::

    {"benchmark": "scheduler_cpu", "jobs": 300, "cores": 2,
     "profile": {"settings": [...], "snakemake_cpu_s": ..., "wall_s": ..., "children_cpu_s": ...},
     "defaults": {...}, "cpu_ratio": ...}

Usage: ``python benchmarks/scheduler_cpu.py [--jobs 300] [--profile profiles/default]
[--cores 2] [--sleep 0.5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# the profile keys that set how often and how the scheduler selects jobs
SCHEDULER_KEYS = ("scheduler", "max-jobs-per-timespan")
SNAKEFILE = """
rule all:
    input:
        expand("out/{i}.txt", i=range(config["jobs"])),


rule job:
    output:
        "out/{i}.txt",
    params:
        sleep=config["sleep"],
    shell:
        "sleep {params.sleep} && touch {output}"
"""


def scheduler_settings(profile: Path) -> list[str]:
    """The command-line flags of ``profile``'s scheduler settings (``SCHEDULER_KEYS``)."""
    config = yaml.safe_load((profile / "config.yaml").read_text()) or {}
    return [x for key in SCHEDULER_KEYS if key in config for x in (f"--{key}", str(config[key]))]


def _own_cpu(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` itself (its threads, not its children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(work: Path, flags: list[str], args: argparse.Namespace) -> dict:
    """One snakemake run of the synthetic DAG in a fresh ``work``: its own CPU, wall and its
    children's CPU (the jobs' shells)."""
    work.mkdir(parents=True)
    (work / "Snakefile").write_text(SNAKEFILE)
    cmd = [
        "snakemake", "--cores", str(args.cores), "--workflow-profile", "none", "--quiet", "all",
        "--config", f"jobs={args.jobs}", f"sleep={args.sleep}", *flags,
    ]  # fmt: skip
    t0 = time.perf_counter()
    log = (work / "snakemake.log").open("w")  # a file, not a pipe: nothing reads it while it runs
    proc = subprocess.Popen(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT)
    own = 0.0
    while True:
        own = _own_cpu(proc.pid) or own  # the last reading before it exits
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(args.poll)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    total = usage.ru_utime + usage.ru_stime  # it and every child it waited for
    log.close()
    out = (work / "snakemake.log").read_text(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed in {work}:\n{out[-3000:]}")
    done = len(list((work / "out").glob("*.txt")))
    if done != args.jobs:
        raise RuntimeError(f"{work}: {done} of {args.jobs} outputs written")
    return {
        "settings": flags,
        "snakemake_cpu_s": round(own, 2),
        "children_cpu_s": round(total - own, 2),
        "wall_s": round(wall, 1),
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=300, help="trivial jobs, all ready at once")
    ap.add_argument("--profile", type=Path, default=REPO / "profiles" / "default")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--sleep", type=float, default=0.5, help="seconds each job sleeps")
    ap.add_argument("--poll", type=float, default=0.2, help="seconds between CPU readings")
    args = ap.parse_args(argv)

    flags = scheduler_settings(args.profile)
    with tempfile.TemporaryDirectory(prefix="iactdl-scheduler-") as tmp:
        profile = run(Path(tmp) / "profile", flags, args)
        defaults = run(Path(tmp) / "defaults", [], args)
    return {
        "benchmark": "scheduler_cpu",
        "jobs": args.jobs,
        "cores": args.cores,
        "sleep_s": args.sleep,
        "profile_dir": str(args.profile),
        "profile": profile,
        "defaults": defaults,
        "cpu_ratio": round(profile["snakemake_cpu_s"] / max(defaults["snakemake_cpu_s"], 1e-9), 2),
        "python": sys.version.split()[0],
    }


if __name__ == "__main__":
    print(json.dumps(main()))
