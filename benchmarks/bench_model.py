"""Benchmark the allocation LP: build vs HiGHS solve, against PuLP, and `redeploy run`.

Usage (from the repository root)::

    python benchmarks/bench_model.py                      # 1e3 .. 1e6 variables, PuLP to 1e5
    python benchmarks/bench_model.py --sizes 1e3,1e4 --pulp-max 1e4 --cbc
    python benchmarks/bench_model.py --run-only           # `redeploy run` on shipped data

Synthetic instances: F fronts x Z zones x 5 asset classes, every flow allowed, random
freed capacity, value, absorptive capacity, risk and transit cost (fixed seed), three
concave segments, one region cap. "Variables" counts flow variables; segment variables
add 3 per (zone, asset). Timings are wall-clock seconds, best of --repeat runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from redeploy.model.allocation import AllocationModel
from redeploy.model.inputs import AllocationInputs
from redeploy.schemas import ASSETS, REGIONS

#: (fronts, zones) per target size; flows = fronts * zones * 5.
SHAPES = {
    1_000: (4, 50),
    10_000: (10, 200),
    100_000: (20, 1_000),
    1_000_000: (100, 2_000),
}


def synthetic_inputs(n_fronts: int, n_zones: int, *, seed: int = 0) -> AllocationInputs:
    """Return a random instance with every (front, zone, asset) flow allowed."""
    rng = np.random.default_rng(seed)
    n_a = len(ASSETS)
    f, z, a = np.meshgrid(np.arange(n_fronts), np.arange(n_zones), np.arange(n_a), indexing="ij")
    f, z, a = f.ravel(), z.ravel(), a.ravel()
    dist = rng.uniform(1_000, 18_000, size=(n_fronts, n_zones))
    per_km = np.array([0.002, 0.003, 0.003, 0.003, 0.005])
    transit = dist[f, z] / 1000 * per_km[a]
    nr = len(REGIONS)
    cap = np.full(nr, np.nan)
    cap[0] = 0.3 * n_zones
    baseline = rng.uniform(0, 20, size=(n_fronts, n_a))
    return AllocationInputs(
        scenario="synthetic",
        description="synthetic benchmark instance",
        run_id="0" * 64,
        assets=ASSETS,
        front_ids=tuple(f"f{i}" for i in range(n_fronts)),
        zone_ids=tuple(f"z{i}" for i in range(n_zones)),
        zone_region=tuple(REGIONS[i] for i in rng.integers(nr, size=n_zones)),
        regions=REGIONS,
        baseline=baseline,
        floor=np.zeros((n_fronts, n_a)),
        substitute=baseline * 0.5,
        freed=baseline * rng.uniform(0, 0.5, size=(n_fronts, n_a)),
        risk=rng.uniform(0, 0.1, size=(n_fronts, n_a)),
        risk_lambda=1.0,
        extra_spending=rng.uniform(0, 30, size=n_fronts),
        us_unit_cost=np.array([0.1545, 0.1545, 0.103, 0.206, 1.0]),
        value=rng.uniform(0, 0.3, size=(n_zones, n_a)),
        absorb=rng.uniform(0.2, 3, size=(n_zones, n_a)),
        access=("limited",) * n_zones,
        segment_shares=np.array([0.4, 0.3, 0.3]),
        segment_slopes=np.array([1.0, 0.6, 0.3]),
        flow_front=f,
        flow_zone=z,
        flow_asset=a,
        flow_distance_km=dist[f, z],
        flow_transit_cost=transit,
        flow_sea=a == 0,
        region_floor=np.full(nr, np.nan),
        region_cap=cap,
        region_asset_floor=np.full((nr, n_a), np.nan),
        region_asset_cap=np.full((nr, n_a), np.nan),
        front_lonlat=rng.uniform(-50, 50, size=(n_fronts, 2)),
        zone_lonlat=rng.uniform(-50, 50, size=(n_zones, 2)),
    )


def bench_ours(inp: AllocationInputs) -> dict[str, float]:
    """Build with vectorised sparse matrices, solve with highspy, read the arrays."""
    t0 = time.perf_counter()
    model = AllocationModel(inp)
    t1 = time.perf_counter()
    raw = model.solve_raw(check=False)
    t2 = time.perf_counter()
    return {
        "build": t1 - t0,
        "solve": t2 - t1,
        "total": t2 - t0,
        "objective": raw.objective,
        "columns": model.n_cols,
        "rows": model.rows.total,
    }


_RUN_CODE = """
import json, sys, tempfile, time
t0 = time.perf_counter()
import searoute, redeploy.layers, redeploy.model, redeploy.workflows.run, redeploy.export.tables
t1 = time.perf_counter()
from redeploy.workflows.run import run_scenario
with tempfile.TemporaryDirectory() as tmp:
    t = time.perf_counter()
    out = run_scenario("baseline", out_dir=tmp)
    took = time.perf_counter() - t
print(json.dumps({"imports": t1 - t0, "run": took, "timings": out.timings,
                  "flows": out.inputs.n_flows}))
"""


def bench_run(repeat: int) -> list[dict]:
    """Time `run_scenario('baseline')` on the shipped layers in fresh processes, after imports."""
    import json
    import subprocess

    root = Path(__file__).resolve().parent.parent
    runs = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", _RUN_CODE],
            capture_output=True,
            text=True,
            cwd=root,
            check=True,
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return runs


def _fmt_n(n: float) -> str:
    return f"{int(n):,}"


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks and print Markdown tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes",
        default="1e3,1e4,1e5,1e6",
        help="Comma-separated target flow counts (1e3, 1e4, 1e5, 1e6).",
    )
    ap.add_argument(
        "--pulp-max", type=float, default=1e5, help="Largest size also built and solved with PuLP."
    )
    ap.add_argument(
        "--cbc", action="store_true", help="Also solve the PuLP model with PuLP's bundled CBC."
    )
    ap.add_argument("--repeat", type=int, default=1, help="Runs per size (best is kept).")
    ap.add_argument(
        "--run-only",
        action="store_true",
        help="Only time `redeploy run` (run_scenario) on the shipped data.",
    )
    ap.add_argument("--run-repeat", type=int, default=5)
    args = ap.parse_args(argv)

    if not args.run_only:
        from bench_pulp import solve_pulp

        sizes = [int(float(s)) for s in args.sizes.split(",")]
        print(
            "| flows | columns | rows | build (s) | HiGHS solve (s) | build/solve | "
            "total (s) | PuLP build (s) | PuLP+HiGHS solve (s) | PuLP total (s) | "
            "PuLP/ours | objective match |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for size in sizes:
            nf, nz = SHAPES.get(size, (max(1, size // 5000), 1000))
            inp = synthetic_inputs(nf, nz)
            runs = [bench_ours(inp) for _ in range(args.repeat)]
            ours = min(runs, key=lambda r: r["total"])
            row = [
                _fmt_n(inp.n_flows),
                _fmt_n(ours["columns"]),
                _fmt_n(ours["rows"]),
                f"{ours['build']:.3f}",
                f"{ours['solve']:.3f}",
                f"{ours['build'] / ours['solve']:.1%}",
                f"{ours['total']:.3f}",
            ]
            if size <= args.pulp_max:
                pr = min(
                    (solve_pulp(inp) for _ in range(args.repeat)), key=lambda r: r.total_seconds
                )
                match = abs(pr.objective - ours["objective"]) <= 1e-6 * max(
                    1.0, abs(ours["objective"])
                )
                row += [
                    f"{pr.build_seconds:.3f}",
                    f"{pr.solve_seconds:.3f}",
                    f"{pr.total_seconds:.3f}",
                    f"{pr.total_seconds / ours['total']:.1f}x",
                    "yes" if match else f"no ({pr.objective:.6g} vs {ours['objective']:.6g})",
                ]
                if args.cbc:
                    cbc = solve_pulp(inp, solver="cbc")
                    print(
                        f"<!-- {_fmt_n(inp.n_flows)} flows, PuLP+CBC: build "
                        f"{cbc.build_seconds:.3f} s, solve {cbc.solve_seconds:.3f} s, "
                        f"total {cbc.total_seconds:.3f} s, "
                        f"{cbc.total_seconds / ours['total']:.1f}x ours -->"
                    )
            else:
                row += ["–"] * 5
            print("| " + " | ".join(row) + " |", flush=True)

    runs = bench_run(args.run_repeat)
    print()
    print(
        f"redeploy run (run_scenario 'baseline', shipped layers, {runs[0]['flows']} flow "
        f"variables), {len(runs)} fresh processes:"
    )
    for r in runs:
        parts = {k: round(v, 3) for k, v in r["timings"].items()}
        print(f"  imports {r['imports']:.3f} s; run {r['run']:.3f} s {parts}")


if __name__ == "__main__":
    main()
