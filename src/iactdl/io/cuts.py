"""Range cuts on event columns, shared by the extract stage and the datasets' quality cuts."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from iactdl.io.hdf5 import InputError

__all__ = ["check_range_cuts", "range_cut_masks"]


def check_range_cuts(ranges: Mapping, key: str) -> None:
    """Check range cuts ``{column: [min, max]}`` of config section ``key`` (``None``: an open end).

    Parameters
    ----------
    ranges : Mapping
        Column name to a pair ``[min, max]``.
    key : str
        The config key of ``ranges``, named in the error.

    Raises
    ------
    ValueError
        Naming ``key.column``, for a pair that is not two numbers or nulls, or whose min exceeds
        its max (a cut that keeps nothing).
    """
    if not isinstance(ranges, Mapping):
        raise ValueError(f"{key}: expected a mapping column -> [min, max], got {ranges!r}")
    for name, bounds in ranges.items():
        ok = isinstance(bounds, (list, tuple)) and len(bounds) == 2
        ok = ok and all(
            b is None or (isinstance(b, (int, float)) and not isinstance(b, bool)) for b in bounds
        )
        if not ok:
            raise ValueError(f"{key}.{name}: expected [min, max] (numbers or null), got {bounds!r}")
        lo, hi = bounds
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"{key}.{name}: min {lo} is above max {hi}, the cut keeps no event")


def range_cut_masks(
    chunk: Mapping[str, np.ndarray], ranges: Mapping, key: str, path
) -> dict[str, np.ndarray]:
    """Rows inside ``[min, max]`` (inclusive; ``None``: open) per cut column; NaN is outside.

    Parameters
    ----------
    chunk : Mapping of str to numpy.ndarray
        Columns of a chunk of events.
    ranges : Mapping
        The cuts, ``{column: [min, max]}`` (checked by :func:`check_range_cuts`).
    key : str
        The config key of ``ranges``, named in errors.
    path : str or os.PathLike
        The file the chunk comes from, named in errors.

    Returns
    -------
    dict of str to numpy.ndarray
        Per cut column, a bool array (n_events,): the rows inside its range.

    Raises
    ------
    InputError
        A cut column the chunk lacks, or one that is not 1-D.
    """
    masks = {}
    for name, bounds in ranges.items():
        if name not in chunk:
            raise InputError(
                f"{path}: config {key}.{name}: no column '{name}' to cut on "
                f"(the events have {sorted(chunk)})"
            )
        values = np.asarray(chunk[name])
        if values.ndim != 1:
            raise InputError(f"config {key}.{name}: column '{name}' is not 1-D, cannot range-cut")
        lo, hi = bounds
        keep = np.isfinite(values) if values.dtype.kind in "fc" else np.ones(len(values), bool)
        if lo is not None:
            keep &= values >= lo
        if hi is not None:
            keep &= values <= hi
        masks[f"{key}.{name}"] = keep
    return masks
