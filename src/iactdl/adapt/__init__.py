"""Stage 5, domain adaptation: from the labelled simulations to the unlabelled observation (rules
of ``adapt.smk``, results under ``results/shift/`` and ``results/adaptation/``).

The observation differs from the simulation (detector, atmosphere, background); the stage measures
how without its truth, then trains models that close the gap. Modules:

- :mod:`~iactdl.adapt.shift`: the shift diagnostics (two-sample statistics, the domain classifier,
  pixel channels, label-shift quantifiers; rule ``shift_diagnostics``), their evaluation against
  the hidden truth (:mod:`~iactdl.adapt.shift.evaluation`) and figures
  (:mod:`~iactdl.adapt.shift.figures`);
- :mod:`~iactdl.adapt.settings`: an entry's ``adapt`` section and its check;
- :mod:`~iactdl.adapt.dann`: domain-adversarial training (DANN, IW-DANN): gradient reversal, the
  domain head, the engine's objective;
- :mod:`~iactdl.adapt.importance`: covariate-shift importance weights, for nets and baselines;
- :mod:`~iactdl.adapt.nets`: adapted nets, through the engine's ``prepare`` hook;
- :mod:`~iactdl.adapt.study`: the adaptation study's models and their names (read when planning the
  workflow: imports no torch);
- :mod:`~iactdl.adapt.lambda_selection`: the truth-free choice of ``lambda_max`` (rule
  ``select_lambda``);
- :mod:`~iactdl.adapt.table`, :mod:`~iactdl.adapt.figures`: the study's table and figures.

It sits on top of the engine (:mod:`iactdl.fit`) and of evaluation's tools; nothing below it
imports it, and stage 6 (:mod:`iactdl.labelnoise`) neither (``tests/test_imports.py``).
"""
