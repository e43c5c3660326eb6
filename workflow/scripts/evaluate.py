"""Rule `evaluate`, thin: log to the rule's log, call iactdl.evaluate.evaluate_model."""

import logging

from iactdl.evaluate import evaluate_model

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
try:
    evaluate_model(
        model_info=snakemake.input.info,  # noqa: F821
        test=snakemake.input.test,  # noqa: F821
        observed=snakemake.input.get("observed"),  # noqa: F821
        observed_truth=snakemake.input.get("observed_truth"),  # noqa: F821
        output=snakemake.output.metrics,  # noqa: F821
        config=snakemake.params.evaluation,  # noqa: F821
        seed=snakemake.params.seed,  # noqa: F821
    )
except Exception:
    logging.exception("evaluate failed")
    raise
