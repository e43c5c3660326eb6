"""Plain JSON/YAML types of results and config sections: NaN and infinities as ``null``; and the
one JSON writer of the pipeline (whole or not at all)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping

import numpy as np

from iactdl.io.atomic import write_text_atomic

__all__ = ["read_json", "to_json", "write_json"]


def to_json(obj):
    """``obj`` in plain JSON types; NaN and infinities become null.

    Parameters
    ----------
    obj : object
        Mappings, lists, tuples, numpy scalars and arrays, and plain values, nested.

    Returns
    -------
    object
        The same with dicts (str keys) for mappings, lists for sequences and arrays, Python
        scalars for numpy ones, None for NaN and infinities; other values unchanged.
    """
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
    """Write ``obj`` as JSON to ``path``, whole or not at all.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    obj : object
        The value, converted by :func:`to_json` (NaN -> null).
    indent : int
        Indentation of the JSON text.
    """
    write_text_atomic(path, json.dumps(to_json(obj), indent=indent))


def read_json(path: str | os.PathLike, what: str = "a JSON file the pipeline writes", kind=dict):
    """The JSON value in ``path``, checked to be a ``kind``.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    what : str
        What the file should be, named in errors.
    kind : type
        The type of the top level (default: an object, ``dict``).

    Returns
    -------
    object
        The parsed value.

    Raises
    ------
    InputError
        A missing, unreadable or malformed file (or one whose top level is not ``kind``), naming
        the file, the line and ``what`` was expected, and what to do (rerun the rule that
        writes it).
    """
    from pathlib import Path

    from iactdl.io.hdf5 import InputError  # iactdl.io.hdf5 imports this module

    path = Path(path)
    redo = "delete it and rerun the rule that writes it"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found; expected {what}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot be read ({err}); expected {what}: {redo}") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(
            f"{path}:{err.lineno}:{err.colno}: not valid JSON ({err.msg}); expected {what}: {redo}"
        ) from None
    if kind is not None and not isinstance(value, kind):
        raise InputError(
            f"{path}: holds a JSON {type(value).__name__}; expected {what} (a JSON "
            f"{'object' if kind is dict else kind.__name__}): {redo}"
        )
    return value
