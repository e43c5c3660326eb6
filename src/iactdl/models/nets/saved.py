"""A trained net on disk (``model.pt`` weights + ``model.json``) and its predictor read back.

``load_net(model_dir)`` returns an object with ``required_columns`` and ``predict(columns)`` (the
contract every model of the pipeline implements, see :func:`iactdl.models.load_model`):
``gammaness`` in [0, 1] (sigmoid of the logit), with an energy head ``energy_pred`` in TeV, and with
a direction head the reconstructed source position ``source_x_pred``, ``source_y_pred`` (mm in the
camera, as the disp baseline's; :mod:`iactdl.models.nets.direction`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from iactdl.io import InputError, atomic_paths
from iactdl.io.jsonfile import read_json
from iactdl.models.nets.direction import DIRECTION_HEADS, direction_columns, source_position
from iactdl.models.nets.registry import build_net, input_columns
from iactdl.models.stored import model_file_record, verified_model_file

__all__ = ["save_net", "load_net", "NetPredictor", "net_inputs", "direction_of"]


def direction_of(heads) -> str | None:
    """The direction head's parametrisation among a net's output heads.

    Parameters
    ----------
    heads : sequence of str
        The net's output heads (``net.heads``).

    Returns
    -------
    str or None
        ``source`` or ``disp``; None for a net without a direction head.
    """
    found = [d for d, names in DIRECTION_HEADS.items() if set(names) <= set(heads)]
    return found[0] if found else None


def net_inputs(
    columns: Mapping[str, np.ndarray], kind: str, features: list[str] | tuple[str, ...] = ()
) -> dict[str, torch.Tensor]:
    """Dataset columns -> the named input tensors of a net of input ``kind`` (float32, on CPU).

    Parameters
    ----------
    columns : mapping of str to numpy.ndarray
        Dataset columns by name, one row per event: the ``features`` (each (n_events,)),
        ``grid_image`` (n_events, 2, rows, cols) or ``pixel_set`` (n_events, P, 4) with
        ``pixel_set_mask`` (n_events, P).
    kind : str
        The net's input kind: ``features``, ``grid`` or ``pixel_set``
        (:data:`iactdl.models.nets.catalog.INPUT_KINDS`).
    features : list of str or tuple of str, optional
        The feature columns, in the net's order (kind ``features`` only).

    Returns
    -------
    dict of str to torch.Tensor
        ``features`` (n_events, n_features) float32; ``grid_image`` float32; or ``pixel_set``
        float32 and ``pixel_set_mask`` bool: the keyword arguments of the net's ``encode``.

    Raises
    ------
    iactdl.io.InputError
        Where a column is missing or has the wrong shape (naming it and what was expected).
    ValueError
        Where ``kind`` is unknown.
    """
    missing = [c for c in (features if kind == "features" else []) if c not in columns]
    if kind == "features":
        if missing:
            raise InputError(f"missing feature column(s) {missing}; have {sorted(columns)}")
        x = np.stack([np.asarray(columns[c], dtype=np.float32) for c in features], axis=1)
        return {"features": torch.from_numpy(x)}
    if kind == "grid":
        _require(columns, ["grid_image"])
        g = np.asarray(columns["grid_image"], dtype=np.float32)
        if g.ndim != 4 or g.shape[1] != 2:
            raise InputError(f"grid_image: expected shape (n, 2, rows, cols), got {g.shape}")
        return {"grid_image": torch.from_numpy(np.ascontiguousarray(g))}
    if kind == "pixel_set":
        _require(columns, ["pixel_set", "pixel_set_mask"])
        p = np.asarray(columns["pixel_set"], dtype=np.float32)
        m = np.asarray(columns["pixel_set_mask"], dtype=bool)
        if p.ndim != 3 or p.shape[2] != 4 or m.shape != p.shape[:2]:
            raise InputError(
                f"pixel_set {p.shape} / pixel_set_mask {m.shape}: expected (n, P, 4) and (n, P)"
            )
        return {"pixel_set": torch.from_numpy(p), "pixel_set_mask": torch.from_numpy(m)}
    raise ValueError(f"unknown input kind {kind!r}")


def _require(columns: Mapping, names: list[str]) -> None:
    missing = [c for c in names if c not in columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; have {sorted(columns)}")


def save_net(net: torch.nn.Module, model_dir: str | os.PathLike, meta: Mapping) -> None:
    """Write ``model.pt`` (state dict) and ``model.json`` atomically (temp name, then rename).

    ``model.json`` is ``meta`` plus ``kind`` ("net"), ``net``, ``heads``, ``settings`` and
    ``model_file`` (the weights' SHA-256, :func:`iactdl.models.stored.model_file_record`); both
    files are written or neither.

    Parameters
    ----------
    net : torch.nn.Module
        A trained net from :func:`iactdl.models.nets.registry.build_net` (with ``net_name``,
        ``heads`` and ``settings``).
    model_dir : str or os.PathLike
        Folder to write to (created if missing).
    meta : mapping
        What the training records beside the weights (JSON-serialisable; numpy scalars and
        tuples are converted), e.g. ``task``, ``input_kind``, ``features``;
        :class:`NetPredictor` reads ``input_kind`` and ``features`` back.
    """
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    meta = dict(meta)
    meta.update(
        kind="net",
        net=net.net_name,
        heads=list(net.heads),
        settings=dataclasses.asdict(net.settings),
    )
    # both or neither: a model.json never describes weights that were not written
    with atomic_paths(model_dir / "model.pt", model_dir / "model.json") as (pt, info):
        with open(pt, "wb") as f:  # a file object: the bytes do not depend on the temp name
            torch.save(net.state_dict(), f)
        meta["model_file"] = model_file_record(pt, "model.pt")  # checked before loading
        info.write_text(json.dumps(meta, indent=2, default=_json_default))


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj)}")


class NetPredictor:
    """A trained net behind the pipeline's model interface; evaluates in batches without grad.

    Parameters
    ----------
    net : torch.nn.Module
        The trained net (put in eval mode here), with ``heads`` set.
    meta : mapping
        Its ``model.json``: ``net`` and ``input_kind`` required; ``task`` (default
        ``separation``) and ``features`` read where present.
    batch_size : int, optional
        Events per forward pass (default 4096): bounds the memory of a prediction.
    """

    def __init__(self, net: torch.nn.Module, meta: Mapping, batch_size: int = 4096):
        self.net = net.eval()
        self.meta = dict(meta)
        self.task = self.meta.get("task", "separation")
        self.features = list(self.meta.get("features") or [])
        self.input_kind = self.meta["input_kind"]
        self.direction = direction_of(net.heads)
        self.required_columns = input_columns(self.meta["net"], self.features)
        if self.direction:  # the disp parametrisation reconstructs from the Hillas geometry
            extra = direction_columns(self.direction, training=False)
            self.required_columns = list(dict.fromkeys([*self.required_columns, *extra]))
        self.batch_size = batch_size

    @torch.no_grad()
    def predict_raw(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """Raw net outputs (n, heads): the gammaness logit and/or log10(E / TeV).

        Parameters
        ----------
        columns : mapping of str to numpy.ndarray
            Dataset columns by name, at least ``required_columns`` (e.g. the arrays of
            :func:`iactdl.io.read_columns`), one row per event.

        Returns
        -------
        numpy.ndarray
            Shape (n_events, n_heads), float32, one column per head of ``net.heads``.
        """
        return self._batched(self.net, columns, len(self.net.heads))

    @torch.no_grad()
    def represent(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """The encoder's representation (n, representation_size): what the heads read.

        Parameters
        ----------
        columns : mapping of str to numpy.ndarray
            Dataset columns by name, at least ``required_columns`` (e.g. the arrays of
            :func:`iactdl.io.read_columns`), one row per event.

        Returns
        -------
        numpy.ndarray
            Shape (n_events, representation_size), float32
            (:meth:`iactdl.models.nets.base.EncoderHeadNet.encode`).
        """
        return self._batched(self.net.encode, columns, self.net.representation_size)

    def _batched(self, forward, columns: Mapping[str, np.ndarray], width: int) -> np.ndarray:
        """``forward`` over ``batch_size`` events at a time: inputs moved to the net's device
        (``load_net(..., device)``), outputs back to the CPU as float32 (n_events, width)."""
        inputs = net_inputs(columns, self.input_kind, self.features)
        n = next(iter(inputs.values())).shape[0]
        device = _device_of(self.net)
        out = [
            forward(**{k: v[i : i + self.batch_size].to(device) for k, v in inputs.items()})
            .float()
            .cpu()
            for i in range(0, n, self.batch_size)
        ]
        # the empty case has the dtype of the filled one: float32 either way
        return torch.cat(out).numpy() if out else np.zeros((0, width), np.float32)

    def predict(self, columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The pipeline's predictions from the raw outputs.

        Parameters
        ----------
        columns : mapping of str to numpy.ndarray
            Dataset columns by name, at least ``required_columns`` (e.g. the arrays of
            :func:`iactdl.io.read_columns`), one row per event.

        Returns
        -------
        dict of str to numpy.ndarray
            Per head, float64, shape (n_events,): ``gammaness`` = 1 / (1 + exp(-logit)) in
            [0, 1]; ``energy_pred`` = 10 ** output, in TeV.
        """
        raw = self.predict_raw(columns)
        heads = list(self.net.heads)
        result = {}
        if "gammaness" in heads:
            logit = raw[:, heads.index("gammaness")].astype(np.float64)
            result["gammaness"] = 1.0 / (1.0 + np.exp(-logit))
        if "log10_energy" in heads:
            result["energy_pred"] = 10.0 ** raw[:, heads.index("log10_energy")].astype(np.float64)
        if self.direction:
            outputs = {h: raw[:, heads.index(h)] for h in DIRECTION_HEADS[self.direction]}
            x, y = source_position(outputs, columns, self.direction)
            result["source_x_pred"] = x.astype(np.float32)
            result["source_y_pred"] = y.astype(np.float32)
        return result


def _device_of(net: torch.nn.Module) -> torch.device:
    """Where the net's weights are (its first parameter or buffer); CPU for a net without any."""
    for tensor in (*net.parameters(), *net.buffers()):
        return tensor.device
    return torch.device("cpu")


def safe_torch_load(path: str | os.PathLike, map_location="cpu", retrain: str = "") -> object:
    """``torch.load(path, weights_only=True)``; a file that safe mode refuses (a pickled Python
    object, not plain tensors) or cannot read is an :class:`InputError` naming the file and what
    to do (``retrain``: how to make it again). torch's own message is not passed on: it suggests
    ``weights_only=False``, which would run whatever code the file holds."""
    import re

    path = Path(path)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found; {retrain}") from None
    except Exception as err:  # noqa: BLE001  (torch raises many kinds on a foreign file)
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(err))
        what = (
            f"holds a pickled Python object ({found.group(1)}), not plain tensors"
            if found
            else "is not a file of tensors saved by torch (truncated, damaged or another format)"
        )
        raise InputError(
            f"{path}: {what}, so it is refused: iactdl loads weights in torch's safe mode only "
            f"(weights_only) and never runs code from a file; expected the tensors iactdl writes. "
            f"{retrain}"
        ) from None


def load_net(model_dir: str | os.PathLike, device: str = "cpu") -> NetPredictor:
    """Read ``model.json`` and ``model.pt`` (``torch.load(weights_only=True)``) into a predictor.

    The weights' SHA-256 is checked against ``model.json`` first
    (:func:`iactdl.models.stored.verified_model_file`), and torch loads them in safe mode: a
    file is never executed.

    Parameters
    ----------
    model_dir : str or os.PathLike
        Folder written by :func:`save_net`.
    device : str, optional
        Torch device to load the weights and the net onto (default ``cpu``).

    Returns
    -------
    NetPredictor
        The net with its ``model.json``.

    Raises
    ------
    iactdl.io.InputError
        Where ``model.json`` is missing or not of kind ``net``, or the weights are missing,
        altered, not plain tensors or do not fit the net that ``model.json`` describes.
    """
    model_dir = Path(model_dir)
    meta_path = model_dir / "model.json"
    if not meta_path.exists():
        raise InputError(f"{meta_path}: not found (a trained net folder has model.json, model.pt)")
    meta = read_json(meta_path, "the model.json a train rule writes")
    if meta.get("kind") != "net":
        raise InputError(f"{meta_path}: kind {meta.get('kind')!r}, expected 'net'")
    weights_path = verified_model_file(model_dir, meta)  # the SHA-256 model.json recorded
    net = build_net(
        meta["net"],
        meta["settings"],
        tuple(meta["heads"]),
        n_features=len(meta.get("features") or []),
    )
    retrain = (
        f"Retrain the net: delete {model_dir} and rerun (snakemake --forcerun on the rule that "
        "trained it)"
    )
    state = safe_torch_load(weights_path, device, retrain)
    if not isinstance(state, Mapping):
        raise InputError(
            f"{weights_path}: holds a {type(state).__name__}, expected a state dict; {retrain}"
        )
    try:
        net.load_state_dict(state)
    except RuntimeError as err:
        first = str(err).splitlines()[0]
        raise InputError(
            f"{weights_path}: weights do not fit the net model.json describes ({first}); {retrain}"
        ) from None
    return NetPredictor(net.to(device), meta)
