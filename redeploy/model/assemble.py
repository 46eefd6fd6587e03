"""Turn an LP solution into an `AllocationResult`: tables, totals, ledger, routes.

The flows, fronts and zones tables hold the solution and the duals; the ledger the
allies' side; `routes` one sea-lane or great-circle geometry per flow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import highspy
import numpy as np
import pandas as pd

from redeploy.model.inputs import AllocationInputs
from redeploy.model.result import (
    FLOW_COLUMNS,
    FRONT_COLUMNS,
    LEDGER_COLUMNS,
    ZONE_COLUMNS,
    AllocationResult,
)
from redeploy.model.routes import great_circle_path, sea_paths, split_antimeridian
from redeploy.schemas import CRS

if TYPE_CHECKING:
    from redeploy.model.allocation import AllocationModel

#: Flows below this amount are reported as zero.
ZERO_TOL = 1e-9


def assemble_result(
    model: AllocationModel, x: np.ndarray, duals: np.ndarray, iterations: int
) -> AllocationResult:
    inp = model.inputs
    n_f, n_z, n_a = len(inp.front_ids), len(inp.zone_ids), len(inp.assets)
    flows_x = np.where(x[: model.n_flow] > ZERO_TOL, x[: model.n_flow], 0.0)
    seg_y = np.clip(x[model.n_flow :], 0.0, None)
    released = np.zeros((n_f, n_a))
    np.add.at(released, (inp.flow_front, inp.flow_asset), flows_x)
    allocated = np.zeros((n_z, n_a))
    np.add.at(allocated, (inp.flow_zone, inp.flow_asset), flows_x)
    zone_value = zone_values(model, flows_x, seg_y)
    risk_unit = inp.release_risk
    risk_fa = risk_unit * released
    transit = flows_x * inp.flow_transit_cost
    front_dual = np.zeros(n_f * n_a)
    front_dual[model.supply_keys] = duals[: model.rows.n_supply]
    zone_dual = np.zeros(n_z * n_a)
    zone_dual[model.pair_keys] = duals[model.rows.room : model.rows.room + model.rows.n_pairs]

    assets = np.array(inp.assets)
    asset_rank = {a: i for i, a in enumerate(inp.assets)}
    fronts = pd.DataFrame(
        {
            "front_id": np.repeat(inp.front_ids, n_a),
            "asset": np.tile(assets, n_f),
            "baseline": inp.baseline.ravel(),
            "freed": inp.freed.ravel(),
            "released": released.ravel(),
            "risk": risk_fa.ravel(),
            "marginal_value": np.maximum(front_dual, 0.0),
        }
    )
    zones = pd.DataFrame(
        {
            "zone_id": np.repeat(inp.zone_ids, n_a),
            "region": np.repeat(inp.zone_region, n_a),
            "asset": np.tile(assets, n_z),
            "allocated": allocated.ravel(),
            "value": zone_value.ravel(),
            "marginal_value": np.maximum(zone_dual, 0.0),
        }
    )
    keep = flows_x > 0
    flows = pd.DataFrame(
        {
            "front_id": np.asarray(inp.front_ids)[inp.flow_front[keep]],
            "zone_id": np.asarray(inp.zone_ids)[inp.flow_zone[keep]],
            "asset": assets[inp.flow_asset[keep]],
            "amount": flows_x[keep],
            "distance_km": inp.flow_distance_km[keep],
            "cost": transit[keep],
        }
    )
    order_cols = ["front_id", "zone_id", "_rank"]
    flows["_rank"] = flows["asset"].map(asset_rank)
    flows = flows.sort_values(order_cols, kind="mergesort").drop(columns="_rank")
    flows = flows.reset_index(drop=True)
    sea_keep = inp.flow_sea[keep]
    ends = pd.DataFrame(
        {
            "f": inp.flow_front[keep],
            "z": inp.flow_zone[keep],
            "sea": sea_keep,
            "front_id": np.asarray(inp.front_ids)[inp.flow_front[keep]],
            "zone_id": np.asarray(inp.zone_ids)[inp.flow_zone[keep]],
            "_rank": inp.flow_asset[keep],
        }
    )
    ends = ends.sort_values(order_cols, kind="mergesort").reset_index(drop=True)
    fronts["_rank"] = fronts["asset"].map(asset_rank)
    fronts = (
        fronts.sort_values(["front_id", "_rank"], kind="mergesort")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )
    zones["_rank"] = zones["asset"].map(asset_rank)
    zones = (
        zones.sort_values(["zone_id", "_rank"], kind="mergesort")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )

    ledger = _ledger(inp, released)
    value_total = float(zone_value.sum())
    transit_total = float(transit.sum())
    risk_total = float(risk_fa.sum())
    objective = {
        "value": value_total,
        "transit_cost": transit_total,
        "risk": risk_total,
        "total": value_total - transit_total - risk_total,
    }
    military = inp.military
    reg_idx = np.array([inp.regions.index(r) for r in inp.zone_region], dtype=int)
    by_region_asset = np.zeros((len(inp.regions), n_a))
    np.add.at(by_region_asset, reg_idx, allocated)
    totals = {
        "by_region": {
            r: float(by_region_asset[i, military].sum()) for i, r in enumerate(inp.regions)
        },
        "by_region_engagement": {
            r: float(by_region_asset[i, ~military].sum()) for i, r in enumerate(inp.regions)
        },
        "by_asset": {a: float(allocated[:, j].sum()) for j, a in enumerate(inp.assets)},
        "freed_by_asset": {a: float(inp.freed[:, j].sum()) for j, a in enumerate(inp.assets)},
        "released_by_asset": {a: float(released[:, j].sum()) for j, a in enumerate(inp.assets)},
    }
    for i, r in enumerate(inp.regions):
        totals[f"region:{r}"] = {a: float(by_region_asset[i, j]) for j, a in enumerate(inp.assets)}
    region_duals = duals[model.rows.region : model.rows.total]
    bounds = [
        {
            "region": name,
            "asset": asset or "military",
            "floor": _finite_or_none(lo),
            "cap": _finite_or_none(hi),
            "marginal_value": float(d),
        }
        for (name, asset), lo, hi, d in zip(
            model.rows.region_rows,
            model.region_lower,
            model.region_upper,
            region_duals,
            strict=True,
        )
    ]
    meta = {
        "region_bounds": bounds,
        "risk_lambda": inp.risk_lambda,
        "horizon_year": inp.meta.get("horizon_year"),
        "reference_year": inp.meta.get("reference_year"),
        "units": inp.meta.get("units", {}),
        "n_variables": int(model.n_cols),
        "n_flow_variables": int(model.n_flow),
        "n_constraints": int(model.rows.total),
        "simplex_iterations": iterations,
        "build_seconds": model.build_seconds,
        "solve_seconds": model.solve_seconds,
        "solver": "HiGHS "
        + ".".join(
            str(v)
            for v in (
                highspy.HIGHS_VERSION_MAJOR,
                highspy.HIGHS_VERSION_MINOR,
                highspy.HIGHS_VERSION_PATCH,
            )
        ),
    }
    return AllocationResult(
        scenario=inp.scenario,
        description=inp.description,
        run_id=inp.run_id,
        status="optimal",
        objective=objective,
        flows=flows[list(FLOW_COLUMNS)],
        fronts=fronts[list(FRONT_COLUMNS)],
        zones=zones[list(ZONE_COLUMNS)],
        ledger=ledger[list(LEDGER_COLUMNS)],
        routes=_routes(inp, flows, ends),
        totals=totals,
        meta=meta,
    )


def _finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) and x != 0.0 else (0.0 if x == 0.0 else None)


def zone_values(model: AllocationModel, flows: np.ndarray, seg_y: np.ndarray) -> np.ndarray:
    """Return the (Z, A) value realised in each zone: s_K·v·X + Σ_k (s_k − s_K)·v·y_k."""
    inp = model.inputs
    out = np.zeros((len(inp.zone_ids), len(inp.assets)))
    if not model.rows.n_pairs:
        return out
    pv = inp.value[model.pair_zone, model.pair_asset]
    inflow = np.zeros(model.rows.n_pairs)
    np.add.at(inflow, model.flow_pair, flows)
    pair_value = inp.segment_slopes[-1] * pv * inflow
    if model.n_seg:
        extra = (inp.segment_slopes[model.seg_k] - inp.segment_slopes[-1]) * pv[model.seg_pair]
        np.add.at(pair_value, model.seg_pair, extra * seg_y)
    out[model.pair_zone, model.pair_asset] = pair_value
    return out


def _ledger(inp: AllocationInputs, released: np.ndarray) -> pd.DataFrame:
    military = inp.military
    cost = inp.us_unit_cost
    extra = inp.extra_spending
    freed_value = (inp.freed * cost).sum(axis=1)
    redeployed_value = (released * cost).sum(axis=1)
    retained = (inp.baseline[:, military] - released[:, military]).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        burden = np.where(extra > 0, redeployed_value / extra, 0.0)
        price = np.where((retained > 0) & (extra > 0), extra / retained, 0.0)
    eng = ~military
    ledger = pd.DataFrame(
        {
            "front_id": inp.front_ids,
            "ally_extra_spending_bn": extra,
            "us_freed_kpe": inp.freed[:, military].sum(axis=1),
            "us_freed_engagement_bn": inp.freed[:, eng].sum(axis=1),
            "us_freed_value_bn": freed_value,
            "us_redeployed_value_bn": redeployed_value,
            "double_burden_share": burden,
            "price_per_retained_kpe_bn": price,
        }
    )
    return ledger.sort_values("front_id", kind="mergesort").reset_index(drop=True)


def _routes(inp: AllocationInputs, flows: pd.DataFrame, ends: pd.DataFrame) -> gpd.GeoDataFrame:
    """One route geometry per flow: sea lanes for naval, great circles otherwise."""
    geoms: list[Any] = [None] * len(flows)
    sea_rows = np.flatnonzero(ends["sea"].to_numpy()) if len(ends) else np.zeros(0, int)
    pairs = [
        (tuple(inp.front_lonlat[ends["f"].iat[i]]), tuple(inp.zone_lonlat[ends["z"].iat[i]]))
        for i in sea_rows
    ]
    for i, path in zip(sea_rows, sea_paths(pairs), strict=True):
        geoms[i] = split_antimeridian(path)
    cache: dict[tuple[int, int], Any] = {}
    for i in range(len(flows)):
        if geoms[i] is not None:
            continue
        key = (int(ends["f"].iat[i]), int(ends["z"].iat[i]))
        if key not in cache:
            cache[key] = split_antimeridian(
                great_circle_path(tuple(inp.front_lonlat[key[0]]), tuple(inp.zone_lonlat[key[1]]))
            )
        geoms[i] = cache[key]
    return gpd.GeoDataFrame(
        {
            "front_id": flows["front_id"].to_numpy(),
            "zone_id": flows["zone_id"].to_numpy(),
            "asset": flows["asset"].to_numpy(),
            "mode": np.where(ends["sea"].to_numpy(dtype=bool), "sea", "great_circle")
            if len(ends)
            else np.zeros(0, dtype=str),
        },
        geometry=gpd.GeoSeries(geoms, crs=CRS) if geoms else gpd.GeoSeries([], crs=CRS),
        crs=CRS,
    )
