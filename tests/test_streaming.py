"""Streamed training (iactdl.fit.streaming) and compact image storage (iactdl.io.compact)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from iactdl.fit import FitSettings, fit
from iactdl.fit.streaming import StreamedSplit
from iactdl.fit.toydata import TOY_FEATURES, toy_events
from iactdl.fit.train import load_split, train_net
from iactdl.io import InputError, read_columns, write_events
from iactdl.io.compact import store_as
from iactdl.models.nets import build_net, input_columns

FEATS = list(TOY_FEATURES)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("stream")
    # storage chunks of 64 rows: the stream's blocks are 64 rows, its pools 3 blocks
    write_events(d / "train.h5", toy_events(1000, seed=1, max_pixels=16), chunk_rows=64)
    write_events(d / "val.h5", toy_events(200, seed=2, max_pixels=16))
    return d


def _stream(files, task="separation", rows=None, chunk_rows=64, buffer_chunks=3):
    return StreamedSplit(
        files / "train.h5", input_columns("mlp", FEATS), "features", FEATS, task, rows,
        chunk_rows=chunk_rows, buffer_chunks=buffer_chunks,
    )  # fmt: skip


def test_an_epoch_sees_every_event_once_but_the_last_partial_batch(files):
    s = _stream(files)
    assert s.chunk_rows == 64 and len(s._blocks) == 16
    ids = torch.cat([b["features"][:, 0] for b in s.batches(epoch_seed=7, batch_size=50)])
    assert len(ids) == 1000 // 50 * 50
    every = load_split(files / "train.h5", "mlp", FEATS, "separation")["features"][:, 0]
    # size (feature 0) is NaN for some toy events: compare the finite values as multisets
    a, b = ids[torch.isfinite(ids)].sort().values, every[torch.isfinite(every)].sort().values
    assert len(a) <= len(b) and len(b) - len(a) <= 1000 - len(ids)
    assert torch.isin(a, b).all()
    # deterministic per epoch seed, different between epochs, not the file's order
    again = torch.cat([b["features"][:, 0] for b in s.batches(7, 50)])
    other = torch.cat([b["features"][:, 0] for b in s.batches(8, 50)])
    assert torch.equal(torch.nan_to_num(ids), torch.nan_to_num(again))
    assert not torch.equal(torch.nan_to_num(ids), torch.nan_to_num(other))
    assert not torch.equal(torch.nan_to_num(ids[:100]), torch.nan_to_num(every[:100]))


def test_rows_and_the_energy_task_select_events(files):
    rows = np.arange(0, 1000, 3)
    assert _stream(files, rows=rows).n == len(rows)
    gammas = int(read_columns(files / "train.h5", ["is_gamma"])["is_gamma"].sum())
    s = _stream(files, task="energy")
    assert s.n == gammas
    assert all(b["is_gamma"].all() for b in s.batches(1, 32))


def test_streamed_training_learns_and_resumes_identically(files, tmp_path):
    val = load_split(files / "val.h5", "mlp", FEATS, "separation")

    def run(stop=None):
        s = _stream(files)
        torch.manual_seed(0)
        net = build_net("mlp", {"hidden": [16]}, n_features=len(FEATS))
        net.fit_scaling(**{k: s.sample(0)[k] for k in net.input_names})
        st = FitSettings(epochs=3, batch_size=50, lr=3e-3, seed=5)
        result = fit(net, s, val, st, checkpoint_path=tmp_path / "ck.pt", progress=False,
                     stop_after_epoch=stop)  # fmt: skip
        return net, result

    run(stop=1)  # killed after epoch 1, then resumed
    resumed, result = run()
    assert result.resumed_from == 1 and result.history[-1]["val_auc"] > 0.7
    (tmp_path / "ck.pt").unlink()
    fresh, _ = run()
    for a, b in zip(resumed.state_dict().values(), fresh.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_train_net_streams_on_request(files, tmp_path):
    """(The stages' nets, oracle, ON/OFF and adapted, stream too: tests/test_streamed_stages.py.)"""
    entry = {"kind": "net", "net": "mlp", "features": FEATS, "settings": {"hidden": [16]},
             "epochs": 1, "batch_size": 50, "stream": True}  # fmt: skip
    meta = train_net(files / "train.h5", files / "val.h5", entry, 3, tmp_path / "a", progress=False)
    assert meta["n_train"] == 1000
    with pytest.raises(ValueError, match=r"stream: expected true or false"):
        train_net(files / "train.h5", files / "val.h5", {**entry, "stream": "yes"}, 3, tmp_path)


def test_a_one_class_file_is_refused_naming_it(tmp_path):
    ev = toy_events(100, seed=3, max_pixels=8)
    ev["is_gamma"][:] = 1
    write_events(tmp_path / "g.h5", ev)
    with pytest.raises(InputError, match=r"g\.h5: only one class in is_gamma"):
        StreamedSplit(tmp_path / "g.h5", input_columns("mlp", FEATS), "features", FEATS)


def test_float16_storage_keeps_values_to_its_precision_and_refuses_overflow():
    x = np.array([0.0, 3.7, 123.456, -20.5, np.nan], np.float32)
    h = store_as(x, "float16", "grid_image")
    assert h.dtype == np.float16
    np.testing.assert_allclose(h.astype(np.float32), x, rtol=2**-11)
    assert store_as(x, "float32", "grid_image") is x
    with pytest.raises(InputError, match=r"'grid_image'.*beyond float16.*image_dtype: float32"):
        store_as(np.array([1e5], np.float32), "float16", "grid_image", "f.h5")


def test_the_features_stage_stores_images_in_the_configured_dtype():
    from iactdl.camera import fact_camera
    from iactdl.features.pipeline import add_image_products, check_features_config

    cam = fact_camera()
    rng = np.random.default_rng(0)
    image = rng.exponential(2.0, (20, cam.n_pixels)).astype(np.float32) * 5
    time = rng.uniform(10, 60, (20, cam.n_pixels)).astype(np.float32)
    out = {}
    for dtype in ("float32", "float16"):
        chunk = {}
        add_image_products(chunk, image, time, check_features_config({"image_dtype": dtype}),
                           camera=cam)  # fmt: skip
        out[dtype] = chunk
    assert out["float16"]["grid_image"].dtype == np.float16
    assert out["float32"]["grid_image"].dtype == np.float32
    for col in ("grid_image", "pixel_set"):
        np.testing.assert_allclose(
            out["float16"][col].astype(np.float32), out["float32"][col], rtol=2**-11, atol=1e-7
        )
    with pytest.raises(ValueError, match=r"features\.image_dtype: 'int8' is not one of"):
        check_features_config({"image_dtype": "int8"})
