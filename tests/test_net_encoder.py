"""The encoder / head split of every net: forward == head(encode(x)), and no prediction moved.

``tests/data/net_outputs_before_split.npz`` holds the outputs of each net (fixed seed, fixed toy
input, default and small settings, two heads) written by ``python tests/test_net_encoder.py`` with
the code before the split (commit bdda91b). The split must reproduce them: same parameters created
in the same order (same initialisation), same arithmetic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from iactdl.fit.toydata import TOY_FEATURES, toy_events
from iactdl.models.nets import NETS, build_net, net_inputs

REFERENCE = Path(__file__).parent / "data" / "net_outputs_before_split.npz"
SMALL = {
    "mlp": {"hidden": [32, 32], "dropout": 0.0},
    "hexcnn": {"channels": [8, 16], "head_hidden": 16, "dropout": 0.0},
    "deepsets": {"phi": [32, 32], "rho": [32], "pooling": "sum+mean+max"},
    "settransformer": {"dim": 32, "heads": 4, "blocks": 2, "inducing_points": 8, "head_hidden": 32},
    "pixelmlp": {"hidden": [32, 32], "dropout": 0.0},
}
# the nets that existed before the split (pixelmlp came after it, born with the split)
SPLIT_NETS = ("mlp", "hexcnn", "deepsets", "settransformer")
CASES = [(name, size) for name in SPLIT_NETS for size in ("default", "small")]


def _outputs(name: str, size: str) -> np.ndarray:
    events = toy_events(64, seed=5, max_pixels=40)
    x = net_inputs(events, NETS[name].input_kind, TOY_FEATURES)
    torch.manual_seed(11)
    settings = SMALL[name] if size == "small" else None
    if name == "deepsets":  # the reference predates the relative pixel positions (an input change)
        settings = {**(settings or {}), "coordinates": "absolute"}
    net = build_net(name, settings, ("gammaness", "log10_energy"), n_features=len(TOY_FEATURES))
    net.fit_scaling(**x)
    with torch.no_grad():
        return net.eval()(**x).numpy()


def _net_and_inputs(name: str):
    events = toy_events(64, seed=5, max_pixels=40)
    x = net_inputs(events, NETS[name].input_kind, TOY_FEATURES)
    torch.manual_seed(11)
    net = build_net(name, SMALL[name], ("gammaness", "log10_energy"), n_features=len(TOY_FEATURES))
    net.fit_scaling(**x)
    return net.eval(), x


@pytest.mark.parametrize(("name", "size"), CASES)
def test_predictions_unchanged_by_the_split(name, size):
    reference = np.load(REFERENCE)[f"{name}_{size}"]
    np.testing.assert_allclose(_outputs(name, size), reference, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(NETS))
def test_forward_is_head_of_encode(name):
    net, x = _net_and_inputs(name)
    with torch.no_grad():
        z = net.encode(**x)
        assert z.ndim == 2 and z.shape == (64, net.representation_size)
        torch.testing.assert_close(net.head(z), net(**x), rtol=0, atol=0)


@pytest.mark.parametrize("name", list(NETS))
def test_encoder_gets_the_gradient_of_a_head_on_the_representation(name):
    """A second head on the representation (DANN's domain head) trains the encoder's weights."""
    net, x = _net_and_inputs(name)
    net.train()
    z = net.encode(**x)
    z.sum().backward()
    enc = [p for n, p in net.named_parameters() if not n.startswith("head")]
    assert enc and all(p.grad is not None for p in enc if p.requires_grad)
    assert all(p.grad is None for n, p in net.named_parameters() if n.startswith("head"))


if __name__ == "__main__":  # write the reference with the code as it is now
    np.savez(REFERENCE, **{f"{n}_{s}": _outputs(n, s) for n, s in CASES})
    print(f"wrote {REFERENCE}")
