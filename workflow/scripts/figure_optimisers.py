"""Rule `figure_optimisers`, thin: log to the rule's log, draw the optimiser figure and table."""

from iactdl.experiments.figures import plot_optimisers
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_optimisers"):
    out = snakemake.output
    plot_optimisers(
        snakemake.input.runs,
        [out.pdf, out.png],
        table_csv=out.csv,
        table_tex=out.tex,
    )
