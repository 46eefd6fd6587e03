"""Benchmark the allocation LP: build vs HiGHS solve, against PuLP, and `redeploy run`.

Usage (from the repository root)::

    python benchmarks/bench_model.py                      # 1e3 .. 1e6 variables
    python benchmarks/bench_model.py --sizes 1e5,1e6 --sift-settings 2:0.25,1:0.1
    python benchmarks/bench_model.py --run-only           # `redeploy run` on shipped data
    python benchmarks/bench_model.py --sizes 1e3,1e4,1e5 --pulp-max 1e6 --layers geodata

The PuLP comparison (`--pulp-max N`, `bench_pulp.py`) builds the same LP with PuLP, one
variable per column in Python loops, solves it with PuLP's HiGHS interface (and CBC with
`--cbc`), and checks both objectives agree. `--layers DIR,...` adds rows for the baseline
scenario's own inputs on those layer folders (e.g. `benchmarks/scale_layers.py`'s 100x).

Synthetic instances: F fronts x Z zones x 5 asset classes, every flow allowed, random
freed capacity, value, absorptive capacity, risk and transit cost (fixed seed), three
concave segments, one region cap. "Variables" counts flow variables; segment variables
add 3 per (zone, asset). Timings are wall-clock seconds, best of --repeat runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from redeploy.model.allocation import AllocationModel
from redeploy.model.inputs import AllocationInputs
from redeploy.model.risk import RiskTerms
from redeploy.scenario import RISK_CHANNELS
from redeploy.schemas import ASSETS, REGIONS

#: (fronts, zones) per target size; flows = fronts * zones * 5.
SHAPES = {
    1_000: (4, 50),
    10_000: (10, 200),
    100_000: (20, 1_000),
    1_000_000: (100, 2_000),
}


def synthetic_inputs(n_fronts: int, n_zones: int, *, seed: int = 0) -> AllocationInputs:
    """Return a random instance with every (front, zone, asset) flow allowed (the last
    front and zone, as in every run, are the U.S. home pool)."""
    rng = np.random.default_rng(seed)
    n_a, n_c = len(ASSETS), len(RISK_CHANNELS)
    f, z, a = np.meshgrid(np.arange(n_fronts), np.arange(n_zones), np.arange(n_a), indexing="ij")
    f, z, a = f.ravel(), z.ravel(), a.ravel()
    dist = rng.uniform(1_000, 18_000, size=(n_fronts, n_zones))
    per_km = np.array([0.002, 0.003, 0.003, 0.003, 0.005])
    transit = dist[f, z] / 1000 * per_km[a]
    nr = len(REGIONS)
    cap = np.full(nr, np.nan)
    cap[0] = 0.3 * n_zones
    baseline = rng.uniform(0, 20, size=(n_fronts, n_a))
    baseline[-1] = 0.0
    shares = np.array([0.4, 0.3, 0.3])
    absorb = rng.uniform(0.2, 3, size=(n_zones, n_a))
    absorb[-1] = np.inf
    value = rng.uniform(0, 0.3, size=(n_zones, n_a))
    # Three concave basing segments, then the at-sea segment (empty here).
    seg_value = value[:, :, None] * np.array([1.0, 0.6, 0.3, 0.0])
    seg_length = np.concatenate(
        [np.where(np.isinf(absorb), 1e6, absorb)[:, :, None] * shares, np.zeros((n_zones, n_a, 1))],
        axis=2,
    )
    risk = RiskTerms(
        per_unit=rng.uniform(0, 0.1, size=(n_c, n_fronts, n_a)) / n_c,
        fixed=np.zeros((n_c, n_fronts)),
        cred_length=np.zeros((n_fronts, 0)),
        cred_rate=np.zeros((n_fronts, 0)),
        floor_start=baseline.copy(),
        floor_room=np.zeros((n_fronts, n_a)),
        floor_rate=np.zeros((n_fronts, n_a)),
        destination=np.zeros((n_zones, n_a)),
        asset_weight=np.ones(n_a),
    )
    spending = rng.uniform(0, 30, size=n_fronts)
    lonlat = rng.uniform(-50, 50, size=(n_fronts + n_zones, 2))
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
        hard_floor=np.zeros((n_fronts, n_a)),
        substitute=baseline * 0.5,
        freed=baseline * rng.uniform(0, 0.5, size=(n_fronts, n_a)),
        extra_spending=spending,
        expected_spending=spending,
        us_unit_cost=np.array([0.1545, 0.1545, 0.103, 0.206, 1.0]),
        conversion_cap=np.zeros(n_fronts),
        risk=risk,
        risk_lambda=1.0,
        risk_weights=np.ones(n_c),
        value=value,
        seg_length=seg_length,
        seg_value=seg_value,
        segment_shares=shares,
        absorb=absorb,
        existing=np.zeros((n_zones, n_a)),
        access=("limited",) * n_zones,
        access_basis=("synthetic",) * n_zones,
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
        front_lonlat=lonlat[:n_fronts],
        zone_lonlat=lonlat[n_fronts:],
        front_home_lonlat=np.tile([-76.3, 36.95], (n_fronts, 1)),
        zone_home_lonlat=np.tile([-76.3, 36.95], (n_zones, 1)),
        unit_size=np.full(n_a, 0.1),
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
        "rows": model.n_rows,
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


def bench_sifting(sizes: list[int], settings: str, repeat: int) -> None:
    """Print the HiGHS solve time (best of `repeat`) of each size's synthetic instance
    under each sifting setting ``START:SHARE``, and its objective."""
    from redeploy.model import sifting

    print("| flows | start flows | share added | HiGHS solve (s) | objective |")
    print("|---:|---:|---:|---:|---:|")
    for size in sizes:
        inp = synthetic_inputs(*SHAPES.get(size, (max(1, size // 5000), 1000)))
        for setting in settings.split(","):
            start, share = setting.split(":")
            sifting.SIFT_START, sifting.SIFT_ADD_SHARE = int(start), float(share)
            runs = [bench_ours(inp) for _ in range(repeat)]
            best = min(runs, key=lambda r: r["solve"])
            print(
                f"| {_fmt_n(inp.n_flows)} | {start} | {float(share):.0%} | "
                f"{best['solve']:.3f} | {best['objective']:.12g} |",
                flush=True,
            )


def _fmt_n(n: float) -> str:
    return f"{int(n):,}"


def instances(sizes: str, layers: str) -> Iterator[tuple[str, AllocationInputs]]:
    """The synthetic instances of `sizes` (comma-separated flow counts), then the baseline
    scenario's inputs on each folder of `layers` (comma-separated; may be empty)."""
    for size in (int(float(s)) for s in sizes.split(",") if s):
        yield "synthetic", synthetic_inputs(*SHAPES.get(size, (max(1, size // 5000), 1000)))
    for folder in (f for f in layers.split(",") if f):
        from redeploy.workflows.run import run_scenario

        yield (
            f"baseline on {folder}",
            run_scenario("baseline", layers_dir=folder, out_dir=None).inputs,
        )


def table_row(label: str, inp: AllocationInputs, args: argparse.Namespace) -> list[str]:
    """One row of the table: our build and solve (best of `args.repeat` by total), and
    PuLP's when the instance has at most `args.pulp_max` flows."""
    runs = [bench_ours(inp) for _ in range(args.repeat)]
    ours = min(runs, key=lambda r: r["total"])
    row = [
        label,
        _fmt_n(inp.n_flows),
        _fmt_n(ours["columns"]),
        _fmt_n(ours["rows"]),
        f"{ours['build']:.3f}",
        f"{ours['solve']:.3f}",
        f"{ours['build'] / ours['solve']:.1%}",
        f"{ours['total']:.3f}",
    ]
    if inp.n_flows > args.pulp_max:
        return row + ["–"] * 5
    from bench_pulp import solve_pulp

    pr = min((solve_pulp(inp) for _ in range(args.repeat)), key=lambda r: r.total_seconds)
    match = pr.status == "Optimal" and abs(pr.objective - ours["objective"]) <= 1e-6 * max(
        1.0, abs(ours["objective"])
    )
    row += [
        f"{pr.build_seconds:.3f}",
        f"{pr.solve_seconds:.3f}",
        f"{pr.total_seconds:.3f}",
        f"{pr.total_seconds / ours['total']:.1f}x",
        "yes" if match else f"no ({pr.status}: {pr.objective:.6g} vs {ours['objective']:.6g})",
    ]
    if args.cbc:
        cbc = solve_pulp(inp, solver="cbc")
        print(
            f"<!-- {label}, {_fmt_n(inp.n_flows)} flows, PuLP+CBC: build "
            f"{cbc.build_seconds:.3f} s, solve {cbc.solve_seconds:.3f} s, "
            f"total {cbc.total_seconds:.3f} s, "
            f"{cbc.total_seconds / ours['total']:.1f}x ours, {cbc.status}, objective "
            f"{cbc.objective:.12g} -->"
        )
    return row


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks and print Markdown tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes",
        default="1e3,1e4,1e5,1e6",
        help="Comma-separated target flow counts (1e3, 1e4, 1e5, 1e6).",
    )
    ap.add_argument(
        "--pulp-max",
        type=float,
        default=1e5,
        help="Largest number of flows also built and solved with PuLP (bench_pulp.py).",
    )
    ap.add_argument(
        "--layers",
        default="",
        help="Comma-separated layer folders: also a row for the baseline scenario's inputs "
        "on each (the shipped layers: geodata).",
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
    ap.add_argument(
        "--sift-settings",
        default="",
        help="Instead of the table, time sifting's HiGHS solve at each size under each "
        "setting START:SHARE (e.g. 2:0.25,1:0.1): SIFT_START and SIFT_ADD_SHARE.",
    )
    args = ap.parse_args(argv)

    if args.sift_settings:
        sizes = [int(float(s)) for s in args.sizes.split(",")]
        bench_sifting(sizes, args.sift_settings, args.repeat)
        return
    if not args.run_only:
        print(
            "| instance | flows | columns | rows | build (s) | HiGHS solve (s) | build/solve | "
            "total (s) | PuLP build (s) | PuLP+HiGHS solve (s) | PuLP total (s) | "
            "PuLP/ours | objective match |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for label, inp in instances(args.sizes, args.layers):
            print("| " + " | ".join(table_row(label, inp, args)) + " |", flush=True)

    if args.run_repeat < 1:
        return
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
