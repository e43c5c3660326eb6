"""Plain JSON/YAML types of results and config sections: NaN and infinities as ``null``."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

__all__ = ["to_json"]


def to_json(obj):
    """Plain JSON types; NaN and infinities become null."""
    if isinstance(obj, Mapping):
        return {str(k): to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_json(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
