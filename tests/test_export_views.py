"""Zone polygons stored once in a run's GeoPackage (`redeploy.export.gpkg_views`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.affinity import translate

from redeploy.export import build_result_layers, write_results
from redeploy.export import gis as gis_module
from redeploy.export.gpkg_views import VALUES, share_zone_geometry
from redeploy.export.results import prepare_layer
from tests.conftest import load_data_module

fixtures = load_data_module("export/fixtures.py", "export_fixtures")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    layers, result = fixtures.make_layers(), fixtures.make_result()
    out = tmp_path_factory.mktemp("views")
    path = write_results(layers, result, out, formats=("gpkg",))[0]
    return layers, result, path


def _sql(path: Path, query: str) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def test_zone_allocations_is_a_view_on_the_zone_polygons(written):
    _, _, path = written
    kinds = dict(_sql(path, "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')"))
    assert kinds["zone_allocations"] == "view"
    assert kinds[VALUES] == "table"
    assert "rtree_zone_allocations_geom" not in kinds
    contents = {r[0] for r in _sql(path, "SELECT table_name FROM gpkg_contents")}
    assert "zone_allocations" in contents
    assert VALUES not in contents
    assert VALUES not in {name for name, _ in pyogrio.list_layers(path)}


def _kept(layers, result, folder: Path) -> Path:
    """The same run written with zone_allocations left a table."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(gis_module, "share_zone_geometry", lambda _path: False)
        return write_results(layers, result, folder, formats=("gpkg",))[0]


def test_view_reads_as_the_table_it_replaces(written, tmp_path):
    layers, result, path = written
    kept = _kept(layers, result, tmp_path)
    assert _sql(kept, "SELECT type FROM sqlite_master WHERE name = 'zone_allocations'") == [
        ("table",)
    ]
    got = pyogrio.read_dataframe(path, layer="zone_allocations", fid_as_index=True)
    want = pyogrio.read_dataframe(kept, layer="zone_allocations", fid_as_index=True)
    assert_geodataframe_equal(got, want)
    assert got.index.tolist() == list(range(1, len(want) + 1))
    info = pyogrio.read_info(path, layer="zone_allocations")
    assert info["geometry_type"] == "MultiPolygon"
    assert dict(zip(info["fields"], info["dtypes"], strict=True))["port_calls"] == "bool"
    # Every other layer and the metadata are as before; the file is smaller.
    for name, _ in pyogrio.list_layers(kept):
        if name != "zone_allocations":
            assert pyogrio.read_dataframe(path, layer=name).equals(
                pyogrio.read_dataframe(kept, layer=name)
            ), name
    meta = "SELECT * FROM gpkg_data_columns ORDER BY table_name, column_name"
    assert _sql(path, meta) == _sql(kept, meta)
    assert path.stat().st_size < kept.stat().st_size


def test_different_polygons_keep_the_table(written, tmp_path):
    layers, result, _ = written
    inputs = {k: prepare_layer(k, v) for k, v in layers.items()}
    zones = build_result_layers(inputs, result)["zone_allocations"]
    moved = gpd.GeoDataFrame(zones.copy(), crs=zones.crs)
    moved.geometry = [g if g is None else translate(g, 1.0, 0.0) for g in zones.geometry]
    path = tmp_path / "differ.gpkg"
    pyogrio.write_dataframe(inputs["peripheral_zones"], path, layer="peripheral_zones")
    pyogrio.write_dataframe(moved, path, layer="zone_allocations", promote_to_multi=True)
    before = path.read_bytes()
    assert not share_zone_geometry(path)
    assert path.read_bytes() == before
    # A GeoPackage without the zones layer is left alone too.
    pyogrio.write_dataframe(moved, tmp_path / "only.gpkg", layer="zone_allocations")
    assert not share_zone_geometry(tmp_path / "only.gpkg")
