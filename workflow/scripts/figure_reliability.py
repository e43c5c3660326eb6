"""Rule `figure_reliability`, thin: call iactdl.labelnoise.comparison.plot_reliability."""

import json
from pathlib import Path

from iactdl.labelnoise.comparison import plot_reliability
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_reliability"):
    plot_reliability(
        json.loads(Path(snakemake.input.measurement).read_text()),
        pdf=snakemake.output.pdf,
        png=snakemake.output.png,
        label=snakemake.params.label,
    )
