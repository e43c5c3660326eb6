"""Rule `figure_angular_resolution`, thin: log to the rule's log, draw
iactdl.evaluate.direction_figures.plot_angular_resolution with FACT's reference."""

import json
from pathlib import Path

from iactdl.evaluate.direction_figures import plot_angular_resolution
from iactdl.evaluate.directions import fact_reference
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_angular_resolution"):
    plot_angular_resolution(
        json.loads(Path(snakemake.input.metrics).read_text()),
        fact_reference(),
        [snakemake.output.pdf, snakemake.output.png],
        labels=snakemake.params.labels,
    )
