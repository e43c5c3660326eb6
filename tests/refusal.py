"""A shared helper: a dry run of Snakemake on a bad config must be refused before any DAG is
built, and write nothing (used by tests/test_config.py, tests/test_bad_input.py and
benchmarks/bad_inputs.py, which records instead of asserting)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def dry_run(config_text: str, tmp_path: Path, *extra: str) -> tuple[int, str, list[str]]:
    """``snakemake -n`` on ``config_text`` written to ``tmp_path/config.yaml``, run in the working
    directory ``tmp_path/work``: its exit status, its output (stdout + stderr) and the names
    written into the working directory."""
    config = tmp_path / "config.yaml"
    if not config.exists() or config.read_text() != config_text:  # an input kept as it was
        config.write_text(config_text)
    work = tmp_path / "work"
    proc = subprocess.run(
        ["snakemake", "-n", "--configfile", str(config), "--directory", str(work), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    written = sorted(p.name for p in work.iterdir()) if work.exists() else []
    return proc.returncode, proc.stdout + proc.stderr, written


def refused_dry_run(config_text: str, tmp_path: Path, *extra: str) -> str:
    """``snakemake -n`` on ``config_text``: refused, no DAG built, nothing written; its output."""
    import pytest

    if shutil.which("snakemake") is None:
        pytest.skip("snakemake is not installed")
    returncode, out, written = dry_run(config_text, tmp_path, *extra)
    assert returncode != 0, out[-3000:]
    assert "Job stats" not in out, out[-3000:]  # no DAG was built
    assert not written, f"something was written: {written}"
    return out
