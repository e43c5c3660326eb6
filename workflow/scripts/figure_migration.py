"""Rule `figure_migration`, thin: log to the rule's log, call one figures function."""

import logging

from iactdl.evaluate.figures import plot_migration

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
try:
    plot_migration(
        dict(zip(snakemake.params.models, snakemake.input.metrics, strict=True)),  # noqa: F821
        [snakemake.output.pdf, snakemake.output.png],  # noqa: F821
    )
except Exception:
    logging.exception("figure_migration failed")
    raise
