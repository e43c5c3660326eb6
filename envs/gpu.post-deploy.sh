#!/usr/bin/env bash
# Run by Snakemake inside the freshly created conda environment (--sdm conda): installs the project
# itself, editable (the rules see the working tree's code, and src() hashes it), with no
# dependencies (they are the pinned conda packages of the environment file beside this script).
set -euo pipefail
python -m pip install --no-deps --no-build-isolation --quiet -e "$(dirname "$0")/.."
