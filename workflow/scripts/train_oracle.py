"""Rule `train_oracle`, thin: the target oracle (observed truth; a reference ceiling only)."""

import os
from pathlib import Path

from iactdl.rule_log import rule_logging

# OpenMP threads that sleep instead of spinning while they wait (see train_net.py)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from iactdl.fit.adapt import train_oracle_net

with rule_logging(snakemake.log[0], "train_oracle"):  # noqa: F821
    train_oracle_net(
        train_path=snakemake.input.train,  # noqa: F821
        val_path=snakemake.input.val,  # noqa: F821
        truth_path=snakemake.input.truth,  # noqa: F821
        entry=snakemake.params.entry,  # noqa: F821
        seed=snakemake.params.seed,  # noqa: F821
        model_dir=Path(snakemake.output.model).parent,  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
        resume_path=snakemake.params.resume,  # noqa: F821
        name=snakemake.wildcards.model,  # noqa: F821
        progress=False,
    )
