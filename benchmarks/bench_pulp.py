"""The redeployment LP written the way an analyst would in PuLP: one LpVariable per flow.

Used by `bench_model.py` as the comparison point; not part of the package. Same variables,
constraints and objective as `redeploy.model.allocation`, built with Python loops over
fronts, zones and assets and `lpSum` comprehensions.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pulp

from redeploy.model.inputs import AllocationInputs


@dataclass
class PulpRun:
    """Timings and objective of one PuLP build and solve."""

    build_seconds: float
    solve_seconds: float
    objective: float
    status: str
    solver: str

    @property
    def total_seconds(self) -> float:
        """Build plus solve."""
        return self.build_seconds + self.solve_seconds


def build_pulp(inp: AllocationInputs) -> pulp.LpProblem:
    """Build the LP with PuLP, one variable per flow and per segment (Python loops)."""
    prob = pulp.LpProblem("redeploy", pulp.LpMaximize)
    fronts, zones, assets = inp.front_ids, inp.zone_ids, inp.assets
    military = {a for a in assets if a != "engagement"}
    n_seg = len(inp.segment_shares)

    # flows x[f, z, a]
    x = {}
    flow_cost = {}
    for j in range(inp.n_flows):
        f = fronts[inp.flow_front[j]]
        z = zones[inp.flow_zone[j]]
        a = assets[inp.flow_asset[j]]
        x[f, z, a] = pulp.LpVariable(f"x_{f}_{z}_{a}", lowBound=0)
        risk = inp.risk_lambda * inp.risk[inp.flow_front[j], inp.flow_asset[j]]
        flow_cost[f, z, a] = float(inp.flow_transit_cost[j] + risk)

    # segment fills y[z, a, k] for zone/asset pairs that receive flows
    pairs = sorted(
        {(z, a) for (_, z, a) in x}, key=lambda p: (zones.index(p[0]), assets.index(p[1]))
    )
    y = {}
    seg_value = {}
    for z, a in pairs:
        zi, ai = zones.index(z), assets.index(a)
        room = float(inp.absorb[zi, ai])
        for k in range(n_seg):
            upper = None if k == n_seg - 1 else float(inp.segment_shares[k] * room)
            y[z, a, k] = pulp.LpVariable(f"y_{z}_{a}_{k}", lowBound=0, upBound=upper)
            seg_value[z, a, k] = float(inp.segment_slopes[k] * inp.value[zi, ai])

    prob += pulp.lpSum(seg_value[key] * var for key, var in y.items()) - pulp.lpSum(
        flow_cost[key] * var for key, var in x.items()
    )

    out_of = defaultdict(list)
    into = defaultdict(list)
    for (f, z, a), var in x.items():
        out_of[f, a].append(var)
        into[z, a].append(var)
    for f in fronts:
        for a in assets:
            if (f, a) in out_of:
                freed = float(inp.freed[fronts.index(f), assets.index(a)])
                prob += pulp.lpSum(out_of[f, a]) <= freed, f"supply_{f}_{a}"
    for z, a in pairs:
        prob += (
            pulp.lpSum(into[z, a]) - pulp.lpSum(y[z, a, k] for k in range(n_seg)) == 0,
            f"balance_{z}_{a}",
        )
        room = float(inp.absorb[zones.index(z), assets.index(a)])
        prob += pulp.lpSum(into[z, a]) <= room, f"room_{z}_{a}"

    for r, region in enumerate(inp.regions):
        lo, hi = inp.region_floor[r], inp.region_cap[r]
        if np.isnan(lo) and np.isnan(hi):
            continue
        terms = [
            y[z, a, k]
            for (z, a) in pairs
            if inp.zone_region[zones.index(z)] == region and a in military
            for k in range(n_seg)
        ]
        if not np.isnan(lo):
            prob += pulp.lpSum(terms) >= float(lo), f"floor_{r}"
        if not np.isnan(hi):
            prob += pulp.lpSum(terms) <= float(hi), f"cap_{r}"
    return prob


def solve_pulp(inp: AllocationInputs, *, solver: str = "highs") -> PulpRun:
    """Build and solve with PuLP; ``solver`` is ``"highs"`` (PuLP's highspy interface) or
    ``"cbc"`` (PuLP's bundled CBC)."""
    t0 = time.perf_counter()
    prob = build_pulp(inp)
    t1 = time.perf_counter()
    if solver == "highs":
        backend = pulp.HiGHS(msg=False)
    elif solver == "cbc":
        backend = pulp.PULP_CBC_CMD(msg=False)
    else:
        msg = f"unknown solver {solver!r}"
        raise ValueError(msg)
    prob.solve(backend)
    t2 = time.perf_counter()
    return PulpRun(
        build_seconds=t1 - t0,
        solve_seconds=t2 - t1,
        objective=float(pulp.value(prob.objective) or 0.0),
        status=pulp.LpStatus[prob.status],
        solver=solver,
    )
