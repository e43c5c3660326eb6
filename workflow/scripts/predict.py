"""Rule `predict`, thin: log to the rule's log, call iactdl.evaluate.predict_file."""

import os
from pathlib import Path

from iactdl.rule_log import rule_logging

# OpenMP threads of histogram boosting sleep instead of spinning when idle: on a shared or
# oversubscribed machine spinning threads make a fit 10-30x slower (measured: 87 s vs 3 s).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from iactdl.evaluate import predict_file

with rule_logging(snakemake.log[0], "predict"):  # noqa: F821
    predict_file(
        model_dir=Path(snakemake.input.info).parent,  # noqa: F821
        dataset=snakemake.input.dataset,  # noqa: F821
        output=snakemake.output.predictions,  # noqa: F821
        chunk_size=snakemake.params.chunk_size,  # noqa: F821
        model_name=snakemake.wildcards.model,  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
    )
