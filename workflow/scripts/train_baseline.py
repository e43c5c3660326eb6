"""Rule `train_baseline`, thin: log to the rule's log, call iactdl.models.fit_baseline."""

from iactdl.models import fit_baseline
from iactdl.rule_log import model_job, rule_logging

with rule_logging(snakemake.log[0], "train_baseline"):
    fit_baseline(**model_job(snakemake), train=snakemake.input.train, val=snakemake.input.val)
