"""Features of FACT camera events: cleaning, Hillas parameters and friends, grid images, pixel sets.

Vectorised over a chunk of events (leading event axis); every function also works on plain arrays
in a notebook::

    from iactdl.features import tailcuts_clean, hillas, leakage, number_of_islands
    mask = tailcuts_clean(image, picture_threshold=5.5, boundary_threshold=3.0)
    params = hillas(image, mask)          # dict: size, cog_x, length, width, delta, ...

For a ctapipe user: the data (image, then mask or peak times) come first and positionally; every
setting is keyword-only, the camera too, where ctapipe takes the geometry first and positionally.

====================================  ===========================================================
ctapipe 0.28 (``ctapipe.image``)      iactdl.features
====================================  ===========================================================
``tailcuts_clean(geom, image, ...)``  ``tailcuts_clean(image, *, ..., camera=fact_camera())``
``picture_thresh`` (default 7)        ``picture_threshold`` (p.e.; default 5.5, FACT-Tools')
``boundary_thresh`` (default 5)       ``boundary_threshold`` (p.e.; default 3.0)
``min_number_picture_neighbors``      same name (default 2, FACT-Tools'; ctapipe's 0)
``keep_isolated_pixels``              same name
``apply_time_delta_cleaning``         ``tailcuts_clean(..., peak_time=, time_limit=,``
                                      ``time_min_neighbors=)`` in one pass
``hillas_parameters(geom, image)``    ``hillas(image, mask, *, moments="population")`` (dict)
``leakage_parameters``                ``leakage(image, mask)``
``concentration_parameters``          ``concentration_ctapipe(image, mask)``
``number_of_islands(geom, mask)``     ``number_of_islands(mask)`` (counts only)
``timing_parameters``                 ``timing(image, peak_time, mask, *, moments="population")``
====================================  ===========================================================

The defaults of the cleaning are :data:`CLEANING_DEFAULTS`, those of the pipeline's ``features``
section :data:`DEFAULT_CONFIG`. ``moments="fact"`` (the default) gives FACT-Tools' sample moments
instead of ctapipe's population ones; with the same cleaning both agree with ctapipe
(``tests/test_ctapipe_agreement.py``).

Names and units follow the FACT DL2 files (FACT-Tools / pyfact): size in p.e.; cog_x, cog_y,
length, width in mm (camera frame); delta in rad; m3_* in mm^3, m4_* in mm^4; skewness, kurtosis,
leakage, concentration dimensionless; time gradients in ns/mm, intercepts and timespread in ns;
photoncharge_shower_* in p.e. (variance p.e.^2). The full table with units is
:data:`FEATURE_UNITS`; the baselines' default inputs, present in both our feature files and the
real FACT files, are :data:`DEFAULT_FEATURES`.

Modules: :mod:`~.cleaning` (tail cuts), :mod:`~.hillas`, :mod:`~.leakage`, :mod:`~.concentration`,
:mod:`~.islands`, :mod:`~.timing`, :mod:`~.derived`, :mod:`~.shower_pixels` (sparse shower pixels
and charge statistics), :mod:`~.grid`, :mod:`~.pixelset`, :mod:`~.pipeline` (rule build_features),
:mod:`~.split` (rule split_dataset), :mod:`~.observed_split` (rule split_observed),
:mod:`~.columns`, :mod:`~.reference` (ctapipe 0.28 on our camera, toy images; for tests and
benchmarks), :mod:`~.disp` (the disp method's geometry). Each documents its conventions
against FACT-Tools and ctapipe 0.28.
"""

from iactdl.features.cleaning import CLEANING_DEFAULTS, tailcuts_clean, tailcuts_clean_pixels
from iactdl.features.columns import (
    DEFAULT_FEATURES,
    FEATURE_UNITS,
    IMAGE_PRODUCTS,
    check_feature_columns,
)
from iactdl.features.concentration import (
    concentration,
    concentration_ctapipe,
    pixel_below,
)
from iactdl.features.derived import derived_features
from iactdl.features.disp import (
    DISP_GEOMETRY_COLUMNS,
    camera_centre_long,
    reconstruct_source_position,
    signed_disp,
    true_disp,
)
from iactdl.features.grid import grid_image
from iactdl.features.hillas import HILLAS_COLUMNS, hillas, hillas_pixels
from iactdl.features.islands import number_of_islands
from iactdl.features.leakage import leakage
from iactdl.features.observed_split import (
    ObservedSplitWriter,
    observed_split_assignment,
    split_observed,
)
from iactdl.features.pipeline import DEFAULT_CONFIG, build_features, image_features
from iactdl.features.pixelset import pixel_set
from iactdl.features.shower_pixels import ShowerPixels, charge_statistics, shower_pixels_from_mask
from iactdl.features.split import DATASETS_DEFAULTS, split_assignment, split_dataset
from iactdl.features.timing import timing_pixels


def timing(image, peak_time, mask=None, *, moments: str = "fact", camera=None):
    """Timing features of plain arrays ``image``, ``peak_time`` (n, 1440); ``mask``: the shower."""
    import numpy as np

    image = np.atleast_2d(np.asarray(image, dtype=np.float64))
    mask = image > 0 if mask is None else mask
    sp = shower_pixels_from_mask(image, mask, peak_time)
    _, longi, trans = hillas_pixels(sp, camera, moments)
    return timing_pixels(sp, longi, trans)


__all__ = [
    "CLEANING_DEFAULTS",
    "DATASETS_DEFAULTS",
    "DEFAULT_CONFIG",
    "DEFAULT_FEATURES",
    "DISP_GEOMETRY_COLUMNS",
    "FEATURE_UNITS",
    "HILLAS_COLUMNS",
    "IMAGE_PRODUCTS",
    "ObservedSplitWriter",
    "ShowerPixels",
    "build_features",
    "camera_centre_long",
    "charge_statistics",
    "check_feature_columns",
    "concentration",
    "concentration_ctapipe",
    "derived_features",
    "grid_image",
    "hillas",
    "hillas_pixels",
    "image_features",
    "leakage",
    "number_of_islands",
    "observed_split_assignment",
    "pixel_below",
    "pixel_set",
    "reconstruct_source_position",
    "shower_pixels_from_mask",
    "signed_disp",
    "split_assignment",
    "split_dataset",
    "split_observed",
    "tailcuts_clean",
    "tailcuts_clean_pixels",
    "timing",
    "timing_pixels",
    "true_disp",
]
