"""One sample of a sweep: its LP data on the plan's structure, and the solver of samples.

`sample_arrays` applies the model's own equations (`redeploy.model.inputs.scenario_arrays`)
to a sample's scenario on the layers the plan read once; `SampleSolver` solves it on the
core model, the warm model or, when it needs a flow outside both, the whole structure.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
from pydantic import ValidationError

from redeploy.errors import InfeasibleAllocationError, RedeployError, ScenarioError
from redeploy.model.allocation import AllocationModel, RawSolution
from redeploy.model.highs import PRICE_TOL
from redeploy.model.inputs import AllocationInputs, release_risk, scenario_arrays
from redeploy.scenario import (
    Scenario,
    apply_values,
    effective_coefficients,
    format_validation_error,
)

if TYPE_CHECKING:
    from redeploy.model.sweep.plan import SweepPlan

#: Status of a sample solved to optimality.
STATUS_OK = "optimal"


def with_arrays(inputs: AllocationInputs, arrays: SampleArrays) -> AllocationInputs:
    return dataclasses.replace(
        inputs,
        freed=arrays.freed,
        risk=arrays.risk,
        value=arrays.value,
        absorb=arrays.absorb,
        risk_lambda=arrays.risk_lambda,
        flow_transit_cost=arrays.transit_cost,
    )


def cold_model(
    inputs: AllocationInputs,
    arrays: SampleArrays,
    keep: np.ndarray | None,
    *,
    presolve: bool,
    regions: bool = True,
) -> tuple[AllocationModel, np.ndarray]:
    """Build a new model of one sample on the flows `keep` (all when None)."""
    full = with_arrays(inputs, arrays)
    sub = full if keep is None else full.with_flows(keep)
    model = AllocationModel(sub, sift=False)
    if not presolve:
        model.highs.setOptionValue("presolve", "off")
    if regions:
        _set_region_bounds(model, arrays)
    model.update(freed=arrays.freed)
    opened = arrays.flow_open if keep is None else arrays.flow_open[keep]
    model.close_flows(~opened)  # the flows the sample's own inputs would not create
    return model, sub.flow_transit_cost


@dataclass(frozen=True)
class SampleArrays:
    """The LP data of one sample (shapes as in `AllocationInputs`)."""

    freed: np.ndarray
    risk: np.ndarray
    value: np.ndarray
    absorb: np.ndarray
    risk_lambda: float
    transit_cost: np.ndarray
    #: (n,) True where `build_inputs` on this sample would create the flow.
    flow_open: np.ndarray
    #: Lower and upper bound of each region row of the model.
    region_lower: np.ndarray
    region_upper: np.ndarray


def sample_scenario(plan: SweepPlan, values: Mapping[str, Any]) -> Scenario:
    """
    Return the plan's scenario with each ``{path: value}`` set.

    Raises
    ------
    ScenarioError
        When the values break a rule of the scenario schema together.
    """
    keys = {p.keys: _plain(values[path]) for path, p, _ in plan.params if path in values}
    data = apply_values(plan.base_data, keys)
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(format_validation_error(err, plan.source, Scenario)) from None
    sc._source = plan.source
    return sc


def _plain(x: Any) -> Any:
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


def sample_arrays(plan: SweepPlan, scenario: Scenario) -> SampleArrays:
    """
    Compute the LP data of one sample's scenario on the plan's structure.

    The equations are those of every run (`redeploy.model.inputs.scenario_arrays`), on
    the layers the plan read once.
    """
    arrays = scenario_arrays(
        plan.base, scenario, effective_coefficients(scenario, plan.coefficients)
    )
    inp = plan.inputs
    f, z, a = inp.flow_front, inp.flow_zone, inp.flow_asset
    lower, upper = _region_bounds(plan, scenario)
    return SampleArrays(
        freed=arrays.rep["freed"],
        risk=arrays.rep["risk"],
        value=arrays.value,
        absorb=arrays.absorb,
        risk_lambda=arrays.risk_lambda,
        transit_cost=arrays.flow_costs(z, a, inp.flow_distance_km),
        flow_open=arrays.flow_open(f, z, a),
        region_lower=lower,
        region_upper=upper,
    )


def _region_bounds(plan: SweepPlan, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the model's region rows (the rows exist where the central scenario set one)."""
    lower, upper = [], []
    for region, asset in plan.region_rows:
        ro = scenario.region(region)
        lo = hi = None
        if ro is not None:
            if asset is None:
                lo, hi = ro.floor, ro.cap
            else:
                lo = getattr(ro.asset_floor, asset) if ro.asset_floor is not None else None
                hi = getattr(ro.asset_cap, asset) if ro.asset_cap is not None else None
        lower.append(0.0 if lo is None else float(lo))
        upper.append(math.inf if hi is None else float(hi))
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


def _basis(status: tuple[np.ndarray, np.ndarray]) -> highspy.HighsBasis:
    basis = highspy.HighsBasis()
    basis.col_status = [highspy.HighsBasisStatus(int(v)) for v in status[0]]
    basis.row_status = [highspy.HighsBasisStatus(int(v)) for v in status[1]]
    basis.valid = True
    return basis


class SampleSolver:
    """
    Solve samples of one plan, each on the core model first, then the warm model.

    Every sample is loaded whole into a model built once (`AllocationModel.reload`) and
    re-solved from that model's central basis: first the core model, whose optimum is
    kept when no flow left out of it has a positive reduced cost at its duals (then it
    is optimal on every flow); otherwise the warm model; a sample that needs a flow
    outside the warm model is solved cold on every flow.

    Parameters
    ----------
    plan
        The sweep plan.
    warm
        True: re-solve as above (the sweep's way). False: build a new model and solve it
        from scratch for each sample (benchmarks).
    """

    def __init__(self, plan: SweepPlan, *, warm: bool = True) -> None:
        self.plan = plan
        self.warm = warm
        inp = plan.inputs
        # sift=False: samples start from a basis set in `highs` and read its column duals
        self.model = AllocationModel(inp.with_flows(plan.keep), sift=False) if warm else None
        self.start = _basis(plan.basis) if warm else None
        #: The flows outside the warm model, their (front, asset) and their index in it.
        self._outside = np.flatnonzero(~plan.keep)
        self._outside_fa = (inp.flow_front[self._outside], inp.flow_asset[self._outside])
        self._kept = np.flatnonzero(plan.keep)
        #: The model the last sample was solved on, or found infeasible on.
        self.last_solve = ""
        #: The core model, its flows, and the warm model's flows it leaves out (priced).
        self.core: AllocationModel | None = None
        if warm and not np.array_equal(plan.core, plan.keep):
            self.core = AllocationModel(inp.with_flows(plan.core), sift=False)
            self.core_start = _basis(plan.core_basis)
            self._core = np.flatnonzero(plan.core)
            self._priced = np.flatnonzero(plan.keep & ~plan.core)

    def _needs_cold(self, arrays: SampleArrays) -> bool:
        """True when the sample can use a flow outside the warm model (`_used` there)."""
        out = self._outside
        return bool((arrays.flow_open[out] & (arrays.freed[self._outside_fa] > 0)).any())

    @staticmethod
    def _load(
        model: AllocationModel, flows: np.ndarray, start: highspy.HighsBasis, arrays: SampleArrays
    ) -> None:
        """Pass one sample's LP, on the structure's `flows`, to `model`; start from `start`."""
        _set_region_bounds(model, arrays)
        # Pass the whole sample's LP again (every cost changes from one sample to the next,
        # and one pass is cheaper than HiGHS's change calls) with the flows the sample's
        # own inputs would not create fixed at zero. Loading a model drops every piece of
        # solver state, so with the central basis set on top each sample starts from the
        # same place and follows the same path on any worker, after any other sample.
        model.reload(
            flow_upper=np.where(arrays.flow_open[flows], np.inf, 0.0),
            freed=arrays.freed,
            risk=arrays.risk,
            value=arrays.value,
            absorb=arrays.absorb,
            risk_lambda=arrays.risk_lambda,
            transit_cost=arrays.transit_cost[flows],
        )
        model.set_basis(start)

    def _solve_core(self, arrays: SampleArrays) -> RawSolution | None:
        """The core model's optimum if it is optimal on every flow, else None."""
        core = self.core
        assert core is not None
        self._load(core, self._core, self.core_start, arrays)
        try:
            raw = core.solve_raw(check=False)
        except InfeasibleAllocationError:  # the warm model may still meet the floors
            return None
        inp, out = self.plan.inputs, self._priced
        f, a = inp.flow_front[out], inp.flow_asset[out]
        reduced = core.reduced_costs(raw.duals, f, inp.flow_zone[out], a, arrays.transit_cost[out])
        used = arrays.flow_open[out] & (arrays.freed[f, a] > 0)
        return None if (reduced[used] > PRICE_TOL).any() else raw

    def solve_arrays(self, arrays: SampleArrays) -> tuple[RawSolution, np.ndarray, str]:
        """
        Solve one sample's LP; return the solution, its flows' transit costs, and how
        (``core``, ``warm`` or ``cold``).

        Raises
        ------
        InfeasibleAllocationError
            When the sample's floors and caps cannot hold together.
        """
        plan = self.plan
        outside = self._needs_cold(arrays)
        if outside or not self.warm:
            # A sample that needs a flow outside the warm model is solved on every flow.
            self.last_solve = "cold"
            model, cost = cold_model(
                plan.inputs, arrays, None if outside else plan.keep, presolve=True
            )
            return model.solve_raw(check=False), cost, "cold"
        if self.core is not None:
            self.last_solve = "core"
            raw = self._solve_core(arrays)
            if raw is not None:
                return raw, arrays.transit_cost[self._core], "core"
        model = self.model
        assert model is not None and self.start is not None
        self.last_solve = "warm"
        self._load(model, self._kept, self.start, arrays)
        return model.solve_raw(check=False), arrays.transit_cost[self._kept], "warm"

    def solve(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """
        Solve one sample and return its row of results (see `sample_columns`).

        Samples whose values break the scenario's rules get status ``"invalid"``, and
        infeasible ones ``"infeasible"``; their numbers are NaN.
        """
        plan = self.plan
        row: dict[str, Any] = {f"param:{p}": _plain(values[p]) for p in plan.paths}
        try:
            scenario = sample_scenario(plan, values)
            arrays = sample_arrays(plan, scenario)
        except RedeployError:
            return {**row, "status": "invalid"}
        try:
            raw, cost, how = self.solve_arrays(arrays)
        except InfeasibleAllocationError:  # on the last model tried
            return {**row, "status": "infeasible", "solve": self.last_solve}
        return {**row, "status": STATUS_OK, "solve": how, **_outcome(plan, raw, arrays, cost)}


def _set_region_bounds(model: AllocationModel, arrays: SampleArrays) -> None:
    # `AllocationModel.update` takes region rows' bounds from these lists when it
    # resets the row bounds (it does whenever `freed` is passed).
    if len(arrays.region_lower) != len(model.rows.region_rows):
        msg = "region bounds do not match the model's region rows"
        raise AssertionError(msg)
    model.region_lower = list(arrays.region_lower)
    model.region_upper = list(arrays.region_upper)


def concave_value(
    allocated: np.ndarray,
    value: np.ndarray,
    absorb: np.ndarray,
    shares: np.ndarray,
    slopes: np.ndarray,
) -> float:
    """
    Return the strategic value of an allocation: concave segments filled steepest first.

    Parameters
    ----------
    allocated, value, absorb
        (Z, A) amounts allocated, first-unit value and absorptive capacity.
    shares, slopes
        (K,) segment lengths (shares of absorb) and slopes (shares of the first-unit value).
    """
    ends = np.cumsum(shares)
    starts = ends - shares
    lower = starts[None, None, :] * absorb[:, :, None]
    fill = np.clip(allocated[:, :, None] - lower, 0.0, shares[None, None, :] * absorb[:, :, None])
    return float((fill * slopes[None, None, :] * value[:, :, None]).sum())


def _outcome(plan: SweepPlan, raw: Any, arrays: SampleArrays, cost: np.ndarray) -> dict:
    inp = plan.inputs
    military = inp.military
    value = concave_value(
        raw.allocated, arrays.value, arrays.absorb, inp.segment_shares, inp.segment_slopes
    )
    transit = float((raw.flows * cost).sum())
    risk = float((release_risk(arrays.risk_lambda, arrays.risk) * raw.released).sum())
    out: dict[str, Any] = {
        "objective:value": value,
        "objective:transit_cost": transit,
        "objective:risk": risk,
        "objective:total": value - transit - risk,
    }
    alloc_mil = raw.allocated[:, military].sum(axis=1)
    alloc_eng = raw.allocated[:, ~military].sum(axis=1)
    for zid, m, e in zip(inp.zone_ids, alloc_mil, alloc_eng, strict=True):
        out[f"zone:{zid}:military_kpe"] = float(m)
        out[f"zone:{zid}:engagement_bn"] = float(e)
    rel_mil = raw.released[:, military].sum(axis=1)
    rel_eng = raw.released[:, ~military].sum(axis=1)
    for fid, m, e in zip(inp.front_ids, rel_mil, rel_eng, strict=True):
        out[f"front:{fid}:military_kpe"] = float(m)
        out[f"front:{fid}:engagement_bn"] = float(e)
    regions = np.asarray(inp.zone_region)
    for r in inp.regions:
        sel = regions == r
        out[f"region:{r}:military_kpe"] = float(alloc_mil[sel].sum())
        out[f"region:{r}:engagement_bn"] = float(alloc_eng[sel].sum())
    return out


def sample_columns(plan: SweepPlan) -> list[str]:
    """
    Return the columns of the sample table, in order.

    ``sample`` (index), ``status`` (``optimal``, ``infeasible`` or ``invalid``),
    ``solve`` (``core``: solved on the core model, optimal on every flow; ``warm``: on
    the warm model, when a flow outside the core would have improved the core's optimum
    or the core's LP was infeasible; ``cold``: a sample that needed a flow outside the
    warm model; for an infeasible sample, the model found infeasible; empty for an
    invalid one), ``param:PATH`` (sampled values),
    ``objective:value|transit_cost|risk|total`` ($bn-eq/yr),
    ``zone:ID:military_kpe|engagement_bn`` (allocated), ``front:ID:military_kpe|
    engagement_bn`` (released), ``region:NAME:military_kpe|engagement_bn`` (allocated).
    """
    inp = plan.inputs
    cols = ["sample", "status", "solve", *(f"param:{p}" for p in plan.paths)]
    cols += [f"objective:{k}" for k in ("value", "transit_cost", "risk", "total")]
    for kind, ids in (("zone", inp.zone_ids), ("front", inp.front_ids), ("region", inp.regions)):
        for i in ids:
            cols += [f"{kind}:{i}:military_kpe", f"{kind}:{i}:engagement_bn"]
    return cols
