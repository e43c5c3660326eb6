"""Rule `evaluate`, thin: log to the rule's log, call iactdl.evaluate.evaluate_model."""

from iactdl.evaluate import evaluate_model
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "evaluate"):  # noqa: F821
    evaluate_model(
        model_info=snakemake.input.info,  # noqa: F821
        test=snakemake.input.test,  # noqa: F821
        observed=snakemake.input.get("observed"),  # noqa: F821
        observed_truth=snakemake.input.get("observed_truth"),  # noqa: F821
        output=snakemake.output.metrics,  # noqa: F821
        config=snakemake.params.evaluation,  # noqa: F821
        seed=snakemake.params.seed,  # noqa: F821
    )
