"""The training engine: determinism, resume, losses, schedules, save/load, and bad input."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
import torch

from iactdl.fit import FitSettings, TrainingDiverged, fit, load_checkpoint
from iactdl.fit.optim import lr_factor, make_optimizer
from iactdl.fit.toydata import TOY_FEATURES, toy_events
from iactdl.fit.train import choose_device, load_split, train_net
from iactdl.io import InputError, write_events
from iactdl.models.nets import build_net, load_net

SETTINGS = {"hidden": [16, 16], "dropout": 0.2}  # dropout: resume must restore its RNG stream too


@pytest.fixture(scope="module")
def toy_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("datasets")
    write_events(d / "train.h5", toy_events(320, seed=1, max_pixels=32))
    write_events(d / "val.h5", toy_events(160, seed=2, max_pixels=32))
    return d


def _data(toy_files, net="mlp"):
    feats = list(TOY_FEATURES)
    return (
        load_split(toy_files / "train.h5", net, feats, "separation"),
        load_split(toy_files / "val.h5", net, feats, "separation"),
    )


def _mlp(train, seed=0, heads=("gammaness",)):
    torch.manual_seed(seed)
    net = build_net("mlp", SETTINGS, heads, n_features=len(TOY_FEATURES))
    net.fit_scaling(train["features"])
    return net


def _fit(toy_files, tmp_path=None, **kw):
    train, val = _data(toy_files)
    net = _mlp(train)
    s = FitSettings(epochs=4, batch_size=32, lr=3e-3, seed=5, schedule="warmup")
    ckpt = tmp_path / "ck.pt" if tmp_path else None
    result = fit(net, train, val, s, checkpoint_path=ckpt, progress=False, **kw)
    return net, result


def test_same_seed_same_weights(toy_files):
    a, ra = _fit(toy_files)
    b, rb = _fit(toy_files)
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(va, vb), k
    pairs = zip(rb.history, ra.history, strict=True)
    assert ra.history == [dict(r, seconds=r2["seconds"]) for r, r2 in pairs]


def test_resume_after_kill_gives_the_same_weights(toy_files, tmp_path):
    whole, r_whole = _fit(toy_files, tmp_path / "a")
    (tmp_path / "b").mkdir()
    _, r_killed = _fit(toy_files, tmp_path / "b", stop_after_epoch=2)
    assert len(r_killed.history) == 2
    state = load_checkpoint(tmp_path / "b" / "ck.pt")  # weights_only=True
    assert state["epoch"] == 2 and state["seed"] == 5 and "optimizer" in state
    resumed, r_resumed = _fit(toy_files, tmp_path / "b")
    assert r_resumed.resumed_from == 2
    for (k, va), vb in zip(whole.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(va, vb), k
    assert [r["val_loss"] for r in r_resumed.history] == [r["val_loss"] for r in r_whole.history]


def test_loss_falls_and_history_is_complete(toy_files):
    _, result = _fit(toy_files)
    h = result.history
    assert [r["epoch"] for r in h] == [1, 2, 3, 4]
    assert h[-1]["train_loss"] < h[0]["train_loss"]
    assert h[-1]["val_auc"] > 0.8
    assert h[0]["lr"] < h[1]["lr"]  # warm-up


def test_nan_loss_stops_naming_the_epoch_and_keeps_the_checkpoint(toy_files, tmp_path):
    calls = {"n": 0}
    train, _ = _data(toy_files)
    steps = len(train["is_gamma"]) // 32

    def custom_loss(outputs, batch, heads):  # the pluggable loss: BCE that turns NaN in epoch 3
        calls["n"] += 1
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            outputs[:, 0], batch["is_gamma"]
        )
        return loss * math.nan if calls["n"] > 2 * (steps + 1) else loss

    with pytest.raises(TrainingDiverged, match=r"epoch 3.*[Ll]ower the learning rate"):
        _fit(toy_files, tmp_path, loss_fn=custom_loss)
    assert load_checkpoint(tmp_path / "ck.pt")["epoch"] == 2


def test_early_stopping_and_best_weights(toy_files):
    train, val = _data(toy_files)
    net = _mlp(train)
    s = FitSettings(epochs=30, batch_size=32, lr=0.05, patience=2, seed=1, schedule="constant")
    result = fit(net, train, val, s, progress=False)
    assert len(result.history) < 30
    assert len(result.history) == result.best_epoch + 2
    assert result.best_val_loss == min(r["val_loss"] for r in result.history)


def test_schedules():
    f = [lr_factor("warmup", i, 100, 10, warmup_epochs=1) for i in range(100)]
    assert f[0] == pytest.approx(0.1) and f[9] == pytest.approx(1.0)
    assert f[10] == pytest.approx(1.0) and f[-1] < 0.01 and np.all(np.diff(f[10:]) <= 0)
    assert lr_factor("step", 25, 100, 10, step_epochs=2, gamma=0.5) == pytest.approx(0.5)
    assert lr_factor("cosine", 50, 100, 10) == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"unknown schedule 'linear'.*cosine"):
        lr_factor("linear", 0, 10, 1)


def test_optimizers_by_name():
    p = [torch.nn.Parameter(torch.zeros(2))]
    assert make_optimizer("nesterov", p, 0.1).defaults["nesterov"]
    assert isinstance(make_optimizer("adamw", p, 0.1), torch.optim.AdamW)
    valid = r"valid optimizers: \['sgd', 'nesterov', 'adam', 'adamw'\]"
    with pytest.raises(ValueError, match=r"unknown optimizer 'lbfgs'; " + valid):
        make_optimizer("lbfgs", p, 0.1)


def test_batch_larger_than_data_is_a_clear_error(toy_files):
    train, val = _data(toy_files)
    with pytest.raises(ValueError, match=r"batch_size 1000 is larger than the training set \(320"):
        fit(_mlp(train), train, val, FitSettings(batch_size=1000), progress=False)


@pytest.mark.skipif(torch.cuda.is_available(), reason="tests the absent-GPU path")
def test_gpu_given_but_cuda_cannot_use_it(monkeypatch, caplog):
    """A job given a GPU asks for CUDA; without a usable device: CPU and a warning naming the
    GPUs it was given (or an error with require_gpu)."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    caplog.set_level("INFO", logger="iactdl.fit.train")
    with pytest.warns(RuntimeWarning, match=r"given gpu=1 but CUDA cannot use a device"):
        assert choose_device(1).type == "cpu"
    assert "asking for CUDA" in caplog.text and "CUDA_VISIBLE_DEVICES=0" in caplog.text
    with pytest.raises(RuntimeError, match="require_gpu"):
        choose_device(1, require_gpu=True)


def test_a_job_given_no_gpu_trains_on_the_cpu(caplog):
    """Even where CUDA sees a card: a GPU the job was not given may be another job's."""
    caplog.set_level("INFO", logger="iactdl.fit.train")
    assert choose_device(0).type == "cpu"
    assert "given no GPU (resource gpu=0)" in caplog.text


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_job_given_a_gpu_trains_on_it(caplog):
    caplog.set_level("INFO", logger="iactdl.fit.train")
    device = choose_device(1)
    assert device.type == "cuda"
    assert torch.cuda.get_device_name() in caplog.text


def test_train_net_device_follows_the_gpus_given_not_the_entry(toy_files, tmp_path, caplog):
    """The rule passes its job's `gpu` resource: it overrides the entry's request both ways."""
    from iactdl.fit.train import train_net

    caplog.set_level("INFO", logger="iactdl.fit.train")
    args = (toy_files / "train.h5", toy_files / "val.h5")
    meta = train_net(*args, _entry("mlp", epochs=1, gpu=1), 1, tmp_path / "a", gpus=0,
                     progress=False)  # fmt: skip
    assert meta["device"] == "cpu" and meta["gpus_given"] == 0
    assert "resource gpu=0" in caplog.text
    if not torch.cuda.is_available():
        with pytest.warns(RuntimeWarning, match="given gpu=1"):
            meta = train_net(*args, _entry("mlp", epochs=1), 1, tmp_path / "b", gpus=1,
                             progress=False)  # fmt: skip
        assert meta["device"] == "cpu" and meta["gpus_given"] == 1


def _entry(net, **kw):
    base = {"kind": "net", "task": "separation", "net": net, "epochs": 2, "batch_size": 32}
    small = {
        "mlp": {"hidden": [16]},
        "hexcnn": {"channels": [4, 8], "head_hidden": 8},
        "deepsets": {"phi": [16, 16], "rho": [16]},
        "settransformer": {"dim": 16, "heads": 2, "blocks": 1, "inducing_points": 4},
    }[net]
    features = list(TOY_FEATURES) if net == "mlp" else []
    return {**base, "features": features, "settings": small, **kw}


@pytest.mark.parametrize("net", ["mlp", "hexcnn", "deepsets", "settransformer"])
def test_train_net_saves_and_loads_back_the_same_predictions(toy_files, tmp_path, net):
    entry = _entry(net, energy_head=True)
    meta = train_net(
        toy_files / "train.h5", toy_files / "val.h5", entry, seed=3, model_dir=tmp_path / net,
        resume_path=tmp_path / "scratch" / f"{net}.pt", progress=False,
    )  # fmt: skip
    files = sorted(p.name for p in (tmp_path / net).iterdir())
    assert files == ["checkpoint.pt", "history.csv", "model.json", "model.pt"]
    assert not (tmp_path / "scratch" / f"{net}.pt").exists()
    with open(tmp_path / net / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert set(rows[0]) == {"epoch", "train_loss", "val_loss", "val_auc", "lr", "seconds"}
    assert json.loads((tmp_path / net / "model.json").read_text())["kind"] == "net"
    model = load_net(tmp_path / net)
    from iactdl.io import read_columns

    cols = read_columns(toy_files / "val.h5", model.required_columns)
    a, b = model.predict(cols), load_net(tmp_path / net).predict(cols)
    assert set(a) == {"gammaness", "energy_pred"}
    assert np.all((a["gammaness"] >= 0) & (a["gammaness"] <= 1)) and np.all(a["energy_pred"] > 0)
    np.testing.assert_array_equal(a["gammaness"], b["gammaness"])
    # the saved weights are the best epoch's: the val loss in model.json reproduces
    assert meta["metrics"]["best_val_loss"] == min(float(r["val_loss"]) for r in rows)


def test_energy_task_predicts_energy_only(toy_files, tmp_path):
    entry = _entry("mlp", task="energy")
    train_net(toy_files / "train.h5", toy_files / "val.h5", entry, 3, tmp_path, progress=False)
    model = load_net(tmp_path)
    from iactdl.io import read_columns

    out = model.predict(read_columns(toy_files / "val.h5", model.required_columns))
    assert set(out) == {"energy_pred"}


def test_bad_entries_are_clear_errors(toy_files, tmp_path):
    args = (toy_files / "train.h5", toy_files / "val.h5")
    with pytest.raises(ValueError, match=r"unknown net .vit.; valid nets"):
        train_net(*args, {**_entry("mlp"), "net": "vit"}, 1, tmp_path)
    with pytest.raises(ValueError, match=r"unknown key\(s\) \[.learning_rate.\].*valid keys"):
        train_net(*args, _entry("mlp", learning_rate=0.1), 1, tmp_path)
    with pytest.raises(ValueError, match=r"does not take setting\(s\) \['depth'\]"):
        train_net(*args, _entry("mlp", settings={"depth": 3}), 1, tmp_path)
    with pytest.raises(ValueError, match="unknown optimizer 'adagrad'"):
        train_net(*args, _entry("mlp", optimizer="adagrad"), 1, tmp_path)
    with pytest.raises(InputError, match=r"missing column\(s\) \['hillas_width'\]"):
        train_net(*args, _entry("mlp", features=["hillas_width"]), 1, tmp_path)


def test_a_checkpoint_of_another_run_is_not_resumed(toy_files, tmp_path):
    _fit(toy_files, tmp_path, stop_after_epoch=2)
    train, val = _data(toy_files)
    train = {k: v.clone() for k, v in train.items()}
    train["features"][0, 0] += 1.0  # same sizes, different data
    s = FitSettings(epochs=4, batch_size=32, lr=3e-3, seed=5, schedule="warmup")
    result = fit(_mlp(train), train, val, s, checkpoint_path=tmp_path / "ck.pt", progress=False)
    assert result.resumed_from == 0 and len(result.history) == 4


def test_validate_net_entry():
    from iactdl.fit import validate_net_entry

    ok = {"kind": "net", "task": "separation", "net": "hexcnn", "features": ["grid_image"]}
    validate_net_entry("cnn", ok)
    with pytest.raises(
        ValueError, match=r"models.cnn.features: net 'hexcnn' reads \['grid_image'\]"
    ):
        validate_net_entry("cnn", {**ok, "features": ["size"]})
    with pytest.raises(ValueError, match=r"models.cnn.schedule: unknown schedule 'linear'"):
        validate_net_entry("cnn", {**ok, "schedule": "linear"})
    with pytest.raises(ValueError, match=r"models.cnn.batch_size: expected an integer >= 1"):
        validate_net_entry("cnn", {**ok, "batch_size": 0})
    with pytest.raises(ValueError, match=r"models.cnn.settings: .*does not take setting"):
        validate_net_entry("cnn", {**ok, "settings": {"kernel": 5}})


def _damaged_checkpoints(good: dict):
    """Checkpoints that cannot be resumed, each as (name, bytes-writer)."""
    from iactdl.fit.checkpoint import CHECKPOINT_FORMAT

    def truncated(path):
        torch.save(good, path)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    def missing_optimizer(path):
        torch.save({k: v for k, v in good.items() if k != "optimizer"}, path)

    def wrong_shapes(path):
        model = {k: torch.zeros(3) for k in good["model"]}
        torch.save({**good, "model": model, "format": CHECKPOINT_FORMAT}, path)

    return {
        "zero bytes": lambda p: p.write_bytes(b""),
        "text": lambda p: p.write_text("not a checkpoint"),
        "truncated": truncated,
        "missing optimizer state": missing_optimizer,
        "weights of another shape": wrong_shapes,
    }


def test_a_damaged_checkpoint_is_moved_aside_and_training_starts_afresh(
    toy_files, tmp_path, caplog
):
    """Never a loop of failures: every damaged checkpoint is set aside with a warning, and the run
    ends with exactly the weights of an uninterrupted run."""
    whole, r_whole = _fit(toy_files)
    _fit(toy_files, tmp_path / "good", stop_after_epoch=2)
    good = torch.load(tmp_path / "good" / "ck.pt", weights_only=True)
    for name, damage in _damaged_checkpoints(good).items():
        folder = tmp_path / name.replace(" ", "_")
        folder.mkdir()
        damage(folder / "ck.pt")
        caplog.clear()
        net, result = _fit(toy_files, folder)
        assert result.resumed_from == 0 and len(result.history) == 4, name
        assert (folder / "ck.pt.unreadable").exists(), name
        assert "moved aside" in caplog.text and "afresh" in caplog.text, name
        for (k, va), vb in zip(whole.state_dict().items(), net.state_dict().values(), strict=True):
            assert torch.equal(va, vb), (name, k)
        assert load_checkpoint(folder / "ck.pt")["epoch"] == 4, name  # a new, good checkpoint


@pytest.mark.parametrize("every_s", [0.0, 1e9])
def test_every_epoch_logs_its_last_batch_with_the_totals(toy_files, monkeypatch, caplog, every_s):
    # every_s 0: a line per batch, the last one included; 1e9: none by time, the last one still
    monkeypatch.setattr("iactdl.fit.engine.PROGRESS_EVERY_S", every_s)
    train, val = _data(toy_files)
    s = FitSettings(epochs=2, batch_size=32, seed=5)
    with caplog.at_level("INFO", logger="iactdl.fit.engine"):
        fit(_mlp(train), train, val, s, progress=True)
    lines = [r.getMessage() for r in caplog.records]
    for epoch in (1, 2):
        mine = [x for x in lines if x.startswith(f"epoch {epoch}/2:")]
        # the loop's last line (320 events: 10 batches of 32), the validation pass's closing line
        # (160 events, one forward pass), then the epoch's summary
        assert mine[-3].startswith(f"epoch {epoch}/2: trained 10 / 10 batches (100 %)"), mine
        assert mine[-3].endswith("; 320 / 320 events"), mine[-3]
        assert mine[-2].startswith(f"epoch {epoch}/2: validated 160 / 160 events (100 %)")
        assert "val loss" in mine[-1]
        assert len(mine) == (12 if every_s == 0 else 3)
