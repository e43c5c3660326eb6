"""Rule `simulate_augmented`, thin: one labelled sample re-simulated through the estimated
detector (iactdl.adapt.augment): the same showers and seed as rule simulate, a new camera."""

from iactdl.adapt.augment import augmented_simulation, read_detector
from iactdl.rule_log import rule_logging
from iactdl.simulate import simulate_sample

sample = snakemake.params.sample
simulation = dict(snakemake.params.simulation)
with rule_logging(snakemake.log[0], "simulate_augmented"):
    detector = read_detector(snakemake.input.detector, simulation)
    simulate_sample(
        sample=sample,
        n_events=int(simulation["n_events"][sample]),
        config=augmented_simulation(simulation, detector),
        seed=int(snakemake.params.seed),
        out_path=snakemake.output.events,
    )
