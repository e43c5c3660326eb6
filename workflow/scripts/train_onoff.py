"""Rule `train_onoff`, thin: log to the rule's log, call
iactdl.labelnoise.baselines.fit_onoff_baseline."""

from iactdl.labelnoise.baselines import fit_onoff_baseline
from iactdl.rule_log import model_job, rule_logging

with rule_logging(snakemake.log[0], "train_onoff"):
    fit_onoff_baseline(
        **model_job(snakemake),
        train=snakemake.input.train,
        signal_leak_path=snakemake.input.get("signal_leak"),  # rho_plus of known alpha
    )
