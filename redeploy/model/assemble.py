"""Turn a solution into an `AllocationResult`: tables, totals, ledger, the allies' side, routes.

The flows, fronts and zones tables hold the solution, its risk channels and the duals; the
ledger and the allies' table the allies' side; `routes` one sea-lane or great-circle
geometry per flow (flows home end at the nearest homeland point).
"""

from __future__ import annotations

from typing import Any, Protocol

import geopandas as gpd
import highspy
import numpy as np
import pandas as pd

from redeploy.model.inputs import AllocationInputs
from redeploy.model.lp import LPStructure, region_bounds
from redeploy.model.parts import ZERO_TOL, SolutionParts, solution_parts, us_dollars
from redeploy.model.result import (
    ALLY_COLUMNS,
    FLOW_COLUMNS,
    FRONT_COLUMNS,
    LEDGER_COLUMNS,
    ZONE_COLUMNS,
    AllocationResult,
    floor_held,
)
from redeploy.model.routes import great_circle_paths, sea_paths, split_antimeridian_many
from redeploy.model.solution import RawSolution
from redeploy.schemas import CRS, RISK_CHANNELS

__all__ = ["ZERO_TOL", "SolvedModel", "assemble_result"]

#: Share of allies' extra defense spending that buys equipment (NATO's guideline is at
#: least 20 %; European allies reported about 30 % in 2024, recalled): assumption.
EQUIPMENT_SHARE = 0.3


class SolvedModel(Protocol):
    """What `assemble_result` reads of the model a solution comes from: an
    `redeploy.model.allocation.AllocationModel` (named here by its shape, so this module
    does not import the one that imports it)."""

    @property
    def inputs(self) -> AllocationInputs: ...
    @property
    def structure(self) -> LPStructure: ...
    @property
    def n_cols(self) -> int: ...
    @property
    def n_flow(self) -> int: ...
    @property
    def n_rows(self) -> int: ...
    @property
    def build_seconds(self) -> float: ...
    @property
    def solve_seconds(self) -> float: ...


def _sorted(frame: pd.DataFrame, keys: list[str], assets: tuple[str, ...]) -> pd.DataFrame:
    """Sort by `keys` then asset in canonical order (stable)."""
    rank = {a: i for i, a in enumerate(assets)}
    frame = frame.assign(_rank=frame["asset"].map(rank))
    return (
        frame.sort_values([*keys, "_rank"], kind="mergesort")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )


def _fronts_table(inp: AllocationInputs, parts: SolutionParts, raw: RawSolution) -> pd.DataFrame:
    n_f, n_a = len(inp.front_ids), len(inp.assets)
    risk = {f"risk_{c}": parts.risk[k].ravel() for k, c in enumerate(RISK_CHANNELS)}
    retained = np.where(inp.military[None, :], inp.freed - parts.released - parts.converted, 0.0)
    frame = pd.DataFrame(
        {
            "front_id": np.repeat(inp.front_ids, n_a),
            "asset": np.tile(np.array(inp.assets), n_f),
            "baseline": inp.baseline.ravel(),
            "freed": inp.freed.ravel(),
            "released": parts.released.ravel(),
            "to_home": parts.to_home.ravel(),
            "converted": parts.converted.ravel(),
            "retained": np.maximum(retained, 0.0).ravel(),
            **risk,
            "risk": parts.risk.sum(axis=0).ravel(),
            "marginal_value": raw.front_marginal_value.ravel(),
        }
    )
    return _sorted(frame, ["front_id"], inp.assets)[list(FRONT_COLUMNS)]


def _zones_table(
    inp: AllocationInputs,
    parts: SolutionParts,
    raw: RawSolution,
    bounds: list[dict[str, Any]],
) -> pd.DataFrame:
    """Per zone and class: existing, added (and in $bn/yr, `us_dollars`), capacity, value,
    dual, and whether a binding scenario floor of the zone's region holds it up."""
    n_z, n_a = len(inp.zone_ids), len(inp.assets)
    capacity = np.where(np.isfinite(inp.absorb), inp.absorb, 0.0)
    held = {(r, a): floor_held(bounds, r, a) for r in set(inp.zone_region) for a in inp.assets}
    frame = pd.DataFrame(
        {
            "zone_id": np.repeat(inp.zone_ids, n_a),
            "region": np.repeat(inp.zone_region, n_a),
            "asset": np.tile(np.array(inp.assets), n_z),
            "existing": inp.existing.ravel(),
            "added": parts.allocated.ravel(),
            "added_bn": us_dollars(inp, parts.allocated).ravel(),
            "capacity": capacity.ravel(),
            "value": parts.zone_value.ravel(),
            "marginal_value": raw.zone_marginal_value.ravel(),
            "floor_held": [held[r, a] for r in inp.zone_region for a in inp.assets],
        }
    )
    return _sorted(frame, ["zone_id"], inp.assets)[list(ZONE_COLUMNS)]


def _flows_table(inp: AllocationInputs, parts: SolutionParts) -> tuple[pd.DataFrame, pd.DataFrame]:
    keep = parts.flows > 0
    frame = pd.DataFrame(
        {
            "front_id": np.asarray(inp.front_ids)[inp.flow_front[keep]],
            "zone_id": np.asarray(inp.zone_ids)[inp.flow_zone[keep]],
            "asset": np.array(inp.assets)[inp.flow_asset[keep]],
            "amount": parts.flows[keep],
            "distance_km": inp.flow_distance_km[keep],
            "cost": parts.transit[keep],
            "_f": inp.flow_front[keep],
            "_z": inp.flow_zone[keep],
            "_sea": inp.flow_sea[keep],
        }
    )
    frame = _sorted(frame, ["front_id", "zone_id"], inp.assets)
    return frame[list(FLOW_COLUMNS)], frame[["_f", "_z", "_sea"]]


def attribute_to_payers(inp: AllocationInputs, per_class: np.ndarray) -> np.ndarray:
    """
    Return (F,) the part of an (F, A) quantity of the fronts' freed capacity (e.g. its
    redeployed dollars) owed to each front's allies' own spending: a front's own freed
    share stays with it, its spill-over share goes to the fronts of its theater whose
    spare substitute capacity freed it, in proportion to that spare capacity.
    """
    rep = inp.meta.get("repricing", {})
    n_f = len(inp.front_ids) - 1
    freed = inp.freed[:n_f]
    own = np.asarray(rep.get("freed_own", freed))
    excess = np.asarray(rep.get("excess", np.zeros_like(freed)))
    theater = np.asarray(inp.meta.get("theater", np.zeros(n_f)))
    values = per_class[:n_f]
    with np.errstate(divide="ignore", invalid="ignore"):
        own_share = np.where(freed > 0, own / freed, 1.0)
    out = (values * own_share).sum(axis=1)
    spilled = values * (1.0 - own_share)
    for t in np.unique(theater):
        sel = theater == t
        total = excess[sel].sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            weights = np.where(total > 0, excess[sel] / total, 0.0)
        out[sel] += (weights * spilled[sel].sum(axis=0)[None, :]).sum(axis=1)
    return np.append(out, 0.0)


def _ledger(inp: AllocationInputs, parts: SolutionParts) -> pd.DataFrame:
    """Per front: the allies' spending, what it frees, where it goes, the double burden.

    Dollar figures of freed capacity are owed to the allies whose spending freed it
    (`attribute_to_payers`): a front that only receives its theater's spill-over carries
    no double burden for it.
    """
    mil = inp.military
    cost = inp.us_unit_cost
    extra, expected = inp.extra_spending, inp.expected_spending
    arms = np.append(inp.meta.get("arms_share", np.zeros(len(inp.front_ids) - 1)), 0.0)
    freed_value = (inp.freed * cost).sum(axis=1)
    abroad = np.where(mil[None, :], parts.released - parts.to_home, 0.0)
    redeployed = attribute_to_payers(inp, abroad * cost[None, :])
    home_value = attribute_to_payers(inp, np.where(mil[None, :], parts.to_home, 0.0) * cost)
    converted = attribute_to_payers(inp, parts.converted * cost[None, :])
    retained = (inp.baseline[:, mil] - parts.withdrawn[:, mil]).sum(axis=1)
    inflow = np.maximum(expected, 0.0) * EQUIPMENT_SHARE * arms
    with np.errstate(divide="ignore", invalid="ignore"):
        burden = np.where(extra > 0, (redeployed + converted) / extra, 0.0)
        price = np.where((retained > 0) & (extra > 0), extra / retained, 0.0)
    ledger = pd.DataFrame(
        {
            "front_id": inp.front_ids,
            "ally_extra_spending_bn": extra,
            "ally_expected_spending_bn": expected,
            "us_freed_kpe": inp.freed[:, mil].sum(axis=1),
            "us_freed_engagement_bn": inp.freed[:, ~mil].sum(axis=1),
            "us_freed_value_bn": freed_value,
            "us_redeployed_value_bn": redeployed,
            "us_home_value_bn": home_value,
            "converted_to_engagement_bn": converted,
            "us_industry_inflow_bn": inflow,
            "double_burden_share": burden,
            "price_per_retained_kpe_bn": price,
        }
    )
    ledger = ledger[ledger["front_id"] != inp.front_ids[inp.home_front]]
    return ledger.sort_values("front_id", kind="mergesort").reset_index(drop=True)


def overall_double_burden(ledger: pd.DataFrame) -> float:
    """
    Return the double-burden share of all fronts together: Σ (redeployed + converted) /
    Σ ΔS_f over the fronts whose allies pay more (ΔS_f > 0), as each front's
    ``double_burden_share`` is (redeployed + converted) / ΔS_f there and 0 elsewhere. It is
    the fronts' shares weighted by their extra spending; 0 when no ally pays more.
    """
    extra = pd.to_numeric(ledger["ally_extra_spending_bn"], errors="coerce").fillna(0.0)
    paying = extra > 0
    funds = pd.to_numeric(ledger["us_redeployed_value_bn"], errors="coerce").fillna(0.0)
    funds = funds + pd.to_numeric(ledger["converted_to_engagement_bn"], errors="coerce").fillna(0.0)
    whole = float(extra[paying].sum())
    return float(funds[paying].sum()) / whole if whole > 0 else 0.0


def _allies(inp: AllocationInputs, parts: SolutionParts) -> pd.DataFrame:
    """Per front and military class: what the U.S. keeps, what the ally must fill, and at
    what cost, how dependent it stays, and what its extra spending buys from U.S. industry."""
    rep = inp.meta.get("repricing", {})
    n_f = len(inp.front_ids) - 1
    mil = np.flatnonzero(inp.military)
    baseline = inp.baseline[:n_f][:, mil]
    withdrawn = parts.withdrawn[:n_f][:, mil]
    retained = np.maximum(baseline - withdrawn, 0.0)
    substitute = inp.substitute[:n_f][:, mil]
    gap = np.maximum(withdrawn - substitute, 0.0)
    ally_cost = np.asarray(inp.meta.get("ally_unit_cost", np.ones(len(inp.assets))))[mil]
    with np.errstate(divide="ignore", invalid="ignore"):
        dependence = np.where(retained + substitute > 0, retained / (retained + substitute), 1.0)
    arms = np.asarray(inp.meta.get("arms_share", np.zeros(n_f)))
    split = np.asarray(rep.get("split", np.zeros((n_f, len(inp.assets)))))[:, mil]
    inflow = (
        np.maximum(inp.expected_spending[:n_f], 0.0)[:, None]
        * split
        * EQUIPMENT_SHARE
        * arms[:, None]
    )
    frame = pd.DataFrame(
        {
            "front_id": np.repeat(inp.front_ids[:n_f], mil.size),
            "asset": np.tile(np.array(inp.assets)[mil], n_f),
            "us_baseline": baseline.ravel(),
            "us_retained": retained.ravel(),
            "us_withdrawn": withdrawn.ravel(),
            "ally_substitute": substitute.ravel(),
            "gap": gap.ravel(),
            "gap_cost_bn": (gap * ally_cost[None, :]).ravel(),
            "dependence": dependence.ravel(),
            "us_industry_inflow_bn": inflow.ravel(),
        }
    )
    return _sorted(frame, ["front_id"], inp.assets)[list(ALLY_COLUMNS)]


def _totals(inp: AllocationInputs, parts: SolutionParts) -> dict[str, Any]:
    mil = inp.military
    n_a = len(inp.assets)
    reg_idx = np.array([inp.regions.index(r) if r in inp.regions else -1 for r in inp.zone_region])
    by_region_asset = np.zeros((len(inp.regions), n_a))
    real = reg_idx >= 0
    np.add.at(by_region_asset, reg_idx[real], parts.allocated[real])
    home_f, home_z = inp.home_front, inp.home_zone
    kept = inp.freed[home_f] + parts.allocated[home_z] - parts.released[home_f]
    totals: dict[str, Any] = {
        "by_region": {r: float(by_region_asset[i, mil].sum()) for i, r in enumerate(inp.regions)},
        "by_region_engagement": {
            r: float(by_region_asset[i, ~mil].sum()) for i, r in enumerate(inp.regions)
        },
        "by_asset": {a: float(parts.allocated[:home_z, j].sum()) for j, a in enumerate(inp.assets)},
        "freed_by_asset": {a: float(inp.freed[:home_f, j].sum()) for j, a in enumerate(inp.assets)},
        "released_by_asset": {
            a: float(parts.released[:home_f, j].sum()) for j, a in enumerate(inp.assets)
        },
        "converted_by_asset": {
            a: float(parts.converted[:home_f, j].sum()) for j, a in enumerate(inp.assets)
        },
        "home": {
            "received_kpe": float(parts.allocated[home_z, mil].sum()),
            "reserve_kpe": float(inp.freed[home_f, mil].sum()),
            "sent_abroad_kpe": float(parts.released[home_f, mil].sum()),
            "kept_kpe": float(np.maximum(kept, 0.0)[mil].sum()),
        },
        "existing_by_region": {
            r: float(inp.existing[reg_idx == i][:, mil].sum()) for i, r in enumerate(inp.regions)
        },
    }
    for i, r in enumerate(inp.regions):
        totals[f"region:{r}"] = {a: float(by_region_asset[i, j]) for j, a in enumerate(inp.assets)}
    return totals


def _bounds(model: SolvedModel, raw: RawSolution) -> list[dict[str, Any]]:
    st = model.structure
    lower, upper = region_bounds(model.inputs, st)
    start = st.row_offsets["region"]
    duals = (
        raw.duals[start : start + len(st.region_rows)]
        if raw.duals.size
        else np.zeros(len(st.region_rows))
    )
    return [
        {
            "region": name,
            "asset": asset or "military",
            "floor": _finite_or_none(lo),
            "cap": _finite_or_none(hi),
            "marginal_value": float(d),
        }
        for (name, asset), lo, hi, d in zip(st.region_rows, lower, upper, duals, strict=True)
    ]


def _meta(model: SolvedModel, raw: RawSolution) -> dict[str, Any]:
    inp = model.inputs
    return {
        "region_bounds": _bounds(model, raw),
        "risk_lambda": inp.risk_lambda,
        "risk_weights": dict(zip(RISK_CHANNELS, map(float, inp.risk_weights), strict=True)),
        "units_mode": inp.units,
        "horizon_year": inp.meta.get("horizon_year"),
        "reference_year": inp.meta.get("reference_year"),
        "units": inp.meta.get("units", {}),
        "n_variables": int(model.n_cols),
        "n_flow_variables": int(model.n_flow),
        "n_constraints": int(model.n_rows),
        "simplex_iterations": raw.iterations,
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


def assemble_result(model: SolvedModel, raw: RawSolution) -> AllocationResult:
    """Return the `AllocationResult` of the solution `raw` of `model`."""
    inp = model.inputs
    parts = solution_parts(inp, model.structure, raw.x)
    flows, ends = _flows_table(inp, parts)
    meta = _meta(model, raw)
    ledger = _ledger(inp, parts)[list(LEDGER_COLUMNS)]
    totals = {**_totals(inp, parts), "double_burden_share": overall_double_burden(ledger)}
    return AllocationResult(
        scenario=inp.scenario,
        description=inp.description,
        run_id=inp.run_id,
        status="optimal",
        objective=parts.objective(),
        flows=flows,
        fronts=_fronts_table(inp, parts, raw),
        zones=_zones_table(inp, parts, raw, meta["region_bounds"]),
        ledger=ledger,
        allies=_allies(inp, parts),
        routes=_routes(inp, flows, ends),
        totals=totals,
        meta={
            **meta,
            "risk_unweighted": {
                c: float(parts.risk_raw[k].sum()) for k, c in enumerate(RISK_CHANNELS)
            },
        },
    )


def _finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) and x != 0.0 else (0.0 if x == 0.0 else None)


def _route_ends(
    inp: AllocationInputs, f: int, z: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Start and end of a route: flows home end at the front's nearest homeland point,
    flows from home start at the zone's."""
    if z == inp.home_zone:
        return tuple(inp.front_lonlat[f]), tuple(inp.front_home_lonlat[f])
    if f == inp.home_front:
        return tuple(inp.zone_home_lonlat[z]), tuple(inp.zone_lonlat[z])
    return tuple(inp.front_lonlat[f]), tuple(inp.zone_lonlat[z])


def _routes(inp: AllocationInputs, flows: pd.DataFrame, ends: pd.DataFrame) -> gpd.GeoDataFrame:
    """One route geometry per flow: sea lanes for naval, great circles otherwise."""
    geoms: list[Any] = [None] * len(flows)
    f_arr, z_arr = ends["_f"].to_numpy(dtype=int), ends["_z"].to_numpy(dtype=int)
    sea = ends["_sea"].to_numpy(dtype=bool)
    sea_rows = np.flatnonzero(sea)
    pairs = [_route_ends(inp, int(f_arr[i]), int(z_arr[i])) for i in sea_rows]
    for i, line in zip(sea_rows.tolist(), split_antimeridian_many(sea_paths(pairs)), strict=True):
        geoms[i] = line
    rest = [i for i in range(len(flows)) if geoms[i] is None]
    keys = list(dict.fromkeys((int(f_arr[i]), int(z_arr[i])) for i in rest))
    route_ends = [_route_ends(inp, *key) for key in keys]
    paths = great_circle_paths(
        np.array([e[0] for e in route_ends], float).reshape(-1, 2),
        np.array([e[1] for e in route_ends], float).reshape(-1, 2),
    )
    cache = dict(zip(keys, split_antimeridian_many(paths), strict=True))
    for i in rest:
        geoms[i] = cache[(int(f_arr[i]), int(z_arr[i]))]
    return gpd.GeoDataFrame(
        {
            "front_id": flows["front_id"].to_numpy(),
            "zone_id": flows["zone_id"].to_numpy(),
            "asset": flows["asset"].to_numpy(),
            "mode": np.where(sea, "sea", "great_circle") if len(ends) else np.zeros(0, dtype=str),
        },
        geometry=gpd.GeoSeries(geoms, crs=CRS) if geoms else gpd.GeoSeries([], crs=CRS),
        crs=CRS,
    )
