"""Rule `labelnoise_comparison`, thin: call iactdl.labelnoise.comparison.build_comparison."""

from iactdl.labelnoise.comparison import build_comparison
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "labelnoise_comparison"):
    build_comparison(
        models=snakemake.params.models,
        entries=snakemake.params.entries,
        metrics=snakemake.input.metrics,
        infos=snakemake.input.infos,
        measurements=snakemake.input.measurements,
        predictions=dict(zip(snakemake.params.scored, snakemake.input.predictions, strict=True)),
        truth=snakemake.input.truth,
        train=snakemake.input.train,
        csv=snakemake.output.csv,
        tex=snakemake.output.tex,
        pdf=snakemake.output.pdf,
        png=snakemake.output.png,
        n_bootstrap=snakemake.params.n_bootstrap,
        seed=snakemake.params.seed,
        analyses=snakemake.input.analyses,
        observed_test=snakemake.input.observed_test,
        observed_val=snakemake.input.observed_val,
        oracle_val=dict(zip(snakemake.params.oracles, snakemake.input.oracle_val, strict=True)),
    )
