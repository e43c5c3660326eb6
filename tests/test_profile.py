"""profiles/slurm without a cluster: which jobs it sends to GPU nodes, and which plugin it needs.

- The DAG of every target that holds a net-training rule (``all paper adaptation_study
  experiments`` on tests/config/tiny.yaml) is planned (``snakemake -n``) with the SLURM profile's
  resources, and each planned job's resources are read back from the dry run: every job that trains
  a net asks for a GPU on the GPU partition with train_net's runtime, and no other job asks for a
  GPU. Planned twice: with the profile itself (``--workflow-profile profiles/slurm``; a dry run
  submits nothing), skipped without snakemake-executor-plugin-slurm (the plugin's own options would
  not parse), and with the profile's ``default-resources`` and ``set-resources`` passed as
  ``--default-resources`` / ``--set-resources`` to the local executor.
- The rules that declare a ``gpu`` resource are exactly the net-training rules.
- The plugin version the profile's header names, pyproject's minimum and the conda environments
  (if they list the plugin) agree, and the installed plugin knows every ``slurm-*`` option the
  profile sets.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "profiles" / "slurm" / "config.yaml"
TINY = "tests/config/tiny.yaml"
TARGETS = ["all", "paper", "adaptation_study", "experiments"]
PLUGIN = "snakemake-executor-plugin-slurm"

# The rules whose job trains a net (PyTorch, iactdl.fit / iactdl.experiments); their model
# wildcards only ever name nets. Baselines (scikit-learn: train_baseline, train_adapted_baseline,
# train_onoff, train_onoff_oracle, train_joint) and everything else are CPU jobs.
NET_TRAINING_RULES = {
    "train_net",  # deepnets.smk: the plain nets of `models`
    "train_adapted",  # adapt.smk: DANN / IW-DANN / importance-weighted nets
    "train_oracle",  # adapt.smk: the study's target oracles (nets on observed truth)
    "train_onoff_net",  # labelnoise.smk: ON/OFF nets
    "train_onoff_oracle_net",  # labelnoise.smk: their oracles
    "train_joint_net",  # labelnoise.smk: joint nets (simulated + ON/OFF labels)
    "capacity_point",  # experiments.smk: one MLP per width
    "optimiser_point",  # experiments.smk: one net per optimiser, schedule, lr, seed
    "inductive_bias_point",  # experiments.smk: one net per model, training size, seed
}


def _profile() -> dict:
    return yaml.safe_load(PROFILE.read_text())


def _have_plugin() -> bool:
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return False
    return True


def _resource_args(profile: dict) -> list[str]:
    """The profile's resources as command-line flags of the local executor."""
    default = [f"{k}={v}" for k, v in profile["default-resources"].items()]
    per_rule = [
        f"{rule}:{k}={v}" for rule, res in profile["set-resources"].items() for k, v in res.items()
    ]
    return ["--workflow-profile", "none", "--default-resources", *default,
            "--set-resources", *per_rule]  # fmt: skip


def _parse_jobs(out: str) -> list[tuple[str, dict[str, str]]]:
    """(rule, resources) of every job of a dry run's listing."""
    jobs, rule = [], None
    for line in out.splitlines():
        m = re.match(r"^(?:local)?(?:rule|checkpoint) (\w+):", line)
        if m:
            rule = m.group(1)
            continue
        m = re.match(r"^\s+resources: (.*)$", line)
        if m and rule is not None:
            res = dict(kv.split("=", 1) for kv in m.group(1).split(", ") if "=" in kv)
            jobs.append((rule, res))
            rule = None
    return jobs


@pytest.fixture(scope="module", params=["profile", "flags"])
def planned(request, tmp_path_factory) -> list[tuple[str, dict[str, str]]]:
    """The planned jobs, with the profile itself (needs the plugin) or its resources as flags."""
    if shutil.which("snakemake") is None:
        pytest.skip("snakemake is not installed")
    if request.param == "profile" and not _have_plugin():
        pytest.skip(f"{PLUGIN} is not installed: the profile's resources are tested as flags")
    work = tmp_path_factory.mktemp("profile") / "work"  # empty: every job is planned
    if request.param == "profile":
        args = ["--workflow-profile", "profiles/slurm"]
    else:
        args = _resource_args(_profile())
    proc = subprocess.run(
        # the targets first: --set-resources takes every word after it
        ["snakemake", "-n", *TARGETS, "--configfile", TINY, "--directory", str(work), *args],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    jobs = _parse_jobs(out)
    assert len(jobs) > 100, out[-3000:]  # the listing was read
    return jobs


@pytest.mark.workflow
def test_the_targets_plan_every_net_training_rule(planned):
    assert NET_TRAINING_RULES <= {rule for rule, _ in planned}


@pytest.mark.workflow
def test_every_net_training_job_asks_for_a_gpu_and_no_other(planned):
    gpu_block = _profile()["set-resources"]["train_net"]
    wrong = []
    for rule, res in planned:
        gpus = int(res.get("gpu", 0))
        if rule in NET_TRAINING_RULES:
            if gpus < 1:
                wrong.append(f"{rule}: trains a net but asks for no GPU ({res})")
            for key in ("slurm_partition", "runtime", "cpus_per_gpu"):
                if str(res.get(key)) != str(gpu_block[key]):
                    wrong.append(f"{rule}: {key}={res.get(key)}, train_net's is {gpu_block[key]}")
        else:
            if gpus:
                wrong.append(f"{rule}: trains no net but asks for gpu={gpus}")
            if res.get("slurm_partition") == gpu_block["slurm_partition"]:
                wrong.append(f"{rule}: trains no net but goes to the GPU partition")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_the_rules_that_declare_a_gpu_are_the_net_training_rules():
    declared, reused = set(), {}
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        for block in re.split(r"\n(?=(?:use rule|rule|checkpoint) )", smk.read_text()):
            m = re.match(r"(?:rule|checkpoint) (\w+):", block)
            gpu = re.search(r"^\s+resources:\n(?:\s+\w+=.*\n)*?\s+gpu=", block, re.M)
            if m and gpu:
                declared.add(m.group(1))
            use = re.match(r"use rule (\w+) as (\w+) with:", block)
            if use and gpu:
                declared.add(use.group(2))
            elif use and not re.search(r"^\s+resources:", block, re.M):
                reused[use.group(2)] = use.group(1)  # keeps the resources of the rule it reuses
    while any(base in declared and rule not in declared for rule, base in reused.items()):
        declared |= {rule for rule, base in reused.items() if base in declared}
    assert declared == NET_TRAINING_RULES


# ---- the plugin's version ----


def _profile_version() -> str:
    m = re.search(rf"{PLUGIN} \(>= ([\d.]+)\)", PROFILE.read_text())
    assert m, f"{PROFILE} names no '{PLUGIN} (>= X)' in its comments"
    return m.group(1)


def _pyproject_version() -> str:
    m = re.search(rf'"{PLUGIN}>=([\d.]+)', (REPO / "pyproject.toml").read_text())
    assert m, f"pyproject.toml asks for no '{PLUGIN}>=X'"
    return m.group(1)


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version)[:3])


def test_profile_and_pyproject_ask_for_the_same_plugin_version():
    assert _profile_version() == _pyproject_version()


def test_the_conda_environments_agree_with_pyproject_if_they_list_the_plugin():
    want = _pyproject_version()
    for env in (REPO / "envs").glob("*.yaml"):
        for m in re.finditer(rf"{PLUGIN}\s*(==|>=)\s*([\d.]+)", env.read_text()):
            assert _release(m.group(2)) >= _release(want), f"{env.name}: {m.group(0)}"


def test_the_installed_plugin_is_new_enough_and_knows_the_profiles_options():
    if not _have_plugin():
        pytest.skip(f"{PLUGIN} is not installed")
    from dataclasses import fields
    from importlib.metadata import version

    from snakemake_executor_plugin_slurm import ExecutorSettings

    assert _release(version(PLUGIN)) >= _release(_pyproject_version())
    known = {f.name for f in fields(ExecutorSettings)}
    used = [k for k in _profile() if k.startswith("slurm-")]
    assert used
    for key in used:
        assert key.removeprefix("slurm-").replace("-", "_") in known, key


# ---- how often the scheduler wakes (both profiles) ----

PROFILES = {
    "default": REPO / "profiles" / "default" / "config.yaml",
    "slurm": PROFILE,
}


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_the_job_rate_limit_parses_never_throttles_and_wakes_the_scheduler_rarely(name):
    """Each scheduling pass arms a timer of the limit's timespan for one more pass, and every
    finished job adds such a chain while jobs wait (profiles/default/config.yaml says why): a
    timespan of 5-10 s at Snakemake's default rate (100 jobs/s) wakes it 5-10x less often, and
    keeps the wait at exit for the last timers short."""
    types = pytest.importorskip("snakemake.settings.types")
    value = yaml.safe_load(PROFILES[name].read_text())["max-jobs-per-timespan"]
    # Snakemake's parser only matches the start ("10/1" + anything); ask for the whole value
    assert types.MaxJobsPerTimespan.arg_re.fullmatch(str(value)), value
    limit = types.MaxJobsPerTimespan.parse_choice(str(value))
    assert limit.max_jobs / limit.timespan >= 100, value
    assert 5 <= limit.timespan <= 10, value


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_the_profiles_use_the_greedy_job_selector(name):
    registry = pytest.importorskip("snakemake_interface_scheduler_plugins.registry")
    scheduler = yaml.safe_load(PROFILES[name].read_text())["scheduler"]
    assert scheduler == "greedy"
    assert scheduler in registry.SchedulerPluginRegistry().plugins
