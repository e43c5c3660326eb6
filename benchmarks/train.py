"""Training throughput of the nets: our engine against the loop a careful user would write.

For every net, on the same toy events (:func:`iactdl.fit.toydata.toy_events`, the dataset's
columns), the same batch size, the same optimiser (Adam) and loss:

- ours: :func:`iactdl.fit.fit` -- data resident on the device as tensors, batches gathered there by
  a permutation, loss read once per epoch; on CUDA bf16 autocast (and ``--compile``);
- reference ("naive"): a ``torch.utils.data.Dataset`` returning one event, ``DataLoader`` with the
  default collation (shuffle, ``num_workers=0``), fp32, each batch copied to the device.

Both time forward + backward + optimiser step over whole epochs after a warm-up; samples/s and
their ratio come from the same run. FLOPs per sample (forward + backward) are counted with
``torch.utils.flop_counter.FlopCounterMode`` on one batch, so achieved FLOP/s = FLOPs/sample x
samples/s. On CUDA the bf16 matmul rate of the GPU is measured in the same run (8192^3 GEMMs) and
the fraction of it is reported, the peak memory of each net (``max_memory_allocated``), and how
busy the GPU is during one epoch of ours: the summed device time of its kernels (torch.profiler)
over the epoch's wall time.

With ``--dann`` every net also trains domain-adversarially (:mod:`iactdl.adapt.dann`: a source batch
plus half as many target events per step, the domain head on the encoder) on the same events, and
``dann_cost`` = plain samples/s / DANN source samples/s is the cost per source sample of DANN
against the same net's plain training in the same run (target: <= 1.6). A DANN step runs the
encoder on 1.5x the events, so ~1.5 is the floor of that ratio for a net whose time is compute;
``dann_overhead`` = the DANN step's time / a plain step's time on a batch of as many events (1.5x
``batch_size``) separates what DANN itself adds (domain head, gradient reversal, the target gather)
from those extra events: 1.0 would be free. The three trainings (plain, plain on the larger batch,
DANN) alternate ``--dann-repeats`` times (default 3) and the medians are compared, because on a
small, shared CPU one run of each varies by +-10 %.

With ``--joint`` every net also trains jointly (:mod:`iactdl.labelnoise.joint`: a simulated batch
plus ``onoff_batch_fraction`` (0.5) as many observed ON/OFF events per step, the Menon-linked
ON/OFF loss beside the simulated cross-entropy), and ``joint_cost`` = plain samples/s / joint
source samples/s (issue 21's target: <= 1.6), alternated and medianed like DANN's; on a shared
CPU, ``joint_cpu_cost`` (the process's CPU time of the joint fit over the plain one's) is the
steadier number.

Prints one JSON object as its last line::

    {"benchmark": "train", "device": "cpu", "samples_per_s": {...}, "reference": "...",
     "reference_samples_per_s": {...}, "ratio": {...}, "nets": {name: {...}}, ...}

Usage: ``python benchmarks/train.py [--nets mlp hexcnn ...] [--n-events 4096] [--epochs 2]
[--device cpu|cuda|all] [--threads 2] [--pixels 128] [--compile]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import iactdl  # noqa: F401  (first: it sets OMP_WAIT_POLICY before torch loads)

# isort: split
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from torch.utils.flop_counter import FlopCounterMode

from iactdl.adapt.dann import DANNObjective, DANNSettings, DomainAdversarialNet
from iactdl.fit import FitSettings, fit
from iactdl.fit.losses import multitask_loss
from iactdl.fit.toydata import TOY_FEATURES, toy_events
from iactdl.labelnoise.joint import JOINT_DEFAULTS, JointNet, JointObjective
from iactdl.models.nets import NETS, build_net, net_class, net_inputs

# default sizes of config.yaml's net entries (what the pipeline trains on the CPU)
SETTINGS = {
    "mlp": {"hidden": [128, 128, 64]},
    "hexcnn": {"channels": [8, 16, 32]},
    "deepsets": {"phi": [64, 64, 64], "rho": [64]},
    "settransformer": {"dim": 32, "heads": 4, "blocks": 1, "inducing_points": 16},
    "pixelmlp": {"hidden": [128, 64]},
}
# GPU-sized variants (--gpu-sizes): what one would train on an H100
GPU_SETTINGS = {
    "mlp": {"hidden": [512, 512, 256]},
    "hexcnn": {"channels": [32, 64, 128], "convs_per_stage": 2, "head_hidden": 128},
    "deepsets": {"phi": [128, 128, 128], "rho": [128]},
    "settransformer": {"dim": 128, "heads": 8, "blocks": 2, "inducing_points": 32},
    "pixelmlp": {"hidden": [512, 256]},
}


class OneEventDataset(Dataset):
    """What a user writes first: one event per ``__getitem__``, as a dict of tensors."""

    def __init__(self, tensors: dict[str, torch.Tensor]):
        self.tensors = tensors
        self.n = len(next(iter(tensors.values())))

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {k: v[i] for k, v in self.tensors.items()}


def naive_epochs(net, tensors, names, batch_size, epochs, device, warmup_steps=3) -> float:
    """Samples/s of the naive loop: DataLoader over one-event items, fp32, copy per batch."""
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loader = DataLoader(OneEventDataset(tensors), batch_size=batch_size, shuffle=True)

    def step(batch):
        batch = {k: v.to(device) for k, v in batch.items()}
        out = net(**{k: batch[k] for k in names})
        loss = torch.nn.functional.binary_cross_entropy_with_logits(out[:, 0], batch["is_gamma"])
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()  # what a user logs every step

    for i, batch in enumerate(loader):  # warm-up (allocator, kernels)
        step(batch)
        if i + 1 >= warmup_steps:
            break
    _sync(device)
    t0, n = time.perf_counter(), 0
    for _ in range(epochs):
        for batch in loader:
            step(batch)
            n += len(batch["is_gamma"])
    _sync(device)
    return n / (time.perf_counter() - t0)


def ours_epochs(net, tensors, batch_size, epochs, device, compile_: bool) -> tuple[float, object]:
    """Samples/s of our engine (training loop only, after one warm-up epoch)."""
    n_val = min(512, len(tensors["is_gamma"]))
    val = {k: v[:n_val] for k, v in tensors.items()}
    s = FitSettings(
        optimizer="adam", lr=1e-3, weight_decay=0.0, schedule="constant", epochs=epochs + 1,
        batch_size=batch_size, grad_clip=0.0, compile=compile_, seed=0,
    )  # fmt: skip
    result = fit(net, tensors, val, s, device=device, progress=False)
    seconds = sum(result.train_seconds[1:])  # epoch 1 is the warm-up (and compile)
    return result.samples_per_epoch * epochs / seconds, result


def dann_epochs(net, tensors, target, batch_size, epochs, device, compile_: bool) -> float:
    """Source samples/s of DANN training in our engine (after one warm-up epoch)."""
    n_val = min(512, len(tensors["is_gamma"]))
    val = {k: v[:n_val] for k, v in tensors.items()}
    s = FitSettings(
        optimizer="adam", lr=1e-3, weight_decay=0.0, schedule="constant", epochs=epochs + 1,
        batch_size=batch_size, grad_clip=0.0, compile=compile_, seed=0,
    )  # fmt: skip
    objective = DANNObjective(target, DANNSettings(lambda_max=0.3), batch_size, multitask_loss)
    model = DomainAdversarialNet(net)
    result = fit(model, tensors, val, s, device=device, progress=False, objective=objective)
    return result.samples_per_epoch * epochs / sum(result.train_seconds[1:])


def dann_row(args, kind, fresh, tensors, device) -> dict:
    """DANN's cost per source sample and its overhead beyond the extra target events (module doc):
    plain, plain on a batch of (1 + target_batch_fraction) x batch_size and DANN training,
    alternated ``args.dann_repeats`` times on fresh nets; medians of each."""
    target = net_inputs(toy_events(args.n_events, seed=1, max_pixels=args.pixels), kind,
                        TOY_FEATURES)  # fmt: skip
    big = round(args.batch_size * (1 + DANNSettings().target_batch_fraction))
    plain, plain_big, dann = [], [], []
    for _ in range(args.dann_repeats):
        plain.append(ours_epochs(fresh(), tensors, args.batch_size, args.epochs, device,
                                 args.compile)[0])  # fmt: skip
        plain_big.append(ours_epochs(fresh(), tensors, big, args.epochs, device, args.compile)[0])
        dann.append(dann_epochs(fresh(), tensors, target, args.batch_size, args.epochs, device,
                                args.compile))  # fmt: skip
    each = [p / d for p, d in zip(plain, dann, strict=True)]  # the cost of each repeat
    plain, plain_big, dann = (float(np.median(v)) for v in (plain, plain_big, dann))
    return {
        "dann_samples_per_s": dann,
        "dann_cost": plain / dann,
        "dann_cost_range": [min(each), max(each)],
        # a DANN step's time / a plain step's time on as many events: (B / dann) / (big / plain_big)
        "dann_overhead": plain_big * args.batch_size / (dann * big),
    }


def joint_epochs(net, tensors, observed, batch_size, epochs, device, compile_: bool) -> float:
    """Simulated samples/s of joint training in our engine (after one warm-up epoch)."""
    n_val = min(512, len(tensors["is_gamma"]))
    val = {k: v[:n_val] for k, v in tensors.items()}
    s = FitSettings(
        optimizer="adam", lr=1e-3, weight_decay=0.0, schedule="constant", epochs=epochs + 1,
        batch_size=batch_size, grad_clip=0.0, compile=compile_, seed=0,
    )  # fmt: skip
    objective = JointObjective(
        observed, net.input_names, JOINT_DEFAULTS["weight"], batch_size,
        JOINT_DEFAULTS["onoff_batch_fraction"], multitask_loss,
    )  # fmt: skip
    model = JointNet(net, rho_minus=0.2 / 1.2)
    model.input_names = net.input_names  # validation on simulated events alone here
    result = fit(model, tensors, val, s, device=device, progress=False, objective=objective)
    return result.samples_per_epoch * epochs / sum(result.train_seconds[1:])


def joint_row(args, kind, fresh, tensors, device) -> dict:
    """The joint step's cost per simulated sample against plain training, alternated
    ``args.dann_repeats`` times on fresh nets; medians."""
    other = toy_events(args.n_events, seed=2, max_pixels=args.pixels)
    observed = net_inputs(other, kind, TOY_FEATURES)
    # ON/OFF labels with alpha = 1/5: gammas ON, hadrons ON one time in six
    rng = np.random.default_rng(3)
    on = other["is_gamma"] | (rng.integers(0, 6, len(other["is_gamma"])) == 0)
    observed["is_gamma"] = torch.from_numpy(on.astype(np.float32))
    plain, joint, cpu = [], [], []
    for _ in range(args.dann_repeats):
        c0 = time.process_time()
        plain.append(ours_epochs(fresh(), tensors, args.batch_size, args.epochs, device,
                                 args.compile)[0])  # fmt: skip
        c1 = time.process_time()
        joint.append(joint_epochs(fresh(), tensors, observed, args.batch_size, args.epochs,
                                  device, args.compile))  # fmt: skip
        cpu.append((time.process_time() - c1) / (c1 - c0))
    each = [p / j for p, j in zip(plain, joint, strict=True)]
    plain_m, joint_m = float(np.median(plain)), float(np.median(joint))
    return {
        "joint_samples_per_s": joint_m,
        "joint_cost": plain_m / joint_m,
        "joint_cost_range": [min(each), max(each)],
        # the CPU time this process spent on the whole joint fit / on the plain one (the same
        # epochs and validation): on a shared machine, time spent waiting for a core is not in it
        "joint_cpu_cost": float(np.median(cpu)),
        "joint_cpu_cost_range": [min(cpu), max(cpu)],
    }


def flops_per_sample(net, tensors, names, batch_size, device) -> float:
    batch = {k: v[:batch_size].to(device) for k, v in tensors.items()}
    with FlopCounterMode(display=False) as counter:
        out = net(**{k: batch[k] for k in names})
        torch.nn.functional.binary_cross_entropy_with_logits(
            out[:, 0], batch["is_gamma"]
        ).backward()
    net.zero_grad(set_to_none=True)
    return counter.get_total_flops() / batch_size


def bf16_matmul_rate(device, n=8192, repeats=20) -> float:
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(repeats):
        a @ b
    _sync(device)
    return 2 * n**3 * repeats / (time.perf_counter() - t0)


def gpu_busy_fraction(net, tensors, batch_size, device) -> float:
    """Summed CUDA kernel time / wall time of one epoch of our engine (torch.profiler)."""
    from torch.profiler import ProfilerActivity, profile

    s = FitSettings(optimizer="adam", schedule="constant", epochs=1, batch_size=batch_size, seed=1)
    val = {k: v[:256] for k, v in tensors.items()}
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        result = fit(net, tensors, val, s, device=device, progress=False)
    kernel_us = sum(e.self_device_time_total for e in prof.key_averages())
    return kernel_us / 1e6 / result.train_seconds[0]


def _sync(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def run_device(args, device: str, events: dict) -> dict:
    out = {}
    peak = bf16_matmul_rate(device) if device == "cuda" else None  # null in the JSON on the CPU
    sizes = GPU_SETTINGS if args.gpu_sizes else SETTINGS
    for name in args.nets:
        kind = NETS[name].input_kind
        tensors = net_inputs(events, kind, TOY_FEATURES)
        tensors["is_gamma"] = torch.from_numpy(events["is_gamma"].astype(np.float32))
        tensors["log10_energy"] = torch.from_numpy(np.log10(events["true_energy"]).astype("f4"))
        tensors["energy_weight"] = tensors["is_gamma"].clone()
        names = net_class(name).input_names

        def fresh(name=name, tensors=tensors, names=names):
            torch.manual_seed(0)
            net = build_net(name, sizes[name], n_features=len(TOY_FEATURES))
            net.fit_scaling(**{k: tensors[k] for k in names})
            return net.to(device)

        net = fresh()
        fps = flops_per_sample(net, tensors, names, args.batch_size, device)
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        ours, _ = ours_epochs(net, tensors, args.batch_size, args.epochs, device, args.compile)
        row = {"samples_per_s": ours}
        if device == "cuda":
            row["peak_memory_mb"] = torch.cuda.max_memory_allocated() / 2**20
        net = fresh().train()
        naive = naive_epochs(net, tensors, names, args.batch_size, args.epochs, device)
        row.update(
            reference_samples_per_s=naive,
            ratio=ours / naive,
            flops_per_sample=fps,
            achieved_flops_per_s=fps * ours,
            reference_flops_per_s=fps * naive,
            parameters=sum(p.numel() for p in net.parameters()),
        )
        if args.dann:
            row.update(dann_row(args, kind, fresh, tensors, device))
        if args.joint:
            row.update(joint_row(args, kind, fresh, tensors, device))
        if device == "cuda":
            row["fraction_of_bf16_peak"] = fps * ours / peak
            row["gpu_busy_fraction"] = gpu_busy_fraction(fresh(), tensors, args.batch_size, device)
        out[name] = row
        print(name, device, {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()})
    return {"nets": out, "bf16_matmul_flops_per_s": peak}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nets", nargs="+", default=sorted(NETS), choices=sorted(NETS))
    ap.add_argument("--n-events", type=int, default=4096, help="training events (toy)")
    ap.add_argument("--epochs", type=int, default=2, help="timed epochs per side (after warm-up)")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--pixels", type=int, default=128, help="pixel-set size P (config default)")
    ap.add_argument("--device", default="all", choices=["cpu", "cuda", "all"])
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    ap.add_argument("--compile", action="store_true", help="torch.compile our nets (CUDA only)")
    ap.add_argument("--gpu-sizes", action="store_true", help="wider nets (GPU_SETTINGS)")
    ap.add_argument("--dann", action="store_true", help="also DANN training: cost per sample")
    ap.add_argument("--dann-repeats", type=int, default=3, help="alternations (medians taken)")
    ap.add_argument("--joint", action="store_true", help="also joint training: cost per sample")
    args = ap.parse_args(argv)
    if args.dann_repeats < 1:
        ap.error(f"--dann-repeats must be >= 1, got {args.dann_repeats}")
    torch.set_num_threads(args.threads)
    events = toy_events(args.n_events, seed=0, max_pixels=args.pixels)
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    devices = [d for d in devices if d == "cpu" or torch.cuda.is_available()]
    t0 = time.perf_counter()
    result = {
        "benchmark": "train",
        "reference": "naive loop: Dataset of one event + default DataLoader collation, fp32",
        "n_events": args.n_events,
        "batch_size": args.batch_size,
        "pixels": args.pixels,
        "epochs": args.epochs,
        "threads": args.threads,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "load_average_1min": os.getloadavg()[0],
        "torch": torch.__version__,
        "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "compile": args.compile,
        "sizes": "gpu" if args.gpu_sizes else "cpu (config.yaml defaults)",
    }
    for device in devices:
        res = run_device(args, device, events)
        result[device] = res
    main_dev = devices[-1]
    nets = result[main_dev]["nets"]
    result["device"] = main_dev
    result["samples_per_s"] = {k: v["samples_per_s"] for k, v in nets.items()}
    result["reference_samples_per_s"] = {k: v["reference_samples_per_s"] for k, v in nets.items()}
    result["ratio"] = {k: v["ratio"] for k, v in nets.items()}
    if args.dann:
        result["dann_samples_per_s"] = {k: v["dann_samples_per_s"] for k, v in nets.items()}
        result["dann_cost"] = {k: v["dann_cost"] for k, v in nets.items()}
        result["dann_overhead"] = {k: v["dann_overhead"] for k, v in nets.items()}
    if args.joint:
        result["joint_samples_per_s"] = {k: v["joint_samples_per_s"] for k, v in nets.items()}
        result["joint_cost"] = {k: v["joint_cost"] for k, v in nets.items()}
        result["joint_cpu_cost"] = {k: v["joint_cpu_cost"] for k, v in nets.items()}
        result["joint_cost_max"] = 1.6  # issue 21: per simulated sample, against a plain step
    result["seconds"] = time.perf_counter() - t0
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
