"""Zone-value geodesics: Thomas's formula (what `redeploy.model.value` uses) against pyproj,
and a numba-compiled Vincenty inverse against pyproj.

``--thomas`` (no extra dependency): the time a pair of `redeploy.model.geodesic.thomas_km`
on parametric unit vectors (computed once per point, as the zone value does) against
`pyproj.Geod.inv`, best of ``--repeat`` on ``--timed`` random pairs on one thread, and the
largest relative difference between the two on ``--pairs`` pairs (uniform on the sphere,
a quarter within a few degrees of each other, an eighth within a few kilometres, poles and
the equator included) among those Thomas's formula answers (up to 12,000 km)::

    python benchmarks/bench_geodesic.py --thomas [--pairs 4000000]

Without it, a lead for issue 17 that is not part of the package (numba is not a
dependency). Run with numba installed (``pip install numba``)::

    python benchmarks/bench_geodesic.py [--pairs 4000000] [--threads 2]

It prints both times, their ratio and the largest relative difference between the two
distances (Vincenty fails to converge for nearly antipodal pairs; those are counted).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from pyproj import Geod

A = 6378137.0
F = 1 / 298.257223563
B = A * (1 - F)


def _compile(numba):
    @numba.njit(parallel=True)
    def vincenty(lon1, lat1, lon2, lat2, out, bad):
        for k in numba.prange(lon1.size):
            big_l = math.radians(lon2[k] - lon1[k])
            u1 = math.atan((1 - F) * math.tan(math.radians(lat1[k])))
            u2 = math.atan((1 - F) * math.tan(math.radians(lat2[k])))
            sin_u1, cos_u1, sin_u2, cos_u2 = math.sin(u1), math.cos(u1), math.sin(u2), math.cos(u2)
            lam, converged = big_l, False
            sin_s = cos_s = sigma = cos_2sm = cos_sq_a = 0.0
            for _ in range(200):
                sin_l, cos_l = math.sin(lam), math.cos(lam)
                sin_s = math.sqrt(
                    (cos_u2 * sin_l) ** 2 + (cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_l) ** 2
                )
                if sin_s == 0.0:
                    converged = True
                    break
                cos_s = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_l
                sigma = math.atan2(sin_s, cos_s)
                sin_a = cos_u1 * cos_u2 * sin_l / sin_s
                cos_sq_a = 1 - sin_a * sin_a
                cos_2sm = cos_s - 2 * sin_u1 * sin_u2 / cos_sq_a if cos_sq_a != 0 else 0.0
                c = F / 16 * cos_sq_a * (4 + F * (4 - 3 * cos_sq_a))
                previous = lam
                lam = big_l + (1 - c) * F * sin_a * (
                    sigma + c * sin_s * (cos_2sm + c * cos_s * (-1 + 2 * cos_2sm * cos_2sm))
                )
                if abs(lam - previous) < 1e-13:
                    converged = True
                    break
            if sin_s == 0.0:
                out[k] = 0.0
                continue
            if not converged:
                bad[k] = True
                continue
            u_sq = cos_sq_a * (A * A - B * B) / (B * B)
            aa = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
            bb = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
            d_s = (
                bb
                * sin_s
                * (
                    cos_2sm
                    + bb
                    / 4
                    * (
                        cos_s * (-1 + 2 * cos_2sm**2)
                        - bb / 6 * cos_2sm * (-3 + 4 * sin_s**2) * (-3 + 4 * cos_2sm**2)
                    )
                )
            )
            out[k] = B * aa * (sigma - d_s)

    return vincenty


def _sphere_pairs(n: int, seed: int) -> tuple[np.ndarray, ...]:
    """Random pairs: uniform on the sphere, a quarter near each other (σ ≈ 3°), an eighth
    very near (σ ≈ 0.01°), and runs at the poles, on one meridian, one parallel, the equator."""
    rng = np.random.default_rng(seed)
    lon1, lon2 = rng.uniform(-180, 180, n), rng.uniform(-180, 180, n)
    lat1 = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    lat2 = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    for start, size, spread in ((0, n // 4, 3.0), (n // 4, n // 8, 0.01)):
        part = slice(start, start + size)
        lon2[part] = lon1[part] + rng.normal(0, spread, size)
        lat2[part] = np.clip(lat1[part] + rng.normal(0, spread, size), -90, 90)
    k = min(1000, n // 10)
    lat1[:k] = 90.0
    lat2[k : 2 * k] = -90.0
    lat2[2 * k : 3 * k] = lat1[2 * k : 3 * k]
    lon2[3 * k : 4 * k] = lon1[3 * k : 4 * k]
    lat1[4 * k : 5 * k] = lat2[4 * k : 5 * k] = 0.0
    return lon1, lat1, lon2, lat2


def bench_thomas(pairs: int, timed: int, repeat: int) -> None:
    """Print Thomas's and pyproj's time a pair and their largest relative difference."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from redeploy.model.geodesic import THOMAS_MAX_KM, parametric_xyz, thomas_km

    geod = Geod(ellps="WGS84")
    lon1, lat1, lon2, lat2 = _sphere_pairs(timed, seed=0)
    u1, u2 = parametric_xyz(lon1, lat1), parametric_xyz(lon2, lat2)
    best_t = best_p = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        thomas_km(u1, u2)
        best_t = min(best_t, time.perf_counter() - t0)
        t0 = time.perf_counter()
        geod.inv(lon1, lat1, lon2, lat2)
        best_p = min(best_p, time.perf_counter() - t0)
    lon1, lat1, lon2, lat2 = _sphere_pairs(pairs, seed=1)
    km = thomas_km(parametric_xyz(lon1, lat1), parametric_xyz(lon2, lat2))
    _, _, metres = geod.inv(lon1, lat1, lon2, lat2)
    answered = ~np.isnan(km)
    ref, got = metres[answered] / 1000.0, km[answered]
    # Relative to pairs 1 m apart or more; closer ones (the same pole at two longitudes,
    # pyproj's 0 against 3e-14 km) by their absolute difference.
    far = ref >= 0.001
    rel = np.abs(got[far] - ref[far]) / ref[far]
    near_m = 1000.0 * np.abs(got[~far] - ref[~far]).max(initial=0.0)
    print(
        f"time a pair, best of {repeat} on {timed:,} pairs, one thread: Thomas "
        f"{best_t / timed * 1e9:.0f} ns, pyproj {best_p / timed * 1e9:.0f} ns "
        f"(ratio {best_p / best_t:.1f})"
    )
    print(
        f"{pairs:,} pairs: Thomas answered {int(answered.sum()):,} (up to "
        f"{THOMAS_MAX_KM:,.0f} km); largest relative difference from pyproj "
        f"{rel.max():.2e} (pairs 1 m apart or more); largest difference under 1 m apart "
        f"{near_m:.1e} m; longest answered {ref.max():,.0f} km"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=4_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--thomas", action="store_true", help="Thomas's formula against pyproj")
    parser.add_argument("--timed", type=int, default=200_000, help="pairs timed (--thomas)")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs (--thomas)")
    args = parser.parse_args(argv)
    if args.thomas:
        bench_thomas(args.pairs, args.timed, args.repeat)
        return 0
    try:
        import numba
    except ImportError:
        print("this benchmark needs numba: pip install numba", file=sys.stderr)
        return 2
    vincenty = _compile(numba)
    rng = np.random.default_rng(0)
    n = args.pairs
    lon1, lat1 = rng.uniform(-180, 180, n), rng.uniform(-60, 60, n)
    lon2, lat2 = lon1 + rng.uniform(-90, 90, n), rng.uniform(-60, 60, n)
    out, bad = np.zeros(n), np.zeros(n, dtype=np.bool_)
    vincenty(lon1[:8], lat1[:8], lon2[:8], lat2[:8], out[:8], bad[:8])  # compile
    numba.set_num_threads(args.threads)
    t0 = time.perf_counter()
    vincenty(lon1, lat1, lon2, lat2, out, bad)
    t_numba = time.perf_counter() - t0
    t0 = time.perf_counter()
    _, _, ref = Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    t_pyproj = time.perf_counter() - t0
    ok = ~bad & (ref > 0)
    rel = np.abs(out[ok] - ref[ok]) / ref[ok]
    print(
        f"{n:,} pairs: numba Vincenty on {args.threads} threads {t_numba:.3f} s, pyproj on 1 "
        f"thread {t_pyproj:.3f} s (ratio {t_pyproj / t_numba:.1f}); not converged "
        f"{int(bad.sum())}; largest relative difference {rel.max():.1e}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
