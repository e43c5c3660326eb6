"""Rule `figure_learning_curves`, thin: call iactdl.evaluate.figures.plot_learning_curves."""

import logging
from pathlib import Path

from iactdl.evaluate.figures import plot_learning_curves

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
try:
    dirs = [Path(p).parent for p in snakemake.input.info]  # noqa: F821
    plot_learning_curves(
        dict(zip(snakemake.params.models, dirs, strict=True)),  # noqa: F821
        [snakemake.output.pdf, snakemake.output.png],  # noqa: F821
    )
except Exception:
    logging.exception("figure_learning_curves failed")
    raise
