"""Benchmark of the extract stage: events/s and peak RSS, ours (streaming) against a whole-file
reference (read all with h5py, select, write: what a pandas/pyfact ``read_h5py`` script does).

    python benchmarks/extract.py                    # 50k events, under a minute on 2 cores
    python benchmarks/extract.py --n-events 1000000 --no-reference   # the 1M-event memory check

The input is synthetic raw events written with :class:`iactdl.io.EventWriter` (Poisson night-sky
background, a bright blob in half of the events; the same columns and compression as
``results/simulated/{sample}.h5``), or a given ``--input`` file. Each side runs in its own process,
whose peak RSS (``ru_maxrss``) is reported. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CUTS = {"pixel_threshold": 5.5, "min_pixels_above_threshold": 3, "min_signal_charge": 30.0}
COMPRESSION = os.environ.get("IACTDL_BENCH_COMPRESSION", "gzip")  # set by --compression


def write_synthetic(
    path: Path, n_events: int, seed: int = 0, chunk: int = 8192, compression: str = "gzip"
) -> None:
    """Raw gamma-like events in the layout of results/simulated, written chunk by chunk."""
    from iactdl.camera import N_PIXELS
    from iactdl.io import EventWriter

    rng = np.random.default_rng(seed)
    config = {"benchmark": "extract", "n_events": n_events}
    codec = None if compression == "none" else compression
    with EventWriter(path, config=config, seed=seed, compression=codec) as w:
        for start in range(0, n_events, chunk):
            n = min(chunk, n_events - start)
            image = rng.poisson(0.4, (n, N_PIXELS)).astype(np.float32)
            shower = np.flatnonzero(rng.random(n) < 0.5)
            first = rng.integers(0, N_PIXELS - 12, shower.size)
            for offset in range(12):
                image[shower, first + offset] += rng.poisson(15.0, shower.size)
            peak_time = np.full((n, N_PIXELS), 30.0, dtype=np.float32)
            peak_time += rng.standard_normal((n, N_PIXELS), dtype=np.float32)
            w.append(
                {
                    "event_id": np.arange(start, start + n, dtype=np.int64),
                    "image": image,
                    "peak_time": peak_time,
                    "particle_id": np.ones(n, dtype=np.int64),
                    "true_energy": 10 ** rng.uniform(-0.7, 1.5, n),
                    "true_impact": rng.uniform(0, 270, n),
                    "true_source_x": np.full(n, 51.2),
                    "true_source_y": np.zeros(n),
                    "source_x": np.full(n, 51.2),
                    "source_y": np.zeros(n),
                }
            )


def run_ours(src: Path, out: Path, chunk_size: int) -> dict:
    from iactdl.extract import extract_events

    summary = extract_events(
        "simulate", src, out, {**CUTS, "chunk_size": chunk_size}, None, "gamma"
    )
    return {"n_selected": summary["n_selected"]}


def run_reference(src: Path, out: Path) -> dict:
    """Whole file in memory: the straightforward script without streaming."""
    import h5py

    from iactdl.extract import image_cut_masks
    from iactdl.io import write_events

    with h5py.File(src, "r") as f:
        columns = {name: ds[:] for name, ds in f["events"].items()}
    keep = np.logical_and.reduce(list(image_cut_masks(columns["image"], 30.0, 5.5, 3).values()))
    write_events(out, {name: values[keep] for name, values in columns.items()})
    return {"n_selected": int(keep.sum())}


def child(args) -> None:
    """One measurement in this (fresh) process: time and peak RSS of this process alone."""
    src, out = Path(args.input), Path(args.output)
    t0 = time.perf_counter()
    result = (
        run_ours(src, out, args.chunk_size) if args.child == "ours" else run_reference(src, out)
    )
    result["seconds"] = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    # CPU time as well: on a shared machine the wall time depends on the other jobs
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(result))


def measure(side: str, src: Path, out: Path, chunk_size: int, compression: str) -> dict:
    cmd = [sys.executable, __file__, "--child", side, "--input", str(src), "--output", str(out)]
    cmd += ["--chunk-size", str(chunk_size)]
    env = {**os.environ, "IACTDL_BENCH_COMPRESSION": compression}
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-events", type=int, default=50_000, help="synthetic events to extract")
    parser.add_argument("--chunk-size", type=int, default=4096, help="config extract.chunk_size")
    parser.add_argument("--input", help="use this raw event file instead of synthetic events")
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=["ours", "reference"], help=argparse.SUPPRESS)
    parser.add_argument(
        "--compression", default="gzip", choices=["gzip", "lzf", "none"],
        help="config extract.compression of our output (and of the synthetic input)",
    )  # fmt: skip
    parser.add_argument("--no-reference", action="store_true", help="skip the whole-file reference")
    parser.add_argument("--workdir", default=None, help="where to put the temporary files")
    args = parser.parse_args()
    if args.child:
        return child(args)

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        tmp = Path(tmp)
        if args.input:
            src = Path(args.input)
        else:
            src = tmp / "raw.h5"
            t0 = time.perf_counter()
            write_synthetic(src, args.n_events, compression=args.compression)
            print(f"wrote {args.n_events} synthetic events in {time.perf_counter() - t0:.1f} s")
        from iactdl.io import n_events

        n = n_events(src)
        ours = measure("ours", src, tmp / "ours.h5", args.chunk_size, args.compression)
        print(f"ours: {ours}")
        result = {
            "benchmark": "extract",
            "events_per_s": n / ours["seconds"],
            "events_per_cpu_s": n / ours["cpu_seconds"],
            "peak_rss_mb": ours["peak_rss_mb"],
            "n_events": n,
            "n_selected": ours["n_selected"],
            "chunk_size": args.chunk_size,
            "compression": args.compression,
            "input_mb": os.path.getsize(src) / 2**20,
            "reference": "whole-file h5py read + select + write",
            "reference_events_per_s": None,
            "reference_peak_rss_mb": None,
            "reference_events_per_cpu_s": None,
            "ratio": None,
            "threads": 1,
        }
        if not args.no_reference:
            ref = measure("reference", src, tmp / "reference.h5", args.chunk_size, "gzip")
            print(f"reference: {ref}")
            assert ref["n_selected"] == ours["n_selected"], "ours and the reference disagree"
            result["reference_events_per_s"] = n / ref["seconds"]
            result["reference_peak_rss_mb"] = ref["peak_rss_mb"]
            result["reference_events_per_cpu_s"] = n / ref["cpu_seconds"]
            result["ratio"] = result["events_per_s"] / result["reference_events_per_s"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
