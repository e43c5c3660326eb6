"""Rule `evaluate_shift`, thin: log to the rule's log, call iactdl.evaluate.evaluate_shift."""

from iactdl.adapt.shift.evaluation import evaluate_shift
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "evaluate_shift"):
    evaluate_shift(
        diagnostics=snakemake.input.diagnostics,
        observed=snakemake.input.observed,
        observed_truth=snakemake.input.observed_truth,
        output=snakemake.output.evaluation,
    )
