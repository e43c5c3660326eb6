"""Rule `figure_shift`, thin: log to its log, call iactdl.adapt.shift.figures."""

from iactdl.adapt.shift.figures import plot_shift_diagnostics
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_shift"):
    plot_shift_diagnostics(
        diagnostics=snakemake.input.diagnostics,
        features=snakemake.input.features,
        pixels=snakemake.input.pixels,
        samples=snakemake.input.samples,
        outputs=dict(snakemake.output.items()),
        quantifier=snakemake.params.quantifier,
    )
