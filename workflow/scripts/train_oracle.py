"""Rule `train_oracle`, thin: the target oracle (observed truth; a reference ceiling only)."""

from iactdl.fit.adapt import train_oracle_net
from iactdl.fit.train import net_job
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "train_oracle"):
    train_oracle_net(**net_job(snakemake), truth_path=snakemake.input.truth, progress=False)
