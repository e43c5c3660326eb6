"""Files of the shift diagnostics: seeded row subsets read chunk by chunk, atomic CSV and the
.npz of the compared values (each written whole or not at all)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from iactdl.io import atomic_path, iter_chunks, read_columns

__all__ = ["subsample", "read_rows", "write_csv", "write_samples"]


def subsample(candidates: np.ndarray, max_events: int, seed: int) -> np.ndarray:
    """Sorted row indices: all candidates, or a seeded subset of ``max_events`` of them.

    Parameters
    ----------
    candidates : numpy.ndarray
        Row indices.
    max_events : int
        The most rows kept.
    seed : int
        Seed of the subset.

    Returns
    -------
    numpy.ndarray
        Sorted row indices.
    """
    if candidates.size > max_events:
        candidates = np.random.default_rng(seed).choice(candidates, max_events, replace=False)
    return np.sort(candidates)


def read_rows(path, columns, rows: np.ndarray, chunk_size: int = 8192) -> dict[str, np.ndarray]:
    """Columns of the sorted row indices ``rows``, streamed chunk by chunk.

    Sequential reads of compressed chunks instead of h5py's point selection, which is slow for long
    index lists.

    Parameters
    ----------
    path : str or os.PathLike
        An event file.
    columns : iterable of str
        The columns to read.
    rows : numpy.ndarray
        Sorted row indices.
    chunk_size : int
        Rows read at a time.

    Returns
    -------
    dict of str to numpy.ndarray
        The columns of the rows.
    """
    parts: dict[str, list[np.ndarray]] = {c: [] for c in columns}
    start = 0
    for chunk in iter_chunks(path, chunk_size, list(columns)):
        n = len(next(iter(chunk.values())))
        lo, hi = np.searchsorted(rows, [start, start + n])
        if hi > lo:
            for c in columns:
                parts[c].append(chunk[c][rows[lo:hi] - start])
        start += n
    return {
        c: np.concatenate(v) if v else read_columns(path, [c], 0, 0)[c] for c, v in parts.items()
    }


def write_csv(path: Path, table: pd.DataFrame) -> None:
    """Write ``table`` as CSV, whole or not at all.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    table : pandas.DataFrame
        The table (without its index).
    """
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)


# values per input kept for the figures (a seeded subset when there are more)
MAX_SAMPLE_VALUES = 50000


def write_samples(path: Path, groups: Mapping[str, Mapping[str, np.ndarray]], seed: int) -> None:
    """The compared values, ``{group}__{input}`` -> float32 array, as one compressed .npz.

    Parameters
    ----------
    path : pathlib.Path
        The file, written whole or not at all.
    groups : Mapping of str to Mapping of str to numpy.ndarray
        Group to its values per input.
    seed : int
        Seed of the sorted subsets drawn where an input holds more than ``MAX_SAMPLE_VALUES``.
    """
    rng = np.random.default_rng(seed)
    arrays = {}
    for group, columns in groups.items():
        for name, values in columns.items():
            v = np.asarray(values, dtype=np.float32).ravel()
            if v.size > MAX_SAMPLE_VALUES:
                v = np.sort(rng.choice(v, MAX_SAMPLE_VALUES, replace=False))
            arrays[f"{group}__{name}"] = v
    with atomic_path(path) as tmp:  # tmp keeps the .npz suffix: numpy appends none
        np.savez_compressed(tmp, **arrays)
