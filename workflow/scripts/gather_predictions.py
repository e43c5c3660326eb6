"""Rule `gather_predictions`, thin: log to the rule's log, call
iactdl.evaluate.predictions.gather_predictions."""

from iactdl.evaluate.predictions import gather_predictions
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "gather_predictions"):
    gather_predictions(
        parts=snakemake.input.parts,
        output=snakemake.output.predictions,
        chunk_size=snakemake.params.chunk_size,
    )
