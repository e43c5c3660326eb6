"""HDF5 event files in the FACT/pyfact DL2 layout, our column table, and readers of FACT data."""

from iactdl.io.atomic import atomic_path, atomic_paths, write_text_atomic
from iactdl.io.cuts import range_cut_masks
from iactdl.io.event_columns import (
    IMAGE_COLUMNS,
    PARTICLE_ID,
    SAMPLES,
    SIMULATED_SAMPLES,
    TRUTH_COLUMNS,
    UNITS,
)
from iactdl.io.fact import fact_level, iter_fact_chunks, read_fact
from iactdl.io.hdf5 import (
    EventWriter,
    InputError,
    column_names,
    data_attrs,
    iter_chunks,
    n_events,
    open_events,
    read_attrs,
    read_columns,
    read_table,
    write_events,
)
from iactdl.io.jsonfile import to_json, write_json
from iactdl.io.photonstream import iter_photonstream, read_photonstream
from iactdl.io.truth import read_observed_truth

__all__ = [
    "atomic_path",
    "atomic_paths",
    "write_text_atomic",
    "IMAGE_COLUMNS",
    "PARTICLE_ID",
    "SAMPLES",
    "SIMULATED_SAMPLES",
    "TRUTH_COLUMNS",
    "UNITS",
    "EventWriter",
    "InputError",
    "column_names",
    "data_attrs",
    "iter_chunks",
    "n_events",
    "open_events",
    "read_attrs",
    "read_columns",
    "read_table",
    "write_events",
    "fact_level",
    "iter_fact_chunks",
    "read_fact",
    "iter_photonstream",
    "read_photonstream",
    "read_observed_truth",
    "range_cut_masks",
    "to_json",
    "write_json",
]
