"""Rule `inductive_bias_point`, thin: log to the rule's log, train one (model, training events,
seed) point of the inductive-bias sweep and score it on the test split."""

from iactdl.experiments.inductive_bias import inductive_bias_point
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "inductive_bias_point"):
    inductive_bias_point(
        entry=snakemake.params.entry,
        seed=snakemake.params.seed,
        train_path=snakemake.input.train,
        val_path=snakemake.input.val,
        test_path=snakemake.input.test,
        output=snakemake.output.point,
        threads=snakemake.threads,
        gpus=snakemake.resources.gpu,  # the job's GPUs decide the device
        **snakemake.params.sizes,
    )
