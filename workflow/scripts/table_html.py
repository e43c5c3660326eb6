"""Rules `table_html_*`, thin: a paper table as an HTML page the report shows inline
(iactdl.evaluate.report.write_table_html)."""

from iactdl.evaluate.report import write_table_html
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], snakemake.rule):
    write_table_html(snakemake.input.csv, snakemake.output.html, title=snakemake.params.title)
