"""Rule `predict`, thin: log to the rule's log, call iactdl.evaluate.predict_file."""

import logging
import os
from pathlib import Path

# OpenMP threads of histogram boosting sleep instead of spinning when idle: on a shared or
# oversubscribed machine spinning threads make a fit 10-30x slower (measured: 87 s vs 3 s).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from iactdl.evaluate import predict_file

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
try:
    predict_file(
        model_dir=Path(snakemake.input.info).parent,  # noqa: F821
        dataset=snakemake.input.dataset,  # noqa: F821
        output=snakemake.output.predictions,  # noqa: F821
        chunk_size=snakemake.params.chunk_size,  # noqa: F821
        model_name=snakemake.wildcards.model,  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
    )
except Exception:
    logging.exception("predict failed")
    raise
