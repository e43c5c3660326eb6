"""Rule `train_onoff_oracle` (reference only), thin: call iactdl.fit.onoff.fit_onoff_oracle."""

from pathlib import Path

from iactdl.fit.onoff import fit_onoff_oracle
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "train_onoff_oracle"):
    fit_onoff_oracle(
        train=snakemake.input.train,
        truth=snakemake.input.truth,
        model_dir=Path(snakemake.output.info).parent,
        name=snakemake.wildcards.model,
        entry=snakemake.params.entry,
        seed=snakemake.params.seed,
        threads=snakemake.threads,
    )
