"""Zone value: what lies in or near each peripheral zone, distance-decayed and normalised.

V_zk = Σ_i s_i · exp(−d_zi / D) for each value kind k (chokepoints, minerals, nodes), with
s_i the item's figure divided by its layer's maximum and d_zi the geodesic distance (km)
from the zone polygon to the item (0 inside); the homeland perimeter is exp(−d_z / D_p)
with d_z the distance to the nearest U.S. homeland point. Each kind is then divided by its
maximum over zones, so the best zone scores 1. docs/model.md §2 states every equation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from redeploy.model.memory import require_memory
from redeploy.model.routes import geodesic_km, haversine_km
from redeploy.scenario import VALUE_KINDS
from redeploy.schemas import SCHEMAS, LayerKind, value_layers

if TYPE_CHECKING:
    import geopandas as gpd

#: Most boundary vertices per zone used for zone-to-item distances (evenly subsampled).
MAX_ZONE_VERTICES = 200
#: Tolerance (degrees) of the polygon simplification before distances are taken.
SIMPLIFY_DEG = 0.05
#: The layer each value kind is read from (`LayerRole.value_kind`); "perimeter" is no layer
#: but the distance to the homeland.
VALUE_LAYERS: Mapping[str, str] = value_layers()

#: Per value kind: the item figures (n,) and the zone-item distances (Z, n), or None.
ValueItems = tuple[tuple[np.ndarray, np.ndarray] | None, ...]


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


def item_figures(kind: str, gdf: gpd.GeoDataFrame) -> np.ndarray:
    """
    Return the figure s_i of each item of value kind `kind`, divided by the layer's maximum:
    the product of the layer's `LayerRole.value_figure` columns (chokepoints and supply
    nodes: ``importance``; minerals: ``world_share_pct × criticality``).
    """
    columns = SCHEMAS[LayerKind(VALUE_LAYERS[kind])].role.value_figure
    s = np.ones(len(gdf))
    for column in columns:
        s = s * gdf[column].to_numpy(dtype=float)
    s = np.nan_to_num(s)
    return s / s.max() if s.size and s.max() > 0 else s


def item_points(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Return the (n, 2) lon/lat of each feature (a point on its surface)."""
    points = shapely.point_on_surface(gdf.geometry.to_numpy())
    return np.asarray(shapely.get_coordinates(points), dtype=float)


def value_items(
    layers: Mapping[str, gpd.GeoDataFrame], zones: gpd.GeoDataFrame, home_km: np.ndarray
) -> ValueItems:
    """
    Return, per value kind, the items' figures and their distances to every zone.

    The perimeter kind has one item, the homeland, at `home_km` (Z,) from each zone.
    """
    vertices = zone_vertices(zones.geometry.to_numpy())
    out: list[tuple[np.ndarray, np.ndarray] | None] = []
    for kind in VALUE_KINDS:
        if kind == "perimeter":
            out.append((np.ones(1), np.asarray(home_km, dtype=float).reshape(-1, 1)))
            continue
        gdf = layers.get(VALUE_LAYERS.get(kind, ""))
        if gdf is None or len(gdf) == 0:
            out.append(None)
            continue
        require_memory(
            distance_bytes(len(gdf), vertices),
            f"measuring the distances from the {len(gdf):,} features of layer "
            f"'{VALUE_LAYERS[kind]}' to the {len(zones):,} peripheral zones "
            f"({len(vertices.coords):,} boundary vertices)",
            f"use fewer {VALUE_LAYERS[kind]} features, or a machine with more memory",
        )
        out.append((item_figures(kind, gdf), zone_item_distances(vertices, item_points(gdf))))
    return tuple(out)


def distance_bytes(n_items: int, zones: ZoneVertices) -> int:
    """Peak bytes of `zone_item_distances` for `n_items` items: six (items x vertices)
    float arrays at once while it ranks the vertices (measured), then about eight
    (zones x items) ones."""
    return 8 * n_items * (6 * len(zones.coords) + 8 * len(zones.geoms))


def value_index(
    items: ValueItems, n_zones: int, decay_km: float, perimeter_km: float
) -> np.ndarray:
    """
    Return the (Z, K) value index of each zone per value kind, each column normalised so
    that the best zone scores 1 (the perimeter decays over `perimeter_km`, the others over
    `decay_km`).
    """
    out = np.zeros((n_zones, len(VALUE_KINDS)))
    for k, kind in enumerate(VALUE_KINDS):
        entry = items[k]
        if entry is None:
            continue
        s, dist = entry
        scale = perimeter_km if kind == "perimeter" else decay_km
        out[:, k] = (s[None, :] * np.exp(-dist / scale)).sum(axis=1)
    top = out.max(axis=0)
    return np.asarray(np.divide(out, top, out=np.zeros_like(out), where=top > 0), dtype=float)


def asset_index(index: np.ndarray, fit: np.ndarray, weights: Sequence[float]) -> np.ndarray:
    """
    Return the (Z, A) asset index I_za = Σ_k fit_ak · W_k · V_zk / Σ_k fit_ak · W_k.

    Parameters
    ----------
    index
        (Z, K) value index (`value_index`).
    fit
        (A, K) asset-fit matrix.
    weights
        (K,) layer weights.
    """
    fw = fit * np.asarray(weights, dtype=float)[None, :]
    denom = fw.sum(axis=1)
    out = np.divide(
        index @ fw.T,
        denom[None, :],
        out=np.zeros((index.shape[0], fit.shape[0])),
        where=denom[None, :] > 0,
    )
    return np.asarray(out, dtype=float)
