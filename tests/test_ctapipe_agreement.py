"""Our vectorised features against ctapipe 0.28, the field's reference, on the same images.

ctapipe runs per event on its ``CameraGeometry`` built from our pixel table and OUR neighbour
matrix (``iactdl.features.reference.ctapipe_geometry``), so both sides clean and count islands on
the same graph. Tolerance: relative 1e-6 for the moments (both float64); counts exact.

Conventions that differ, and how each is compared:

- normalisation of the moments: ctapipe divides by size (``np.cov(..., ddof=0)``); FACT (our
  default, to match the real DL2 files) by ``V = W - sum(q^2)/W``. Compared with
  ``moments="population"``; the FACT values are checked against ctapipe via the exact factors
  ``length * sqrt(W/V)``, ``skewness * sqrt(V/W)``, ``kurtosis * V/W``.
- orientation: FACT's ``delta`` and ctapipe's ``psi`` are both ``arctan(v_y/v_x)`` in
  (-pi/2, pi/2] in this frame, so they are compared directly (modulo pi), and ctapipe's skewness has
  the same sign as our ``skewness_long``.
- leakage: FACT's ``leakage1/2`` are charge fractions = ctapipe ``intensity_width_1/2``; ctapipe's
  ``pixels_width_1/2`` are pixel fractions = our ``leakage1_pixel``/``leakage2_pixel``.
- concentration: ctapipe's definitions (cog: pixels within one pixel width of the cog; core: the
  ellipse without tolerance; pixel) are compared with :func:`concentration_ctapipe`; FACT's
  ``concentration_cog/core`` differ by definition (see :mod:`iactdl.features.concentration`), only
  ``concentration_one_pixel`` = ctapipe ``pixel``.
- timing: ctapipe fits least trimmed squares (robust, random starts), we fit ordinary least
  squares as FACT: on times exactly linear in l both must agree; on noisy times our slope equals
  ctapipe's own OLS building block ``ctapipe.fitting.linear_regression``.
- degenerate line-shaped images (width 0): ctapipe's ``eigh`` leaves +-1e-15 mm^2 eigenvalues
  (width ~6e-8 mm, or NaN for a negative one), ours is exactly 0; widths are compared with an
  absolute 1e-6 mm floor (ours must be < 1e-6 mm where ctapipe's is NaN) and concentration_core
  skips widths below 1e-6 mm.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

ctapipe = pytest.importorskip(
    "ctapipe", reason="ctapipe (test extra: pip install -e '.[test]') is the reference"
)
u = pytest.importorskip("astropy.units")

from iactdl.features import (  # noqa: E402
    concentration_ctapipe,
    hillas_parameters,
    image_features,
    leakage_parameters,
    number_of_islands,
    tailcuts_clean,
    timing_parameters,
)
from iactdl.features.reference import ctapipe_chain, ctapipe_geometry, toy_events  # noqa: E402

RTOL = 1e-6
CLEANING = dict(picture_threshold=5.5, boundary_threshold=3.0, min_number_picture_neighbors=2)


def assert_close(ours, ref, rtol=RTOL, atol=0.0, what=""):
    ours, ref = np.asarray(ours, float), np.asarray(ref, float)
    bad = ~(np.abs(ours - ref) <= rtol * np.abs(ref) + atol)
    assert not bad.any(), (
        f"{what}: {bad.sum()} events differ, e.g. ours {ours[bad][:3]} ref {ref[bad][:3]}"
    )


@pytest.fixture(scope="module")
def reference():
    geom = ctapipe_geometry()
    image, peak_time = toy_events(300, seed=7, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = [ctapipe_chain(geom, image[i], peak_time[i]) for i in range(len(image))]
    keep = np.array([r is not None for r in results])
    assert keep.sum() > 200, "too few toy events survive cleaning for a meaningful comparison"
    return {
        "geom": geom,
        "image": image[keep],
        "time": peak_time[keep],
        "ref": [r for r in results if r is not None],
    }


def test_cleaning_masks_identical(reference):
    mask = tailcuts_clean(reference["image"], **CLEANING)
    ref = np.array([r["mask"] for r in reference["ref"]])
    assert np.array_equal(mask, ref)


def test_cleaning_variants_match_ctapipe(reference):
    from ctapipe.image import tailcuts_clean as cta_clean

    geom, image = reference["geom"], reference["image"][:60]
    for kw in (
        dict(min_number_picture_neighbors=0),
        dict(min_number_picture_neighbors=3),
        dict(keep_isolated_pixels=True, min_number_picture_neighbors=0),
    ):
        ours = tailcuts_clean(image, picture_threshold=6.0, boundary_threshold=3.5, **kw)
        ref = np.array([cta_clean(geom, im, 6.0, 3.5, **kw) for im in image])
        assert np.array_equal(ours, ref), kw
    # the time constraint = ctapipe's apply_time_delta_cleaning after tailcuts_clean
    from ctapipe.image import apply_time_delta_cleaning

    times = reference["time"][:60]
    ours = tailcuts_clean(image, **CLEANING, peak_time=times, time_limit=1.0, time_min_neighbors=2)
    ref = np.array(
        [
            apply_time_delta_cleaning(
                geom,
                cta_clean(geom, im, 5.5, 3.0, min_number_picture_neighbors=2),
                t,
                min_number_neighbors=2,
                time_limit=1.0,
            )
            for im, t in zip(image, times, strict=True)
        ]
    )
    assert np.array_equal(ours, ref)
    assert ours.sum() < tailcuts_clean(image, **CLEANING).sum()  # the constraint did something


def test_hillas_population_matches_ctapipe(reference):
    mask = tailcuts_clean(reference["image"], **CLEANING)
    ours = hillas_parameters(reference["image"], mask, moments="population")
    h = [r["hillas"] for r in reference["ref"]]
    assert_close(ours["size"], [x.intensity for x in h], what="size")
    assert_close(ours["cog_x"], [x.x.to_value(u.mm) for x in h], atol=1e-9, what="cog_x")
    assert_close(ours["cog_y"], [x.y.to_value(u.mm) for x in h], atol=1e-9, what="cog_y")
    assert_close(ours["length"], [x.length.to_value(u.mm) for x in h], what="length")
    ref_width = np.array([x.width.to_value(u.mm) for x in h])
    line = ~np.isfinite(ref_width)  # ctapipe: sqrt of a -1e-15 eigenvalue of a line image is NaN
    assert np.all(ours["width"][line] < 1e-6)
    assert_close(ours["width"][~line], ref_width[~line], atol=1e-6, what="width")
    psi = np.array([x.psi.to_value(u.rad) for x in h])
    dpsi = np.angle(np.exp(2j * (ours["delta"] - psi))) / 2  # axis angle: modulo pi
    assert np.max(np.abs(dpsi)) < 1e-6
    long_enough = ours["width"] > 1e-3  # the axis of a line-shaped image is still defined, but skip
    assert_close(
        ours["skewness_long"][long_enough],
        np.array([x.skewness for x in h])[long_enough],
        atol=1e-9,
        what="skewness",
    )
    assert_close(
        ours["kurtosis_long"][long_enough],
        np.array([x.kurtosis for x in h])[long_enough],
        what="kurtosis",
    )


def test_fact_moments_are_ctapipe_moments_times_the_sample_factor(reference):
    image = reference["image"]
    mask = tailcuts_clean(image, **CLEANING)
    fact = hillas_parameters(image, mask, moments="fact")
    h = [r["hillas"] for r in reference["ref"]]
    q = np.where(mask, image, 0.0)
    w = q.sum(axis=1)
    v = w - (q**2).sum(axis=1) / w
    assert_close(
        fact["length"],
        np.array([x.length.to_value(u.mm) for x in h]) * np.sqrt(w / v),
        what="FACT length",
    )
    ok = fact["width"] > 1e-3
    assert_close(
        fact["skewness_long"][ok],
        (np.array([x.skewness for x in h]) * np.sqrt(v / w))[ok],
        atol=1e-9,
        what="FACT skewness",
    )
    assert_close(
        fact["kurtosis_long"][ok],
        (np.array([x.kurtosis for x in h]) * v / w)[ok],
        what="FACT kurtosis",
    )


def test_leakage_matches_ctapipe(reference):
    mask = tailcuts_clean(reference["image"], **CLEANING)
    ours = leakage_parameters(reference["image"], mask)
    ref = [r["leakage"] for r in reference["ref"]]
    assert_close(ours["leakage1"], [x.intensity_width_1 for x in ref], atol=1e-12, what="leakage1")
    assert_close(ours["leakage2"], [x.intensity_width_2 for x in ref], atol=1e-12, what="leakage2")
    assert np.array_equal(ours["leakage1_pixel"], [x.pixels_width_1 for x in ref])
    assert np.array_equal(ours["leakage2_pixel"], [x.pixels_width_2 for x in ref])


def test_concentration_matches_ctapipe(reference):
    image = reference["image"]
    mask = tailcuts_clean(image, **CLEANING)
    ours = concentration_ctapipe(image, mask)
    ref = [r["concentration"] for r in reference["ref"]]
    assert_close(ours["cog"], [x.cog for x in ref], atol=1e-12, what="concentration cog")
    assert_close(ours["pixel"], [x.pixel for x in ref], what="concentration pixel")
    width = hillas_parameters(image, mask, moments="population")["width"]
    ok = width > 1e-6
    assert_close(
        ours["core"][ok], np.array([x.core for x in ref])[ok], atol=1e-12, what="concentration core"
    )
    fact = image_features(image, reference["time"])[0]
    assert_close(fact["concentration_one_pixel"], [x.pixel for x in ref], what="one_pixel")


def test_islands_match_ctapipe_exactly(reference):
    mask = tailcuts_clean(reference["image"], **CLEANING)
    ours = number_of_islands(mask)
    ref = np.array([r["n_islands"] for r in reference["ref"]])
    assert np.array_equal(ours, ref)
    assert (ref > 1).sum() > 10, "the toy sample should contain multi-island images"
    # the pipeline counts islands inside cleaning, on the candidate graph: same numbers
    columns, _, _ = image_features(reference["image"], reference["time"])
    assert np.array_equal(columns["num_islands"], ref)


def test_timing_matches_ctapipe(reference):
    from ctapipe.fitting import design_matrix, linear_regression
    from ctapipe.image import timing_parameters as ctapipe_timing_parameters

    image, geom = reference["image"], reference["geom"]
    mask = tailcuts_clean(image, **CLEANING)
    # times exactly linear in the longitudinal coordinate: robust LTS and OLS give the same line
    hp = hillas_parameters(image, mask, moments="population")
    rng = np.random.default_rng(11)
    lon = (geom.pix_x.to_value(u.mm) - hp["cog_x"][:, None]) * np.cos(hp["delta"])[:, None] + (
        geom.pix_y.to_value(u.mm) - hp["cog_y"][:, None]
    ) * np.sin(hp["delta"])[:, None]
    linear_time = (
        20.0 + rng.normal(0, 0.05, (len(image), 1)) * lon + rng.normal(0, 2, (len(image), 1))
    )
    ours = timing_parameters(image, linear_time, mask, moments="population")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = [
            ctapipe_timing_parameters(geom, image[i], linear_time[i], r["hillas"], r["mask"])
            for i, r in enumerate(reference["ref"])
        ]
    assert_close(
        ours["time_gradient_slope_long"],
        [x.slope.to_value(1 / u.mm) for x in ref],
        atol=1e-9,
        what="slope",
    )
    assert_close(ours["time_gradient_intercept_long"], [x.intercept for x in ref], what="intercept")
    # noisy times: our OLS == ctapipe's OLS building block on ctapipe's longitudinal coordinate
    from ctapipe.image.hillas import camera_to_shower_coordinates

    noisy = timing_parameters(image, reference["time"], mask, moments="population")
    slopes = []
    for i, r in enumerate(reference["ref"]):
        m = r["mask"]
        h = r["hillas"]
        lon, _ = camera_to_shower_coordinates(
            geom.pix_x[m].to_value(u.mm),
            geom.pix_y[m].to_value(u.mm),
            h.x.to_value(u.mm),
            h.y.to_value(u.mm),
            h.psi.to_value(u.rad),
        )
        slopes.append(linear_regression(design_matrix(lon), reference["time"][i][m])[0])
    assert_close(noisy["time_gradient_slope_long"], slopes, atol=1e-9, what="OLS slope")


def test_ctapipe_toymodel_images():
    """The same agreement on images of ctapipe's own toy model (skewed Gaussians)."""
    from ctapipe.image import hillas_parameters as ctapipe_hillas_parameters
    from ctapipe.image import number_of_islands as cta_islands
    from ctapipe.image import tailcuts_clean as cta_clean
    from ctapipe.image.toymodel import SkewedGaussian

    geom = ctapipe_geometry()
    rng = np.random.default_rng(3)
    images = []
    for _ in range(60):
        model = SkewedGaussian(
            x=rng.uniform(-100, 100) * u.mm,
            y=rng.uniform(-100, 100) * u.mm,
            length=rng.uniform(10, 25) * u.mm,
            width=rng.uniform(3, 8) * u.mm,
            psi=rng.uniform(0, 360) * u.deg,
            skewness=rng.uniform(0.1, 0.5),
        )
        image, _, _ = model.generate_image(
            geom, intensity=rng.uniform(100, 2000), nsb_level_pe=3, rng=rng
        )
        images.append(image)
    images = np.array(images, dtype=np.float64)
    mask = tailcuts_clean(images, **CLEANING)
    ref_mask = np.array(
        [cta_clean(geom, im, 5.5, 3.0, min_number_picture_neighbors=2) for im in images]
    )
    assert np.array_equal(mask, ref_mask)
    ok = mask.sum(axis=1) >= 3
    ours = hillas_parameters(images[ok], mask[ok], moments="population")
    ref = [
        ctapipe_hillas_parameters(geom[m], im[m])
        for im, m in zip(images[ok], mask[ok], strict=True)
    ]
    assert_close(ours["length"], [x.length.to_value(u.mm) for x in ref], what="length")
    assert_close(ours["width"], [x.width.to_value(u.mm) for x in ref], atol=1e-6, what="width")
    assert_close(ours["skewness_long"], [x.skewness for x in ref], atol=1e-9, what="skewness")
    assert np.array_equal(number_of_islands(mask), [cta_islands(geom, m)[0] for m in mask])
