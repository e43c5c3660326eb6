"""The direction head of a net: its two parametrisations, their targets and the source position.

A net's direction head reconstructs where the shower's source lies in the camera, in one of two
parametrisations (config ``models.<net>.direction_head``):

- ``source``: two outputs, the source position ``(x, y)`` in the camera in deg (mm x
  :data:`iactdl.camera.MM_TO_DEG`), regressed directly; loss: squared distance to the true source.
- ``disp``: two outputs, ``|disp|`` (deg) and the logit of the disp sign being +1 (Lessard et al.
  2001, as the disp baseline :mod:`iactdl.models.disp`); loss: squared error of ``|disp|`` plus the
  cross-entropy of the sign; the source is ``cog +- |disp|`` along the image's main axis
  (:func:`iactdl.features.disp.reconstruct_source_position`), so the prediction reads the Hillas
  ``cog_x``, ``cog_y``, ``delta`` columns too.

Labels are the truth of simulated gammas (``true_source_x/y``, mm); only the rows of the
:data:`DIRECTION_TRAIN_SAMPLE` sample carry one (diffuse gammas: a field of view's worth of source
offsets, as the disp baseline and FACT's open analysis train on), so a net's loss on the other rows
(protons, point-like gammas) is masked. Everything is vectorised over events.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from iactdl.camera import MM_TO_DEG
from iactdl.features.disp import DISP_GEOMETRY_COLUMNS, reconstruct_source_position, true_disp
from iactdl.io import InputError

__all__ = [
    "DIRECTION_HEADS",
    "DIRECTION_TRAIN_SAMPLE",
    "TRUE_SOURCE_COLUMNS",
    "direction_columns",
    "direction_targets",
    "source_position",
    "check_direction_head",
]

# the output heads of each parametrisation, in output-column order
DIRECTION_HEADS = {"source": ("source_x", "source_y"), "disp": ("disp_abs", "disp_sign")}
# the simulated sample whose events carry a direction label (config directions.disp.train_sample)
DIRECTION_TRAIN_SAMPLE = "gamma_diffuse"
TRUE_SOURCE_COLUMNS = ("true_source_x", "true_source_y")


def check_direction_head(direction: str | None) -> str | None:
    """``direction`` itself if it names a parametrisation (or is None/false); else a ValueError.

    Parameters
    ----------
    direction : str or None
        ``source``, ``disp``, or None / False for a net without a direction head.

    Returns
    -------
    str or None
        The parametrisation, None without a direction head.
    """
    if direction is None or direction is False:
        return None
    if direction not in DIRECTION_HEADS:
        raise ValueError(
            f"direction_head: {direction!r}; valid: {list(DIRECTION_HEADS)} or false (none)"
        )
    return direction


def direction_columns(direction: str, training: bool) -> list[str]:
    """The dataset columns a direction head reads beyond the net's inputs.

    Parameters
    ----------
    direction : str
        ``source`` or ``disp``.
    training : bool
        True for the targets (the true source position and ``sample``), False for prediction.

    Returns
    -------
    list of str
        Column names; ``disp`` reads the Hillas geometry (``cog_x``, ``cog_y``, ``delta``) in both.
    """
    geometry = list(DISP_GEOMETRY_COLUMNS) if direction == "disp" else []
    return [*TRUE_SOURCE_COLUMNS, "sample", *geometry] if training else geometry


def direction_targets(
    columns: Mapping[str, np.ndarray], direction: str, source: object = "input"
) -> dict[str, np.ndarray]:
    """The direction head's targets (float32 per event) and which rows carry one.

    Parameters
    ----------
    columns : mapping
        Dataset columns: ``true_source_x``, ``true_source_y`` (mm, NaN for hadrons), optionally
        ``sample`` (only :data:`DIRECTION_TRAIN_SAMPLE` rows are labelled where present) and, for
        ``disp``, ``cog_x``, ``cog_y`` (mm) and ``delta`` (rad).
    direction : str
        ``source`` or ``disp``.
    source : object
        The file the columns come from, named in errors.

    Returns
    -------
    dict
        ``direction_weight`` (1 on labelled rows, else 0) and the targets, 0 on unlabelled rows:
        ``source_x``, ``source_y`` (deg in the camera) or ``disp_abs`` (deg) and ``disp_sign``
        (1 for sign +1, 0 for -1).

    Raises
    ------
    InputError
        A column missing (naming ``source`` and the column): a file without the true source
        position (observed data) cannot train a direction head.
    """
    need = [c for c in direction_columns(direction, training=True) if c != "sample"]
    missing = [c for c in need if c not in columns]
    if missing:
        raise InputError(
            f"{source}: a net's direction head ({direction}) trains on the true source position "
            f"of simulated gammas; column(s) {missing} missing (it has {sorted(columns)})"
        )
    sx = np.asarray(columns["true_source_x"], dtype=np.float64)
    sy = np.asarray(columns["true_source_y"], dtype=np.float64)
    label = np.isfinite(sx) & np.isfinite(sy)
    if "sample" in columns:
        label &= np.asarray(columns["sample"]).astype(str) == DIRECTION_TRAIN_SAMPLE
    if direction == "disp":
        label &= np.all(
            [np.isfinite(np.asarray(columns[c], float)) for c in DISP_GEOMETRY_COLUMNS], 0
        )
    sx, sy = np.where(label, sx, 0.0), np.where(label, sy, 0.0)
    out = {"direction_weight": label.astype(np.float32)}
    if direction == "source":
        out["source_x"] = (sx * MM_TO_DEG).astype(np.float32)
        out["source_y"] = (sy * MM_TO_DEG).astype(np.float32)
        return out
    geometry = [np.where(label, np.asarray(columns[c], float), 0.0) for c in DISP_GEOMETRY_COLUMNS]
    abs_disp, sign = true_disp(sx, sy, *geometry)
    out["disp_abs"] = np.where(label, abs_disp * MM_TO_DEG, 0.0).astype(np.float32)
    out["disp_sign"] = np.where(label, sign > 0, 0).astype(np.float32)
    return out


def source_position(
    outputs: Mapping[str, np.ndarray], columns: Mapping[str, np.ndarray], direction: str
) -> tuple[np.ndarray, np.ndarray]:
    """The reconstructed source position in the camera (mm) from a direction head's outputs.

    Parameters
    ----------
    outputs : mapping
        The raw outputs by head name: ``source_x``, ``source_y`` (deg) or ``disp_abs`` (deg) and
        ``disp_sign`` (logit of sign +1).
    columns : mapping
        The dataset columns of the same events; ``disp`` reads ``cog_x``, ``cog_y`` (mm), ``delta``.
    direction : str
        ``source`` or ``disp``.

    Returns
    -------
    source_x, source_y : ndarray
        Float64, mm in the camera frame (as ``true_source_x/y`` and the disp baseline's).
    """
    if direction == "source":
        return (
            np.asarray(outputs["source_x"], np.float64) / MM_TO_DEG,
            np.asarray(outputs["source_y"], np.float64) / MM_TO_DEG,
        )
    sign = np.where(np.asarray(outputs["disp_sign"]) < 0, -1.0, 1.0)  # logit < 0: P(+1) < 0.5
    disp = sign * np.abs(np.asarray(outputs["disp_abs"], np.float64)) / MM_TO_DEG
    return reconstruct_source_position(columns["cog_x"], columns["cog_y"], columns["delta"], disp)
