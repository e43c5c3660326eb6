"""Rule `train_adapted`, thin: log to the rule's log, call iactdl.fit.adapt.train_adapted_net."""

import os
from pathlib import Path

from iactdl.rule_log import rule_logging

# OpenMP threads that sleep instead of spinning while they wait (see train_net.py)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from iactdl.fit.adapt import train_adapted_net

with rule_logging(snakemake.log[0], "train_adapted"):  # noqa: F821
    train_adapted_net(
        train_path=snakemake.input.train,  # noqa: F821
        val_path=snakemake.input.val,  # noqa: F821
        target_path=snakemake.input.target,  # noqa: F821
        weight_target_path=snakemake.input.weight_target,  # noqa: F821
        diagnostics_path=snakemake.input.get("diagnostics"),  # noqa: F821
        entry=snakemake.params.entry,  # noqa: F821
        seed=snakemake.params.seed,  # noqa: F821
        model_dir=Path(snakemake.output.model).parent,  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
        resume_path=snakemake.params.resume,  # noqa: F821
        name=snakemake.wildcards.model,  # noqa: F821
        progress=False,
    )
