"""Wall time and peak memory against events for the stages that grow with the data.

Four stages, each measured at every size N (default 30k, 100k, 300k, 1M, 3M events) in its own
Python process, so its peak memory (``VmHWM``: the most resident memory that process ever held) is
its own:

- ``observed_stream``: the observation simulated and streamed into its split files (rule
  ``stream_observed``, :func:`iactdl.observed_stream.stream_observed`) with config.yaml's sections
  and ``simulation.observed.hours`` set to ``17.7 h x N / 1M`` (the default 17.7 h hold ~1M
  triggered events); N is the events simulated;
- ``features``: ``build_features`` (cleaning, Hillas and friends, grid images, pixel sets) on an
  events file of N toy images (``benchmarks/features.py``'s file: one block of toy events repeated,
  uncompressed);
- ``train_epoch``: one epoch of streamed training (``models.*.stream: true``,
  :class:`iactdl.fit.streaming.StreamedSplit`) of an MLP on five image features, on a dataset of N
  labelled toy events (one block of 16k repeated, event ids renumbered);
- ``predict``: chunked prediction (:func:`iactdl.evaluate.predict_file`) of that MLP on the same
  dataset.

The MLP on features keeps the training and prediction affordable at 1M on a shared CPU; the image
nets stream through the same reader (``benchmarks/stream.py`` measured the hexagonal CNN: one epoch
of 100k events in 324 s at 1.55 GB). Sizes run in increasing order per stage; a size whose time,
extrapolated linearly from the stage's last one, exceeds ``--max-seconds`` is skipped and listed
(``skipped``). The machine's 1-minute load average is recorded before and after each run.

Times: ``stage_s``, the stage's own wall time in its process (after the interpreter started and
imported its modules: tens of seconds on a loaded machine, the same at every size), and ``wall_s``,
the whole process's.

Prints one JSON object as its last line (``rows``: stage, n, stage_s, wall_s, peak_rss_mb, ...) and
draws ``scaling.pdf``/``.png`` (time with a slope-1 guide, memory) in ``--out``; ``--replot JSON``
redraws it from a run's output (rows of several runs may be joined into one ``{"rows": [...]}``).

Usage::

    nice -n 5 python benchmarks/scaling.py --out /tmp/iactdl-scaling [--sizes 30000 100000 ...]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from peak_memory import peak_rss_mb  # benchmarks/ is sys.path[0] when run as a script

HERE = Path(__file__).resolve().parent
# cheapest first: a stage that runs out of time leaves the others measured
STAGES = ("train_epoch", "predict", "features", "observed_stream")
HOURS_PER_MILLION = 17.7  # the default observation: ~1M triggered events in 17.7 h
FEATS = ["size", "width", "length", "cog_x", "cog_y"]
MLP_ENTRY = {
    "kind": "net", "net": "mlp", "task": "separation", "features": FEATS,
    "settings": {"hidden": [64, 64], "dropout": 0.1}, "optimizer": "adamw", "lr": 0.003,
    "batch_size": 256, "epochs": 1, "stream": True,
}  # fmt: skip
BLOCK = 16384  # toy events generated once and repeated


# ---- one measurement, in a child process (python benchmarks/scaling.py --child JSON) ----------


def child_observed_stream(spec: dict) -> dict:
    sys.path.insert(0, str(HERE))
    from observed import run_stream

    folder = Path(spec["work"]) / "observed"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        res = run_stream(HOURS_PER_MILLION * spec["n"] / 1e6, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"events": res["n_simulated"], "n_selected": res["n_selected"],
            "bytes_out": sum(res["files"].values()), "cpu_s": res["cpu_s"]}  # fmt: skip


def child_features(spec: dict) -> dict:
    from iactdl.features import build_features

    events, out = Path(spec["events"]), Path(spec["work"]) / "features.h5"
    try:
        counts = build_features(events, out, {"image_dtype": "float16"})
        size = out.stat().st_size
    finally:
        out.unlink(missing_ok=True)
    return {"events": counts["n_events"], "bytes_out": size}


def child_train_epoch(spec: dict) -> dict:
    import torch

    from iactdl.fit.train import train_net

    torch.set_num_threads(spec["threads"])
    meta = train_net(spec["dataset"], spec["val"], MLP_ENTRY, 1, spec["model_dir"],
                     threads=spec["threads"], progress=False)  # fmt: skip
    return {"events": meta["n_train"], "epoch_s": meta["metrics"]["train_seconds"],
            "val_auc": meta["metrics"]["val_auc"]}  # fmt: skip


def child_predict(spec: dict) -> dict:
    from iactdl.evaluate import predict_file

    out = Path(spec["work"]) / "predictions.h5"
    try:
        n = predict_file(spec["model_dir"], spec["dataset"], out, chunk_size=65536,
                         model_name="mlp", threads=spec["threads"])  # fmt: skip
    finally:
        out.unlink(missing_ok=True)
    return {"events": n}


CHILDREN = {
    "observed_stream": child_observed_stream, "features": child_features,
    "train_epoch": child_train_epoch, "predict": child_predict,
}  # fmt: skip


PRELOAD = {
    "observed_stream": ["iactdl.observed_stream", "iactdl.features", "torch"],
    "features": ["iactdl.features"],
    "train_epoch": ["torch", "iactdl.fit.train", "iactdl.models.nets"],
    "predict": ["torch", "iactdl.evaluate", "iactdl.models", "iactdl.models.nets"],
}


def run_child(stage: str, **spec) -> dict:
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps({"stage": stage, **spec})],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"{stage} at n={spec.get('n')} failed:\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    row = {"stage": stage, "n": spec["n"], "wall_s": round(wall, 2), **res,
           "load_1min_before": load, "load_1min_after": os.getloadavg()[0]}  # fmt: skip
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


# ---- inputs -----------------------------------------------------------------------------------


def write_dataset(path: Path, n: int, seed: int) -> None:
    """A labelled dataset of ``n`` toy events (features, ``is_gamma``, ``true_energy``): one block
    repeated, event ids renumbered, gzip as the pipeline writes; chunks of 4096 rows."""
    from iactdl.fit.toydata import toy_events
    from iactdl.io import EventWriter

    ev = toy_events(BLOCK, seed=seed, max_pixels=8)
    block = {k: ev[k] for k in [*FEATS, "is_gamma", "true_energy"]}
    with EventWriter(path, config={"benchmark": "scaling"}, chunk_rows=4096) as w:
        for start in range(0, n, BLOCK):
            m = min(BLOCK, n - start)
            w.append({**{k: v[:m] for k, v in block.items()},
                      "event_id": np.arange(start, start + m, dtype=np.int64)})  # fmt: skip


def _too_long(rows: list[dict], stage: str, n: int, max_s: float) -> float | None:
    done = [r for r in rows if r["stage"] == stage]
    if not done:
        return None
    last = done[-1]
    predicted = last["wall_s"] * n / last["n"]
    return predicted if predicted > max_s else None


def measure(args) -> dict:
    sys.path.insert(0, str(HERE))
    from features import write_events_file

    work = args.out / "work"
    work.mkdir(parents=True, exist_ok=True)
    rows, skipped = [], []
    val = work / "val.h5"
    write_dataset(val, 8192, seed=2)
    for stage in args.stages:
        for n in sorted(args.sizes):
            predicted = _too_long(rows, stage, n, args.max_seconds)
            if predicted is not None:
                skipped.append({"stage": stage, "n": n, "predicted_s": round(predicted)})
                continue
            common = {"n": n, "work": str(work), "threads": args.threads}
            if stage == "observed_stream":
                rows.append(run_child(stage, **common))
            elif stage == "features":
                # the uncompressed events file (image + peak_time, float32) and the features
                # (~0.6 kB an event) must fit with 10 GiB to spare for the machine's other users;
                # not half the free space, which refused 3M events (35 GB) on a disk with 55 GB free
                need = n * (2 * 1440 * 4 + 1024)
                if need + (10 << 30) > shutil.disk_usage(work).free:
                    skipped.append({"stage": stage, "n": n, "reason": "disk: uncompressed images"})
                    continue
                events = work / "events.h5"
                write_events_file(events, n, args.seed)
                try:
                    rows.append(run_child(stage, events=str(events), **common))
                finally:
                    events.unlink(missing_ok=True)
            else:
                dataset = work / f"dataset_{n}.h5"
                if not dataset.exists():
                    write_dataset(dataset, n, seed=1)
                model_dir = work / f"mlp_{n}"
                if stage == "train_epoch":
                    rows.append(run_child(stage, dataset=str(dataset), val=str(val),
                                          model_dir=str(model_dir), **common))  # fmt: skip
                else:  # the net trained at the smallest size predicts every size
                    model_dir = work / f"mlp_{min(args.sizes)}"
                    rows.append(run_child(stage, dataset=str(dataset), model_dir=str(model_dir),
                                          **common))  # fmt: skip
                    dataset.unlink()
            plot(rows, args.out / "scaling")  # after every run: a figure even if stopped
    return {"rows": rows, "skipped": skipped}


def plot(rows: list[dict], stem: Path) -> None:
    """The stage's wall time (log-log, a slope-1 guide through each stage's largest size; without
    the interpreter's start and imports) and peak memory against events, one line per stage."""
    from iactdl.evaluate import style

    labels = {
        "observed_stream": "observation, streamed",
        "features": "features (images)",
        "train_epoch": "training, 1 epoch (streamed)",
        "predict": "prediction (chunked)",
    }
    fig, (ax_t, ax_m) = style.subplots(1, 2, columns=2, aspect=0.38)
    for i, stage in enumerate(STAGES):
        pts = sorted(  # the events processed (the observation's: those simulated, not N)
            (r.get("events", r["n"]), r["stage_s"], r["peak_rss_mb"])
            for r in rows
            if r["stage"] == stage
        )
        if not pts:
            continue
        n, t, m = (np.array(v, dtype=float) for v in zip(*pts, strict=True))
        kw = dict(marker="osd^"[i], color=style.colour(i), label=labels[stage])
        ax_t.plot(n, t, **kw)
        # time linear in the events: a slope-1 guide through the largest size, where the fixed
        # costs (loading the model, a first HDF5 chunk) weigh least
        ax_t.plot(n, t[-1] * n / n[-1], ls=":", lw=0.8, color=style.colour(i))
        ax_m.plot(n, m / 1024, **kw)
    for ax in (ax_t, ax_m):
        ax.set_xscale("log")
        ax.set_xlabel("events")
    ax_t.set_yscale("log")
    ax_t.set_ylabel("wall time / s")
    ax_m.set_ylabel("peak memory / GiB")
    ax_m.set_ylim(bottom=0)
    ax_m.legend(fontsize="small")
    style.save_figure(fig, [f"{stem}.pdf", f"{stem}.png"], dpi=150)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--sizes", type=int, nargs="+",
                    default=[30_000, 100_000, 300_000, 1_000_000, 3_000_000])  # fmt: skip
    ap.add_argument("--stages", nargs="+", default=list(STAGES), choices=STAGES)
    ap.add_argument("--max-seconds", type=float, default=600.0,
                    help="skip a size whose extrapolated time exceeds this")  # fmt: skip
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("results/benchmarks/scaling"))
    ap.add_argument("--replot", type=Path, help="redraw the figure from this run's JSON output")
    args = ap.parse_args(argv)
    if args.replot:
        plot(
            json.loads(args.replot.read_text().strip().splitlines()[-1])["rows"],
            args.out / "scaling",
        )
        return {}
    if args.child:
        spec = json.loads(args.child)
        stage = spec.pop("stage")
        for module in PRELOAD[stage]:  # the interpreter's start and imports are not the stage's
            importlib.import_module(module)
        t0 = time.perf_counter()
        res = CHILDREN[stage](spec)
        stage_s = time.perf_counter() - t0
        print(json.dumps({**res, "stage_s": round(stage_s, 2), "peak_rss_mb": peak_rss_mb()}))
        return {}
    if "predict" in args.stages and "train_epoch" not in args.stages:
        ap.error("--stages predict needs train_epoch (its net)")
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    result = {"benchmark": "scaling", "threads": args.threads, "cpus": os.cpu_count(),
              "load_1min_start": os.getloadavg()[0], **measure(args)}  # fmt: skip
    result["load_1min_end"] = os.getloadavg()[0]
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["figure"] = str(args.out / "scaling.pdf")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
