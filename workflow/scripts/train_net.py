"""Rule `train_net`, thin: log and progress lines to the rule's log, call iactdl.fit.train_net."""

from iactdl.fit.train import net_job, train_net
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "train_net"):  # progress lines with totals, no bar
    train_net(**net_job(snakemake))
