"""Layers + scenario -> AllocationInputs: repricing, zone value, transit cost, as plain arrays.

Every quantity the LP needs is computed here with vectorised numpy and kept in
`AllocationInputs`, indexed by the layers' ids. docs/model.md states each equation.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from redeploy.errors import ScenarioError, format_number
from redeploy.model.routes import (
    geodesic_km,
    great_circle_matrix,
    haversine_km,
    sea_distance_matrix,
)
from redeploy.scenario import (
    REFERENCE_YEAR,
    VALUE_KINDS,
    CoefficientSet,
    Scenario,
    coefficients_digest_payload,
    effective_coefficients,
)
from redeploy.schemas import ASSET_UNITS, ASSETS, MILITARY_ASSETS, REGIONS

if TYPE_CHECKING:
    import geopandas as gpd

#: Most boundary vertices per zone used for zone-to-item distances (evenly subsampled).
MAX_ZONE_VERTICES = 200
#: Tolerance (degrees) of the polygon simplification before distances are taken.
SIMPLIFY_DEG = 0.05


@dataclass(frozen=True)
class AllocationInputs:
    """
    Everything the LP needs, as arrays indexed by fronts (F), zones (Z), assets (A).

    Flow variables exist only for the (front, zone, asset) triples listed in
    ``flow_front``/``flow_zone``/``flow_asset``: where the front can release the class,
    the zone can absorb it, the class has value there, and access allows it.
    """

    scenario: str
    description: str
    run_id: str
    assets: tuple[str, ...]
    front_ids: tuple[str, ...]
    zone_ids: tuple[str, ...]
    zone_region: tuple[str, ...]
    regions: tuple[str, ...]
    #: (F, A) U.S. baseline, floors, ally substitute capacity, freed capacity, risk per unit.
    baseline: np.ndarray
    floor: np.ndarray
    substitute: np.ndarray
    freed: np.ndarray
    risk: np.ndarray
    risk_lambda: float
    #: (F,) allies' extra defense effort attributed to the front ($bn/yr).
    extra_spending: np.ndarray
    #: (A,) annual U.S. cost of one unit ($bn/yr per unit).
    us_unit_cost: np.ndarray
    #: (Z, A) value of the first unit ($bn-eq/yr per unit) and absorptive capacity.
    value: np.ndarray
    absorb: np.ndarray
    access: tuple[str, ...]
    #: (K,) concave segments: lengths as shares of absorb, slopes as shares of value.
    segment_shares: np.ndarray
    segment_slopes: np.ndarray
    #: (n,) flow variables: indices, distance (km), transit cost per unit, sea lane or not.
    flow_front: np.ndarray
    flow_zone: np.ndarray
    flow_asset: np.ndarray
    flow_distance_km: np.ndarray
    flow_transit_cost: np.ndarray
    flow_sea: np.ndarray
    #: (R,) and (R, A) region floors and caps; NaN where none is set.
    region_floor: np.ndarray
    region_cap: np.ndarray
    region_asset_floor: np.ndarray
    region_asset_cap: np.ndarray
    #: (F, 2) and (Z, 2) lon/lat of fronts and zone anchors (route ends).
    front_lonlat: np.ndarray
    zone_lonlat: np.ndarray
    scenario_source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_flows(self) -> int:
        """Number of flow variables."""
        return int(self.flow_front.size)

    @property
    def military(self) -> np.ndarray:
        """(A,) True for classes counted in kpe."""
        return np.array([a in MILITARY_ASSETS for a in self.assets])

    def with_flows(self, keep: np.ndarray) -> AllocationInputs:
        """Return these inputs with only the flows `keep` (an (n,) mask) marks."""
        return dataclasses.replace(
            self,
            flow_front=self.flow_front[keep],
            flow_zone=self.flow_zone[keep],
            flow_asset=self.flow_asset[keep],
            flow_distance_km=self.flow_distance_km[keep],
            flow_sea=self.flow_sea[keep],
            flow_transit_cost=self.flow_transit_cost[keep],
        )


# ------------------------------------------------------------------ helpers


def _per_asset(frame: pd.DataFrame, prefix: str) -> np.ndarray:
    return np.column_stack([frame[f"{prefix}_{a}"].to_numpy(dtype=float) for a in ASSETS])


def _override_matrix(
    base: np.ndarray, ids: list[str], overrides: Mapping[str, Any], attr: str
) -> np.ndarray:
    """Return `base` (rows = ids, cols = ASSETS) with per-asset overrides applied."""
    out = base.copy()
    pos = {i: k for k, i in enumerate(ids)}
    for key, ov in overrides.items():
        table = getattr(ov, attr)
        if table is None:
            continue
        for j, a in enumerate(ASSETS):
            value = getattr(table, a)
            if value is not None:
                out[pos[key], j] = value
    return out


def _override_vector(
    base: np.ndarray, ids: list[str], overrides: Mapping[str, Any], attr: str
) -> np.ndarray:
    out = base.astype(float, copy=True)
    pos = {i: k for k, i in enumerate(ids)}
    for key, ov in overrides.items():
        value = getattr(ov, attr)
        if value is not None:
            out[pos[key]] = value
    return out


def check_scenario_ids(scenario: Scenario, front_ids: list[str], zone_ids: list[str]) -> None:
    """
    Refuse scenario keys that name no front or zone of the layers.

    Raises
    ------
    ScenarioError
        Naming the scenario file, the key, the closest id and the known ids.
    """
    problems = []
    for section, known in (("fronts", front_ids), ("zones", zone_ids)):
        for key in getattr(scenario, section):
            if key in known:
                continue
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
            hint = f" Did you mean '{section}.{close[0]}'?" if close else ""
            kind = "front" if section == "fronts" else "zone"
            problems.append(
                f"{scenario.source}: key '{section}.{key}': unknown {kind} id {key!r}.{hint} "
                f"Known {kind} ids: {', '.join(sorted(known))}."
            )
    if problems:
        raise ScenarioError("\n".join(problems))


# ------------------------------------------------------------------ repricing


def reprice_fronts(
    fronts: pd.DataFrame, scenario: Scenario, coeffs: CoefficientSet
) -> dict[str, np.ndarray]:
    """
    Turn allies' extra effort into freed U.S. capacity per front and asset class.

    ΔS_f = s_f · [(p_new − p_ref)/100 · GDP_f + (H_new − H_ref)];
    ally capacity K_fa = max(ΔS_f, 0) · w_fa / (c^ally_a · m_f);
    freed F_fa = clip(min(subst_fa · K_fa, U_fa − floor_fa), 0).
    A share σ of freed military capacity (valued at U.S. unit cost) may turn into
    engagement. Risk per released unit ρ_fa = r_a · threat_f/5 · (1 − κ·cover_fa) · m^risk_f.

    Parameters
    ----------
    fronts
        The validated fronts layer.
    scenario
        The scenario (front overrides, horizon year).
    coeffs
        Effective coefficients (defaults with the scenario's on top).

    Returns
    -------
    dict
        Arrays: ``ref_pct, new_pct, gdp, hns_ref, hns_new, effort_share,
        extra_spending`` (F,), ``baseline, floor, subst, split, ally_capacity, substitute,
        freed, coverage, risk`` (F, A).
    """
    ids = fronts["id"].astype(str).tolist()
    ov = scenario.fronts
    n = len(ids)
    assets = coeffs.assets
    per = {a: getattr(assets, a) for a in ASSETS}
    us_cost = np.array([per[a].us_unit_cost_bn for a in ASSETS])
    ally_cost = np.array([per[a].ally_unit_cost_bn for a in ASSETS])
    risk_unit = np.array([per[a].risk_per_unit_bn for a in ASSETS])
    default_split = np.array([per[a].split for a in ASSETS])

    baseline = _override_matrix(_per_asset(fronts, "us"), ids, ov, "us")
    floor = _override_matrix(_per_asset(fronts, "floor"), ids, ov, "floor")
    _check_floor_overrides(baseline, floor, ids, scenario)
    subst = _override_matrix(_per_asset(fronts, "subst"), ids, ov, "subst")
    split = _override_matrix(np.tile(default_split, (n, 1)), ids, ov, "split")
    bad = np.flatnonzero(split.sum(axis=1) > 1 + 1e-9)
    if bad.size:
        lines = [
            f"{scenario.source}: key 'fronts.{ids[i]}.split': asset shares add up to "
            f"{split[i].sum():g}; they must add up to at most 1 (the rest is the ally's own "
            "needs)."
            for i in bad
        ]
        raise ScenarioError("\n".join(lines))

    ref_pct = fronts["defense_pct_gdp"].to_numpy(dtype=float)
    gdp = _override_vector(fronts["gdp_usd_bn"].to_numpy(dtype=float), ids, ov, "gdp_usd_bn")
    hns_ref = fronts["hns_usd_bn"].to_numpy(dtype=float)
    threat = _override_vector(fronts["threat_level"].to_numpy(dtype=float), ids, ov, "threat_level")
    new_pct = ref_pct.copy()
    hns_new = hns_ref.copy()
    ally_mult = np.ones(n)
    risk_mult = np.ones(n)
    for k, fid in enumerate(ids):
        o = ov.get(fid)
        if o is None:
            continue
        if o.defense_pct_gdp is not None:
            new_pct[k] = o.defense_pct_gdp
        elif o.target_pct_gdp is not None and o.target_year is not None:
            reach = min(
                1.0, (scenario.horizon_year - REFERENCE_YEAR) / (o.target_year - REFERENCE_YEAR)
            )
            new_pct[k] = max(ref_pct[k], ref_pct[k] + (o.target_pct_gdp - ref_pct[k]) * reach)
        if o.hns_usd_bn is not None:
            hns_new[k] = o.hns_usd_bn
        elif o.hns_change_pct is not None:
            hns_new[k] = hns_ref[k] * (1 + o.hns_change_pct / 100)
        if o.ally_cost_multiplier is not None:
            ally_mult[k] = o.ally_cost_multiplier
        if o.risk_multiplier is not None:
            risk_mult[k] = o.risk_multiplier

    military = np.array([a in MILITARY_ASSETS for a in ASSETS])
    effort_share = _effort_shares(
        fronts, baseline[:, military].sum(axis=1), bool(coeffs.model.split_shared_hosts)
    )
    effort_share = _override_vector(effort_share, ids, ov, "effort_share")

    extra = effort_share * ((new_pct - ref_pct) / 100.0 * gdp + (hns_new - hns_ref))
    ally_capacity = (
        np.maximum(extra, 0.0)[:, None] * split / (ally_cost[None, :] * ally_mult[:, None])
    )
    substitute = subst * ally_capacity
    room = np.maximum(baseline - floor, 0.0)
    freed = np.clip(np.minimum(substitute, room), 0.0, None)
    sigma = float(coeffs.model.engagement_conversion or 0.0)
    if sigma > 0 and "engagement" in ASSETS:
        eng = ASSETS.index("engagement")
        converted = sigma * (freed[:, military] * us_cost[military]).sum(axis=1)
        freed[:, military] *= 1.0 - sigma
        freed[:, eng] += converted
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = np.where(baseline > 0, np.minimum(1.0, substitute / baseline), 0.0)
    kappa = float(coeffs.model.cover_relief or 0.0)
    risk = (
        risk_unit[None, :] * (threat / 5.0)[:, None] * (1.0 - kappa * coverage) * risk_mult[:, None]
    )
    return {
        "ref_pct": ref_pct,
        "new_pct": new_pct,
        "gdp": gdp,
        "hns_ref": hns_ref,
        "hns_new": hns_new,
        "effort_share": effort_share,
        "extra_spending": extra,
        "baseline": baseline,
        "floor": floor,
        "subst": subst,
        "split": split,
        "ally_capacity": ally_capacity,
        "substitute": substitute,
        "freed": freed,
        "coverage": coverage,
        "risk": risk,
        "threat": threat,
        "us_unit_cost": us_cost,
    }


def _check_floor_overrides(
    baseline: np.ndarray, floor: np.ndarray, ids: list[str], scenario: Scenario
) -> None:
    """
    Refuse a scenario floor (``fronts.<id>.floor.<asset>``) above the front's U.S. baseline,
    and a scenario baseline (``fronts.<id>.us.<asset>``) below the layer's floor.

    A floor is the part of the baseline that cannot leave, so it can be at most the
    baseline: the fronts layer's ``us_<asset>``, or the scenario's ``fronts.<id>.us.<asset>``.

    Raises
    ------
    ScenarioError
        Naming the scenario file, each key, its value and the largest allowed value.
    """
    pos = {fid: k for k, fid in enumerate(ids)}
    lines = []
    for fid, over in scenario.fronts.items():
        if over.floor is None or fid not in pos:
            continue
        for j, asset in enumerate(ASSETS):
            value = getattr(over.floor, asset)
            top = float(baseline[pos[fid], j])
            if value is None or value <= top + 1e-9:
                continue
            unit = ASSET_UNITS[asset]
            stated = over.us is not None and getattr(over.us, asset) is not None
            origin = (
                f"the scenario's fronts.{fid}.us.{asset}"
                if stated
                else f"the fronts layer's us_{asset} for {fid}"
            )
            lines.append(
                f"{scenario.source}: key 'fronts.{fid}.floor.{asset}' = {format_number(value)}: "
                f"a floor cannot exceed the front's U.S. baseline ({origin} = "
                f"{format_number(top)} {unit}); a floor is the part of the baseline that "
                f"cannot leave. Allowed: a number >= 0 and <= {format_number(top)} ({unit})."
            )
    for fid, over in scenario.fronts.items():
        if over.us is None or fid not in pos:
            continue
        for j, asset in enumerate(ASSETS):
            value = getattr(over.us, asset)
            own_floor = over.floor is not None and getattr(over.floor, asset) is not None
            low = float(floor[pos[fid], j])
            if value is None or own_floor or value >= low - 1e-9:
                continue
            unit = ASSET_UNITS[asset]
            lines.append(
                f"{scenario.source}: key 'fronts.{fid}.us.{asset}' = {format_number(value)}: "
                f"below the front's floor (the fronts layer's floor_{asset} for {fid} = "
                f"{format_number(low)} {unit}), the part of the baseline that cannot leave; "
                f"set `fronts.{fid}.floor.{asset}` too (at most {format_number(value)}), or "
                f"keep the baseline at least {format_number(low)} {unit}."
            )
    if lines:
        raise ScenarioError("\n".join(lines))


def _effort_shares(
    fronts: pd.DataFrame, military_baseline: np.ndarray, split_shared: bool
) -> np.ndarray:
    """
    Share of the hosts' extra effort each front carries.

    Fronts with the same hosts and the same GDP figure count one economy several times
    (e.g. two Japan fronts); their shares follow their U.S. military baseline (equal when
    it is zero) so the effort is counted once.
    """
    n = len(fronts)
    share = np.ones(n)
    if not split_shared or n == 0:
        return share
    hosts = (
        fronts["host_iso3"]
        .astype(str)
        .map(lambda s: ";".join(sorted(p.strip() for p in s.split(";") if p.strip())))
    )
    key = hosts + "|" + fronts["gdp_usd_bn"].astype(float).round(3).astype(str)
    codes, inverse = np.unique(key.to_numpy(), return_inverse=True)
    totals = np.bincount(inverse, weights=military_baseline, minlength=len(codes))
    counts = np.bincount(inverse, minlength=len(codes))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(
            totals[inverse] > 0, military_baseline / totals[inverse], 1.0 / counts[inverse]
        )
    return share


# ------------------------------------------------------------------ zone value


def _item_points(gdf: gpd.GeoDataFrame) -> np.ndarray:
    geoms = gdf.geometry.to_numpy()
    pts = shapely.point_on_surface(geoms)
    return shapely.get_coordinates(pts)


@dataclass(frozen=True)
class ZoneVertices:
    """Boundary vertices of zone polygons, grouped by zone: ``coords[bounds[z]:bounds[z+1]]``."""

    geoms: np.ndarray
    coords: np.ndarray
    bounds: np.ndarray


def zone_vertices(zone_geoms: np.ndarray) -> ZoneVertices:
    """
    Return the boundary vertices used for zone-to-item distances.

    Polygons are simplified by `SIMPLIFY_DEG` degrees and subsampled evenly to at most
    `MAX_ZONE_VERTICES` vertices per zone.
    """
    zone_geoms = np.asarray(zone_geoms)
    nz = len(zone_geoms)
    simple = shapely.simplify(zone_geoms, SIMPLIFY_DEG)
    simple = np.where(shapely.is_empty(simple), zone_geoms, simple)
    coords, owner = shapely.get_coordinates(shapely.boundary(simple), return_index=True)
    counts = np.bincount(owner, minlength=nz)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(len(owner)) - starts[owner]
    step = np.maximum(1, np.ceil(counts / MAX_ZONE_VERTICES)).astype(int)
    keep = rank % step[owner] == 0
    coords, owner = coords[keep], owner[keep]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=nz))])
    return ZoneVertices(geoms=zone_geoms, coords=coords, bounds=bounds)


def zone_item_distances(zones: np.ndarray | ZoneVertices, items: np.ndarray) -> np.ndarray:
    """
    Return geodesic distances (km) from each zone polygon to each item point, (Z, n).

    The distance is 0 for an item inside the polygon, otherwise the WGS84 geodesic to the
    boundary vertex nearest on the sphere (see `zone_vertices`).

    Parameters
    ----------
    zones
        Zone polygons, or their `zone_vertices` (computed once for several item layers).
    items
        Array (n, 2) of item lon/lat.
    """
    zv = zones if isinstance(zones, ZoneVertices) else zone_vertices(zones)
    nz, ni = len(zv.geoms), len(items)
    if nz == 0 or ni == 0:
        return np.zeros((nz, ni))
    coords, bounds = zv.coords, zv.bounds
    near = haversine_km(
        items[:, 0][:, None], items[:, 1][:, None], coords[None, :, 0], coords[None, :, 1]
    )
    nearest = np.empty((nz, ni), dtype=int)
    for z in range(nz):  # one pass per zone (not per variable); argmin within its vertices
        s, e = bounds[z], bounds[z + 1]
        nearest[z] = s + np.argmin(near[:, s:e], axis=1)
    vlon, vlat = coords[nearest, 0], coords[nearest, 1]
    dist = geodesic_km(
        vlon, vlat, np.broadcast_to(items[:, 0], (nz, ni)), np.broadcast_to(items[:, 1], (nz, ni))
    )
    inside = np.vstack([shapely.contains_xy(g, items[:, 0], items[:, 1]) for g in zv.geoms])
    return np.where(inside, 0.0, dist)


def zone_value_index(
    zones: gpd.GeoDataFrame, layers: Mapping[str, gpd.GeoDataFrame], decay_km: float
) -> np.ndarray:
    """
    Return the (Z, 4) value index of each zone per kind (chokepoints, minerals, nodes,
    presence), each column normalised so that the best zone scores 1.

    V_zk = Σ_i s_i · exp(−d_zi / decay_km), with s_i the chokepoint or node importance,
    or world_share_pct/100 × criticality for minerals (divided by its maximum);
    presence is 1 everywhere.
    """
    vertices = zone_vertices(zones.geometry.to_numpy())
    out = np.zeros((len(zones), len(VALUE_KINDS)))
    figures = {
        "chokepoints": lambda g: g["importance"].to_numpy(dtype=float),
        "minerals": lambda g: (
            g["world_share_pct"].to_numpy(dtype=float)
            / 100.0
            * g["criticality"].to_numpy(dtype=float)
        ),
        "nodes": lambda g: g["importance"].to_numpy(dtype=float),
    }
    layer_of = {"chokepoints": "chokepoints", "minerals": "mineral_zones", "nodes": "supply_nodes"}
    for k, kind in enumerate(VALUE_KINDS):
        if kind == "presence":
            out[:, k] = 1.0
            continue
        gdf = layers.get(layer_of[kind])
        if gdf is None or len(gdf) == 0:
            continue
        s = np.nan_to_num(figures[kind](gdf))
        if s.max() > 0:
            s = s / s.max()
        dist = zone_item_distances(vertices, _item_points(gdf))
        out[:, k] = (s[None, :] * np.exp(-dist / decay_km)).sum(axis=1)
    top = out.max(axis=0)
    return np.divide(out, top, out=np.zeros_like(out), where=top > 0)


# ------------------------------------------------------------------ build


def build_inputs(
    layers: Mapping[str, gpd.GeoDataFrame],
    scenario: Scenario,
    *,
    coefficients: CoefficientSet | None = None,
    run_id: str | None = None,
) -> AllocationInputs:
    """
    Compute the LP's inputs from validated layers and a scenario.

    Parameters
    ----------
    layers
        ``{kind: GeoDataFrame}`` from `redeploy.layers.read_layers` (fronts,
        peripheral_zones, chokepoints, mineral_zones, supply_nodes).
    scenario
        A validated scenario (`redeploy.scenario.load_scenario`).
    coefficients
        Default coefficients; `redeploy.scenario.load_coefficients()` when omitted.
    run_id
        Digest of the inputs; by default a sha256 of the frames, scenario and coefficients.

    Returns
    -------
    AllocationInputs

    Raises
    ------
    ScenarioError
        When the scenario names unknown fronts or zones, or its front shares exceed 1.
    """
    for kind in ("fronts", "peripheral_zones"):
        if kind not in layers:
            msg = f"layer {kind!r} is required to build the allocation model"
            raise ScenarioError(msg)
    fronts = layers["fronts"].reset_index(drop=True)
    zones = layers["peripheral_zones"].reset_index(drop=True)
    front_ids = fronts["id"].astype(str).tolist()
    zone_ids = zones["id"].astype(str).tolist()
    check_scenario_ids(scenario, front_ids, zone_ids)
    coeffs = effective_coefficients(scenario, coefficients)
    rep = reprice_fronts(fronts, scenario, coeffs)

    per = {a: getattr(coeffs.assets, a) for a in ASSETS}
    weights = coeffs.model.layer_weights
    w = np.array([getattr(weights, k) for k in VALUE_KINDS])
    fit = np.array([[getattr(per[a].fit, k) for k in VALUE_KINDS] for a in ASSETS])
    index = zone_value_index(zones, layers, float(coeffs.model.decay_km))
    fw = fit * w[None, :]
    denom = fw.sum(axis=1)
    asset_index = np.divide(
        index @ fw.T,
        denom[None, :],
        out=np.zeros((len(zones), len(ASSETS))),
        where=denom[None, :] > 0,
    )

    zov = scenario.zones
    us_inf = _override_vector(
        zones["us_influence"].to_numpy(dtype=float), zone_ids, zov, "us_influence"
    )
    comp_inf = _override_vector(
        zones["competitor_influence"].to_numpy(dtype=float), zone_ids, zov, "competitor_influence"
    )
    contest = (1.0 - us_inf) * (float(coeffs.model.contestability_base) + comp_inf)
    zone_mult = _override_vector(np.ones(len(zones)), zone_ids, zov, "value_multiplier")
    region = zones["region"].astype(str).to_numpy()
    region_mult = np.ones(len(zones))
    absorb_mult = np.ones(len(zones))
    for r in REGIONS:
        ro = scenario.region(r)
        if ro is None:
            continue
        if ro.value_multiplier is not None:
            region_mult[region == r] = ro.value_multiplier
        if ro.absorb_multiplier is not None:
            absorb_mult[region == r] = ro.absorb_multiplier
    value_unit = np.array([per[a].value_per_unit_bn for a in ASSETS])
    value = value_unit[None, :] * asset_index * (contest * zone_mult * region_mult)[:, None]
    absorb = _per_asset(zones, "absorb") * absorb_mult[:, None]
    absorb = _override_matrix(absorb, zone_ids, zov, "absorb")
    access = zones["access"].astype(str).to_numpy().copy()
    for key, o in zov.items():
        if o.access is not None:
            access[zone_ids.index(key)] = o.access

    # Flow variables: every (front, zone, asset) the rules allow (vectorised mask).
    military = np.array([a in MILITARY_ASSETS for a in ASSETS])
    room = np.maximum(rep["baseline"] - rep["floor"], 0.0)
    can_release = room > 0
    if float(coeffs.model.engagement_conversion or 0.0) > 0 and "engagement" in ASSETS:
        # Converted military budget can leave as engagement from any front with military room.
        can_release[:, ASSETS.index("engagement")] |= can_release[:, military].any(axis=1)
    open_zone = (absorb > 0) & (value > 0)
    open_zone[:, military] &= (access != "none")[:, None]
    mask = can_release[:, None, :] & open_zone[None, :, :]
    f_idx, z_idx, a_idx = np.nonzero(mask)

    front_xy = shapely.get_coordinates(shapely.point_on_surface(fronts.geometry.to_numpy()))
    zone_xy = shapely.get_coordinates(shapely.point_on_surface(zones.geometry.to_numpy()))
    gc = great_circle_matrix(front_xy, zone_xy)
    sea_assets = np.array([a == "naval" for a in ASSETS])
    dist = gc[f_idx, z_idx]
    is_sea = sea_assets[a_idx]
    if is_sea.any():
        used_f = np.unique(f_idx[is_sea])
        used_z = np.unique(z_idx[is_sea])
        sea = sea_distance_matrix(front_xy[used_f], zone_xy[used_z])
        fpos = np.searchsorted(used_f, f_idx[is_sea])
        zpos = np.searchsorted(used_z, z_idx[is_sea])
        dist = dist.copy()
        dist[is_sea] = sea[fpos, zpos]
        # Pairs the network cannot join fall back to the great circle.
        dist = np.where(np.isfinite(dist), dist, gc[f_idx, z_idx])
    transit = np.array([per[a].transit_cost_bn_per_1000km for a in ASSETS])
    penalty = np.array([per[a].access_penalty_bn for a in ASSETS])
    cost = dist / 1000.0 * transit[a_idx] + penalty[a_idx] * (access[z_idx] == "limited")

    floors, caps, afloors, acaps = _region_bounds(scenario)
    run_id = run_id or _frames_digest(layers, scenario, coeffs)
    desc = scenario.summary_text()
    meta = {
        "horizon_year": scenario.horizon_year,
        "reference_year": scenario.reference_year,
        "units": {a: ASSET_UNITS[a] for a in ASSETS}
        | {"value": "$bn-eq/yr", "cost": "$bn-eq/yr", "distance": "km"},
        "repricing": {
            k: rep[k]
            for k in (
                "ref_pct",
                "new_pct",
                "gdp",
                "hns_ref",
                "hns_new",
                "effort_share",
                "ally_capacity",
                "coverage",
            )
        },
        "zone_index": index,
        "contestability": contest,
        "coefficients": coeffs.model_dump(mode="json"),
    }
    return AllocationInputs(
        scenario=scenario.name,
        description=desc,
        run_id=run_id,
        assets=ASSETS,
        front_ids=tuple(front_ids),
        zone_ids=tuple(zone_ids),
        zone_region=tuple(region.tolist()),
        regions=REGIONS,
        baseline=rep["baseline"],
        floor=rep["floor"],
        substitute=rep["substitute"],
        freed=rep["freed"],
        risk=rep["risk"],
        risk_lambda=float(coeffs.model.risk_lambda),
        extra_spending=rep["extra_spending"],
        us_unit_cost=rep["us_unit_cost"],
        value=value,
        absorb=absorb,
        access=tuple(access.tolist()),
        segment_shares=np.asarray(coeffs.model.segment_shares, dtype=float),
        segment_slopes=np.asarray(coeffs.model.segment_slopes, dtype=float),
        flow_front=f_idx.astype(np.int64),
        flow_zone=z_idx.astype(np.int64),
        flow_asset=a_idx.astype(np.int64),
        flow_distance_km=dist,
        flow_transit_cost=cost,
        flow_sea=is_sea,
        region_floor=floors,
        region_cap=caps,
        region_asset_floor=afloors,
        region_asset_cap=acaps,
        front_lonlat=front_xy,
        zone_lonlat=zone_xy,
        scenario_source=scenario.source,
        meta=meta,
    )


def _region_bounds(scenario: Scenario) -> tuple[np.ndarray, ...]:
    nr, na = len(REGIONS), len(ASSETS)
    floors, caps = np.full(nr, np.nan), np.full(nr, np.nan)
    afloors, acaps = np.full((nr, na), np.nan), np.full((nr, na), np.nan)
    for i, r in enumerate(REGIONS):
        ro = scenario.region(r)
        if ro is None:
            continue
        floors[i] = np.nan if ro.floor is None else ro.floor
        caps[i] = np.nan if ro.cap is None else ro.cap
        for j, a in enumerate(ASSETS):
            if ro.asset_floor is not None and getattr(ro.asset_floor, a) is not None:
                afloors[i, j] = getattr(ro.asset_floor, a)
            if ro.asset_cap is not None and getattr(ro.asset_cap, a) is not None:
                acaps[i, j] = getattr(ro.asset_cap, a)
    return floors, caps, afloors, acaps


def _frames_digest(
    layers: Mapping[str, gpd.GeoDataFrame], scenario: Scenario, coeffs: CoefficientSet
) -> str:
    """Return a sha256 of the frames' contents, the scenario and the coefficients."""
    h = hashlib.sha256()
    for kind in sorted(layers):
        gdf = layers[kind]
        h.update(kind.encode())
        h.update(
            pd.util.hash_pandas_object(gdf.drop(columns=gdf.geometry.name), index=False)
            .to_numpy()
            .tobytes()
        )
        h.update(b"".join(shapely.to_wkb(gdf.geometry.to_numpy())))
    h.update(scenario.canonical_json().encode())
    h.update(coefficients_digest_payload(coeffs).encode())
    return h.hexdigest()
