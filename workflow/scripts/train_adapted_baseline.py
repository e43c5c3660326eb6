"""Rule `train_adapted_baseline`, thin: log to the rule's log, call
iactdl.adapt.importance.fit_importance_baseline."""

from iactdl.adapt.importance import fit_importance_baseline
from iactdl.rule_log import model_job, rule_logging

with rule_logging(snakemake.log[0], "train_adapted_baseline"):
    fit_importance_baseline(
        **model_job(snakemake),
        train=snakemake.input.train,
        val=snakemake.input.val,
        target=snakemake.input.weight_target,
    )
