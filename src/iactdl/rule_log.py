"""Logging for the thin rule scripts in ``workflow/scripts``: one place instead of sixteen.

Every script runs its one library call inside :func:`rule_logging`, so progress goes to the rule's
``log:`` file and a failure is written there with its traceback before Snakemake reports the rule.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["rule_logging"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextmanager
def rule_logging(log_path: str, rule: str) -> Iterator[logging.Logger]:
    """Send INFO logging to ``log_path``; log any exception with its traceback, then re-raise."""
    logging.basicConfig(filename=log_path, level=logging.INFO, format=FORMAT, force=True)
    logger = logging.getLogger(rule)
    try:
        yield logger
    except Exception:
        logger.exception("rule %s failed", rule)
        raise
