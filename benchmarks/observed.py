"""Benchmark of the observed data path: events/s and bytes per event, the one-pass stream
(rule ``stream_observed``, :func:`iactdl.observed_stream.stream_observed`) against the chain of
files it replaced (simulate -> extract -> build_features -> split_observed), on the same events.

    python benchmarks/observed.py                        # 0.19 h (~20k events), about a minute
    python benchmarks/observed.py --hours 9.6 --no-reference   # the default's ~1M: RSS, disk

The config sections are the default's (config.yaml: simulation, extract, features, datasets), so
the bytes per event are those of a default run. Each side runs in its own process (peak RSS is
``ru_maxrss`` of that process) with one thread; events/s count simulated events (before any cut)
per CPU second (``time.process_time``; wall time too). Bytes per event: every file the side leaves
on disk (for the chain, all of them coexist in a DAG run), divided by the simulated events; the
breakdown per file is given. The last line printed is one JSON object.
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # one thread everywhere, before numpy loads its BLAS
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import yaml  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SPLIT_FILES = ("train", "train_images", "val", "test")


def default_sections(hours: float | None = None) -> dict:
    """The default config's sections that the observed path reads (schema defaults not needed:
    config.yaml spells every key out)."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    if hours is not None:
        config["simulation"]["observed"]["hours"] = hours
    return {k: config[k] for k in ("seed", "simulation", "extract", "features", "datasets")}


def _seeds(config: dict) -> tuple[int, int]:
    from iactdl.provenance import rule_seed

    return rule_seed(config["seed"], "simulate", "observed"), rule_seed(
        config["seed"], "split_observed"
    )


def run_stream(hours: float, folder: Path) -> dict:
    from iactdl.observed_stream import stream_observed

    cfg = default_sections(hours)
    seed, salt = _seeds(cfg)
    outputs = {k: folder / f"observed_{k}.h5" for k in SPLIT_FILES}
    truth = folder / "observed_truth.h5"
    wall, cpu = time.perf_counter(), time.process_time()
    summary = stream_observed(
        cfg["simulation"], seed, outputs, truth, cfg["extract"], cfg["features"],
        cfg["datasets"], salt,
    )  # fmt: skip
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    files = {p.name: p.stat().st_size for p in [*outputs.values(), truth]}
    return {
        "cpu_s": cpu,
        "wall_s": wall,
        "files": files,
        "n_selected": summary["n_selected"],
        "n_simulated": summary["n_simulated"],
    }


def run_chain(hours: float, folder: Path) -> dict:
    from iactdl.extract import extract_events
    from iactdl.features import build_features, split_observed
    from iactdl.simulate import simulate_sample

    cfg = default_sections(hours)
    seed, salt = _seeds(cfg)
    data = cfg["datasets"]
    raw, truth = folder / "raw_observed.h5", folder / "observed_truth.h5"
    events, features = folder / "events_observed.h5", folder / "features_observed.h5"
    outputs = {k: folder / f"observed_{k}.h5" for k in SPLIT_FILES}
    stages = {}
    t0 = time.process_time()
    simulate_sample("observed", None, cfg["simulation"], seed, raw, truth_path=truth)
    stages["simulate"], t0 = time.process_time() - t0, time.process_time()
    extract_events("simulate", raw, events, cfg["extract"], sample="observed")
    stages["extract"], t0 = time.process_time() - t0, time.process_time()
    build_features(events, features, cfg["features"])
    stages["build_features"], t0 = time.process_time() - t0, time.process_time()
    counts = split_observed(
        features, outputs, data["observed_fractions"], salt, data["observed_train_images"],
        data["chunk_size"], data, data["quality_cuts"],
    )  # fmt: skip
    stages["split_observed"] = time.process_time() - t0
    files = {p.name: p.stat().st_size for p in [raw, events, features, *outputs.values(), truth]}
    n_selected = sum(sum(counts[s].values()) for s in ("train", "val", "test"))
    return {
        "cpu_s": sum(stages.values()),
        "cpu_s_by_stage": stages,
        "files": files,
        "n_selected": n_selected,
    }


def side(name: str, hours: float, tmp: str | None) -> dict:
    """Run one side in a fresh process; its JSON result plus its peak RSS."""
    proc = subprocess.run(
        [sys.executable, __file__, "--side", name, "--hours", str(hours)]
        + (["--tmp", tmp] if tmp else []),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{name} side failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--hours", type=float, default=0.19, help="hours of observation (~29 Hz triggered)"
    )
    parser.add_argument("--no-reference", action="store_true", help="skip the chain of files")
    parser.add_argument("--tmp", default=None, help="folder for the files (default: system temp)")
    parser.add_argument("--side", choices=["stream", "chain"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.side:  # child process: one side, JSON on the last line
        with tempfile.TemporaryDirectory(dir=args.tmp) as folder:
            run = run_stream if args.side == "stream" else run_chain
            wall = time.perf_counter()
            result = run(args.hours, Path(folder))
            result["wall_s"] = time.perf_counter() - wall
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print(json.dumps(result))
        return

    ours = side("stream", args.hours, args.tmp)
    n = ours["n_simulated"]  # triggered events: the observation's hours and the fluxes set them
    ref = None if args.no_reference else side("chain", args.hours, args.tmp)

    def rates(r):
        return {
            "events_per_s": n / r["cpu_s"],
            "events_per_s_wall": n / r["wall_s"],
            "bytes_per_event": sum(r["files"].values()) / n,
            "bytes_per_selected_event": sum(r["files"].values()) / max(1, r["n_selected"]),
        }

    o = rates(ours)
    result = {
        "benchmark": "observed",
        **o,
        "peak_rss_mb": ours["peak_rss_mb"],
        "n_events": n,
        "hours": args.hours,
        "n_selected": ours["n_selected"],
        "files_bytes": ours["files"],
        "reference": "chain of files: simulate -> extract -> build_features -> split_observed",
    }
    if ref is not None:
        r = rates(ref)
        result.update(
            {
                "reference_events_per_s": r["events_per_s"],
                "reference_events_per_s_wall": r["events_per_s_wall"],
                "reference_bytes_per_event": r["bytes_per_event"],
                "reference_peak_rss_mb": ref["peak_rss_mb"],
                "reference_cpu_s_by_stage": ref["cpu_s_by_stage"],
                "reference_files_bytes": ref["files"],
                "reference_n_selected": ref["n_selected"],
                "ratio": o["events_per_s"] / r["events_per_s"],
                "bytes_ratio": o["bytes_per_event"] / r["bytes_per_event"],
            }
        )
    result.update({"threads": 1, "clock": "process_time (CPU); *_wall: wall clock"})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
