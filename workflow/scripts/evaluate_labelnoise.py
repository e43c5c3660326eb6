"""Rule `evaluate_labelnoise`, thin: call iactdl.labelnoise.measurement.evaluate_labelnoise."""

from iactdl.labelnoise.measurement import evaluate_labelnoise
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "evaluate_labelnoise"):
    inp = snakemake.input
    evaluate_labelnoise(
        info=inp.info,
        test=inp.test,
        val=inp.val,
        truth=inp.truth,
        output=snakemake.output.measurement,
        oracle_info=inp.get("oracle_info"),
        oracle_test=inp.get("oracle_test"),
        oracle_val=inp.get("oracle_val"),
        n_bootstrap=snakemake.params.evaluation["n_bootstrap"],
        n_bins=snakemake.params.evaluation["calibration_bins"],
        seed=snakemake.params.seed,
    )
