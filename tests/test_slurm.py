"""The tiny DAG on a REAL one-node SLURM cluster (tests/slurm/start.sh), through profiles/slurm.

What is shown, against slurmctld/slurmd themselves (no mocks):

- the metrics of one net (mlp) and one baseline (hist_gbt) are rebuilt with
  ``--workflow-profile profiles/slurm``, from their training on (``--forcerun train_net
  train_baseline``): train_net, train_baseline, predict and evaluate are submitted (8 jobs). The
  rest of the tiny DAG comes from the session's local build (fixture ``tiny_dag``,
  tests/conftest.py), copied: the rules upstream of training (simulate, extract, build_features,
  split_dataset, train_disp, stream_observed), the other nets (hexcnn, deepsets) and stages 5-7
  run there, through the same scripts; on SLURM they would only add jobs of the profile's default
  resources, each paying a Snakemake start of several seconds on a 2-core CI machine (107 jobs
  took over 20 minutes; the 20 jobs from the simulation on, ~3 minutes). Every rule's SLURM
  request (every net-training rule's GPU) is checked by planning the whole DAG with that profile
  (tests/test_profile.py);
- the deep-net training job (rule ``train_net``) was submitted with a GPU request, on the ``gpu``
  partition, and was allocated the node's (fake) GPU gres: read back from ``scontrol show job``;
- a job cancelled with ``scancel`` while running is retried (profile ``retries``) and the workflow
  still completes;
- a rule that fails makes the workflow fail, with the rule named in the error.

Needs root and apt-get (or slurm-wlm + munge already installed); skips with the reason otherwise.
The cluster is started once per module and stopped at the end by PID files (tests/slurm/stop.sh).
Timings of each phase are printed (``pytest -s`` or the -ra summary shows them).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slurm, pytest.mark.workflow]

REPO = Path(__file__).resolve().parents[1]
START = REPO / "tests" / "slurm" / "start.sh"
STOP = REPO / "tests" / "slurm" / "stop.sh"
STATE_DIR = "/tmp/iactdl-slurm-pytest"
TINY = "tests/config/tiny.yaml"
# what runs on SLURM: the metrics of one net (the GPU rule; the cheapest net of the tiny config)
# and of one baseline, from their training on (the module docstring says where the rest runs)
TARGETS = [f"results/tiny/metrics/{m}.json" for m in ("mlp", "hist_gbt")]
GPU_RULE = "train_net"
FORCED = ["train_net", "train_baseline"]
# hard wall-clock limit of one snakemake call; SIGKILL because a Snakemake that lost track of its
# SLURM jobs ignores SIGTERM
RUN_LIMIT_S = 1200
TIMINGS: dict[str, float] = {}


def _why_no_slurm() -> str | None:
    if sys.platform != "linux":
        return "needs Linux"
    if os.geteuid() != 0:
        return "needs root (starts munged/slurmctld/slurmd, mknod, writes /etc/slurm)"
    have = all(Path(f"/usr/sbin/{d}").exists() for d in ("munged", "slurmctld", "slurmd"))
    if not have and shutil.which("apt-get") is None:
        return "slurm-wlm/munge not installed and no apt-get to install them"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm not installed"
    return None


def _env(copy: Path) -> dict[str, str]:
    """Environment of the snakemake calls: the copy's package first (it is what the jobs import)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(copy / "src"), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    return env


def _snakemake(copy: Path, *args: str, limit: int = RUN_LIMIT_S) -> subprocess.CompletedProcess:
    cmd = ["timeout", "-s", "KILL", str(limit), "snakemake", *args]
    proc = subprocess.run(cmd, cwd=copy, env=_env(copy), capture_output=True, text=True)
    if proc.returncode == 137:  # killed: release the lock for later calls
        subprocess.run(
            ["snakemake", "--unlock", *args], cwd=copy, env=_env(copy), capture_output=True
        )
    return proc


def _slurm_args(*extra: str) -> list[str]:
    # the profile as users get it; only what the test machine needs on top: no account to charge,
    # short waits before the first status query (the cluster is local) and few parallel jobs
    return [
        "--workflow-profile", "profiles/slurm",
        "--slurm-no-account",
        "--slurm-init-seconds-before-status-checks", "2",
        "--latency-wait", "5",
        "--jobs", "8",
        *extra,
    ]  # fmt: skip


def _jobs_since(first_id: int) -> list[dict[str, str]]:
    """Jobs with id >= first_id that slurmctld still knows (MinJobAge=3600), with their fields."""
    out = subprocess.run(
        ["squeue", "-h", "--states=all", "-o", "%i|%k|%T|%P"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    jobs = []
    for line in out.splitlines():
        jid, comment, state, partition = line.strip().split("|")
        if jid.isdigit() and int(jid) >= first_id:
            jobs.append({"id": jid, "comment": comment, "state": state, "partition": partition})
    return sorted(jobs, key=lambda j: int(j["id"]))


def _next_job_id() -> int:
    """Id the next submission will get (jobs ids only grow while slurmctld runs)."""
    out = subprocess.run(["squeue", "-h", "--states=all", "-o", "%i"], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    ids = [int(x) for x in out.split() if x.isdigit()]
    return max(ids, default=0) + 1


def _scontrol(job_id: str) -> str:
    return subprocess.run(["scontrol", "-d", "show", "job", job_id], capture_output=True,
                          text=True).stdout  # fmt: skip


@pytest.fixture(scope="module")
def cluster():
    why = _why_no_slurm()
    if why:
        pytest.skip(why)
    env = dict(os.environ, SLURM_TEST_DIR=STATE_DIR, FAKE_GPUS="2", SLURM_CPUS="8")
    t0 = time.monotonic()
    proc = subprocess.run(["bash", str(START)], env=env, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    TIMINGS["cluster_start_s"] = round(time.monotonic() - t0, 1)
    if proc.returncode == 3:  # apt-get could not install the packages
        pytest.skip(f"cannot install slurm-wlm/munge: {proc.stderr.strip()[-500:]}")
    assert proc.returncode == 0, f"start.sh failed:\n{proc.stdout}\n{proc.stderr}"
    yield
    subprocess.run(["bash", str(STOP)], env=env, capture_output=True, timeout=120)
    print(f"\nSLURM test timings: {TIMINGS}")


@pytest.fixture(scope="module")
def repo_copy(tiny_dag, tmp_path_factory):
    """A copy of the session's built tiny DAG (copy2: mtimes and .snakemake's metadata kept, so
    only the forced jobs run), without the local run's logs: every log in it is a SLURM job's."""
    copy = tmp_path_factory.mktemp("slurm") / "repo"
    shutil.copytree(tiny_dag["work"], copy, symlinks=True)
    shutil.rmtree(copy / "results" / "tiny" / "logs", ignore_errors=True)
    return copy


class _Canceller(threading.Thread):
    """Watches the queue; scancels the first job of ``rule`` once it has run for ``after_s``."""

    def __init__(self, first_id: int, rule: str, after_s: float = 3.0):
        super().__init__(daemon=True)
        self.first_id, self.prefix, self.after_s = first_id, f"rule_{rule}", after_s
        self.cancelled: dict[str, str] | None = None
        self.running_details: dict[str, str] = {}
        self.stop = threading.Event()

    def run(self):
        seen_running: dict[str, float] = {}
        while not self.stop.is_set():
            for job in _jobs_since(self.first_id):
                if job["state"] != "RUNNING" or not job["comment"].startswith(self.prefix):
                    continue
                # the allocation as slurmd sees it (GRES=gpu:1(IDX:0)) is only shown while running
                self.running_details.setdefault(job["id"], _scontrol(job["id"]))
                t = seen_running.setdefault(job["id"], time.monotonic())
                if self.cancelled is None and time.monotonic() - t >= self.after_s:
                    subprocess.run(["scancel", job["id"]], check=True)
                    self.cancelled = job
            time.sleep(0.3)


@pytest.fixture(scope="module")
def tiny_run(cluster, repo_copy):
    """Runs the model jobs of the tiny DAG once on SLURM, cancelling one running job (a
    train_net one if any)."""
    dry = _snakemake(repo_copy, "--workflow-profile", "none", "-n", *TARGETS, "--quiet", "rules",
                     "--configfile", TINY, "--forcerun", *FORCED, limit=300)  # fmt: skip
    assert dry.returncode == 0, f"tiny DAG does not build:\n{dry.stdout}\n{dry.stderr}"
    rules = set(re.findall(r"^(\w+)\s+\d+\s*$", dry.stdout, flags=re.M)) - {"total"}
    victim = GPU_RULE if GPU_RULE in rules else None
    first = _next_job_id()
    canceller = _Canceller(first, victim or "", after_s=3.0)
    canceller.start()
    t0 = time.monotonic()
    # --forcerun last: it takes every name after it
    proc = _snakemake(
        repo_copy, *_slurm_args(*TARGETS, "--configfile", TINY, "--forcerun", *FORCED)
    )
    TIMINGS["tiny_dag_s"] = round(time.monotonic() - t0, 1)
    canceller.stop.set()
    canceller.join()
    jobs = _jobs_since(first)
    counts: dict[str, int] = {}
    for j in jobs:
        rule = re.sub(r"_wildcards_.*", "", j["comment"]).removeprefix("rule_")
        counts[f"{rule} {j['state']}"] = counts.get(f"{rule} {j['state']}", 0) + 1
    print(f"\nSLURM jobs of the tiny DAG (rule state: count): {counts}")
    print(f"cancelled on purpose: {canceller.cancelled}")
    for job in jobs:
        if job["comment"].startswith(f"rule_{GPU_RULE}"):
            info = re.findall(r"(Partition=\S+|TresPerJob=\S+|JOB_GRES=\S+)", _scontrol(job["id"]))
            print(f"  {job['id']} {job['comment']} {job['state']} {' '.join(info)}")
    return {"proc": proc, "rules": rules, "jobs": jobs, "canceller": canceller, "copy": repo_copy}


def _fail_msg(run) -> str:
    p = run["proc"]
    return f"rc={p.returncode}\n--- stdout\n{p.stdout[-4000:]}\n--- stderr\n{p.stderr[-8000:]}"


def test_tiny_dag_completes_on_slurm(tiny_run):
    assert tiny_run["proc"].returncode == 0, _fail_msg(tiny_run)
    jobs = tiny_run["jobs"]
    assert jobs, "no job reached slurmctld"
    ran = {re.sub(r"_wildcards_.*", "", j["comment"]).removeprefix("rule_") for j in jobs}
    assert tiny_run["rules"] - {"all", "paper"} <= ran, "some rules were not submitted to SLURM"
    # every job ended COMPLETED except the one cancelled on purpose
    cancelled = tiny_run["canceller"].cancelled
    bad = [
        j
        for j in jobs
        if j["state"] != "COMPLETED" and (not cancelled or j["id"] != cancelled["id"])
    ]
    assert not bad, f"jobs not COMPLETED: {bad}"
    again = _snakemake(tiny_run["copy"], "--workflow-profile", "none", "-n", *TARGETS,
                       "--configfile", TINY, limit=300)  # fmt: skip
    assert "Nothing to be done" in again.stdout + again.stderr, again.stdout


def test_train_net_jobs_requested_and_got_a_gpu(tiny_run):
    if GPU_RULE not in tiny_run["rules"]:
        pytest.fail(f"rule {GPU_RULE} is not in the tiny DAG (rules: {sorted(tiny_run['rules'])})")
    gpu_jobs = [j for j in tiny_run["jobs"] if j["comment"].startswith(f"rule_{GPU_RULE}")]
    assert gpu_jobs, f"no {GPU_RULE} job was submitted"
    for job in gpu_jobs:
        info = _scontrol(job["id"])
        # the request (sbatch --gpus=1) and the allocation of the node's gres
        assert re.search(r"TresPerJob=\S*gres[:/]gpu[:=]1", info), info
        assert re.search(r"JOB_GRES=gpu(:\w+)?:1", info), info
        assert job["partition"] == "gpu", job
    # while running, slurmd had bound one fake device: GRES=gpu:1(IDX:n) -> CUDA_VISIBLE_DEVICES=n
    details = tiny_run["canceller"].running_details
    assert details, f"no {GPU_RULE} job was seen running"
    for info in details.values():
        assert re.search(r"GRES=gpu(:\w+)?:1\(IDX:[0-9]\)", info), info


def test_train_net_jobs_given_a_gpu_asked_for_cuda(tiny_run):
    """The GPU the job was given is the GPU it uses: each training job saw its resource gpu=1 and
    the device SLURM bound (CUDA_VISIBLE_DEVICES), asked for CUDA, and (the card is fake, CUDA
    cannot use it) fell back to the CPU with the warning."""
    import yaml

    copy = tiny_run["copy"]
    results = copy / yaml.safe_load((copy / TINY).read_text())["results_dir"]
    logs = sorted((results / "logs" / GPU_RULE).glob("*.log"))
    assert logs, f"no {GPU_RULE} logs under {results}"
    for log in logs:
        text = log.read_text(errors="replace")
        asked = re.search(
            r"given 1 GPU\(s\) \(resource gpu=1, CUDA_VISIBLE_DEVICES=(\d+)\): asking for CUDA",
            text,
        )
        assert asked, f"{log.name}: the job did not ask for CUDA:\n{text[-3000:]}"
        print(f"{log.name}: given gpu=1, CUDA_VISIBLE_DEVICES={asked[1]}, asked for CUDA")
        if "device: cuda" not in text:  # the fake card: the warning, then the CPU
            assert "the job was given gpu=1 but CUDA cannot use a device" in text, text[-3000:]
            assert "training on the CPU" in text, text[-3000:]


def test_cancelled_job_is_retried_and_the_dag_completes(tiny_run):
    cancelled = tiny_run["canceller"].cancelled
    assert cancelled is not None, f"no {GPU_RULE} job was running long enough to be cancelled"
    same = [j for j in tiny_run["jobs"] if j["comment"] == cancelled["comment"]]
    states = [j["state"] for j in same]
    assert states[0] == "CANCELLED" and states[-1] == "COMPLETED", same
    assert tiny_run["proc"].returncode == 0, _fail_msg(tiny_run)


def test_failing_rule_fails_the_workflow_and_is_named(cluster, repo_copy):
    t0 = time.monotonic()
    # --retries 0: a deterministic failure would only be resubmitted (retries are shown above)
    proc = _snakemake(repo_copy, "-s", "tests/slurm/probe.smk", *_slurm_args("--retries", "0"),
                      limit=600)  # fmt: skip
    TIMINGS["failing_rule_s"] = round(time.monotonic() - t0, 1)
    out = proc.stdout + proc.stderr
    assert proc.returncode not in (0, 137), out[-4000:]
    assert "Error in rule probe_fail" in out, out[-4000:]
    assert not (repo_copy / "probe" / "never.txt").exists()
