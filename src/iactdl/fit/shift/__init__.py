"""Dataset shift between the simulation and the observation: diagnostics without truth.

- :mod:`.twosample` KS and Wasserstein statistics per input, ranked;
- :mod:`.domain` the domain classifier (cross-validated AUC) and its importance weights
  (:func:`domain_weights`, used by importance-weighted training);
- :mod:`.pixels` the pixel-level channels of the set nets;
- :mod:`.quantify` the gamma fraction of an unlabelled sample: classify and count, adjusted
  classify and count, EM (Saerens et al. 2002) and the ON - alpha OFF excess;
- :mod:`.diagnostics` rule ``shift_diagnostics`` (figures: :mod:`iactdl.evaluate.shift_figures`).
"""

from iactdl.fit.shift.diagnostics import (
    SHIFT_DEFAULTS,
    check_shift_config,
    default_shift_features,
    shift_diagnostics,
)
from iactdl.fit.shift.domain import (
    DOMAIN_CLASSIFIER_DEFAULTS,
    OVERLAP_AUC,
    DomainClassification,
    DomainWeights,
    domain_classifier,
    domain_weights,
    effective_sample_size,
)
from iactdl.fit.shift.pixels import (
    PIXEL_CHANNELS,
    pixel_channel_summaries,
    pixel_channel_values,
    pixel_channels,
)
from iactdl.fit.shift.quantify import (
    adjusted_classify_and_count,
    classifier_rates,
    classify_and_count,
    em_prior,
    onoff_gamma_fraction,
    poisson_weights,
    quantify_gamma_fraction,
)
from iactdl.fit.shift.twosample import two_sample_statistics, two_sample_table

__all__ = [
    "SHIFT_DEFAULTS",
    "check_shift_config",
    "default_shift_features",
    "shift_diagnostics",
    "DOMAIN_CLASSIFIER_DEFAULTS",
    "OVERLAP_AUC",
    "DomainClassification",
    "DomainWeights",
    "domain_classifier",
    "domain_weights",
    "effective_sample_size",
    "PIXEL_CHANNELS",
    "pixel_channel_summaries",
    "pixel_channel_values",
    "pixel_channels",
    "adjusted_classify_and_count",
    "classifier_rates",
    "classify_and_count",
    "em_prior",
    "onoff_gamma_fraction",
    "poisson_weights",
    "quantify_gamma_fraction",
    "two_sample_statistics",
    "two_sample_table",
]
