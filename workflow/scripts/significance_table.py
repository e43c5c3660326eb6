"""Rule `significance_table`, thin: log to the rule's log, tabulate every model's theta^2
analysis (iactdl.evaluate.significance_table.significance_table)."""

from iactdl.evaluate.significance_table import significance_table
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "significance_table"):
    significance_table(
        dict(zip(snakemake.params.models, snakemake.input.analyses, strict=True)),
        dict(snakemake.params.entries),
        snakemake.output.csv,
        snakemake.output.tex,
    )
