"""The value-risk frontier ("reciprocity tightrope"): sweep the risk weight λ and re-solve warm.

For λ on a fixed grid, the LP maximises value − transit cost − λ·risk; each solution is a
point (risk, net value) of the frontier, with risk = Σ ρ·released counted at λ = 1 and net
value = value − transit cost. As λ falls, more risk is accepted and the net value never
falls (parametric LP: both are non-decreasing). The model is built once; each λ only
changes the objective's coefficients (`AllocationModel.update`) and HiGHS re-solves from
the previous basis.

The grid is ``0`` and then ``points - 1`` values spaced geometrically from ``top / 1000`` to
``top``, where ``top`` is just above the largest λ at which releasing any unit still pays
for itself (`lambda_top`): from there on, only what region floors force is released.

The files (``NAME-frontier.csv``, ``.png``, ``.html``) are written by
`redeploy.workflows.frontier`; the chart and the page are drawn by `redeploy.render`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from redeploy.model.allocation import build_model
from redeploy.model.inputs import AllocationInputs
from redeploy.model.result import AllocationResult

#: Default number of λ values.
DEFAULT_POINTS = 15
#: The smallest positive λ of the grid, as a share of the top one.
LOW_RATIO = 1e-3
#: Tolerance of the dominance test ($bn-eq/yr).
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Frontier:
    """
    A traced frontier.

    Attributes
    ----------
    scenario
        Scenario name.
    run_id
        Digest of the inputs.
    table
        One row per λ, ascending (`frontier_table`).
    results
        The allocation at each λ, in the order of `table`.
    scenario_lambda
        The scenario's own λ, and `scenario_result` its allocation.
    """

    scenario: str
    run_id: str
    table: pd.DataFrame
    results: tuple[AllocationResult, ...]
    scenario_lambda: float
    scenario_result: AllocationResult
    scenario_row: dict[str, float] = field(default_factory=dict)


def _nice_up(x: float) -> float:
    """Round `x` > 0 up to two significant digits."""
    e = math.floor(math.log10(x)) - 1
    step = 10.0**e
    return round(math.ceil(x / step - 1e-9) * step, 12)


def lambda_top(inputs: AllocationInputs) -> float:
    """
    Return the top of the λ grid: above it no released unit pays for its risk.

    A flow's first unit earns ``slope_1 · value − transit``; with risk ρ per unit it pays
    while λ < (slope_1 · value − transit) / ρ. The top is the largest such ratio over the
    flows that can carry anything, times 1.05, rounded up to two significant digits
    (1 when no flow has both a margin and a risk).
    """
    f, z, a = inputs.flow_front, inputs.flow_zone, inputs.flow_asset
    slope = float(inputs.segment_slopes[0]) if len(inputs.segment_slopes) else 1.0
    margin = slope * inputs.value[z, a] - inputs.flow_transit_cost
    rho = inputs.risk[f, a]
    usable = (inputs.freed[f, a] > 0) & (inputs.absorb[z, a] > 0) & (margin > 0) & (rho > 0)
    if not usable.any():
        return 1.0
    return _nice_up(1.05 * float((margin[usable] / rho[usable]).max()))


def lambda_grid(inputs: AllocationInputs, points: int = DEFAULT_POINTS) -> np.ndarray:
    """
    Return the λ grid: 0, then ``points - 1`` values geometric from top/1000 to top.

    Raises
    ------
    ValueError
        When `points` < 2.
    """
    if points < 2:
        msg = f"--points must be at least 2 (0 and the top λ), got {points}"
        raise ValueError(msg)
    top = lambda_top(inputs)
    rest = np.geomspace(top * LOW_RATIO, top, points - 1) if points > 2 else np.array([top])
    return np.concatenate([[0.0], rest])


def _released(result: AllocationResult) -> pd.DataFrame:
    return result.fronts[["front_id", "asset", "released"]]


def unweighted_risk(inputs: AllocationInputs, result: AllocationResult) -> float:
    """Return Σ ρ·released of `result` (risk at λ = 1, $bn-eq/yr)."""
    fronts = {f: i for i, f in enumerate(inputs.front_ids)}
    assets = {a: j for j, a in enumerate(inputs.assets)}
    rel = _released(result)
    i = rel["front_id"].map(fronts).to_numpy(dtype=int)
    j = rel["asset"].map(assets).to_numpy(dtype=int)
    return float((inputs.risk[i, j] * rel["released"].to_numpy(dtype=float)).sum())


def region_slug(region: str) -> str:
    """Return a column-safe name of a region (``"Southeast Asia"`` → ``southeast_asia``)."""
    return re.sub(r"[^a-z0-9]+", "_", region.lower()).strip("_")


def point_row(inputs: AllocationInputs, result: AllocationResult, lam: float) -> dict[str, float]:
    """Return one frontier row (see `frontier_table`) for the allocation at λ = `lam`."""
    obj = result.objective
    risk = unweighted_risk(inputs, result)
    military = result.fronts["asset"].isin(
        [a for a, m in zip(inputs.assets, inputs.military, strict=True) if m]
    )
    row: dict[str, float] = {
        "lambda": float(lam),
        "value": float(obj["value"]),
        "transit_cost": float(obj["transit_cost"]),
        "net_value": float(obj["value"] - obj["transit_cost"]),
        "risk": risk,
        "total": float(obj["value"] - obj["transit_cost"] - lam * risk),
        "released_kpe": float(result.fronts.loc[military, "released"].sum()),
        "released_engagement_bn": float(result.fronts.loc[~military, "released"].sum()),
    }
    for region in inputs.regions:
        slug = region_slug(region)
        row[f"{slug}_kpe"] = float(result.totals["by_region"].get(region, 0.0))
        row[f"{slug}_engagement_bn"] = float(result.totals["by_region_engagement"].get(region, 0.0))
    return row


def dominated(net_value: Sequence[float], risk: Sequence[float]) -> np.ndarray:
    """
    Mark dominated points: another point has >= net value and <= risk, one of them strictly.

    Differences within `TOLERANCE` count as equal.
    """
    v = np.asarray(net_value, dtype=float)
    r = np.asarray(risk, dtype=float)
    ge = v[None, :] >= v[:, None] - TOLERANCE
    le = r[None, :] <= r[:, None] + TOLERANCE
    strict = (v[None, :] > v[:, None] + TOLERANCE) | (r[None, :] < r[:, None] - TOLERANCE)
    return (ge & le & strict).any(axis=1)


def trace_frontier(
    inputs: AllocationInputs,
    *,
    points: int = DEFAULT_POINTS,
    lambdas: Sequence[float] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Frontier:
    """
    Solve the allocation for each λ of the grid, re-using one model.

    Parameters
    ----------
    inputs
        Model inputs (`redeploy.model.inputs.build_inputs`); their own λ is solved too.
    points
        Number of λ values (`lambda_grid`), unless `lambdas` is given.
    lambdas
        Explicit λ values (>= 0).
    progress
        Called with (points done, points) after each solve.

    Returns
    -------
    Frontier

    Raises
    ------
    InfeasibleAllocationError
        When the scenario's floors and caps conflict (at any λ: they do not depend on it).
    """
    grid = np.asarray(lambdas if lambdas is not None else lambda_grid(inputs, points), float)
    if grid.size == 0 or (grid < 0).any() or not np.isfinite(grid).all():
        msg = "λ values must be finite and >= 0"
        raise ValueError(msg)
    model = build_model(inputs)
    order = np.argsort(-grid, kind="mergesort")  # from "release nothing" down to λ = 0
    results: list[AllocationResult | None] = [None] * len(grid)
    for n, k in enumerate(order, start=1):
        model.update(risk_lambda=float(grid[k]))
        results[k] = model.solve()
        if progress is not None:
            progress(n, len(grid) + 1)
    model.update(risk_lambda=inputs.risk_lambda)
    own = model.solve()
    if progress is not None:
        progress(len(grid) + 1, len(grid) + 1)
    done = [r for r in results if r is not None]
    table = frontier_table(inputs, grid, done)
    return Frontier(
        scenario=inputs.scenario,
        run_id=inputs.run_id,
        table=table,
        results=tuple(done),
        scenario_lambda=float(inputs.risk_lambda),
        scenario_result=own,
        scenario_row=point_row(inputs, own, inputs.risk_lambda),
    )


def frontier_table(
    inputs: AllocationInputs, lambdas: Sequence[float], results: Sequence[AllocationResult]
) -> pd.DataFrame:
    """
    Return the frontier as a table, one row per λ (ascending).

    Columns: ``point`` (0..n-1), ``lambda``, ``value``, ``transit_cost``, ``net_value``
    (value − transit cost), ``risk`` (Σ ρ·released, i.e. at λ = 1), ``total``
    (net value − λ·risk, the objective), ``released_kpe``, ``released_engagement_bn``,
    ``dominated``, then ``<region>_kpe`` and ``<region>_engagement_bn`` allocated per
    region. Money in $bn-eq/yr.
    """
    rows = [point_row(inputs, r, lam) for lam, r in zip(lambdas, results, strict=True)]
    table = pd.DataFrame(rows)
    table = table.sort_values("lambda", kind="mergesort").reset_index(drop=True)
    table.insert(0, "point", np.arange(len(table)))
    mark = dominated(table["net_value"], table["risk"])
    table.insert(table.columns.get_loc("released_engagement_bn") + 1, "dominated", mark)
    return table


def lambda_label(lam: float) -> str:
    """Return λ as short text (``0``, ``0.012``, ``1.5``)."""
    return "0" if lam == 0 else f"{lam:.2g}"
