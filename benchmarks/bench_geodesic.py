"""Zone-value geodesics: pyproj (what `redeploy.model.value` uses) against a
numba-compiled Vincenty inverse, on random pairs like the acceptance case's.

A lead for issue 17, not part of the package: numba is not a dependency. Run with numba
installed (``pip install numba``)::

    python benchmarks/bench_geodesic.py [--pairs 4000000] [--threads 2]

It prints both times, their ratio and the largest relative difference between the two
distances (Vincenty fails to converge for nearly antipodal pairs; those are counted).
"""

from __future__ import annotations

import argparse
import math
import sys
import time

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=4_000_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
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
