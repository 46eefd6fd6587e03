"""The redeployment LP written the way an analyst would in PuLP: one LpVariable per column.

Used by `bench_model.py` as the comparison point; not part of the package. The same
columns, rows and objective as `redeploy.model.lp` (docs/model.md §5), read from the same
`AllocationInputs` with Python loops over flows, fronts, zones and classes and
`LpAffineExpression` sums: flows, value segments, conversions to engagement, floor tiers,
credibility segments; supply, room, conversion-cap, floor-tier, credibility and region
rows; the home reserve's value and the fixed risks as the objective's constant. Two-sided
rows (room, region floors with caps) are written as two constraints, as PuLP takes them.
Whole-unit mode (a MILP) is not written here.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

import pulp

from redeploy.model.inputs import AllocationInputs
from redeploy.scenario import RISK_CHANNELS
from redeploy.schemas import MILITARY_ASSETS


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


Terms = list[tuple[pulp.LpVariable, float]]


def _total(terms: Terms) -> pulp.LpAffineExpression:
    """Σ coefficient · variable over `terms`; a variable listed twice adds up (a flow from
    home to home leaves and enters the home pool's supply row)."""
    total = pulp.LpAffineExpression()
    for var, coefficient in terms:
        total.addterm(var, coefficient)
    return total


def build_pulp(inp: AllocationInputs) -> pulp.LpProblem:
    """Build the LP with PuLP, one variable per column (Python loops; see the module)."""
    if inp.units:
        msg = "bench_pulp.py writes the LP only; whole-unit mode (a MILP) is not written"
        raise ValueError(msg)
    n_f, n_z, n_a = len(inp.front_ids), len(inp.zone_ids), len(inp.assets)
    home_f, home_z = n_f - 1, n_z - 1
    military = [a in MILITARY_ASSETS for a in inp.assets]
    eng = inp.assets.index("engagement") if "engagement" in inp.assets else None
    weight = [float(inp.risk_lambda * w) for w in inp.risk_weights]
    frag = RISK_CHANNELS.index("fragmentation")
    cred = RISK_CHANNELS.index("credibility")
    counter = RISK_CHANNELS.index("counter_alignment")
    risk = inp.risk

    def release(f: int, a: int) -> float:
        return sum(weight[c] * float(risk.per_unit[c, f, a]) for c in range(len(weight)))

    prob = pulp.LpProblem("redeploy", pulp.LpMaximize)
    objective: Terms = []

    # flows x_j: front (or home) -> zone (or home), one class
    out_of: dict[tuple[int, int], Terms] = defaultdict(list)
    into: dict[tuple[int, int], Terms] = defaultdict(list)
    home_in: dict[int, Terms] = defaultdict(list)
    flows: list[pulp.LpVariable] = []
    for j in range(inp.n_flows):
        f, z, a = int(inp.flow_front[j]), int(inp.flow_zone[j]), int(inp.flow_asset[j])
        x = prob.add_variable(f"x_{j}", lowBound=0)
        flows.append(x)
        if z == home_z:
            value = float(inp.value[home_z, a])
            home_in[a].append((x, 1.0))
        else:
            value = float(inp.seg_value[z, a, -1])
            into[z, a].append((x, 1.0))
        if f == home_f:
            value -= float(inp.value[home_z, a])
        dest = weight[counter] * float(risk.destination[z, a])
        cost = float(inp.flow_transit_cost[j]) + release(f, a) + dest
        objective.append((x, value - cost))
        out_of[f, a].append((x, 1.0))

    # value segments y_pk of each (zone, class) with inflow, but the last
    n_seg = inp.seg_length.shape[2]
    segments: dict[tuple[int, int], Terms] = {}
    for z, a in into:
        segments[z, a] = []
        for k in range(n_seg - 1):
            y = prob.add_variable(
                f"y_{z}_{a}_{k}", lowBound=0, upBound=float(inp.seg_length[z, a, k])
            )
            gain = float(inp.seg_value[z, a, k] - inp.seg_value[z, a, -1])
            objective.append((y, gain))
            segments[z, a].append((y, -1.0))

    # conversions, floor tiers and credibility segments of each real front
    conv: dict[tuple[int, int], pulp.LpVariable] = {}
    tier: dict[tuple[int, int], pulp.LpVariable] = {}
    cred_segs: dict[int, Terms] = {}
    for f in range(n_f - 1):
        for a in range(n_a):
            if not military[a]:
                continue
            if inp.baseline[f, a] > 0:
                upper = float(inp.freed[f, a]) if inp.conversion_cap[f] > 0 else 0.0
                conv[f, a] = prob.add_variable(f"k_{f}_{a}", lowBound=0, upBound=upper)
                objective.append((conv[f, a], -release(f, a)))
            if inp.floor[f, a] - inp.hard_floor[f, a] > 0:
                room = float(risk.floor_room[f, a])
                tier[f, a] = prob.add_variable(f"t_{f}_{a}", lowBound=0, upBound=room)
                rate = float(risk.floor_rate[f, a] - risk.per_unit[frag, f, a])
                objective.append((tier[f, a], -weight[frag] * rate))
        presence = sum(float(inp.baseline[f, a] * risk.asset_weight[a]) for a in range(n_a))
        if risk.cred_length.shape[1] and presence > 0:
            cred_segs[f] = []
            for k in range(risk.cred_length.shape[1]):
                u = prob.add_variable(
                    f"u_{f}_{k}", lowBound=0, upBound=float(risk.cred_length[f, k])
                )
                objective.append((u, -weight[cred] * float(risk.cred_rate[f, k])))
                cred_segs[f].append((u, -1.0))

    reserve = sum(float(inp.freed[home_f, a] * inp.value[home_z, a]) for a in range(n_a))
    fixed = sum(weight[c] * float(risk.fixed[c].sum()) for c in range(len(weight)))
    prob += _total(objective) + (reserve - fixed)

    # supply: what leaves a front (or home) and what it converts, within what is freed
    keys = set(out_of) | set(conv) | {(home_f, a) for a in range(n_a) if military[a]}
    keys |= {(home_f, a) for a in home_in}
    if eng is not None:
        keys |= {(f, eng) for f, _ in conv}
    home_low = _home_lower(inp) if inp.home_deploy_all else {}
    for f, a in sorted(keys):
        terms = list(out_of.get((f, a), []))
        if f == home_f:
            terms += [(x, -1.0) for x, _ in home_in.get(a, [])]
        if (f, a) in conv:
            terms.append((conv[f, a], 1.0))
        if a == eng:
            terms += [
                (conv[f, b], -float(inp.us_unit_cost[b])) for b in range(n_a) if (f, b) in conv
            ]
        supply = _total(terms)
        prob += supply <= float(inp.freed[f, a]), f"supply_{f}_{a}"
        if f == home_f and a in home_low:
            prob += supply >= home_low[a], f"deploy_all_{a}"

    # room: inflow into a (zone, class) fills its segments; the last takes the rest
    for (z, a), terms in into.items():
        balance = _total(terms + segments[z, a])
        prob += balance >= 0.0, f"room_lo_{z}_{a}"
        prob += balance <= float(inp.seg_length[z, a, -1]), f"room_{z}_{a}"

    # conversion cap ($bn/yr) per front
    if eng is not None:
        for f in sorted({f for f, _ in conv}):
            spent = [(conv[f, a], float(inp.us_unit_cost[a])) for a in range(n_a) if (f, a) in conv]
            prob += _total(spent) <= float(inp.conversion_cap[f]), f"cap_{f}"

    # floor tiers: withdrawal beyond where the floor starts goes into the tier
    for (f, a), t in tier.items():
        terms = [*out_of.get((f, a), []), (t, -1.0)]
        if (f, a) in conv:
            terms.append((conv[f, a], 1.0))
        prob += _total(terms) <= float(risk.floor_start[f, a]), f"tier_{f}_{a}"

    # credibility: weighted withdrawal of a front fills its segments
    for f, segs in cred_segs.items():
        terms = list(segs)
        for a in range(n_a):
            w = float(risk.asset_weight[a])
            if w <= 0:
                continue
            terms += [(x, w) for x, _ in out_of.get((f, a), [])]
            if (f, a) in conv:
                terms.append((conv[f, a], w))
        prob += _total(terms) <= 0.0, f"cred_{f}"

    _region_rows(prob, inp, flows, military)
    return prob


def _home_lower(inp: AllocationInputs) -> dict[int, float]:
    """The whole home reserve leaves (``[home] deploy_all``): of each class, as much as
    the room of the zones its flows from home reach."""
    home_f = len(inp.front_ids) - 1
    reach: dict[int, set[int]] = defaultdict(set)
    for j in range(inp.n_flows):
        if int(inp.flow_front[j]) == home_f:
            reach[int(inp.flow_asset[j])].add(int(inp.flow_zone[j]))
    out = {}
    for a in range(len(inp.assets)):
        room = sum(float(inp.seg_length[z, a].sum()) for z in reach.get(a, ()))
        out[a] = min(float(inp.freed[home_f, a]), room)
    return out


def _region_rows(
    prob: pulp.LpProblem, inp: AllocationInputs, flows: list[pulp.LpVariable], military: list[bool]
) -> None:
    """Region floors and caps: the flows into each region's real zones (of the military
    classes, or of one class)."""
    home_z = len(inp.zone_ids) - 1
    by_region: dict[str, list[int]] = defaultdict(list)
    for j in range(inp.n_flows):
        z = int(inp.flow_zone[j])
        if z != home_z:
            by_region[inp.zone_region[z]].append(j)
    for r, name in enumerate(inp.regions):
        members = by_region.get(name, [])
        asset = [int(inp.flow_asset[j]) for j in members]
        lo, hi = float(inp.region_floor[r]), float(inp.region_cap[r])
        if lo == lo or hi == hi:  # either is set (not NaN)
            terms = [(flows[j], 1.0) for j, a in zip(members, asset, strict=True) if military[a]]
            _bounded(prob, terms, lo, hi, f"region_{r}")
        for a in range(len(inp.assets)):
            lo, hi = float(inp.region_asset_floor[r, a]), float(inp.region_asset_cap[r, a])
            if lo == lo or hi == hi:
                terms = [(flows[j], 1.0) for j, b in zip(members, asset, strict=True) if b == a]
                _bounded(prob, terms, lo, hi, f"region_{r}_{a}")


def _bounded(prob: pulp.LpProblem, terms: Terms, lo: float, hi: float, name: str) -> None:
    """``lo <= sum <= hi``, each side only where it is set (not NaN)."""
    total = _total(terms)
    if lo == lo:
        prob += total >= lo, f"{name}_floor"
    if hi == hi:
        prob += total <= hi, f"{name}_cap"


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
