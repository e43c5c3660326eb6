"""A full disk, for real: every writer class of the pipeline writes into a tiny tmpfs until it is
full. Each must fail with :class:`iactdl.io.DiskFullError` naming the target and the free space,
leave no temporary file and not crash the process (h5py could segfault in the close of a file
whose writes failed, so the clean-up never ran and the temporary file filled the disk again on
every rerun).

The writes run in one child process (this file run as a script), so that a segmentation fault is
seen as its exit status instead of killing pytest. Mounting needs root (CI and the development
machine run as root); elsewhere the tests skip, saying why. About 4 s (the child imports torch and
matplotlib).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# writer class -> what it writes (the target's name in the tiny file system)
WRITERS = {
    "text": "summary.json",  # write_json / write_text_atomic: JSON, LaTeX, Markdown
    "csv": "table.csv",  # pandas to_csv through atomic_path (shift tables, CV tables)
    "hdf5": "events.h5",  # EventWriter: extract, features, splits, predictions, DL3
    "hdf5_already_full": "full.h5",  # the same, with no byte free when the file is created
    "observed_split": "observed_train.h5",  # ObservedSplitWriter: four EventWriters at once
    "figure": "figure.png",  # save_figure: PDF and PNG, both or neither
    "torch": "checkpoint.pt",  # torch.save: checkpoints and nets' model.pt
    "npz": "samples.npz",  # np.savez_compressed: the shift diagnostics' samples
}
FREE_BYTES = 256 << 10  # left free before each write: every write below needs more


def _fill(folder: Path, leave: int) -> Path:
    """A ballast file that leaves about ``leave`` bytes free in ``folder``'s file system."""
    ballast = folder / "ballast.bin"
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    with open(ballast, "wb") as f:
        try:
            f.write(b"\0" * max(0, free - leave))
        except OSError:  # leave == 0: the disk is full now, as wanted
            pass
    return ballast


def _write(kind: str, target: Path) -> None:
    """Write something larger than :data:`FREE_BYTES` to ``target`` through the writer ``kind``."""
    import numpy as np

    rng = np.random.default_rng(0)
    if kind == "text":
        from iactdl.io import write_json

        write_json(target, {"values": rng.normal(size=100_000)})
    elif kind == "csv":
        import pandas as pd

        from iactdl.adapt.shift.files import write_csv

        write_csv(target, pd.DataFrame(rng.normal(size=(40_000, 4)), columns=list("abcd")))
    elif kind in ("hdf5", "hdf5_already_full"):
        from iactdl.io import EventWriter

        with EventWriter(target, compression=None) as w:
            for _ in range(40):  # 40 x 320 kB of noise (incompressible)
                w.append({"size": rng.normal(size=(5000, 8))})
    elif kind == "observed_split":
        from iactdl.features.observed_split import OBSERVED_FILES, ObservedSplitWriter

        outputs = {k: target.with_name(f"observed_{k}.h5") for k in OBSERVED_FILES}
        with ObservedSplitWriter(outputs, max_train_images=0, buffer_bytes=1 << 16) as w:
            for i in range(40):
                w.append(
                    {"event_id": np.arange(5000) + 5000 * i, "size": rng.normal(size=(5000, 8))}
                )
    elif kind == "figure":
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from iactdl.evaluate.style import save_figure

        fig, ax = plt.subplots(figsize=(8, 8))
        ax.imshow(rng.random((800, 800)))  # noise: a PNG of megabytes
        save_figure(fig, [target.with_suffix(".pdf"), target], dpi=150)
    elif kind == "torch":
        import torch

        from iactdl.fit.checkpoint import save_checkpoint

        save_checkpoint(target, {"weights": torch.randn(200_000)})
    elif kind == "npz":
        from iactdl.adapt.shift.files import write_samples

        # at most 50000 values per input are kept: four inputs of noise, 800 kB
        columns = {name: rng.normal(size=50_000) for name in "wxyz"}
        write_samples(target, {"sim": columns}, seed=0)
    else:
        raise ValueError(kind)


def _child(folder: Path) -> None:
    """Each writer in turn into the tiny file system ``folder``; one JSON line per writer."""
    from iactdl.io import DiskFullError

    for kind, name in WRITERS.items():
        ballast = _fill(folder, 0 if kind == "hdf5_already_full" else FREE_BYTES)
        target = folder / name
        result = {"kind": kind, "target": str(target)}
        try:
            _write(kind, target)
            result["error"] = None
        except DiskFullError as err:
            result.update(error="DiskFullError", message=str(err))
        except Exception as err:  # reported, so the test names what was raised instead
            result.update(error=type(err).__name__, message=str(err)[:500])
        result["left"] = sorted(p.name for p in folder.iterdir() if p != ballast)
        ballast.unlink()
        print(json.dumps(result), flush=True)


class NoTinyDisk(Exception):
    """The 2 MiB tmpfs cannot be mounted here (not root, no tmpfs); the message says why."""


def run_child_on_full_disk(folder: Path, timeout: float) -> tuple[dict[str, dict], int, str]:
    """Mount a 2 MiB tmpfs on ``folder``, run this file on it as the child, unmount it.

    Shared with ``benchmarks/bad_inputs.py``, which records what this module's tests assert.

    Parameters
    ----------
    folder : Path
        An empty folder to mount the tmpfs on (left empty and unmounted).
    timeout : float
        Seconds the child may take.

    Returns
    -------
    tuple
        The child's result per writer kind (its JSON lines), its exit status and its stderr.

    Raises
    ------
    NoTinyDisk
        Where the tmpfs cannot be mounted: not root, or the mount failed (its message).
    """
    if os.geteuid() != 0:
        raise NoTinyDisk("mounting a tmpfs to fill needs root (CI and the development machine are)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise NoTinyDisk(
            f"cannot mount a 2 MiB tmpfs here: {done.stderr.strip() or done.returncode}"
        )
    try:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
        child = subprocess.run(
            [sys.executable, __file__, str(folder)],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
        )
    finally:
        subprocess.run(["umount", str(folder)], check=False)
    results = {r["kind"]: r for r in map(json.loads, child.stdout.splitlines())}
    return results, child.returncode, child.stderr


@pytest.fixture(scope="module")
def full_disk_results(tmp_path_factory):
    """The child's result per writer, the child's exit status and stderr."""
    try:
        return run_child_on_full_disk(tmp_path_factory.mktemp("tinyfs"), timeout=120)
    except NoTinyDisk as why:
        pytest.skip(str(why))


def test_no_writer_crashes_the_process(full_disk_results):
    results, returncode, stderr = full_disk_results
    # -11: a segmentation fault (h5py closing a file whose writes failed)
    assert returncode == 0, f"the writing process died ({returncode}): {stderr[-2000:]}"
    assert sorted(results) == sorted(WRITERS)


@pytest.mark.parametrize("kind", list(WRITERS))
def test_full_disk_is_named_and_leaves_nothing(full_disk_results, kind):
    results, _, stderr = full_disk_results
    assert kind in results, f"{kind} never reported (the child died before it): {stderr[-2000:]}"
    result = results[kind]
    assert result["error"] == "DiskFullError", result
    message = result["message"]
    target = Path(result["target"])
    # the path (of the split files, the one that ran out) ...
    names = [f"observed_{k}.h5" for k in ("train", "train_images", "val", "test")]
    assert any(str(target.parent / n) in message for n in names if kind == "observed_split") or (
        str(target) in message
    )
    assert "no space left on device" in message
    assert re.search(r"\d\.\d MiB free of 2\.0 MiB on the file system of ", message)  # free space
    assert result["left"] == [], f"{kind} left {result['left']} behind"


if __name__ == "__main__":
    _child(Path(sys.argv[1]))
