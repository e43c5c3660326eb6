"""Features of FACT camera events: cleaning, Hillas parameters and friends, grid images, pixel sets.

Vectorised over a chunk of events (leading event axis); every function also works on plain arrays
in a notebook::

    from iactdl.features import tailcuts_clean, hillas_parameters, number_of_islands
    mask = tailcuts_clean(image, picture_threshold=5.5, boundary_threshold=3.0)
    params = hillas_parameters(image, mask)  # dict: size, cog_x, length, width, delta, ...

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
``hillas_parameters(geom, image)``    ``hillas_parameters(image, mask, *,``
                                      ``moments="population")`` (dict)
``leakage_parameters``                ``leakage_parameters(image, mask)``
``concentration_parameters``          ``concentration_ctapipe(image, mask)``
``number_of_islands(geom, mask)``     ``number_of_islands(mask)`` (counts only)
``timing_parameters``                 ``timing_parameters(image, peak_time, mask, *,``
                                      ``moments="population")``
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

from iactdl._lazy import lazy_exports

# Lazy (iactdl._lazy): a rule that reads one feature module (the nets' grid images, the split)
# neither imports nor hashes (iactdl.provenance reads this table) the others.
_LAZY = {
    "CLEANING_DEFAULTS": "iactdl.features.cleaning",
    "tailcuts_clean": "iactdl.features.cleaning",
    "tailcuts_clean_pixels": "iactdl.features.cleaning",
    "DEFAULT_FEATURES": "iactdl.features.columns",
    "FEATURE_UNITS": "iactdl.features.columns",
    "IMAGE_PRODUCTS": "iactdl.features.columns",
    "check_feature_columns": "iactdl.features.columns",
    "concentration_fact": "iactdl.features.concentration",
    "concentration_ctapipe": "iactdl.features.concentration",
    "pixel_below": "iactdl.features.concentration",
    "derived_features": "iactdl.features.derived",
    "DISP_GEOMETRY_COLUMNS": "iactdl.features.disp",
    "camera_centre_long": "iactdl.features.disp",
    "reconstruct_source_position": "iactdl.features.disp",
    "signed_disp": "iactdl.features.disp",
    "true_disp": "iactdl.features.disp",
    "grid_image": "iactdl.features.grid",
    "HILLAS_COLUMNS": "iactdl.features.hillas",
    "hillas_parameters": "iactdl.features.hillas",
    "hillas_pixels": "iactdl.features.hillas",
    "number_of_islands": "iactdl.features.islands",
    "leakage_parameters": "iactdl.features.leakage",
    "ObservedSplitWriter": "iactdl.features.observed_split",
    "observed_split_assignment": "iactdl.features.observed_split",
    "split_observed": "iactdl.features.observed_split",
    "DEFAULT_CONFIG": "iactdl.features.pipeline",
    "build_features": "iactdl.features.pipeline",
    "image_features": "iactdl.features.pipeline",
    "pixel_set": "iactdl.features.pixelset",
    "ShowerPixels": "iactdl.features.shower_pixels",
    "charge_statistics": "iactdl.features.shower_pixels",
    "shower_pixels_from_mask": "iactdl.features.shower_pixels",
    "DATASETS_DEFAULTS": "iactdl.features.split",
    "split_assignment": "iactdl.features.split",
    "split_dataset": "iactdl.features.split",
    "timing_pixels": "iactdl.features.timing",
    "timing_parameters": "iactdl.features.timing",
}
__all__ = [*_LAZY]
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
