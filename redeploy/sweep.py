"""Monte Carlo sweeps on Dask: sample a scenario's [uncertain] parameters, solve each, summarise.

The client prepares a `SweepPlan` once (layers read, distances and zone-value ingredients
computed, the LP structure built and solved at the central values) and scatters it to every
worker. Samples travel in batches: `run_batch` builds the `AllocationModel` once per
worker, and for each sample passes the sample's costs and bounds with
`AllocationModel.reload` (which discards all solver state) and re-solves from the central
solution's basis. Every sample starts from that same state, so its result depends only on
(seed, sample index): not on the number of workers, the batch size or which samples a
worker solved before.

The LP of a sweep has one flow variable for every (front, zone, asset) that basing access
allows; flows that a sample's own inputs would not create (nothing to release, no room or
no value) are fixed at zero, so each sample solves the same problem as `redeploy run` would
on that sample's scenario.

Workers import only numpy, pandas, pydantic, highspy and redeploy's model modules (never
folium). Outputs: ``NAME-sweep.parquet`` (one row per sample), ``NAME-sweep-summary.csv``
(mean, percentiles and probability of receiving capacity per zone, front and region) and
``NAME-sweep.html`` (the robustness map, written by `redeploy.render.robustness`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import math
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from pydantic import ValidationError

from redeploy._atomic import atomic_path, write_atomic
from redeploy.errors import (
    InfeasibleAllocationError,
    OutputError,
    RedeployError,
    ScenarioError,
    format_number,
)
from redeploy.model.allocation import PRICE_TOL, AllocationModel, RawSolution
from redeploy.model.inputs import (
    AllocationInputs,
    _override_matrix,
    _override_vector,
    build_inputs,
    reprice_fronts,
    zone_item_distances,
    zone_vertices,
)
from redeploy.model.routes import great_circle_matrix, sea_distance_matrix
from redeploy.scenario import (
    VALUE_KINDS,
    CoefficientSet,
    Distribution,
    Parameter,
    Scenario,
    apply_values,
    distributions,
    effective_coefficients,
    load_coefficients,
    sample_parameters,
)
from redeploy.schemas import ASSET_UNITS, ASSETS, MILITARY_ASSETS, REGIONS

if TYPE_CHECKING:
    import geopandas as gpd
    from distributed import Client

#: Amounts above this count as "receives capacity" (kpe or $bn/yr).
EPSILON = 1e-6
#: Decimals of the summary CSV.
DECIMALS = 6
#: Smallest and largest default batch (samples per task).
BATCH_BOUNDS = (16, 512)
#: Columns of the summary table, in order.
SUMMARY_COLUMNS = (
    "kind",
    "id",
    "metric",
    "unit",
    "samples",
    "mean",
    "sd",
    "p5",
    "p50",
    "p95",
    "p_positive",
)
_KIND_ORDER = {"objective": 0, "region": 1, "zone": 2, "front": 3, "param": 4}
_STATUS_OK = "optimal"


class SweepInterrupted(KeyboardInterrupt):
    """The user interrupted a sweep; `output` holds what completed batches wrote."""

    def __init__(self, output: SweepOutput) -> None:
        super().__init__("sweep interrupted")
        self.output = output


# ---------------------------------------------------------------- the plan


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
    fronts
        The fronts layer without geometry (what `reprice_fronts` reads).
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
    fronts: pd.DataFrame
    zone_us: np.ndarray
    zone_comp: np.ndarray
    zone_absorb: np.ndarray
    zone_region: np.ndarray
    zone_access: np.ndarray
    #: Per value kind (chokepoints, minerals, nodes): item weights (n,) and distances (Z, n).
    value_items: tuple[tuple[np.ndarray, np.ndarray] | None, ...]
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

    def column_names(self) -> list[str]:
        """Return the columns of a sample table, in order (see `sample_columns`)."""
        return sample_columns(self)


def _item_weights(kind: str, gdf: gpd.GeoDataFrame) -> np.ndarray:
    # The same figures as `redeploy.model.inputs.zone_value_index`.
    if kind == "minerals":
        s = (
            gdf["world_share_pct"].to_numpy(dtype=float)
            / 100.0
            * gdf["criticality"].to_numpy(dtype=float)
        )
    else:
        s = gdf["importance"].to_numpy(dtype=float)
    s = np.nan_to_num(s)
    return s / s.max() if s.size and s.max() > 0 else s


_VALUE_LAYERS = {"chokepoints": "chokepoints", "minerals": "mineral_zones", "nodes": "supply_nodes"}


def _value_items(
    layers: Mapping[str, gpd.GeoDataFrame], zones: gpd.GeoDataFrame
) -> tuple[tuple[np.ndarray, np.ndarray] | None, ...]:
    vertices = zone_vertices(zones.geometry.to_numpy())
    out: list[tuple[np.ndarray, np.ndarray] | None] = []
    for kind in VALUE_KINDS:
        gdf = layers.get(_VALUE_LAYERS.get(kind, ""))
        if kind == "presence" or gdf is None or len(gdf) == 0:
            out.append(None)
            continue
        points = shapely.get_coordinates(shapely.point_on_surface(gdf.geometry.to_numpy()))
        out.append((_item_weights(kind, gdf), zone_item_distances(vertices, points)))
    return tuple(out)


def zone_index(plan: SweepPlan, decay_km: float) -> np.ndarray:
    """
    Return the (Z, 4) zone value index at `decay_km` from the plan's distances.

    Equals `redeploy.model.inputs.zone_value_index` (tests check it), without recomputing
    geometry.
    """
    nz = len(plan.zone_us)
    out = np.zeros((nz, len(VALUE_KINDS)))
    for k, kind in enumerate(VALUE_KINDS):
        if kind == "presence":
            out[:, k] = 1.0
            continue
        items = plan.value_items[k]
        if items is None:
            continue
        s, dist = items
        out[:, k] = (s[None, :] * np.exp(-dist / decay_km)).sum(axis=1)
    top = out.max(axis=0)
    return np.divide(out, top, out=np.zeros_like(out), where=top > 0)


def _full_structure(inputs: AllocationInputs) -> dict[str, np.ndarray]:
    """One flow per (front, zone, asset) that access allows, with its distance (km)."""
    nf, nz = len(inputs.front_ids), len(inputs.zone_ids)
    military = inputs.military
    access = np.asarray(inputs.access)
    allowed = np.ones((nf, nz, len(inputs.assets)), dtype=bool)
    allowed[:, :, military] &= (access != "none")[None, :, None]
    f_idx, z_idx, a_idx = np.nonzero(allowed)
    gc = great_circle_matrix(inputs.front_lonlat, inputs.zone_lonlat)
    dist = gc[f_idx, z_idx]
    sea = np.array([a == "naval" for a in inputs.assets])[a_idx]
    if sea.any():
        lanes = sea_distance_matrix(inputs.front_lonlat, inputs.zone_lonlat)
        lanes = np.where(np.isfinite(lanes), lanes, gc)
        dist = np.where(sea, lanes[f_idx, z_idx], dist)
    return {
        "flow_front": f_idx.astype(np.int64),
        "flow_zone": z_idx.astype(np.int64),
        "flow_asset": a_idx.astype(np.int64),
        "flow_distance_km": dist,
        "flow_sea": sea,
    }


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
        Digest of the inputs (`redeploy.pipeline.compute_run_id`).
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
    inputs = build_inputs(layers, scenario, coefficients=coeffs, run_id=run_id)
    fronts = pd.DataFrame(layers["fronts"].drop(columns=layers["fronts"].geometry.name))
    fronts = fronts.reset_index(drop=True)
    zones = layers["peripheral_zones"].reset_index(drop=True)
    base_data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    base_data.pop("uncertain", None)
    try:
        dists = distributions(scenario.uncertain or {})
    except ValueError as err:  # pragma: no cover - validated with the scenario
        raise ScenarioError(f"{scenario.source}: key 'uncertain': {err}") from None
    params = tuple((path, p, d) for path, (p, d) in sorted(dists.items()))
    full = dataclasses.replace(inputs, **_full_structure(inputs))
    full = dataclasses.replace(full, flow_transit_cost=np.zeros(full.n_flows))
    draft = SweepPlan(
        name=scenario.name,
        source=scenario.source,
        run_id=inputs.run_id,
        base_data=base_data,
        params=params,
        coefficients=coeffs,
        fronts=fronts,
        zone_us=zones["us_influence"].to_numpy(dtype=float),
        zone_comp=zones["competitor_influence"].to_numpy(dtype=float),
        zone_absorb=np.column_stack([zones[f"absorb_{a}"].to_numpy(dtype=float) for a in ASSETS]),
        zone_region=zones["region"].astype(str).to_numpy(),
        zone_access=np.asarray(inputs.access),
        value_items=_value_items(layers, zones),
        inputs=full,
        keep=np.ones(full.n_flows, dtype=bool),
        basis=(np.zeros(0, np.int8), np.zeros(0, np.int8)),
        core=np.ones(full.n_flows, dtype=bool),
        core_basis=(np.zeros(0, np.int8), np.zeros(0, np.int8)),
        region_rows=(),
        token="",
    )
    arrays = sample_arrays(draft, scenario)
    full = _with_arrays(full, arrays)
    keep = _probe_structure(draft, arrays)
    # The draft has no region rows yet: the model keeps the bounds it was built with.
    model, _ = _cold_model(full, arrays, keep, presolve=True, regions=False)
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
    model, _ = _cold_model(full, arrays, core, presolve=True, regions=False)
    try:
        model.solve_raw(check=False)
    except InfeasibleAllocationError:  # within tolerances it may not be: no core model
        return plan
    digest.update(np.packbits(core).tobytes())  # the core decides which optimum is reported
    return dataclasses.replace(plan, core=core, core_basis=_basis_arrays(model),
                               token=digest.hexdigest())


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
    central = "; ".join(named) if named else (
        "each [uncertain] parameter at its central value: the midpoint of a uniform, the "
        "mode of a triangular, the mean of a truncated normal, the most likely choice"
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


def _with_arrays(inputs: AllocationInputs, arrays: SampleArrays) -> AllocationInputs:
    return dataclasses.replace(
        inputs,
        freed=arrays.freed,
        risk=arrays.risk,
        value=arrays.value,
        absorb=arrays.absorb,
        risk_lambda=arrays.risk_lambda,
        flow_transit_cost=arrays.transit_cost,
    )


def _cold_model(
    inputs: AllocationInputs,
    arrays: SampleArrays,
    keep: np.ndarray | None,
    *,
    presolve: bool,
    regions: bool = True,
) -> tuple[AllocationModel, np.ndarray]:
    """Build a new model of one sample on the flows `keep` (all when None)."""
    full = _with_arrays(inputs, arrays)
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


# ---------------------------------------------------------------- one sample's inputs


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
        from redeploy.scenario import format_validation_error

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

    The same equations as `redeploy.model.inputs.build_inputs` (tests compare the two),
    with the geometry already computed.
    """
    coeffs = effective_coefficients(scenario, plan.coefficients)
    rep = reprice_fronts(plan.fronts, scenario, coeffs)
    inp = plan.inputs
    per = {a: getattr(coeffs.assets, a) for a in ASSETS}
    weights = coeffs.model.layer_weights
    w = np.array([getattr(weights, k) for k in VALUE_KINDS])
    fit = np.array([[getattr(per[a].fit, k) for k in VALUE_KINDS] for a in ASSETS])
    index = zone_index(plan, float(coeffs.model.decay_km))
    fw = fit * w[None, :]
    denom = fw.sum(axis=1)
    nz = len(plan.zone_us)
    asset_index = np.divide(
        index @ fw.T, denom[None, :], out=np.zeros((nz, len(ASSETS))), where=denom[None, :] > 0
    )
    zone_ids = list(inp.zone_ids)
    zov = scenario.zones
    us_inf = _override_vector(plan.zone_us, zone_ids, zov, "us_influence")
    comp_inf = _override_vector(plan.zone_comp, zone_ids, zov, "competitor_influence")
    contest = (1.0 - us_inf) * (float(coeffs.model.contestability_base) + comp_inf)
    zone_mult = _override_vector(np.ones(nz), zone_ids, zov, "value_multiplier")
    region_mult, absorb_mult = np.ones(nz), np.ones(nz)
    for r in REGIONS:
        ro = scenario.region(r)
        if ro is None:
            continue
        if ro.value_multiplier is not None:
            region_mult[plan.zone_region == r] = ro.value_multiplier
        if ro.absorb_multiplier is not None:
            absorb_mult[plan.zone_region == r] = ro.absorb_multiplier
    value_unit = np.array([per[a].value_per_unit_bn for a in ASSETS])
    value = value_unit[None, :] * asset_index * (contest * zone_mult * region_mult)[:, None]
    absorb = _override_matrix(plan.zone_absorb * absorb_mult[:, None], zone_ids, zov, "absorb")

    military = np.array([a in MILITARY_ASSETS for a in ASSETS])
    can_release = np.maximum(rep["baseline"] - rep["floor"], 0.0) > 0
    if float(coeffs.model.engagement_conversion or 0.0) > 0 and "engagement" in ASSETS:
        can_release[:, ASSETS.index("engagement")] |= can_release[:, military].any(axis=1)
    open_zone = (absorb > 0) & (value > 0)
    f, z, a = inp.flow_front, inp.flow_zone, inp.flow_asset
    flow_open = can_release[f, a] & open_zone[z, a]
    transit = np.array([per[x].transit_cost_bn_per_1000km for x in ASSETS])
    penalty = np.array([per[x].access_penalty_bn for x in ASSETS])
    limited = plan.zone_access == "limited"
    cost = inp.flow_distance_km / 1000.0 * transit[a] + penalty[a] * limited[z]
    lower, upper = _region_bounds(plan, scenario)
    return SampleArrays(
        freed=rep["freed"],
        risk=rep["risk"],
        value=value,
        absorb=absorb,
        risk_lambda=float(coeffs.model.risk_lambda),
        transit_cost=cost,
        flow_open=flow_open,
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


# ---------------------------------------------------------------- solving samples


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
        reduced = core.reduced_costs(
            raw.duals, f, inp.flow_zone[out], a, arrays.transit_cost[out]
        )
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
            model, cost = _cold_model(plan.inputs, arrays, None if outside else plan.keep,
                                      presolve=True)
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
        return {**row, "status": _STATUS_OK, "solve": how, **_outcome(plan, raw, arrays, cost)}


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
    risk = float((arrays.risk_lambda * arrays.risk * raw.released).sum())
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


_SOLVERS = threading.local()


def _solver(plan: SweepPlan) -> SampleSolver:
    """The worker thread's solver for `plan` (built once, reused by later batches)."""
    cached = getattr(_SOLVERS, "solver", None)
    if cached is None or cached.plan.token != plan.token:
        cached = SampleSolver(plan)
        _SOLVERS.solver = cached
    return cached


@dataclass(frozen=True)
class Fault:
    """A failure injected into one batch, once (tests of retries and dead workers)."""

    #: The batch that holds this sample index fails.
    sample: int
    #: File created by the first failure; its existence lets the retry through.
    marker: str
    exit_process: bool = False


def run_batch(
    plan: SweepPlan, start: int, stop: int, seed: int, fault: Fault | None = None
) -> pd.DataFrame:
    """
    Solve samples ``start`` to ``stop - 1`` of `plan` (the task each worker runs).

    A pure function of its arguments: the model is built once per worker thread and every
    sample starts from the central basis.

    Returns
    -------
    pandas.DataFrame
        One row per sample with `sample_columns`.
    """
    if fault is not None and start <= fault.sample < stop and not Path(fault.marker).exists():
        Path(fault.marker).touch()
        if fault.exit_process:
            os._exit(1)  # a worker that dies mid-batch
        msg = f"injected failure in the batch of sample {fault.sample}"
        raise RuntimeError(msg)
    solver = _solver(plan)
    indices = list(range(start, stop))
    drawn = sample_parameters({p: (par, d) for p, par, d in plan.params}, seed, indices)
    rows = []
    for k, i in enumerate(indices):
        row = solver.solve({p: v[k] for p, v in drawn.items()})
        row["sample"] = i
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=sample_columns(plan))


# ---------------------------------------------------------------- summary


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """
    Summarise a sample table per objective part, region, zone, front and parameter.

    Returns
    -------
    pandas.DataFrame
        `SUMMARY_COLUMNS`, one row per (kind, id, metric), sorted: ``samples`` counts
        the optimal samples used; ``p_positive`` is the share of them with an amount
        above `EPSILON` (empty for objective parts and parameters).
    """
    ok = table[table["status"] == _STATUS_OK]
    rows = []
    for col in table.columns:
        if ":" not in col:
            continue
        kind, rest = col.split(":", 1)
        if kind == "param":
            ident, metric, unit = rest, "value", ""
        elif kind == "objective":
            ident, metric, unit = "", rest, "$bn-eq/yr"
        else:
            ident, metric = rest.rsplit(":", 1)
            unit = "kpe" if metric == "military_kpe" else "$bn/yr"
        values = ok[col].to_numpy(dtype=float)
        n = len(values)
        if n:
            p5, p50, p95 = np.percentile(values, [5, 50, 95])
            mean = float(values.mean())
            sd = float(values.std(ddof=1)) if n > 1 else 0.0
        else:
            p5 = p50 = p95 = mean = sd = math.nan
        positive = (
            float((values > EPSILON).mean()) if n and kind in ("zone", "front", "region") else None
        )
        rows.append((kind, ident, metric, unit, n, mean, sd, p5, p50, p95, positive))
    out = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    out["_k"] = out["kind"].map(_KIND_ORDER)
    out = out.sort_values(["_k", "id", "metric"], kind="mergesort").drop(columns="_k")
    return out.reset_index(drop=True)


def summary_csv(summary: pd.DataFrame) -> str:
    """Return the summary as CSV text: fixed 6-decimal floats, ``\\n`` line ends."""
    out = summary.copy()
    for col in ("mean", "sd", "p5", "p50", "p95", "p_positive"):
        out[col] = [
            "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{DECIMALS}f}"
            for v in (round(float(x), DECIMALS) + 0.0 if pd.notna(x) else None for x in out[col])
        ]
    buf = io.StringIO()
    out.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


# ---------------------------------------------------------------- files


def sweep_paths(name: str, out_dir: str | Path) -> dict[str, Path]:
    """Return ``{"parquet", "summary", "map", "parts"}`` paths of a sweep of `name`."""
    out = Path(out_dir)
    return {
        "parquet": out / f"{name}-sweep.parquet",
        "summary": out / f"{name}-sweep-summary.csv",
        "map": out / f"{name}-sweep.html",
        "parts": out / f"{name}-sweep.parts",
    }


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary sibling of `path`, then move it into place."""
    with atomic_path(path) as tmp:
        write(tmp)
    return Path(path)


def write_parquet(table: pd.DataFrame, path: Path, meta: Mapping[str, Any]) -> Path:
    """Write a sample table to parquet atomically, with `meta` as JSON schema metadata."""
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    old = arrow.schema.metadata or {}
    arrow = arrow.replace_schema_metadata(
        {**old, b"redeploy": json.dumps(meta, sort_keys=True).encode()}
    )
    return _atomic(path, lambda tmp: pq.write_table(arrow, tmp))


def write_text(path: Path, text: str) -> Path:
    """Write `text` (UTF-8, ``\\n``) to `path` atomically."""
    return write_atomic(path, text)


def combine_parts(parts_dir: Path, columns: Sequence[str]) -> pd.DataFrame:
    """Read every ``batch-*.parquet`` in `parts_dir` into one table sorted by sample."""
    files = sorted(parts_dir.glob("batch-*.parquet"))
    frames = [pq.read_table(f).to_pandas() for f in files]
    if not frames:
        return pd.DataFrame(columns=list(columns))
    table = pd.concat(frames, ignore_index=True).reindex(columns=list(columns))
    return table.sort_values("sample", kind="mergesort").reset_index(drop=True)


# ---------------------------------------------------------------- the sweep


@dataclass(frozen=True)
class SweepOutput:
    """What `run_sweep` produced."""

    plan: SweepPlan
    samples: int
    completed: int
    failed: int
    seed: int
    workers: int
    batch_size: int
    seconds: float
    #: Wall time from submitting the first batch to receiving the last one.
    solve_seconds: float = 0.0
    files: dict[str, Path] = field(default_factory=dict)
    summary: pd.DataFrame | None = None
    interrupted: bool = False
    #: Completed samples per status other than optimal (``infeasible``, ``invalid``).
    not_solved: dict[str, int] = field(default_factory=dict)


def default_batch_size(samples: int, workers: int) -> int:
    """Return ``ceil(samples / (4 * workers))`` bounded to `BATCH_BOUNDS`."""
    lo, hi = BATCH_BOUNDS
    return max(lo, min(hi, math.ceil(samples / (4 * max(workers, 1)))))


#: Seconds to wait for a connection to an existing Dask scheduler before giving up.
SCHEDULER_TIMEOUT = 20.0


def _connect(client_class: Any, address: str, timeout: float = SCHEDULER_TIMEOUT) -> Any:
    """
    Connect to the scheduler at `address` within `timeout` seconds, or raise RedeployError.

    `distributed.Client` can wait without limit when something other than a Dask scheduler
    answers on the port, so the connection is made in a daemon thread with a deadline.
    """
    box: dict[str, Any] = {}

    def connect() -> None:
        try:
            box["client"] = client_class(address, timeout=timeout)
        except Exception as err:  # reported to the caller below
            box["error"] = err

    thread = threading.Thread(target=connect, name="redeploy-connect", daemon=True)
    thread.start()
    thread.join(timeout * 1.5 + 1)
    if "client" in box:
        return box["client"]
    error = box.get("error")
    if error is None:
        reason = f"no answer within {timeout * 1.5 + 1:g} s"
    elif isinstance(error, MemoryError | UnicodeDecodeError | ValueError):
        # Dask read a frame length or header from a service that speaks something else.
        reason = "the service listening there does not speak Dask's protocol"
    else:
        reason = f"{type(error).__name__}: {error}"
    msg = (f"--scheduler {address}: cannot connect to a Dask scheduler there ({reason}); "
           "check the address (tcp://host:8786) or leave out --scheduler to use a local cluster")
    raise RedeployError(msg)


@contextlib.contextmanager
def sweep_client(
    workers: int | None = None, scheduler: str | None = None, *, processes: bool = True
) -> Iterator[Client]:
    """
    Yield a Dask client: a new `LocalCluster` or a connection to `scheduler`.

    Parameters
    ----------
    workers
        Worker processes of the local cluster (one thread each); the machine's cores by
        default.
    scheduler
        Address of an existing scheduler (``tcp://host:8786``); `workers` is then ignored.
    processes
        Workers in separate processes (True) or threads of this one.
    """
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        client = _connect(Client, scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=processes,
        dashboard_address=":0",  # a free port: never clash with a running cluster
        # Failures reach the user through the sweep (retries, a clear message); workers'
        # own log lines (a heartbeat racing the shutdown) would only add tracebacks.
        silence_logs=logging.CRITICAL,
        # worker processes leave Ctrl-C to the client (redeploy/_worker.py)
        **({"preload": ["redeploy._worker"]} if processes else {}),
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        # Closing while tasks are still queued (Ctrl-C) makes the scheduler log, at
        # CRITICAL, every message it can no longer send to the closed client: noise.
        quiet = logging.getLogger("distributed")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL + 1)
        try:
            client.close()
            cluster.close()
        finally:
            quiet.setLevel(level)


def _worker_threads(client: Client) -> int:
    info = client.scheduler_info()
    return max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))


def run_sweep(
    scenario: str | Path | Scenario = "baseline-uncertain",
    *,
    samples: int,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    batch_size: int | None = None,
    layers_dir: str | Path | None = None,
    layer_overrides: Mapping[str, str | Path] | None = None,
    crs: str | None = None,
    out_dir: str | Path = "maps",
    client: Client | None = None,
    progress: bool = True,
    write_map: bool = True,
    on_batch: Callable[[int, int], None] | None = None,
    processes: bool = True,
    _fault: Fault | None = None,
) -> SweepOutput:
    """
    Sample a scenario's uncertain parameters, solve every sample on Dask, write the results.

    Parameters
    ----------
    scenario
        Shipped scenario name, TOML path or loaded `Scenario` with an ``[uncertain]`` table.
    samples
        Number of samples (indices ``0 .. samples - 1``).
    seed
        Seed of `numpy.random.SeedSequence`; sample ``i`` depends only on (seed, i).
    workers
        Worker processes of the local cluster (default: the machine's cores).
    scheduler
        Address of an existing Dask scheduler, instead of a local cluster.
    batch_size
        Samples per task; default `default_batch_size`.
    layers_dir, layer_overrides
        Layers replacing the shipped ones (as in `redeploy run`).
    out_dir
        Output folder.
    client
        An existing `distributed.Client` to use (then `workers`/`scheduler` are ignored).
    progress
        Show a progress bar on stderr.
    write_map
        Also write the robustness map ``NAME-sweep.html``.
    on_batch
        Called with (samples done, samples) after each completed batch.
    processes
        Local cluster workers in processes (True) or threads.

    Returns
    -------
    SweepOutput
        Files written, counts and timings.

    Raises
    ------
    ScenarioError, LayerValidationError, InfeasibleAllocationError
        For bad input (before any sample is solved).
    SweepInterrupted
        On Ctrl-C: completed batches are combined into ``NAME-sweep.parquet`` first.
    """
    from redeploy.layers import read_layers, resolve_layer_paths
    from redeploy.pipeline import MODEL_LAYERS, compute_run_id, with_basemap
    from redeploy.scenario import load_scenario

    if samples < 1:
        msg = f"--samples must be at least 1, got {samples}"
        raise ScenarioError(msg)
    t0 = time.perf_counter()
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    coeffs = load_coefficients()
    paths = resolve_layer_paths(layers_dir, overrides=layer_overrides, kinds=MODEL_LAYERS)
    layers = read_layers(layers_dir, overrides=layer_overrides, kinds=MODEL_LAYERS, crs=crs)
    run_id = compute_run_id(paths, sc, effective_coefficients(sc, coeffs))
    plan = prepare_sweep(layers, sc, coefficients=coeffs, run_id=run_id)
    files = sweep_paths(plan.name, out_dir)
    parts_dir = files["parts"]
    manifest = {"scenario": plan.name, "run_id": plan.run_id, "seed": seed, "samples": samples}
    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(sweep_client(workers, scheduler, processes=processes))
        # only once the cluster runs: a sweep that cannot start leaves the folder as it was
        if parts_dir.exists():
            shutil.rmtree(parts_dir)
        parts_dir.mkdir(parents=True)
        write_text(parts_dir / "manifest.json", json.dumps(manifest, sort_keys=True) + "\n")
        n_workers = _worker_threads(client)
        size = min(samples, batch_size or default_batch_size(samples, n_workers))
        t_solve = time.perf_counter()
        interrupted = _run_batches(
            client, plan, samples, seed, size, parts_dir, progress, on_batch, _fault
        )
        t_solve = time.perf_counter() - t_solve
    table = combine_parts(parts_dir, sample_columns(plan))
    meta = {
        **manifest,
        "completed": len(table),
        "uncertain": {p: d.to_table() for p, _, d in plan.params},
        "epsilon": EPSILON,
        "units": {"military_kpe": "kpe", "engagement_bn": "$bn/yr", "objective": "$bn-eq/yr"},
        "assets": dict(ASSET_UNITS),
    }
    written = {"parquet": write_parquet(table, files["parquet"], meta)}
    output = SweepOutput(
        plan=plan,
        samples=samples,
        completed=len(table),
        failed=int((table["status"] != _STATUS_OK).sum()) if len(table) else 0,
        seed=seed,
        not_solved={str(k): int(v) for k, v in sorted(
            table.loc[table["status"] != _STATUS_OK, "status"].value_counts().items()
        )} if len(table) else {},
        workers=n_workers,
        batch_size=size,
        seconds=time.perf_counter() - t0,
        solve_seconds=t_solve,
        files=written,
        interrupted=interrupted,
    )
    if interrupted:
        raise SweepInterrupted(output)
    summary = summarize(table)
    written["summary"] = write_text(files["summary"], summary_csv(summary))
    if write_map:
        from redeploy.model.allocation import solve_allocation
        from redeploy.render.robustness import write_robustness_map

        every_layer = with_basemap(layers, layers_dir, layer_overrides=layer_overrides, crs=crs)
        central = solve_allocation(build_inputs(layers, sc, coefficients=coeffs, run_id=run_id))
        written["map"] = write_robustness_map(
            every_layer, summary, central, files["map"], output=output
        )
    shutil.rmtree(parts_dir, ignore_errors=True)
    return dataclasses.replace(
        output, files=written, summary=summary, seconds=time.perf_counter() - t0
    )


def _run_batches(
    client: Client,
    plan: SweepPlan,
    samples: int,
    seed: int,
    size: int,
    parts_dir: Path,
    progress: bool,
    on_batch: Callable[[int, int], None] | None,
    fault: Fault | None,
) -> bool:
    """Submit the batches and write each part file as it completes; True if interrupted."""
    from distributed import as_completed

    remote = None
    futures: list[Any] = []
    done = 0
    bar = _progress_bar(progress, samples)
    try:
        remote = client.scatter(plan, broadcast=True, hash=False)
        for start in range(0, samples, size):
            stop = min(samples, start + size)
            key = f"redeploy-sweep-{plan.token[:16]}-{seed}-{start}-{stop}"
            futures.append(
                client.submit(
                    run_batch, remote, start, stop, seed, fault, key=key, retries=2, pure=True
                )
            )
        index = {f.key: b for b, f in enumerate(futures)}
        with bar:
            task = bar.add_task(f"sweep {plan.name}", total=samples)
            for fut in as_completed(futures):
                part = fut.result()
                write_parquet(
                    part,
                    parts_dir / f"batch-{index[fut.key]:05d}.parquet",
                    {"start": int(part["sample"].min()), "stop": int(part["sample"].max()) + 1},
                )
                done += len(part)
                bar.update(task, advance=len(part))
                if on_batch is not None:
                    on_batch(done, samples)
    except KeyboardInterrupt:  # also while the plan is being sent: nothing solved yet
        client.cancel(futures)
        return True
    finally:
        if remote is not None:
            with contextlib.suppress(Exception):
                client.cancel(remote)
    return False


def _progress_bar(enabled: bool, total: int) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=16),  # the whole line fits 80 columns with a long name
        MofNCompleteColumn(),
        TextColumn("samples"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
        transient=False,
    )


def read_sweep(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """
    Read ``NAME-sweep.parquet``: the sample table and its metadata.

    Raises
    ------
    OutputError
        When the file cannot be read.
    """
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as err:
        msg = f"{path}: cannot read the sweep: {err}"
        raise OutputError(msg) from err
    raw = (table.schema.metadata or {}).get(b"redeploy", b"{}")
    return table.to_pandas(), json.loads(raw)
