"""A sweep's plan: the model at the scenario's central values, the flows every sample may
use, and the warm and core models samples are solved on.

`prepare_sweep` builds the plan once on the client; it is small and picklable, and every
worker receives it. The probes (each uncertain parameter at the ends of its range, then
joint draws) decide which flows the warm and core models hold: they change how fast
samples solve, never their optimum (`redeploy.model.sweep.samples.SampleSolver`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from redeploy.errors import InfeasibleAllocationError, RedeployError, ScenarioError, format_number
from redeploy.model.allocation import AllocationModel
from redeploy.model.base import ModelBase, prepare_base
from redeploy.model.inputs import AllocationInputs, access_mask, build_inputs, flow_structure
from redeploy.model.sweep.samples import (
    SampleArrays,
    SampleSolver,
    cold_model,
    sample_arrays,
    sample_scenario,
    with_arrays,
)
from redeploy.model.value import value_index
from redeploy.scenario import (
    CoefficientSet,
    Distribution,
    Parameter,
    Scenario,
    distributions,
    load_coefficients,
    sample_parameters,
)

if TYPE_CHECKING:
    import geopandas as gpd


@dataclass(frozen=True)
class SweepPlan:
    """
    Everything a worker needs to solve samples: small, picklable, scattered once.

    Attributes
    ----------
    name
        Scenario name (names the output files).
    source
        The scenario file, for messages.
    run_id
        Digest of the inputs at the central values.
    base_data
        The scenario as data (central values in place, no ``uncertain`` table).
    params
        ``(path, Parameter, Distribution)`` of every uncertain parameter, sorted by path.
    coefficients
        The default coefficients (the scenario's own apply on top, per sample).
    base
        The layers as the model reads them (`redeploy.model.base.prepare_base`).
    inputs
        The LP inputs at the central values with one flow per access-allowed triple.
    keep
        The flows of the warm model.
    basis
        Column and row basis status of the warm model's central solution (the start of
        every sample solved on it).
    core
        The flows of the core model (a subset of `keep`): those some probe solution uses
        or nearly uses. Each sample is solved on it first (`SampleSolver.solve`).
    core_basis
        Column and row basis status of the core model's central solution.
    """

    name: str
    source: str
    run_id: str
    base_data: dict[str, Any]
    params: tuple[tuple[str, Parameter, Distribution], ...]
    coefficients: CoefficientSet
    base: ModelBase
    inputs: AllocationInputs
    #: (n,) the flows of the warm model: those some probe sample can use (`prepare_sweep`).
    keep: np.ndarray
    basis: tuple[np.ndarray, np.ndarray]
    #: (n,) the flows of the core model (`_probe_core`); equal to `keep`: no core model.
    core: np.ndarray
    core_basis: tuple[np.ndarray, np.ndarray]
    region_rows: tuple[tuple[str, str | None], ...]
    token: str

    @property
    def paths(self) -> list[str]:
        """The uncertain parameters' paths, sorted."""
        return [p for p, _, _ in self.params]


def zone_index(plan: SweepPlan, decay_km: float) -> np.ndarray:
    """Return the (Z, K) zone value index at `decay_km` (`redeploy.model.value.value_index`)."""
    return value_index(plan.base.items, len(plan.base.zones.ids), decay_km)


def prepare_sweep(
    layers: Mapping[str, gpd.GeoDataFrame],
    scenario: Scenario,
    *,
    coefficients: CoefficientSet | None = None,
    run_id: str | None = None,
    core_margin: float | None = None,
) -> SweepPlan:
    """
    Prepare a sweep of `scenario`: the plan every worker receives.

    Parameters
    ----------
    layers
        Validated model layers (fronts, peripheral_zones, chokepoints, mineral_zones,
        supply_nodes).
    scenario
        A scenario with an ``[uncertain]`` table (an empty one gives one sample shape:
        every sample equals the central run).
    coefficients
        Default coefficients; ``redeploy/data/coefficients.toml`` when omitted.
    run_id
        Digest of the inputs (`redeploy.workflows.run.compute_run_id`).
    core_margin
        How near to entering a flow must come in a probe solution to join the core model,
        as a share of the largest first-unit value (default `CORE_MARGIN`). It changes
        how fast samples solve, never their optimum.

    Raises
    ------
    ScenarioError
        When the scenario names unknown fronts or zones (its uncertain paths included).
    InfeasibleAllocationError
        When the scenario is infeasible at its central values.
    """
    coeffs = coefficients or load_coefficients()
    base = prepare_base(layers)
    inputs = build_inputs(layers, scenario, coefficients=coeffs, run_id=run_id, base=base)
    base_data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    base_data.pop("uncertain", None)
    try:
        dists = distributions(scenario.uncertain or {})
    except ValueError as err:  # pragma: no cover - validated with the scenario
        raise ScenarioError(f"{scenario.source}: key 'uncertain': {err}") from None
    params = tuple((path, p, d) for path, (p, d) in sorted(dists.items()))
    full = dataclasses.replace(
        inputs, **flow_structure(base, access_mask(base, np.asarray(inputs.access)))
    )
    full = dataclasses.replace(full, flow_transit_cost=np.zeros(full.n_flows))
    draft = SweepPlan(
        name=scenario.name,
        source=scenario.source,
        run_id=inputs.run_id,
        base_data=base_data,
        params=params,
        coefficients=coeffs,
        base=base,
        inputs=full,
        keep=np.ones(full.n_flows, dtype=bool),
        basis=(np.zeros(0, np.int8), np.zeros(0, np.int8)),
        core=np.ones(full.n_flows, dtype=bool),
        core_basis=(np.zeros(0, np.int8), np.zeros(0, np.int8)),
        region_rows=(),
        token="",
    )
    arrays = sample_arrays(draft, scenario)
    full = with_arrays(full, arrays)
    keep = _probe_structure(draft, arrays)
    # The draft has no region rows yet: the model keeps the bounds it was built with.
    model, _ = cold_model(full, arrays, keep, presolve=True, regions=False)
    try:
        model.solve_raw(check=True)
    except InfeasibleAllocationError as err:
        raise InfeasibleAllocationError(_central_note(str(err), params)) from None
    digest = hashlib.sha256()
    digest.update(inputs.run_id.encode())
    digest.update(json.dumps(base_data, sort_keys=True).encode())
    digest.update(json.dumps([(p, d.to_table()) for p, _, d in params], sort_keys=True).encode())
    plan = dataclasses.replace(
        draft,
        inputs=full,
        keep=keep,
        basis=_basis_arrays(model),
        core=keep,
        region_rows=tuple(model.rows.region_rows),
        token=digest.hexdigest(),
    )
    margin = CORE_MARGIN if core_margin is None else core_margin
    core = _probe_core(plan, arrays, margin)
    if not core.any() or np.array_equal(core, keep):  # no smaller model to solve first
        return plan
    # The central solution's flows are in the core, so its LP is feasible at the centre.
    model, _ = cold_model(full, arrays, core, presolve=True, regions=False)
    try:
        model.solve_raw(check=False)
    except InfeasibleAllocationError:  # within tolerances it may not be: no core model
        return plan
    digest.update(np.packbits(core).tobytes())  # the core decides which optimum is reported
    return dataclasses.replace(
        plan, core=core, core_basis=_basis_arrays(model), token=digest.hexdigest()
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


def _basis_arrays(model: AllocationModel) -> tuple[np.ndarray, np.ndarray]:
    """Column and row basis status of the model's last solve, as int8 arrays."""
    basis = model.highs.getBasis()
    col = np.array([int(s) for s in basis.col_status], dtype=np.int8)
    row = np.array([int(s) for s in basis.row_status], dtype=np.int8)
    return col, row


#: Seed of the probe samples that find the warm model's flows (fixed: the plan depends on
#: the scenario only, never on the sweep's seed).
_PROBE_SEED = 0x5EED


#: Number of joint probe samples (besides the central values and each parameter's extremes).
_PROBES = 64


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


def _used(inputs: AllocationInputs, arrays: SampleArrays) -> np.ndarray:
    """Flows a sample's LP has that can carry anything: open, from a front that frees."""
    return arrays.flow_open & (arrays.freed[inputs.flow_front, inputs.flow_asset] > 0)


def _probe_structure(plan: SweepPlan, central: SampleArrays) -> np.ndarray:
    """
    Return the flows of the warm model: those the central values or a probe sample use.

    Fronts that free nothing in any probe, and flows no probe opens, stay out of the warm
    model, which makes each re-solve about twice as fast. A sample that needs a flow
    outside it is solved cold on the full structure instead (`SampleSolver.solve`), so
    the probes decide speed, never the optimum.
    """
    keep = _used(plan.inputs, central)
    for values in _probe_values(plan):
        try:
            arrays = sample_arrays(plan, sample_scenario(plan, values))
        except RedeployError:
            continue
        keep |= _used(plan.inputs, arrays)
    return keep


#: A flow joins the core model when, in some probe solution, its reduced cost is within this
#: share of the largest first-unit value (at the central values) of entering the basis.
#: On `baseline-uncertain` (benchmarks/README.md) 0.25 % keeps 237 of the warm model's 3,320
#: flows and sends 4 % of samples on to the warm model; 0.1 % keeps 198 and sends 9 %;
#: 0.4 % keeps 282 and sends 4 %: the re-solve is fastest from about 0.25 %.
CORE_MARGIN = 2.5e-3


def _probe_core(plan: SweepPlan, central: SampleArrays, margin_share: float) -> np.ndarray:
    """
    Return the flows of the core model: those the central values or a probe sample use,
    or nearly use, when solved on the warm model.

    A flow is in when it carries something, or when it could enter the basis with a
    reduced cost within `margin_share` of the largest first-unit value. A sample is solved
    on the core first and the flows left out are priced at its duals; if one would
    improve the optimum, the sample is solved again on the warm model, so the probes
    decide speed, never the optimum.
    """
    solver = SampleSolver(plan)
    model = solver.model
    kept = solver._kept
    core = np.zeros(kept.size, dtype=bool)
    margin = margin_share * float(central.value.max(initial=0.0))
    for values in [{}, *_probe_values(plan)]:
        try:
            arrays = sample_arrays(plan, sample_scenario(plan, values))
        except RedeployError:
            continue
        solver._load(model, kept, solver.start, arrays)
        try:
            raw = model.solve_raw(check=False)
        except InfeasibleAllocationError:
            continue
        reduced = np.asarray(model.highs.getSolution().col_dual)[: model.n_flow]
        used = _used(plan.inputs, arrays)[kept]
        core |= (raw.flows > 0) | (used & (reduced > -margin))
    out = np.zeros(plan.inputs.n_flows, dtype=bool)
    out[kept[core]] = True
    return out
