"""Range cuts on event columns, shared by the extract stage and the datasets' quality cuts."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from iactdl.io.hdf5 import InputError

__all__ = ["range_cut_masks"]


def range_cut_masks(
    chunk: Mapping[str, np.ndarray], ranges: Mapping, key: str, path
) -> dict[str, np.ndarray]:
    """Rows inside ``[min, max]`` (inclusive; None = open) per column; NaN is outside."""
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
