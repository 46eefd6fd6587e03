"""One geometry type per layer in every GIS format, whatever a run's rows hold.

A run whose flows are all single LineStrings and one with a flow across the antimeridian
(a MultiLineString) must give files with the same schema: Multi types in the GeoPackage,
GeoJSON and GeoParquet alike, and in GeoParquet's ``geo`` metadata even with no rows.
"""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import pyarrow.parquet as pq
import pyogrio
import pytest

from redeploy.export import write_results
from tests.conftest import load_data_module

fixtures = load_data_module("export/fixtures.py", "export_fixtures")


def _only(result, rows):
    """The fixture result restricted to the flows at `rows` (routes joined on their keys)."""
    flows = result.flows.iloc[rows].reset_index(drop=True)
    keys = ["front_id", "zone_id", "asset"]
    routes = result.routes.merge(flows[keys], on=keys)
    return dataclasses.replace(result, flows=flows, routes=routes)


@pytest.fixture
def runs():
    result = fixtures.make_result()
    kinds = result.routes.set_index(["front_id", "zone_id", "asset"]).geom_type
    flows = result.flows
    single = [
        i
        for i, r in enumerate(flows.itertuples())
        if kinds[(r.front_id, r.zone_id, r.asset)] == "LineString"
    ]
    assert single and len(single) < len(flows)  # the fixture mixes both kinds
    return {
        "mixed": result,
        "lines": _only(result, single),
        "empty": fixtures.make_result(empty=True),
    }


def _parquet_types(path):
    geo = json.loads(pq.read_schema(path).metadata[b"geo"])
    declared = geo["columns"]["geometry"]["geometry_types"]
    rows = sorted(set(gpd.read_parquet(path).geom_type.dropna()))
    return declared, rows


def test_flows_are_multilinestrings_in_every_format(tmp_path, runs):
    layers = fixtures.make_layers()
    for name, result in runs.items():
        write_results(layers, result, tmp_path / name, formats="gpkg,geojson,parquet")
        folder = tmp_path / name
        declared, rows = _parquet_types(folder / "test_scenario-parquet" / "flows.parquet")
        assert declared == ["MultiLineString"], name
        assert rows in ([], ["MultiLineString"]), (name, rows)
        doc = json.loads((folder / "test_scenario-geojson" / "flows.geojson").read_text())
        assert {f["geometry"]["type"] for f in doc["features"]} <= {"MultiLineString"}, name
        info = pyogrio.read_info(folder / "test_scenario.gpkg", layer="flows")
        assert info["geometry_type"] == "MultiLineString", name


def test_every_layer_keeps_its_type_across_runs(tmp_path, runs):
    layers = fixtures.make_layers()
    seen: dict[str, set[str]] = {}
    for name, result in runs.items():
        write_results(layers, result, tmp_path / name, formats="parquet")
        for path in sorted((tmp_path / name / "test_scenario-parquet").glob("*.parquet")):
            meta = pq.read_schema(path).metadata or {}
            if b"geo" not in meta:  # ledger, allies: plain tables
                continue
            declared, rows = _parquet_types(path)
            assert len(declared) == 1, (name, path.name, declared)
            assert set(rows) <= set(declared), (name, path.name, rows)
            seen.setdefault(path.stem, set()).update(declared)
    assert {k: len(v) for k, v in seen.items()} == dict.fromkeys(seen, 1), seen
    assert seen["zone_allocations"] == {"MultiPolygon"}
    assert seen["front_release"] == {"Point"}
