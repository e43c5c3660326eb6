"""Rule `train_net`, thin: log and progress bar to the rule's log, call iactdl.fit.train_net."""

import logging
import os
import sys
from pathlib import Path

# OpenMP threads that sleep instead of spinning while they wait: with busy-waiting, torch on 2
# threads runs ~5x slower than on 1 when the cores are shared (measured; see benchmarks/train.py).
# Set before torch is imported; an explicit OMP_WAIT_POLICY in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from iactdl.fit.train import train_net  # noqa: E402

log_file = open(snakemake.log[0], "w")  # noqa: F821, SIM115  (tqdm writes to stderr)
sys.stderr = log_file
logging.basicConfig(
    stream=log_file,
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
logging.captureWarnings(True)
try:
    train_net(
        train_path=snakemake.input.train,  # noqa: F821
        val_path=snakemake.input.val,  # noqa: F821
        entry=snakemake.params.entry,  # noqa: F821
        seed=snakemake.params.seed,  # noqa: F821
        model_dir=Path(snakemake.output.model).parent,  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
        resume_path=snakemake.params.resume,  # noqa: F821
        name=snakemake.wildcards.model,  # noqa: F821
    )
except Exception:
    logging.exception("train_net failed")
    raise
