"""Reading the ``.npz`` arrays the pipeline writes, safely: never a pickled object."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["read_npz"]


def read_npz(path: str | os.PathLike, what: str = "arrays the pipeline writes") -> dict:
    """Every array of the ``.npz`` file ``path``.

    Read with ``allow_pickle=False``: an object array, which would run code when read, is refused.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    what : str
        What the file should hold, named in errors.

    Returns
    -------
    dict of str to numpy.ndarray
        Array name to array.

    Raises
    ------
    InputError
        A missing, damaged or foreign file, naming the file, what was expected and what to do.
    """
    from iactdl.io.hdf5 import InputError

    path = Path(path)
    redo = "delete it and rerun the rule that writes it"
    try:
        f = np.load(path, allow_pickle=False)
        if not isinstance(f, np.lib.npyio.NpzFile):
            raise InputError(f"{path}: holds one array (.npy); expected an .npz of {what}: {redo}")
        with f:
            return {key: f[key] for key in f.files}
    except FileNotFoundError:
        raise InputError(f"{path}: file not found; expected an .npz of {what}") from None
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise InputError(
                f"{path}: holds pickled Python objects, refused (reading them could run code); "
                f"expected plain numeric arrays ({what}): {redo}"
            ) from None
        raise InputError(f"{path}: not an .npz file ({err}); expected {what}: {redo}") from None
    except (OSError, EOFError, zipfile.BadZipFile) as err:
        raise InputError(
            f"{path}: truncated, damaged or not an .npz file ({type(err).__name__}); expected "
            f"{what}: {redo}"
        ) from None
