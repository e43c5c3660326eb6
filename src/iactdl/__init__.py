"""iactdl: deep learning on IACT (FACT) events, as a reproducible Snakemake pipeline.

Sub-packages by concept: :mod:`iactdl.camera` (geometry), :mod:`iactdl.simulate` (toy air
showers), :mod:`iactdl.io` (HDF5 in the FACT DL2 layout), :mod:`iactdl.features` (cleaning, Hillas,
grid images, pixel sets), :mod:`iactdl.models` (baselines and nets), :mod:`iactdl.fit` (the training
engine), :mod:`iactdl.evaluate` (metrics and figures).
"""

__version__ = "0.1.0"
