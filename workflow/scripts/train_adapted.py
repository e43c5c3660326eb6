"""Rule `train_adapted`, thin: log to the rule's log, call iactdl.adapt.nets.train_adapted_net."""

from iactdl.adapt.nets import train_adapted_net
from iactdl.fit.train import net_job
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "train_adapted"):
    train_adapted_net(
        **net_job(snakemake),
        target_path=snakemake.input.target,
        weight_target_path=snakemake.input.weight_target,
        diagnostics_path=snakemake.input.get("diagnostics"),
        target_val_path=snakemake.input.get("target_val"),  # dann, iwdann: the domain AUC probe
    )
