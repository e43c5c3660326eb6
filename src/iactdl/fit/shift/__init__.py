"""Dataset shift between the simulation and the observation: diagnostics without truth.

- :mod:`.twosample` KS and Wasserstein statistics per input, ranked;
- :mod:`.domain` the domain classifier (cross-validated AUC) and its importance weights
  (:func:`domain_weights`, used by importance-weighted training);
- :mod:`.pixels` the pixel-level channels of the set nets;
- :mod:`.quantify` the gamma fraction of an unlabelled sample: classify and count, adjusted
  classify and count, EM (Saerens et al. 2002) and the ON - alpha OFF excess;
- :mod:`.diagnostics` rule ``shift_diagnostics`` (figures: :mod:`iactdl.evaluate.shift_figures`).
"""

from iactdl._lazy import lazy_exports

# Lazy (iactdl._lazy): importing one submodule must not import torch and scikit-learn
# through this file.
_LAZY = {
    "SHIFT_DEFAULTS": "iactdl.fit.shift.diagnostics",
    "check_shift_config": "iactdl.fit.shift.diagnostics",
    "default_shift_features": "iactdl.fit.shift.diagnostics",
    "shift_diagnostics": "iactdl.fit.shift.diagnostics",
    "DOMAIN_CLASSIFIER_DEFAULTS": "iactdl.fit.shift.domain",
    "OVERLAP_AUC": "iactdl.fit.shift.domain",
    "DomainClassification": "iactdl.fit.shift.domain",
    "DomainWeights": "iactdl.fit.shift.domain",
    "domain_classifier": "iactdl.fit.shift.domain",
    "domain_weights": "iactdl.fit.shift.domain",
    "effective_sample_size": "iactdl.fit.shift.domain",
    "PIXEL_CHANNELS": "iactdl.fit.shift.pixels",
    "pixel_channel_summaries": "iactdl.fit.shift.pixels",
    "pixel_channel_values": "iactdl.fit.shift.pixels",
    "pixel_channels": "iactdl.fit.shift.pixels",
    "adjusted_classify_and_count": "iactdl.fit.shift.quantify",
    "classifier_rates": "iactdl.fit.shift.quantify",
    "classify_and_count": "iactdl.fit.shift.quantify",
    "em_prior": "iactdl.fit.shift.quantify",
    "onoff_gamma_fraction": "iactdl.fit.shift.quantify",
    "poisson_weights": "iactdl.fit.shift.quantify",
    "quantify_gamma_fraction": "iactdl.fit.shift.quantify",
    "two_sample_statistics": "iactdl.fit.shift.twosample",
    "two_sample_table": "iactdl.fit.shift.twosample",
}
__all__ = [*_LAZY]
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
