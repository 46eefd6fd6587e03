"""Zone value: the spatial index and cut-off against every zone-item pair computed densely."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from redeploy.layers import read_layers
from redeploy.model import value
from redeploy.model.geodesic import THOMAS_MAX_KM, THOMAS_REL_ERROR
from redeploy.model.routes import geodesic_km, haversine_km
from redeploy.model.value import (
    VALUE_CUTOFF,
    ValueItems,
    cutoff_km,
    pairs_within,
    value_index,
    value_items,
    zone_vertices,
)
from redeploy.scenario import VALUE_KINDS


def dense_distances(zones: np.ndarray, items: np.ndarray) -> np.ndarray:
    """
    (Z, n) every zone-item distance as the model computed it before the spatial index:
    a spherical distance to every boundary vertex, the geodesic to the nearest, 0 inside.
    """
    zv = zone_vertices(zones)
    nz, ni = len(zv.geoms), len(items)
    near = haversine_km(
        items[:, 0][:, None], items[:, 1][:, None], zv.coords[None, :, 0], zv.coords[None, :, 1]
    )
    nearest = np.empty((nz, ni), dtype=int)
    for z in range(nz):
        s, e = zv.bounds[z], zv.bounds[z + 1]
        nearest[z] = s + np.argmin(near[:, s:e], axis=1)
    dist = geodesic_km(
        zv.coords[nearest, 0],
        zv.coords[nearest, 1],
        np.broadcast_to(items[:, 0], (nz, ni)),
        np.broadcast_to(items[:, 1], (nz, ni)),
    )
    inside = np.vstack([shapely.contains_xy(g, items[:, 0], items[:, 1]) for g in zv.geoms])
    return np.where(inside, 0.0, dist)


def dense_index(items: ValueItems, n_zones: int, decay_km: float, perimeter_km: float):
    """The value index summed over every pair (no cut-off)."""
    dist = dense_distances(items.vertices.geoms, items.points)
    out = np.zeros((n_zones, len(VALUE_KINDS)))
    for k, kind in enumerate(VALUE_KINDS):
        if kind == "perimeter":
            out[:, k] = np.exp(-items.home_km / perimeter_km)
            continue
        if kind == "counterdrug":
            out[:, k] = items.drug_transit
            continue
        mine = items.kind == k
        out[:, k] = (items.figures[mine][None, :] * np.exp(-dist[:, mine] / decay_km)).sum(axis=1)
    top = out.max(axis=0)
    return np.divide(out, top, out=np.zeros_like(out), where=top > 0)


@pytest.fixture(scope="module")
def shipped():
    layers = read_layers(None, kinds=["peripheral_zones", *value.VALUE_LAYERS.values()])
    zones = layers["peripheral_zones"].reset_index(drop=True)
    home = np.linspace(500.0, 15_000.0, len(zones))
    return value_items(layers, zones, home), len(zones)


def assert_distances(got: np.ndarray, exact: np.ndarray) -> None:
    """`got` lies within Thomas's error of the geodesics `exact` (up to `THOMAS_MAX_KM`)
    and equals them beyond."""
    far = exact > THOMAS_MAX_KM * (1 + THOMAS_REL_ERROR)
    np.testing.assert_array_equal(got[far], exact[far])
    np.testing.assert_allclose(got[~far], exact[~far], rtol=THOMAS_REL_ERROR, atol=1e-12)


def _pair_table(items: ValueItems, radius_km: float) -> dict[tuple[int, int], float]:
    zone, item, km = items.within(radius_km).arrays()
    return {(int(z), int(i)): float(d) for z, i, d in zip(zone, item, km, strict=True)}


@pytest.mark.parametrize("decay_km", [300.0, 500.0, 900.0])
def test_shipped_value_index_matches_every_pair_within_the_cutoff(shipped, decay_km):
    items, nz = shipped
    fresh = ValueItems(items.vertices, items.kind, items.figures, items.points, items.home_km)
    got = value_index(fresh, nz, decay_km, 1500.0)
    want = dense_index(items, nz, decay_km, 1500.0)
    # Each left-out term is below VALUE_CUTOFF of an item's figure (at most 1), each kept
    # term within ε/e of it (Thomas's distance, relative error ε).
    bound = (VALUE_CUTOFF + THOMAS_REL_ERROR / math.e) * len(items.points)
    np.testing.assert_allclose(got, want, rtol=0, atol=bound)
    assert np.abs(got - want).max() <= bound


def test_pairs_within_the_cutoff_are_every_dense_pair_at_its_distance(shipped):
    items, _ = shipped
    dist = dense_distances(items.vertices.geoms, items.points)
    radius = cutoff_km(500.0)
    table = _pair_table(items, radius)
    zone, item = np.nonzero(dist <= radius)
    assert set(table) == set(zip(zone.tolist(), item.tolist(), strict=True))
    # The same vertex, the geodesic within Thomas's error: each weight within ε/e of it.
    got = np.array([table[(z, i)] for z, i in zip(zone.tolist(), item.tolist(), strict=True)])
    assert_distances(got, dist[zone, item])
    weights = np.exp(-got / 500.0) - np.exp(-dist[zone, item] / 500.0)
    assert np.abs(weights).max() <= THOMAS_REL_ERROR / math.e


def test_a_shorter_radius_filters_the_pairs_kept_and_a_longer_one_recomputes(shipped):
    items, _ = shipped
    fresh = ValueItems(items.vertices, items.kind, items.figures, items.points, items.home_km)
    long, short = cutoff_km(900.0), cutoff_km(300.0)
    assert _pair_table(fresh, long) and fresh.within(long).radius_km == long
    filtered = fresh.within(short)
    again = ValueItems(items.vertices, items.kind, items.figures, items.points, items.home_km)
    direct = again.within(short)
    for a, b in zip(filtered.arrays(), direct.arrays(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert again.within(long).radius_km == long  # grown on demand


def test_groups_and_threads_give_the_same_bits(shipped, monkeypatch):
    items, nz = shipped
    one = ValueItems(items.vertices, items.kind, items.figures, items.points, items.home_km)
    whole = value_index(one, nz, 500.0, 1500.0)
    monkeypatch.setattr(value, "GEODESIC_BATCH", 37)
    monkeypatch.setattr(value, "GEODESIC_THREADS", 3)
    many = ValueItems(items.vertices, items.kind, items.figures, items.points, items.home_km)
    assert len(many.within(cutoff_km(500.0)).groups) > 10
    np.testing.assert_array_equal(value_index(many, nz, 500.0, 1500.0), whole)


def test_items_inside_a_zone_count_whatever_the_radius():
    # A large zone: its centre lies far from every boundary vertex.
    zones = np.array([box(-40, -30, 40, 30), box(60, 0, 61, 1)])
    items = np.array([[0.0, 0.0], [60.5, 0.5], [100.0, 50.0]])
    zv = zone_vertices(zones)
    inside = np.array([[0, 1], [0, 1]])
    pairs = pairs_within(zv, items, inside, 10.0)
    zone, item, km = pairs.arrays()
    assert list(zip(zone.tolist(), item.tolist(), km.tolist(), strict=True)) == [
        (0, 0, 0.0),
        (1, 1, 0.0),
    ]


def test_synthetic_pairs_match_dense_distances_around_the_globe():
    rng = np.random.default_rng(3)
    centres = rng.uniform([-180, -70], [180, 70], size=(25, 2))
    zones = np.array(
        [
            shapely.buffer(shapely.Point(x, y), r)
            for (x, y), r in zip(centres, rng.uniform(0.3, 9, 25), strict=True)
        ]
    )
    items = np.column_stack([rng.uniform(-180, 180, 400), rng.uniform(-80, 80, 400)])
    dense = dense_distances(zones, items)
    zv = zone_vertices(zones)
    tree = shapely.STRtree(shapely.points(items))
    inside = np.asarray(tree.query(zones, predicate="contains"))
    inside = inside[:, np.lexsort((inside[1], inside[0]))]
    for radius in (800.0, 5_000.0, math.inf):
        zone, item, km = pairs_within(zv, items, inside, radius).arrays()
        z, i = np.nonzero(dense <= radius)
        np.testing.assert_array_equal(zone, z)
        np.testing.assert_array_equal(item, i)
        assert_distances(km, dense[z, i])


def test_distances_to_boxes_are_geodesics_to_the_nearest_corner():
    zones = np.array([box(0, 0, 10, 10), box(20, 0, 30, 10)])
    items = np.array([[5.0, 5.0], [15.0, 5.0]])
    zv = zone_vertices(zones)
    table = {
        (int(z), int(i)): float(d)
        for z, i, d in zip(
            *pairs_within(zv, items, np.array([[0], [0]]), math.inf).arrays(), strict=True
        )
    }
    assert table[(0, 0)] == 0.0  # inside
    # (15, 5) to the nearest boundary vertex of either box: a corner, (10, 0) or (10, 10)
    assert table[(0, 1)] == pytest.approx(float(geodesic_km(15.0, 5.0, 10.0, 10.0)), rel=1e-6)
    assert table[(1, 1)] == pytest.approx(float(geodesic_km(15.0, 5.0, 20.0, 10.0)), rel=1e-6)
