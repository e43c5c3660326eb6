"""The input files of a FACT sample: one file, a list, or glob patterns (config ``fact.files``).

A real observation comes as one file per run (FACT's open Crab sample: 218 runs), so
``fact.files.{sample}`` takes a path, a glob pattern (``data/crab/*_dl2.hdf5``) or a list of
either. One file is read as before (rule ``extract``); several are read per file, each file by its
own ``extract`` and ``build_features`` job (a SLURM cluster runs them in parallel), and
``gather_features`` joins the per-file feature files into the sample's one features file.

Each file of a sample is a *part*, named after its file name without the suffix
(``20131104_123_dl2.hdf5`` -> ``20131104_123_dl2``): the name appears in the per-file outputs and
logs (``events/parts/observed/20131104_123_dl2.h5``), so a failed job names its run. Two files of
one sample with the same name (the same run in two folders, or a copy) are refused, naming both.

Planning (every ``snakemake`` call parses this) reads only the folders: standard library only, no
file is opened.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

__all__ = ["GLOB_CHARS", "fact_sample_files", "part_names"]

GLOB_CHARS = frozenset("*?[")


def fact_sample_files(spec: str | Sequence[str] | None, root: str | os.PathLike, key: str):
    """The files of config ``key`` (``fact.files.observed``) whose value is ``spec``: absolute,
    sorted, each once. A relative path or pattern is resolved against ``root`` (the repository).

    Parameters
    ----------
    spec : str or sequence of str or None
        A path, a glob pattern (``**`` recursive) or a list of either; ``None`` or an empty list:
        no files.
    root : str or os.PathLike
        The folder relative paths and patterns are resolved against.
    key : str
        The config key ``spec`` is the value of, for the error messages.

    Returns
    -------
    list of pathlib.Path
        The files, resolved (absolute), sorted, without duplicates (a file named by a path and a
        pattern counts once).

    Raises
    ------
    ValueError
        A path that is not a file, or a pattern that matches no file, naming ``key`` and the
        entry.
    """
    if spec is None:
        return []
    entries = [spec] if isinstance(spec, str | os.PathLike) else spec
    # a mapping would be read as its keys, a number not at all: say what the key takes
    if isinstance(entries, Iterable) and not isinstance(entries, Mapping):
        entries = list(entries)
    if not isinstance(entries, list) or not all(isinstance(e, str | os.PathLike) for e in entries):
        raise ValueError(
            f"config {key}: expected a path, a glob pattern or a list of them, got {spec!r}"
        )
    files: dict[Path, None] = {}  # ordered set: a file named twice (a path and a pattern) once
    for entry in entries:
        text = os.fspath(entry)
        path = Path(text) if Path(text).is_absolute() else Path(root) / text
        if GLOB_CHARS & set(text):
            found = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
            found = [p for p in found if p.is_file()]
            if not found:
                raise ValueError(
                    f"config {key}: the pattern {text!r} matches no file (looked for {path}; "
                    "relative patterns are resolved against the repository root)"
                )
        else:
            if not path.is_file():
                raise ValueError(
                    f"config {key}: file not found: {path.resolve()} (relative paths are resolved "
                    "against the repository root; see data/README.md)"
                )
            found = [path]
        files.update(dict.fromkeys(p.resolve() for p in found))
    return sorted(files)


def part_names(files: Sequence[str | os.PathLike], key: str) -> dict[str, str]:
    """Part name -> file, for the files of one sample (:func:`fact_sample_files`).

    Parameters
    ----------
    files : sequence of str or os.PathLike
        The sample's files.
    key : str
        The config key they come from, for the error message.

    Returns
    -------
    dict of str to str
        The part name (the file name without its last suffix) -> the file, in the order of
        ``files``.

    Raises
    ------
    ValueError
        Two files with the same part name, naming both (their outputs would be one file).
    """
    parts: dict[str, str] = {}
    for file in files:
        name = Path(file).name
        part = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
        if part in parts:
            raise ValueError(
                f"config {key}: two files would share the per-file outputs of part {part!r}: "
                f"{parts[part]} and {file}; rename one, or leave out the copy"
            )
        parts[part] = str(file)
    return parts
