"""iactdl.rule_log: what a rule script logs, warns, writes to stderr or raises ends in its log."""

from __future__ import annotations

import logging
import sys
import warnings

import pytest

from iactdl.rule_log import rule_logging


@pytest.fixture(autouse=True)
def _root_logger_restored():
    # rule_logging configures the root logger as a script's process would; give it back to pytest
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_logging_warnings_and_stderr_go_to_the_log(tmp_path):
    log = tmp_path / "rule.log"
    stderr = sys.stderr
    with rule_logging(str(log), "demo") as logger:
        logger.info("started")
        logging.getLogger("iactdl.somewhere").info("library progress")
        print("epoch 1/3 |#####|", file=sys.stderr)  # what tqdm writes
        warnings.warn("a runtime warning", RuntimeWarning, stacklevel=1)
    assert sys.stderr is stderr  # restored
    text = log.read_text()
    for line in ("demo: started", "iactdl.somewhere: library progress", "epoch 1/3", "a runtime"):
        assert line in text


def test_a_failure_is_logged_with_its_traceback_and_reraised(tmp_path):
    log = tmp_path / "rule.log"
    stderr = sys.stderr
    with pytest.raises(ValueError, match="bad input"), rule_logging(str(log), "demo"):
        raise ValueError("bad input")
    assert sys.stderr is stderr
    text = log.read_text()
    assert "rule demo failed" in text and "Traceback" in text and "ValueError: bad input" in text
