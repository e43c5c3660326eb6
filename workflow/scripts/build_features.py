"""Rule `build_features`, thin: log to the rule's log, call iactdl.features.build_features."""

import logging

from iactdl.features import build_features

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
try:
    build_features(
        in_path=snakemake.input.events,  # noqa: F821
        out_path=snakemake.output.features,  # noqa: F821
        config=snakemake.params.features,  # noqa: F821
    )
except Exception:
    logging.exception("build_features failed")
    raise
