"""Benchmark: events/s of the air-shower simulator, side by side with ctapipe 0.28's toy model.

Ours: :func:`iactdl.simulate.simulate_chunks` (image + peak time + truth per event, all four
samples), and the whole :func:`iactdl.simulate.simulate_sample` into an HDF5 file. Reference:
``ctapipe.image.toymodel`` (Gaussian and SkewedGaussian ``generate_image``: Poisson signal + Poisson
NSB, images only, one event per call) on a ctapipe ``CameraGeometry`` built from our FACT pixel
table. One thread (BLAS included) unless ``--threads``. CPU time (``time.process_time``) is the
primary clock, since the machine may be shared; wall time is reported as well.

Usage::

    python benchmarks/simulate.py                       # ~1 minute on 2 cores
    python benchmarks/simulate.py --n-events 1000000    # + 1M events to a file: peak RSS

Prints one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import os
import sys

if __name__ == "__main__":  # one thread everywhere, before numpy loads its BLAS
    _threads = "1"
    if "--threads" in sys.argv:
        _threads = sys.argv[sys.argv.index("--threads") + 1]
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _threads

import json  # noqa: E402
import resource  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from iactdl.camera import fact_camera  # noqa: E402
from iactdl.simulate import simulate_chunks, simulate_sample  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def ours(sample: str, n: int, seed: int = 0) -> dict:
    cfg: dict = {}
    if sample == "observed":  # its events follow from its hours: ~n at ~29 Hz triggered
        cfg, n = {"observed": {"hours": n / 29.0 / 3600.0}}, None
    wall, cpu = time.perf_counter(), time.process_time()
    done = sum(len(c["event_id"]) for c in simulate_chunks(sample, n, cfg, seed))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"events_per_s": done / cpu, "events_per_s_wall": done / wall}


def ours_to_file(sample: str, n: int, folder: Path, seed: int = 0) -> dict:
    path = folder / f"{sample}.h5"
    truth = folder / f"{sample}_truth.h5"
    wall, cpu = time.perf_counter(), time.process_time()
    simulate_sample(sample, n, {}, seed, path, truth_path=truth)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    size = path.stat().st_size
    path.unlink()
    truth.unlink(missing_ok=True)
    return {"events_per_s": n / cpu, "events_per_s_wall": n / wall, "bytes_per_event": size / n}


def ctapipe_geometry():
    """ctapipe's CameraGeometry for FACT from our pixel table (hexagons, flat sides facing +-x)."""
    import astropy.units as u
    from ctapipe.instrument import CameraGeometry, PixelShape

    cam = fact_camera()
    return CameraGeometry(
        name="FACT-iactdl",
        pix_id=np.arange(cam.n_pixels),
        pix_x=cam.x * u.mm,
        pix_y=cam.y * u.mm,
        pix_area=np.full(cam.n_pixels, cam.pixel_area_mm2) * u.mm**2,
        pix_type=PixelShape.HEXAGON,
        pix_rotation=0 * u.deg,  # a vertex along +y: neighbours along x, as in our axial layout
    )


def reference(n: int, seed: int = 0) -> dict:
    """ctapipe's toy model: per-event Gaussian / SkewedGaussian images (a Python loop per event)."""
    import astropy.units as u
    from ctapipe.image.toymodel import Gaussian, SkewedGaussian

    geom = ctapipe_geometry()
    rng = np.random.default_rng(seed)
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        x, y = rng.uniform(-100, 100, 2) * u.mm
        width = rng.uniform(4, 10) * u.mm
        length = width * rng.uniform(1.5, 3)
        psi = rng.uniform(0, 360) * u.deg
        if i % 2:
            model = SkewedGaussian(x, y, length, width, psi, rng.uniform(0.1, 0.5))
        else:
            model = Gaussian(x, y, length, width, psi)
        model.generate_image(geom, intensity=rng.uniform(50, 1000), nsb_level_pe=1.0, rng=rng)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"events_per_s": n / cpu, "events_per_s_wall": n / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sim", type=int, default=20000, help="events per sample, in memory")
    parser.add_argument("--n-reference", type=int, default=2000, help="ctapipe toy-model events")
    parser.add_argument(
        "--n-events", type=int, default=20000, help="events simulated into a file (1000000: RSS)"
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tmp", default=None, help="folder for the file (default: system temp)")
    args = parser.parse_args()

    per_sample = {s: ours(s, args.n_sim) for s in ("gamma", "gamma_diffuse", "proton", "observed")}
    # the default config's mix: 20k gamma, 10k diffuse, 30k proton, 30k observed
    mix = {"gamma": 20, "gamma_diffuse": 10, "proton": 30, "observed": 30}
    mixed = sum(mix.values()) / sum(mix[s] / per_sample[s]["events_per_s"] for s in mix)
    with tempfile.TemporaryDirectory(dir=args.tmp) as folder:
        to_file = ours_to_file("proton", args.n_events, Path(folder))
    try:
        import ctapipe

        ref = reference(args.n_reference)
        ref_name = f"ctapipe {ctapipe.__version__} toymodel generate_image"
    except ImportError:
        ref, ref_name = {"events_per_s": float("nan"), "events_per_s_wall": float("nan")}, None
    result = {
        "benchmark": "simulate",
        "events_per_s": mixed,
        "events_per_s_by_sample": {s: round(v["events_per_s"]) for s, v in per_sample.items()},
        "events_per_s_wall_by_sample": {
            s: round(v["events_per_s_wall"]) for s, v in per_sample.items()
        },
        "events_per_s_to_file": to_file["events_per_s"],
        "events_per_s_to_file_wall": to_file["events_per_s_wall"],
        "bytes_per_event": to_file["bytes_per_event"],
        "reference": ref_name,
        "reference_events_per_s": ref["events_per_s"],
        "ratio": mixed / ref["events_per_s"],
        "peak_rss_mb": peak_rss_mb(),
        "n_events": args.n_events,
        "n_events_in_memory_per_sample": args.n_sim,
        "threads": args.threads,
        "clock": "process_time (CPU); *_wall: wall clock",
        "note": "ours: image + peak_time + truth per event; ctapipe: image only",
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
