"""Rules simulate / simulate_observed: one sample of the built-in air-shower simulator."""

from iactdl.rule_log import rule_logging
from iactdl.simulate import simulate_sample

sample = snakemake.params.sample
simulation = dict(snakemake.params.simulation)
with rule_logging(snakemake.log[0], "simulate"):
    simulate_sample(
        sample=sample,
        n_events=None if sample == "observed" else int(simulation["n_events"][sample]),
        config=simulation,
        seed=int(snakemake.params.seed),
        out_path=snakemake.output.events,
        truth_path=snakemake.output.get("truth"),
    )
