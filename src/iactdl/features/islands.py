"""Number of islands: connected groups of shower pixels on the camera's neighbour graph.

Hadronic showers break up into sub-showers and muons add rings, so protons have more islands than
gammas (FACT-Tools ``NumberOfIslands``: breadth-first search per event; ctapipe
``number_of_islands``). Here one connected-components pass labels the islands of a whole chunk at
once: the graph has one node per shower pixel of every event and an edge between neighbouring
shower pixels of the same event (a block-diagonal graph, one block per event), solved by
``scipy.sparse.csgraph.connected_components``. The count per event is exact (tested against
ctapipe). ``num_islands`` is 0 for events without shower pixels.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from iactdl.camera import CameraGeometry, fact_camera
from iactdl.features.cleaning import count_true, padded_neighbours
from iactdl.features.shower_pixels import (
    ShowerPixels,
    false_buffer,
    scratch_buffer,
    shower_pixels_from_mask,
)

__all__ = ["number_of_islands", "island_labels_pixels"]


def island_labels_pixels(
    sp: ShowerPixels, camera: CameraGeometry | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Islands of sparse shower pixels: connected groups of neighbouring pixels.

    Parameters
    ----------
    sp : iactdl.features.shower_pixels.ShowerPixels
        The shower pixels.
    camera : iactdl.camera.CameraGeometry, optional
        Default: FACT's camera.

    Returns
    -------
    num_islands : numpy.ndarray
        Int64 (n_events,).
    labels : numpy.ndarray
        Island label of each shower pixel (k,), unique over the chunk (not per event).
    """
    camera = camera or fact_camera()
    n_cam = camera.n_pixels
    k = sp.event.size
    if k == 0:
        return np.zeros(sp.n_events, dtype=np.int64), np.zeros(0, dtype=np.int64)
    stride = n_cam + 1  # one always-False sentinel column per event (see cleaning)
    size = sp.n_events * stride
    flat = sp.event * stride + sp.pixel
    # node index of each shower pixel, looked up by flat (event, pixel) index; read only
    # where is_shower is True, so a reused uninitialised buffer will do
    node = scratch_buffer("islands_node", size, np.int64)
    is_shower = false_buffer("islands_is_shower", size)
    nb_flat = padded_neighbours(camera).take(sp.pixel, axis=0) + (sp.event * stride)[:, None]
    try:
        is_shower[flat] = True
        node[flat] = np.arange(k)
        linked = is_shower.take(nb_flat)  # (k, 8)
    finally:
        is_shower[flat] = False
    indices = node.take(nb_flat[linked])
    # CSR straight from the row-major neighbour table: rows are already in node order
    indptr = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(count_true(linked), out=indptr[1:])
    graph = csr_matrix((np.ones(indices.size, dtype=np.int8), indices, indptr), shape=(k, k))
    # the graph is symmetric (both directions of every edge), so its strongly connected components
    # are the islands; "strong" needs no transpose, unlike "weak" or directed=False
    n_comp, labels = connected_components(graph, directed=True, connection="strong")
    comp_event = np.empty(n_comp, dtype=np.int64)
    comp_event[labels] = sp.event
    return np.bincount(comp_event, minlength=sp.n_events), labels


def number_of_islands(mask, *, camera: CameraGeometry | None = None) -> np.ndarray:
    """Number of islands of a shower mask, the counterpart of ctapipe's ``number_of_islands``.

    Parameters
    ----------
    mask : numpy.ndarray
        Shower pixels, bool (1440,) or (n_events, 1440).
    camera : iactdl.camera.CameraGeometry, optional
        Default: FACT's camera.

    Returns
    -------
    numpy.ndarray
        Int64 (n_events,).
    """
    mask = np.atleast_2d(np.asarray(mask, dtype=bool))
    sp = shower_pixels_from_mask(mask.astype(np.float32), mask)
    return island_labels_pixels(sp, camera)[0]
