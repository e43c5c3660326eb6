"""HDF5 event files in the FACT/pyfact DL2 layout, our column table, and readers of FACT data."""

from iactdl._lazy import lazy_exports

# Lazy (iactdl._lazy): a module that needs one helper (write_text_atomic) does not import h5py.
_LAZY = {
    "atomic_path": "iactdl.io.atomic",
    "atomic_paths": "iactdl.io.atomic",
    "write_text_atomic": "iactdl.io.atomic",
    "DiskFullError": "iactdl.io.atomic",
    "hdf5_writer": "iactdl.io.atomic",
    "IMAGE_DTYPES": "iactdl.io.compact",
    "store_as": "iactdl.io.compact",
    "range_cut_masks": "iactdl.io.cuts",
    "DL3Writer": "iactdl.io.dl3",
    "read_dl3": "iactdl.io.dl3",
    "write_dl3": "iactdl.io.dl3",
    "IMAGE_COLUMNS": "iactdl.io.event_columns",
    "PARTICLE_ID": "iactdl.io.event_columns",
    "SAMPLE_PRIMARY": "iactdl.io.event_columns",
    "SAMPLES": "iactdl.io.event_columns",
    "SIMULATED_SAMPLES": "iactdl.io.event_columns",
    "TRUTH_COLUMNS": "iactdl.io.event_columns",
    "UNITS": "iactdl.io.event_columns",
    "fact_level": "iactdl.io.fact",
    "iter_fact_chunks": "iactdl.io.fact",
    "read_fact": "iactdl.io.fact",
    "EventWriter": "iactdl.io.hdf5",
    "InputError": "iactdl.io.hdf5",
    "column_names": "iactdl.io.hdf5",
    "data_attrs": "iactdl.io.hdf5",
    "iter_chunks": "iactdl.io.hdf5",
    "n_events": "iactdl.io.hdf5",
    "open_events": "iactdl.io.hdf5",
    "read_attrs": "iactdl.io.hdf5",
    "read_columns": "iactdl.io.hdf5",
    "read_table": "iactdl.io.hdf5",
    "write_events": "iactdl.io.hdf5",
    "to_json": "iactdl.io.jsonfile",
    "write_json": "iactdl.io.jsonfile",
    "iter_photonstream": "iactdl.io.photonstream",
    "read_photonstream": "iactdl.io.photonstream",
    "gather_events": "iactdl.io.gather",
    "fact_sample_files": "iactdl.io.run_files",
    "part_names": "iactdl.io.run_files",
    "read_observed_truth": "iactdl.io.truth",
}
__all__ = [*_LAZY]
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
