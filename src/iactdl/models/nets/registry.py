"""Building a net by name from its settings; the names live in :mod:`iactdl.models.nets.catalog`."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from typing import Any

from torch import nn

from iactdl.models.nets.catalog import INPUT_COLUMNS, NETS, check_net_name, input_columns
from iactdl.models.nets.layers import OUTPUT_HEADS

__all__ = [
    "NETS",
    "NET_MODULES",
    "INPUT_COLUMNS",
    "net_class",
    "settings_class",
    "net_settings",
    "build_net",
    "input_columns",
]


# Every net's module, imported by name below: spelled out, so that a rule whose code builds nets
# hashes their modules (iactdl.provenance reads module names in strings), and a rule of one net
# hashes its own (the others passed as `unnamed`). tests/test_nets.py holds it to the catalogue.
NET_MODULES = {
    "mlp": "iactdl.models.nets.mlp",
    "hexcnn": "iactdl.models.nets.hexcnn",
    "deepsets": "iactdl.models.nets.deepsets",
    "settransformer": "iactdl.models.nets.settransformer",
    "pixelmlp": "iactdl.models.nets.pixelmlp",
}


def net_class(name: str) -> type[nn.Module]:
    """The ``torch.nn.Module`` class of net ``name`` (its module is imported here, on demand).

    Parameters
    ----------
    name : str
        A key of :data:`NETS`.

    Returns
    -------
    type
        The class, a subclass of :class:`iactdl.models.nets.base.EncoderHeadNet`.
    """
    spec = check_net_name(name)
    return getattr(importlib.import_module(NET_MODULES[name]), spec.net_class)


def settings_class(name: str) -> type:
    """The settings dataclass of net ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`NETS`.

    Returns
    -------
    type
        The ``@dataclass`` (e.g. :class:`iactdl.models.nets.mlp.MLPSettings`).
    """
    spec = check_net_name(name)
    return getattr(importlib.import_module(NET_MODULES[name]), spec.settings_class)


def net_settings(name: str, settings: Mapping[str, Any] | None = None):
    """The settings dataclass of net ``name`` from a mapping; unknown keys are a clear error.

    Parameters
    ----------
    name : str
        A key of :data:`NETS`.
    settings : mapping of str to object, optional
        Setting names to values (a config entry's ``settings``); YAML lists become tuples.
        Missing ones take the dataclass defaults; default: all defaults.

    Returns
    -------
    object
        An instance of :func:`settings_class` of ``name``.

    Raises
    ------
    ValueError
        Where a key is not a field of the dataclass (the message lists the valid ones).
    """
    settings_cls = settings_class(name)
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


def build_net(
    name: str,
    settings: Mapping[str, Any] | object | None = None,
    heads: tuple[str, ...] = ("gammaness",),
    n_features: int | None = None,
) -> nn.Module:
    """A freshly initialised net ``name`` with one output per head (see ``OUTPUT_HEADS``).

    Parameters
    ----------
    name : str
        A key of :data:`NETS`.
    settings : mapping of str to object or settings dataclass, optional
        The net's settings: an instance of its dataclass, or a mapping for
        :func:`net_settings`; default: the dataclass defaults.
    heads : tuple of str, optional
        The output heads, in output-column order, from
        :data:`iactdl.models.nets.layers.OUTPUT_HEADS` (default ``("gammaness",)``;
        ``("gammaness", "log10_energy")`` for multi-task).
    n_features : int, optional
        Number of input feature columns: required by the ``mlp`` (input kind ``features``),
        ignored by the others.

    Returns
    -------
    torch.nn.Module
        The net, with ``heads`` and ``net_name`` set as attributes.

    Raises
    ------
    ValueError
        Where ``name``, a setting or a head is unknown, or ``heads`` is empty.
    """
    net_cls, settings_cls = net_class(name), settings_class(name)
    if not isinstance(settings, settings_cls):
        settings = net_settings(name, settings)  # type: ignore[arg-type]
    bad = [h for h in heads if h not in OUTPUT_HEADS]
    if bad or not heads:
        raise ValueError(f"unknown output head(s) {bad}; valid heads: {list(OUTPUT_HEADS)}")
    net = net_cls(settings, n_outputs=len(heads), n_features=n_features)
    net.heads = tuple(heads)
    net.net_name = name
    return net
