"""Rule `evaluate_shift`, thin: log to the rule's log, call iactdl.evaluate.evaluate_shift."""

from iactdl.evaluate.shift import evaluate_shift
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "evaluate_shift"):  # noqa: F821
    evaluate_shift(
        diagnostics=snakemake.input.diagnostics,  # noqa: F821
        observed=snakemake.input.observed,  # noqa: F821
        observed_truth=snakemake.input.observed_truth,  # noqa: F821
        output=snakemake.output.evaluation,  # noqa: F821
    )
