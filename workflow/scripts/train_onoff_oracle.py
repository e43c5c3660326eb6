"""Rule `train_onoff_oracle` (reference only), thin: call
iactdl.labelnoise.baselines.fit_onoff_oracle."""

from iactdl.labelnoise.baselines import fit_onoff_oracle
from iactdl.rule_log import model_job, rule_logging

with rule_logging(snakemake.log[0], "train_onoff_oracle"):
    fit_onoff_oracle(
        **model_job(snakemake), train=snakemake.input.train, truth=snakemake.input.truth
    )
