"""Test-wide settings and the session's shared tiny DAG."""

import pytest
from tiny_dag import build  # no torch or scikit-learn either

import iactdl  # noqa: F401  (it sets OMP_WAIT_POLICY before torch or scikit-learn load)


@pytest.fixture(scope="session")
def tiny_dag(tmp_path_factory):
    """The whole tiny DAG (``all paper``), built once per session in a temporary copy of the
    repository (tests/tiny_dag.py). Tests read it, plan on it, or edit only what they restore;
    a test that reruns jobs does so in its own copy (shutil.copytree keeps mtimes and
    .snakemake's metadata), so the next test finds the tree as built."""
    return build(tmp_path_factory.mktemp("tiny_dag"))
