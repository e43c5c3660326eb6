"""Dataset shift between the simulation and the observation: diagnostics without truth.

- :mod:`.twosample` KS and Wasserstein statistics per input, ranked;
- :mod:`.domain` the domain classifier (cross-validated AUC) and its importance weights
  (:func:`domain_weights`, used by importance-weighted training);
- :mod:`.pixels` the pixel-level channels of the set nets;
- :mod:`.quantify` the gamma fraction of an unlabelled sample: classify and count, adjusted
  classify and count, EM (Saerens et al. 2002) and the ON - alpha OFF excess;
- :mod:`.diagnostics` rule ``shift_diagnostics`` (figures: :mod:`iactdl.adapt.shift.figures`).
"""

from iactdl._lazy import lazy_exports

# Lazy (iactdl._lazy): importing one submodule must not import torch and scikit-learn
# through this file.
_LAZY = {
    "SHIFT_DEFAULTS": "iactdl.adapt.shift.diagnostics",
    "check_shift_config": "iactdl.adapt.shift.diagnostics",
    "default_shift_features": "iactdl.adapt.shift.diagnostics",
    "shift_diagnostics": "iactdl.adapt.shift.diagnostics",
    "DOMAIN_CLASSIFIER_DEFAULTS": "iactdl.adapt.shift.domain",
    "OVERLAP_AUC": "iactdl.adapt.shift.domain",
    "DomainClassification": "iactdl.adapt.shift.domain",
    "DomainWeights": "iactdl.adapt.shift.domain",
    "domain_classifier": "iactdl.adapt.shift.domain",
    "domain_weights": "iactdl.adapt.shift.domain",
    "effective_sample_size": "iactdl.adapt.shift.domain",
    "PIXEL_CHANNELS": "iactdl.adapt.shift.pixels",
    "pixel_channel_summaries": "iactdl.adapt.shift.pixels",
    "pixel_channel_values": "iactdl.adapt.shift.pixels",
    "pixel_channels": "iactdl.adapt.shift.pixels",
    "adjusted_classify_and_count": "iactdl.adapt.shift.quantify",
    "classifier_rates": "iactdl.adapt.shift.quantify",
    "classify_and_count": "iactdl.adapt.shift.quantify",
    "em_prior": "iactdl.adapt.shift.quantify",
    "onoff_gamma_fraction": "iactdl.adapt.shift.quantify",
    "poisson_weights": "iactdl.adapt.shift.quantify",
    "quantify_gamma_fraction": "iactdl.adapt.shift.quantify",
    "two_sample_statistics": "iactdl.adapt.shift.twosample",
    "two_sample_table": "iactdl.adapt.shift.twosample",
}
__all__ = [*_LAZY]
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
