"""Layers + scenario -> AllocationInputs: repricing, zone value, transit cost, as plain arrays.

`scenario_arrays` computes a scenario's quantities from a `ModelBase` (the layers read
once) with vectorised numpy: `build_inputs` (every run) and the sweep's samples call it,
so the model's equations exist once. docs/model.md states each equation.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from redeploy.model.base import ModelBase, prepare_base
from redeploy.model.repricing import (
    MILITARY,
    check_scenario_ids,
    override_matrix,
    override_vector,
    reprice_fronts,
)
from redeploy.model.value import asset_index, value_index
from redeploy.scenario import (
    VALUE_KINDS,
    CoefficientSet,
    Scenario,
    coefficients_digest_payload,
    effective_coefficients,
)
from redeploy.schemas import ASSET_UNITS, ASSETS, MILITARY_ASSETS, REGIONS

if TYPE_CHECKING:
    import geopandas as gpd

#: (A,) True for the class that moves along sea lanes.
SEA_ASSETS = np.array([a == "naval" for a in ASSETS])


def release_risk(risk_lambda: float, risk: np.ndarray) -> np.ndarray:
    """Return the weighted risk of releasing one unit, λ · ρ ($bn-eq/yr per unit)."""
    return risk_lambda * risk


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
    def release_risk(self) -> np.ndarray:
        """(F, A) risk of releasing one unit, weighted: λ · ρ_fa ($bn-eq/yr per unit).

        The one place where the risk weight meets the risk per unit: the LP's costs, the
        reduced costs, the result tables, the frontier and the sweep all read it here.
        """
        return release_risk(self.risk_lambda, self.risk)

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


@dataclass(frozen=True)
class ScenarioArrays:
    """
    The model quantities of one scenario on a `ModelBase`, before flows are chosen.

    Attributes
    ----------
    rep
        The repricing arrays (`redeploy.model.repricing.reprice_fronts`).
    value, absorb
        (Z, A) value of the first unit ($bn-eq/yr per unit) and absorptive capacity.
    access
        (Z,) basing access after the scenario's overrides.
    index, contest
        (Z, K) value index and (Z,) contestability.
    can_release, open_zone
        (F, A) the front can release the class; (Z, A) the zone can take it.
    transit, penalty
        (A,) transit cost per 1000 km and access penalty per unit.
    region_floor, region_cap, region_asset_floor, region_asset_cap
        (R,) and (R, A) bounds; NaN where none is set.
    coefficients
        The effective coefficients.
    """

    rep: dict[str, np.ndarray]
    value: np.ndarray
    absorb: np.ndarray
    access: np.ndarray
    index: np.ndarray
    contest: np.ndarray
    can_release: np.ndarray
    open_zone: np.ndarray
    transit: np.ndarray
    penalty: np.ndarray
    region_floor: np.ndarray
    region_cap: np.ndarray
    region_asset_floor: np.ndarray
    region_asset_cap: np.ndarray
    coefficients: CoefficientSet

    @property
    def risk_lambda(self) -> float:
        """The risk weight λ."""
        return float(self.coefficients.model.risk_lambda)

    def flow_open(self, front: np.ndarray, zone: np.ndarray, asset: np.ndarray) -> np.ndarray:
        """(n,) True for the flows this scenario creates (release room, absorb and value)."""
        return self.can_release[front, asset] & self.open_zone[zone, asset]

    def flow_costs(
        self, zone: np.ndarray, asset: np.ndarray, distance_km: np.ndarray
    ) -> np.ndarray:
        """(n,) transit cost per unit: t = δ/1000 · τ_a + π_a · [access = limited]."""
        limited = self.access[zone] == "limited"
        return distance_km / 1000.0 * self.transit[asset] + self.penalty[asset] * limited


def _zone_value(
    base: ModelBase, scenario: Scenario, coeffs: CoefficientSet
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return value (Z, A), absorb (Z, A), index (Z, K) and contestability (Z,)."""
    zd, zov = base.zones, scenario.zones
    per = {a: getattr(coeffs.assets, a) for a in ASSETS}
    weights = [getattr(coeffs.model.layer_weights, k) for k in VALUE_KINDS]
    fit = np.array([[getattr(per[a].fit, k) for k in VALUE_KINDS] for a in ASSETS])
    index = value_index(base.items, len(zd.ids), float(coeffs.model.decay_km))
    a_index = asset_index(index, fit, weights)
    us_inf = override_vector(zd.us_influence, zd.ids, zov, "us_influence")
    comp_inf = override_vector(zd.competitor_influence, zd.ids, zov, "competitor_influence")
    contest = (1.0 - us_inf) * (float(coeffs.model.contestability_base) + comp_inf)
    zone_mult = override_vector(np.ones(len(zd.ids)), zd.ids, zov, "value_multiplier")
    region_mult, absorb_mult = np.ones(len(zd.ids)), np.ones(len(zd.ids))
    for r in REGIONS:
        ro = scenario.region(r)
        if ro is None:
            continue
        if ro.value_multiplier is not None:
            region_mult[zd.region == r] = ro.value_multiplier
        if ro.absorb_multiplier is not None:
            absorb_mult[zd.region == r] = ro.absorb_multiplier
    value_unit = np.array([per[a].value_per_unit_bn for a in ASSETS])
    value = value_unit[None, :] * a_index * (contest * zone_mult * region_mult)[:, None]
    absorb = override_matrix(zd.absorb * absorb_mult[:, None], zd.ids, zov, "absorb")
    return value, absorb, index, contest


def scenario_arrays(base: ModelBase, scenario: Scenario, coeffs: CoefficientSet) -> ScenarioArrays:
    """
    Compute the model quantities of `scenario` on `base` (the model's equations, once).

    Parameters
    ----------
    base
        The layers read by `redeploy.model.base.prepare_base`.
    scenario
        A validated scenario.
    coeffs
        The effective coefficients (`redeploy.scenario.effective_coefficients`).
    """
    rep = reprice_fronts(base.fronts, scenario, coeffs)
    value, absorb, index, contest = _zone_value(base, scenario, coeffs)
    zd = base.zones
    access = zd.access.copy()
    for key, o in scenario.zones.items():
        if o.access is not None:
            access[zd.ids.index(key)] = o.access
    can_release = np.maximum(rep["baseline"] - rep["floor"], 0.0) > 0
    if float(coeffs.model.engagement_conversion or 0.0) > 0 and "engagement" in ASSETS:
        # Converted military budget can leave as engagement from any front with military room.
        can_release[:, ASSETS.index("engagement")] |= can_release[:, MILITARY].any(axis=1)
    open_zone = (absorb > 0) & (value > 0)
    open_zone[:, MILITARY] &= (access != "none")[:, None]
    per = {a: getattr(coeffs.assets, a) for a in ASSETS}
    floors, caps, afloors, acaps = region_bounds(scenario)
    return ScenarioArrays(
        rep=rep,
        value=value,
        absorb=absorb,
        access=access,
        index=index,
        contest=contest,
        can_release=can_release,
        open_zone=open_zone,
        transit=np.array([per[a].transit_cost_bn_per_1000km for a in ASSETS]),
        penalty=np.array([per[a].access_penalty_bn for a in ASSETS]),
        region_floor=floors,
        region_cap=caps,
        region_asset_floor=afloors,
        region_asset_cap=acaps,
        coefficients=coeffs,
    )


def flow_structure(base: ModelBase, mask: np.ndarray) -> dict[str, np.ndarray]:
    """
    Return the flow variables of the (F, Z, A) `mask`: indices, distance (km), sea lane.

    Naval flows follow sea lanes, the others great circles.
    """
    f_idx, z_idx, a_idx = np.nonzero(mask)
    is_sea = SEA_ASSETS[a_idx]
    dist = np.where(is_sea, base.sea_km[f_idx, z_idx], base.great_circle_km[f_idx, z_idx])
    return {
        "flow_front": f_idx.astype(np.int64),
        "flow_zone": z_idx.astype(np.int64),
        "flow_asset": a_idx.astype(np.int64),
        "flow_distance_km": dist,
        "flow_sea": is_sea,
    }


def access_mask(base: ModelBase, access: np.ndarray) -> np.ndarray:
    """(F, Z, A) True for every flow that basing access allows (engagement everywhere)."""
    allowed = np.ones((len(base.fronts.ids), len(base.zones.ids), len(ASSETS)), dtype=bool)
    allowed[:, :, MILITARY] &= (access != "none")[None, :, None]
    return allowed


def build_inputs(
    layers: Mapping[str, gpd.GeoDataFrame],
    scenario: Scenario,
    *,
    coefficients: CoefficientSet | None = None,
    run_id: str | None = None,
    base: ModelBase | None = None,
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
    base
        The layers already read by `redeploy.model.base.prepare_base` (computed when
        omitted).

    Returns
    -------
    AllocationInputs

    Raises
    ------
    ScenarioError
        When the scenario names unknown fronts or zones, or its front shares exceed 1.
    """
    base = base or prepare_base(layers)
    check_scenario_ids(scenario, base.fronts.ids, base.zones.ids)
    coeffs = effective_coefficients(scenario, coefficients)
    arrays = scenario_arrays(base, scenario, coeffs)
    mask = arrays.can_release[:, None, :] & arrays.open_zone[None, :, :]
    flows = flow_structure(base, mask)
    cost = arrays.flow_costs(flows["flow_zone"], flows["flow_asset"], flows["flow_distance_km"])
    return assemble_inputs(
        base,
        scenario,
        arrays,
        flows,
        cost,
        run_id=run_id or _frames_digest(layers, scenario, coeffs),
    )


def assemble_inputs(
    base: ModelBase,
    scenario: Scenario,
    arrays: ScenarioArrays,
    flows: Mapping[str, np.ndarray],
    cost: np.ndarray,
    *,
    run_id: str,
) -> AllocationInputs:
    """Return the `AllocationInputs` of `arrays` on the flow structure `flows`."""
    rep, coeffs = arrays.rep, arrays.coefficients
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
        "zone_index": arrays.index,
        "contestability": arrays.contest,
        "coefficients": coeffs.model_dump(mode="json"),
    }
    return AllocationInputs(
        scenario=scenario.name,
        description=scenario.summary_text(),
        run_id=run_id,
        assets=ASSETS,
        front_ids=base.fronts.ids,
        zone_ids=base.zones.ids,
        zone_region=tuple(base.zones.region.tolist()),
        regions=REGIONS,
        baseline=rep["baseline"],
        floor=rep["floor"],
        substitute=rep["substitute"],
        freed=rep["freed"],
        risk=rep["risk"],
        risk_lambda=arrays.risk_lambda,
        extra_spending=rep["extra_spending"],
        us_unit_cost=rep["us_unit_cost"],
        value=arrays.value,
        absorb=arrays.absorb,
        access=tuple(arrays.access.tolist()),
        segment_shares=np.asarray(coeffs.model.segment_shares, dtype=float),
        segment_slopes=np.asarray(coeffs.model.segment_slopes, dtype=float),
        flow_front=flows["flow_front"],
        flow_zone=flows["flow_zone"],
        flow_asset=flows["flow_asset"],
        flow_distance_km=flows["flow_distance_km"],
        flow_transit_cost=cost,
        flow_sea=flows["flow_sea"],
        region_floor=arrays.region_floor,
        region_cap=arrays.region_cap,
        region_asset_floor=arrays.region_asset_floor,
        region_asset_cap=arrays.region_asset_cap,
        front_lonlat=base.front_lonlat,
        zone_lonlat=base.zone_lonlat,
        scenario_source=scenario.source,
        meta=meta,
    )


def region_bounds(scenario: Scenario) -> tuple[np.ndarray, ...]:
    """Return the region floors and caps (R,) and per asset (R, A); NaN where none is set."""
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
