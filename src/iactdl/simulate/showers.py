"""Air showers as seen by the camera: Gaussian light components, muon rings and arrival times.

A shower image is a sum of 2-D Gaussian *components* in the camera plane (the Hillas picture of an
image as an ellipse, Hillas 1985, Proc. 19th ICRC 3, 445), each with an expected number of
photo-electrons ``amp``, a centre, an orientation ``psi`` and standard deviations along/across it:

- **Gammas** (electromagnetic cascades) are compact: one core ellipse whose long axis points back
  to the source, plus a fainter, longer *tail* component shifted away from the source, which makes
  the light profile skewed along the axis (head-tail asymmetry). The centroid lies at a distance
  ``disp`` from the source that grows with the impact distance (``disp ~ impact / h_max`` in angle,
  shower maximum at about 10 km), as exploited by the DISP method (Lessard et al. 2001, APh 15, 1).
  Length and width grow slowly with energy and impact.
- **Protons** (hadronic cascades) are broader and irregular: one main component, often wider than a
  gamma's, whose axis points to the proton's own (isotropic) arrival direction, hence at random to
  the source; plus electromagnetic *sub-showers* from neutral pions, compact and displaced, which
  become separate islands after cleaning. Some hadron showers put most energy into one early pi0
  cascade and look gamma-like (the irreducible background of gamma/hadron separation). A few
  percent of events are *muon rings* (Cherenkov rings of local muons, radius ~1.1 deg, brightness
  modulated along the ring by the impact parameter; Vacanti et al. 1994, APh 2, 1).
- **Arrival times** grow along the axis away from the source with a slope ~ impact^2 (light from
  high altitude arrives first: ``t ~ R^2 / (2 h c)``; Aliu et al. 2009, APh 30, 293 for MAGIC's
  time-gradient analysis); hadrons have a larger intrinsic spread.

The light yield per TeV is about proportional to the energy (calorimetry of the atmosphere); the
lateral distribution is flat out to the Cherenkov shoulder (~120 m) and falls beyond it.

- **Zenith angle**: the constants above hold for showers seen at :data:`REFERENCE_ZENITH_DEG`. At
  zenith ``z`` the shower maximum is ``1/cos z`` farther away (flat atmosphere), so with
  ``s = cos z / cos z_ref`` the light pool is ``1/s`` wider (every impact distance counts as
  ``s r`` against the reference pool), the image and its distance from the source are ``s``
  smaller in angle, and the light per TeV at the telescope falls as ``s^2.664`` (the wider pool
  and the longer path through the air): the energy threshold rises as ``cos^-2.664 z``
  (:func:`zenith_scaling`). Each shower draws its zenith before the trigger.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from iactdl.io.event_columns import PARTICLE_ID
from iactdl.simulate.fluxes import spectrum_energies
from iactdl.simulate.spectra import (
    disk_positions,
    impact_distances,
    power_law_energies,
    trigger_probability,
)

__all__ = [
    "Components",
    "Rings",
    "Showers",
    "gamma_showers",
    "proton_showers",
    "gamma_geometry",
    "hadron_geometry",
    "build_gammas",
    "build_hadrons",
    "throw_triggered",
    "concat_showers",
    "zenith_scaling",
    "REFERENCE_ZENITH_DEG",
]

DISP_MM_PER_M = 0.55  # ~ focal length (4889 mm) / distance to shower maximum (~10.8 km)
SHOULDER_M = 120.0  # Cherenkov light-pool radius (flat lateral distribution inside)
FALLOFF_M = 70.0  # e-folding of the light density beyond the shoulder
# intrinsic width and length (std, mm) of a 1 TeV gamma image at small impact, before PSF and
# pixel size; tuned so that cleaned Hillas width/length match FACT's simulated gammas
WIDTH_MM = 6.6
LENGTH_MM = 14.0
GAMMA_SATELLITE_FRACTION = 0.18  # gammas with a detached sub-cascade (FACT: ~5% have 2 islands)
CAMERA_RADIUS_MM = 190.0
# the zenith angle the constants above hold at: the median of FACT's simulated gammas they were
# tuned on (0-30 deg, median 14.6 deg: ../shared/fact-data/gamma.hdf5, pointing_position_zd)
REFERENCE_ZENITH_DEG = 15.0
# light per TeV at the telescope ~ cos(z)^2.664, i.e. an energy threshold ~ cos(z)^-2.664: the
# relative threshold FACT's scheduler uses, T ~ cos(z)^-2.664 (FACT++ makeschedule, documented
# by T. Bretz on the MATE project's wiki, 2018, marked there as due for review; the effects it
# sums, light density, absorption, image size, are modelled in Bretz 2019, arXiv:1902.03875): 2
# from the wider light pool, the rest from the longer path through the absorbing air
ZENITH_LIGHT_INDEX = 2.664


@dataclass
class Components:
    """Gaussian light components, sorted by ``event``; every event has at least one.

    Each field is an array of shape (n_components,).

    Parameters
    ----------
    event : numpy.ndarray
        Row of the component's event in the chunk (int).
    amp : numpy.ndarray
        Expected photo-electrons of the component, p.e.
    cx, cy : numpy.ndarray
        Centre in the camera, mm.
    psi : numpy.ndarray
        Orientation of the long axis, rad from +x.
    sigma_l : numpy.ndarray
        Standard deviation along the axis, mm (before PSF and pixel size).
    sigma_w : numpy.ndarray
        Standard deviation across the axis, mm (before PSF and pixel size).
    """

    event: np.ndarray  # int, row of the event in the chunk
    amp: np.ndarray  # expected photo-electrons
    cx: np.ndarray  # centre, mm
    cy: np.ndarray
    psi: np.ndarray  # orientation of the long axis, rad
    sigma_l: np.ndarray  # std along the axis, mm (before PSF and pixel size)
    sigma_w: np.ndarray  # std across the axis, mm


@dataclass
class Rings:
    """Muon rings (a subset of events).

    Each field is an array of shape (n_rings,); the light is a Gaussian radial profile around
    ``radius``, modulated along the ring by ``1 + rho cos(phi - phi0)`` (Vacanti et al. 1994).

    Parameters
    ----------
    event : numpy.ndarray
        Row of the ring's event in the chunk (int).
    amp : numpy.ndarray
        Expected photo-electrons in the whole ring, p.e.
    cx, cy : numpy.ndarray
        Centre of the ring in the camera, mm.
    radius : numpy.ndarray
        Ring radius, mm.
    sigma : numpy.ndarray
        Ring width (standard deviation), mm.
    rho : numpy.ndarray
        Modulation of the brightness along the ring, 0 to 1 (grows with the muon's impact
        parameter).
    phi0 : numpy.ndarray
        Azimuth of the brightest part, rad.
    """

    event: np.ndarray
    amp: np.ndarray  # expected photo-electrons in the whole ring
    cx: np.ndarray
    cy: np.ndarray
    radius: np.ndarray  # mm
    sigma: np.ndarray  # ring width (std), mm
    rho: np.ndarray  # modulation of the brightness along the ring, 0..1
    phi0: np.ndarray  # azimuth of the brightest part, rad


@dataclass
class Showers:
    """A chunk of showers: truth per event, light components, rings and timing.

    The per-event fields are arrays of shape (n_events,).

    Parameters
    ----------
    particle_id : numpy.ndarray
        Primary per event, :data:`iactdl.io.PARTICLE_ID` codes (int64).
    true_energy : numpy.ndarray
        Primary energy, TeV (for nuclei: of the whole nucleus).
    true_impact : numpy.ndarray
        Distance of the shower axis from the telescope, m.
    true_source_x, true_source_y : numpy.ndarray
        Source position in the camera, mm; NaN for hadrons.
    axis_x, axis_y : numpy.ndarray
        Image centre the time gradient is measured from, mm.
    axis_psi : numpy.ndarray
        Direction of increasing arrival time, rad.
    time_slope : numpy.ndarray
        Arrival-time gradient along that direction, ns/mm.
    time_spread : numpy.ndarray
        Intrinsic per-pixel arrival-time spread, ns.
    components : Components
        The events' Gaussian light components.
    rings : Rings
        The muon rings (a subset of events; empty for gammas).
    """

    particle_id: np.ndarray
    true_energy: np.ndarray  # TeV
    true_impact: np.ndarray  # m
    true_source_x: np.ndarray  # mm (NaN for hadrons)
    true_source_y: np.ndarray
    axis_x: np.ndarray  # image centre the time gradient is measured from, mm
    axis_y: np.ndarray
    axis_psi: np.ndarray  # direction of increasing time, rad
    time_slope: np.ndarray  # ns/mm
    time_spread: np.ndarray  # intrinsic per-pixel time spread, ns
    components: Components
    rings: Rings

    @property
    def n(self) -> int:
        """Number of events in the chunk.

        Returns
        -------
        int
            ``particle_id.size``.
        """
        return self.particle_id.size


def _select(rng, e, r, particle, trigger, geometry):
    """Triggered showers among thrown ones of energies ``e`` and impacts ``r``.

    Two-stage thinning, exact: the yield fluctuation first, kept with the trigger probability
    ``T(size)`` of the total light; then the geometry (``geometry(e, r) -> dict`` with the image
    centre ``cx, cy``) for the survivors only, kept with ``T(size c) / T(size)``, ``c`` the part of
    the light inside the camera. Together: probability ``T(size c)``. Returns the survivors'
    scalars and their rows among the thrown. With a zenith range in ``particle`` each shower draws
    its zenith first (kept as ``zenith``, deg): its light and impact scale by
    :func:`zenith_scaling` before the trigger, its image in :func:`build_gammas` and
    :func:`build_hadrons`.
    """
    thr, width = trigger["threshold_pe"], trigger["width"]
    fluct = _lognormal(rng, e.size, particle["size_fluctuation"])
    zenith = _zenith_angles(rng, e.size, particle)
    if zenith is None:  # at the reference zenith: no draw, the same showers as without zenith
        size = particle["pe_per_tev"] * e * _lateral(r) * fluct
    else:
        light, scale = zenith_scaling(zenith)
        size = particle["pe_per_tev"] * e * light * _lateral(scale * r) * fluct
    p1 = trigger_probability(size, thr, width)
    keep = rng.random(e.size) < p1
    rows = np.flatnonzero(keep)
    e, r, size, p1 = e[keep], r[keep], size[keep], p1[keep]
    if zenith is None:
        cand = {"e": e, "r": r, "size": size, **geometry(e, r)}
    else:
        zenith = zenith[keep]
        # the image's distance from the source ~ impact / distance to the shower maximum
        cand = {"e": e, "r": r, "size": size, "zenith": zenith}
        cand.update(geometry(e, zenith_scaling(zenith)[1] * r))
    p2 = trigger_probability(size * _contained(cand["cx"], cand["cy"]), thr, width) / p1
    keep = rng.random(e.size) < p2
    return {k: v[keep] for k, v in cand.items()}, rows[keep]


def _triggered(rng, n, particle, trigger, geometry, tally=None):
    """Draw showers from the power law of ``particle`` until ``n`` have triggered; rejection on
    per-event scalars, before any pixel. ``tally["n_thrown"]`` (if given) grows by the showers
    thrown up to the ``n``-th triggered one."""
    parts, have, rate, thrown = [], 0, 0.25, 0
    while have < n:
        # batch sized by the acceptance seen so far: few iterations even at 0.5% acceptance
        m = int(min(max(256, 1.2 * (n - have) / rate), 4_000_000))
        e = power_law_energies(
            rng, m, particle["e_min_tev"], particle["e_max_tev"], particle["spectral_index"]
        )
        r = impact_distances(rng, m, particle["max_impact_m"])
        kept, rows = _select(rng, e, r, particle, trigger, geometry)
        parts.append(kept)
        thrown += m if have + rows.size < n else int(rows[n - have - 1]) + 1
        have += rows.size
        rate = max(rows.size / m, 1e-3)
    if tally is not None:
        tally["n_thrown"] = tally.get("n_thrown", 0) + thrown
    return {k: np.concatenate([p[k] for p in parts])[:n].astype(float) for k in parts[0]}


def throw_triggered(rng, m, particle, trigger, geometry, spectrum, e_min, e_max):
    """Throw exactly ``m`` showers with energies from ``spectrum`` (:mod:`iactdl.simulate.fluxes`)
    between ``e_min`` and ``e_max`` (TeV); the scalars of those that trigger (float64).

    Unlike :func:`gamma_showers` (power law until ``n`` trigger), the number thrown is fixed, as
    an observation of a flux needs (:mod:`iactdl.simulate.observation`). Size: ``pe_per_tev * E
    * lateral(r) * lognormal``, the light density flat inside the Cherenkov shoulder (120 m) and
    falling as ``exp(-(r - 120 m) / 70 m)`` beyond; kept with the trigger probability of the
    light inside the camera (:func:`~iactdl.simulate.spectra.trigger_probability`).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of every draw.
    m : int
        Showers to throw.
    particle : Mapping
        The primary's config (``max_impact_m``, ``pe_per_tev``, ``size_fluctuation``, and what
        ``geometry`` reads).
    trigger : Mapping
        ``threshold_pe`` (p.e.) and ``width`` (logistic scale in ln size).
    geometry : callable
        ``geometry(e, r) -> dict`` of per-shower arrays with at least the image centre ``cx``,
        ``cy`` (mm): :func:`gamma_geometry` or :func:`hadron_geometry`.
    spectrum : Mapping
        ``amplitude``, ``index``, ``curvature`` (:func:`~iactdl.simulate.fluxes.dnde`).
    e_min, e_max : float
        Energy range, TeV.

    Returns
    -------
    dict of str to numpy.ndarray
        Per triggered shower (float64): ``e`` (TeV), ``r`` (m), ``size`` (p.e.) and the fields
        of ``geometry``.
    """
    e = spectrum_energies(rng, m, spectrum, e_min, e_max)
    r = impact_distances(rng, m, particle["max_impact_m"])
    kept, _ = _select(rng, e, r, particle, trigger, geometry)
    return {k: v.astype(float) for k, v in kept.items()}


def zenith_scaling(zenith_deg):
    """How a shower seen at zenith angle ``zenith_deg`` differs from one at the reference zenith.

    Parameters
    ----------
    zenith_deg : array_like
        Zenith angles of the pointing, deg (0 to 60: :mod:`iactdl.simulate.settings`).

    Returns
    -------
    light : ndarray
        The Cherenkov light per TeV at the telescope relative to :data:`REFERENCE_ZENITH_DEG`,
        ``s ** ZENITH_LIGHT_INDEX``.
    scale : ndarray
        ``s = cos z / cos z_ref``: the ratio of the distances to the shower maximum, reference
        over this one. Angular sizes and distances in the camera scale with ``s``; the light
        pool's radius with ``1/s``, so an impact ``r`` (m) lies where ``s r`` lies in the
        reference pool.
    """
    # the dtype of zenith_deg (float32 for every thrown shower: _zenith_angles)
    z = np.asarray(zenith_deg)
    scale = np.cos(np.radians(z)) / np.cos(np.radians(z.dtype.type(REFERENCE_ZENITH_DEG)))
    return scale ** z.dtype.type(ZENITH_LIGHT_INDEX), scale


def _zenith_angles(rng, m, particle):
    """Zenith angles (deg) of ``m`` thrown showers, uniform in the ``zenith_min_deg`` to
    ``zenith_max_deg`` of ``particle`` (set by :func:`iactdl.simulate.settings.shower_config`);
    ``None`` at the reference zenith (or without a range), which draws nothing from ``rng``, so a
    simulation there is the same, shower for shower, as one without zenith."""
    lo = particle.get("zenith_min_deg", REFERENCE_ZENITH_DEG)
    hi = particle.get("zenith_max_deg", REFERENCE_ZENITH_DEG)
    if lo == hi == REFERENCE_ZENITH_DEG:
        return None
    # float32, as _lognormal: this runs for every thrown shower (the survivors become float64)
    if lo == hi:
        return np.full(m, lo, dtype=np.float32)
    return np.float32(lo) + np.float32(hi - lo) * rng.random(m, dtype=np.float32)


def _at_zenith(t):
    """``(impact in the reference pool, angular scale)`` of triggered showers ``t``; the scale
    is None at the reference zenith."""
    if "zenith" not in t:
        return t["r"], None
    scale = zenith_scaling(t["zenith"])[1]
    return scale * t["r"], scale


def _shrunk(comp: Components, cx, cy, scale) -> Components:
    """``comp`` with each event's light pattern scaled in angle by ``scale`` about its image
    centre ``cx, cy`` (mm): a farther shower maximum gives a smaller image."""
    if scale is None:
        return comp
    s = scale[comp.event]
    ex, ey = cx[comp.event], cy[comp.event]
    comp.cx = ex + s * (comp.cx - ex)
    comp.cy = ey + s * (comp.cy - ey)
    comp.sigma_l = s * comp.sigma_l
    comp.sigma_w = s * comp.sigma_w
    return comp


def _lateral(impact_m):
    """Relative Cherenkov light density at the telescope vs impact distance."""
    return np.exp(-np.maximum(impact_m - SHOULDER_M, 0.0) / FALLOFF_M)


def _lognormal(rng, n, sigma):
    """Mean-one log-normal factors (float32: this runs for every candidate shower)."""
    z = rng.standard_normal(n, dtype=np.float32)
    return np.exp(np.float32(sigma) * z - np.float32(0.5 * sigma**2))


def _no_rings():
    e = np.empty(0)
    return Rings(np.empty(0, dtype=np.int64), e, e, e, e, e, e, e)


def _contained(cx, cy):
    """Trigger-relevant fraction of the light inside the camera (field of view radius ~190 mm)."""
    return 1.0 / (1.0 + np.exp((np.hypot(cx, cy) - CAMERA_RADIUS_MM) / 15.0))


def gamma_geometry(rng, draw_source):
    """``geometry(e, r)`` of gammas: source (``draw_source(m) -> (x, y)``, mm) and image centre.

    The image centre lies at ``disp = 0.55 mm/m * r * (1 + 0.08 lg(E / TeV))`` (12 % spread)
    from the source in a uniform direction ``phi`` (the DISP relation, Lessard et al. 2001).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the directions and the spread (captured by the returned function).
    draw_source : callable
        ``draw_source(m) -> (x, y)``: ``m`` source positions in the camera, mm.

    Returns
    -------
    callable
        ``geometry(e, r) -> dict`` with per-shower ``sx``, ``sy`` (source, mm), ``phi`` (rad:
        direction from the source to the image, the image's axis) and ``cx``, ``cy`` (image
        centre, mm), for energies ``e`` (TeV) and impacts ``r`` (m).
    """

    def geometry(e, r):
        m = e.size
        sx, sy = draw_source(m)
        phi = 2 * np.pi * rng.random(m)  # direction from the source to the image (impact azimuth)
        disp = DISP_MM_PER_M * r * (1 + 0.08 * np.log10(e))
        disp = disp * np.clip(1 + 0.12 * rng.standard_normal(m), 0.5, 2)
        cx, cy = sx + disp * np.cos(phi), sy + disp * np.sin(phi)
        return {"sx": sx, "sy": sy, "phi": phi, "cx": cx, "cy": cy}

    return geometry


def gamma_showers(rng, n, draw_source, particle, trigger, tally=None) -> Showers:
    """Gamma-ray showers; ``draw_source(m) -> (x, y)`` draws ``m`` source positions (mm).

    ``particle``: the config of the primary (``e_min_tev``, ``e_max_tev``, ``spectral_index``,
    ``max_impact_m``, ``pe_per_tev``, ``size_fluctuation``); ``trigger``: ``threshold_pe`` and
    ``width``; ``tally``: a dict whose ``n_thrown`` counts the showers thrown.

    Showers are thrown from the power law in batches until ``n`` have triggered (rejection on
    per-event scalars, before any pixel), then built by :func:`build_gammas`.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of every draw.
    n : int
        Triggered showers wanted.
    draw_source : callable
        ``draw_source(m) -> (x, y)``: source positions, mm (e.g.
        :func:`~iactdl.simulate.spectra.wobble_positions`).
    particle : Mapping
        The primary's config (keys above).
    trigger : Mapping
        ``threshold_pe`` (p.e.) and ``width`` (logistic scale in ln size).
    tally : dict, optional
        ``tally["n_thrown"]`` grows by the showers thrown up to the ``n``-th triggered one.

    Returns
    -------
    Showers
        ``n`` gamma showers.
    """
    t = _triggered(rng, n, particle, trigger, gamma_geometry(rng, draw_source), tally)
    return build_gammas(rng, t)


def build_gammas(rng, t) -> Showers:
    """Gamma showers from the scalars of triggered ones (energy, impact, size, geometry).

    Per shower a core ellipse (width 6.6 mm, length 14 mm at 1 TeV and small impact, growing
    with lg E and impact, log-normal spread 18 %) pointing back to the source, a fainter, longer
    tail component (30 +- 20 % of the light) 0.6 to 1.8 lengths further from the source
    (head-tail asymmetry), and for 18 % of showers a detached sub-cascade beyond it; arrival
    times with slope ``min(0.028 (r / 100 m)^2, 0.2)`` ns/mm, intrinsic spread 0.8 ns.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of every draw.
    t : Mapping of str to numpy.ndarray
        Per triggered shower: ``e`` (TeV), ``r`` (m), ``size`` (p.e.), ``phi`` (rad), ``cx``,
        ``cy``, ``sx``, ``sy`` (mm), as from :func:`gamma_geometry` via
        :func:`throw_triggered`.

    Returns
    -------
    Showers
        The gamma showers, no rings.
    """
    n = t["e"].size
    e, r, size, phi, cx, cy = (t[k] for k in ("e", "r", "size", "phi", "cx", "cy"))
    r_ref, zscale = _at_zenith(t)
    lg = np.log10(e)
    cos, sin = np.cos(phi), np.sin(phi)
    scale = 1 + r_ref / 100.0
    width = WIDTH_MM * (1 + 0.10 * lg) * (1 + 0.10 * (scale - 1)) * _lognormal(rng, n, 0.18)
    length = LENGTH_MM * (1 + 0.22 * lg) * (1 + 0.28 * (scale - 1)) * _lognormal(rng, n, 0.18)
    width, length = np.maximum(width, 1.5), np.maximum(length, width)
    # head-tail: a fainter, longer tail component further from the source
    f_tail = np.clip(0.3 + 0.2 * rng.standard_normal(n), 0.0, 0.7)
    shift = rng.uniform(0.6, 1.8, n) * length
    # a few showers have a detached late sub-cascade beyond the tail (a second island)
    sat = np.flatnonzero(rng.random(n) < GAMMA_SATELLITE_FRACTION)
    k = sat.size
    sat_shift = rng.uniform(2.0, 3.5, k) * length[sat]
    sat_off = rng.normal(0.0, 6.0, k)
    sat_frac = rng.uniform(0.12, 0.25, k)
    core_amp = size * (1 - f_tail)
    core_amp[sat] -= size[sat] * sat_frac
    comp = _sorted(
        Components(
            event=np.concatenate([np.arange(n), np.arange(n), sat]),
            amp=np.concatenate([core_amp, size * f_tail, size[sat] * sat_frac]),
            cx=np.concatenate(
                [cx, cx + shift * cos, cx[sat] + sat_shift * cos[sat] - sat_off * sin[sat]]
            ),
            cy=np.concatenate(
                [cy, cy + shift * sin, cy[sat] + sat_shift * sin[sat] + sat_off * cos[sat]]
            ),
            psi=np.concatenate([phi, phi, phi[sat]]),
            sigma_l=np.concatenate([length, 1.5 * length, rng.uniform(3.0, 5.0, k)]),
            sigma_w=np.concatenate([width, 1.1 * width, rng.uniform(2.5, 4.0, k)]),
        )
    )
    comp = _shrunk(comp, cx, cy, zscale)
    slope = np.minimum(0.028 * (r_ref / 100.0) ** 2, 0.2)
    return Showers(
        particle_id=np.full(n, PARTICLE_ID["gamma"], dtype=np.int64),
        true_energy=e,
        true_impact=r,
        true_source_x=t["sx"],
        true_source_y=t["sy"],
        axis_x=cx,
        axis_y=cy,
        axis_psi=phi,
        time_slope=slope,
        time_spread=np.full(n, 0.8),
        components=comp,
        rings=_no_rings(),
    )


def hadron_geometry(rng, particle):
    """``geometry(e, r)`` of hadrons: an isotropic arrival direction ``dx, dy`` (mm) within
    ``particle['max_offset_deg']`` of the camera centre, the image centre displaced from it along
    the main axis (as the disp method assumes: the axis passes through the arrival direction).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the directions and spreads (captured by the returned function).
    particle : Mapping
        The primary's config: ``max_offset_deg`` (deg) and ``disp_scale`` (factor on the
        distance of the image from the arrival direction; < 1 for helium).

    Returns
    -------
    callable
        ``geometry(e, r) -> dict`` with per-shower ``dx``, ``dy`` (arrival direction, mm),
        ``phi`` (rad) and ``cx``, ``cy`` (image centre, mm), for energies ``e`` (TeV) and
        impacts ``r`` (m).
    """

    def geometry(e, r):
        m = e.size
        dx, dy = disk_positions(rng, m, particle["max_offset_deg"])
        phi = 2 * np.pi * rng.random(m)
        disp = DISP_MM_PER_M * r * np.clip(1 + 0.3 * rng.standard_normal(m), 0.2, 3)
        disp = disp * particle["disp_scale"]
        cx, cy = dx + disp * np.cos(phi), dy + disp * np.sin(phi)
        return {"phi": phi, "dx": dx, "dy": dy, "cx": cx, "cy": cy}

    return geometry


def proton_showers(rng, n, particle, trigger, tally=None) -> Showers:
    """Proton showers, isotropic within ``particle['max_offset_deg']`` of the camera centre.

    Besides the keys of :func:`gamma_showers`: ``gamma_like_fraction`` (showers dominated by one
    early pi0 cascade), ``mean_subshowers`` (at 1 TeV; grows with energy), ``muon_fraction``,
    ``width_scale`` and ``disp_scale`` (of the image size and of its distance from the arrival
    direction: 1 for protons; see :func:`build_hadrons` for helium).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of every draw.
    n : int
        Triggered showers wanted.
    particle : Mapping
        The primary's config (keys above and those of :func:`gamma_showers`).
    trigger : Mapping
        ``threshold_pe`` (p.e.) and ``width`` (logistic scale in ln size).
    tally : dict, optional
        ``tally["n_thrown"]`` grows by the showers thrown up to the ``n``-th triggered one.

    Returns
    -------
    Showers
        ``n`` proton showers, muon rings included.
    """
    t = _triggered(rng, n, particle, trigger, hadron_geometry(rng, particle), tally)
    return build_hadrons(rng, t, particle, "proton")


def build_hadrons(rng, t, particle, primary: str) -> Showers:
    """Hadron showers (``primary``: ``proton`` or ``helium``) from the scalars of triggered ones.

    Helium differs from protons through its config alone (``simulation.helium``): by the
    superposition model a nucleus of energy E showers like 4 nucleons of E/4, so its shower
    maximum is higher (by ~X0 ln 4 ~ 50 g/cm^2: ``disp_scale`` < 1, the image closer to the arrival
    direction), it gives less Cherenkov light per TeV (``pe_per_tev``), fluctuates less
    (``size_fluctuation``), is broader (``width_scale``), has more pi0 sub-showers
    (``mean_subshowers``) and is less often dominated by one early pi0 cascade
    (``gamma_like_fraction``).

    Per shower a main component 1.2 to 2.2 times a gamma's width and 1.2 to 2.3 times its length
    (the ``gamma_like_fraction`` of showers: 1.0 to 1.3 and 1.0 to 1.2, and fewer sub-showers),
    its axis scattered by 0.25 rad (std) about the direction to its origin; up to two compact pi0
    sub-showers 25 to 55 mm away (Poisson mean ``mean_subshowers * max(1 + 0.5 lg(E / TeV),
    0.3)``, together at most 60 % of the light); a ``muon_fraction`` of the events are a muon
    ring (150 to 600 p.e.) beside a faint shower (5 % of the size, no sub-showers).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of every draw.
    t : Mapping of str to numpy.ndarray
        Per triggered shower: ``e`` (TeV), ``r`` (m), ``size`` (p.e.), ``phi`` (rad), ``cx``,
        ``cy`` (mm), as from :func:`hadron_geometry` via :func:`throw_triggered`.
    particle : Mapping
        The primary's config: ``muon_fraction``, ``gamma_like_fraction``, ``width_scale``,
        ``mean_subshowers``.
    primary : str
        ``"proton"`` or ``"helium"``: the ``particle_id`` (:data:`iactdl.io.PARTICLE_ID`).

    Returns
    -------
    Showers
        The hadron showers; source positions NaN.
    """
    n = t["e"].size
    e, r, size, phi, cx, cy = (t[k] for k in ("e", "r", "size", "phi", "cx", "cy"))
    # muon events (a fraction of the *triggered* events) trigger on their ring; the parent shower
    # is far away and faint
    muon = rng.random(n) < particle["muon_fraction"]
    ring_amp = rng.uniform(150.0, 600.0, n)
    r_ref, zscale = _at_zenith(t)
    lg = np.log10(e)
    psi = phi + 0.25 * rng.standard_normal(n)  # hadron axes point less well to their origin
    scale = 1 + r_ref / 100.0
    gamma_like = rng.random(n) < particle["gamma_like_fraction"]
    wfac = np.where(gamma_like, rng.uniform(1.0, 1.3, n), rng.uniform(1.2, 2.2, n))
    lfac = np.where(gamma_like, rng.uniform(1.0, 1.2, n), rng.uniform(1.2, 2.3, n))
    width = WIDTH_MM * wfac * (1 + 0.10 * lg) * (1 + 0.10 * (scale - 1)) * _lognormal(rng, n, 0.25)
    length = (
        LENGTH_MM * lfac * (1 + 0.22 * lg) * (1 + 0.28 * (scale - 1)) * _lognormal(rng, n, 0.25)
    )
    width, length = width * particle["width_scale"], length * particle["width_scale"]
    width, length = np.maximum(width, 1.5), np.maximum(length, width)
    # sub-showers: pi0 cascades displaced from the core; more of them at higher energy
    lam = particle["mean_subshowers"] * np.clip(1 + 0.5 * lg, 0.3, None)
    lam = np.where(gamma_like, 0.3 * lam, lam)
    n_sub = np.minimum(rng.poisson(lam), 2)
    n_sub = np.where(muon, 0, n_sub)
    sub_event = np.repeat(np.arange(n), n_sub)
    m = sub_event.size
    sub_frac = rng.uniform(0.08, 0.25, m)
    frac_total = np.bincount(sub_event, weights=sub_frac, minlength=n)
    norm = np.maximum(frac_total / 0.6, 1.0)  # sub-showers carry at most 60% of the light
    sub_frac = sub_frac / norm[sub_event]
    main_frac = 1 - np.bincount(sub_event, weights=sub_frac, minlength=n)
    off_r = rng.uniform(25.0, 55.0, m) * (1 + 0.3 * (scale[sub_event] - 1))
    off_a = 2 * np.pi * rng.random(m)
    main_amp = np.where(muon, 0.05 * size, size * main_frac)
    comp = _sorted(
        Components(
            event=np.concatenate([np.arange(n), sub_event]),
            amp=np.concatenate([main_amp, size[sub_event] * sub_frac]),
            cx=np.concatenate([cx, cx[sub_event] + off_r * np.cos(off_a)]),
            cy=np.concatenate([cy, cy[sub_event] + off_r * np.sin(off_a)]),
            psi=np.concatenate([psi, off_a]),
            sigma_l=np.concatenate([length, rng.uniform(4.0, 9.0, m)]),
            sigma_w=np.concatenate([width, rng.uniform(2.5, 4.5, m)]),
        )
    )
    comp = _shrunk(comp, cx, cy, zscale)  # not the muon rings: local muons, no shower maximum
    mu = np.flatnonzero(muon)
    k = mu.size
    rc = disk_positions(rng, k, 0.9)
    rings = Rings(
        event=mu,
        amp=ring_amp[mu],
        cx=rc[0],
        cy=rc[1],
        radius=rng.normal(95.0, 5.0, k),
        sigma=rng.uniform(2.5, 4.5, k),
        rho=rng.uniform(0.0, 0.9, k),
        phi0=2 * np.pi * rng.random(k),
    )
    slope = np.minimum(0.028 * (r_ref / 100.0) ** 2, 0.2) * rng.uniform(0.3, 1.2, n)
    nan = np.full(n, np.nan)
    return Showers(
        particle_id=np.full(n, PARTICLE_ID[primary], dtype=np.int64),
        true_energy=e,
        true_impact=r,
        true_source_x=nan,
        true_source_y=nan.copy(),
        axis_x=cx,
        axis_y=cy,
        axis_psi=psi,
        time_slope=slope,
        time_spread=rng.uniform(0.9, 2.0, n),
        components=comp,
        rings=rings,
    )


def _sorted(c: Components) -> Components:
    order = np.argsort(c.event, kind="stable")
    return Components(*(getattr(c, f.name)[order] for f in fields(Components)))


def concat_showers(parts: list[Showers]) -> Showers:
    """Concatenate chunks of showers (events renumbered in order).

    Parameters
    ----------
    parts : list of Showers
        The chunks, in order; at least one.

    Returns
    -------
    Showers
        One chunk of ``sum(p.n for p in parts)`` events; the ``event`` rows of components and
        rings are shifted by the events before their chunk.
    """
    offsets = np.cumsum([0] + [p.n for p in parts[:-1]])

    def cat(objs, cls, shift):
        out = {}
        for f in fields(cls):
            vals = [getattr(o, f.name) for o in objs]
            if f.name == "event":
                vals = [v + s for v, s in zip(vals, shift, strict=True)]
            out[f.name] = np.concatenate(vals)
        return cls(**out)

    per_event = {
        f.name: np.concatenate([getattr(p, f.name) for p in parts])
        for f in fields(Showers)
        if f.name not in ("components", "rings")
    }
    return Showers(
        **per_event,
        components=cat([p.components for p in parts], Components, offsets),
        rings=cat([p.rings for p in parts], Rings, offsets),
    )
