"""Rule `observed_dataset`, thin: log to the rule's log, call iactdl.features.observed_dataset."""

import logging

from iactdl.features import observed_dataset

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
section = dict(snakemake.params.datasets)  # noqa: F821
try:
    observed_dataset(
        in_path=snakemake.input.features,  # noqa: F821
        out_path=snakemake.output.observed,  # noqa: F821
        chunk_size=section.get("chunk_size", 4096),
        config=section,
        quality_cuts=section.get("quality_cuts"),
    )
except Exception:
    logging.exception("observed_dataset failed")
    raise
