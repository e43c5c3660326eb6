"""Rule `train_disp`, thin: log to the rule's log, call iactdl.models.disp_store.train_disp."""

from pathlib import Path

from iactdl.models.disp_store import train_disp
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "train_disp"):
    train_disp(
        snakemake.input.train,
        Path(snakemake.output.info).parent,
        dict(snakemake.params.disp),
        seed=int(snakemake.params.seed),
        threads=int(snakemake.threads),
    )
