"""Outputs whole or not at all (iactdl.io.atomic): every writer of the package, under real faults.

- an exception while writing, and a write that fails when the file is closed (a full disk shows
  only when buffers are flushed; simulated for real with RLIMIT_FSIZE in a subprocess, where the
  kernel refuses the write with EFBIG): no output, no temporary file, an older output untouched;
- a real SIGKILL of a subprocess mid-write: its temporary file stays (nothing can run on SIGKILL),
  the target is not created; the next write of the same target removes the leftover.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from iactdl.io import atomic_path, read_columns, write_events, write_text_atomic
from iactdl.io.atomic import leftover_temporaries, temporary_name

SRC = Path(__file__).resolve().parents[1] / "src"


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- in process ---------------------------------------------------------------------------------
def test_success_renames_and_leaves_no_temporary(tmp_path):
    out = tmp_path / "sub" / "a.json"
    write_text_atomic(out, '{"a": 1}')
    assert json.loads(out.read_text()) == {"a": 1}
    assert _files(out.parent) == ["a.json"]


@pytest.mark.parametrize("old", [None, "old content"])
def test_exception_in_the_block_leaves_no_file_and_the_old_output_intact(tmp_path, old):
    out = tmp_path / "table.csv"
    if old is not None:
        out.write_text(old)
    with pytest.raises(RuntimeError, match="boom"), atomic_path(out) as tmp:
        tmp.write_text("half a tab")
        raise RuntimeError("boom")
    assert _files(tmp_path) == ([] if old is None else ["table.csv"])
    if old is not None:
        assert out.read_text() == old


def test_a_close_that_fails_leaves_nothing(tmp_path):
    """The writer's own close raises (as a flush to a full disk does)."""

    class FullDisk:
        def __init__(self, path):
            self.f = open(path, "w")  # noqa: SIM115

        def write(self, text):
            self.f.write(text)

        def close(self):
            self.f.close()
            raise OSError(28, "No space left on device")

    out = tmp_path / "metrics.json"
    with pytest.raises(OSError, match="no space left on device"), atomic_path(out) as tmp:
        f = FullDisk(tmp)
        f.write("{}")
        f.close()
    assert _files(tmp_path) == []


def test_a_writer_that_writes_nothing_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="did not create"), atomic_path(tmp_path / "x"):
        pass
    assert _files(tmp_path) == []


def test_leftover_of_a_killed_write_is_removed_by_the_next_write(tmp_path, caplog):
    out = tmp_path / "roc.pdf"
    stale = temporary_name(out, pid=999_999)
    stale.write_bytes(b"%PDF half")
    other = temporary_name(tmp_path / "gammaness.pdf", pid=999_999)  # another target's: kept
    other.write_bytes(b"x")
    assert leftover_temporaries(out) == [stale]
    with atomic_path(out) as tmp:
        assert tmp.suffix == ".pdf"  # matplotlib picks the format from it
        tmp.write_bytes(b"%PDF whole")
    assert out.read_bytes() == b"%PDF whole"
    assert not stale.exists() and other.exists()
    assert "interrupted earlier write" in caplog.text


# --- real faults in a subprocess ------------------------------------------------------------------
def _python(code: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


# Each writer writes ~6-60 kB; with RLIMIT_FSIZE at 4 kB the kernel refuses the bytes beyond it
# (EFBIG; SIGXFSZ ignored). Text and CSV writes of under 8 kB are buffered, so they fail on close.
WRITERS = {
    "write_text_atomic (fails on close)": """
        from iactdl.io import write_text_atomic
        write_text_atomic(OUT / "metrics.json", "x" * 6000)
    """,
    "save_figure (matplotlib PDF + PNG)": """
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from iactdl.evaluate.performance_figures import save_figure
        fig, ax = plt.subplots()
        ax.plot(range(1000), [i**0.5 for i in range(1000)])
        save_figure(fig, [OUT / "roc.png", OUT / "roc.pdf"])
    """,
    "save_checkpoint (torch)": """
        import torch
        from iactdl.fit.checkpoint import save_checkpoint
        save_checkpoint(OUT / "checkpoint.pt", {"model": {"w": torch.zeros(20000)}})
    """,
    "write_summary (CSV + LaTeX)": """
        import json, shutil
        from iactdl.evaluate.summary import write_summary
        metrics = {}
        for i in range(80):  # small metrics files, a summary table over the limit
            metrics[f"model_{i}"] = OUT / "in" / f"model_{i}.json"
            metrics[f"model_{i}"].parent.mkdir(exist_ok=True)
            metrics[f"model_{i}"].write_text(json.dumps({"name": f"model_{i}", "kind": "baseline",
                "task": "separation", "test": {"roc_auc": 0.9, "roc_auc_unc": 0.01}}))
        try:
            write_summary(metrics, OUT / "summary.csv", OUT / "summary.tex")
        finally:
            shutil.rmtree(OUT / "in")
    """,
}


def _limited(tmp_path: Path, writer_code: str, limit: int = 4096) -> subprocess.Popen:
    """Run ``writer_code`` (writing under OUT = tmp_path) with files limited to ``limit`` bytes."""
    code = f"""
        import resource, signal
        from pathlib import Path
        OUT = Path({str(tmp_path)!r})
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        import iactdl.io  # imports first: nothing below may write a file larger than the limit
        resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
        try:
{textwrap.indent(textwrap.dedent(writer_code), " " * 12)}
        except Exception as err:  # OSError from Python's io, RuntimeError from torch's writer
            print("error", type(err).__name__, getattr(err, "errno", None))
        else:
            print("no error")
    """
    return _python(code)


@pytest.mark.parametrize("writer", list(WRITERS))
def test_write_refused_by_the_kernel_leaves_no_output_and_no_temporary(tmp_path, writer):
    proc = _limited(tmp_path, WRITERS[writer])
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    assert out.startswith("error"), (out, err[-2000:])  # EFBIG (File too large) in some form
    assert _files(tmp_path) == [], f"left behind: {_files(tmp_path)}"


def test_hdf5_write_refused_by_the_kernel_leaves_no_output(tmp_path):
    """h5py/HDF5 cannot close a file whose flush failed: the process segfaults (h5py issues #914,
    #2160, upstream in HDF5). So a full disk during an HDF5 write is a crash, like a kill: no
    target is created, the temporary file stays, and the next write of the target removes it."""
    out = tmp_path / "events.h5"
    code = """
        import numpy as np
        from iactdl.io import EventWriter
        with EventWriter(OUT / "events.h5", compression=None) as w:
            for _ in range(50):
                w.append({"size": np.arange(10000.0)})
    """
    proc = _limited(tmp_path, code, limit=200_000)
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode != 0 or stdout.startswith("error"), (stdout, stderr[-2000:])
    assert not out.exists()
    assert all(p in leftover_temporaries(out) for p in tmp_path.iterdir())
    write_events(out, {"size": np.arange(3.0)})
    assert _files(tmp_path) == ["events.h5"]


def test_sigkill_mid_write_leaves_no_target_and_the_rerun_cleans_up(tmp_path):
    out = tmp_path / "events.h5"
    code = f"""
        import sys, time
        import numpy as np
        from iactdl.io import EventWriter
        with EventWriter({str(out)!r}) as w:
            for i in range(10**6):
                w.append({{"size": np.arange(1000.0)}})
                if i == 3:
                    print("writing", flush=True)
                time.sleep(0.01)
    """
    proc = _python(code, start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "writing", proc.stderr.read()[-2000:]
        time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    left = leftover_temporaries(out)
    assert not out.exists()
    assert [p.name for p in left] == [temporary_name(out, proc.pid).name]
    # the rule runs again: the same target is written whole, the leftover is gone
    write_events(out, {"size": np.arange(5.0)})
    assert read_columns(out)["size"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert _files(tmp_path) == ["events.h5"]
