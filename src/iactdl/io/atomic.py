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
- A kill (SIGKILL, node failure) cannot run any clean-up: its temporary file stays. The next write
  of the same target removes every temporary file of that target left behind, so a rule that
  runs again leaves no orphan. Snakemake runs one job per output at a time, so a temporary file of
  the same target that exists when a write starts is always such a leftover.

The temporary name keeps the target's suffix (matplotlib and pandas choose the format from it) and
starts with a dot (hidden, and matched by no output pattern of the workflow).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "atomic_path",
    "atomic_paths",
    "write_text_atomic",
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
def atomic_paths(*paths: str | os.PathLike) -> Iterator[list[Path]]:
    """:func:`atomic_path` for the files of one output set, renamed together.

    A figure's PDF and PNG, a model's weights and its ``model.json``: every file is written to its
    temporary path first, and they are renamed only when all are complete, so a failure leaves
    none of them new.

    Parameters
    ----------
    *paths : str or os.PathLike
        The files to write.

    Yields
    ------
    list of pathlib.Path
        Their temporary files, in the order of ``paths``.
    """
    paths = [Path(p) for p in paths]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in leftover_temporaries(path):
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
    finally:
        for tmp in tmps:
            tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path``, whole or not at all (:func:`atomic_path`).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    text : str
        Its content.
    """
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
