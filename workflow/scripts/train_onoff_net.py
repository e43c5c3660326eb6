"""Rule `train_onoff_net`, thin: log to the rule's log, call
iactdl.labelnoise.nets.fit_onoff_net."""

from iactdl.fit.train import net_job
from iactdl.labelnoise.nets import fit_onoff_net
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "train_onoff_net"):
    fit_onoff_net(
        **net_job(snakemake),
        signal_leak_path=snakemake.input.get("signal_leak"),  # rho_plus of known alpha
    )
