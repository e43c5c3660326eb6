"""Rule `figure_learning_curves`, thin: call iactdl.evaluate.figures.plot_learning_curves."""

from pathlib import Path

from iactdl.evaluate.figures import plot_learning_curves
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_learning_curves"):  # noqa: F821
    dirs = [Path(p).parent for p in snakemake.input.info]  # noqa: F821
    plot_learning_curves(
        dict(zip(snakemake.params.models, dirs, strict=True)),  # noqa: F821
        [snakemake.output.pdf, snakemake.output.png],  # noqa: F821
    )
