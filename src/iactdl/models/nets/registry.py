"""The nets by name (module class, settings dataclass, input kind); building one from settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from torch import nn

from iactdl.models.nets.deepsets import DeepSets, DeepSetsSettings
from iactdl.models.nets.hexcnn import HexCNN, HexCNNSettings
from iactdl.models.nets.layers import OUTPUT_HEADS
from iactdl.models.nets.mlp import MLP, MLPSettings
from iactdl.models.nets.pixelmlp import PixelMLP, PixelMLPSettings
from iactdl.models.nets.settransformer import SetTransformer, SetTransformerSettings

__all__ = ["NETS", "INPUT_COLUMNS", "net_settings", "build_net", "input_columns"]

# name -> (module class, settings dataclass, input kind)
NETS: dict[str, tuple[type[nn.Module], type, str]] = {
    "mlp": (MLP, MLPSettings, "features"),
    "hexcnn": (HexCNN, HexCNNSettings, "grid"),
    "deepsets": (DeepSets, DeepSetsSettings, "pixel_set"),
    "settransformer": (SetTransformer, SetTransformerSettings, "pixel_set"),
    "pixelmlp": (PixelMLP, PixelMLPSettings, "grid"),
}

# dataset columns each input kind reads (features: the entry's own list of feature columns)
INPUT_COLUMNS = {
    "features": (),
    "grid": ("grid_image",),
    "pixel_set": ("pixel_set", "pixel_set_mask"),
}


def _check_name(name: str) -> tuple[type[nn.Module], type, str]:
    if name not in NETS:
        raise ValueError(f"unknown net {name!r}; valid nets: {sorted(NETS)}")
    return NETS[name]


def net_settings(name: str, settings: Mapping[str, Any] | None = None):
    """The settings dataclass of net ``name`` from a mapping; unknown keys are a clear error."""
    _, settings_cls, _ = _check_name(name)
    settings = dict(settings or {})
    fields = {f.name: f for f in dataclasses.fields(settings_cls)}
    unknown = sorted(set(settings) - set(fields))
    if unknown:
        raise ValueError(
            f"net {name!r} does not take setting(s) {unknown}; valid settings: {sorted(fields)}"
        )
    for key, value in settings.items():
        if isinstance(value, list):  # YAML lists -> the tuples of the dataclass defaults
            settings[key] = tuple(value)
    return settings_cls(**settings)


def input_columns(name: str, features: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Dataset columns net ``name`` reads as input."""
    _, _, kind = _check_name(name)
    if kind == "features":
        if not features:
            raise ValueError(f"net {name!r} reads the feature table: give a `features` list")
        return list(features)
    return list(INPUT_COLUMNS[kind])


def build_net(
    name: str,
    settings: Mapping[str, Any] | object | None = None,
    heads: tuple[str, ...] = ("gammaness",),
    n_features: int | None = None,
) -> nn.Module:
    """A freshly initialised net ``name`` with one output per head (see ``OUTPUT_HEADS``)."""
    net_cls, settings_cls, _ = _check_name(name)
    if not isinstance(settings, settings_cls):
        settings = net_settings(name, settings)  # type: ignore[arg-type]
    bad = [h for h in heads if h not in OUTPUT_HEADS]
    if bad or not heads:
        raise ValueError(f"unknown output head(s) {bad}; valid heads: {list(OUTPUT_HEADS)}")
    net = net_cls(settings, n_outputs=len(heads), n_features=n_features)
    net.heads = tuple(heads)
    net.net_name = name
    return net
