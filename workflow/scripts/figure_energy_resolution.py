"""Rule `figure_energy_resolution`, thin: log to the rule's log, call one figures function."""

import logging

from iactdl.evaluate.figures import plot_energy_resolution

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
try:
    plot_energy_resolution(
        dict(zip(snakemake.params.models, snakemake.input.metrics, strict=True)),  # noqa: F821
        [snakemake.output.pdf, snakemake.output.png],  # noqa: F821
    )
except Exception:
    logging.exception("figure_energy_resolution failed")
    raise
