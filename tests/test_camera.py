"""Geometry facts of the FACT camera against the pixel map from pyfact."""

import csv
from pathlib import Path

import numpy as np
import pytest

from iactdl.camera import HEX_NEIGHBOUR_OFFSETS, MM_TO_DEG, N_PIXELS, fact_camera

PIXEL_MAP = Path(__file__).resolve().parents[1].parent / "shared" / "fact-data" / "pixel-map.csv"


@pytest.fixture(scope="module")
def geom():
    return fact_camera()


def test_1440_pixels_unique_positions(geom):
    assert geom.n_pixels == N_PIXELS == 1440
    assert len(set(zip(geom.q.tolist(), geom.r.tolist(), strict=True))) == 1440


def test_chid_order_matches_pyfact_pixel_map(geom):
    if not PIXEL_MAP.exists():
        pytest.skip(f"real FACT pixel map not found at {PIXEL_MAP} (shared test data absent)")
    with PIXEL_MAP.open() as f:
        rows = sorted(csv.DictReader(f), key=lambda r: int(r["CHID"]))
    pos_x = np.array([float(r["pos_X"]) for r in rows])
    pos_y = np.array([float(r["pos_Y"]) for r in rows])
    # pyfact: x = -pos_Y * 9.5 mm, y = pos_X * 9.5 mm; the map rounds to 2 decimals of a pitch
    np.testing.assert_allclose(geom.x, -pos_y * 9.5, atol=0.01 * 9.5)
    np.testing.assert_allclose(geom.y, pos_x * 9.5, atol=0.01 * 9.5)


def test_pitch_and_plate_scale(geom):
    d = np.hypot(
        *(
            np.stack([geom.x, geom.y])[:, geom.neighbour_pairs[:, 0]]
            - np.stack([geom.x, geom.y])[:, geom.neighbour_pairs[:, 1]]
        )
    )
    np.testing.assert_allclose(d, 9.5, rtol=1e-12)
    assert MM_TO_DEG == pytest.approx(0.011719, rel=1e-4)
    assert 9.5 * MM_TO_DEG == pytest.approx(0.1113, rel=1e-3)
    # the camera's field of view: about 4.5 deg across
    assert 4.2 < (geom.x_deg.max() - geom.x_deg.min()) < 4.6  # centres; FoV 4.5 deg


def test_neighbours_symmetric_and_counts(geom):
    nb = geom.neighbours
    counts = geom.n_neighbours
    assert counts.max() == 6 and counts.min() >= 2
    pairs = {tuple(p) for p in geom.neighbour_pairs.tolist()}
    assert all((j, i) in pairs for i, j in pairs)
    assert not np.any(nb == np.arange(1440)[:, None])
    # the border ring and the two outer rings (leakage1/leakage2 masks)
    assert 0 < geom.is_border.sum() < geom.is_border2.sum() < 1440


def test_neighbour_offsets_are_the_hexagonal_ones(geom):
    row, col = geom.grid_index
    cell = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(row, col, strict=True))}
    for i in range(0, 1440, 37):
        expected = {cell.get((row[i] + dr, col[i] + dc), -1) for dr, dc in HEX_NEIGHBOUR_OFFSETS}
        expected.discard(-1)
        assert expected == set(geom.neighbours[i][geom.neighbours[i] >= 0].tolist())


def test_axial_grid_round_trip(geom):
    values = np.random.default_rng(0).normal(size=(3, 1440)).astype(np.float32)
    grid = geom.to_grid(values)
    assert grid.shape == (3,) + geom.grid_shape
    np.testing.assert_array_equal(geom.from_grid(grid), values)
    assert geom.grid_mask.sum() == 1440
    assert np.all(grid[:, ~geom.grid_mask] == 0)
