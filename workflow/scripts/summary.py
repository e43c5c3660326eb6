"""Rule `summary_table`, thin: log to the rule's log, call iactdl.evaluate.write_summary."""

from iactdl.evaluate import write_summary
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "summary_table"):
    write_summary(
        dict(zip(snakemake.params.models, snakemake.input.metrics, strict=True)),
        csv=snakemake.output.csv,
        tex=snakemake.output.tex,
        entries=snakemake.params.entries,
    )
