"""Rule `figure_roc`, thin: log to the rule's log, call one iactdl.evaluate.figures function."""

import logging

from iactdl.evaluate.figures import plot_roc_curves

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
try:
    plot_roc_curves(
        dict(zip(snakemake.params.models, snakemake.input.predictions, strict=True)),  # noqa: F821
        [snakemake.output.pdf, snakemake.output.png],  # noqa: F821
    )
except Exception:
    logging.exception("figure_roc failed")
    raise
