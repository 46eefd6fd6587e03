"""A sweep's plan: the model at the scenario's central values, the flows every sample may
use, and the warm model samples are solved on.

`prepare_sweep` builds the plan once on the client; it is small and picklable, and every
worker receives it. The probes (each uncertain parameter at the ends of its range, then
joint draws) decide which flows the warm model holds: they change how fast samples
solve, never their optimum (`redeploy.model.sweep.samples.SampleSolver`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from redeploy.errors import InfeasibleAllocationError, RedeployError, ScenarioError, format_number
from redeploy.model.allocation import AllocationModel
from redeploy.model.base import ModelBase, prepare_base
from redeploy.model.inputs import (
    AllocationInputs,
    access_mask,
    assemble_inputs,
    build_inputs,
    flow_structure,
    scenario_arrays,
)
from redeploy.model.sweep.plan_record import SweepPlan as SweepPlan
from redeploy.model.sweep.samples import (
    SampleArrays,
    basis_arrays,
    sample_arrays,
    sample_scenario,
    used_flows,
)
from redeploy.scenario import (
    CoefficientSet,
    Distribution,
    Parameter,
    Scenario,
    distributions,
    effective_coefficients,
    load_coefficients,
    sample_parameters,
)

if TYPE_CHECKING:
    import geopandas as gpd

#: Seed of the probe samples that find the warm model's flows (fixed: the plan depends on
#: the scenario only, never on the sweep's seed).
_PROBE_SEED = 0x5EED
#: Number of joint probe samples (besides the central values and each parameter's extremes).
_PROBES = 64


def _full_inputs(
    base: ModelBase, scenario: Scenario, coeffs: CoefficientSet, run_id: str
) -> AllocationInputs:
    """The central inputs with one flow per access-allowed triple (the sweep's structure)."""
    arrays = scenario_arrays(base, scenario, effective_coefficients(scenario, coeffs))
    flows = flow_structure(base, access_mask(base, arrays.access))
    cost = arrays.flow_costs(flows["flow_zone"], flows["flow_asset"], flows["flow_distance_km"])
    return assemble_inputs(base, scenario, arrays, flows, cost, run_id=run_id)


def prepare_sweep(
    layers: Mapping[str, gpd.GeoDataFrame],
    scenario: Scenario,
    *,
    coefficients: CoefficientSet | None = None,
    run_id: str | None = None,
) -> SweepPlan:
    """
    Prepare a sweep of `scenario`: the plan every worker receives.

    Parameters
    ----------
    layers
        Validated model layers (fronts, peripheral_zones, chokepoints, mineral_zones,
        supply_nodes, posture).
    scenario
        A scenario with an ``[uncertain]`` table (an empty one gives one sample shape:
        every sample equals the central run).
    coefficients
        Default coefficients; ``redeploy/data/coefficients.toml`` when omitted.
    run_id
        Digest of the inputs (`redeploy.workflows.run.compute_run_id`).

    Raises
    ------
    ScenarioError
        When the scenario names unknown fronts or zones (its uncertain paths included).
    InfeasibleAllocationError
        When the scenario is infeasible at its central values.
    """
    coeffs = coefficients or load_coefficients()
    base = prepare_base(layers)
    central = build_inputs(layers, scenario, coefficients=coeffs, run_id=run_id, base=base)
    base_data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    base_data.pop("uncertain", None)
    try:
        dists = distributions(scenario.uncertain or {})
    except ValueError as err:  # pragma: no cover - validated with the scenario
        raise ScenarioError(f"{scenario.source}: key 'uncertain': {err}") from None
    params = tuple((path, p, d) for path, (p, d) in sorted(dists.items()))
    full = _full_inputs(base, scenario, coeffs, central.run_id)
    draft = SweepPlan(
        name=scenario.name,
        source=scenario.source,
        run_id=central.run_id,
        base_data=base_data,
        params=params,
        coefficients=coeffs,
        base=base,
        inputs=full,
        keep=np.ones(full.n_flows, dtype=bool),
        basis=(np.zeros(0, np.int8), np.zeros(0, np.int8)),
        token="",
    )
    arrays = sample_arrays(draft, scenario)
    keep = _probe_structure(draft, arrays)
    model = AllocationModel(arrays.inputs(full).with_flows(keep), sift=False)
    model.close_flows(~arrays.flow_open[keep])
    try:
        model.solve_raw(check=True)
    except InfeasibleAllocationError as err:
        raise InfeasibleAllocationError(_central_note(str(err), params)) from None
    digest = hashlib.sha256()
    digest.update(central.run_id.encode())
    digest.update(json.dumps(base_data, sort_keys=True).encode())
    digest.update(json.dumps([(p, d.to_table()) for p, _, d in params], sort_keys=True).encode())
    digest.update(np.packbits(keep).tobytes())
    return dataclasses.replace(
        draft, keep=keep, basis=basis_arrays(model), token=digest.hexdigest()
    )


def _central_note(message: str, params: Sequence[tuple[str, Parameter, Distribution]]) -> str:
    """Add to an infeasibility message that a sweep starts from its central values."""
    if not params:
        return message
    named = [
        f"`{path}` = {format_number(float(dist.central()))} is the central value of "
        f"{dist.kind}({', '.join(f'{k} = {v}' for k, v in dist.params.items())})"
        for path, _, dist in params
        if path in message
    ]
    central = (
        "; ".join(named)
        if named
        else (
            "each [uncertain] parameter at its central value: the midpoint of a uniform, the "
            "mode of a triangular, the mean of a truncated normal, the most likely choice"
        )
    )
    return f"{message}\n(the sweep starts from its central run: {central})"


def _probe_values(plan: SweepPlan) -> list[dict[str, Any]]:
    """Each parameter at the ends of its range (others central), then joint draws."""
    out: list[dict[str, Any]] = []
    for path, _, dist in plan.params:
        ends = dist.params["values"] if dist.kind == "choice" else list(dist.support)
        out += [{path: v} for v in ends]
    if plan.params:
        drawn = sample_parameters(
            {p: (a, d) for p, a, d in plan.params}, _PROBE_SEED, list(range(_PROBES))
        )
        out += [{p: v[k] for p, v in drawn.items()} for k in range(_PROBES)]
    return out


def _probe_structure(plan: SweepPlan, central: SampleArrays) -> np.ndarray:
    """
    Return the flows of the warm model: those the central values or a probe sample use.

    Fronts that free nothing in any probe, and flows no probe opens, stay out of the warm
    model, which makes each re-solve faster. A sample that needs a flow outside it is
    solved on its own model instead (`SampleSolver`), so the probes decide speed, never
    the optimum.
    """
    keep = used_flows(plan.inputs, central)
    for values in _probe_values(plan):
        try:
            arrays = sample_arrays(plan, sample_scenario(plan, values))
        except RedeployError:
            continue
        keep |= used_flows(plan.inputs, arrays)
    return keep
