"""Streamed against resident training, float16 against float32 images, and scaling with events.

Every measurement runs in its own Python process, so its peak memory (``VmHWM``: the most
resident memory the process ever held) is its own:

- ``compare``: on a training and a validation dataset (default: the pipeline's
  ``results/datasets/{train,val}.h5``, images of the simulations), the same net, seed and settings
  trained resident (:func:`iactdl.fit.train.load_split`, tensors) and streamed
  (:class:`iactdl.fit.streaming.StreamedSplit`: shuffled pools of chunks read by a background
  thread), and resident on a float16 copy of both files (:func:`iactdl.io.compact.store_as`):
  training samples/s (the loop alone, from the engine's per-epoch times), peak memory and the
  best validation AUC. ``ratio`` = streamed / resident samples/s of the same run.
- ``scaling``: a file of the largest size is written by replicating the training file's events
  (event ids renumbered; the replicas are copies, fit for time and memory, not for AUC), then for
  each size N (its first N events, whole files for prediction): one streamed training epoch of the
  net (``--train-sizes``), one epoch of the streamed input pipeline alone (read, decode, shuffle,
  batch: no net, every size), resident loading (up to ``--resident-max``) and prediction
  (:func:`iactdl.evaluate.predict_file`, chunked); wall time and peak memory of each, and a figure
  (PDF + PNG) of both against N.
- ``net_at_scale`` (``--net-sizes``): the net of ``--net`` (``hexcnn``, or ``deepsets`` on the
  pixel sets) trained streamed for ``--net-epochs`` on each size, a file of that many events
  replicated from the training file as ``scaling`` does (float16 images and pixel sets, as the
  pipeline stores them), validated on one file of ``--net-val`` events replicated from the
  validation file (default: the largest size x 0.2 / 0.6, config.yaml's split), the same for
  every size; the engine's progress lines (batches done of the total) pass through, and
  ``net_at_scale_{net}.json`` in ``--out`` (wall time per epoch, events/s, peak memory of the
  training process, validation AUC per epoch) is rewritten after every size. Replicas give time
  and memory, not an AUC of 2M distinct events: the net sees the same events many times.

Prints one JSON object as its last line::

    {"benchmark": "stream", "compare": {...}, "scaling": {...}, ...}

Usage: ``python benchmarks/stream.py [--train results/datasets/train.h5] [--val ...]
[--net hexcnn] [--epochs 3] [--sizes 100000 300000 1000000] [--train-sizes 100000]
[--out results/benchmarks/stream] [--skip-compare] [--skip-scaling] [--net deepsets
--net-sizes 100000 2000000 --net-epochs 1 1 --net-val 666667 --data-dir DIR]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from peak_memory import peak_rss_mb  # benchmarks/ is sys.path[0] when run as a script

# the nets a study trains (--net): config.yaml's hexcnn (the costliest image net on the CPU), and
# Deep Sets on the pixel sets at the widths of config.yaml's optimiser and inductive-bias studies
# (~10x the hexcnn's events/s on one thread: an epoch of 2M events fits in a working session)
NET_ENTRIES = {
    "hexcnn": {
        "kind": "net", "net": "hexcnn", "task": "separation", "features": ["grid_image"],
        "settings": {"channels": [8, 16, 32], "convs_per_stage": 1, "head_hidden": 64,
                     "dropout": 0.1, "time": "relative"},
        "optimizer": "adamw", "lr": 0.003, "weight_decay": 1e-4, "schedule": "warmup",
        "warmup_epochs": 1, "batch_size": 128, "grad_clip": 1.0,
    },
    "deepsets": {
        "kind": "net", "net": "deepsets", "task": "separation",
        "features": ["pixel_set", "pixel_set_mask"],
        "settings": {"phi": [32, 32], "rho": [32], "pooling": "sum+mean", "time": "relative"},
        # a tenth of an epoch's warm-up: an epoch of 2M events is ~7800 steps, which the pipeline's
        # one epoch (~50 steps on 13k events) would spend warming up
        "optimizer": "adamw", "lr": 0.003, "weight_decay": 1e-4, "schedule": "warmup",
        "warmup_epochs": 0.1, "batch_size": 256, "grad_clip": 1.0,
    },
}  # fmt: skip
NET_ENTRY = NET_ENTRIES["hexcnn"]
# validation events per training event: config.yaml's datasets.fractions (train 0.6, val 0.2)
VAL_PER_TRAIN = 0.2 / 0.6
IMAGE_COLUMNS = ("grid_image", "pixel_set")


# ---- measurements, each run in a child process (python benchmarks/stream.py --child JSON) ----


def child_train(spec: dict) -> dict:
    """Train the net once (resident or streamed); samples/s of the loop, AUC, peak memory. With
    ``progress``, the engine's lines (batches done of the epoch's total, each epoch's AUC and
    seconds) go to stderr as they come."""
    import logging

    import torch

    from iactdl.fit.train import train_net

    if spec.get("progress"):
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(message)s", datefmt="%H:%M:%S")  # fmt: skip
    torch.set_num_threads(spec["threads"])
    base = NET_ENTRIES[spec.get("net", "hexcnn")]
    entry = {**base, "epochs": spec["epochs"], "stream": spec["stream"]}
    if spec.get("max_train_events"):
        entry["max_train_events"] = spec["max_train_events"]
    t0 = time.perf_counter()
    meta = train_net(spec["train"], spec["val"], entry, spec["seed"], spec["model_dir"],
                     threads=spec["threads"], progress=bool(spec.get("progress")))  # fmt: skip
    wall = time.perf_counter() - t0

    with open(Path(spec["model_dir"]) / "history.csv") as f:
        rows = list(csv.DictReader(f))
    seconds = [float(r["seconds"]) for r in rows]
    n = meta["n_train"] // entry["batch_size"] * entry["batch_size"]
    return {
        "n_train": meta["n_train"],
        "n_val": meta["n_val"],
        "wall_s": wall,
        "epoch_s": seconds,
        # training samples/s over the epochs after the first (its time includes the warm-up)
        "samples_per_s": n * max(1, len(seconds) - 1) / sum(seconds[1:] or seconds),
        "val_auc": [float(r["val_auc"]) for r in rows],
        "best_val_auc": meta["metrics"]["val_auc"],
        "peak_rss_mb": peak_rss_mb(),
    }


def child_pipeline(spec: dict) -> dict:
    """One epoch of the streamed input pipeline alone: every batch read, decoded, shuffled."""
    import torch

    from iactdl.fit.streaming import StreamedSplit

    torch.set_num_threads(spec["threads"])
    t0 = time.perf_counter()
    rows = np.arange(spec["n"]) if spec.get("n") else None
    s = StreamedSplit(spec["train"], ["grid_image"], "grid", (), "separation", rows)
    batches = sum(1 for _ in s.batches(1, NET_ENTRY["batch_size"]))
    return {"n": s.n, "batches": batches, "wall_s": time.perf_counter() - t0,
            "peak_rss_mb": peak_rss_mb()}  # fmt: skip


def child_resident(spec: dict) -> dict:
    """Loading the first ``n`` events resident (what training holds before its first step)."""
    from iactdl.fit.train import load_split

    t0 = time.perf_counter()
    rows = np.arange(spec["n"])
    data = load_split(spec["train"], "hexcnn", ["grid_image"], "separation", rows)
    return {"n": len(data["is_gamma"]), "wall_s": time.perf_counter() - t0,
            "peak_rss_mb": peak_rss_mb()}  # fmt: skip


def child_predict(spec: dict) -> dict:
    from iactdl.evaluate import predict_file

    t0 = time.perf_counter()
    predict_file(model_dir=spec["model_dir"], dataset=spec["dataset"], output=spec["output"],
                 chunk_size=4096, model_name="hexcnn", threads=spec["threads"])  # fmt: skip
    return {"wall_s": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb()}


CHILDREN = {"train": child_train, "pipeline": child_pipeline, "resident": child_resident,
            "predict": child_predict}  # fmt: skip


def run_child(kind: str, live: bool = False, **spec) -> dict:
    """Run one measurement in a child process; its result is its stdout's last line. ``live``:
    its stderr (progress lines) goes to ours as it comes instead of being kept for an error."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps({"kind": kind, **spec})],
        stdout=subprocess.PIPE, stderr=None if live else subprocess.PIPE, text=True,
        check=False,
    )  # fmt: skip
    if out.returncode != 0:
        why = "its lines above" if live else out.stderr[-3000:]
        raise RuntimeError(f"child {kind} failed (exit {out.returncode}):\n{why}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    print(kind, {k: v for k, v in spec.items() if k in ("n", "stream", "dataset")}, res,
          file=sys.stderr, flush=True)  # fmt: skip
    return res


# ---- files ----


def copy_events(src, dst, image_dtype: str = "float32", size: int | None = None, block=4096):
    """Copy ``src`` to ``dst`` (atomically), images stored as ``image_dtype``; with ``size``,
    replicate the events until there are ``size`` (event ids renumbered). The source's chunks are
    read once and held (a dataset of the default DAG: ~13k events, 220 MB)."""
    from iactdl.io import EventWriter, iter_chunks, n_events
    from iactdl.io.compact import store_as

    size = size or n_events(src)
    chunks = []
    for chunk in iter_chunks(src, block):
        for col in IMAGE_COLUMNS:
            if col in chunk:
                chunk[col] = store_as(chunk[col], image_dtype, col, src)
        chunks.append(chunk)
    written = 0
    with EventWriter(dst) as w:
        while written < size:
            for chunk in chunks:
                take = min(len(chunk["event_id"]), size - written)
                part = {k: v[:take] for k, v in chunk.items()}
                part["event_id"] = np.arange(written, written + take, dtype=np.int64)
                w.append(part)
                written += take
                if written >= size:
                    break


# ---- the two studies ----


def compare(args, out: Path) -> dict:
    f16 = {s: out / f"{s}_float16.h5" for s in ("train", "val")}
    for split, src in (("train", args.train), ("val", args.val)):
        if not f16[split].exists():
            copy_events(src, f16[split], "float16")
    common = dict(val=str(args.val), epochs=args.epochs, seed=args.seed, threads=args.threads,
                  net=args.net)  # fmt: skip
    runs = {
        "resident_float32": run_child("train", train=str(args.train), stream=False,
                                      model_dir=str(out / "m_res"), **common),
        "streamed_float32": run_child("train", train=str(args.train), stream=True,
                                      model_dir=str(out / "m_str"), **common),
        "resident_float16": run_child("train", train=str(f16["train"]), stream=False,
                                      model_dir=str(out / "m_f16"),
                                      **{**common, "val": str(f16["val"])}),
    }  # fmt: skip
    res, stre = runs["resident_float32"], runs["streamed_float32"]
    return {
        "train": str(args.train),
        "val": str(args.val),
        "runs": runs,
        "ratio": stre["samples_per_s"] / res["samples_per_s"],
        "auc_streamed_minus_resident": stre["best_val_auc"] - res["best_val_auc"],
        "auc_float16_minus_float32": (
            runs["resident_float16"]["best_val_auc"] - res["best_val_auc"]
        ),
        "bytes_per_event_on_disk": {
            "float32": os.path.getsize(args.train) / res["n_train"],
            "float16": os.path.getsize(f16["train"]) / res["n_train"],
        },
    }


def scaling(args, out: Path) -> dict:
    sizes = sorted(args.sizes)
    # one file of the largest size (every size reads its first n events), and whole files of the
    # sizes that are trained or predicted (those read a file to its end)
    whole = sorted({max(sizes), *args.train_sizes, *args.predict_sizes})
    files = {n: out / f"scale_{n}_{args.image_dtype}.h5" for n in whole}
    t_write = {}
    for n in whole:
        if not files[n].exists():
            t0 = time.perf_counter()
            copy_events(args.train, files[n], args.image_dtype, size=n)
            t_write[n] = time.perf_counter() - t0
    rows = []
    model_dir = out / "m_res"  # the compare study's resident net (or one trained here)
    if args.predict_sizes and not (model_dir / "model.pt").exists():
        run_child("train", train=str(args.train), val=str(args.val), stream=False, epochs=1,
                  seed=args.seed, threads=args.threads, model_dir=str(model_dir))  # fmt: skip
    big = files[max(sizes)]
    for n in sizes:
        row = {"n": n, "write_s": t_write.get(n)}
        if n in files:
            row["file_mb"] = os.path.getsize(files[n]) / 2**20
        row["pipeline"] = run_child("pipeline", train=str(big), n=n, threads=args.threads)
        if n <= args.resident_max:
            row["resident_load"] = run_child("resident", train=str(big), n=n)
        if n in args.train_sizes:
            row["train_epoch"] = run_child(
                "train", train=str(files[n]), val=str(args.val), stream=True, epochs=1,
                seed=args.seed, threads=args.threads, model_dir=str(out / f"m_scale_{n}"),
            )  # fmt: skip
        if n in args.predict_sizes:
            row["predict"] = run_child(
                "predict", model_dir=str(model_dir), dataset=str(files[n]),
                output=str(out / f"pred_{n}.h5"), threads=args.threads,
            )  # fmt: skip
        rows.append(row)
        plot_scaling(rows, out / "stream_scaling")  # after every size: a figure even if stopped
        print(json.dumps({"scaling_row": row}), file=sys.stderr, flush=True)
    return {"image_dtype": args.image_dtype, "rows": rows,
            "figure": str(out / "stream_scaling.pdf")}  # fmt: skip


def net_at_scale(args, out: Path) -> dict:
    """The net (``--net``) trained streamed on each of ``--net-sizes`` replicated events (float16
    images and pixel sets, as the pipeline stores them), validated on one file of
    ``--net-val`` events (default: the largest size x val/train of config.yaml's split) replicated
    from the validation set, so every size sees the same validation events. Files go to
    ``--data-dir`` and are reused if there; the result is rewritten after every size."""
    data = args.data_dir or out
    data.mkdir(parents=True, exist_ok=True)
    epochs = args.net_epochs * len(args.net_sizes) if len(args.net_epochs) == 1 else args.net_epochs
    runs = sorted(zip(args.net_sizes, epochs, strict=True))  # smallest first: its numbers soonest
    sizes = [n for n, _ in runs]
    n_val = args.net_val or round(max(sizes) * VAL_PER_TRAIN)
    val = data / f"val_{n_val}_float16.h5"
    t_write = {}
    if not val.exists():
        t0 = time.perf_counter()
        copy_events(args.val, val, "float16", size=n_val)
        t_write["val"] = time.perf_counter() - t0
    result = {"net": args.net, "entry": NET_ENTRIES[args.net], "val": str(val), "n_val": n_val,
              "val_file_mb": os.path.getsize(val) / 2**20, "rows": []}  # fmt: skip
    for n, n_epochs in runs:
        train = data / f"train_{n}_float16.h5"
        if not train.exists():
            t0 = time.perf_counter()
            copy_events(args.train, train, "float16", size=n)
            t_write[n] = time.perf_counter() - t0
        res = run_child(
            "train", live=True, net=args.net, train=str(train), val=str(val), stream=True,
            epochs=n_epochs, seed=args.seed, threads=args.threads, progress=True,
            model_dir=str(out / f"m_{args.net}_{n}"),
        )  # fmt: skip
        # events/s of each epoch's wall time (its validation included)
        res["events_per_s"] = [res["n_train"] / s for s in res["epoch_s"]]
        mb = os.path.getsize(train) / 2**20
        result["rows"].append({"n": n, "epochs": n_epochs, "file_mb": mb, **res})
        result["write_s"] = {str(k): v for k, v in t_write.items()}
        (out / f"net_at_scale_{args.net}.json").write_text(json.dumps(result, indent=1))
        print(json.dumps({"net_at_scale_row": result["rows"][-1]}), file=sys.stderr, flush=True)
    return result


def plot_scaling(rows: list[dict], stem: Path) -> None:
    """Wall time and peak memory against events, one panel each, for every measured step."""
    from iactdl.evaluate import style

    series = (
        ("pipeline", "streamed input, 1 epoch", "o", "-"),
        ("train_epoch", "streamed training, 1 epoch", "s", "-"),
        ("resident_load", "resident loading", "^", "--"),
        ("predict", "prediction (chunked)", "d", "-"),
    )
    fig, (ax_t, ax_m) = style.subplots(1, 2, columns=2, aspect=0.38)
    for i, (key, label, marker, ls) in enumerate(series):
        pts = [(r["n"], r[key]) for r in rows if key in r]
        if not pts:
            continue
        n = [p[0] for p in pts]
        kw = dict(marker=marker, ls=ls, color=style.colour(i), label=label)
        ax_t.plot(n, [p[1]["wall_s"] for p in pts], **kw)
        ax_m.plot(n, [p[1]["peak_rss_mb"] / 1024 for p in pts], **kw)
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
    ap.add_argument("--train", type=Path, default=Path("results/datasets/train.h5"))
    ap.add_argument("--val", type=Path, default=Path("results/datasets/val.h5"))
    ap.add_argument("--epochs", type=int, default=3, help="epochs of each compare run")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    ap.add_argument(
        "--train-sizes",
        type=int,
        nargs="*",
        default=[100_000],
        help="sizes that also get one streamed training epoch (the costly part)",
    )
    ap.add_argument(
        "--predict-sizes",
        type=int,
        nargs="*",
        default=[100_000],
        help="sizes that are also predicted (chunked, a whole file each)",
    )
    ap.add_argument(
        "--resident-max",
        type=int,
        default=300_000,
        help="largest size loaded resident (16.5 kB an event)",
    )
    ap.add_argument("--image-dtype", default="float16", help="images of the scaling files")
    ap.add_argument(
        "--net",
        default="hexcnn",
        choices=sorted(NET_ENTRIES),
        help="the net of compare and of --net-sizes (scaling trains the hexcnn)",
    )
    ap.add_argument(
        "--net-sizes",
        type=int,
        nargs="*",
        default=[],
        help="train --net streamed on these many replicated events (none: skipped)",
    )
    ap.add_argument(
        "--net-epochs",
        type=int,
        nargs="+",
        default=[1],
        help="epochs at each of --net-sizes (one number: every size)",
    )
    ap.add_argument(
        "--net-val",
        type=int,
        default=0,
        help="validation events of --net-sizes (0: the largest size x 0.2/0.6)",
    )
    ap.add_argument(
        "--data-dir",
        type=Path,
        help="where the --net-sizes files go (default --out; GBs at 1M+ events)",
    )
    ap.add_argument("--out", type=Path, default=Path("results/benchmarks/stream"))
    ap.add_argument("--skip-compare", action="store_true")
    ap.add_argument("--skip-scaling", action="store_true")
    args = ap.parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        print(json.dumps(CHILDREN[spec.pop("kind")](spec)))
        return {}
    if args.net != "hexcnn" and not args.skip_scaling:  # its input and prediction are the grid's
        ap.error("--net other than hexcnn needs --skip-scaling")
    if len(args.net_epochs) not in (1, len(args.net_sizes)):
        ap.error("--net-epochs: one number, or one per --net-sizes")
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    result = {"benchmark": "stream", "threads": args.threads, "net": args.net,
              "load_average_1min": os.getloadavg()[0]}  # fmt: skip
    if not args.skip_compare:
        result["compare"] = compare(args, args.out)
    if not args.skip_scaling:
        result["scaling"] = scaling(args, args.out)
    if args.net_sizes:
        result["net_at_scale"] = net_at_scale(args, args.out)
    result["seconds"] = time.perf_counter() - t0
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
