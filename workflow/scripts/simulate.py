"""Rules simulate / simulate_observed: one sample of the built-in air-shower simulator."""

import logging

from iactdl.simulate import simulate_sample

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
sample = snakemake.params.sample  # noqa: F821
simulation = dict(snakemake.params.simulation)  # noqa: F821
simulate_sample(
    sample=sample,
    n_events=int(simulation["n_events"][sample]),
    config=simulation,
    seed=int(snakemake.params.seed),  # noqa: F821
    out_path=snakemake.output.events,  # noqa: F821
    truth_path=snakemake.output.get("truth"),  # noqa: F821
)
