"""Plain JSON/YAML types of results and config sections: NaN and infinities as ``null``; and the
one JSON writer of the pipeline (whole or not at all)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping

import numpy as np

from iactdl.io.atomic import write_text_atomic

__all__ = ["to_json", "write_json"]


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


def write_json(path: str | os.PathLike, obj, indent: int = 2) -> None:
    """Write ``obj`` as JSON (:func:`to_json`: NaN -> null) to ``path``, whole or not at all."""
    write_text_atomic(path, json.dumps(to_json(obj), indent=indent))
