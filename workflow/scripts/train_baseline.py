"""Rule `train_baseline`, thin: log to the rule's log, call iactdl.models.fit_baseline."""

from pathlib import Path

from iactdl.models import fit_baseline
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "train_baseline"):
    fit_baseline(
        train=snakemake.input.train,
        val=snakemake.input.val,
        model_dir=Path(snakemake.output.info).parent,
        name=snakemake.wildcards.model,
        entry=snakemake.params.entry,
        seed=snakemake.params.seed,
        threads=snakemake.threads,
    )
