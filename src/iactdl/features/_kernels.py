"""Optional compiled kernel of the cleaning (+ island count), used when numba is importable.

Same algorithm and results as the numpy path of ``tailcuts_clean_pixels`` (tested to be
identical), fused into one pass per event: threshold scan, picture/boundary
neighbour logic on the event's candidates, optional time constraint, and the islands by a
union-find over the kept candidates. numba is not a dependency of iactdl (it comes with
ctapipe); without it the numpy path runs.
"""

from __future__ import annotations

import numpy as np

__all__ = ["HAVE_NUMBA", "MOMENT_COLUMNS", "clean_chunk", "event_moments"]

try:
    from numba import njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_NUMBA = False

    def njit(*args, **kwargs):  # noqa: D103
        def wrap(f):
            return f

        return wrap


@njit(cache=True, nogil=True)
def _find(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True, nogil=True)
def clean_chunk(image, peak_time, neighbours, picture, boundary, min_picture_nb, keep_isolated,
                time_limit, time_min_nb, out_event, out_pixel):  # fmt: skip
    """Fills ``out_event``/``out_pixel`` (capacity n_events * n_pixels, reused by the caller so
    their pages stay mapped) with the kept pixels, sorted; returns (count, n_islands).
    ``time_limit`` NaN = off."""
    n, n_pix = image.shape
    n_nb = neighbours.shape[1]
    n_islands = np.zeros(n, dtype=np.int64)
    cidx = np.full(n_pix, -1, dtype=np.int64)  # pixel -> candidate index, reset per event
    cand = np.empty(n_pix, dtype=np.int64)
    cnb = np.empty((n_pix, n_nb), dtype=np.int64)  # candidate index of each neighbour, or -1
    is_pic = np.empty(n_pix, dtype=np.bool_)
    has_cand = np.empty(n_pix, dtype=np.bool_)
    keep = np.empty(n_pix, dtype=np.bool_)
    keep2 = np.empty(n_pix, dtype=np.bool_)
    parent = np.empty(n_pix, dtype=np.int64)
    use_time = not np.isnan(time_limit)
    m = 0
    for e in range(n):
        row = image[e]
        k = 0
        for p in range(n_pix):
            if row[p] >= boundary:
                cand[k] = p
                cidx[p] = k
                is_pic[k] = row[p] >= picture
                k += 1
        # the event's graph in candidate space, once: later passes read it sequentially
        for i in range(k):
            any_cand = False
            for j in range(n_nb):
                q = neighbours[cand[i], j]
                c = cidx[q] if q >= 0 else -1
                cnb[i, j] = c
                any_cand |= c >= 0
            has_cand[i] = any_cand
        if min_picture_nb > 0 and not keep_isolated:
            # decide from the unrevised picture flags, then revise (as numpy and ctapipe do)
            for i in range(k):
                c = 0
                if is_pic[i]:
                    for j in range(n_nb):
                        if cnb[i, j] >= 0 and is_pic[cnb[i, j]]:
                            c += 1
                keep2[i] = c >= min_picture_nb
            for i in range(k):
                is_pic[i] = is_pic[i] and keep2[i]
        for i in range(k):
            has_pic = False
            for j in range(n_nb):
                if cnb[i, j] >= 0 and is_pic[cnb[i, j]]:
                    has_pic = True
            if keep_isolated:
                keep[i] = has_pic or is_pic[i]
            else:
                keep[i] = has_pic or (is_pic[i] and has_cand[i])
        if use_time:
            for i in range(k):
                c = 0
                if keep[i]:
                    t0 = peak_time[e, cand[i]]
                    for j in range(n_nb):
                        q = cnb[i, j]
                        if q >= 0 and keep[q] and abs(peak_time[e, cand[q]] - t0) < time_limit:
                            c += 1
                keep2[i] = keep[i] and c >= time_min_nb
            for i in range(k):
                keep[i] = keep2[i]
        # islands: union-find over the kept candidates, each edge once
        for i in range(k):
            parent[i] = i
        for i in range(k):
            if keep[i]:
                for j in range(n_nb):
                    q = cnb[i, j]
                    if q > i and keep[q]:
                        a = _find(parent, i)
                        b = _find(parent, q)
                        if a != b:
                            parent[a] = b
        roots = 0
        for i in range(k):  # candidates are in CHID order: the output stays sorted
            if keep[i]:
                out_event[m] = e
                out_pixel[m] = cand[i]
                m += 1
                if _find(parent, i) == i:
                    roots += 1
        n_islands[e] = roots
        for i in range(k):
            cidx[cand[i]] = -1
    return m, n_islands


# columns of event_moments' output matrix, in order (the numpy path's names)
MOMENT_COLUMNS = (
    "size", "cog_x", "cog_y", "length", "width", "delta",
    "m3_long", "m3_trans", "m4_long", "m4_trans",
    "skewness_long", "skewness_trans", "kurtosis_long", "kurtosis_trans",
    "leakage1", "leakage2", "leakage1_pixel", "leakage2_pixel",
    "photoncharge_shower_mean", "photoncharge_shower_variance", "photoncharge_shower_max",
    "time_gradient_slope_long", "time_gradient_intercept_long",
    "time_gradient_slope_trans", "time_gradient_intercept_trans", "time_gradient_sse_long",
    "timespread", "timespread_weighted",
)  # fmt: skip


@njit(cache=True, nogil=True, error_model="numpy")  # x/0 -> inf/nan as in numpy
def event_moments(n_events, event, pixel, charge, time, cam_x, cam_y, border1, border2, fact):
    """Hillas, leakage, charge statistics and timing of sorted shower pixels, per event in a
    few passes over its pixels: the numpy path's formulas (hillas, leakage, pixels, timing
    modules) fused. Returns (columns (n_events, len(MOMENT_COLUMNS)), longi, trans)."""
    nan = np.nan
    out = np.full((n_events, 28), nan)
    k = event.size
    longi = np.empty(k)
    trans = np.empty(k)
    s = 0
    while s < k:
        e = event[s]
        t_end = s
        while t_end < k and event[t_end] == e:
            t_end += 1
        n = t_end - s
        w = 0.0
        wx = 0.0
        wy = 0.0
        w2 = 0.0
        st = 0.0
        sqt = 0.0
        b1 = 0.0
        b2 = 0.0
        nb1 = 0
        nb2 = 0
        qmax = -np.inf
        for i in range(s, t_end):
            q = charge[i]
            p = pixel[i]
            w += q
            wx += q * cam_x[p]
            wy += q * cam_y[p]
            w2 += q * q
            st += time[i]
            sqt += q * time[i]
            if border1[p]:
                b1 += q
                nb1 += 1
            if border2[p]:
                b2 += q
                nb2 += 1
            if q > qmax:
                qmax = q
        cx = wx / w
        cy = wy / w
        norm = w - w2 / w if fact else w
        t_mean = st / n
        tw_mean = sqt / w
        q_mean = w / n
        sxx = 0.0
        syy = 0.0
        sxy = 0.0
        sdt2 = 0.0
        sqdtw2 = 0.0
        sdq2 = 0.0
        for i in range(s, t_end):
            q = charge[i]
            dx = cam_x[pixel[i]] - cx
            dy = cam_y[pixel[i]] - cy
            sxx += q * dx * dx
            syy += q * dy * dy
            sxy += q * dx * dy
            dt = time[i] - t_mean
            sdt2 += dt * dt
            dtw = time[i] - tw_mean
            sqdtw2 += q * dtw * dtw
            dq = q - q_mean
            sdq2 += dq * dq
        sxx /= norm
        syy /= norm
        sxy /= norm
        half_tr = 0.5 * (sxx + syy)
        root = np.hypot(0.5 * (sxx - syy), sxy)
        length = np.sqrt(half_tr + root)
        width = np.sqrt(max(half_tr - root, 0.0))
        delta = 0.5 * np.arctan2(2.0 * sxy, sxx - syy)
        if delta <= -0.5 * np.pi:
            delta += np.pi
        cos_d = np.cos(delta)
        sin_d = np.sin(delta)
        m3l = 0.0
        m3t = 0.0
        m4l = 0.0
        m4t = 0.0
        sl = 0.0
        str_ = 0.0
        for i in range(s, t_end):
            q = charge[i]
            dx = cam_x[pixel[i]] - cx
            dy = cam_y[pixel[i]] - cy
            lo = dx * cos_d + dy * sin_d
            tr = -dx * sin_d + dy * cos_d
            longi[i] = lo
            trans[i] = tr
            l2 = lo * lo
            t2 = tr * tr
            m3l += q * l2 * lo
            m3t += q * t2 * tr
            m4l += q * l2 * l2
            m4t += q * t2 * t2
            sl += lo
            str_ += tr
        # ordinary least squares of time on l and on t, centred as in timing._ols
        l_mean = sl / n
        tr_mean = str_ / n
        sll = 0.0
        slt = 0.0
        stt = 0.0
        stt_t = 0.0
        for i in range(s, t_end):
            du = longi[i] - l_mean
            dv = trans[i] - tr_mean
            dt = time[i] - t_mean
            sll += du * du
            slt += du * dt
            stt += dv * dv
            stt_t += dv * dt
        slope_l = slt / sll if sll > 0 else nan
        slope_t = stt_t / stt if stt > 1e-18 * sll else nan  # line images: no trans gradient
        sse = 0.0
        for i in range(s, t_end):
            r = (time[i] - t_mean) - slope_l * (longi[i] - l_mean)
            sse += r * r
        o = out[e]
        o[0] = w
        o[1] = cx
        o[2] = cy
        if n >= 2 or not fact:
            o[3] = length
            o[4] = width
            o[5] = delta
            o[6] = m3l / norm
            o[7] = m3t / norm
            o[8] = m4l / norm
            o[9] = m4t / norm
            o[10] = o[6] / length**3
            o[12] = o[8] / length**4
            if width > 1e-9 * length:  # a line image has no transverse distribution
                o[11] = o[7] / width**3
                o[13] = o[9] / width**4
        o[14] = b1 / w
        o[15] = b2 / w
        o[16] = nb1 / n
        o[17] = nb2 / n
        o[18] = q_mean
        o[19] = sdq2 / (n - 1.0) if n >= 2 else nan
        o[20] = qmax
        if n >= 2:
            o[21] = slope_l
            o[22] = t_mean - slope_l * l_mean
            o[23] = slope_t
            o[24] = t_mean - slope_t * tr_mean
            o[25] = sse
        o[26] = np.sqrt(sdt2 / n)
        o[27] = np.sqrt(sqdtw2 / w)
        s = t_end
    return out, longi, trans
