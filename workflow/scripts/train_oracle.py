"""Rules `train_oracle` (the adaptation study's target oracle) and `train_onoff_oracle_net` (an
ON/OFF net's oracle), thin: the net on the observed truth; a reference ceiling only."""

from iactdl.fit.oracle import train_oracle_net
from iactdl.fit.train import net_job
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], snakemake.rule):
    train_oracle_net(**net_job(snakemake), truth_path=snakemake.input.truth)
