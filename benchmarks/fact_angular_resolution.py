"""FACT's own angular resolution per bin of true energy: the reference of our direction figure.

Reads aict-tools' stored disp predictions (``source_x_prediction``, ``source_y_prediction``) and
the true source position (``source_position_x/y``) of FACT's simulated diffuse gammas
(``../shared/fact-data/gamma_diffuse.hdf5``: 1000 events of aict-tools' example, whose predictions
came with the file), computes theta and its 68 % containment per bin of true energy
(:func:`iactdl.metrics.direction.angular_resolution`) and writes
``src/iactdl/data/fact_angular_resolution.csv`` (with ``--write``). Prints one JSON line.

    python benchmarks/fact_angular_resolution.py [--data PATH] [--write]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import h5py
import hdf5plugin  # noqa: F401  (FACT's files are blosc-compressed)
import numpy as np

from iactdl.metrics.direction import angular_resolution, containment, theta

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "fact-data" / "gamma_diffuse.hdf5"
OUT = ROOT / "src" / "iactdl" / "data" / "fact_angular_resolution.csv"
BINS_TEV = np.geomspace(0.2, 50.0, 9)  # FACT's sensitive range, 8 log bins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--write", action="store_true", help=f"write {OUT.name}")
    args = parser.parse_args()
    with h5py.File(args.data, "r") as f:
        ev = f["events"]
        cols = {
            k: ev[k][:].astype(np.float64)
            for k in (
                "source_x_prediction",
                "source_y_prediction",
                "source_position_x",
                "source_position_y",
                "corsika_event_header_total_energy",
            )
        }
    th = theta(
        cols["source_x_prediction"],
        cols["source_y_prediction"],
        cols["source_position_x"],
        cols["source_position_y"],
    )
    energy = cols["corsika_event_header_total_energy"] / 1000.0  # GeV -> TeV
    res = angular_resolution(th, energy, BINS_TEV, min_events=10)
    if args.write:
        lines = [
            "# FACT's angular resolution (68 % containment of theta, deg) per bin of true energy",
            f"# from aict-tools' stored disp predictions on {args.data.name} (fact-project/",
            "# aict-tools example, simulated diffuse gammas),",
            "# by benchmarks/fact_angular_resolution.py --write",
            "energy_low_tev,energy_high_tev,energy_center_tev,angular_resolution_deg,count",
        ]
        for k in range(len(BINS_TEV) - 1):
            lines.append(
                f"{BINS_TEV[k]:.4g},{BINS_TEV[k + 1]:.4g},{res['energy_center'][k]:.4g},"
                f"{res['angular_resolution'][k]:.4g},{res['count'][k]}"
            )
        OUT.write_text("\n".join(lines) + "\n")
    print(
        json.dumps(
            {
                "benchmark": "fact_angular_resolution",
                "n_events": int(np.isfinite(th).sum()),
                "containment_68_deg": containment(th),
                "angular_resolution_deg": [
                    None if not np.isfinite(v) else round(float(v), 4)
                    for v in res["angular_resolution"]
                ],
                "count": res["count"].tolist(),
            }
        )
    )


if __name__ == "__main__":
    main()
