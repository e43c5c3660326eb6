"""Benchmark: our whole feature stage against ctapipe 0.28's per-event chain, on the same images.

Ours: :func:`iactdl.features.image_features` (tail-cuts cleaning + Hillas + leakage +
concentration + islands + timing + charge statistics + derived features) on chunks of toy events.
Reference: ctapipe's tailcuts_clean + hillas_parameters + leakage_parameters +
concentration_parameters + number_of_islands + timing_parameters per event (after a warm-up that
compiles its numba functions), on the first ``--n-reference`` of the same images, with ctapipe's
CameraGeometry built from our pixel table. Both run on ``--threads`` threads (default 1: the
thread-count variables are set before numpy is imported).

Optionally (``--build-events N``) streams N events through ``build_features`` (events file ->
features file with grid images and pixel sets) in a child process and reports its wall time and
peak RSS (target < 1.5 GB for 1M events).

Usage::

    python benchmarks/features.py                       # ~1 minute on 2 cores
    python benchmarks/features.py --build-events 1000000 --workdir /tmp/bench

The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import os
import sys


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-events", type=int, default=50_000, help="events for our side")
    p.add_argument("--n-reference", type=int, default=300, help="events for ctapipe's side")
    p.add_argument("--chunk-size", type=int, default=4096)
    p.add_argument("--repeats", type=int, default=3, help="best of this many runs (ours)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument(
        "--build-events",
        type=int,
        default=0,
        help="also stream N events through build_features and measure its peak RSS (0: skip)",
    )
    p.add_argument("--workdir", default="/tmp/iactdl-bench-features")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
if ARGS is not None:  # before numpy/scipy load their thread pools
    for var in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "NUMBA_NUM_THREADS",
        "NUMEXPR_NUM_THREADS",
    ):
        os.environ[var] = str(ARGS.threads)

import json  # noqa: E402
import logging  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from iactdl.features import image_features  # noqa: E402
from iactdl.features.reference import ctapipe_chain, ctapipe_geometry, toy_events  # noqa: E402

log = logging.getLogger("benchmarks.features")


def make_events(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    images, times = [], []
    for i, start in enumerate(range(0, n, 10_000)):
        im, t = toy_events(min(10_000, n - start), seed=seed + i)
        images.append(im)
        times.append(t)
    return np.concatenate(images), np.concatenate(times)


def time_ours(image, peak_time, chunk_size, repeats) -> tuple[float, float]:
    """Best of ``repeats``: events per wall second and per CPU second of this process."""
    image_features(image[:chunk_size], peak_time[:chunk_size])  # compile numba, warm buffers
    best_wall = best_cpu = np.inf
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for start in range(0, len(image), chunk_size):
            image_features(image[start : start + chunk_size], peak_time[start : start + chunk_size])
        best_wall = min(best_wall, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return len(image) / best_wall, len(image) / best_cpu


def time_ctapipe(image, peak_time) -> tuple[float, float]:
    geom = ctapipe_geometry()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(min(20, len(image))):  # numba compilation, geometry caches
            ctapipe_chain(geom, image[i].astype(np.float64), peak_time[i])
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(len(image)):
            ctapipe_chain(geom, image[i].astype(np.float64), peak_time[i])
        return len(image) / (time.perf_counter() - t0), len(image) / (time.process_time() - c0)


def write_events_file(path: Path, n: int, seed: int, chunk: int = 8192) -> None:
    """A synthetic events file (``image``, ``peak_time``, ``event_id``, truth-like columns) of n
    events: one block of toy events repeated, so writing it is cheap."""
    from iactdl.io import EventWriter

    image, peak_time = toy_events(chunk, seed=seed)
    # uncompressed: gzip of noisy float images would dominate the set-up time
    with EventWriter(path, config={"benchmark": "features"}, compression=None) as w:
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            w.append(
                {
                    "event_id": np.arange(start, start + m, dtype=np.int64),
                    "image": image[:m],
                    "peak_time": peak_time[:m],
                    "true_energy": np.full(m, 1.0),
                    "source_x": np.zeros(m),
                    "source_y": np.zeros(m),
                }
            )


def run_build_features(n: int, workdir: Path, seed: int, chunk_size: int) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    events, features = workdir / "events.h5", workdir / "features.h5"
    t0 = time.perf_counter()
    write_events_file(events, n, seed)
    t_write = time.perf_counter() - t0
    code = (
        "import logging, time, json\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "from iactdl.features import build_features\n"
        "t0 = time.perf_counter()\n"
        f"c = build_features({str(events)!r}, {str(features)!r}, chunk_size={chunk_size})\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print(json.dumps({'seconds': time.perf_counter() - t0, "
        "'rss_mb': int(hwm.split()[1]) / 1024, 'counts': c}))\n"
    )
    # VmHWM, not ru_maxrss: Linux carries the parent's peak RSS into ru_maxrss across fork+exec
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    child = json.loads(out.stdout.strip().splitlines()[-1])
    result = {
        "n_events": n,
        "seconds": round(child["seconds"], 1),
        "events_per_s": round(n / child["seconds"]),
        "peak_rss_mb": round(child["rss_mb"], 1),
        "rss_below_1_5_gb": child["rss_mb"] < 1536,
        "input_write_seconds": round(t_write, 1),
        "output_mb": round(features.stat().st_size / 2**20, 1),
        "chunk_size": chunk_size,
    }
    events.unlink(missing_ok=True)
    features.unlink(missing_ok=True)
    return result


def main(args: argparse.Namespace) -> dict:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import ctapipe

    image, peak_time = make_events(args.n_events, args.seed)
    ours, ours_cpu = time_ours(image, peak_time, args.chunk_size, args.repeats)
    log.info("ours: %.0f events/s (%.0f per CPU second)", ours, ours_cpu)
    n_ref = min(args.n_reference, len(image))
    ref, ref_cpu = time_ctapipe(image[:n_ref], peak_time[:n_ref])
    log.info("ctapipe %s: %.0f events/s (%.0f per CPU second)", ctapipe.__version__, ref, ref_cpu)
    from iactdl.features._kernels import HAVE_NUMBA

    result = {
        "benchmark": "features",
        "events_per_s": round(ours),
        "reference": f"ctapipe {ctapipe.__version__}",
        "reference_events_per_s": round(ref, 1),
        "ratio": round(ours / ref, 1),
        # per CPU second of the process: fairer on a shared machine (wall time counts waiting)
        "events_per_cpu_s": round(ours_cpu),
        "reference_events_per_cpu_s": round(ref_cpu, 1),
        "ratio_cpu": round(ours_cpu / ref_cpu, 1),
        "cleaning_engine": "numba" if HAVE_NUMBA else "numpy",
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
        "threads": args.threads,
        "n_events": len(image),
        "n_reference_events": n_ref,
        "chunk_size": args.chunk_size,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "target": ">= 100x ctapipe and >= 200k events/s on one core",
    }
    if args.build_events:
        bf = run_build_features(args.build_events, Path(args.workdir), args.seed, args.chunk_size)
        log.info("build_features: %s", bf)
        result["build_features"] = bf
    return result


if __name__ == "__main__":
    print(json.dumps(main(ARGS)))
