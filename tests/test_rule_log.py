"""iactdl.rule_log: what a rule script logs, warns, writes to stderr or raises ends in its log."""

from __future__ import annotations

import logging
import re
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


# ---- progress: plain lines with totals, no carriage returns ----


class _Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_progress_logs_each_tenth_and_by_time_with_the_total(caplog):
    from iactdl.progress import Progress

    clock = _Clock()
    caplog.set_level(logging.INFO, logger="demo")
    p = Progress(1000, logging.getLogger("demo"), what="sample", verb="streamed", clock=clock)
    logged = []
    for done in range(50, 1001, 50):  # 20 updates, 1 s apart
        clock.t += 1
        logged.append(p.update(done, extra="x so far"))
    assert sum(logged) == 10  # one line per tenth, the last at the total
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "sample: streamed 100 / 1000 events (10 %), 2.0 s, about 18 s left; x so far"
    assert lines[-1] == "sample: streamed 1000 / 1000 events (100 %), 20 s; x so far"
    # by time alone: a line once every_s has passed, none in between
    caplog.clear()
    q = Progress(10**6, logging.getLogger("demo"), every_fraction=None, every_s=60, clock=clock)
    assert not q.update(1)
    clock.t += 61
    assert q.update(2)
    assert not q.update(3)
    assert "done 2 / 1000000 events (0 %), 61 s" in caplog.text


def test_training_logs_batches_with_totals_and_no_carriage_returns(tmp_path, monkeypatch):
    import torch

    from iactdl.fit import FitSettings, engine, fit
    from iactdl.fit.toydata import TOY_FEATURES, toy_events
    from iactdl.fit.train import load_split
    from iactdl.io import write_events
    from iactdl.models.nets import build_net

    for name, seed in (("train", 1), ("val", 2)):
        write_events(tmp_path / f"{name}.h5", toy_events(320, seed=seed, max_pixels=32))
    train, val = (
        load_split(tmp_path / f"{n}.h5", "mlp", list(TOY_FEATURES), "separation")
        for n in ("train", "val")
    )
    torch.manual_seed(0)
    net = build_net("mlp", {"hidden": [8]}, ("gammaness",), n_features=len(TOY_FEATURES))
    net.fit_scaling(train["features"])
    monkeypatch.setattr(engine, "PROGRESS_EVERY_S", 0.0)  # a line after every batch
    log = tmp_path / "train.log"
    with rule_logging(str(log), "train_net"):
        fit(net, train, val, FitSettings(epochs=2, batch_size=32, seed=5), progress=True)
    text = log.read_text()
    assert "\r" not in text
    assert "epoch 1/2: trained 1 / 10 batches (10 %)" in text
    assert "epoch 2/2: trained 9 / 10 batches (90 %)" in text
    assert re.search(r"epoch 2/2: train loss [\d.]+, val loss", text)
