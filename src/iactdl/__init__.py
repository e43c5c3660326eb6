"""iactdl: deep learning on IACT (FACT) events, as a reproducible Snakemake pipeline.

Sub-packages by concept: :mod:`iactdl.camera` (geometry), :mod:`iactdl.simulate` (toy air
showers), :mod:`iactdl.io` (HDF5 in the FACT DL2 layout), :mod:`iactdl.features` (cleaning, Hillas,
grid images, pixel sets), :mod:`iactdl.models` (baselines and nets), :mod:`iactdl.fit` (the training
engine), :mod:`iactdl.metrics` (separation and energy metrics), :mod:`iactdl.evaluate` (evaluation
and figures).
"""

import os

__version__ = "0.1.0"

# OpenMP threads (torch, scikit-learn's histogram boosting) that spin while they wait make fits
# 5-30x slower when the cores are shared (measured: 87 s vs 3 s for a boosting fit; see
# benchmarks/train.py); passive waiting costs nothing on idle cores. OpenMP reads this when it
# loads, so it is set here, the first thing any rule script, test or benchmark imports, before
# torch or scikit-learn; Snakemake's jobs inherit it from the workflow, which imports iactdl too.
# An explicit OMP_WAIT_POLICY in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
