"""Rule `extract`, thin: log to the rule's log, call iactdl.extract.extract_events."""

import logging

from iactdl.extract import extract_events

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
try:
    extract_events(
        source=snakemake.params.source,  # noqa: F821
        in_path=snakemake.input.events,  # noqa: F821
        out_path=snakemake.output.events,  # noqa: F821
        config_section=snakemake.params.extract,  # noqa: F821
        fact_section=snakemake.params.fact,  # noqa: F821
        sample=snakemake.wildcards.sample,  # noqa: F821
    )
except Exception:
    logging.exception("extract failed")
    raise
