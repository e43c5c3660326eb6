"""Rule `train_onoff`, thin: log to the rule's log, call iactdl.fit.onoff.fit_onoff_baseline."""

from pathlib import Path

from iactdl.fit.onoff import fit_onoff_baseline
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "train_onoff"):
    fit_onoff_baseline(
        train=snakemake.input.train,
        model_dir=Path(snakemake.output.info).parent,
        name=snakemake.wildcards.model,
        entry=snakemake.params.entry,
        seed=snakemake.params.seed,
        threads=snakemake.threads,
    )
