"""Rule `figure_theta2`, thin: log to the rule's log, draw one model's theta^2 plot
(iactdl.evaluate.theta2_figures.plot_theta2) from its theta^2 analysis, titled with the model's
readable name (params.label), not its config key."""

import json
from pathlib import Path

import numpy as np
from iactdl.evaluate.theta2_figures import plot_theta2
from iactdl.rule_log import rule_logging

with rule_logging(snakemake.log[0], "figure_theta2"):
    analysis = json.loads(Path(snakemake.input.analysis).read_text())
    hist = {
        k: np.asarray(v) if isinstance(v, list) else v for k, v in analysis["histograms"].items()
    }
    plot_theta2(
        hist,
        analysis["counts"],
        [snakemake.output.pdf, snakemake.output.png],
        # two lines: a name with commas ("boosted trees, simulated + ON/OFF labels") and the
        # data set on one read as one list, and reached the column's edge
        title=f"{snakemake.params.label}\non observed_test",
    )
