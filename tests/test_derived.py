"""The derived features, defined once (iactdl.features.derived), on ordinary and degenerate images.

The feature files (:func:`derived_features`) and a model entry's ``derived_features``
(:func:`compute_derived`, through :mod:`iactdl.models`) must give the same numbers; where a
definition divides by zero or takes the log of zero (no light, a line of pixels, 1 p.e.) the value
is NaN (not measured), never an infinity or a clip constant.
"""

from __future__ import annotations

import numpy as np
import pytest

from iactdl import models
from iactdl.camera import fact_camera
from iactdl.features import derived_features, hillas_parameters
from iactdl.features.derived import DERIVED_COLUMNS, DERIVED_FEATURES, compute_derived

ALL = sorted(DERIVED_FEATURES)

# rows: an ordinary image, a line (width 0), a point (width = length = 0), no light (size 0),
# size 1 p.e. (ln size = 0), an empty image as Hillas reports it (all NaN)
COLUMNS = {
    "size": np.array([np.e**5, 100.0, 40.0, 0.0, 1.0, np.nan]),
    "width": np.array([3.0, 0.0, 0.0, 2.0, 2.0, np.nan]),
    "length": np.array([6.0, 9.5, 0.0, 4.0, 4.0, np.nan]),
    "cog_x": np.array([30.0, 0.0, 1.0, 0.0, 0.0, np.nan]),
    "cog_y": np.array([40.0, 0.0, 1.0, 0.0, 0.0, np.nan]),
    "delta": np.array([0.0, 0.0, 0.0, 0.0, 0.0, np.nan]),
    "source_x": np.array([30.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    "source_y": np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
}


def test_ordinary_image_values():
    d = compute_derived({k: v[:1] for k, v in COLUMNS.items()}, ALL)
    area = np.pi * 3.0 * 6.0
    want = {
        "log_size": 5.0,
        "area": area,
        "width_length": 0.5,
        "size_area": np.e**5 / area,
        "log_size_area": 5.0 - np.log(area),
        "area_size_cut_var": area / 25.0,
        "cog_r": 50.0,
        "distance": 40.0,
        "alpha": np.pi / 2,  # axis along x, source straight below the cog
    }
    for name, value in want.items():
        assert d[name][0] == pytest.approx(value, rel=1e-12), name


@pytest.mark.parametrize(
    "row, finite, undefined",
    [
        # a line: area 0 and aspect ratio 0 are its limits; a density per area is not measured
        (1, {"area": 0.0, "width_length": 0.0, "log_size": np.log(100.0), "area_size_cut_var": 0.0},
         ("size_area", "log_size_area")),
        # a point: no axis, no aspect ratio
        (2, {"area": 0.0}, ("width_length", "size_area", "log_size_area")),
        # no light: no log of the size
        (3, {"area": 8 * np.pi, "width_length": 0.5, "size_area": 0.0},
         ("log_size", "log_size_area", "area_size_cut_var")),
        # 1 p.e.: ln(size) = 0 in the cut variable's denominator
        (4, {"log_size": 0.0, "size_area": 1 / (8 * np.pi)}, ("area_size_cut_var",)),
        # an empty image (Hillas: NaN throughout) stays NaN
        (5, {}, ("log_size", "area", "width_length", "size_area", "area_size_cut_var", "cog_r")),
    ],
)  # fmt: skip
def test_degenerate_images_give_nan_where_undefined(row, finite, undefined):
    with np.errstate(all="raise"):  # no warning either: the definitions guard every division
        d = compute_derived({k: v[row : row + 1] for k, v in COLUMNS.items()}, ALL)
    for name, value in finite.items():
        assert d[name][0] == pytest.approx(value), name
    for name in undefined:
        assert np.isnan(d[name][0]), (name, d[name][0])
    assert not np.isinf(np.concatenate(list(d.values()))).any()


def test_feature_files_and_models_use_the_same_definition():
    files = derived_features(COLUMNS)
    assert tuple(files) == DERIVED_COLUMNS
    in_model = models.compute_derived(COLUMNS, list(DERIVED_COLUMNS))
    for name in DERIVED_COLUMNS:
        np.testing.assert_array_equal(files[name], in_model[name], err_msg=name)
    assert models.compute_derived is compute_derived and models.DERIVED_FEATURES is DERIVED_FEATURES


def test_feature_files_keep_float32_cog_r():
    cols = {k: v.astype(np.float32) for k, v in COLUMNS.items()}
    assert derived_features(cols)["cog_r"].dtype == np.float32


def test_a_line_of_pixels_from_hillas():
    cam = fact_camera()
    centre = np.argmin(np.hypot(cam.x, cam.y))
    row = np.flatnonzero(np.abs(cam.y - cam.y[centre]) < 1e-3)
    row = row[np.argsort(np.abs(cam.x[row] - cam.x[centre]))][:5]
    image = np.zeros((1, cam.n_pixels))
    image[0, row] = [10.0, 20.0, 30.0, 20.0, 10.0]
    params = hillas_parameters(image, image > 0)
    assert params["width"][0] == pytest.approx(0.0, abs=1e-9) and params["length"][0] > 0
    d = compute_derived(params, ["size_area", "width_length", "area"])
    assert np.isnan(d["size_area"][0]) and d["width_length"][0] == pytest.approx(0.0, abs=1e-9)
