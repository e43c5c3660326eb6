"""The nets' direction head: which parametrisation, and multi-task against one net per task.

On a pipeline's datasets (``{results_dir}/datasets/{train,val,test}.h5``: simulated gammas,
point-like and diffuse, and protons), with the engine of the ``train_net`` rule
(:func:`iactdl.fit.train.train_net`):

1. ``parametrisation``: for each net (an MLP on the image parameters, the time gradient along
   the main axis and the Hillas geometry ``cog_x``, ``cog_y``, ``delta``; DeepSets on the pixel
   set), a direction-only net (task ``direction``, trained on the diffuse gammas) with the
   ``source`` head (the source position in the camera) and with the ``disp`` head (|disp| and its
   sign along the main axis);
2. ``multitask``: for the MLP on the image parameters and the time gradient alone
   (``mlp_image``: the inputs of the config's ``mlp`` and the head-tail hint, no position in the
   camera), one net with three heads (gammaness, log10 energy, direction with the
   ``--direction`` parametrisation, default ``disp``: the position alone cannot be told from
   shape parameters) against three single-task nets (separation, energy, direction), each with
   the same architecture and settings.

Every net is scored on the test split: ROC AUC of the gammaness (all events), the energy
resolution (half-width of the central 68 % of (E_est - E_true) / E_true, all gammas,
:func:`iactdl.metrics.energy.bias_resolution`), and the 68 % containment of theta (deg) on the
point-like and the diffuse gammas (:func:`iactdl.metrics.direction.containment`), with the disp
baseline's (rule ``train_disp``'s model, when ``--disp`` names its folder) and the trivial
predictors' (camera centre, cog) for scale.

Prints one JSON object as its last line (and writes it to ``--out``). Usage::

    python benchmarks/direction_heads.py --datasets results/small/datasets \\
        [--disp results/small/directions/disp] [--epochs 30] [--seeds 1] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from iactdl.fit.train import train_net
from iactdl.io import read_columns
from iactdl.metrics.direction import containment, theta
from iactdl.metrics.energy import bias_resolution
from iactdl.metrics.separation import roc_auc
from iactdl.models.nets import load_net

IMAGE_PARAMETERS = [
    "size", "width", "length", "skewness_long", "kurtosis_long", "concentration_cog",
    "concentration_core", "leakage1", "leakage2", "num_islands", "num_pixel_in_shower",
    "photoncharge_shower_max", "timespread",
]  # fmt: skip
# the head-tail hint of the time gradient along the main axis (the tiny/small disp baseline reads it
# too): without it an MLP on the image parameters told the disp sign right for 59 % of the diffuse
# gammas, the disp forest with it 90 %
HEAD_TAIL = ["time_gradient_slope_long"]
GEOMETRY = ["cog_x", "cog_y", "delta"]
# one thread: on a shared, oversubscribed CPU two spinning threads ran ~10x slower per epoch
THREADS = 1
FIT = {"schedule": "cosine", "batch_size": 128, "lr": 2e-3, "patience": 6}
NETS = {
    "mlp": {
        "net": "mlp", "features": IMAGE_PARAMETERS + HEAD_TAIL + GEOMETRY,
        "settings": {"hidden": [128, 128, 64], "dropout": 0.1},
    },
    "mlp_image": {
        "net": "mlp", "features": IMAGE_PARAMETERS + HEAD_TAIL,
        "settings": {"hidden": [128, 128, 64], "dropout": 0.1},
    },
    "deepsets": {
        "net": "deepsets", "features": [],
        "settings": {"phi": [64, 64], "rho": [64], "pooling": "sum+mean", "time": "relative"},
    },
}  # fmt: skip


def score(model_dir: Path, test: dict) -> dict:
    """AUC, energy resolution and 68 % containment per gamma sample of one trained net."""
    net = load_net(model_dir)
    t0 = time.perf_counter()
    pred = net.predict(test)
    out = {"predict_seconds": time.perf_counter() - t0}
    gamma = test["is_gamma"].astype(bool)
    if "gammaness" in pred:
        out["auc"] = roc_auc(gamma, pred["gammaness"])
    if "energy_pred" in pred:
        out["energy_resolution"] = bias_resolution(
            test["true_energy"][gamma], pred["energy_pred"][gamma]
        )[1]
    if "source_x_pred" in pred:
        out.update(containments(pred["source_x_pred"], pred["source_y_pred"], test))
    return out


def containments(x, y, test: dict) -> dict:
    """68 % containment of theta (deg) on the point-like and the diffuse test gammas."""
    sample = test["sample"].astype(str)
    out = {}
    for name in ("gamma", "gamma_diffuse"):
        rows = sample == name
        th = theta(
            np.broadcast_to(x, rows.shape)[rows], np.broadcast_to(y, rows.shape)[rows],
            test["true_source_x"][rows], test["true_source_y"][rows],
        )  # fmt: skip
        out[f"containment_68_deg_{name}"] = containment(th)
    return out


def train(datasets: Path, entry: dict, seed: int, work: Path, name: str, epochs: int) -> dict:
    entry = {"kind": "net", **FIT, "epochs": epochs, **entry}
    model_dir = work / name
    t0 = time.perf_counter()
    meta = train_net(
        datasets / "train.h5", datasets / "val.h5", entry, seed, model_dir,
        progress=False, name=name, threads=THREADS,
    )  # fmt: skip
    return {
        "entry": {k: v for k, v in entry.items() if k != "features"},
        "train_seconds": time.perf_counter() - t0,
        "epochs_run": meta["metrics"]["epochs_run"],
        "best_epoch": meta["metrics"]["best_epoch"],
        "model_dir": str(model_dir),
    }


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", type=Path, required=True)
    p.add_argument("--disp", type=Path, help="the disp baseline's folder (rule train_disp)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--nets", nargs="+", default=["mlp", "deepsets"])
    p.add_argument("--direction", default="disp", help="the multi-task net's parametrisation")
    p.add_argument("--parts", nargs="+", default=["parametrisation", "multitask"])
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(THREADS)
    test = read_columns(args.datasets / "test.h5", None)
    result = {"benchmark": "direction_heads", "datasets": str(args.datasets), "runs": []}
    result["trivial"] = {
        "camera_centre": containments(0.0, 0.0, test),
        "cog": containments(test["cog_x"], test["cog_y"], test),
    }
    if args.disp:
        from iactdl.models.disp_store import load_disp

        disp = load_disp(args.disp).predict(test)
        result["disp_baseline"] = containments(disp["source_x_pred"], disp["source_y_pred"], test)
    plan = []
    if "parametrisation" in args.parts:
        plan += [
            (f"{net}_{d}", {**NETS[net], "task": "direction", "direction_head": d}, net)
            for net in args.nets
            for d in ("source", "disp")
        ]
    if "multitask" in args.parts:
        mlp, d = NETS["mlp_image"], args.direction
        plan += [
            ("mlp_image_multitask", {**mlp, "task": "separation", "energy_head": True,
                                     "direction_head": d}, "mlp_image"),
            ("mlp_image_separation", {**mlp, "task": "separation"}, "mlp_image"),
            ("mlp_image_energy", {**mlp, "task": "energy"}, "mlp_image"),
            (f"mlp_image_{d}", {**mlp, "task": "direction", "direction_head": d}, "mlp_image"),
        ]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="direction_heads_") as tmp:
        for seed in range(args.seeds):
            for name, entry, net in plan:
                run = train(args.datasets, entry, seed, Path(tmp), f"{name}_s{seed}", args.epochs)
                run.update(name=name, net=net, seed=seed, **score(Path(run["model_dir"]), test))
                del run["model_dir"]
                result["runs"].append(run)
                print(json.dumps(run), flush=True)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
