"""Rule `inductive_bias_point`, thin: log to the rule's log, train one (model, training events,
seed) point of the inductive-bias sweep and score it on the test split."""

from iactdl.experiments.inductive_bias import inductive_bias_point
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "inductive_bias_point"):  # noqa: F821
    inductive_bias_point(
        entry=snakemake.params.entry,  # noqa: F821
        seed=snakemake.params.seed,  # noqa: F821
        train_path=snakemake.input.train,  # noqa: F821
        val_path=snakemake.input.val,  # noqa: F821
        test_path=snakemake.input.test,  # noqa: F821
        output=snakemake.output.point,  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
        gpus=snakemake.resources.gpu,  # noqa: F821  the job's GPUs decide the device
        **snakemake.params.sizes,  # noqa: F821
    )
