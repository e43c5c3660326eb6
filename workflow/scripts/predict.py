"""Rule `predict`, thin: log to the rule's log, call iactdl.evaluate.predict_file."""

from pathlib import Path

from iactdl.evaluate import predict_file
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "predict"):
    predict_file(
        model_dir=Path(snakemake.input.info).parent,
        dataset=snakemake.input.dataset,
        output=snakemake.output.predictions,
        chunk_size=snakemake.params.chunk_size,
        model_name=snakemake.wildcards.model,
        threads=snakemake.threads,
    )
