"""Rule `figure_shift`, thin: log to its log, call iactdl.evaluate.shift_figures."""

from iactdl.evaluate.shift_figures import plot_shift_diagnostics
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_shift"):  # noqa: F821
    plot_shift_diagnostics(
        diagnostics=snakemake.input.diagnostics,  # noqa: F821
        features=snakemake.input.features,  # noqa: F821
        pixels=snakemake.input.pixels,  # noqa: F821
        samples=snakemake.input.samples,  # noqa: F821
        outputs=dict(snakemake.output.items()),  # noqa: F821
    )
