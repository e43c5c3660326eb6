"""HDF5 in the FACT/pyfact DL2 layout: group ``events``, one dataset per column.

Writing is chunked and atomic: :class:`EventWriter` appends chunks to a temporary file next to the
target and renames it into place only when the writer closes without error, so an output is written
whole or not at all. Files are readable with plain h5py and with pyfact's ``read_h5py`` semantics
(2-D datasets become ``col_0, col_1, ...``).

Provenance: every file we write carries the attributes ``iactdl_version``, ``config`` (the YAML of
the config section that produced it) and ``seed``.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import h5py
import numpy as np
import yaml

from iactdl import __version__
from iactdl.io.atomic import atomic_path, hdf5_writer
from iactdl.io.event_columns import COLUMN_TYPES
from iactdl.io.jsonfile import to_json  # plain types (Snakemake hands us its own mappings)

if TYPE_CHECKING:  # pandas only in read_table: every job reads and writes events, few need tables
    import pandas as pd

__all__ = [
    "EventWriter",
    "read_columns",
    "iter_chunks",
    "n_events",
    "column_names",
    "read_attrs",
    "data_attrs",
    "open_events",
    "check_layout",
    "check_column",
    "read_dataset",
    "InputError",
]

GROUP = "events"


class InputError(ValueError):
    """Bad input: the message names the file, the key or column, and what was expected."""


def _is_hdf5(path: Path) -> bool:
    try:
        return h5py.is_hdf5(path)
    except OSError:
        return False


_NUMBERS = "biuf"
_KIND_NAMES = {"b": "bools", "i": "integers", "u": "integers", "f": "floats", "S": "bytes"}
_DAMAGED = "the file is truncated or damaged: delete it and rerun the rule that makes it"
# a file FACT's tools wrote (external) is an input: deleting it would lose a download, never redo it
_DAMAGED_INPUT = (
    "the file is truncated or damaged: copy or download it again (an input of the pipeline, "
    "which never writes it), or leave it out of config fact.files"
)


def _describe(kinds: str) -> str:
    return " or ".join(dict.fromkeys(_KIND_NAMES.get(k, k) for k in kinds))


def check_column(path, name: str, ds: h5py.Dataset, text_ok: bool = False) -> None:
    """Check one column of group ``events`` against our column table.

    Parameters
    ----------
    path : str or os.PathLike
        The file, named in the error.
    name : str
        The column's name.
    ds : h5py.Dataset
        The column.
    text_ok : bool
        Columns outside our table may hold anything, not only numbers.

    Raises
    ------
    InputError
        Naming the file and column, unless ``ds`` holds what our column table
        (:data:`iactdl.io.event_columns.COLUMN_TYPES`) says: its dtype and its shape per event; any
        other column holds numbers (or, with ``text_ok``, anything).
    """
    kinds, shape = COLUMN_TYPES.get(name, (_NUMBERS, None))
    if ds.ndim == 0:
        raise InputError(f"{path}: column '{name}' is a scalar; expected one value per event")
    if ds.dtype.kind not in kinds and not (text_ok and name not in COLUMN_TYPES):
        raise InputError(
            f"{path}: column '{name}' holds {ds.dtype} ({_describe(ds.dtype.kind)}); expected "
            f"{_describe(kinds)}"
        )
    if shape is not None and ds.shape[1:] != shape:
        raise InputError(
            f"{path}: column '{name}' has shape {ds.shape}; expected (n_events, "
            f"{', '.join(map(str, shape))}), i.e. {shape[0]} values per event (the FACT camera's "
            "pixels in CHID order)"
        )


def check_layout(path, f: h5py.File, text_ok: bool = False) -> None:
    """Check every column of group ``events``: its type and shape, and one row per event.

    Reads metadata only, so it costs no time on big files.

    Parameters
    ----------
    path : str or os.PathLike
        The file, named in errors.
    f : h5py.File
        The open file.
    text_ok : bool
        Columns outside our table may hold anything (FACT's files carry text columns such as
        ``runtype`` that the pipeline never reads; :mod:`iactdl.io.fact` checks those it reads).

    Raises
    ------
    InputError
        A column of the wrong type or shape (:func:`check_column`), or columns of unequal length.
    """
    lengths = {}
    try:
        g = f[GROUP]
        for name in g:
            ds = g[name]
            if not isinstance(ds, h5py.Dataset):
                raise InputError(
                    f"{path}: '{GROUP}/{name}' is a group; expected one dataset per column"
                )
            if name in COLUMN_TYPES or not text_ok:
                check_column(path, name, ds, text_ok)
            if ds.ndim:
                lengths[name] = int(ds.shape[0])
    except (OSError, KeyError, RuntimeError) as err:
        raise InputError(f"{path}: group '{GROUP}' cannot be read ({err}); {_DAMAGED}") from None
    if len(set(lengths.values())) > 1:
        rows = Counter(lengths.values()).most_common(1)[0][0]
        odd = {k: v for k, v in lengths.items() if v != rows}
        raise InputError(
            f"{path}: columns of group '{GROUP}' have different lengths: {odd} rows, while "
            f"the other {len(lengths) - len(odd)} columns have {rows}; expected one row per event "
            "in every column"
        )


# files whose layout passed check_layout in this process, by (path, inode, size, mtime): readers
# open a file once per chunk, and the check costs ~1 ms per column; a file that changes is rechecked
_LAYOUT_OK: set[tuple] = set()


def _stamp(path: Path, text_ok: bool) -> tuple:
    st = path.stat()
    return (str(path.resolve()), st.st_ino, st.st_size, st.st_mtime_ns, text_ok)


def open_events(
    path: str | os.PathLike,
    required: Sequence[str] = (),
    *,
    text_ok: bool = False,
    external: bool = False,
) -> h5py.File:
    """Open an event file for reading and check its layout.

    Checked on every open, so every reader shares it and the first rule that reads a bad file
    stops before writing anything: the file exists and is readable HDF5 (a truncated file is
    refused here), it has group ``events``, each column has the type and per-event shape of our
    column table and the same number of rows (:func:`check_layout`; ``text_ok`` for FACT's files),
    and the ``required`` columns exist.

    Parameters
    ----------
    path : str or os.PathLike
        The event file.
    required : sequence of str
        Columns that must exist.
    text_ok : bool
        Columns outside our table may hold anything (FACT's text columns).
    external : bool
        A file the pipeline reads but never writes (a FACT input), so a damaged one is to be
        fetched again, not deleted.

    Returns
    -------
    h5py.File
        The open file (read-only), to be closed by the caller (a context manager).

    Raises
    ------
    InputError
        Naming the file and what is wrong with it.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if not _is_hdf5(path):
        raise InputError(f"{path}: not an HDF5 file (expected the FACT DL2 layout, group 'events')")
    try:
        import hdf5plugin  # noqa: F401  (blosc filters of files written by pyfact)
    except ImportError:
        pass
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        damaged = _DAMAGED_INPUT if external else _DAMAGED
        raise InputError(f"{path}: cannot be opened as HDF5 ({err}); {damaged}") from None
    try:
        if GROUP not in f:
            raise InputError(f"{path}: no group '{GROUP}' (the file has {list(f.keys())})")
        stamp = _stamp(path, text_ok)
        if stamp not in _LAYOUT_OK:
            check_layout(path, f, text_ok)
            if len(_LAYOUT_OK) > 4096:
                _LAYOUT_OK.clear()
            _LAYOUT_OK.add(stamp)
        missing = [c for c in required if c not in f[GROUP]]
        if missing:
            have = sorted(f[GROUP].keys())
            raise InputError(
                f"{path}: missing column(s) {missing} in group '{GROUP}'; it has {have}"
            )
    except BaseException:
        f.close()
        raise
    return f


# HDF5 filters of files written elsewhere (pyfact: blosc), all decoded by hdf5plugin
_PLUGIN_FILTERS = {
    307: "bzip2",
    32001: "blosc",
    32004: "lz4",
    32008: "bitshuffle",
    32013: "zfp",
    32015: "zstd",
    32017: "sz",
    32024: "sz3",
    32026: "blosc2",
}


def missing_filters(ds: h5py.Dataset) -> list[str]:
    """The compression filters of ``ds`` this process cannot decode, as ``blosc (32001)``."""
    try:
        plist = ds.id.get_create_plist()
        ids = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    except (OSError, RuntimeError, ValueError):
        return []
    return [
        f"{_PLUGIN_FILTERS.get(i, 'HDF5 filter')} ({i})"
        for i in ids
        if not h5py.h5z.filter_avail(i)
    ]


def _unreadable(path, name: str, ds: h5py.Dataset, err: Exception) -> InputError:
    """Why column ``name`` cannot be read: a compression filter this Python lacks (the file is
    fine: say what to install), or a damaged file."""
    missing = missing_filters(ds)
    if missing:
        return InputError(
            f"{path}: column '{name}' is compressed with {', '.join(missing)}, which this Python "
            "cannot decode (the file is not damaged: keep it); expected the HDF5 filter plugins: "
            "pip install hdf5plugin (or pip install 'iactdl[fact]'; iactdl imports it before "
            "reading), or point HDF5_PLUGIN_PATH at a folder with the filter"
        )
    return InputError(f"{path}: column '{name}' cannot be read ({err}); {_DAMAGED}")


def read_dataset(path, name: str, ds: h5py.Dataset, selection):
    """Read ``ds[selection]``; a read error names the file and column.

    A compression filter this Python lacks (pyfact's blosc without hdf5plugin) is named as such,
    not as a damaged file.

    Parameters
    ----------
    path : str or os.PathLike
        The file, named in errors.
    name : str
        The column, named in errors.
    ds : h5py.Dataset
        The column.
    selection : slice or numpy.ndarray
        The rows to read.

    Returns
    -------
    numpy.ndarray
        The values read.

    Raises
    ------
    InputError
        The read failed (damaged file, missing filter).
    """
    try:
        return ds[selection]
    except (OSError, RuntimeError) as err:
        raise _unreadable(path, name, ds, err) from None


def n_events(path: str | os.PathLike) -> int:
    """Number of events (rows of group ``events``) of an event file.

    Parameters
    ----------
    path : str or os.PathLike
        An event file (checked by :func:`open_events`).

    Returns
    -------
    int
        Its number of events.
    """
    with open_events(path) as f:
        g = f[GROUP]
        keys = list(g.keys())
        return int(g[keys[0]].shape[0]) if keys else 0


def column_names(path: str | os.PathLike) -> list[str]:
    """The columns of group ``events`` of an event file.

    Parameters
    ----------
    path : str or os.PathLike
        An event file (checked by :func:`open_events`).

    Returns
    -------
    list of str
        The column names, sorted.
    """
    with open_events(path) as f:
        return sorted(f[GROUP].keys())


def read_attrs(path: str | os.PathLike) -> dict:
    """The attributes of an event file (bytes decoded to str).

    Parameters
    ----------
    path : str or os.PathLike
        An event file (checked by :func:`open_events`).

    Returns
    -------
    dict
        Attribute name to value.
    """
    with open_events(path) as f:
        return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}


PROVENANCE_ATTRS = ("iactdl_version", "config", "seed")


def data_attrs(path: str | os.PathLike) -> dict:
    """File attributes that describe the data, not its provenance.

    What a stage carries from its input file to its output file (e.g. ``n_off_regions``).

    Parameters
    ----------
    path : str or os.PathLike
        An event file.

    Returns
    -------
    dict
        Attribute name to value.
    """
    return {k: v for k, v in read_attrs(path).items() if k not in PROVENANCE_ATTRS}


def read_columns(
    path: str | os.PathLike,
    columns: Sequence[str] | None = None,
    start: int = 0,
    stop: int | None = None,
    index: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Read columns (1-D and 2-D) of rows ``start:stop`` or of sorted row ``index`` into a dict.

    Parameters
    ----------
    path : str or os.PathLike
        An event file.
    columns : sequence of str, optional
        The columns to read; default: all.
    start, stop : int, optional
        The rows to read (``stop`` default: the end).
    index : numpy.ndarray, optional
        Sorted row numbers to read instead of ``start:stop``.

    Returns
    -------
    dict of str to numpy.ndarray
        Column name to values, one row per event read.

    Raises
    ------
    InputError
        A missing column or a damaged file (named).
    """
    with open_events(path, required=columns or ()) as f:
        g = f[GROUP]
        names = list(columns) if columns is not None else sorted(g.keys())
        out = {}
        for name in names:
            selection = index if index is not None else slice(start, stop)
            out[name] = read_dataset(path, name, g[name], selection)
        return out


def read_table(path: str | os.PathLike, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The 1-D columns of a file as a DataFrame (2-D datasets are skipped unless named)."""
    import pandas as pd  # here, not at the top: ~0.4 s of CPU in every job that imports io

    with open_events(path, required=columns or ()) as f:
        g = f[GROUP]
        names = list(columns) if columns is not None else [k for k in g if g[k].ndim == 1]
        return pd.DataFrame(
            {name: read_dataset(path, name, g[name], slice(None)) for name in names}
        )


def iter_chunks(
    path: str | os.PathLike,
    chunk_size: int,
    columns: Sequence[str] | None = None,
    start: int = 0,
    stop: int | None = None,
) -> Iterator[dict[str, np.ndarray]]:
    """Stream a file (or its rows ``start:stop``) in chunks of rows: memory does not grow with the
    number of events.

    Parameters
    ----------
    path : str or os.PathLike
        An event file.
    chunk_size : int
        Rows per chunk.
    columns : sequence of str, optional
        The columns to read; default: all.
    start, stop : int, optional
        The rows to stream (``stop`` default: the end), e.g. one part of a file that several jobs
        share out.

    Yields
    ------
    dict of str to numpy.ndarray
        The columns of one chunk of rows.

    Raises
    ------
    ValueError
        ``start:stop`` is not a range of the file's rows (named with the file's length).
    """
    total = n_events(path)
    stop = total if stop is None else stop
    if not 0 <= start <= stop <= total:
        raise ValueError(f"{path}: rows {start}:{stop} are not rows of its {total} events")
    for lo in range(start, stop, chunk_size):
        yield read_columns(path, columns, lo, min(lo + chunk_size, stop))


# hash slots of a writer's one-chunk cache (a prime, as HDF5 advises; few chunks are ever in it)
_CACHE_SLOTS = 7


class EventWriter:
    """Append chunks of columns to ``events`` in a new HDF5 file, atomically.

    Use as a context manager::

        with EventWriter(path, config=section, seed=seed) as w:
            for chunk in chunks:
                w.append(chunk)   # dict column -> array with a leading event axis

    On an exception inside the block the temporary file is removed and ``path`` is left untouched.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    config : Mapping, optional
        The config section the file was made with, stored as a provenance attribute.
    seed : int, optional
        The rule's seed, stored as a provenance attribute.
    attrs : Mapping, optional
        Further file attributes (data attributes such as ``n_off_regions``).
    compression : str or None
        HDF5 compression filter of every column (``"gzip"``; ``None``: none).
    compression_opts : int or None
        The gzip level (ignored for other filters).
    chunk_rows : int
        Rows per HDF5 chunk (fewer for wide columns, at most 4 MiB a chunk).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        config: Mapping | None = None,
        seed: int | None = None,
        attrs: Mapping | None = None,
        compression: str | None = "gzip",
        compression_opts: int | None = 1,
        chunk_rows: int = 1024,
    ):
        self.path = Path(path)
        self._stack: ExitStack | None = None  # while open: the HDF5 file inside atomic_path
        self.config = config
        self.seed = seed
        self.attrs = dict(attrs or {})
        self.compression = compression
        self.compression_opts = compression_opts if compression == "gzip" else None
        self.chunk_rows = chunk_rows
        self._file: h5py.File | None = None
        # the datasets held open while writing: a handle h5py drops flushes that dataset's chunks,
        # and a write that fails there (a full disk) is only printed, never raised
        self._datasets: dict[str, h5py.Dataset] = {}
        self.n_rows = 0

    def __enter__(self) -> EventWriter:
        with ExitStack() as stack:
            self.tmp = stack.enter_context(atomic_path(self.path))
            self._file = stack.enter_context(hdf5_writer(self.tmp))
            self._write_provenance()
            self._stack = stack.pop_all()  # kept open until __exit__
        return self

    def _write_provenance(self) -> None:
        self._file.create_group(GROUP)
        self._file.attrs["iactdl_version"] = __version__
        self._file.attrs["config"] = yaml.safe_dump(
            to_json(self.config) if self.config is not None else {}, sort_keys=True
        )
        if self.seed is not None:
            self._file.attrs["seed"] = int(self.seed)
        for k, v in self.attrs.items():
            self._file.attrs[k] = v

    def append(self, chunk: Mapping[str, np.ndarray]) -> None:
        """Append a chunk of events: every column of the file, equally long.

        Parameters
        ----------
        chunk : Mapping of str to numpy.ndarray
            Column name to values with a leading event axis (text columns are stored as bytes).

        Raises
        ------
        ValueError
            Columns of unequal length, or other columns than the chunks before.
        """
        assert self._file is not None, "use EventWriter as a context manager"
        g = self._file[GROUP]
        lengths = {k: len(v) for k, v in chunk.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"{self.path}: columns of unequal length in one chunk: {lengths}")
        n = next(iter(lengths.values()), 0)
        if self.n_rows and set(chunk) != set(g.keys()):
            raise ValueError(
                f"{self.path}: chunk columns {sorted(chunk)} differ from the file's {sorted(g)}"
            )
        for name, values in chunk.items():
            values = np.asarray(values)
            if values.dtype.kind == "U":
                values = values.astype("S")
            if name not in g:
                row_bytes = max(1, values[:1].nbytes)
                rows = max(1, min(self.chunk_rows, (1 << 22) // row_bytes))
                self._datasets[name] = g.create_dataset(
                    name,
                    data=values,
                    maxshape=(None,) + values.shape[1:],
                    chunks=(rows,) + values.shape[1:],
                    compression=self.compression,
                    compression_opts=self.compression_opts,
                    shuffle=self.compression is not None,
                    # a checksum per chunk: a damaged file fails on read, naming the column,
                    # instead of passing garbage on (uncompressed data has no other check)
                    fletcher32=True,
                    # a chunk cache of one chunk: appending touches only the last, partly filled
                    # chunk. HDF5's default (8 MiB a dataset since HDF5 2.0) keeps every written
                    # chunk up to 8 MiB in memory, for every column: ~0.4 kB more per event for a
                    # features file of 60 columns, up to 0.5 GB, for chunks never read again
                    rdcc_nbytes=rows * row_bytes,
                    rdcc_nslots=_CACHE_SLOTS,
                    rdcc_w0=1.0,  # evict chunks written whole first
                )
            else:
                if name not in self._datasets:
                    self._datasets[name] = g[name]
                ds = self._datasets[name]
                ds.resize(self.n_rows + n, axis=0)
                ds[self.n_rows :] = values
        self.n_rows += n
        # on disk now: a full disk fails here, as an exception, with at most this chunk unwritten
        # (left in HDF5's cache, it would fail in the close, which then cannot release the file)
        self._file.flush()

    def set_attr(self, key: str, value) -> None:
        """Set file attribute ``key``.

        Parameters
        ----------
        key : str
            The attribute's name.
        value : object
            Its value (anything h5py stores as an attribute).
        """
        assert self._file is not None
        self._file.attrs[key] = value

    def __exit__(self, exc_type, exc, tb) -> bool:
        assert self._stack is not None, "use EventWriter as a context manager"
        # closes the HDF5 file (a full disk may show only now, when it flushes), then renames the
        # temporary file into place, or removes it if the block or the close failed
        stack, self._stack, self._file = self._stack, None, None
        try:
            return stack.__exit__(exc_type, exc, tb)
        finally:
            self._datasets = {}  # dropped after the file's close (above), which closed them


def write_events(path, columns: Mapping[str, np.ndarray], **kwargs) -> None:
    """Write one table of columns at once (atomically)."""
    with EventWriter(path, **kwargs) as w:
        w.append(columns)
