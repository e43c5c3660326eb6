"""The direction task in the DAG's planning: config/fact_open_data.yaml (the full FACT open data,
user-provided) reconstructs directions for the observed Crab DL2, so its ON/OFF regions, stages 5
and 6, DL3 and the significance table are planned; here with the shared small FACT files in place
of the full ones (a dry run: the files are not read). And a theta^2 cut that lets the regions
overlap is refused before any job, naming the largest allowed value. ~15 s each on 2 cores."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from refusal import refused_dry_run

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "fact-data"


def _dry_run(config: dict, tmp_path: Path) -> str:
    if shutil.which("snakemake") is None:
        pytest.skip("snakemake is not installed")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run(
        ["snakemake", "-n", "all", "--configfile", str(path), "--directory", str(tmp_path / "w")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


def _jobs(out: str) -> dict[str, int]:
    table = out[out.index("Job stats") :]
    return {m[0]: int(m[1]) for m in re.findall(r"^(\w+)\s+(\d+)$", table, flags=re.M)}


def test_fact_open_data_plans_directions_regions_and_dl3(tmp_path):
    if not (SHARED / "gamma.hdf5").is_file():
        pytest.skip(f"shared FACT files not found in {SHARED}")
    config = yaml.safe_load((ROOT / "config" / "fact_open_data.yaml").read_text())
    config["fact"]["files"] = {
        "gamma": str(SHARED / "gamma.hdf5"),
        "gamma_diffuse": str(SHARED / "gamma_diffuse.hdf5"),
        "proton": str(SHARED / "proton.hdf5"),
        # a stand-in path for the observed DL2 (a dry run opens no file)
        "observed": str(SHARED / "crab_dl3_small.hdf5"),
    }
    jobs = _jobs(_dry_run(config, tmp_path))
    for rule in (
        "train_disp",
        "evaluate_directions",
        "split_observed",
        "theta2",
        "significance_table",
    ):
        assert jobs.get(rule, 0) >= 1, (rule, jobs)
    separation = [m for m, e in config["models"].items() if e["task"] == "separation"]
    assert jobs["dl3"] == 2 * len(separation)  # observed_val and observed_test per model
    onoff = [m for m, e in config["models"].items() if e.get("labelnoise") is not None]
    if onoff:  # stage 6 trains on the theta^2 regions
        assert jobs.get("train_onoff", 0) + jobs.get("train_onoff_net", 0) >= 1, jobs


def test_overlapping_theta2_cut_is_refused_before_any_job(tmp_path):
    text = (ROOT / "tests" / "config" / "tiny.yaml").read_text()
    text = text.replace("theta2_cut: 0.08", "theta2_cut: 0.2")
    out = refused_dry_run(text, tmp_path)
    assert "directions.theta2_cut" in out and "largest allowed value is 0.09 deg^2" in out, out[
        -2000:
    ]
