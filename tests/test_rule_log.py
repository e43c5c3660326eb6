"""iactdl.rule_log: what a rule script logs, warns, writes to stderr or raises ends in its log."""

from __future__ import annotations

import logging
import re
import sys
import warnings

import numpy as np
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


def _toy_net_and_splits(tmp_path):
    """A small MLP, a resident training set, and a streamed validation split of 300 events in
    blocks of 64 rows read one block at a time (5 chunks: 64, 64, 64, 64, 44)."""
    import torch

    from iactdl.fit.streaming import StreamedSplit
    from iactdl.fit.toydata import TOY_FEATURES, toy_events
    from iactdl.fit.train import load_split
    from iactdl.io import write_events
    from iactdl.models.nets import build_net, input_columns

    feats = list(TOY_FEATURES)
    write_events(tmp_path / "train.h5", toy_events(320, seed=1, max_pixels=16))
    write_events(tmp_path / "val.h5", toy_events(300, seed=2, max_pixels=16), chunk_rows=64)
    train = load_split(tmp_path / "train.h5", "mlp", feats, "separation")
    val = StreamedSplit(
        tmp_path / "val.h5", input_columns("mlp", feats), "features", feats,
        chunk_rows=64, buffer_chunks=1,
    )  # fmt: skip
    torch.manual_seed(0)
    net = build_net("mlp", {"hidden": [8]}, ("gammaness",), n_features=len(feats))
    net.fit_scaling(train["features"])
    return net, train, val


def _counts(text, pattern):
    # (done, total) of every progress line matching pattern (its groups: done, total)
    return [(int(a), int(b)) for a, b in re.findall(pattern, text)]


@pytest.mark.parametrize("every_s", [0.0, 1e9])
def test_a_streamed_validation_pass_logs_its_events_with_the_total(tmp_path, monkeypatch, every_s):
    """A streamed validation set of 667k events took minutes and logged nothing until its epoch's
    line: now the pass logs the events done with the total (every PROGRESS_EVERY_S s: here 0,
    a line per chunk; 1e9, only the closing line, not one per batch)."""
    from iactdl.fit import FitSettings, engine, fit

    net, train, val = _toy_net_and_splits(tmp_path)
    chunks = [len(c["is_gamma"]) for c in val.chunks()]
    assert len(chunks) == 5 and sum(chunks) == val.n == 300
    monkeypatch.setattr(engine, "PROGRESS_EVERY_S", every_s)
    log = tmp_path / "train.log"
    with rule_logging(str(log), "train_net"):
        fit(net, train, val, FitSettings(epochs=2, batch_size=32, seed=5), progress=True)
    text = log.read_text()
    assert "\r" not in text
    for epoch in (1, 2):
        found = _counts(text, rf"epoch {epoch}/2: validated (\d+) / (\d+) events \(\d+ %\)")
        assert all(total == val.n for _, total in found), found
        done = [d for d, _ in found]
        # cumulative counts, one line per chunk: their steps are the chunks, they add up to n
        expected = list(np.cumsum(chunks)) if every_s == 0 else [val.n]
        assert done == expected, (epoch, found)
        # the pass's closing line comes before the epoch's own line
        closing = text.index(f"epoch {epoch}/2: validated {val.n} / {val.n} events")
        assert closing < text.index(f"epoch {epoch}/2: train loss")
    if every_s == 0:
        assert re.search(r"epoch 1/2: validated 64 / 300 events \(21 %\), [\d.]+ s, about", text)


def test_scoring_a_streamed_observed_val_logs_its_events_with_the_total(tmp_path, monkeypatch):
    from iactdl.fit import engine
    from iactdl.labelnoise.nets import p_on

    net, _, val = _toy_net_and_splits(tmp_path)
    monkeypatch.setattr(engine, "PROGRESS_EVERY_S", 0.0)
    log = tmp_path / "onoff.log"
    with rule_logging(str(log), "train_onoff_net"):
        p = p_on(net, val, progress="observed_val")
    text = log.read_text()
    assert len(p) == val.n and "\r" not in text
    found = _counts(text, r"observed_val: scored (\d+) / (\d+) events")
    assert [d for d, _ in found] == [64, 128, 192, 256, 300]
    assert all(total == val.n for _, total in found)
