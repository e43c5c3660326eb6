"""The FACT camera: 1440 hexagonal pixels in CHID order.

The geometry ships with the package as the axial hexagonal coordinates ``(q, r)`` of every pixel
(``data/fact_camera_axial.csv``), derived from pyfact's ``pixel-map.csv``. Positions follow from the
lattice exactly, so there is no rounding in the table:

- pyfact's pixel-map units (pitch): ``pos_X = q * sqrt(3)/2``, ``pos_Y = r + 1/2 - q/2``;
- camera frame in mm, as pyfact defines it: ``x = -pos_Y * pitch``, ``y = pos_X * pitch``;
- degrees: ``x_deg = x_mm * MM_TO_DEG`` with the small-angle plate scale ``180 / (pi * f)``.

Pixels are indexed by CHID (0..1439), the order of real FACT data (images, photon streams).

The axial grid puts pixel ``(q, r)`` at cell ``(row, col) = (r - r_min, q - q_min)``; every pixel
is one cell, so an image round-trips without loss. On that grid the six hexagonal neighbours of a
cell are the offsets ``(dr, dq) in {(0, ±1), (±1, 0), (+1, +1), (-1, -1)}``
(:data:`HEX_NEIGHBOUR_OFFSETS`), which is what a hexagon-shaped 3x3 kernel (corners ``(-1,+1)`` and
``(+1,-1)`` masked) respects: a step ``(dq, dr)`` moves by ``(dq * sqrt(3)/2, dr - dq/2)`` pitches,
of length 1 exactly for these six.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

__all__ = [
    "N_PIXELS",
    "PIXEL_PITCH_MM",
    "FOCAL_LENGTH_MM",
    "MM_TO_DEG",
    "HEX_NEIGHBOUR_OFFSETS",
    "CameraGeometry",
    "fact_camera",
]

N_PIXELS = 1440
PIXEL_PITCH_MM = 9.5
FOCAL_LENGTH_MM = 4889.0
MM_TO_DEG = float(np.rad2deg(1.0 / FOCAL_LENGTH_MM))  # ~0.011719 deg/mm
# (d_row, d_col) = (dr, dq) of the six neighbours of an axial cell.
HEX_NEIGHBOUR_OFFSETS = ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, -1))


@dataclass(frozen=True, eq=False)
class CameraGeometry:
    """Pixel geometry of a hexagonal camera, in CHID order.

    Each parameter is kept as the attribute of its name; build FACT's with :func:`fact_camera`.

    Parameters
    ----------
    q, r : int arrays (n_pixels,)
        Axial hexagonal coordinates.
    x, y : float arrays (n_pixels,)
        Pixel centres in the camera frame, mm.
    neighbours : int array (n_pixels, 6)
        CHIDs of the neighbours of each pixel, in increasing order, padded with -1 at the camera
        edge.
    pitch_mm : float
        Distance between neighbouring pixel centres (the hexagon's flat-to-flat width), mm
        (default :data:`PIXEL_PITCH_MM`, 9.5).
    focal_length_mm : float
        Focal length of the telescope, mm, for the plate scale of :attr:`x_deg`, :attr:`y_deg`
        (default :data:`FOCAL_LENGTH_MM`, 4889).
    """

    q: np.ndarray
    r: np.ndarray
    x: np.ndarray
    y: np.ndarray
    neighbours: np.ndarray
    pitch_mm: float = PIXEL_PITCH_MM
    focal_length_mm: float = FOCAL_LENGTH_MM

    @property
    def n_pixels(self) -> int:
        """Number of pixels (1440 for FACT)."""
        return self.q.size

    @property
    def x_deg(self) -> np.ndarray:
        """Pixel centres' x in deg: ``x * 180 / (pi * focal_length_mm)`` (small-angle scale)."""
        return self.x * np.rad2deg(1.0 / self.focal_length_mm)

    @property
    def y_deg(self) -> np.ndarray:
        """Pixel centres' y in deg: ``y * 180 / (pi * focal_length_mm)`` (small-angle scale)."""
        return self.y * np.rad2deg(1.0 / self.focal_length_mm)

    @property
    def pixel_area_mm2(self) -> float:
        """Area of one hexagonal pixel (flat-to-flat = pitch)."""
        return float(np.sqrt(3) / 2 * self.pitch_mm**2)

    @property
    def neighbour_pairs(self) -> np.ndarray:
        """Directed edges ``(i, j)`` of the neighbour graph, shape (n_edges, 2); both directions."""
        i, k = np.nonzero(self.neighbours >= 0)
        return np.stack([i, self.neighbours[i, k]], axis=1)

    @property
    def n_neighbours(self) -> np.ndarray:
        """Neighbours of each pixel, int array (n_pixels,): 6 inside, fewer at the edge."""
        return (self.neighbours >= 0).sum(axis=1)

    @property
    def is_border(self) -> np.ndarray:
        """Pixels with fewer than six neighbours: the outermost ring (leakage1)."""
        return self.n_neighbours < 6

    @property
    def is_border2(self) -> np.ndarray:
        """The two outermost rings (leakage2): border pixels and their neighbours."""
        border = self.is_border
        nb = self.neighbours
        second = np.any(np.where(nb >= 0, border[np.clip(nb, 0, None)], False), axis=1)
        return border | second

    # --- the axial grid ---------------------------------------------------------------------
    @property
    def grid_shape(self) -> tuple[int, int]:
        """(rows, cols) of the axial grid: the ranges of ``r`` and ``q`` (46 x 45 for FACT)."""
        return (int(self.r.max() - self.r.min() + 1), int(self.q.max() - self.q.min() + 1))

    @property
    def grid_index(self) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) of each pixel's cell on the axial grid."""
        return self.r - self.r.min(), self.q - self.q.min()

    @property
    def grid_mask(self) -> np.ndarray:
        """Boolean (rows, cols): True where a cell is a camera pixel."""
        mask = np.zeros(self.grid_shape, dtype=bool)
        mask[self.grid_index] = True
        return mask

    def to_grid(self, values: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """Put per-pixel values (..., n_pixels) on the axial grid (..., rows, cols); vectorised.

        Parameters
        ----------
        values : array (..., n_pixels)
            Values per pixel in CHID order, any leading shape (e.g. events).
        fill : float
            Value of the cells that are no pixel (default 0).

        Returns
        -------
        numpy.ndarray, shape (..., rows, cols)
            The values at each pixel's cell (:attr:`grid_index`), of the dtype of ``values``.
        """
        values = np.asarray(values)
        out = np.full(values.shape[:-1] + self.grid_shape, fill, dtype=values.dtype)
        row, col = self.grid_index
        out[..., row, col] = values
        return out

    def from_grid(self, grid: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_grid`: (..., rows, cols) -> (..., n_pixels).

        Parameters
        ----------
        grid : array (..., rows, cols)
            Values on the axial grid, any leading shape.

        Returns
        -------
        numpy.ndarray, shape (..., n_pixels)
            The value of each pixel's cell, in CHID order.
        """
        row, col = self.grid_index
        return np.asarray(grid)[..., row, col]


def _neighbours_from_axial(q: np.ndarray, r: np.ndarray) -> np.ndarray:
    index = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(q, r, strict=True))}
    out = np.full((q.size, 6), -1, dtype=np.int64)
    for i, (a, b) in enumerate(zip(q, r, strict=True)):  # once per camera, 1440 x 6: not a hot path
        found = [index.get((int(a) + dq, int(b) + dr), -1) for dr, dq in HEX_NEIGHBOUR_OFFSETS]
        found = sorted(j for j in found if j >= 0)
        out[i, : len(found)] = found
    return out


@cache
def fact_camera() -> CameraGeometry:
    """The FACT camera geometry (cached; treat the arrays as read-only).

    Returns
    -------
    CameraGeometry
        FACT's 1440 pixels in CHID order, read from ``data/fact_camera_axial.csv``, positions in
        pyfact's camera frame (mm), arrays write-protected.

    Raises
    ------
    ValueError
        The packaged table does not list the CHIDs 0..1439 in order.
    """
    path = resources.files("iactdl") / "data" / "fact_camera_axial.csv"
    with resources.as_file(path) as p:
        table = np.loadtxt(p, delimiter=",", comments="#", skiprows=3, dtype=np.int64)
    chid, q, r = table.T
    if not np.array_equal(chid, np.arange(N_PIXELS)):
        raise ValueError(f"{path}: expected CHIDs 0..{N_PIXELS - 1} in order")
    pos_x = q * np.sqrt(3) / 2  # pyfact pixel-map pos_X, pitch units
    pos_y = r + 0.5 - q / 2  # pyfact pixel-map pos_Y
    x = -pos_y * PIXEL_PITCH_MM
    y = pos_x * PIXEL_PITCH_MM
    geom = CameraGeometry(q=q, r=r, x=x, y=y, neighbours=_neighbours_from_axial(q, r))
    for a in (geom.q, geom.r, geom.x, geom.y, geom.neighbours):
        a.setflags(write=False)
    return geom
