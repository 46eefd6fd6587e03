"""The value-risk frontier ("reciprocity tightrope"): sweep the risk weight λ and re-solve warm.

For λ on a fixed grid (the common multiplier of every risk channel, or one channel's
weight), the LP maximises value − transit cost − λ·risk; each solution is a point (risk, net
value) of the frontier, with risk the swept channels' cost counted at λ = 1 and net value =
value − transit cost. As λ falls, more risk is accepted and the net value never
falls (parametric LP: both are non-decreasing). The model is built once; each λ only
changes the objective's coefficients (`AllocationModel.update`) and HiGHS re-solves from
the previous basis.

The grid is ``0`` and then ``points - 1`` values spaced geometrically from ``top / 1000`` to
``top``, where ``top`` is just above the largest λ at which withdrawing any unit (to a zone,
home, or converted into engagement) still pays for itself (`lambda_top`): from there on,
only what region floors force is withdrawn.

The files (``NAME-frontier.csv``, ``.png``, ``.html``) are written by
`redeploy.workflows.frontier`; the chart and the page are drawn by `redeploy.render`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from redeploy.model.allocation import build_model
from redeploy.model.inputs import AllocationInputs
from redeploy.model.result import AllocationResult
from redeploy.model.risk import FIXED_CHANNELS
from redeploy.schemas import RISK_CHANNELS

if TYPE_CHECKING:
    import numpy.typing as npt

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
        The scenario's own weight of the swept parameter, and `scenario_result` its
        allocation.
    channel
        The swept channel (None: the common λ).
    """

    scenario: str
    run_id: str
    table: pd.DataFrame
    results: tuple[AllocationResult, ...]
    scenario_lambda: float
    scenario_result: AllocationResult
    scenario_row: dict[str, float | str] = field(default_factory=dict)
    #: The swept risk channel, or None for the common multiplier λ of every channel.
    channel: str | None = None


def _nice_up(x: float) -> float:
    """Round `x` > 0 up to two significant digits."""
    e = math.floor(math.log10(x)) - 1
    step = 10.0**e
    return round(math.ceil(x / step - 1e-9) * step, 12)


def _weights(inputs: AllocationInputs, channel: str | None) -> np.ndarray:
    """(C,) channel weights at weight 1 of the swept parameter."""
    if channel is None:
        return np.asarray(inputs.risk_weights, dtype=float)
    unit = np.eye(len(RISK_CHANNELS))[RISK_CHANNELS.index(channel)]
    return np.asarray(unit * inputs.risk_lambda, dtype=float)


def channel_rates(inputs: AllocationInputs, channel: str | None) -> np.ndarray:
    """(n,) risk of the first unit of each flow at weight 1 of the swept parameter."""
    f, z, a = inputs.flow_front, inputs.flow_zone, inputs.flow_asset
    weights = _weights(inputs, channel)
    ca = weights[RISK_CHANNELS.index("counter_alignment")] * inputs.risk.destination[z, a]
    return np.asarray(_release_rates(inputs, channel)[f, a] + ca, dtype=float)


def _release_rates(inputs: AllocationInputs, channel: str | None) -> np.ndarray:
    """(F, A) risk of withdrawing the first unit of each class at weight 1 of the swept
    parameter, before any destination (per unit channels and credibility's first segment)."""
    risk = inputs.risk
    weights = _weights(inputs, channel)
    cred = weights[RISK_CHANNELS.index("credibility")] * (
        risk.cred_rate[:, :1] * risk.asset_weight[None, :]
        if risk.cred_rate.shape[1]
        else np.zeros_like(risk.per_unit[0])
    )
    return np.asarray(risk.release_cost(weights) + cred, dtype=float)


def _conversion_ratios(inputs: AllocationInputs, channel: str | None) -> np.ndarray:
    """Margin / risk of converting the first unit of each freed military class into
    engagement and sending it on the front's best engagement flow (an upper bound: the
    engagement flow's own destination risk is left out)."""
    f, z, a = inputs.flow_front, inputs.flow_zone, inputs.flow_asset
    eng = [k for k, m in enumerate(inputs.military) if not m]
    if not eng or not (inputs.conversion_cap > 0).any():
        return np.zeros(0)
    margin = inputs.seg_value.max(axis=2)[z, a] - inputs.flow_transit_cost
    per_dollar = np.zeros(len(inputs.front_ids))
    sel = (a == eng[0]) & (z != inputs.home_zone)
    np.maximum.at(per_dollar, f[sel], margin[sel])
    rho = _release_rates(inputs, channel)
    gain = per_dollar[:, None] * inputs.us_unit_cost[None, :]
    usable = (
        (inputs.conversion_cap[:, None] > 0)
        & inputs.military[None, :]
        & (inputs.freed > 0)
        & (gain > 0)
        & (rho > 0)
    )
    return np.asarray(gain[usable] / rho[usable], dtype=float)


def lambda_top(inputs: AllocationInputs, channel: str | None = None) -> float:
    """
    Return the top of the grid: above it no released or converted unit pays for its risk.

    A flow's first unit earns its steepest segment's value less its transit cost; with
    risk ρ per unit at weight 1 of the swept parameter (the common λ, or one channel's
    weight) it pays while the weight < margin / ρ. A converted unit earns at most its
    U.S. unit cost times the front's best engagement margin per dollar. The top is the
    largest such ratio over the flows and conversions that can carry anything, times 1.05,
    rounded up to two significant digits (1 when none has both a margin and a risk).
    """
    f, z, a = inputs.flow_front, inputs.flow_zone, inputs.flow_asset
    best = inputs.seg_value.max(axis=2)
    home = z == inputs.home_zone
    value = np.where(home, inputs.value[z, a], best[z, a])
    margin = value - inputs.flow_transit_cost
    rho = channel_rates(inputs, channel)
    usable = (inputs.freed[f, a] > 0) & (margin > 0) & (rho > 0) & (f != inputs.home_front)
    ratios = np.concatenate([margin[usable] / rho[usable], _conversion_ratios(inputs, channel)])
    if not ratios.size:
        return 1.0
    return _nice_up(1.05 * float(ratios.max()))


def lambda_grid(
    inputs: AllocationInputs, points: int = DEFAULT_POINTS, channel: str | None = None
) -> np.ndarray:
    """
    Return the grid: 0, then ``points - 1`` values geometric from top/1000 to top.

    Raises
    ------
    ValueError
        When `points` < 2.
    """
    if points < 2:
        msg = f"--points must be at least 2 (0 and the top λ), got {points}"
        raise ValueError(msg)
    top = lambda_top(inputs, channel)
    rest = np.geomspace(top * LOW_RATIO, top, points - 1) if points > 2 else np.array([top])
    return np.concatenate([[0.0], rest])


def unweighted_risk(
    inputs: AllocationInputs, result: AllocationResult, channel: str | None = None
) -> float:
    """Return the risk of `result` at weight 1 of the swept parameter ($bn-eq/yr): every
    channel at its own weight λ_c (the common λ = 1), or one channel's cost at λ_c = 1."""
    raw = result.meta.get("risk_unweighted", {})
    if channel is not None:
        return float(raw.get(channel, 0.0)) * inputs.risk_lambda
    return float(
        sum(w * raw.get(c, 0.0) for c, w in zip(RISK_CHANNELS, inputs.risk_weights, strict=True))
    )


def region_slug(region: str) -> str:
    """Return a column-safe name of a region (``"Southeast Asia"`` → ``southeast_asia``)."""
    return re.sub(r"[^a-z0-9]+", "_", region.lower()).strip("_")


def point_row(
    inputs: AllocationInputs,
    result: AllocationResult,
    lam: float,
    channel: str | None = None,
) -> dict[str, float | str]:
    """Return one frontier row (see `frontier_table`) for the allocation at weight `lam`."""
    obj = result.objective
    risk = unweighted_risk(inputs, result, channel)
    fronts = result.fronts
    military = fronts["asset"].isin(
        [a for a, m in zip(inputs.assets, inputs.military, strict=True) if m]
    )
    real = fronts["front_id"] != inputs.front_ids[inputs.home_front]
    weighted = {c: float(obj.get(f"risk_{c}", 0.0)) for c in RISK_CHANNELS}
    row: dict[str, float | str] = {
        "lambda": float(lam),
        "value": float(obj["value"]),
        "transit_cost": float(obj["transit_cost"]),
        "net_value": float(obj["value"] - obj["transit_cost"]),
        "risk": risk,
        "total": float(obj["total"]),
        "released_kpe": float(fronts.loc[military & real, "released"].sum()),
        "converted_kpe": float(fronts.loc[military & real, "converted"].sum()),
        "to_home_kpe": float(fronts.loc[military & real, "to_home"].sum()),
        "released_engagement_bn": float(fronts.loc[~military & real, "released"].sum()),
        "top_channel": _top_channel(weighted),
        **{f"risk_{c}": v for c, v in weighted.items()},
    }
    for region in inputs.regions:
        slug = region_slug(region)
        row[f"{slug}_kpe"] = float(result.totals["by_region"].get(region, 0.0))
        row[f"{slug}_engagement_bn"] = float(result.totals["by_region_engagement"].get(region, 0.0))
    return row


def _top_channel(weighted: Mapping[str, float]) -> str:
    """The channel that prices the allocation most at a point: the largest weighted risk
    among the channels that price what moves (backlash and trade price the pressure
    itself, a fixed cost that never changes the allocation); "" when none is positive."""
    priced = {c: v for c, v in weighted.items() if c not in FIXED_CHANNELS and v > 0}
    return max(priced, key=lambda c: (priced[c], c)) if priced else ""


def dominated(net_value: npt.ArrayLike, risk: npt.ArrayLike) -> np.ndarray:
    """
    Mark dominated points: another point has >= net value and <= risk, one of them strictly.

    Differences within `TOLERANCE` count as equal.
    """
    v = np.asarray(net_value, dtype=float)
    r = np.asarray(risk, dtype=float)
    ge = v[None, :] >= v[:, None] - TOLERANCE
    le = r[None, :] <= r[:, None] + TOLERANCE
    strict = (v[None, :] > v[:, None] + TOLERANCE) | (r[None, :] < r[:, None] - TOLERANCE)
    return np.asarray((ge & le & strict).any(axis=1), dtype=bool)


def _swept_weights(inputs: AllocationInputs, channel: str | None, lam: float) -> dict[str, object]:
    """The `AllocationModel.update` arguments that set the swept parameter to `lam`."""
    if channel is None:
        return {"risk_lambda": lam}
    weights = inputs.risk_weights.copy()
    weights[RISK_CHANNELS.index(channel)] = lam
    return {"risk_weights": weights}


def own_weight(inputs: AllocationInputs, channel: str | None) -> float:
    """The scenario's own value of the swept parameter (λ, or λ_channel)."""
    if channel is None:
        return float(inputs.risk_lambda)
    return float(inputs.risk_weights[RISK_CHANNELS.index(channel)])


def trace_frontier(
    inputs: AllocationInputs,
    *,
    points: int = DEFAULT_POINTS,
    lambdas: Sequence[float] | None = None,
    progress: Callable[[int, int], None] | None = None,
    channel: str | None = None,
) -> Frontier:
    """
    Solve the allocation for each weight of the grid, re-using one model.

    Parameters
    ----------
    inputs
        Model inputs (`redeploy.model.inputs.build_inputs`); their own weight is solved too.
    points
        Number of weights (`lambda_grid`), unless `lambdas` is given.
    lambdas
        Explicit weights (>= 0).
    progress
        Called with (points done, points) after each solve.
    channel
        Sweep this risk channel's weight λ_channel (the others at the scenario's values);
        by default the common multiplier λ of every channel.

    Returns
    -------
    Frontier

    Raises
    ------
    ValueError
        For an unknown channel or a negative weight.
    InfeasibleAllocationError
        When the scenario's floors and caps conflict (at any weight: they do not depend
        on it).
    """
    if channel is not None and channel not in RISK_CHANNELS:
        msg = f"unknown risk channel {channel!r}; channels: {', '.join(RISK_CHANNELS)}"
        raise ValueError(msg)
    grid = np.asarray(
        lambdas if lambdas is not None else lambda_grid(inputs, points, channel), float
    )
    if grid.size == 0 or (grid < 0).any() or not np.isfinite(grid).all():
        msg = "λ values must be finite and >= 0"
        raise ValueError(msg)
    model = build_model(inputs)
    order = np.argsort(-grid, kind="mergesort")  # from "release nothing" down to 0
    results: list[AllocationResult | None] = [None] * len(grid)
    for n, k in enumerate(order, start=1):
        model.update(**_swept_weights(inputs, channel, float(grid[k])))
        results[k] = model.solve()
        if progress is not None:
            progress(n, len(grid) + 1)
    own_lam = own_weight(inputs, channel)
    model.update(**_swept_weights(inputs, channel, own_lam))
    own = model.solve()
    if progress is not None:
        progress(len(grid) + 1, len(grid) + 1)
    done = [r for r in results if r is not None]
    table = frontier_table(inputs, grid, done, channel=channel)
    return Frontier(
        scenario=inputs.scenario,
        run_id=inputs.run_id,
        table=table,
        results=tuple(done),
        scenario_lambda=own_lam,
        scenario_result=own,
        scenario_row=point_row(inputs, own, own_lam, channel),
        channel=channel,
    )


def frontier_table(
    inputs: AllocationInputs,
    lambdas: Iterable[float],
    results: Sequence[AllocationResult],
    *,
    channel: str | None = None,
) -> pd.DataFrame:
    """
    Return the frontier as a table, one row per weight (ascending).

    Columns: ``point`` (0..n-1), ``lambda`` (the swept weight: λ, or λ_channel),
    ``value``, ``transit_cost``, ``net_value`` (value − transit cost), ``risk`` (the swept
    risk at weight 1: every channel at its own λ_c, or the one channel), ``total`` (the
    objective), ``released_kpe``, ``converted_kpe``, ``to_home_kpe``,
    ``released_engagement_bn``, ``dominated``, ``top_channel`` (the channel that
    prices the allocation most at the point: the largest weighted cost among the channels
    that price what moves, backlash and trade left out), ``risk_<channel>`` (each
    channel's weighted cost), then ``<region>_kpe`` and ``<region>_engagement_bn``
    allocated per region. Money in $bn-eq/yr.
    """
    rows = [point_row(inputs, r, lam, channel) for lam, r in zip(lambdas, results, strict=True)]
    table = pd.DataFrame(rows)
    table = table.sort_values("lambda", kind="mergesort").reset_index(drop=True)
    table.insert(0, "point", np.arange(len(table)))
    mark = dominated(table["net_value"], table["risk"])
    loc = table.columns.get_loc("released_engagement_bn")
    assert isinstance(loc, int)  # the columns are unique
    table.insert(loc + 1, "dominated", mark)
    return table


def lambda_label(lam: float) -> str:
    """Return λ as short text (``0``, ``0.012``, ``1.5``)."""
    return "0" if lam == 0 else f"{lam:.2g}"
