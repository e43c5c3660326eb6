"""The nets by name: where each one's code lives and what it reads, without importing torch.

Planning the workflow (config checks, wildcard constraints, source hashes) needs the names and
input kinds of the nets but none of their code; :mod:`iactdl.models.nets.registry` imports a net's
module only when it builds one, and spells each module out in full there, so that only code that
builds nets reaches their modules in a rule's source hash (:mod:`iactdl.provenance`); here each is
named relative to this package.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["INPUT_COLUMNS", "INPUT_KINDS", "NETS", "NetSpec", "check_net_name", "input_columns"]


class NetSpec(NamedTuple):
    """One net of the catalogue.

    Parameters
    ----------
    module : str
        Module that defines the net, relative to :mod:`iactdl.models.nets` (e.g. ``hexcnn``).
    net_class : str
        Name of its ``torch.nn.Module`` class in that module.
    settings_class : str
        Name of its ``@dataclass`` of settings in that module.
    input_kind : str
        What it reads, one of :data:`INPUT_KINDS`: ``features``, ``grid`` or ``pixel_set``.
    """

    module: str
    """Module that defines the net, in :mod:`iactdl.models.nets` (imported when one is built)."""
    net_class: str
    """Its ``torch.nn.Module`` class in that module."""
    settings_class: str
    """Its ``@dataclass`` of settings in that module."""
    input_kind: str
    """What it reads: ``features`` (the entry's feature columns), ``grid`` or ``pixel_set``."""

    @property
    def qualified_module(self) -> str:
        """The module's full dotted name."""
        return f"{__package__}.{self.module}"


NETS: dict[str, NetSpec] = {
    "mlp": NetSpec("mlp", "MLP", "MLPSettings", "features"),
    "hexcnn": NetSpec("hexcnn", "HexCNN", "HexCNNSettings", "grid"),
    "deepsets": NetSpec("deepsets", "DeepSets", "DeepSetsSettings", "pixel_set"),
    "settransformer": NetSpec(
        "settransformer", "SetTransformer", "SetTransformerSettings", "pixel_set"
    ),
    "pixelmlp": NetSpec("pixelmlp", "PixelMLP", "PixelMLPSettings", "grid"),
}

# dataset columns each input kind reads (features: the entry's own list of feature columns)
INPUT_COLUMNS = {
    "features": (),
    "grid": ("grid_image",),
    "pixel_set": ("pixel_set", "pixel_set_mask"),
}
INPUT_KINDS = tuple(INPUT_COLUMNS)


def check_net_name(name: str) -> NetSpec:
    """The catalogue entry of net ``name``; an unknown name is a clear error listing the nets.

    Parameters
    ----------
    name : str
        A key of :data:`NETS` (``mlp``, ``hexcnn``, ``deepsets``, ``settransformer``,
        ``pixelmlp``).

    Returns
    -------
    NetSpec
        Its entry of :data:`NETS`.

    Raises
    ------
    ValueError
        Where ``name`` is not in :data:`NETS`.
    """
    if name not in NETS:
        raise ValueError(f"unknown net {name!r}; valid nets: {sorted(NETS)}")
    return NETS[name]


def input_columns(name: str, features: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Dataset columns net ``name`` reads as input.

    Parameters
    ----------
    name : str
        A key of :data:`NETS`.
    features : list of str or tuple of str, optional
        The entry's feature columns: what a net of input kind ``features`` reads (required
        there); ignored by the others, which read :data:`INPUT_COLUMNS` of their kind.

    Returns
    -------
    list of str
        The columns, in the order the net takes them.

    Raises
    ------
    ValueError
        Where ``name`` is unknown, or a ``features`` net is given no ``features``.
    """
    kind = check_net_name(name).input_kind
    if kind == "features":
        if not features:
            raise ValueError(f"net {name!r} reads the feature table: give a `features` list")
        return list(features)
    return list(INPUT_COLUMNS[kind])
