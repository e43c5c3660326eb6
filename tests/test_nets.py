"""The nets: hexagonal kernels vs the camera neighbour table, invariances, learning, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from iactdl.camera import HEX_NEIGHBOUR_OFFSETS, fact_camera
from iactdl.fit.toydata import TOY_FEATURES, toy_events
from iactdl.models.nets import NETS, HexConv2d, build_net, hex_kernel_mask, net_inputs

SMALL = {
    "mlp": {"hidden": [32, 32], "dropout": 0.0},
    "hexcnn": {"channels": [8, 16], "head_hidden": 16, "dropout": 0.0},
    "deepsets": {"phi": [32, 32], "rho": [32]},
    "settransformer": {"dim": 32, "heads": 4, "blocks": 2, "inducing_points": 8, "head_hidden": 32},
    "pixelmlp": {"hidden": [32], "dropout": 0.0},
}


@pytest.fixture(scope="module")
def events():
    return toy_events(400, seed=3, max_pixels=48)


def _inputs(name, events):
    return net_inputs(events, NETS[name].input_kind, TOY_FEATURES)


def _net(name, events, heads=("gammaness",), seed=0):
    torch.manual_seed(seed)
    net = build_net(name, SMALL[name], heads, n_features=len(TOY_FEATURES))
    net.fit_scaling(**_inputs(name, events))
    return net.eval()


def test_hex_kernel_matches_camera_neighbours():
    """A HexConv2d with unit taps reaches exactly a pixel and its six neighbours on the camera."""
    cam = fact_camera()
    assert hex_kernel_mask().sum() == 1 + len(HEX_NEIGHBOUR_OFFSETS)
    corners = {(dr, dc) for dr in (-1, 1) for dc in (-1, 1)} - set(HEX_NEIGHBOUR_OFFSETS)
    assert len(corners) == 2 and all(hex_kernel_mask()[1 + r, 1 + c] == 0 for r, c in corners)
    conv = HexConv2d(1, 1, bias=False)
    with torch.no_grad():
        conv.weight.fill_(1.0)
    deltas = torch.from_numpy(cam.to_grid(np.eye(1440, dtype=np.float32)))[:, None]
    with torch.no_grad():
        reach = conv(deltas)[:, 0].numpy()
    adjacency = cam.from_grid(reach) > 0.5  # (source pixel, reached pixel)
    expected = np.eye(1440, dtype=bool)
    i, k = np.nonzero(cam.neighbours >= 0)
    expected[i, cam.neighbours[i, k]] = True
    np.testing.assert_array_equal(adjacency, expected)


def test_hexcnn_ignores_cells_outside_the_camera(events):
    net = _net("hexcnn", events)
    grid = _inputs("hexcnn", events)["grid_image"][:16]
    outside = torch.from_numpy(~fact_camera().grid_mask)
    noisy = grid.clone()
    noisy[:, :, outside] = torch.randn(16, 2, int(outside.sum())) * 1e3
    with torch.no_grad():
        np.testing.assert_array_equal(net(grid).numpy(), net(noisy).numpy())


@pytest.mark.parametrize("name", ["deepsets", "settransformer"])
def test_set_nets_invariant_to_pixel_order_and_padding(name, events):
    net = _net(name, events, heads=("gammaness", "log10_energy"))
    x = _inputs(name, events)
    pixels, mask = x["pixel_set"][:32], x["pixel_set_mask"][:32]
    with torch.no_grad():
        ref = net(pixels, mask)
        g = torch.Generator().manual_seed(1)
        perm = torch.stack([torch.randperm(pixels.shape[1], generator=g) for _ in range(32)])
        p2 = torch.take_along_dim(pixels, perm[..., None], dim=1)
        m2 = torch.take_along_dim(mask, perm, dim=1)
        torch.testing.assert_close(net(p2, m2), ref, rtol=1e-5, atol=1e-5)
        # extra padded rows full of junk (even NaN), masked out
        junk = torch.randn(32, 20, 4, generator=g) * 100
        junk[:, 0] = float("nan")
        p3 = torch.cat([pixels, junk], dim=1)
        m3 = torch.cat([mask, torch.zeros(32, 20, dtype=torch.bool)], dim=1)
        torch.testing.assert_close(net(p3, m3), ref, rtol=1e-5, atol=1e-5)


def test_deepsets_sees_the_image_in_the_frame_of_its_centre(events):
    """Deep Sets' phi reads pixel positions relative to the event's charge-weighted centre, which
    joins the pooled vector: an image moved across the camera changes only those two entries of
    the representation. With the camera position as phi's input (the old code) every pooled entry
    moved, and the direction head told the disp sign right for 58 % of the default run's diffuse
    gammas (tests/test_direction_head.py trains it)."""
    net = _net("deepsets", events)
    pixels, mask = (v[:32] for v in _inputs("deepsets", events).values())
    shift = torch.linspace(-1.0, 1.0, 32)[:, None] * torch.tensor([0.7, -0.4])  # deg
    moved = pixels.clone()
    moved[..., :2] += shift[:, None, :]
    with torch.no_grad():
        ref, out = net.encode(pixels, mask), net.encode(moved, mask)
    torch.testing.assert_close(out[:, :-2], ref[:, :-2], rtol=1e-4, atol=1e-4)
    has_charge = mask.any(dim=1)
    torch.testing.assert_close(out[has_charge, -2:] - ref[has_charge, -2:], shift[has_charge])
    absolute = build_net("deepsets", {**SMALL["deepsets"], "coordinates": "absolute"})
    assert absolute.representation_size == net.representation_size - 2
    with pytest.raises(ValueError, match="coordinates"):
        build_net("deepsets", {**SMALL["deepsets"], "coordinates": "polar"})


def test_set_nets_handle_events_without_pixels(events):
    for name in ("deepsets", "settransformer"):
        net = _net(name, events)
        out = net(torch.zeros(3, 8, 4), torch.zeros(3, 8, dtype=torch.bool))
        assert torch.isfinite(out).all()


def test_mlp_imputes_missing_features(events):
    net = _net("mlp", events)
    x = _inputs("mlp", events)["features"][:8].clone()
    x[0] = float("nan")  # an event whose cleaning failed
    out = net(x)
    assert torch.isfinite(out).all()
    size = np.log1p(events["size"]) if net.log_mask[0] else events["size"]
    assert torch.allclose(net.mean[0], torch.tensor(np.nanmean(size), dtype=torch.float32))


def test_mlp_takes_the_log_of_heavy_tailed_features():
    rng = np.random.default_rng(0)
    size = 50 * rng.pareto(1.7, 2000) + 30  # a power law, like the image size in p.e.
    x = torch.tensor(np.stack([size, rng.normal(0, 1, 2000)], axis=1), dtype=torch.float32)
    net = build_net("mlp", {}, n_features=2)
    net.fit_scaling(x)
    assert net.log_mask.tolist() == [True, False]
    assert abs(float(net.mean[0]) - np.log1p(size).mean()) < 1e-4


@pytest.mark.parametrize("name", sorted(NETS))
def test_each_net_learns_a_separable_set(name, events):
    net = _net(name, events).train()
    n = 200 if name == "hexcnn" else 400  # the CNN is the costly one on the CPU
    x = {k: v[:n] for k, v in _inputs(name, events).items()}
    y = torch.from_numpy(events["is_gamma"][:n].astype(np.float32))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    losses = []
    for _ in range(40):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net(**x)[:, 0], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.75 * losses[0], losses


def test_unknown_net_and_settings_are_clear_errors():
    with pytest.raises(ValueError, match=r"unknown net 'resnet'.*deepsets.*hexcnn.*mlp"):
        build_net("resnet")
    with pytest.raises(ValueError, match=r"does not take setting\(s\) \['depth'\].*valid settings"):
        build_net("hexcnn", {"depth": 3})
    with pytest.raises(ValueError, match="divisible"):
        build_net("settransformer", {"dim": 10, "heads": 4})
    with pytest.raises(ValueError, match="pooling"):
        build_net("deepsets", {"pooling": "median"})
    with pytest.raises(ValueError, match="features"):
        build_net("mlp")


def _time_changed(name, events, new_time):
    """16 events of ``name``'s inputs and a copy whose pixel times (where there is a pixel) are
    ``new_time(times)``."""
    x = {k: v[:16].clone() for k, v in _inputs(name, events).items()}
    changed = {k: v.clone() for k, v in x.items()}
    if name == "hexcnn":
        g = changed["grid_image"]
        g[:, 1] = torch.where(g[:, 0] > 0, new_time(g[:, 1]), g[:, 1])
    else:
        p, m = changed["pixel_set"], changed["pixel_set_mask"]
        p[..., 3] = torch.where(m, new_time(p[..., 3]), p[..., 3])
    return x, changed


def _outputs_with_time(name, events, time, *inputs):
    """The outputs on each of ``inputs`` of one net (same seed) with setting ``time``."""
    torch.manual_seed(0)
    net = build_net(name, {**SMALL[name], "time": time}, n_features=len(TOY_FEATURES))
    net.fit_scaling(**_inputs(name, events))
    with torch.no_grad():
        return tuple(net.eval()(**x) for x in inputs)


@pytest.mark.parametrize("name", ["hexcnn", "deepsets", "settransformer"])
def test_relative_time_ignores_a_per_event_time_offset(name, events):
    """``time: relative`` (the ablation of the adaptation study): a trigger-time offset of a whole
    event changes nothing; with absolute time it changes the output."""
    offset = torch.linspace(-20, 20, 16)
    x, shifted = _time_changed(name, events, lambda t: t + offset.view(-1, *[1] * (t.ndim - 1)))
    relative = _outputs_with_time(name, events, "relative", x, shifted)
    torch.testing.assert_close(*relative, rtol=1e-4, atol=1e-4)
    absolute = _outputs_with_time(name, events, "absolute", x, shifted)
    assert not torch.allclose(*absolute, rtol=1e-3, atol=1e-3)
    with pytest.raises(ValueError, match="time"):
        build_net(name, {**SMALL[name], "time": "local"})


@pytest.mark.parametrize("name", ["hexcnn", "deepsets", "settransformer"])
def test_time_none_makes_the_net_blind_to_every_pixel_time(name, events):
    """``time: none`` (the timing ablation): random times per pixel change nothing, where the
    relative-time net, which keeps the time gradient, does change."""
    gen = torch.Generator().manual_seed(1)
    x, scrambled = _time_changed(name, events, lambda t: 40 * torch.rand(t.shape, generator=gen))
    none = _outputs_with_time(name, events, "none", x, scrambled)
    assert torch.isfinite(none[0]).all()
    torch.testing.assert_close(*none, rtol=1e-5, atol=1e-5)
    relative = _outputs_with_time(name, events, "relative", x, scrambled)
    assert not torch.allclose(*relative, rtol=1e-3, atol=1e-3)


def test_mlp_activation_is_a_setting_and_an_unknown_one_is_refused():
    from iactdl.models.nets import MLP, MLPSettings

    relu = MLP(MLPSettings(hidden=(8,), activation="relu"), n_features=3)
    assert any(isinstance(m, torch.nn.ReLU) for m in relu.modules())
    assert not any(isinstance(m, torch.nn.GELU) for m in relu.modules())
    assert any(isinstance(m, torch.nn.GELU) for m in MLP(MLPSettings(), n_features=3).modules())
    with pytest.raises(ValueError, match="activation 'tanh'"):
        MLP(MLPSettings(activation="tanh"), n_features=3)


def test_registry_and_catalogue_name_the_same_modules():
    """The registry spells each net's module out (for the source hashes); the torch-free catalogue
    names it relative to the package: both must point at the same module, which defines both
    classes the catalogue names."""
    from iactdl.models.nets.catalog import NETS as CATALOGUE
    from iactdl.models.nets.registry import NET_MODULES, net_class, settings_class

    assert set(NET_MODULES) == set(CATALOGUE)
    for name, spec in CATALOGUE.items():
        assert NET_MODULES[name] == spec.qualified_module
        assert net_class(name).__name__ == spec.net_class
        assert settings_class(name).__name__ == spec.settings_class


DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here"),
    ),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ["mlp", "deepsets"])
def test_saved_net_predicts_on_the_device_it_was_loaded_onto(name, device, events, tmp_path):
    """load_net(dir, device): inputs go to the net's device, outputs come back as CPU float32,
    the same as the net's own forward pass on the CPU; an empty chunk gives float32 too."""
    from iactdl.models.nets.saved import load_net, save_net

    net = _net(name, events, heads=("gammaness", "log10_energy"))
    meta = {"task": "separation", "input_kind": NETS[name].input_kind, "features": TOY_FEATURES}
    save_net(net, tmp_path / name, meta)
    predictor = load_net(tmp_path / name, device)
    assert next(predictor.net.parameters()).device.type == device
    with torch.no_grad():
        expected = net(**_inputs(name, events)).numpy()
        expected_rep = net.encode(**_inputs(name, events)).numpy()
    raw = predictor.predict_raw(events)
    rep = predictor.represent(events)
    assert raw.dtype == rep.dtype == np.float32
    np.testing.assert_allclose(raw, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(rep, expected_rep, rtol=1e-4, atol=1e-5)
    out = predictor.predict(events)
    assert np.all((out["gammaness"] >= 0) & (out["gammaness"] <= 1))
    assert np.all(out["energy_pred"] > 0)
    none = {k: v[:0] for k, v in events.items()}
    assert predictor.predict_raw(none).shape == (0, 2)
    empty_rep = predictor.represent(none)
    assert empty_rep.shape == (0, net.representation_size)
    assert empty_rep.dtype == np.float32
