"""Outputs whole or not at all: write to a temporary file next to the target, then rename.

Every file the pipeline writes goes through :func:`atomic_path` (:func:`atomic_paths` for files
that belong together, :func:`write_text_atomic` for text)::

    with atomic_path(out) as tmp:      # tmp: ".{name}.{pid}.tmp{suffix}" in out's folder
        fig.savefig(tmp)               # any writer that takes a path (h5py, torch.save, ...)

- Success: ``os.replace(tmp, out)``, atomic on POSIX within one file system, so a reader (or a
  Snakemake that checks its outputs) sees the old file or the complete new one, never a part.
- Any exception in the block, including one raised when the writer closes its file (a full disk
  often shows only then, when buffers are flushed): the temporary file is removed and ``out`` is
  left as it was.
- A full disk (ENOSPC, or a quota: EDQUOT), wherever the writer notices it: the temporary file
  is removed first, then :class:`DiskFullError` names the target, how far the write got and the
  free space left on its file system (measured after the removal: what a rerun would have). Every
  writer of the pipeline goes through here, so this is the one place that says it.
- HDF5 files are opened through :func:`hdf5_writer`: HDF5 (h5py 3.16, HDF5 2.0) can crash the
  process (segmentation fault) when a file whose writes failed for lack of space is closed, which
  would skip every clean-up above and leave the temporary file to fill the disk again on the next
  run; :func:`hdf5_writer` empties the file before closing it after a failure: the close has room.
- A kill (SIGKILL, node failure) cannot run any clean-up: its temporary file stays. The next write
  of the same target removes every temporary file of that target left behind, so a rule that
  runs again leaves no orphan. Snakemake runs one job per output at a time, so a temporary file of
  the same target that exists when a write starts is always such a leftover.

The temporary name keeps the target's suffix (matplotlib and pandas choose the format from it) and
starts with a dot (hidden, and matched by no output pattern of the workflow).
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "atomic_path",
    "atomic_paths",
    "write_text_atomic",
    "hdf5_writer",
    "DiskFullError",
    "is_disk_full",
    "temporary_name",
    "leftover_temporaries",
]

log = logging.getLogger(__name__)


def temporary_name(path: str | os.PathLike, pid: int | None = None) -> Path:
    """The temporary file that process ``pid`` writes before renaming it to ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The file to be written.
    pid : int, optional
        The writing process; default: this one.

    Returns
    -------
    pathlib.Path
        A hidden file in ``path``'s folder that names ``path`` and ``pid``.
    """
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid() if pid is None else pid}.tmp{path.suffix}")


def leftover_temporaries(path: str | os.PathLike) -> list[Path]:
    """Temporary files of ``path`` (of any process) that exist in its folder.

    Parameters
    ----------
    path : str or os.PathLike
        The file whose temporaries are looked for.

    Returns
    -------
    list of pathlib.Path
        The temporary files found (empty if none).
    """
    path = Path(path)
    if not path.parent.is_dir():
        return []
    pattern = re.compile(rf"\.{re.escape(path.name)}\.\d+\.tmp{re.escape(path.suffix)}")
    return sorted(p for p in path.parent.iterdir() if pattern.fullmatch(p.name))


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` if the block succeeds.

    The folder is created if needed. Temporary files of ``path`` left by a killed earlier write
    are removed first (with a warning). On any exception (the block's or the rename's) the
    temporary file is removed and the exception propagates; ``path`` is never touched then.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.

    Yields
    ------
    pathlib.Path
        The temporary file to write instead (:func:`temporary_name`), in ``path``'s folder.
    """
    with atomic_paths(path) as (tmp,):
        yield tmp


@contextmanager
def atomic_paths(*paths: str | os.PathLike, concurrent: bool = False) -> Iterator[list[Path]]:
    """:func:`atomic_path` for the files of one output set, renamed together.

    A figure's PDF and PNG, a model's weights and its ``model.json``: every file is written to its
    temporary path first, and they are renamed only when all are complete, so a failure leaves
    none of them new.

    Parameters
    ----------
    *paths : str or os.PathLike
        The files to write.
    concurrent : bool
        Several processes may write the same file at once (a cache that SLURM jobs share): other
        processes' temporary files are theirs, not leftovers, and are left alone.

    Yields
    ------
    list of pathlib.Path
        Their temporary files, in the order of ``paths``.
    """
    paths = [Path(p) for p in paths]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in [] if concurrent else leftover_temporaries(path):
            log.warning("%s: removing %s, left by an interrupted earlier write", path, stale.name)
            stale.unlink(missing_ok=True)
    tmps = [temporary_name(path) for path in paths]
    try:
        yield tmps
        for path, tmp in zip(paths, tmps, strict=True):
            if not tmp.exists():
                raise FileNotFoundError(
                    f"{path}: the writer did not create its temporary file {tmp}"
                )
        for path, tmp in zip(paths, tmps, strict=True):
            os.replace(tmp, path)
    except BaseException as err:
        written = {path: _size(tmp) for path, tmp in zip(paths, tmps, strict=True)}
        _remove(tmps)
        # already said by the write that ran out (one file of a set closed together): kept as is
        if is_disk_full(err) and not isinstance(err, DiskFullError):
            raise DiskFullError(_disk_full_message(written, err)) from err
        raise
    finally:
        _remove(tmps)


class DiskFullError(OSError):
    """A write failed for lack of space (or quota); its temporary file is already removed.

    Its ``errno`` is ENOSPC (also for a quota: the pipeline's answer is the same, free space).

    Parameters
    ----------
    message : str
        What ran out: the target(s), how far the write got and the free space left.
    """

    def __init__(self, message: str):
        super().__init__(errno.ENOSPC, message)

    def __str__(self) -> str:
        return self.strerror


# "No space left on device" (ENOSPC) and "Disk quota exceeded" (EDQUOT): the writer may give the
# errno (Python's file objects, h5py) or only the C library's text (torch's archive writer)
_DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
_DISK_FULL_TEXTS = tuple(os.strerror(e) for e in _DISK_FULL_ERRNOS) + ("errno = 28",)


def is_disk_full(err: BaseException) -> bool:
    """Whether ``err``, or an exception it was raised from or during, is a full disk or quota.

    Parameters
    ----------
    err : BaseException
        The exception; its ``__cause__`` and ``__context__`` chain is followed too.

    Returns
    -------
    bool
        True if one exception of the chain is an :class:`OSError` with errno ENOSPC or EDQUOT, or
        says so in its text (writers that give only the C library's message).
    """
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, OSError) and err.errno in _DISK_FULL_ERRNOS:
            return True
        if any(text in str(err) for text in _DISK_FULL_TEXTS):
            return True
        err = err.__cause__ or err.__context__
    return False


def _disk_full_message(written: dict[Path, int], err: BaseException) -> str:
    folder = next(iter(written)).parent
    try:
        usage = shutil.disk_usage(folder)
        space = f"{_mib(usage.free)} free of {_mib(usage.total)} on the file system of {folder}"
    except OSError:
        space = f"free space of {folder} unknown"
    targets = ", ".join(f"{path} (stopped after {_mib(n)})" for path, n in written.items())
    reason = "disk quota exceeded" if _is_quota(err) else "no space left on device"
    return (
        f"{targets}: {reason} while writing; {space} after removing the partial file, which is "
        "gone (nothing was written): free space there or set results_dir to a larger disk, then "
        "rerun"
    )


def _is_quota(err: BaseException) -> bool:
    return "quota" in str(err).lower() or getattr(err, "errno", None) == errno.EDQUOT


def _mib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _remove(tmps: list[Path]) -> None:
    for tmp in tmps:
        try:
            tmp.unlink(missing_ok=True)
        except OSError as err:  # never hide the write's own error behind this one
            log.warning("%s: could not remove the temporary file (%s)", tmp, err)


@contextmanager
def hdf5_writer(tmp: str | os.PathLike):
    """``h5py.File(tmp, "w")`` for a temporary path of :func:`atomic_path`, safe on a full disk.

    After a failed write (in the block, or in the flush before the close, where a full disk often
    shows first) the file is emptied (truncated to 0 bytes) before h5py closes it: closing a file
    whose writes failed for lack of space can crash the process, and with its space given back
    the close's last writes succeed. The file is then worthless; :func:`atomic_path` removes it.

    Parameters
    ----------
    tmp : str or os.PathLike
        The temporary file to create (truncated if it exists).

    Yields
    ------
    h5py.File
        The file, open for writing; flushed and closed when the block ends.
    """
    import h5py  # here: modules that only write text do not import h5py

    f = h5py.File(tmp, "w")
    try:
        yield f
        f.flush()  # a full disk raises here, not in the close
    except BaseException:
        try:
            os.truncate(tmp, 0)
        except OSError as err:  # gone already: nothing to give back
            log.debug("%s: emptying the HDF5 file: %s", tmp, err)
        try:
            f.close()
        except OSError as err:  # its error is the block's, already propagating
            log.debug("%s: closing the emptied HDF5 file: %s", tmp, err)
        raise
    f.close()


def write_text_atomic(path: str | os.PathLike, text: str, concurrent: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path``, whole or not at all (:func:`atomic_path`).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    text : str
        Its content.
    concurrent : bool
        As :func:`atomic_paths`: other processes may write the same file at once.
    """
    with (
        atomic_paths(path, concurrent=concurrent) as (tmp,),
        open(tmp, "w", encoding="utf-8", newline="") as f,
    ):
        f.write(text)
