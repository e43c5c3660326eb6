"""Self-describing training checkpoints, written atomically, read with ``weights_only=True``.

A checkpoint is a plain dict of tensors, numbers, strings, lists and dicts (so ``torch.load`` with
``weights_only=True`` reads it without unpickling code): ``format``, ``identity`` (what must match
to resume: net name and settings, heads, fit settings, seed, data sizes), ``epoch`` (epochs done),
``model``, ``optimizer``, ``scheduler`` (state dicts), ``best_val_loss``, ``best_epoch``,
``best_model``, ``epochs_since_best``, ``history`` (rows of history.csv), ``rng`` (torch CPU and
CUDA generator states), ``seed``, ``iactdl_version``.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from iactdl.io import InputError, atomic_path
from iactdl.models.nets.saved import safe_torch_load

__all__ = ["CHECKPOINT_FORMAT", "save_checkpoint", "load_checkpoint", "rng_state", "set_rng_state"]

CHECKPOINT_FORMAT = "iactdl-checkpoint-1"


def save_checkpoint(path: str | os.PathLike, state: dict) -> None:
    """``torch.save``, whole or not at all (:func:`iactdl.io.atomic_path`): a kill mid-write
    leaves the previous checkpoint intact.

    Parameters
    ----------
    path : str or os.PathLike
        The checkpoint file (conventionally ``checkpoint.pt``); replaced atomically if it exists.
    state : dict
        The checkpoint's content (keys in the module docstring): tensors, numbers, strings, lists
        and dicts only, so that ``weights_only=True`` can read it. ``format`` is added
        (:data:`CHECKPOINT_FORMAT`).
    """
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        # through a file object: given a path, torch names the archive's root folder after the
        # (temporary, pid-bearing) file name, so the same weights gave different bytes per run
        torch.save({"format": CHECKPOINT_FORMAT, **state}, f)


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict:
    """Read a checkpoint (``weights_only=True``); a foreign or broken file is an InputError.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save_checkpoint`.
    map_location : str or torch.device, optional
        Where the tensors are loaded (``torch.load``'s ``map_location``); default ``"cpu"``.

    Returns
    -------
    dict
        The checkpoint's content, ``format`` included (keys in the module docstring).

    Raises
    ------
    iactdl.io.InputError
        If the file cannot be read with ``weights_only=True`` or its ``format`` is not
        :data:`CHECKPOINT_FORMAT`.
    """
    path = Path(path)
    state = safe_torch_load(
        path, map_location, "The training moves it aside and starts afresh; delete it then."
    )
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise InputError(f"{path}: not an iactdl checkpoint (expected format {CHECKPOINT_FORMAT})")
    return state


def rng_state() -> dict:
    """The global torch random-number generators' states, to resume a run's random stream.

    Returns
    -------
    dict
        ``torch``: the CPU generator's state (uint8 tensor); ``cuda``: the list of every CUDA
        device's state, present only where CUDA is available.
    """
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore the global torch generators from :func:`rng_state`'s dict.

    Parameters
    ----------
    state : dict
        As returned by :func:`rng_state` (possibly loaded onto a GPU: it is moved to the CPU
        first). ``cuda`` is ignored where CUDA is not available, so a GPU run's checkpoint
        resumes on the CPU.
    """
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
