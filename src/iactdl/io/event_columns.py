"""Our column names, with units: the one table every stage reads and writes.

FACT's names are mapped to these in :mod:`iactdl.io.fact` (the extract stage) alone.

Event files (``results/simulated/{sample}.h5``, ``results/events/{sample}.h5``): HDF5 group
``events``, one dataset per column, all of equal length; images as 2-D datasets (n_events, 1440)
in CHID order.

=====================  ========  ================================================================
column                 unit      meaning
=====================  ========  ================================================================
event_id               -         unique per sample (int64)
image                  p.e.      photo-electrons per pixel, (n, 1440) float32
peak_time              ns        arrival time per pixel, (n, 1440) float32
particle_id            -         CORSIKA id: 1 gamma, 14 proton, 402 helium (observed truth only)
true_energy            TeV       primary energy
true_impact            m         distance of the shower core from the telescope
true_source_x          mm        true source position in the camera frame (gammas; NaN for hadrons,
                                 but the true arrival direction in the observed truth)
true_source_y          mm
source_x, source_y     mm        assumed source position in the camera (pointing model: the wobble
                                 position of the ON source). Known for observed data too.
region                 -         observed only: 0 = ON region, 1..n_off = OFF region number
=====================  ========  ================================================================

Feature columns (``results/features``) keep FACT DL2 names where FACT has one; their units are
documented in :mod:`iactdl.features`. Lengths in mm (camera frame) as in FACT DL2, angles in rad.
"""

from __future__ import annotations

from iactdl.camera import N_PIXELS

__all__ = [
    "COLUMN_TYPES",
    "TEXT_COLUMNS",
    "IMAGE_COLUMNS",
    "TRUTH_COLUMNS",
    "POINTING_COLUMNS",
    "UNITS",
    "PARTICLE_ID",
    "SAMPLE_PRIMARY",
    "SAMPLES",
    "SIMULATED_SAMPLES",
]

IMAGE_COLUMNS = ("image", "peak_time")

# What a column of our files holds, checked wherever a file is opened (iactdl.io.open_events):
# numpy dtype kinds ("b" bool, "i"/"u" integer, "f" float, "S" bytes) and the shape per event.
# Every column not named here holds numbers of any kind, one per event, unless in TEXT_COLUMNS.
COLUMN_TYPES = {
    "event_id": ("iu", ()),
    "image": ("f", (N_PIXELS,)),  # in CHID order
    "peak_time": ("f", (N_PIXELS,)),
    "particle_id": ("iu", ()),
    "region": ("iu", ()),
    "is_gamma": ("biu", ()),
    "sample": ("S", ()),
}
TEXT_COLUMNS = ("sample",)
TRUTH_COLUMNS = ("particle_id", "true_energy", "true_impact", "true_source_x", "true_source_y")
POINTING_COLUMNS = ("source_x", "source_y")

PARTICLE_ID = {"gamma": 1, "proton": 14, "helium": 402}

# labelled simulations and the target domain
SIMULATED_SAMPLES = ("gamma", "gamma_diffuse", "proton")
SAMPLES = SIMULATED_SAMPLES + ("observed",)
# The primary each labelled simulation holds: its labels come from the sample, so a file of another
# primary listed under it (a proton file as fact.files.gamma) would train on wrong labels silently
SAMPLE_PRIMARY = {"gamma": "gamma", "gamma_diffuse": "gamma", "proton": "proton"}

UNITS = {
    "event_id": "",
    "image": "p.e.",
    "peak_time": "ns",
    "particle_id": "",
    "true_energy": "TeV",
    "true_impact": "m",
    "true_source_x": "mm",
    "true_source_y": "mm",
    "source_x": "mm",
    "source_y": "mm",
    "region": "",
}
