"""What the model reads from the layers once: front and zone arrays, value items, distances.

`prepare_base` does every geometric computation (zone-to-item distances, front-to-zone
great circles and sea lanes, distances to the U.S. homeland); `redeploy.model.inputs.
scenario_arrays` then computes a scenario's quantities from it with plain numpy, so
`redeploy run` and every sample of a sweep use the same equations on the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from redeploy.errors import ScenarioError
from redeploy.model.repricing import FrontData, front_data, per_asset

# the home pool's id, region and map point live with the result's contract (re-exported)
from redeploy.model.result import HOME_ID as HOME_ID
from redeploy.model.result import HOME_LONLAT as HOME_LONLAT
from redeploy.model.result import HOME_REGION as HOME_REGION
from redeploy.model.routes import great_circle_matrix, sea_distance_matrix
from redeploy.model.value import ValueItems, value_items
from redeploy.scenario import ModelSection
from redeploy.schemas import ASSETS, MILITARY_ASSETS

if TYPE_CHECKING:
    import geopandas as gpd

#: Reference points of the U.S. homeland (name, lon, lat): the ports and bases that forces
#: return to and leave from, and the points the homeland-perimeter value decays from.
#: Placed by hand (assumption): the Atlantic, Gulf and Pacific fleet concentration areas,
#: Key West and Puerto Rico (Roosevelt Roads, re-activated Sep 2025) on the Caribbean side.
HOMELAND_POINTS: tuple[tuple[str, float, float], ...] = (
    ("Norfolk", -76.30, 36.95),
    ("Mayport", -81.40, 30.39),
    ("Key West", -81.80, 24.55),
    ("Corpus Christi", -97.40, 27.80),
    ("San Diego", -117.20, 32.70),
    ("Puget Sound", -122.60, 47.60),
    ("Pearl Harbor", -157.95, 21.35),
    ("Roosevelt Roads", -65.62, 18.24),
)


@dataclass(frozen=True)
class SiteData:
    """The active sites as arrays (S,) and (S, A): what `site_capacity` sums per zone."""

    #: (S,) index of the zone each site lies in.
    zone: np.ndarray
    #: (S, A) capacity of each class (kpe; 0 for engagement).
    capacity: np.ndarray
    #: (S,) held under an access arrangement (DCA, MoU, SOFA, access) rather than a base:
    #: its capacity is scaled by ``model.access_site_capacity_scale``.
    access: np.ndarray
    #: (S,) year from which U.S. forces could use the site (NaN: established).
    since: np.ndarray


@dataclass(frozen=True)
class ZoneData:
    """The peripheral zones layer as arrays (Z,) and (Z, A) (no geometry)."""

    ids: tuple[str, ...]
    iso3: np.ndarray
    region: np.ndarray
    us_influence: np.ndarray
    competitor_influence: np.ndarray
    absorb: np.ndarray
    access: np.ndarray
    access_basis: tuple[str, ...]
    #: (Z,) naval at-sea operations and port calls are possible without basing.
    port_calls: np.ndarray
    #: (Z,) at-sea naval presence the zone's waters can hold (kpe).
    sea_naval: np.ndarray
    #: (Z,) a major drug-transit or drug-producing country (the counter-drug value).
    drug_transit: np.ndarray
    #: (Z, A) U.S. presence already in the zone (the posture layer's counted rows).
    existing: np.ndarray
    #: The active sites whose capacities make up `absorb` in the zones they name.
    sites: SiteData


@dataclass(frozen=True)
class ModelBase:
    """
    Everything the model needs from the layers, computed once.

    Attributes
    ----------
    fronts, zones
        The fronts and peripheral zones as arrays.
    items
        Per value kind, the items' figures and their distances to every zone (km); the
        perimeter kind holds the distance to the nearest homeland point.
    front_lonlat, zone_lonlat
        (F, 2) and (Z, 2) lon/lat of the fronts and of the zones' anchors (a point on the
        surface): the ends of every route.
    great_circle_km, sea_km
        (F, Z) WGS84 geodesic and sea-lane distances (sea lanes fall back to the great
        circle where the network joins no path).
    front_home, zone_home
        (F,) and (Z,) index of the nearest homeland point (`HOMELAND_POINTS`).
    front_home_km, zone_home_km
        (F, 2) and (Z, 2) distance to it: great circle, then sea lanes (km).
    same_country
        (F, Z) the zone is one of the front's hosts (no flow joins them).
    """

    fronts: FrontData
    zones: ZoneData
    items: ValueItems
    front_lonlat: np.ndarray
    zone_lonlat: np.ndarray
    great_circle_km: np.ndarray
    sea_km: np.ndarray
    front_home: np.ndarray
    zone_home: np.ndarray
    front_home_km: np.ndarray
    zone_home_km: np.ndarray
    same_country: np.ndarray


def _column(frame: pd.DataFrame, name: str, default: object, n: int) -> np.ndarray:
    """Return column `name` of `frame`, or `default` where it is missing or empty."""
    if name not in frame.columns:
        return np.full(n, default)
    values = frame[name]
    return values.where(values.notna(), default).to_numpy()


def existing_posture(zone_ids: tuple[str, ...], posture: pd.DataFrame | None) -> np.ndarray:
    """
    Return the (Z, A) U.S. presence already in each zone: the posture layer's rows that
    count toward standing presence (``counts``), summed per zone and class (kpe).
    """
    out = np.zeros((len(zone_ids), len(ASSETS)))
    if posture is None or len(posture) == 0:
        return out
    pos = {z: k for k, z in enumerate(zone_ids)}
    counted = posture[posture["counts"].astype(bool)]
    for j, a in enumerate(ASSETS):
        column = f"kpe_{a}"
        if a not in MILITARY_ASSETS or column not in counted.columns:
            continue
        for zid, kpe in zip(counted["zone_id"].astype(str), counted[column], strict=True):
            if zid in pos and pd.notna(kpe):
                out[pos[zid], j] += float(kpe)
    return out


def site_capacity(
    zone_ids: tuple[str, ...], absorb: np.ndarray, sites: pd.DataFrame | None
) -> np.ndarray:
    """
    Return the (Z, A) capacity of each zone to host each class.

    A military class's capacity is the sum of the zone's active sites' ``cap_<class>`` for
    every zone the sites layer names (a zone whose sites are all withdrawn has none);
    a zone no site names keeps the zones layer's ``absorb_<class>`` (a user's own zones
    with the shipped sites layer, or a layer set without sites). Engagement always comes
    from the zones layer.
    """
    if sites is None or len(sites) == 0:
        return absorb
    out = absorb.copy()
    pos = {z: k for k, z in enumerate(zone_ids)}
    named = np.zeros(len(zone_ids), dtype=bool)
    for z in sites["zone_id"].astype(str):
        if z in pos:
            named[pos[z]] = True
    summed = site_sums(site_data(zone_ids, sites), len(zone_ids))
    military = np.array([a in MILITARY_ASSETS for a in ASSETS])
    out[named] = np.where(military[None, :], summed, out)[named]
    return out


def site_sums(sites: SiteData, n_zones: int, share: np.ndarray | None = None) -> np.ndarray:
    """(Z, A) per zone, the sum of its `sites`' capacities (each times its `share`, (S,),
    when given)."""
    weights = sites.capacity if share is None else sites.capacity * share[:, None]
    out = np.zeros((n_zones, weights.shape[1]))
    for j in range(weights.shape[1]):
        out[:, j] = np.bincount(sites.zone, weights=weights[:, j], minlength=n_zones)
    return out


def site_data(zone_ids: tuple[str, ...], sites: pd.DataFrame | None) -> SiteData:
    """
    Return the active sites of the zones in `zone_ids` as `SiteData`: without an
    ``access_kind`` column every site counts as a base, without ``since`` as established.
    """
    pos = {z: k for k, z in enumerate(zone_ids)}
    if sites is None or len(sites) == 0:
        sites = pd.DataFrame({"zone_id": [], "status": []})
    active = sites[sites["status"].astype(str) == "active"]
    rows = np.array([pos.get(str(z), -1) for z in active["zone_id"]], dtype=np.int64)
    keep = rows >= 0
    active = active[keep]
    capacity = np.zeros((len(active), len(ASSETS)))
    for j, a in enumerate(ASSETS):
        if a in MILITARY_ASSETS and f"cap_{a}" in active.columns:
            capacity[:, j] = active[f"cap_{a}"].to_numpy(dtype=float)
    if "access_kind" in active.columns:
        access = active["access_kind"].astype(str).to_numpy() != "base"
    else:
        access = np.zeros(len(active), dtype=bool)
    if "since" in active.columns:
        since = pd.to_numeric(active["since"], errors="coerce").to_numpy(dtype=float)
    else:
        since = np.full(len(active), np.nan)
    return SiteData(zone=rows[keep], capacity=capacity, access=access, since=since)


def site_share(sites: SiteData, year: int, m: ModelSection) -> np.ndarray:
    """
    Return (S,) the share of each site's stated capacity it hosts in `year`:
    clip((year − since) / `m.site_maturity_years`, 0, 1) (1 for a site without ``since``),
    times ``model.access_site_capacity_scale`` for sites held under access arrangements.
    """
    years = float(m.site_maturity_years or 0.0)
    elapsed = float(year) - sites.since
    grown = np.clip(elapsed / years, 0.0, 1.0) if years > 0 else (elapsed >= 0).astype(float)
    grown = np.where(np.isnan(sites.since), 1.0, grown)
    access_scale = float(m.access_site_capacity_scale or 1.0)
    return np.asarray(grown * np.where(sites.access, access_scale, 1.0), dtype=float)


def zone_data(
    zones: gpd.GeoDataFrame,
    posture: pd.DataFrame | None = None,
    sites: pd.DataFrame | None = None,
) -> ZoneData:
    """Read the validated peripheral zones layer (with the posture and sites layers) into
    `ZoneData`."""
    n = len(zones)
    ids = tuple(zones["id"].astype(str))
    return ZoneData(
        ids=ids,
        iso3=zones["iso3"].astype(str).to_numpy(),
        region=zones["region"].astype(str).to_numpy(),
        us_influence=zones["us_influence"].to_numpy(dtype=float),
        competitor_influence=zones["competitor_influence"].to_numpy(dtype=float),
        absorb=site_capacity(ids, per_asset(zones, "absorb"), sites),
        access=zones["access"].astype(str).to_numpy(),
        access_basis=tuple(str(v) for v in _column(zones, "access_basis", "", n)),
        port_calls=_column(zones, "port_calls", False, n).astype(bool),
        sea_naval=_column(zones, "sea_naval", 0.0, n).astype(float),
        drug_transit=_column(zones, "drug_transit", False, n).astype(bool),
        existing=existing_posture(ids, posture),
        sites=site_data(ids, sites),
    )


def _nearest_home(points: np.ndarray, *, sea: bool) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest homeland point of each point, and the distance (km) to it."""
    home = np.array([(lon, lat) for _, lon, lat in HOMELAND_POINTS])
    gc = great_circle_matrix(points, home)
    nearest = np.argmin(gc, axis=1) if len(points) else np.zeros(0, dtype=int)
    out = gc[np.arange(len(points)), nearest] if len(points) else np.zeros(0)
    if sea and len(points):
        lanes = sea_distance_matrix(points, home)
        lanes = np.where(np.isfinite(lanes), lanes, gc)
        out = np.column_stack([out, lanes[np.arange(len(points)), nearest]])
    return nearest, out


def prepare_base(layers: Mapping[str, gpd.GeoDataFrame]) -> ModelBase:
    """
    Read the model's layers into a `ModelBase`.

    Parameters
    ----------
    layers
        ``{kind: GeoDataFrame}`` from `redeploy.layers.read_layers`: fronts and
        peripheral_zones are required; chokepoints, mineral_zones and supply_nodes feed
        zone value, posture the existing presence and sites the zones' capacity to host
        forces, when present.

    Raises
    ------
    ScenarioError
        When fronts or peripheral_zones is missing.
    """
    for kind in ("fronts", "peripheral_zones"):
        if kind not in layers:
            msg = f"layer {kind!r} is required to build the allocation model"
            raise ScenarioError(msg)
    fronts = layers["fronts"].reset_index(drop=True)
    zones = layers["peripheral_zones"].reset_index(drop=True)
    front_xy = shapely.get_coordinates(shapely.point_on_surface(fronts.geometry.to_numpy()))
    zone_xy = shapely.get_coordinates(shapely.point_on_surface(zones.geometry.to_numpy()))
    gc = great_circle_matrix(front_xy, zone_xy)
    sea = sea_distance_matrix(front_xy, zone_xy)
    # Pairs the network cannot join fall back to the great circle.
    sea = np.where(np.isfinite(sea), sea, gc)
    fd = front_data(fronts)
    zd = zone_data(zones, layers.get("posture"), layers.get("sites"))
    front_home, front_home_km = _nearest_home(front_xy, sea=True)
    zone_home, zone_home_km = _nearest_home(zone_xy, sea=True)
    same = np.array([[z in hosts for z in zd.iso3] for hosts in fd.hosts], dtype=bool).reshape(
        len(fd.ids), len(zd.ids)
    )
    return ModelBase(
        fronts=fd,
        zones=zd,
        items=value_items(
            layers,
            zones,
            zone_home_km[:, 0] if len(zd.ids) else np.zeros(0),
            zd.drug_transit,
        ),
        front_lonlat=front_xy,
        zone_lonlat=zone_xy,
        great_circle_km=gc,
        sea_km=sea,
        front_home=front_home,
        zone_home=zone_home,
        front_home_km=front_home_km.reshape(len(fd.ids), 2),
        zone_home_km=zone_home_km.reshape(len(zd.ids), 2),
        same_country=same,
    )
