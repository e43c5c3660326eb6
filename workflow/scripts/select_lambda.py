"""Rule `select_lambda`, thin: the candidates' observed_val predictions -> the chosen lambda_max."""

from iactdl.adapt.lambda_selection import select_lambda
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "select_lambda"):
    select_lambda(
        candidates=snakemake.params.candidates,
        predictions=snakemake.input.predictions,
        output=snakemake.output.json,
        n_bootstrap=snakemake.params.n_bootstrap,
        seed=snakemake.params.seed,
    )
