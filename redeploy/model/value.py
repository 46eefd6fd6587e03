"""Zone value: what lies in or near each peripheral zone, distance-decayed and normalised.

V_zk = Σ_i s_i · exp(−d_zi / D) for each value kind k (chokepoints, minerals, nodes), with
s_i the item's figure divided by its layer's maximum and d_zi the geodesic distance (km)
from the zone polygon to the item (0 inside); the homeland perimeter is exp(−d_z / D_p)
with d_z the distance to the nearest U.S. homeland point; the counter-drug value is 1 for a
zone on the President's list of major drug-transit or drug-producing countries (the zones
layer's ``drug_transit``), 0 otherwise. Each kind is then divided by its maximum over zones,
so the best zone scores 1. docs/model.md §2 states every equation.

An item reaches a zone only while its weight exp(−d/D) is at least `VALUE_CUTOFF`, i.e.
within ``D · ln(1 / VALUE_CUTOFF)`` km (`cutoff_km`): those pairs are found with KD-trees
of unit vectors (the items, and each zone's boundary vertices), and only they get a
distance, so the work and the memory grow with the pairs that matter, not with zones ×
items. A pair's distance is to the boundary vertex nearest on the sphere, by Thomas's
second-order formula (`redeploy.model.geodesic`: within 1e-8 of the WGS84 geodesic, so a
weight moves by less than 4e-9) up to 12,000 km and pyproj's geodesic beyond.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from scipy.spatial import cKDTree

from redeploy.layers import surface_xy
from redeploy.model.geodesic import parametric_xyz, value_distances_km
from redeploy.model.memory import require_memory
from redeploy.model.routes import EARTH_RADIUS_KM, unit_xyz
from redeploy.scenario import VALUE_KINDS
from redeploy.schemas import SCHEMAS, LayerKind, value_layers

if TYPE_CHECKING:
    import geopandas as gpd

#: Most boundary vertices per zone used for zone-to-item distances (evenly subsampled).
MAX_ZONE_VERTICES = 200
#: Tolerance (degrees) of the polygon simplification before distances are taken.
SIMPLIFY_DEG = 0.05
#: Smallest weight exp(−d/D) by which an item still counts toward a zone's value: a pair
#: farther apart than `cutoff_km` adds less than this share of the item's figure and is
#: left out. Each left-out term is below 1e-10 of an item's figure (at most 1), so a value
#: index moves by less than (items × 1e-10) / its kind's maximum.
VALUE_CUTOFF = 1e-10
#: Zone-item pairs taken in one group (bounds the memory of the candidates).
GEODESIC_BATCH = 200_000
#: Threads working on groups of zones when there are several (pyproj releases the GIL).
GEODESIC_THREADS = min(4, os.cpu_count() or 1)
#: The WGS84 geodesic and the great circle on the mean sphere differ by less than 0.6 %:
#: pairs are preselected on the sphere with this margin, so none within the cut-off is lost.
SPHERE_MARGIN = 0.01
#: The layer each value kind is read from (`LayerRole.value_kind`); "perimeter" is no layer
#: but the distance to the homeland, "counterdrug" the zones layer's ``drug_transit``.
VALUE_LAYERS: Mapping[str, str] = value_layers()
#: Value kinds that are not a contest for influence (docs/model.md §2): the homeland
#: perimeter and the drug routes toward it are defended whoever holds sway there, so their
#: part of a zone's value is not scaled by the zone's contestability.
UNCONTESTED_KINDS: tuple[str, ...] = ("perimeter", "counterdrug")
#: Value kinds that are figures of the zones themselves, not of a layer's items.
ZONE_KINDS: tuple[str, ...] = ("perimeter", "counterdrug")


def cutoff_km(decay_km: float) -> float:
    """Distance (km) beyond which an item's weight exp(−d/`decay_km`) is below `VALUE_CUTOFF`."""
    return float(decay_km) * math.log(1.0 / VALUE_CUTOFF)


def _chord(angle: float) -> float:
    """Chord length on the unit sphere of a great-circle angle (radians)."""
    return 2.0 * math.sin(min(angle, math.pi) / 2.0)


@dataclass(frozen=True)
class ZoneVertices:
    """
    Boundary vertices of zone polygons, grouped by zone: ``coords[bounds[z]:bounds[z+1]]``.

    ``xyz`` holds the same vertices as unit vectors (``parametric`` at their parametric
    latitude, for `thomas_km`); each zone's vertices lie within the angle ``cap[z]``
    (radians) of the unit vector ``center[z]``.
    """

    geoms: np.ndarray
    coords: np.ndarray
    bounds: np.ndarray
    xyz: np.ndarray
    center: np.ndarray
    cap: np.ndarray
    parametric: np.ndarray


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
    bounds = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=nz))]).astype(np.intp)
    xyz = unit_xyz(coords[:, 0], coords[:, 1]) if len(coords) else np.zeros((0, 3))
    center = np.zeros((nz, 3))
    np.add.at(center, owner, xyz)
    norm = np.linalg.norm(center, axis=1)
    center = np.divide(center, norm[:, None], out=np.zeros_like(center), where=norm[:, None] > 0)
    cos = np.clip(np.einsum("ij,ij->i", xyz, center[owner]), -1.0, 1.0)
    cap = np.zeros(nz)
    np.maximum.at(cap, owner, np.arccos(cos))
    # A zone whose vertices cancel out (none, or spread around the globe) reaches everywhere.
    cap[norm < 1e-9] = math.pi
    parametric = parametric_xyz(coords[:, 0], coords[:, 1]) if len(coords) else np.zeros((0, 3))
    return ZoneVertices(zone_geoms, coords, bounds, xyz, center, cap + 1e-9, parametric)


#: One group of pairs: zone (int32), item (int32) and distance (km), sorted by zone then item.
PairGroup = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class ItemPairs:
    """
    The (zone, item) pairs at most `radius_km` apart with their distance (km; 0 for an
    item inside the zone), in groups of consecutive zones (`GEODESIC_BATCH`), each sorted
    by zone then item: no array ever holds more than one group's candidates.
    """

    groups: tuple[PairGroup, ...]
    radius_km: float

    def within(self, radius_km: float) -> ItemPairs:
        """The pairs at most `radius_km` apart (`radius_km` at most this one's)."""
        if radius_km >= self.radius_km:
            return self
        kept = []
        for zone, item, km in self.groups:
            keep = km <= radius_km
            kept.append((zone[keep], item[keep], km[keep]))
        return ItemPairs(tuple(kept), radius_km)

    def arrays(self) -> PairGroup:
        """Every pair's zone, item and distance in one set of arrays."""
        parts = [np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0)]
        return (
            np.concatenate([parts[0], *(g[0] for g in self.groups)]),
            np.concatenate([parts[1], *(g[1] for g in self.groups)]),
            np.concatenate([parts[2], *(g[2] for g in self.groups)]),
        )


def _nearest_vertices(
    zv: ZoneVertices, items: np.ndarray, z: int, angle: float
) -> tuple[np.ndarray, np.ndarray]:
    """The items (sorted) whose boundary vertex of zone `z` nearest on the sphere lies
    within `angle` (radians), and that vertex's index."""
    s, e = int(zv.bounds[z]), int(zv.bounds[z + 1])
    none = np.zeros(0, dtype=np.intp)
    if s == e or not len(items):
        return none, none
    # Within the zone's cap plus `angle` of its centre: a cosine test on every item.
    reach = min(math.pi, float(zv.cap[z]) + angle)
    candidates = np.flatnonzero(items @ zv.center[z] >= math.cos(reach))
    if not candidates.size:
        return none, none
    chord, vertex = cKDTree(zv.xyz[s:e]).query(items[candidates])
    near = 2.0 * np.arcsin(np.minimum(np.asarray(chord) / 2.0, 1.0)) <= angle
    return candidates[near], s + np.asarray(vertex, dtype=np.intp)[near]


def pairs_within(
    zv: ZoneVertices, points: np.ndarray, inside: np.ndarray, radius_km: float
) -> ItemPairs:
    """
    Return the pairs of zones and item `points` (n, 2) at most `radius_km` apart.

    The distance is 0 for the pairs of `inside` (2, m: zone, item, sorted), otherwise the
    WGS84 distance to the zone's boundary vertex nearest on the sphere
    (`redeploy.model.geodesic.value_distances_km`: Thomas's formula, relative error below
    1e-8, then pyproj's geodesic beyond 12,000 km). Candidates are the items within the
    zone's cap plus `radius_km` (and `SPHERE_MARGIN`) of its centre whose nearest vertex
    lies within that distance on the sphere. Zones are taken in groups of
    about `GEODESIC_BATCH` zone-item pairs (on `GEODESIC_THREADS` threads when there are
    several), so memory stays bounded by the pairs kept.
    """
    nz = len(zv.geoms)
    none = np.zeros((0, 3))
    xyz = unit_xyz(points[:, 0], points[:, 1]) if len(points) else none
    par = parametric_xyz(points[:, 0], points[:, 1]) if len(points) else none
    angle = min(math.pi, radius_km * (1.0 + SPHERE_MARGIN) / EARTH_RADIUS_KM)
    step = max(1, GEODESIC_BATCH // max(len(points), 1))
    groups = [range(z, min(z + step, nz)) for z in range(0, nz, step)]

    def pairs(zones: range) -> PairGroup:
        lo, hi = np.searchsorted(inside[0], [zones.start, zones.stop])
        own = inside[:, lo:hi]
        return _group_pairs(zv, (points, xyz, par), zones, own, (angle, radius_km))

    if len(groups) > 1 and GEODESIC_THREADS > 1:
        # pyproj, numpy and the KD-trees release the GIL; each group's result keeps its place.
        with ThreadPoolExecutor(GEODESIC_THREADS) as pool:
            return ItemPairs(tuple(pool.map(pairs, groups)), float(radius_km))
    return ItemPairs(tuple(pairs(g) for g in groups), float(radius_km))


def _group_pairs(
    zv: ZoneVertices,
    items: tuple[np.ndarray, np.ndarray, np.ndarray],
    zones: range,
    inside: np.ndarray,
    reach: tuple[float, float],
) -> PairGroup:
    """The pairs of a group of `zones` (`pairs_within`): `items` holds the items' lon/lat,
    unit vectors and parametric unit vectors, `inside` the group's inside pairs, `reach`
    the angle (radians) and distance (km) of the cut-off."""
    points, xyz, par = items
    n = np.int64(max(len(points), 1))
    angle, radius_km = reach
    found = [(z, *_nearest_vertices(zv, xyz, z, angle)) for z in zones]
    key = np.concatenate([np.zeros(0, dtype=np.int64), *(z * n + i for z, i, _ in found)])
    item = np.concatenate([np.zeros(0, dtype=np.intp), *(i for _, i, _ in found)])
    vertex = np.concatenate([np.zeros(0, dtype=np.intp), *(v for _, _, v in found)])
    km = value_distances_km(zv.coords[vertex], zv.parametric[vertex], points[item], par[item])
    keep = km <= radius_km
    key, km = key[keep], km[keep]
    # An item inside the zone is at 0 km, whatever its nearest vertex; keys stay sorted.
    inside_key = inside[0].astype(np.int64) * n + inside[1]
    pos = np.searchsorted(key, inside_key)
    hit = pos < len(key)
    hit[hit] = key[pos[hit]] == inside_key[hit]
    km[pos[hit]] = 0.0
    if not hit.all():
        key = np.concatenate([key, inside_key[~hit]])
        km = np.concatenate([km, np.zeros(int((~hit).sum()))])
        order = np.argsort(key, kind="stable")
        key, km = key[order], km[order]
    return (key // n).astype(np.int32), (key % n).astype(np.int32), km


class ValueItems:
    """
    The items of every value kind, each zone's distance to the homeland and whether it is a
    major drug-transit country.

    Items of all kinds are held together (``kind[i]`` the `VALUE_KINDS` position of item
    ``i``, ``figures[i]`` its figure); their pairs with the zones within a distance are
    computed when first asked for (`within`) and kept: a later call for a shorter distance
    filters them, a longer one computes them again. The same distance gives the same pairs
    either way, so a value never depends on what was asked before (sweep samples, the
    calibration's evaluations).
    """

    def __init__(
        self,
        vertices: ZoneVertices,
        kind: np.ndarray,
        figures: np.ndarray,
        points: np.ndarray,
        home_km: np.ndarray,
        drug_transit: np.ndarray | None = None,
    ) -> None:
        self.vertices = vertices
        self.kind = np.asarray(kind, dtype=np.intp)
        self.figures = np.asarray(figures, dtype=float)
        self.points = np.asarray(points, dtype=float).reshape(-1, 2)
        self.home_km = np.asarray(home_km, dtype=float).reshape(-1)
        #: (Z,) 1 for a major drug-transit or drug-producing country, else 0.
        self.drug_transit = (
            np.zeros(len(self.home_km))
            if drug_transit is None
            else np.asarray(drug_transit, dtype=float).reshape(-1)
        )
        tree = shapely.STRtree(shapely.points(self.points))
        inside = np.asarray(tree.query(vertices.geoms, predicate="contains"), dtype=np.intp)
        inside = inside.reshape(2, -1)
        #: (2, m) the items inside each zone (zone, item), sorted by zone then item.
        self.inside = inside[:, np.lexsort((inside[1], inside[0]))]
        self._pairs: ItemPairs | None = None

    def within(self, radius_km: float) -> ItemPairs:
        """The (zone, item) pairs at most `radius_km` apart, with their distances (km)."""
        pairs = self._pairs
        if pairs is None or pairs.radius_km < radius_km:
            pairs = pairs_within(self.vertices, self.points, self.inside, radius_km)
            self._pairs = pairs
        return pairs.within(radius_km)

    def sums(self, n_zones: int, decay_km: float) -> np.ndarray:
        """(Z, K) Σ_i s_i · exp(−d_zi / `decay_km`) per value kind over the items within
        `cutoff_km` (the columns of `ZONE_KINDS` are left 0)."""
        k = len(VALUE_KINDS)
        out = np.zeros(n_zones * k)
        # Each zone's pairs lie in one group: adding the groups' sums adds only zeros to it.
        for zone, item, km in self.within(cutoff_km(decay_km)).groups:
            weights = self.figures[item] * np.exp(-km / decay_km)
            cell = zone.astype(np.intp) * k + self.kind[item]
            out += np.bincount(cell, weights=weights, minlength=n_zones * k)
        return out.reshape(n_zones, k)


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
    """Return the (n, 2) lon/lat of each feature (a point on its surface; a point's own)."""
    return surface_xy(gdf.geometry.to_numpy())


def value_items(
    layers: Mapping[str, gpd.GeoDataFrame],
    zones: gpd.GeoDataFrame,
    home_km: np.ndarray,
    drug_transit: np.ndarray | None = None,
) -> ValueItems:
    """
    Return the items of every value kind (figures and points) ready to pair with every
    zone, the zones' distances to the homeland (`home_km`, (Z,)) for the perimeter and
    their `drug_transit` flags (Z,) for the counter-drug value (none listed when omitted).
    """
    kinds: list[np.ndarray] = []
    figures: list[np.ndarray] = []
    points: list[np.ndarray] = []
    for k, kind in enumerate(VALUE_KINDS):
        gdf = layers.get(VALUE_LAYERS.get(kind, ""))
        if kind in ZONE_KINDS or gdf is None or len(gdf) == 0:
            continue
        kinds.append(np.full(len(gdf), k))
        figures.append(item_figures(kind, gdf))
        points.append(item_points(gdf))
    _require_pair_memory(kinds, len(zones))
    return ValueItems(
        zone_vertices(zones.geometry.to_numpy()),
        np.concatenate(kinds) if kinds else np.zeros(0, dtype=np.intp),
        np.concatenate(figures) if figures else np.zeros(0),
        np.concatenate(points) if points else np.zeros((0, 2)),
        home_km,
        drug_transit,
    )


#: Bytes a kept zone-item pair takes (zone and item int32, distance float64), and the
#: working memory of one group of candidate pairs (`GEODESIC_BATCH`; measured, rounded up).
PAIR_BYTES = 16
GROUP_BYTES = 128 * GEODESIC_BATCH


def pair_bytes(n_items: int, n_zones: int) -> int:
    """Peak bytes of the zone-item pairs of `n_items` items and `n_zones` zones at most:
    every pair within the cut-off kept, and each thread's group of candidates."""
    return PAIR_BYTES * n_items * n_zones + GEODESIC_THREADS * GROUP_BYTES


def _require_pair_memory(kinds: Sequence[np.ndarray], n_zones: int) -> None:
    """Refuse items too many to pair with the zones in the memory available, naming the
    largest layer (`pair_bytes`)."""
    if not kinds:
        return
    sizes = {VALUE_KINDS[int(k[0])]: len(k) for k in kinds}
    kind = max(sizes, key=lambda name: sizes[name])
    layer, others = VALUE_LAYERS[kind], sum(sizes.values()) - sizes[kind]
    more = f" (and {others:,} of other layers)" if others else ""
    require_memory(
        pair_bytes(sum(sizes.values()), n_zones),
        f"pairing the {sizes[kind]:,} features of layer '{layer}'{more} with the "
        f"{n_zones:,} peripheral zones",
        f"use fewer {layer} features or zones, or a machine with more memory",
    )


def value_index(
    items: ValueItems, n_zones: int, decay_km: float, perimeter_km: float
) -> np.ndarray:
    """
    Return the (Z, K) value index of each zone per value kind, each column normalised so
    that the best zone scores 1 (the perimeter decays over `perimeter_km`, the layers'
    items over `decay_km`, counting the items within `cutoff_km`; the counter-drug value is
    the zone's `ValueItems.drug_transit`).
    """
    out = items.sums(n_zones, decay_km)
    out[:, VALUE_KINDS.index("perimeter")] = np.exp(-items.home_km / perimeter_km)
    out[:, VALUE_KINDS.index("counterdrug")] = items.drug_transit
    top = out.max(axis=0)
    return np.asarray(np.divide(out, top, out=np.zeros_like(out), where=top > 0), dtype=float)


def asset_index(
    index: np.ndarray,
    fit: np.ndarray,
    weights: Sequence[float],
    kinds: Sequence[str] | None = None,
) -> np.ndarray:
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
    kinds
        Sum over these value kinds only (the denominator stays over every kind), so the
        parts of disjoint kinds add up to the whole index.
    """
    fw = fit * np.asarray(weights, dtype=float)[None, :]
    denom = fw.sum(axis=1)
    part = fw if kinds is None else fw * np.isin(VALUE_KINDS, list(kinds))[None, :]
    out = np.divide(
        index @ part.T,
        denom[None, :],
        out=np.zeros((index.shape[0], fit.shape[0])),
        where=denom[None, :] > 0,
    )
    return np.asarray(out, dtype=float)
