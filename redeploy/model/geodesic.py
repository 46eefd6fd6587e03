"""Ellipsoidal distances for many pairs: Thomas's second-order formula, exact where it counts.

The zone value sums s_i · exp(−d/D) over millions of zone-item pairs on large layers; a
WGS84 geodesic (`pyproj`, Karney's algorithm, exact to nanometres) costs about 0.8 µs a
pair there. Thomas's second-order Forsyth–Andoyer–Lambert approximation (P. D. Thomas,
*Spheroidal geodesics, reference systems, and local geometry*, U.S. Naval Oceanographic
Office SP-138, 1970) needs no iteration and, written on unit vectors of parametric latitude
computed once per point, a few array operations a pair. Its relative error, measured
against pyproj on random pairs worldwide (tests/test_geodesic.py), stays below
`THOMAS_REL_ERROR` up to `THOMAS_MAX_KM`; beyond, near the antipode, it grows.

`value_distances_km` uses it within `THOMAS_MAX_KM` (judged on the parametric sphere, so
that no pair near the antipode, where it breaks down, is taken) and pyproj beyond. A
weight exp(−d/D) then moves by at most ε · x · e^(−x) with x = d/D and
ε = `THOMAS_REL_ERROR`: below ε/e ≈ 3.7e-9 whatever D, and a relative ε · x of the weight
itself.
"""

from __future__ import annotations

import numpy as np

from redeploy.model.routes import geodesic_km

#: WGS84 semi-major axis (km) and flattening.
WGS84_A_KM = 6378.137
WGS84_F = 1 / 298.257223563
#: Bound on the relative error of `thomas_km` up to `THOMAS_MAX_KM` (measured: below 6.2e-9
#: on 4 million random pairs, poles and equator included; tests/test_geodesic.py).
THOMAS_REL_ERROR = 1e-8
#: Longest distance (km) at which `THOMAS_REL_ERROR` is established.
THOMAS_MAX_KM = 12_000.0


def parametric_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """(n, 3) unit vectors of the points at their parametric (reduced) latitude
    β = atan((1 − f) · tan φ), the sphere on which Thomas's formula works."""
    beta = np.arctan((1.0 - WGS84_F) * np.tan(np.radians(np.asarray(lat, float))))
    lam = np.radians(np.asarray(lon, float))
    cos_beta = np.cos(beta)
    return np.column_stack([cos_beta * np.cos(lam), cos_beta * np.sin(lam), np.sin(beta)])


def thomas_km(u1: np.ndarray, u2: np.ndarray) -> np.ndarray:
    """
    Return the WGS84 distance (km) between paired points given as `parametric_xyz` unit
    vectors (n, 3), by Thomas's second-order formula; NaN for a pair whose angle σ on the
    parametric sphere exceeds `THOMAS_MAX_KM` / a (near the antipode the formula breaks
    down: it gives negative distances there). On 3 million random and near-antipodal pairs
    every pair it answered was less than 12,000 km apart and within `THOMAS_REL_ERROR` of
    the geodesic (tests/test_geodesic.py checks every answer).

    With σ the angle between the vectors, L = sin²(σ/2), z the vectors' third components,
    U = (z₁ + z₂)² / (2(1 − L)), V = (z₂ − z₁)² / (2L), X = U + V, Y = U − V,
    T = σ / sin σ, D = 4T², E = 2 cos σ, A = D·E, B = 2D, C = T − (A − E)/2:

        s = a · sin σ · (T − f(T·X − Y)/4 + f²/64 · (X(A + C·X) − Y(B + E·Y) + D·X·Y)).
    """
    d = u1 - u2
    c2 = d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1] + d[:, 2] * d[:, 2]
    ell = np.minimum(c2 / 4.0, 1.0)
    one_l = 1.0 - ell
    sigma = 2.0 * np.arcsin(np.sqrt(ell))
    sin_s = np.sqrt(c2 * one_l)
    zp = u1[:, 2] + u2[:, 2]
    zm = u2[:, 2] - u1[:, 2]
    # Coincident and antipodal pairs divide by zero; both are replaced below.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        u = zp * zp / (2.0 * one_l)
        v = zm * zm / (2.0 * ell)
        t = sigma / sin_s
        x, y = u + v, u - v
        dd = 4.0 * t * t
        e = 2.0 - 4.0 * ell
        a = dd * e
        c = t - (a - e) / 2.0
        second = x * (a + c * x) - y * (2.0 * dd + e * y) + dd * x * y
        s = sin_s * (t - WGS84_F * (t * x - y) / 4.0 + WGS84_F * WGS84_F / 64.0 * second)
    km = np.where(ell > 0.0, WGS84_A_KM * s, 0.0)
    return np.where(WGS84_A_KM * sigma <= THOMAS_MAX_KM, km, np.nan)


def value_distances_km(
    coords1: np.ndarray, xyz1: np.ndarray, coords2: np.ndarray, xyz2: np.ndarray
) -> np.ndarray:
    """
    Return the distance (km) of each pair of points, given as lon/lat (n, 2) and as
    `parametric_xyz` (n, 3): Thomas's within its range (`thomas_km`), pyproj's geodesic
    beyond. A pair's distance depends on its two points only, never on what else is
    computed.
    """
    km = thomas_km(xyz1, xyz2)
    exact = np.flatnonzero(np.isnan(km))
    if exact.size:
        a, b = coords1[exact], coords2[exact]
        km[exact] = geodesic_km(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    return km
