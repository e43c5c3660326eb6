"""Rule `train_joint_net`, thin: log to the rule's log, call
iactdl.labelnoise.joint.train_joint_net."""

from iactdl.fit.train import net_job
from iactdl.labelnoise.joint import train_joint_net
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "train_joint_net"):
    train_joint_net(
        **net_job(snakemake),
        target_path=snakemake.input.target,
        target_val_path=snakemake.input.target_val,
        signal_leak_path=snakemake.input.get("signal_leak"),  # rho_plus of the ON/OFF term
    )
