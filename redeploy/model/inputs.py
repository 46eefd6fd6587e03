"""Layers + scenario -> AllocationInputs: repricing, zone value, risk, transit, as plain arrays.

`scenario_arrays` computes a scenario's quantities from a `ModelBase` (the layers read
once) with vectorised numpy: `build_inputs` (every run) and the sweep's samples call it,
so the model's equations exist once. The U.S. home pool (`us-home`) is the last front and
the last zone of every array: fronts send capacity home, home sends it to the periphery.
docs/model.md states each equation.
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

from redeploy.model.base import (
    HOME_ID,
    HOME_LONLAT,
    HOME_REGION,
    HOMELAND_POINTS,
    ModelBase,
    site_share,
    site_sums,
)
from redeploy.model.base import prepare_base as prepare_base
from redeploy.model.flows import access_mask as access_mask
from redeploy.model.flows import flow_structure as flow_structure
from redeploy.model.repricing import (
    MILITARY,
    check_scenario_ids,
    override_matrix,
    override_vector,
    reprice_fronts,
)
from redeploy.model.risk import RiskTerms, channel_weights, risk_terms
from redeploy.model.value import UNCONTESTED_KINDS, asset_index, value_index
from redeploy.scenario import (
    RISK_CHANNELS,
    VALUE_KINDS,
    CoefficientSet,
    Scenario,
    coefficients_digest_payload,
    effective_coefficients,
)
from redeploy.schemas import ASSET_UNITS, ASSETS, MILITARY_ASSETS, REGIONS

if TYPE_CHECKING:
    import geopandas as gpd


@dataclass(frozen=True, repr=False)
class AllocationInputs:
    """
    Everything the LP needs, as arrays indexed by fronts (F), zones (Z), assets (A).

    The last front and the last zone are the U.S. home pool (`HOME_ID`): its front row
    holds the home reserve (capacity at home the scenario makes available), its zone row
    the value of keeping a unit at home. Flow variables exist only for the (front, zone,
    asset) triples listed in ``flow_front``/``flow_zone``/``flow_asset``.
    """

    scenario: str
    description: str
    run_id: str
    assets: tuple[str, ...]
    front_ids: tuple[str, ...]
    zone_ids: tuple[str, ...]
    zone_region: tuple[str, ...]
    regions: tuple[str, ...]
    #: (F, A) U.S. baseline, floors (all, and the hard part), ally substitute, freed.
    baseline: np.ndarray
    floor: np.ndarray
    hard_floor: np.ndarray
    substitute: np.ndarray
    freed: np.ndarray
    #: (F,) allies' extra effort announced and expected ($bn/yr).
    extra_spending: np.ndarray
    expected_spending: np.ndarray
    #: (A,) annual U.S. cost of one unit ($bn/yr per unit).
    us_unit_cost: np.ndarray
    #: (F,) most engagement $bn/yr the front may buy by converting freed military capacity.
    conversion_cap: np.ndarray
    #: Risk channels before their weights; weights = risk_lambda · risk_weights (C,).
    risk: RiskTerms
    risk_lambda: float
    risk_weights: np.ndarray
    #: (Z, A) first-unit value ($bn-eq/yr per unit); the home row: value of a unit at home.
    value: np.ndarray
    #: (Z, A, S) room left on each value segment after the existing presence, and the
    #: value per unit on it (the last segment is the at-sea naval presence).
    seg_length: np.ndarray
    seg_value: np.ndarray
    #: (K,) lengths of the basing segments as shares of the basing capacity.
    segment_shares: np.ndarray
    #: (Z, A) capacity (basing and at sea) and the U.S. presence already there.
    absorb: np.ndarray
    existing: np.ndarray
    access: tuple[str, ...]
    access_basis: tuple[str, ...]
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
    #: (F, 2) and (Z, 2) lon/lat of fronts and zone anchors (route ends), and of the
    #: homeland point each one's route home starts or ends at.
    front_lonlat: np.ndarray
    zone_lonlat: np.ndarray
    front_home_lonlat: np.ndarray
    zone_home_lonlat: np.ndarray
    #: Whole-unit mode: unit sizes (A,), whether it is on, cost of opening a zone.
    unit_size: np.ndarray
    units: bool = False
    site_cost: float = 0.0
    #: The whole home reserve must leave for the periphery (``[home] deploy_all``).
    home_deploy_all: bool = False
    scenario_source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        from redeploy.model.summary_html import inputs_text

        return inputs_text(self)

    def _repr_html_(self) -> str:
        """Sizes and capacity per class, as a notebook shows inputs (not the arrays)."""
        from redeploy.model.summary_html import inputs_html

        return inputs_html(self)

    @property
    def n_flows(self) -> int:
        """Number of flow variables."""
        return int(self.flow_front.size)

    @property
    def home_front(self) -> int:
        """Index of the home pool among the fronts."""
        return len(self.front_ids) - 1

    @property
    def home_zone(self) -> int:
        """Index of the home pool among the zones."""
        return len(self.zone_ids) - 1

    @property
    def military(self) -> np.ndarray:
        """(A,) True for classes counted in kpe."""
        return np.array([a in MILITARY_ASSETS for a in self.assets])

    @property
    def channel_weights(self) -> np.ndarray:
        """(C,) effective weight of each risk channel: risk_lambda · λ_c."""
        return self.risk_lambda * self.risk_weights

    @property
    def release_risk(self) -> np.ndarray:
        """(F, A) weighted cost of withdrawing one unit from a front ($bn-eq/yr per unit),
        over the per-unit channels; the one place where the weights meet the rates."""
        return self.risk.release_cost(self.channel_weights)

    @property
    def destination_risk(self) -> np.ndarray:
        """(Z, A) weighted counter-alignment cost of sending one unit into a zone."""
        w: float = self.channel_weights[RISK_CHANNELS.index("counter_alignment")]
        return w * self.risk.destination

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
    The model quantities of one scenario on a `ModelBase`, home pool included, before
    flows are chosen (shapes as in `AllocationInputs`).
    """

    rep: dict[str, np.ndarray]
    freed: np.ndarray
    risk: RiskTerms
    value: np.ndarray
    seg_length: np.ndarray
    seg_value: np.ndarray
    absorb: np.ndarray
    existing: np.ndarray
    access: np.ndarray
    index: np.ndarray
    contest: np.ndarray
    conversion_cap: np.ndarray
    #: (F, A) the front can send the class (military capacity freed, engagement freed or
    #: convertible); (Z, A) the zone can take it (room left and value).
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
        """The common risk multiplier λ."""
        lam = self.coefficients.model.risk_lambda
        assert lam is not None  # effective_coefficients sets every key (coefficients.toml)
        return float(lam)

    def flow_open(self, front: np.ndarray, zone: np.ndarray, asset: np.ndarray) -> np.ndarray:
        """(n,) True for the flows this scenario creates."""
        return np.asarray(self.can_release[front, asset] & self.open_zone[zone, asset], dtype=bool)

    def flow_costs(
        self, zone: np.ndarray, asset: np.ndarray, distance_km: np.ndarray
    ) -> np.ndarray:
        """(n,) transit cost per unit: t = δ/1000 · τ_a + π_a · [access = limited]."""
        limited = self.access[zone] == "limited"
        cost = distance_km / 1000.0 * self.transit[asset] + self.penalty[asset] * limited
        return np.asarray(cost, dtype=float)


def _zone_value(
    base: ModelBase, scenario: Scenario, coeffs: CoefficientSet
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return value (Z, A), basing capacity (Z, A), index (Z, K), contestability (Z,) and
    competitor influence (Z,) of the real zones."""
    zd, zov, m = base.zones, scenario.zones, coeffs.model
    # effective_coefficients sets every key (coefficients.toml)
    assert m.decay_km is not None and m.perimeter_km is not None
    assert m.contestability_base is not None
    per = {a: getattr(coeffs.assets, a) for a in ASSETS}
    weights = [getattr(m.layer_weights, k) for k in VALUE_KINDS]
    fit = np.array([[getattr(per[a].fit, k) for k in VALUE_KINDS] for a in ASSETS])
    index = value_index(base.items, len(zd.ids), float(m.decay_km), float(m.perimeter_km))
    a_index = asset_index(index, fit, weights)
    # the homeland perimeter's part is not a contest for influence (docs/model.md §2)
    secure = asset_index(index, fit, weights, kinds=UNCONTESTED_KINDS)
    us_inf = override_vector(zd.us_influence, zd.ids, zov, "us_influence")
    comp_inf = override_vector(zd.competitor_influence, zd.ids, zov, "competitor_influence")
    contest = (1.0 - us_inf) * (float(m.contestability_base) + comp_inf)
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
    contested = (a_index - secure) * contest[:, None] + secure
    value = value_unit[None, :] * contested * (zone_mult * region_mult)[:, None]
    # a site hosts its capacity only once established (site_share), and sites held under
    # access arrangements host rotations on the host's facilities (docs/model.md §3)
    share = site_share(zd.sites, scenario.horizon_year, m)
    sited = zd.absorb - site_sums(zd.sites, len(zd.ids), 1.0 - share)
    absorb = override_matrix(sited * absorb_mult[:, None], zd.ids, zov, "absorb")
    return value, absorb, index, contest, comp_inf


def value_segments(
    value: np.ndarray,
    basing: np.ndarray,
    at_sea: np.ndarray,
    existing: np.ndarray,
    coeffs: CoefficientSet,
) -> tuple[np.ndarray, np.ndarray]:
    """
    Return the (Z, A, K+1) room left on each value segment and its value per unit.

    Segments k < K cover shares of the basing capacity at slopes s_k of the first-unit
    value; segment K is the at-sea presence at slope min(at_sea_value_share, s_K). The
    existing presence fills the segments first.
    """
    shares = np.asarray(coeffs.model.segment_shares, dtype=float)
    slopes = np.asarray(coeffs.model.segment_slopes, dtype=float)
    sea_slope = min(float(coeffs.model.at_sea_value_share or 0.0), float(slopes[-1]))
    lengths = np.concatenate(
        [basing[:, :, None] * shares[None, None, :], at_sea[:, :, None]], axis=2
    )
    ends = np.cumsum(lengths, axis=2)
    left = np.clip(ends - existing[:, :, None], 0.0, lengths)
    per_unit = np.concatenate([slopes, [sea_slope]])[None, None, :] * value[:, :, None]
    return left, per_unit


def _capacity(
    base: ModelBase, scenario: Scenario, absorb: np.ndarray, access: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return basing capacity, at-sea capacity and existing presence (Z, A)."""
    zd = base.zones
    basing = absorb.copy()
    basing[:, MILITARY] *= (access != "none")[:, None]
    at_sea = np.zeros_like(absorb)
    naval = ASSETS.index("naval")
    at_sea[:, naval] = np.where(zd.port_calls, zd.sea_naval, 0.0)
    existing = override_matrix(zd.existing, zd.ids, scenario.zones, "existing")
    return basing, at_sea, existing


def _home_rows(
    arrays: dict[str, np.ndarray], scenario: Scenario, coeffs: CoefficientSet
) -> dict[str, np.ndarray]:
    """Append the home pool's front and zone rows to the (F, A) and (Z, A) arrays."""
    per = {a: getattr(coeffs.assets, a) for a in ASSETS}
    reserve = np.zeros(len(ASSETS))
    if scenario.home.reserve is not None:
        reserve = np.array([getattr(scenario.home.reserve, a) or 0.0 for a in ASSETS])
    home_value = np.array([per[a].home_value_bn for a in ASSETS])
    out = dict(arrays)
    out["freed"] = np.vstack([arrays["freed"], reserve])
    out["value"] = np.vstack([arrays["value"], home_value])
    for key in ("absorb", "existing"):
        out[key] = np.vstack([arrays[key], np.zeros(len(ASSETS))])
    out["absorb"][-1] = np.inf
    for key in ("seg_length", "seg_value"):
        shape = arrays[key].shape
        out[key] = np.concatenate([arrays[key], np.zeros((1, *shape[1:]))])
    return out


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
    value, absorb, index, contest, comp = _zone_value(base, scenario, coeffs)
    zd = base.zones
    access = zd.access.copy()
    for key, o in scenario.zones.items():
        if o.access is not None:
            access[zd.ids.index(key)] = o.access
    scale = float(coeffs.model.capacity_scale or 1.0)
    eng_scale = float(coeffs.model.engagement_capacity_scale or 1.0)
    absorb = absorb * np.where(MILITARY, scale, eng_scale)[None, :]
    basing, at_sea, existing = _capacity(base, scenario, absorb, access)
    at_sea = at_sea * scale
    seg_length, seg_value = value_segments(value, basing, at_sea, existing, coeffs)
    per = {a: getattr(coeffs.assets, a) for a in ASSETS}
    us_cost = rep["us_unit_cost"]
    convertible = (rep["freed"][:, MILITARY] * us_cost[MILITARY]).sum(axis=1)
    cap = float(coeffs.model.conversion_cap or 0.0) * convertible
    rows = _home_rows(
        {
            "freed": rep["freed"],
            "value": value,
            "absorb": basing + at_sea,
            "existing": existing,
            "seg_length": seg_length,
            "seg_value": seg_value,
        },
        scenario,
        coeffs,
    )
    freed = rows["freed"]
    eng = ASSETS.index("engagement")
    can_release = freed > 0
    can_release[:-1, eng] |= cap > 0
    # home sends on what fronts send it, besides its own reserve
    can_release[-1, MILITARY] |= can_release[:-1, MILITARY].any(axis=0)
    open_zone = np.zeros((len(zd.ids) + 1, len(ASSETS)), dtype=bool)
    open_zone[:-1] = (rows["seg_length"][:-1].sum(axis=2) > 0) & (value > 0)
    open_zone[-1] = MILITARY  # home takes military capacity back
    floors, caps, afloors, acaps = region_bounds(scenario)
    return ScenarioArrays(
        rep=rep,
        freed=freed,
        risk=risk_terms(base.fronts, rep, comp, coeffs).with_home(),
        value=rows["value"],
        seg_length=rows["seg_length"],
        seg_value=rows["seg_value"],
        absorb=rows["absorb"],
        existing=rows["existing"],
        access=np.append(access, "full"),
        index=index,
        contest=contest,
        conversion_cap=np.append(cap, 0.0),
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
        peripheral_zones, chokepoints, mineral_zones, supply_nodes, posture).
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
    mask = access_mask(base, arrays.access)
    mask &= arrays.can_release[:, None, :] & arrays.open_zone[None, :, :]
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


def _home_point(index: np.ndarray) -> np.ndarray:
    points = np.array([(lon, lat) for _, lon, lat in HOMELAND_POINTS])
    return np.vstack([points[index], [HOME_LONLAT]])


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
    per = {a: getattr(coeffs.assets, a) for a in ASSETS}
    meta = {
        "horizon_year": scenario.horizon_year,
        "reference_year": scenario.reference_year,
        "units": {a: ASSET_UNITS[a] for a in ASSETS}
        | {"value": "$bn-eq/yr", "cost": "$bn-eq/yr", "distance": "km"},
        "repricing": rep,
        "zone_index": arrays.index,
        "contestability": arrays.contest,
        "arms_share": base.fronts.arms_share,
        "theater": base.fronts.theater,
        "ally_unit_cost": np.array([per[a].ally_unit_cost_bn for a in ASSETS]),
        "coefficients": coeffs.model_dump(mode="json"),
    }

    def home_row(a: np.ndarray) -> np.ndarray:
        return np.vstack([a, np.zeros((1, *a.shape[1:]))])

    return AllocationInputs(
        scenario=scenario.name,
        description=scenario.summary_text(),
        run_id=run_id,
        assets=ASSETS,
        front_ids=(*base.fronts.ids, HOME_ID),
        zone_ids=(*base.zones.ids, HOME_ID),
        zone_region=(*base.zones.region.tolist(), HOME_REGION),
        regions=REGIONS,
        baseline=np.vstack([rep["baseline"], arrays.freed[-1]]),
        floor=home_row(rep["floor"]),
        hard_floor=home_row(rep["hard_floor"]),
        substitute=home_row(rep["substitute"]),
        freed=arrays.freed,
        extra_spending=np.append(rep["extra_spending"], 0.0),
        expected_spending=np.append(rep["expected_spending"], 0.0),
        us_unit_cost=rep["us_unit_cost"],
        conversion_cap=arrays.conversion_cap,
        risk=arrays.risk,
        risk_lambda=arrays.risk_lambda,
        risk_weights=channel_weights(coeffs),
        value=arrays.value,
        seg_length=arrays.seg_length,
        seg_value=arrays.seg_value,
        segment_shares=np.asarray(coeffs.model.segment_shares, dtype=float),
        absorb=arrays.absorb,
        existing=arrays.existing,
        access=tuple(arrays.access.tolist()),
        access_basis=(*base.zones.access_basis, "home"),
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
        front_lonlat=np.vstack([base.front_lonlat, [HOME_LONLAT]]),
        zone_lonlat=np.vstack([base.zone_lonlat, [HOME_LONLAT]]),
        front_home_lonlat=_home_point(base.front_home),
        zone_home_lonlat=_home_point(base.zone_home),
        unit_size=np.array([per[a].unit_size for a in ASSETS]),
        units=bool(coeffs.model.units),
        site_cost=float(coeffs.model.site_cost_bn or 0.0),
        home_deploy_all=bool(scenario.home.deploy_all),
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
