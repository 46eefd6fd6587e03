"""One sample of a sweep: its inputs on the plan's structure, and the solver of samples.

`sample_arrays` applies the model's own equations (`redeploy.model.inputs.scenario_arrays`)
to a sample's scenario on the layers the plan read once; `SampleSolver` solves it on the
warm model (the flows the probes use), or, when it needs a flow or a column outside it,
on a model built for the sample alone.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
from pydantic import ValidationError

from redeploy.errors import InfeasibleAllocationError, RedeployError, ScenarioError
from redeploy.model.allocation import AllocationModel, RawSolution
from redeploy.model.inputs import AllocationInputs, ScenarioArrays, scenario_arrays
from redeploy.model.parts import solution_parts
from redeploy.model.risk import channel_weights
from redeploy.model.sweep.plan_record import SweepPlan
from redeploy.scenario import (
    Scenario,
    apply_values,
    effective_coefficients,
    format_validation_error,
)
from redeploy.schemas import RISK_CHANNELS

#: Status of a sample solved to optimality.
STATUS_OK = "optimal"


@dataclass(frozen=True)
class SampleArrays:
    """
    The inputs of one sample on the plan's structure.

    Attributes
    ----------
    changes
        The `AllocationInputs` fields that differ from one sample to the next.
    flow_open
        (n,) True where `build_inputs` on this sample would create the flow.
    """

    changes: Mapping[str, Any]
    flow_open: np.ndarray

    def inputs(self, plan_inputs: AllocationInputs) -> AllocationInputs:
        """The plan's inputs with this sample's arrays."""
        return dataclasses.replace(plan_inputs, **self.changes)


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


def input_changes(arrays: ScenarioArrays, inp: AllocationInputs) -> dict[str, Any]:
    """The `AllocationInputs` fields of a scenario's arrays, on the flows of `inp`."""
    rep, coeffs = arrays.rep, arrays.coefficients
    z, a = inp.flow_zone, inp.flow_asset

    def home_row(x: np.ndarray) -> np.ndarray:
        return np.vstack([x, np.zeros((1, *x.shape[1:]))])

    return {
        "baseline": np.vstack([rep["baseline"], arrays.freed[-1]]),
        "floor": home_row(rep["floor"]),
        "hard_floor": home_row(rep["hard_floor"]),
        "substitute": home_row(rep["substitute"]),
        "freed": arrays.freed,
        "extra_spending": np.append(rep["extra_spending"], 0.0),
        "expected_spending": np.append(rep["expected_spending"], 0.0),
        "us_unit_cost": rep["us_unit_cost"],
        "conversion_cap": arrays.conversion_cap,
        "risk": arrays.risk,
        "risk_lambda": arrays.risk_lambda,
        "risk_weights": channel_weights(coeffs),
        "value": arrays.value,
        "seg_length": arrays.seg_length,
        "seg_value": arrays.seg_value,
        "absorb": arrays.absorb,
        "existing": arrays.existing,
        "flow_transit_cost": arrays.flow_costs(z, a, inp.flow_distance_km),
        "region_floor": arrays.region_floor,
        "region_cap": arrays.region_cap,
        "region_asset_floor": arrays.region_asset_floor,
        "region_asset_cap": arrays.region_asset_cap,
    }


def sample_arrays(plan: SweepPlan, scenario: Scenario) -> SampleArrays:
    """
    Compute the inputs of one sample's scenario on the plan's structure.

    The equations are those of every run (`redeploy.model.inputs.scenario_arrays`), on
    the layers the plan read once.
    """
    coeffs = effective_coefficients(scenario, plan.coefficients)
    arrays = scenario_arrays(plan.base, scenario, coeffs)
    inp = plan.inputs
    return SampleArrays(
        changes=input_changes(arrays, inp),
        flow_open=arrays.flow_open(inp.flow_front, inp.flow_zone, inp.flow_asset),
    )


def used_flows(inp: AllocationInputs, arrays: SampleArrays) -> np.ndarray:
    """Flows a sample's problem has that can carry anything: open, from a source that
    frees the class (home: always, it passes on what fronts send it)."""
    freed = np.asarray(arrays.changes["freed"])
    f, a = inp.flow_front, inp.flow_asset
    eng = inp.assets.index("engagement") if "engagement" in inp.assets else -1
    # engagement flows are fed by conversions, home flows by what fronts send home
    used = arrays.flow_open & ((freed[f, a] > 0) | (f == inp.home_front) | (a == eng))
    return np.asarray(used, dtype=bool)


def basis(status: tuple[np.ndarray, np.ndarray]) -> highspy.HighsBasis:
    """A HiGHS basis from column and row status arrays."""
    out = highspy.HighsBasis()
    out.col_status = [highspy.HighsBasisStatus(int(v)) for v in status[0]]
    out.row_status = [highspy.HighsBasisStatus(int(v)) for v in status[1]]
    out.valid = True
    return out


def basis_arrays(model: AllocationModel) -> tuple[np.ndarray, np.ndarray]:
    """Column and row basis status of the model's last solve, as int8 arrays."""
    b = model.highs.getBasis()
    col = np.array([int(s) for s in b.col_status], dtype=np.int8)
    row = np.array([int(s) for s in b.row_status], dtype=np.int8)
    return col, row


def same_structure(plan_inputs: AllocationInputs, sample: AllocationInputs) -> bool:
    """True when the sample's problem has the columns and rows of the plan's: the same
    fronts with a baseline and with a soft floor, and region bounds where the plan has."""
    checks = (
        (plan_inputs.baseline > 0, sample.baseline > 0),
        (plan_inputs.floor > plan_inputs.hard_floor, sample.floor > sample.hard_floor),
    )
    if any(not np.array_equal(x, y) for x, y in checks):
        return False
    for name in ("region_floor", "region_cap", "region_asset_floor", "region_asset_cap"):
        if not np.array_equal(
            np.isnan(getattr(plan_inputs, name)), np.isnan(getattr(sample, name))
        ):
            return False
    return True


class SampleSolver:
    """
    Solve samples of one plan: on the warm model from its central basis, or alone.

    Every sample is loaded whole into the warm model (`AllocationModel.reload`) and
    re-solved from the central basis, so its result depends only on its own inputs; a
    sample that can use a flow outside the warm model, or whose problem has other
    columns or rows, is solved on a model built for it alone (its full structure).

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
        self._kept = np.flatnonzero(plan.keep)
        self._outside = np.flatnonzero(~plan.keep)
        self.model = AllocationModel(inp.with_flows(plan.keep), sift=False) if warm else None
        self.start = basis(plan.basis) if warm else None
        #: The model the last sample was solved on (``warm`` or ``cold``).
        self.last_solve = ""

    def _needs_cold(self, arrays: SampleArrays, sample: AllocationInputs) -> bool:
        inp = self.plan.inputs
        out = self._outside
        if used_flows(inp, arrays)[out].any():
            return True
        return not same_structure(inp, sample)

    def solve_arrays(self, arrays: SampleArrays) -> tuple[RawSolution, AllocationModel, str]:
        """
        Solve one sample; return the solution, the model it was solved on, and how
        (``warm`` or ``cold``).

        Raises
        ------
        InfeasibleAllocationError
            When the sample's floors and caps cannot hold together.
        """
        plan = self.plan
        sample = arrays.inputs(plan.inputs)
        if not self.warm or self._needs_cold(arrays, sample):
            self.last_solve = "cold"
            cold = AllocationModel(sample.with_flows(arrays.flow_open), sift=False)
            return cold.solve_raw(check=False), cold, "cold"
        model = self.model
        assert model is not None and self.start is not None
        self.last_solve = "warm"
        model.reload(
            flow_upper=np.where(arrays.flow_open[self._kept], np.inf, 0.0),
            **{**arrays.changes, "flow_transit_cost": sample.flow_transit_cost[self._kept]},
        )
        model.set_basis(self.start)
        return model.solve_raw(check=False), model, "warm"

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
            raw, model, how = self.solve_arrays(arrays)
        except InfeasibleAllocationError:
            return {**row, "status": "infeasible", "solve": self.last_solve}
        return {**row, "status": STATUS_OK, "solve": how, **outcome(model, raw)}


def outcome(model: AllocationModel, raw: RawSolution) -> dict[str, float]:
    """The figures of one solved sample (see `sample_columns`), counted as in every run."""
    inp = model.inputs
    parts = solution_parts(inp, model.structure, raw.x)
    out: dict[str, float] = {f"objective:{k}": v for k, v in parts.objective().items()}
    layout = _layout_of(inp)
    mil = inp.military
    home_z, home_f = inp.home_zone, inp.home_front
    allocated = parts.allocated[:home_z]
    alloc_mil = allocated[:, mil].sum(axis=1)
    alloc_eng = allocated[:, ~mil].sum(axis=1)
    alloc_bn = (allocated[:, mil] * inp.us_unit_cost[mil]).sum(axis=1)
    zones = np.column_stack([alloc_mil, alloc_eng]).ravel()
    fronts = np.column_stack(
        [parts.withdrawn[:home_f, mil].sum(axis=1), parts.released[:home_f, ~mil].sum(axis=1)]
    ).ravel()
    regions = [
        float(a[sel].sum()) for sel in layout.zones_in for a in (alloc_mil, alloc_bn, alloc_eng)
    ]
    out.update(zip(layout.zone_keys, zones.tolist(), strict=True))
    out.update(zip(layout.front_keys, fronts.tolist(), strict=True))
    out.update(zip(layout.region_keys, regions, strict=True))
    out["total:released_kpe"] = float(parts.released[:home_f][:, mil].sum())
    out["total:converted_kpe"] = float(parts.converted[:home_f][:, mil].sum())
    out["total:home_kpe"] = float(parts.allocated[home_z, mil].sum())
    return out


@dataclass(frozen=True)
class _Layout:
    """A sample row's column names, worked out once per model (not per sample)."""

    zone_keys: tuple[str, ...]
    front_keys: tuple[str, ...]
    region_keys: tuple[str, ...]
    #: per region, which zones are in it
    zones_in: tuple[np.ndarray, ...]


def _layout_of(inp: AllocationInputs) -> _Layout:
    return _layout(
        tuple(inp.zone_ids[: inp.home_zone]),
        tuple(inp.front_ids[: inp.home_front]),
        tuple(inp.regions),
        tuple(inp.zone_region[: inp.home_zone]),
    )


@functools.lru_cache(maxsize=8)
def _layout(
    zone_ids: tuple[str, ...],
    front_ids: tuple[str, ...],
    regions: tuple[str, ...],
    zone_region: tuple[str, ...],
) -> _Layout:
    return _Layout(
        zone_keys=tuple(
            f"zone:{z}:{what}" for z in zone_ids for what in ("military_kpe", "engagement_bn")
        ),
        front_keys=tuple(
            f"front:{f}:{what}" for f in front_ids for what in ("military_kpe", "engagement_bn")
        ),
        region_keys=tuple(
            f"region:{r}:{what}"
            for r in regions
            for what in ("military_kpe", "military_bn", "engagement_bn")
        ),
        zones_in=tuple(np.asarray(zone_region) == r for r in regions),
    )


def sample_columns(plan: SweepPlan) -> list[str]:
    """
    Return the columns of the sample table, in order.

    ``sample`` (index), ``status`` (``optimal``, ``infeasible`` or ``invalid``),
    ``solve`` (``warm``: on the warm model from the central basis; ``cold``: a sample
    that needed a flow or column outside it; empty for an invalid one),
    ``param:PATH`` (sampled values), ``objective:value|transit_cost|risk_<channel>|risk|
    total`` ($bn-eq/yr), ``zone:ID:military_kpe|engagement_bn`` (added),
    ``front:ID:military_kpe|engagement_bn`` (withdrawn: released and converted; engagement
    sent), ``region:NAME:military_kpe|military_bn|engagement_bn`` (added; military at U.S.
    unit cost), ``total:released_kpe|converted_kpe|home_kpe``.
    """
    inp = plan.inputs
    cols = ["sample", "status", "solve", *(f"param:{p}" for p in plan.paths)]
    cols += [
        f"objective:{k}"
        for k in ("value", "transit_cost", *(f"risk_{c}" for c in RISK_CHANNELS), "risk", "total")
    ]
    layout = _layout_of(inp)
    cols += [*layout.zone_keys, *layout.front_keys, *layout.region_keys]
    cols += ["total:released_kpe", "total:converted_kpe", "total:home_kpe"]
    return cols
