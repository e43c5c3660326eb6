"""The camera's response: optics (PSF), photon statistics, noise, gains, dead pixels, arrival times.

From the expected photo-electrons per pixel (a chunk ``(n_events, 1440)``) to what the FACT
readout reports, vectorised over events:

1. **Optics and pixels.** Every Gaussian component is convolved with the mirror's point-spread
   function (Gaussian, ``psf_sigma_mm``) and with the hexagonal pixel (a hexagon of flat-to-flat
   ``d`` has variance ``5 d^2 / 72`` per axis), which for Gaussians is a sum of variances, and then
   evaluated at the pixel centres times the pixel area. The exponent is a quadratic form in the
   pixel coordinates, so a whole chunk of components is one matrix product with the fixed
   ``(6, 1440)`` table of ``x^2, xy, y^2, x, y, 1`` followed by one ``exp``.
2. **Photon statistics.** Poisson counts (only where the expectation is non-negligible: a sparse
   pass), with the excess noise of the G-APDs (optical crosstalk, ENF ~ 1.1).
3. **Night-sky background and electronics.** Per pixel, Poisson NSB photo-electrons (pedestal
   subtracted) smeared by the excess noise, plus Gaussian electronics noise. Drawn by inverse-CDF
   look-up: the distribution is tabulated once per detector at 65536 quantiles, and each pixel costs
   one random ``uint16`` and one gather (exact in distribution up to quantile resolution 1.5e-5).
4. **Gains.** A fixed per-pixel gain spread (flat-fielding residuals) and a global gain factor
   (``gain`` < 1: the observed camera's calibration drifted low).
5. **Dead pixels** read zero charge.
6. **Arrival times.** Pixels with Cherenkov photons: the shower's time at the pixel (gradient along
   the axis) plus a spread shrinking like ``1/sqrt(n_pe)`` and a per-pixel jitter, all shifted by
   the trigger's placement of the readout window (:func:`trigger_time_offsets`); pixels without:
   a uniform time in the readout window.
7. **The trigger's time placement** (both detectors, one code path, magnitudes from config). The
   readout window is placed by the trigger, which fires when the summed signal of a trigger patch
   crosses a threshold on its rising edge: a brighter shower crosses it earlier relative to its
   own light, so its light sits *later* in the window (time walk), and noise on the edge moves it
   from event to event (jitter). Per event ``walk_ns * (1 - sqrt(WALK_SIZE_REF_PE / size)) +
   jitter_ns * N(0, 1)``, ``size`` the expected Cherenkov p.e. of the image's bright pixels times
   the gain (:func:`trigger_size`: what the trigger patches see, before photon statistics): 0
   walk at 100 p.e., up to ``+walk_ns`` for very bright showers, ``-0.8 walk_ns`` at 30 p.e. The
   ``a / sqrt(size)`` form (not ``a / size``): it is the usual correction of a leading-edge
   discriminator's walk (``t = a / sqrt(Q)``), it fits FACT's observed photon-stream file better
   (residual scatter 2.1 vs 2.4 ns; the 44 simulated events cannot tell, 0.50 vs 0.42 ns) and it
   stays finite near threshold, where ``a / size`` would triple the walk of a 100 p.e. shower at
   33 p.e. The magnitudes in config.yaml are those whose measurement reproduces the measurement on
   those files (``benchmarks/trigger_time.py``, :mod:`iactdl.features.showertime`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from iactdl.camera import fact_camera
from iactdl.simulate.showers import Components, Rings, Showers

__all__ = [
    "Detector",
    "render_expected",
    "detect",
    "trigger_size",
    "trigger_time_offsets",
    "walk_shape",
    "WALK_SIZE_REF_PE",
]

N_QUANTILES = 65536
SIGNAL_T0_NS = 20.0  # where in the readout window the shower arrives
NOISE_WINDOW_NS = (5.0, 45.0)  # peak times of pixels with noise only
MIN_EXPECTED_PE = 0.01  # Poisson sampling only where the expectation exceeds this
WALK_SIZE_REF_PE = 100.0  # the brightness (p.e.) at which the trigger walk is zero
TRIGGER_PIXEL_PE = 3.0  # pixels of at least this expected light make the trigger's brightness


@dataclass(frozen=True)
class Detector:
    """One camera configuration (the simulated one, or the observed one that differs from it).

    Parameters
    ----------
    nsb_pe : float, optional
        Mean night-sky-background photo-electrons per pixel in the integration window (p.e.,
        Poisson, pedestal subtracted); default 0.8.
    electronics_noise_pe : float, optional
        Standard deviation of the Gaussian electronics noise per pixel, p.e.; default 0.5.
    excess_noise : float, optional
        Relative charge spread of one photo-electron: ``k`` p.e. read ``k + sqrt(k) *
        excess_noise * N(0, 1)`` (G-APD crosstalk); default 0.1.
    gain : float, optional
        Global gain factor on every pixel's charge (< 1: calibration drifted low); default 1.
    gain_spread : float, optional
        Relative standard deviation of the fixed per-pixel gains (flat-fielding residuals);
        default 0.05.
    psf_sigma_mm : float, optional
        Standard deviation of the mirror's Gaussian point-spread function on the camera, mm;
        default 3.5.
    dead_pixel_fraction : float, optional
        Fraction of pixels that read zero charge; default 0.
    time_jitter_ns : float, optional
        Extra per-pixel arrival-time spread, ns; default 0.
    trigger_walk_ns : float, optional
        Magnitude of the trigger's time walk (see the module docstring, step 7), ns; default 0.
    trigger_jitter_ns : float, optional
        Standard deviation of the trigger's event-to-event time jitter, ns; default 0.
    trigger_threshold_factor : float, optional
        Factor on the trigger threshold; acts on the showers before the trigger
        (:func:`iactdl.simulate.settings.shower_config`), not here. Default 1.
    atmospheric_transmission : float, optional
        Factor on the Cherenkov light reaching the camera; like the threshold factor it acts on
        the showers (:func:`~iactdl.simulate.settings.shower_config`). Default 1.
    zenith_min_deg, zenith_max_deg : float, optional
        The range of zenith angles (deg) the showers are observed at, drawn uniformly per
        shower; like the threshold factor they act on the showers
        (:func:`iactdl.simulate.showers.zenith_scaling`), not here. Default 15 and 15: the
        simulation's fixed zenith.
    """

    nsb_pe: float = 0.8
    electronics_noise_pe: float = 0.5
    excess_noise: float = 0.1
    gain: float = 1.0
    gain_spread: float = 0.05
    psf_sigma_mm: float = 3.5
    dead_pixel_fraction: float = 0.0
    time_jitter_ns: float = 0.0
    trigger_walk_ns: float = 0.0
    trigger_jitter_ns: float = 0.0
    # act before the trigger, on the showers (iactdl.simulate.settings.shower_config), not here
    trigger_threshold_factor: float = 1.0
    atmospheric_transmission: float = 1.0
    zenith_min_deg: float = 15.0
    zenith_max_deg: float = 15.0

    @classmethod
    def from_config(cls, section) -> Detector:
        """A detector from a config section (``simulation.detector`` or the observed one's).

        Parameters
        ----------
        section : Mapping
            Field name to number; missing fields keep their defaults, every value is cast to
            float. An unknown name raises ``TypeError``.

        Returns
        -------
        Detector
            The camera configuration.
        """
        return cls(**{k: float(v) for k, v in dict(section).items()})

    def noise_quantiles(self, rng: np.random.Generator) -> np.ndarray:
        """The pixel noise distribution (p.e.), tabulated at ``N_QUANTILES`` quantiles.

        ``k + sqrt(k) * excess_noise * N(0, 1) - nsb_pe + electronics_noise_pe * N(0, 1)`` with
        ``k ~ Poisson(nsb_pe)``, sampled 2^20 times and read at the quantiles ``(i + 1/2) /
        N_QUANTILES`` (nearest rank), for the inverse-CDF look-up of :func:`detect`.

        Parameters
        ----------
        rng : numpy.random.Generator
            Source of the 2^20 draws.

        Returns
        -------
        numpy.ndarray
            Shape (65536,), float32, ascending, p.e.
        """
        m = 1 << 20
        k = rng.poisson(self.nsb_pe, m).astype(float)
        nsb = k + np.sqrt(k) * self.excess_noise * rng.standard_normal(m) - self.nsb_pe
        total = nsb + self.electronics_noise_pe * rng.standard_normal(m)
        total.sort()
        # quantile (i + 1/2) / N_QUANTILES of the sorted sample, nearest rank
        idx = ((np.arange(N_QUANTILES) + 0.5) * (m / N_QUANTILES)).astype(np.int64)
        return total[idx].astype(np.float32)

    def pixel_gains(self, rng: np.random.Generator) -> np.ndarray:
        """Per-pixel gain (global gain times a fixed spread), zero for dead pixels.

        ``gain * max(1 + gain_spread * N(0, 1), 0.3)`` per pixel; ``round(dead_pixel_fraction *
        1440)`` pixels drawn at random get 0.

        Parameters
        ----------
        rng : numpy.random.Generator
            Source of the spread and of the dead pixels' choice.

        Returns
        -------
        numpy.ndarray
            Shape (1440,), float32, dimensionless.
        """
        n = fact_camera().n_pixels
        g = self.gain * np.clip(1 + self.gain_spread * rng.standard_normal(n), 0.3, None)
        n_dead = int(round(self.dead_pixel_fraction * n))
        g[rng.choice(n, n_dead, replace=False)] = 0.0
        return g.astype(np.float32)


def _pixel_basis() -> np.ndarray:
    cam = fact_camera()
    x, y = cam.x, cam.y
    return np.stack([x * x, x * y, y * y, x, y, np.ones_like(x)]).astype(np.float32)


def _pixel_variance_mm2() -> float:
    return 5.0 / 72.0 * fact_camera().pitch_mm ** 2


def _gaussian_coefficients(c: Components, psf_sigma_mm: float) -> np.ndarray:
    """Rows ``(n_comp, 6)``: ln(expected p.e. in a pixel) = row @ (x^2, xy, y^2, x, y, 1)."""
    extra = psf_sigma_mm**2 + _pixel_variance_mm2()
    vl, vw = c.sigma_l**2 + extra, c.sigma_w**2 + extra
    cs, sn = np.cos(c.psi), np.sin(c.psi)
    a = cs**2 / vl + sn**2 / vw
    b = cs * sn * (1 / vl - 1 / vw)
    d = sn**2 / vl + cs**2 / vw
    area = fact_camera().pixel_area_mm2
    log_norm = np.log(np.maximum(c.amp, 1e-30) * area / (2 * np.pi * np.sqrt(vl * vw)))
    cx, cy = c.cx, c.cy
    coef = np.stack(
        [
            -0.5 * a,
            -b,
            -0.5 * d,
            a * cx + b * cy,
            b * cx + d * cy,
            log_norm - 0.5 * (a * cx**2 + 2 * b * cx * cy + d * cy**2),
        ],
        axis=1,
    )
    return coef.astype(np.float32)


def _ring_light(r: Rings, psf_sigma_mm: float) -> np.ndarray:
    """Expected p.e. per pixel of each ring, ``(n_rings, 1440)``."""
    cam = fact_camera()
    dx = cam.x[None, :] - r.cx[:, None]
    dy = cam.y[None, :] - r.cy[:, None]
    rad = np.hypot(dx, dy)
    s = np.sqrt(r.sigma**2 + psf_sigma_mm**2 + _pixel_variance_mm2())[:, None]
    radial = np.exp(-0.5 * ((rad - r.radius[:, None]) / s) ** 2) / (np.sqrt(2 * np.pi) * s)
    azimuthal = 1 + r.rho[:, None] * np.cos(np.arctan2(dy, dx) - r.phi0[:, None])
    dens = r.amp[:, None] * radial * azimuthal / (2 * np.pi * r.radius[:, None])
    return (dens * cam.pixel_area_mm2).astype(np.float32)


def render_expected(showers: Showers, psf_sigma_mm: float) -> np.ndarray:
    """Expected Cherenkov photo-electrons per pixel, ``(n_events, 1440)`` float32.

    Each Gaussian component (amplitude ``A`` p.e., standard deviations ``sigma_l``, ``sigma_w``
    along and across its axis ``psi``) is widened by the PSF and the hexagonal pixel,
    ``sigma^2 + psf_sigma_mm^2 + 5 d^2 / 72`` (``d`` the pixel pitch), and evaluated at the
    pixel centres times the pixel area; muon rings add a Gaussian radial profile around their
    radius, modulated by ``1 + rho cos(phi - phi0)``.

    Parameters
    ----------
    showers : Showers
        A chunk of showers; every event needs at least one component.
    psf_sigma_mm : float
        Standard deviation of the optical point-spread function, mm.

    Returns
    -------
    numpy.ndarray
        Expected p.e. per pixel, shape (n_events, 1440), float32.

    Raises
    ------
    ValueError
        If an event has no light component.
    """
    c = showers.components
    light = np.exp(_gaussian_coefficients(c, psf_sigma_mm) @ _pixel_basis())
    starts = np.flatnonzero(np.r_[True, c.event[1:] != c.event[:-1]])
    if starts.size != showers.n:
        raise ValueError("every event needs at least one light component")
    # the j-th components of all events are distinct rows: add them rank by rank (few ranks),
    # which is much faster than a segmented reduction over rows
    rank = np.arange(c.event.size) - starts[c.event]
    mu = light[starts]
    for j in range(1, int(rank.max()) + 1):
        rows = np.flatnonzero(rank == j)
        mu[c.event[rows]] += light[rows]
    if showers.rings.event.size:
        mu[showers.rings.event] += _ring_light(showers.rings, psf_sigma_mm)
    return mu


def walk_shape(size, size_ref: float = WALK_SIZE_REF_PE, power: float = 0.5) -> np.ndarray:
    """``1 - (size_ref / size)^power``: 0 at ``size_ref``, -> 1 for bright showers, negative for
    faint ones (sizes below 1 p.e. count as 1). ``power`` 0.5 is the walk model; 1 (``a / size``)
    is the alternative the measurement compares it with.

    Parameters
    ----------
    size : array_like
        Brightness per event, p.e. (:func:`iactdl.simulate.detector.trigger_size`).
    size_ref : float, optional
        Brightness of zero walk, p.e.; default
        :data:`iactdl.simulate.detector.WALK_SIZE_REF_PE` (100).
    power : float, optional
        Exponent of the walk model; default 0.5 (``t = a / sqrt(Q)`` of a leading-edge
        discriminator).

    Returns
    -------
    numpy.ndarray
        The walk in units of its magnitude, float64, shape of ``size``; < 1.
    """
    size = np.maximum(np.asarray(size, dtype=np.float64), 1.0)
    return 1.0 - (size_ref / size) ** power


def trigger_size(mu: np.ndarray, gain: float = 1.0) -> np.ndarray:
    """The brightness the trigger's walk follows, per event (p.e.): the expected Cherenkov light of
    the pixels with at least ``TRIGGER_PIXEL_PE`` expected p.e. (the core that fires the trigger
    patches; faint tails add little to the rising edge), times the global gain (the discriminator
    sees the electronics' signal). It tracks the size of the cleaned image (within ~25 % in log)
    far better than the camera's total light (~45-55 %), so the walk measured against the cleaned
    size is the walk configured.

    Parameters
    ----------
    mu : numpy.ndarray
        Expected Cherenkov p.e. per pixel, shape (n_events, 1440) (:func:`render_expected`).
    gain : float, optional
        The detector's global gain; default 1.

    Returns
    -------
    numpy.ndarray
        Brightness per event, p.e., shape (n_events,), float64.
    """
    return np.where(mu >= TRIGGER_PIXEL_PE, mu, 0.0).sum(axis=1, dtype=np.float64) * gain


def trigger_time_offsets(
    rng: np.random.Generator, size: np.ndarray, walk_ns: float, jitter_ns: float
) -> np.ndarray:
    """Per event, where the trigger puts the shower in the readout window relative to a shower of
    ``WALK_SIZE_REF_PE`` (ns): ``walk_ns * walk_shape(size) + jitter_ns * N(0, 1)``.

    Draws one normal per event whatever the magnitudes, so the random stream (and every later
    draw) is the same for every detector.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the jitter.
    size : numpy.ndarray
        Brightness per event, p.e. (:func:`trigger_size`).
    walk_ns : float
        Magnitude of the walk, ns (``Detector.trigger_walk_ns``).
    jitter_ns : float
        Standard deviation of the jitter, ns (``Detector.trigger_jitter_ns``).

    Returns
    -------
    numpy.ndarray
        Time offset per event, ns, shape of ``size``, float64.
    """
    z = rng.standard_normal(np.shape(size))
    return walk_ns * walk_shape(size) + jitter_ns * z


def detect(
    rng: np.random.Generator,
    showers: Showers,
    detector: Detector,
    noise_quantiles: np.ndarray,
    gains: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Images (p.e.) and peak times (ns) of a chunk of showers, each (n_events, 1440) float32.

    Steps 2 to 7 of the module docstring on :func:`render_expected`'s light: Poisson photons
    where more than ``MIN_EXPECTED_PE`` are expected, smeared by the excess noise; noise from
    ``noise_quantiles`` in every pixel; times the gains. Pixels with photons get the time
    ``SIGNAL_T0_NS + trigger offset + time_slope * (distance along the axis) + N(0, spread)``
    with ``spread = sqrt(time_spread^2 + (1.5 ns)^2 / k + time_jitter_ns^2)`` for ``k`` photons;
    the others a uniform time in ``NOISE_WINDOW_NS``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of every draw (photons, noise, times, trigger jitter).
    showers : Showers
        A chunk of showers.
    detector : Detector
        The camera configuration (PSF, excess noise, time jitter, gain, trigger walk and jitter).
    noise_quantiles : numpy.ndarray
        The detector's noise distribution, shape (65536,) (:meth:`Detector.noise_quantiles`).
    gains : numpy.ndarray
        Per-pixel gains, shape (1440,), 0 for dead pixels (:meth:`Detector.pixel_gains`).

    Returns
    -------
    image : numpy.ndarray
        Charge per pixel, p.e., shape (n_events, 1440), float32.
    peak_time : numpy.ndarray
        Arrival time per pixel in the readout window, ns, shape (n_events, 1440), float32.
    """
    cam = fact_camera()
    mu = render_expected(showers, detector.psf_sigma_mm)
    n, n_pix = mu.shape
    # sparse photon statistics: only pixels that can see a photon
    flat = np.flatnonzero(mu > MIN_EXPECTED_PE)
    k = rng.poisson(mu.ravel()[flat])
    hit = k > 0
    flat, k = flat[hit], k[hit].astype(np.float32)
    charge = k + np.sqrt(k) * np.float32(detector.excess_noise) * rng.standard_normal(
        k.size, dtype=np.float32
    )
    image = noise_quantiles[rng.integers(0, N_QUANTILES, (n, n_pix), dtype=np.uint16)]
    image.ravel()[flat] += charge
    image *= gains
    # arrival times
    lo, hi = NOISE_WINDOW_NS
    peak_time = rng.random((n, n_pix), dtype=np.float32) * np.float32(hi - lo) + np.float32(lo)
    ev, pix = np.divmod(flat, n_pix)
    along = (cam.x[pix] - showers.axis_x[ev]) * np.cos(showers.axis_psi[ev]) + (
        cam.y[pix] - showers.axis_y[ev]
    ) * np.sin(showers.axis_psi[ev])
    spread = np.sqrt(showers.time_spread[ev] ** 2 + 1.5**2 / k + detector.time_jitter_ns**2)
    # the trigger places the window: walk with the light it sees, plus jitter
    event_offset = trigger_time_offsets(
        rng, trigger_size(mu, detector.gain), detector.trigger_walk_ns, detector.trigger_jitter_ns
    )
    t = (
        SIGNAL_T0_NS
        + event_offset[ev]
        + showers.time_slope[ev] * along
        + spread * rng.standard_normal(k.size)
    )
    peak_time.ravel()[flat] = t
    return image, peak_time
