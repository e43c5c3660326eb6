"""Rule `evaluate`, thin: log to the rule's log, call iactdl.evaluate.evaluate_model."""

from iactdl.evaluate import evaluate_model
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "evaluate"):
    evaluate_model(
        model_info=snakemake.input.info,
        test=snakemake.input.test,
        observed=snakemake.input.get("observed"),
        observed_truth=snakemake.input.get("observed_truth"),
        output=snakemake.output.metrics,
        config=snakemake.params.evaluation,
        seed=snakemake.params.seed,
    )
