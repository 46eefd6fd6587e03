"""What the model reads from the layers once: front and zone arrays, value items, distances.

`prepare_base` does every geometric computation (zone-to-item distances, front-to-zone
great circles and sea lanes); `redeploy.model.inputs.scenario_arrays` then computes a
scenario's quantities from it with plain numpy, so `redeploy run` and every sample of a
sweep use the same equations on the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from redeploy.errors import ScenarioError
from redeploy.model.repricing import FrontData, front_data, per_asset
from redeploy.model.routes import great_circle_matrix, sea_distance_matrix
from redeploy.model.value import ValueItems, value_items

if TYPE_CHECKING:
    import geopandas as gpd


@dataclass(frozen=True)
class ZoneData:
    """The peripheral zones layer as arrays (Z,) and (Z, A) (no geometry)."""

    ids: tuple[str, ...]
    region: np.ndarray
    us_influence: np.ndarray
    competitor_influence: np.ndarray
    absorb: np.ndarray
    access: np.ndarray


@dataclass(frozen=True)
class ModelBase:
    """
    Everything the model needs from the layers, computed once.

    Attributes
    ----------
    fronts, zones
        The fronts and peripheral zones as arrays.
    items
        Per value kind, the items' figures and their distances to every zone (km).
    front_lonlat, zone_lonlat
        (F, 2) and (Z, 2) lon/lat of the fronts and of the zones' anchors (a point on the
        surface): the ends of every route.
    great_circle_km, sea_km
        (F, Z) WGS84 geodesic and sea-lane distances (sea lanes fall back to the great
        circle where the network joins no path).
    """

    fronts: FrontData
    zones: ZoneData
    items: ValueItems
    front_lonlat: np.ndarray
    zone_lonlat: np.ndarray
    great_circle_km: np.ndarray
    sea_km: np.ndarray


def zone_data(zones: gpd.GeoDataFrame) -> ZoneData:
    """Read the validated peripheral zones layer into `ZoneData`."""
    return ZoneData(
        ids=tuple(zones["id"].astype(str)),
        region=zones["region"].astype(str).to_numpy(),
        us_influence=zones["us_influence"].to_numpy(dtype=float),
        competitor_influence=zones["competitor_influence"].to_numpy(dtype=float),
        absorb=per_asset(zones, "absorb"),
        access=zones["access"].astype(str).to_numpy(),
    )


def prepare_base(layers: Mapping[str, gpd.GeoDataFrame]) -> ModelBase:
    """
    Read the model's layers into a `ModelBase`.

    Parameters
    ----------
    layers
        ``{kind: GeoDataFrame}`` from `redeploy.layers.read_layers`: fronts and
        peripheral_zones are required; chokepoints, mineral_zones and supply_nodes feed
        zone value when present.

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
    return ModelBase(
        fronts=front_data(fronts),
        zones=zone_data(zones),
        items=value_items(layers, zones),
        front_lonlat=front_xy,
        zone_lonlat=zone_xy,
        great_circle_km=gc,
        sea_km=sea,
    )
