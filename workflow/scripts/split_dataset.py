"""Rule `split_dataset`, thin: log to the rule's log, call iactdl.features.split_dataset."""

import logging

from iactdl.features import split_dataset

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
section = dict(snakemake.params.datasets)  # noqa: F821
try:
    split_dataset(
        inputs={name: snakemake.input[name] for name in snakemake.input.keys()},  # noqa: F821
        outputs={name: snakemake.output[name] for name in ("train", "val", "test")},  # noqa: F821
        fractions=section.get("fractions"),
        seed=snakemake.params.seed,  # noqa: F821
        chunk_size=section.get("chunk_size", 4096),
        config=section,
        quality_cuts=section.get("quality_cuts"),
    )
except Exception:
    logging.exception("split_dataset failed")
    raise
