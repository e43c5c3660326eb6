"""Compact storage of the image columns: half precision where float32 carries no information.

``grid_image`` and ``pixel_set`` hold charges (p.e.), peak times (ns) and pixel positions (deg):
float16 keeps 11 significant bits (a relative step of 2^-11 = 0.05 %: 0.05 p.e. at 100 p.e.,
0.125 ns at 256 ns, below FACT's 0.5 ns sampling) over a range to 65504, so no scale factor is
needed and readers get numbers they use as they are (:func:`iactdl.models.nets.net_inputs` casts
to float32). It halves the bytes an image costs on disk, in the page cache and in a streamed pool
(:mod:`iactdl.fit.streaming`). What it costs in AUC is measured in ``benchmarks/stream.py``.
"""

from __future__ import annotations

import numpy as np

from iactdl.io.hdf5 import InputError

__all__ = ["IMAGE_DTYPES", "HALF_MAX", "store_as"]

IMAGE_DTYPES = ("float32", "float16")  # config features.image_dtype
HALF_MAX = float(np.finfo(np.float16).max)  # 65504


def store_as(values: np.ndarray, dtype: str, column: str, path=None) -> np.ndarray:
    """``values`` in the storage ``dtype`` (``float32``: unchanged); a finite value beyond float16's
    range is refused, naming the column, instead of becoming inf.

    Parameters
    ----------
    values : numpy.ndarray
        An image column (charges in p.e., times in ns or positions in deg), any shape.
    dtype : {"float32", "float16"}
        The storage type (config ``features.image_dtype``).
    column : str
        The column's name, for the error message.
    path : str or os.PathLike, optional
        The file it is written to, for the error message.

    Returns
    -------
    numpy.ndarray
        ``values`` itself for ``float32``; a float16 copy of the same shape for ``float16``
        (non-finite values stay as they are).

    Raises
    ------
    ValueError
        ``dtype`` is not one of :data:`IMAGE_DTYPES`.
    iactdl.io.hdf5.InputError
        For ``float16``: a finite value has a magnitude beyond :data:`HALF_MAX` (65504).
    """
    if dtype == "float32":
        return values
    if dtype != "float16":
        raise ValueError(f"features.image_dtype: {dtype!r} is not one of {list(IMAGE_DTYPES)}")
    finite = np.isfinite(values)
    if finite.any() and np.abs(values[finite]).max() > HALF_MAX:
        raise InputError(
            f"{path}: column '{column}' has |values| up to {np.abs(values[finite]).max():g}, "
            f"beyond float16's {HALF_MAX:g}; set features.image_dtype: float32"
        )
    return values.astype(np.float16)
