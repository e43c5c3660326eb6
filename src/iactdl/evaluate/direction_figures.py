"""The direction figure: angular resolution per bin of true energy, and theta^2 of the gammas.

Left: the 68 % containment of theta (deg) per bin of true energy (TeV, log) of the disp baseline
on the simulated test gammas, point-like and diffuse, with FACT's own (aict-tools' disp on FACT's
simulated diffuse gammas, :func:`iactdl.evaluate.directions.fact_reference`) below. Right: the
theta^2 distribution of each sample (fraction of events per bin). Loads matplotlib: import it
directly, not through :mod:`iactdl.evaluate`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from iactdl.evaluate import style

__all__ = ["plot_angular_resolution"]

SAMPLE_LABELS = {"gamma": "point-like gammas", "gamma_diffuse": "diffuse gammas"}


def plot_angular_resolution(
    metrics: Mapping, reference: pd.DataFrame, outputs: Sequence[str], model: str = "disp"
) -> None:
    """Draw the figure from :func:`iactdl.evaluate.directions.evaluate_directions`' result.

    Parameters
    ----------
    metrics : mapping
        The result of :func:`~iactdl.evaluate.directions.evaluate_directions` (or its JSON): per
        sample in ``metrics["samples"]`` the 68 % containment radius ``angular_resolution_deg``
        (deg) at ``energy_center_tev`` (TeV), the theta^2 histogram ``theta2_counts`` on
        ``theta2_edges_deg2`` (deg^2) and ``n_events``.
    reference : pandas.DataFrame
        FACT's angular resolution, columns ``energy_center_tev`` (TeV) and
        ``angular_resolution_deg`` (deg), as :func:`~iactdl.evaluate.directions.fact_reference`
        reads it.
    outputs : sequence of str
        Files to write (one per format, see :func:`~iactdl.evaluate.style.save_figure`).
    model : str
        The direction model's name in the legend.
    """
    fig, (ax_res, ax_t2) = style.subplots(1, 2, columns=2, aspect=0.38)
    for i, (name, s) in enumerate(sorted(metrics["samples"].items())):
        label = f"{model}, {SAMPLE_LABELS.get(name, name)}"
        ax_res.plot(
            s["energy_center_tev"], np.asarray(s["angular_resolution_deg"], dtype=float), "o-",
            color=style.colour(i), label=label,
        )  # fmt: skip
        edges = np.asarray(s["theta2_edges_deg2"])
        counts = np.asarray(s["theta2_counts"], dtype=float)
        ax_t2.stairs(counts / max(s["n_events"], 1), edges, color=style.colour(i), label=label)
    ax_res.plot(
        reference["energy_center_tev"], reference["angular_resolution_deg"], "s--", color="0.4",
        label="FACT (aict-tools disp, FACT simulations)",
    )  # fmt: skip
    ax_res.set_xscale("log")
    ax_res.set_xlabel("true energy / TeV")
    ax_res.set_ylabel(r"angular resolution (68 % containment) / deg")
    ax_res.set_ylim(bottom=0)
    ax_res.legend(fontsize="small")
    ax_t2.set_xlabel(r"$\theta^2$ / deg$^2$")
    ax_t2.set_ylabel("fraction of events")
    ax_t2.legend(fontsize="small")
    style.save_figure(fig, outputs)
