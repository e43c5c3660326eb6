"""A shared test helper: a dry run of Snakemake on a bad config must be refused before any DAG is
built, and write nothing (used by tests/test_config.py and tests/test_bad_input.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def refused_dry_run(config_text: str, tmp_path: Path, *extra: str) -> str:
    """``snakemake -n`` on ``config_text``: refused, no DAG built, nothing written; its output."""
    if shutil.which("snakemake") is None:
        pytest.skip("snakemake is not installed")
    config = tmp_path / "config.yaml"
    config.write_text(config_text)
    work = tmp_path / "work"
    proc = subprocess.run(
        ["snakemake", "-n", "--configfile", str(config), "--directory", str(work), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert "Job stats" not in out, out[-3000:]  # no DAG was built
    assert not work.exists() or not [p.name for p in work.iterdir()], "something was written"
    return out
