"""Rules `predict` and `predict_part`, thin: log to the rule's log, call
iactdl.evaluate.predict_file (predict_part: on its part's rows, counted now from the dataset)."""

from pathlib import Path

from iactdl.evaluate import predict_file
from iactdl.evaluate.predictions import part_rows
from iactdl.io import n_events
from iactdl.rule_log import rule_logging

part = getattr(snakemake.wildcards, "part", None)  # rule predict_part
with rule_logging(snakemake.log[0], "predict" if part is None else "predict_part"):
    rows = None
    if part is not None:
        n = n_events(snakemake.input.dataset)
        rows = part_rows(n, int(part), snakemake.params.parts)
    predict_file(
        model_dir=Path(snakemake.input.info).parent,
        dataset=snakemake.input.dataset,
        output=snakemake.output.predictions,
        chunk_size=snakemake.params.chunk_size,
        model_name=snakemake.wildcards.model,
        threads=snakemake.threads,
        rows=rows,
    )
