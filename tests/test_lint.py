"""Linting, as CI runs it: ``snakemake --lint``, ``snakefmt --check .`` and ``ruff check``.

Each test skips (with the reason) when its tool is not installed; a finding fails the test with the
tool's own output, so the message says which file and rule to fix.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RUFF_PATHS = ["src", "tests", "benchmarks", "workflow/scripts"]


def _run(*cmd: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed")
    return path


def test_snakemake_lint_is_clean():
    _need("snakemake")
    # --workflow-profile none: lint the workflow, not the machine's profile
    proc = _run("snakemake", "--lint", "--workflow-profile", "none")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    assert "Lints for" not in out, out[-6000:]


def test_snakefmt_check_is_clean():
    _need("snakefmt")
    proc = _run("snakefmt", "--check", ".")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    cmd = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    probe = subprocess.run([*cmd, "--version"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("ruff is not installed")
    proc = _run(*cmd, "check", *[p for p in RUFF_PATHS if (REPO / p).exists()])
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
