"""The model file of a trained model, checked before it is loaded.

Training records the SHA-256 of the file it wrote (``model.skops`` of a baseline, ``model.pt`` of
a net) in ``model.json`` (key ``model_file``: ``{"name": ..., "sha256": ...}``); loading computes it
again and refuses a file that differs: one replaced by hand, copied from another run or damaged on
disk. Both formats execute no code when read (skops with an explicit list of trusted types,
``torch.load(weights_only=True)``), so the hash guards against wrong numbers, not against code.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

from iactdl.io import InputError

__all__ = ["file_sha256", "model_file_record", "skops_io", "verified_model_file"]

# scikit-learn's vendored torch namespace of its array-API support: a package, so walking
# scikit-learn's packages imports it, and it imports torch
_SKLEARN_TORCH_SHIM = "sklearn.externals.array_api_compat.torch"


def skops_io() -> ModuleType:
    """``skops.io``, imported without importing torch where nothing has yet.

    On import, skops lists every scikit-learn estimator as a type it trusts by default
    (``sklearn.utils.all_estimators``), which walks and imports every package of scikit-learn,
    including its vendored torch namespace: a baseline job paid about 2.5 s of CPU for a torch it
    never uses. The walk skips a package that cannot be imported, and scikit-learn's ``externals``
    hold no estimator, so the shim is made unimportable for the duration of this import: the
    trusted types are the same (``tests/test_baselines.py`` compares them), torch stays out, and
    the shim imports normally afterwards.

    Returns
    -------
    module
        ``skops.io``.
    """
    if not {"skops.io", "torch", _SKLEARN_TORCH_SHIM} & set(sys.modules):
        sys.modules[_SKLEARN_TORCH_SHIM] = None  # importing it raises ImportError
        try:
            import skops.io
        except ImportError:
            pass  # something needed the shim after all: imported below, as skops does itself
        finally:
            del sys.modules[_SKLEARN_TORCH_SHIM]
    import skops.io

    return skops.io


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    str
        The digest, 64 hexadecimal characters.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_file_record(written: str | os.PathLike, name: str) -> dict[str, str]:
    """The ``model_file`` entry of ``model.json`` for the file just ``written`` (its temporary
    name while the write is in progress) that will be called ``name`` in the model folder.

    Parameters
    ----------
    written : str or os.PathLike
        The model file as written (its temporary path).
    name : str
        Its final file name in the model folder (``model.skops``, ``model.pt``).

    Returns
    -------
    dict of str to str
        ``{"name": name, "sha256": file_sha256(written)}``.
    """
    return {"name": name, "sha256": file_sha256(written)}


def verified_model_file(model_dir: str | os.PathLike, info: Mapping) -> Path:
    """Path of the model file that ``info`` (the folder's ``model.json``) describes, after checking
    that it exists and that its SHA-256 is the recorded one; :class:`InputError` otherwise.

    Parameters
    ----------
    model_dir : str or os.PathLike
        The model folder.
    info : mapping
        Its parsed ``model.json``, with the ``model_file`` record of :func:`model_file_record`.

    Returns
    -------
    pathlib.Path
        The model file, inside ``model_dir`` (only the record's bare file name is used).

    Raises
    ------
    iactdl.io.InputError
        Where the record is missing, the file is missing or its SHA-256 differs.
    """
    model_dir = Path(model_dir)
    record = info.get("model_file")
    info_path = model_dir / "model.json"
    if not isinstance(record, Mapping) or not {"name", "sha256"} <= set(record):
        raise InputError(
            f"{info_path}: no 'model_file' record (name and sha256 of the model file): written by "
            "an older iactdl; train the model again"
        )
    path = model_dir / Path(record["name"]).name  # a bare file name: never outside the folder
    if not path.is_file():
        raise InputError(f"{path}: not found (model.json describes it; train the model again)")
    got = file_sha256(path)
    if got != record["sha256"]:
        raise InputError(
            f"{path}: SHA-256 {got[:16]}... differs from {record['sha256'][:16]}... recorded in "
            f"{info_path} at training: the file was replaced or damaged after training. Train the "
            "model again (snakemake --forcerun on its training rule), or restore the file"
        )
    return path
