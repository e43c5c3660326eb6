"""Rule `train_joint`, thin: log to the rule's log, call
iactdl.labelnoise.joint.fit_joint_baseline."""

from iactdl.labelnoise.joint import fit_joint_baseline
from iactdl.rule_log import model_job, rule_logging

with rule_logging(snakemake.log[0], "train_joint"):
    fit_joint_baseline(
        **model_job(snakemake),
        train=snakemake.input.train,
        observed=snakemake.input.observed,
        signal_leak_path=snakemake.input.get("signal_leak"),  # rho_plus of known alpha
    )
