"""Rule `summary_table`, thin: log to the rule's log, call iactdl.evaluate.write_summary."""

import logging

from iactdl.evaluate import write_summary

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
try:
    write_summary(
        dict(zip(snakemake.params.models, snakemake.input.metrics, strict=True)),  # noqa: F821
        csv=snakemake.output.csv,  # noqa: F821
        tex=snakemake.output.tex,  # noqa: F821
    )
except Exception:
    logging.exception("summary_table failed")
    raise
