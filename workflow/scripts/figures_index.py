"""Rule `figures_index`, thin: log to the rule's log, write results/paper/figures.md."""

from iactdl.evaluate.report import write_figure_index
from iactdl.io.jsonfile import read_json
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figures_index"):
    write_figure_index(
        snakemake.params.notes,
        snakemake.output.index,
        snakemake.params.figures_dir,
        numbers=read_json(snakemake.input.numbers),
    )
