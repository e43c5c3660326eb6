"""Logging for the thin rule scripts in ``workflow/scripts``: one place instead of sixteen.

Every script runs its one library call inside :func:`rule_logging`, so progress goes to the rule's
``log:`` file and a failure is written there with its traceback before Snakemake reports the rule.
Whatever the call writes to stderr (warnings, a library's messages) goes to the same file; long jobs
log their progress as plain lines with totals (:class:`iactdl.progress.Progress`), not as bars.
:func:`model_job` gives the arguments every model-training rule takes from its job alike.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["rule_logging", "model_job"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextmanager
def rule_logging(log_path: str, rule: str) -> Iterator[logging.Logger]:
    """Send INFO logging, warnings and stderr to ``log_path``; log any exception with its
    traceback, then re-raise (stderr is restored first, so Snakemake's own report reaches the
    terminal).

    Parameters
    ----------
    log_path : str
        The rule's ``log:`` file, appended to, line-buffered.
    rule : str
        The rule's name: the logger's name and the failure message's.

    Yields
    ------
    logging.Logger
        The logger named ``rule``; the root logger writes to ``log_path`` while the block runs.
    """
    stream = open(log_path, "a", buffering=1)  # line-buffered: a killed job keeps its last lines
    logging.basicConfig(stream=stream, level=logging.INFO, format=FORMAT, force=True)
    logging.captureWarnings(True)
    logger = logging.getLogger(rule)
    stderr, sys.stderr = sys.stderr, stream
    try:
        yield logger
    except Exception:
        logger.exception("rule %s failed", rule)
        raise
    finally:
        sys.stderr = stderr
        logging.captureWarnings(False)
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "stream", None) is stream]:
            root.removeHandler(handler)
            handler.close()
        stream.close()


def model_job(smk) -> dict:
    """The keywords every model-training rule (baselines, ON/OFF models, nets) passes its library
    call from its Snakemake job ``smk``: the model's ``name`` (the ``{model}`` wildcard), its config
    ``entry`` and ``seed`` (params), ``model_dir`` (the folder of ``output.info``, its
    ``model.json``) and ``threads``.

    Parameters
    ----------
    smk : snakemake.script.Snakemake
        The ``snakemake`` object of a rule script: ``wildcards.model``, ``params.entry``,
        ``params.seed``, ``output.info`` and ``threads`` are read.

    Returns
    -------
    dict
        ``name`` (str), ``entry`` (mapping), ``seed`` (int), ``model_dir`` (pathlib.Path) and
        ``threads`` (int).
    """
    return {
        "name": smk.wildcards.model,
        "entry": smk.params.entry,
        "seed": smk.params.seed,
        "model_dir": Path(smk.output.info).parent,
        "threads": smk.threads,
    }
