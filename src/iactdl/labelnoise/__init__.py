"""Stage 6, label-noise correction: learning gamma/hadron separation from an observation's own
ON/OFF labels (rules of ``labelnoise.smk``, results under ``results/labelnoise/``).

An OFF region holds few gammas (the signal leak ``rho_plus``, measured on simulated point-like
gammas), the ON region gammas and hadrons: ON/OFF labels are the truth with class-conditional noise
(Menon et al. 2015), whose flip rates follow from ``alpha`` (1 / number of OFF regions) and the
leak, or are estimated from held-out scores. Modules:

- :mod:`~iactdl.labelnoise.correction`: ON/OFF labels, flip-rate estimates, the Menon correction;
- :mod:`~iactdl.labelnoise.leak`: the signal leak ``rho_plus`` from simulated point-like gammas
  (rule ``signal_leak``);
- :mod:`~iactdl.labelnoise.baselines`: ON/OFF-trained baselines and their oracle (reference only);
- :mod:`~iactdl.labelnoise.nets`: ON/OFF-trained nets, through the engine's ``labels`` hook;
- :mod:`~iactdl.labelnoise.joint`: joint models, simulated labels and ON/OFF labels in one model
  (a net's loss: the simulated cross-entropy + w x the Menon-linked ON/OFF one; boosted trees
  one fit of both domains' events with a domain column);
- :mod:`~iactdl.labelnoise.measurement`: the measurement on observed_test (rule
  ``evaluate_labelnoise``: calibration, flip rates, ON gamma fraction, truth-free thresholds);
- :mod:`~iactdl.labelnoise.comparison`: the three-ways comparison table and reliability figures.

It sits on top of the engine (:mod:`iactdl.fit`) and of evaluation's tools; nothing below it
imports it (``tests/test_imports.py``): a model it trains names its loader in ``model.json``
(:func:`iactdl.models.load_model`).
"""
