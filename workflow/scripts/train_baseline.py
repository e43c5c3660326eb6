"""Rule `train_baseline`, thin: log to the rule's log, call iactdl.models.fit_baseline."""

import os
from pathlib import Path

from iactdl.rule_log import rule_logging

# OpenMP threads of histogram boosting sleep instead of spinning when idle: on a shared or
# oversubscribed machine spinning threads make a fit 10-30x slower (measured: 87 s vs 3 s).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from iactdl.models import fit_baseline

with rule_logging(snakemake.log[0], "train_baseline"):  # noqa: F821
    fit_baseline(
        train=snakemake.input.train,  # noqa: F821
        val=snakemake.input.val,  # noqa: F821
        model_dir=Path(snakemake.output.info).parent,  # noqa: F821
        name=snakemake.wildcards.model,  # noqa: F821
        entry=snakemake.params.entry,  # noqa: F821
        seed=snakemake.params.seed,  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
    )
