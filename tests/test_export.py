"""Tests of redeploy.export: GeoPackage, GeoJSON and GeoParquet writers and QGIS styles."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import MultiLineString

from redeploy import export
from redeploy import palette as map_style
from redeploy.errors import OutputError, RedeployError
from redeploy.export import (
    FIXED_TIMESTAMP,
    RESULT_COLUMNS,
    RESULT_LAYERS,
    ExportFormatError,
    build_result_layers,
    write_layers,
    write_results,
)
from redeploy.export.qgis_styles import (
    allocation_ranges,
    flow_width_expression,
    marker_size_expression,
    qgis_color,
    style_for_layer,
)
from redeploy.export.results import HOME_NAME
from redeploy.model.result import ALLY_COLUMNS, HOME_ID, HOME_LONLAT, HOME_REGION, LEDGER_COLUMNS
from redeploy.schemas import ASSETS, MILITARY_ASSETS, RISK_CHANNELS, SCHEMAS, LayerKind
from tests.conftest import load_data_module

fixtures = load_data_module("export/fixtures.py", "export_fixtures")

INPUT_KINDS = [k.value for k in LayerKind]


@pytest.fixture
def layers() -> dict[str, gpd.GeoDataFrame]:
    return fixtures.make_layers()


@pytest.fixture
def result():
    return fixtures.make_result()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sql(path: Path, query: str, params: tuple = ()) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute(query, params).fetchall()
    finally:
        con.close()


def _column_types(path: Path, table: str) -> dict[str, str]:
    return {row[1]: row[2] for row in _sql(path, f'PRAGMA table_info("{table}")')}


# --------------------------------------------------------------------------- formats


def test_unknown_format_lists_supported(layers, tmp_path):
    with pytest.raises(ExportFormatError, match="gpkg, geojson, parquet") as info:
        write_layers(layers, tmp_path / "x.shp", fmt="shapefile")
    assert isinstance(info.value, RedeployError)
    assert isinstance(info.value, ValueError)


def test_format_from_extension(layers, tmp_path):
    written = write_layers(layers, tmp_path / "all.gpkg")
    assert written == [tmp_path / "all.gpkg"]
    with pytest.raises(ExportFormatError, match=r"\.gpkg"):
        write_layers(layers, tmp_path / "all.kml")


def test_gpkg_path_must_end_in_gpkg(layers, tmp_path):
    with pytest.raises(ExportFormatError, match=r"must end in \.gpkg"):
        write_layers(layers, tmp_path / "layers.sqlite", fmt="gpkg")


def test_result_formats_parse_and_refuse_unknown(layers, result, tmp_path):
    assert export.parse_formats("gpkg, geojson,gpkg") == ("gpkg", "geojson")
    with pytest.raises(ExportFormatError, match="supported formats: gpkg, geojson, parquet, csv"):
        write_results(layers, result, tmp_path, formats="gpkg,kml")
    assert not list(tmp_path.iterdir())  # refused before anything was written


# --------------------------------------------------------------------------- GeoPackage


def test_gpkg_holds_every_layer_typed_sorted_in_4326(layers, tmp_path):
    path = tmp_path / "layers.gpkg"
    write_layers(layers, path, fmt="gpkg")
    listed = dict(pyogrio.list_layers(path))
    assert set(INPUT_KINDS) <= set(listed)
    assert listed["fronts"] == "Point"
    assert listed["peripheral_zones"] == "MultiPolygon"
    assert _sql(path, "PRAGMA application_id") == [(0x47504B47,)]  # 'GPKG'
    assert _sql(path, "PRAGMA user_version") == [(10300,)]  # GeoPackage 1.3
    assert {srs for (srs,) in _sql(path, "SELECT DISTINCT srs_id FROM gpkg_geometry_columns")} == {
        4326
    }
    for kind in INPUT_KINDS:
        schema = SCHEMAS[LayerKind(kind)]
        types = _column_types(path, kind)
        info = pyogrio.read_info(path, layer=kind)
        subtypes = dict(zip(info["fields"], info["ogr_subtypes"], strict=True))
        for col, spec in schema.columns.items():
            expected = {"int": "INTEGER", "float": "REAL", "bool": "BOOLEAN"}.get(
                spec.dtype, "TEXT"
            )
            assert types[col] == expected, (kind, col)
            # GDAL reads BOOLEAN as Integer of subtype Boolean, and only BOOLEAN so
            assert (subtypes[col] == "OFSTBoolean") == (spec.dtype == "bool"), (kind, col)
        back = pyogrio.read_dataframe(path, layer=kind)
        assert list(back["id"]) == sorted(layers[kind]["id"])
        assert back.crs.to_epsg() == 4326


def test_gpkg_values_round_trip(layers, tmp_path):
    path = tmp_path / "layers.gpkg"
    write_layers(layers, path, fmt="gpkg")
    for kind, frame in layers.items():
        back = gpd.read_file(path, layer=kind)
        expected = frame.sort_values("id").reset_index(drop=True)
        back = back[expected.columns]
        for col in expected.columns:
            if expected[col].dtype == "Int64":  # nullable ints come back as float with NaN
                back[col] = back[col].astype("Int64")
            elif expected[col].dtype == object:
                back[col] = back[col].astype(object).where(back[col].notna(), None)
        assert_geodataframe_equal(
            back, expected, check_dtype=False, check_geom_type=False, normalize=True
        )


def test_gpkg_field_descriptions_and_units(layers, tmp_path):
    path = tmp_path / "layers.gpkg"
    write_layers(layers, path, fmt="gpkg")
    rows = {
        (t, c): (name, title, desc, cons)
        for t, c, name, title, desc, _m, cons in _sql(path, "SELECT * FROM gpkg_data_columns")
    }
    _name, title, desc, _cons = rows[("fronts", "us_naval")]
    assert "kpe" in title
    assert "Baseline U.S. capacity" in desc
    assert "thousand U.S. service-member equivalents" in desc
    assert rows[("fronts", "subst_naval")][3] == "range_0_1"
    assert rows[("fronts", "confidence")][3] == "enum_sourced_estimate"
    # every schema column of every layer is described
    for kind in INPUT_KINDS:
        for col in SCHEMAS[LayerKind(kind)].columns:
            assert (kind, col) in rows
    ext = _sql(
        path,
        "SELECT table_name, column_name, scope FROM gpkg_extensions "
        "WHERE extension_name = 'gpkg_schema' ORDER BY table_name",
    )
    assert ext == [
        ("gpkg_data_column_constraints", None, "read-write"),
        ("gpkg_data_columns", None, "read-write"),
    ]
    enum_values = {
        v
        for (v,) in _sql(
            path,
            "SELECT value FROM gpkg_data_column_constraints "
            "WHERE constraint_name = 'enum_sourced_estimate'",
        )
    }
    assert enum_values == {"sourced", "estimate"}
    contents = dict(_sql(path, "SELECT table_name, description FROM gpkg_contents"))
    assert contents["fronts"] == SCHEMAS[LayerKind.FRONTS].description


def test_gpkg_layer_styles_table_follows_qgis_schema(layers, tmp_path):
    path = tmp_path / "layers.gpkg"
    write_layers(layers, path, fmt="gpkg")
    types = _column_types(path, "layer_styles")
    assert types == {
        "id": "INTEGER",
        "f_table_catalog": "TEXT",
        "f_table_schema": "TEXT",
        "f_table_name": "TEXT",
        "f_geometry_column": "TEXT",
        "styleName": "TEXT",
        "styleQML": "TEXT",
        "styleSLD": "TEXT",
        "useAsDefault": "BOOLEAN",
        "description": "TEXT",
        "owner": "TEXT",
        "ui": "TEXT",
        "update_time": "DATETIME",
    }
    pk = [row[1] for row in _sql(path, "PRAGMA table_info(layer_styles)") if row[5]]
    assert pk == ["id"]
    assert _sql(path, "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'") == [
        ("attributes",)
    ]
    geom_cols = dict(_sql(path, "SELECT table_name, column_name FROM gpkg_geometry_columns"))
    styles = _sql(
        path,
        "SELECT f_table_catalog, f_table_schema, f_table_name, "
        "f_geometry_column, useAsDefault, update_time, styleQML, styleSLD "
        "FROM layer_styles ORDER BY id",
    )
    assert [s[2] for s in styles] == INPUT_KINDS
    for catalog, schema, table, geom, default, when, qml, sld in styles:
        assert (catalog, schema, default) == ("", "", 1)
        assert geom == geom_cols[table]
        assert when.startswith("2024-01-01T00:00:00")
        root = ET.fromstring(qml.split("\n", 1)[1])  # drop the DOCTYPE line
        assert root.tag == "qgis"
        assert root.find("renderer-v2") is not None
        ET.fromstring(sld.split("\n", 1)[1])
    renderers = {
        s[2]: ET.fromstring(s[6].split("\n", 1)[1]).find("renderer-v2").get("type") for s in styles
    }
    assert renderers == dict.fromkeys(INPUT_KINDS, "singleSymbol")


def test_gpkg_timestamps_fixed_and_byte_reproducible(layers, tmp_path):
    a, b = tmp_path / "a" / "layers.gpkg", tmp_path / "b" / "other.gpkg"
    write_layers(layers, a, fmt="gpkg")
    write_layers(layers, b, fmt="gpkg")
    assert {ts for (ts,) in _sql(a, "SELECT last_change FROM gpkg_contents")} == {FIXED_TIMESTAMP}
    assert _sha(a) == _sha(b)


def test_source_date_epoch_sets_timestamps(layers, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    path = tmp_path / "layers.gpkg"
    write_layers(layers, path, fmt="gpkg")
    assert {ts for (ts,) in _sql(path, "SELECT last_change FROM gpkg_contents")} == {
        "2023-11-14T22:13:20.000Z"
    }


def test_failed_write_leaves_earlier_output_intact(layers, tmp_path, monkeypatch):
    path = tmp_path / "layers.gpkg"
    write_layers(layers, path, fmt="gpkg")
    before = _sha(path)
    real = pyogrio.write_dataframe
    calls = []

    def flaky(df, target, **kwargs):
        calls.append(kwargs.get("layer"))
        if len(calls) == 3:
            raise pyogrio.errors.DataSourceError("disk full (simulated)")
        return real(df, target, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", flaky)
    with pytest.raises(OutputError, match="disk full") as info:
        write_layers(layers, path, fmt="gpkg")
    assert str(path) in str(info.value)
    assert _sha(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layers.gpkg"]  # no temp left


def test_input_frames_not_mutated(layers, result, tmp_path):
    copies = {k: v.copy() for k, v in layers.items()}
    write_results(layers, result, tmp_path, formats="gpkg")
    for kind, frame in layers.items():
        assert_geodataframe_equal(frame, copies[kind])


def test_list_columns_joined_and_crs_normalised(layers, tmp_path):
    fronts = layers["fronts"].copy()
    fronts["host_iso3"] = fronts["id"].map({"baltic": ["EST", "LVA"], "korea": ("KOR",)})
    fronts = fronts.to_crs(3857)
    path = tmp_path / "f.gpkg"
    write_layers({"fronts": fronts}, path, fmt="gpkg")
    back = pyogrio.read_dataframe(path, layer="fronts")
    assert back.crs.to_epsg() == 4326
    assert list(back["host_iso3"]) == ["EST;LVA", "KOR"]  # sorted by id: baltic, korea
    assert back.geometry.iloc[0].x == pytest.approx(24.1)


# --------------------------------------------------------------------------- GeoJSON / Parquet


def test_geojson_rfc7946_round_trip(layers, tmp_path):
    folder = tmp_path / "gj"
    written = write_layers(layers, folder, fmt="geojson")
    assert sorted(p.name for p in written) == sorted(f"{k}.geojson" for k in INPUT_KINDS)
    for kind, frame in layers.items():
        path = folder / f"{kind}.geojson"
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert "crs" not in doc  # RFC 7946: WGS 84 implied
        back = gpd.read_file(path)
        expected = frame.sort_values("id").reset_index(drop=True)
        assert list(back.columns) == list(expected.columns)
        for col in expected.columns:
            if expected[col].dtype == "Int64":
                back[col] = back[col].astype("Int64")
            elif expected[col].dtype == object:
                back[col] = back[col].astype(object).where(back[col].notna(), None)
        assert_geodataframe_equal(
            back, expected, check_dtype=False, check_geom_type=False, normalize=True
        )
    fiji = json.loads((folder / "basemap.geojson").read_text())["features"]
    fiji = next(f for f in fiji if f["properties"]["id"] == "fji")["geometry"]
    assert fiji["type"] == "MultiPolygon"
    lons = [pt[0] for poly in fiji["coordinates"] for ring in poly for pt in ring]
    assert min(lons) == -180 and max(lons) == 180


def test_geojson_coordinates_have_at_most_6_decimals(layers, tmp_path):
    fronts = layers["fronts"].copy()
    fronts.geometry = fronts.geometry.translate(0.123456789, 0.987654321)
    write_layers({"fronts": fronts}, tmp_path, fmt="geojson")
    doc = json.loads((tmp_path / "fronts.geojson").read_text())
    for feat in doc["features"]:
        for c in feat["geometry"]["coordinates"]:
            assert len(repr(c).split(".")[1]) <= 6


def test_geojson_splits_lines_crossing_the_antimeridian(layers, result, tmp_path):
    routes = result.routes.copy()
    crossing = MultiLineString([[(170.0, -10.0), (190.0, -12.0)]])  # unsplit, lon > 180
    routes.loc[routes["zone_id"] == "fji", "geometry"] = crossing
    res = fixtures.AllocationResult(**{**result.__dict__, "routes": routes})
    write_results(layers, res, tmp_path, formats="geojson")
    doc = json.loads((tmp_path / "test_scenario-geojson" / "flows.geojson").read_text())
    geom = next(f for f in doc["features"] if f["properties"]["zone_id"] == "fji")["geometry"]
    assert geom["type"] == "MultiLineString"
    assert len(geom["coordinates"]) == 2
    assert all(-180 <= pt[0] <= 180 for part in geom["coordinates"] for pt in part)


def test_parquet_round_trip_and_field_metadata(layers, tmp_path):
    folder = tmp_path / "pq"
    write_layers(layers, folder, fmt="parquet")
    for kind, frame in layers.items():
        path = folder / f"{kind}.parquet"
        back = gpd.read_parquet(path)
        expected = frame.sort_values("id").reset_index(drop=True)
        for col in expected.columns:
            if expected[col].dtype == object:
                back[col] = back[col].astype(object).where(back[col].notna(), None)
        assert_geodataframe_equal(back, expected, check_dtype=False)
        table = pq.read_table(path)
        assert b"geo" in table.schema.metadata
        assert table.num_rows == len(frame)
    schema = pq.read_schema(folder / "fronts.parquet")
    meta = schema.field("us_naval").metadata
    assert meta[b"unit"] == b"kpe"
    assert b"Baseline U.S. capacity" in meta[b"description"]
    assert schema.field("us_personnel").type == "int64"


def test_folder_formats_refuse_a_file_path(layers, tmp_path):
    target = tmp_path / "exists.txt"
    target.write_text("x")
    with pytest.raises(OutputError, match="pass a folder path"):
        write_layers(layers, target, fmt="geojson")


# --------------------------------------------------------------------------- results


def test_result_layers_reshape_without_computing(layers, result):
    out = build_result_layers(layers, result)
    flows = out["flows"]
    assert list(flows.columns) == [*RESULT_COLUMNS["flows"], "geometry"]
    assert list(flows["id"]) == [
        "baltic__cod__engagement",
        "korea__fji__naval",
        "korea__idn__air",
        "korea__us-home__ground",
        "us-home__cod__ground",
    ]
    # joined on keys, not position (the fixture's routes are in reverse order)
    fji = flows.set_index("id").loc["korea__fji__naval"]
    assert fji.geometry.geom_type == "MultiLineString"
    assert fji["mode"] == "sea"
    assert fji["unit"] == "kpe"
    assert flows.set_index("id").loc["baltic__cod__engagement", "unit"] == "$bn/yr"
    zones = out["zone_allocations"].set_index("id")
    assert list(zones.index) == ["cod", "fji", "idn", HOME_ID]
    assert zones.loc["fji", "added_naval"] == 2.0
    assert zones.loc["cod", "added_engagement"] == 1.25
    assert zones.loc["cod", "added_ground"] == 0.4  # from home
    assert zones.loc["cod", "existing_ground"] == 0.25
    assert zones.loc["cod", "existing_military"] == 0.25
    assert zones.loc["cod", "added_military"] == 0.4
    assert zones.loc["cod", "added_total"] == pytest.approx(1.65)
    assert zones.loc["fji", "capacity_naval"] == 3.0
    assert zones.loc["fji", "capacity_engagement"] == 0.0
    assert zones.loc["fji", "value"] == 20.0
    assert pd.isna(zones.loc["fji", "mv_isr"])
    assert [c for c in zones.columns if c.startswith("added_")] == [
        *(f"added_{a}" for a in ASSETS),
        "added_military",
        "added_total",
        "added_bn",
    ]
    # dollars: the zones table's added_bn summed (ground from home 0.4 kpe at 0.3, and
    # engagement 1.25 $bn/yr), never kpe plus $bn
    assert zones.loc["cod", "added_bn"] == pytest.approx(0.4 * 0.3 + 1.25)
    assert zones.loc["fji", "added_bn"] == pytest.approx(2.0 * 0.3)
    # the binding Africa floor holds cod up, and nothing else
    assert zones["floor_held"].to_dict() == {
        "cod": True,
        "fji": False,
        "idn": False,
        HOME_ID: False,
    }
    for prefix in ("existing", "capacity"):
        assert [c for c in zones.columns if c.startswith(f"{prefix}_")] == [
            *(f"{prefix}_{a}" for a in ASSETS),
            *(["existing_military"] if prefix == "existing" else []),
        ]
    fronts = out["front_release"].set_index("id")
    assert fronts.loc["korea", "released_naval"] == 2.0
    assert fronts.loc["korea", "freed_air"] == 3.0
    assert fronts.loc["korea", "to_home_ground"] == 0.5
    assert fronts.loc["korea", "converted_air"] == 0.25
    assert fronts.loc["korea", "retained_air"] == 2.0
    assert "to_home_engagement" not in fronts.columns  # military classes only
    assert fronts.loc["korea", "risk_trade"] == pytest.approx(0.08 * 3.25)
    assert fronts.loc["korea", "risk"] == pytest.approx(0.36 * 3.25)
    ledger = out["ledger"]
    assert not isinstance(ledger, gpd.GeoDataFrame)
    assert list(ledger["front_id"]) == ["baltic", "korea"]
    assert list(ledger.columns) == list(LEDGER_COLUMNS)
    allies = out["allies"]
    assert not isinstance(allies, gpd.GeoDataFrame)
    assert list(allies.columns) == list(ALLY_COLUMNS)
    assert list(allies["asset"])[:4] == list(MILITARY_ASSETS)  # canonical order per front
    assert list(allies["front_id"]) == ["baltic"] * 4 + ["korea"] * 4
    for name in RESULT_LAYERS:
        documented = set(RESULT_COLUMNS[name])
        assert set(out[name].columns) - {"geometry"} <= documented, name


def test_home_pool_rows_are_kept_in_every_result_layer(layers, result):
    """us-home has no feature in any input layer; its rows still reach the GIS layers."""
    out = build_result_layers(layers, result)
    flows = out["flows"].set_index("id")
    assert flows.loc["korea__us-home__ground", "leg"] == "front_to_home"
    assert flows.loc["us-home__cod__ground", "leg"] == "home_to_zone"
    assert flows.loc["korea__fji__naval", "leg"] == "front_to_zone"
    assert flows.geometry.notna().all()
    # what returns home: a zone row without geometry (the home pool has no polygon)
    zones = out["zone_allocations"].set_index("id")
    home = zones.loc[HOME_ID]
    assert home["name"] == HOME_NAME and home["region"] == HOME_REGION
    assert home["added_ground"] == 0.5 and home["added_military"] == 0.5
    assert home.geometry is None
    assert zones.drop(index=HOME_ID).geometry.notna().all()
    # what home sends abroad: a point in the United States
    fronts = out["front_release"].set_index("id")
    home = fronts.loc[HOME_ID]
    assert home["name"] == HOME_NAME and home["theater"] == HOME_REGION
    assert home["released_ground"] == 0.4 and home["freed_ground"] == 0.0
    assert (home.geometry.x, home.geometry.y) == HOME_LONLAT
    # every (front, asset) and (zone, asset) of the result is in a wide column
    for table, key, layer in (("fronts", "front_id", fronts), ("zones", "zone_id", zones)):
        frame = getattr(result, table)
        column = "released" if table == "fronts" else "added"
        for row in frame.itertuples():
            got = layer.loc[getattr(row, key), f"{column}_{row.asset}"]
            assert got == pytest.approx(getattr(row, column)), (table, row)


def test_home_pool_in_the_geopackage(layers, result, tmp_path):
    write_results(layers, result, tmp_path, formats="gpkg")
    path = tmp_path / "test_scenario.gpkg"
    flows = pyogrio.read_dataframe(path, layer="flows")
    assert set(flows.loc[flows["zone_id"] == HOME_ID, "leg"]) == {"front_to_home"}
    assert set(flows.loc[flows["front_id"] == HOME_ID, "leg"]) == {"home_to_zone"}
    zones = pyogrio.read_dataframe(path, layer="zone_allocations").set_index("id")
    assert zones.loc[HOME_ID, "added_ground"] == 0.5
    assert zones.loc[HOME_ID, "geometry"] is None
    fronts = pyogrio.read_dataframe(path, layer="front_release").set_index("id")
    point = fronts.loc[HOME_ID, "geometry"]
    assert (point.x, point.y) == HOME_LONLAT
    assert fronts.loc[HOME_ID, "released_ground"] == 0.4
    # the leg's allowed values are a GeoPackage constraint GDAL reads as a field domain
    constraint = _sql(
        path,
        "SELECT constraint_name FROM gpkg_data_columns "
        "WHERE table_name = 'flows' AND column_name = 'leg'",
    )
    values = _sql(
        path,
        "SELECT value FROM gpkg_data_column_constraints WHERE constraint_name = ?",
        (constraint[0][0],),
    )
    assert {v for (v,) in values} == {"front_to_zone", "front_to_home", "home_to_zone"}


def test_risk_channels_in_the_geopackage_sum_to_risk(layers, result, tmp_path):
    write_results(layers, result, tmp_path, formats="gpkg")
    path = tmp_path / "test_scenario.gpkg"
    types = _column_types(path, "front_release")
    channels = [f"risk_{c}" for c in RISK_CHANNELS]
    assert all(types[c] == "REAL" for c in [*channels, "risk"])
    back = pyogrio.read_dataframe(path, layer="front_release").set_index("id")
    assert back["risk"].to_numpy() == pytest.approx(back[channels].sum(axis=1).to_numpy())
    # each channel is the model's, summed over asset classes (no recomputation)
    fronts = result.fronts.groupby("front_id")[[*channels, "risk"]].sum()
    for fid, row in fronts.iterrows():
        for col in [*channels, "risk"]:
            assert back.loc[fid, col] == pytest.approx(row[col]), (fid, col)
    assert back.loc["korea", "risk_trade"] > back.loc["korea", "risk_credibility"] > 0
    docs = dict(
        _sql(
            path,
            "SELECT column_name, description FROM gpkg_data_columns "
            "WHERE table_name = 'front_release'",
        )
    )
    assert all("Unit: $bn-eq/yr" in docs[c] for c in [*channels, "risk"])


def test_allies_table_in_the_geopackage_and_csv(layers, result, tmp_path):
    write_results(layers, result, tmp_path, formats="gpkg,csv")
    path = tmp_path / "test_scenario.gpkg"
    kind = _sql(path, "SELECT data_type, identifier FROM gpkg_contents WHERE table_name = 'allies'")
    assert kind == [("attributes", "Allies per class")]
    types = _column_types(path, "allies")
    assert [c for c in types if c != "fid"] == list(ALLY_COLUMNS)
    assert types["dependence"] == "REAL" and types["asset"] == "TEXT"
    back = pyogrio.read_dataframe(path, layer="allies", read_geometry=False)
    expected = result.allies.sort_values(["front_id"], kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(back[list(ALLY_COLUMNS)], expected, check_dtype=False)
    described = {
        c
        for (c,) in _sql(
            path, "SELECT column_name FROM gpkg_data_columns WHERE table_name = 'allies'"
        )
    }
    assert described == set(ALLY_COLUMNS)
    csv = pd.read_csv(tmp_path / "test_scenario-allies.csv")
    assert list(csv.columns) == list(ALLY_COLUMNS)
    assert len(csv) == len(result.allies)
    ledger = _column_types(path, "ledger")
    for col in LEDGER_COLUMNS:
        assert col in ledger, col


def test_zone_allocations_carry_access_basis(layers, result, tmp_path):
    write_results(layers, result, tmp_path, formats="gpkg")
    path = tmp_path / "test_scenario.gpkg"
    back = pyogrio.read_dataframe(path, layer="zone_allocations").set_index("id")
    source = layers["peripheral_zones"].set_index("id")
    for zid in ("cod", "idn"):
        assert back.loc[zid, "access_basis"] == source.loc[zid, "access_basis"]
    assert pd.isna(back.loc["fji", "access_basis"])  # empty in the layer, empty here
    info = pyogrio.read_info(path, layer="zone_allocations")
    subtype = dict(zip(info["fields"], info["ogr_subtypes"], strict=True))
    assert subtype["port_calls"] == "OFSTBoolean"


def test_booleans_round_trip_through_every_format(layers, tmp_path):
    """Nullable booleans: BOOLEAN in a GeoPackage, true/false in GeoJSON, bool in Parquet."""
    bools = {
        (kind, col)
        for kind in INPUT_KINDS
        for col, spec in SCHEMAS[LayerKind(kind)].columns.items()
        if spec.dtype == "bool"
    }
    assert {("fronts", "nuclear_sharing"), ("posture", "counts")} <= bools
    write_layers(layers, tmp_path / "l.gpkg")
    write_layers(layers, tmp_path / "gj", fmt="geojson")
    write_layers(layers, tmp_path / "pq", fmt="parquet")
    for kind, col in sorted(bools):
        expected = layers[kind].sort_values("id")[col].astype("boolean").reset_index(drop=True)
        assert expected.notna().any(), (kind, col)
        gpkg = pyogrio.read_dataframe(tmp_path / "l.gpkg", layer=kind, use_arrow=True)
        geojson = pyogrio.read_dataframe(tmp_path / "gj" / f"{kind}.geojson", use_arrow=True)
        parquet = gpd.read_parquet(tmp_path / "pq" / f"{kind}.parquet")
        for fmt, back in (("gpkg", gpkg), ("geojson", geojson), ("parquet", parquet)):
            values = back[col]
            non_null = values.dropna()
            assert all(isinstance(v, bool | np.bool_) for v in non_null), (fmt, kind, col)
            pd.testing.assert_series_equal(
                values.astype("boolean"), expected, check_names=False, obj=f"{fmt} {kind}.{col}"
            )
    schema = pq.read_schema(tmp_path / "pq" / "fronts.parquet")
    assert str(schema.field("nuclear_sharing").type) == "bool"
    doc = json.loads((tmp_path / "gj" / "posture.geojson").read_text())
    assert {type(f["properties"]["counts"]) for f in doc["features"]} == {bool}


def test_result_layers_need_fronts_and_zones(layers, result):
    del layers["fronts"]
    with pytest.raises(OutputError, match="fronts"):
        build_result_layers(layers, result)


def test_write_results_gpkg_holds_inputs_and_results(layers, result, tmp_path):
    written = write_results(layers, result, tmp_path, formats=("gpkg",))
    path = tmp_path / "test_scenario.gpkg"
    assert written == [path]
    contents = dict(_sql(path, "SELECT table_name, data_type FROM gpkg_contents"))
    assert contents == {
        **dict.fromkeys(INPUT_KINDS, "features"),
        "flows": "features",
        "zone_allocations": "features",
        "front_release": "features",
        "ledger": "attributes",
        "allies": "attributes",
        "layer_styles": "attributes",
    }
    geom_types = dict(
        _sql(path, "SELECT table_name, geometry_type_name FROM gpkg_geometry_columns")
    )
    assert geom_types["flows"] == "MULTILINESTRING"
    assert geom_types["zone_allocations"] == "MULTIPOLYGON"
    assert geom_types["front_release"] == "POINT"
    types = _column_types(path, "flows")
    assert types["amount"] == "REAL" and types["asset"] == "TEXT"
    assert _column_types(path, "ledger")["double_burden_share"] == "REAL"
    desc = dict(_sql(path, "SELECT table_name, description FROM gpkg_contents"))
    assert "run 0123456789abcdef" in desc["flows"]
    docs = {
        (t, c): d
        for t, c, d in _sql(
            path, "SELECT table_name, column_name, description FROM gpkg_data_columns"
        )
    }
    assert "Unit: km" in docs[("flows", "distance_km")]
    assert "Unit: kpe" in docs[("zone_allocations", "added_military")]
    assert ("ledger", "price_per_retained_kpe_bn") in docs
    assert ("ledger", "converted_to_engagement_bn") in docs
    assert ("allies", "dependence") in docs
    styles = dict(_sql(path, "SELECT f_table_name, styleQML FROM layer_styles"))
    assert "ledger" not in styles and "allies" not in styles
    renderer = {
        k: ET.fromstring(v.split("\n", 1)[1]).find("renderer-v2").get("type")
        for k, v in styles.items()
    }
    assert renderer["flows"] == "categorizedSymbol"
    assert renderer["zone_allocations"] == "graduatedSymbol"
    assert renderer["front_release"] == "singleSymbol"


def test_write_results_reproducible(layers, result, tmp_path):
    write_results(layers, result, tmp_path / "a", formats="gpkg,geojson,parquet")
    write_results(layers, result, tmp_path / "b", formats="gpkg,geojson,parquet")
    for a in sorted((tmp_path / "a").rglob("*")):
        if a.is_file():
            b = tmp_path / "b" / a.relative_to(tmp_path / "a")
            assert _sha(a) == _sha(b), a.name


def test_write_results_every_format(layers, result, tmp_path):
    written = write_results(layers, result, tmp_path, name="run1", formats="gpkg,geojson,parquet")
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    assert "run1.gpkg" in names
    for layer in (*INPUT_KINDS, *RESULT_LAYERS):
        assert f"run1-geojson/{layer}.geojson" in names
        assert f"run1-parquet/{layer}.parquet" in names
    ledger = pd.read_parquet(tmp_path / "run1-parquet" / "ledger.parquet")
    assert list(ledger["front_id"]) == ["baltic", "korea"]
    flows = gpd.read_parquet(tmp_path / "run1-parquet" / "flows.parquet")
    assert flows.crs.to_epsg() == 4326
    assert len(flows) == len(fixtures.FLOWS)
    ledger_gj = json.loads((tmp_path / "run1-geojson" / "ledger.geojson").read_text())
    assert all(f["geometry"] is None for f in ledger_gj["features"])


def test_write_results_with_no_flows(layers, tmp_path):
    empty = fixtures.make_result(empty=True)
    write_results(layers, empty, tmp_path, formats="gpkg,geojson,parquet")
    path = tmp_path / "test_scenario.gpkg"
    assert _sql(path, "SELECT count(*) FROM flows") == [(0,)]
    assert _sql(
        path, "SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name = 'flows'"
    ) == [("MULTILINESTRING",)]
    zones = pyogrio.read_dataframe(path, layer="zone_allocations")
    assert (zones["added_total"] == 0).all()


# --------------------------------------------------------------------------- styles


def test_qgis_color():
    assert qgis_color("#1f4e9c") == "31,78,156,255"
    assert qgis_color("#000000", 128) == "0,0,0,128"
    with pytest.raises(ValueError, match="rrggbb"):
        qgis_color("blue")


def test_allocation_classes_mirror_the_map():
    values = [0.0, 0.3, 3.2, 12.0]
    ranges = allocation_ranges(values)
    edges = map_style.allocation_bins(values)
    assert ranges[0] == (0.0, 0.0, "none", map_style.ZONE_EMPTY_COLOR)
    assert [r[1] for r in ranges[1:]] == edges
    for v in values[1:]:
        cls = next(r for r in ranges if r[0] < v <= r[1])
        assert cls[3] == map_style.allocation_color(v, edges)
    assert allocation_ranges([0.0, 0.0]) == [(0.0, 0.0, "none", map_style.ZONE_EMPTY_COLOR)]


def test_size_expressions_name_their_inputs():
    expr = marker_size_expression('"importance"', 0.5, (4.0, 14.0))
    assert expr == '2 * (4 + 10 * sqrt(max(0, min(1, coalesce("importance", 0) / 0.5))))'
    assert marker_size_expression('"x"', 0.0, (4.0, 14.0)) == "8"
    width = flow_width_expression({"kpe": 2.0, "$bn/yr": 0.0})
    assert "'kpe'" in width and "$bn/yr" not in width
    assert flow_width_expression({}) == "1.5"


def test_no_style_for_tables_and_mixed_geometries(layers, result):
    ledger = build_result_layers(layers, result)["ledger"]
    assert style_for_layer("ledger", ledger) is None
    mixed = pd.concat([layers["mineral_zones"], layers["peripheral_zones"].iloc[:1]])
    assert style_for_layer("mineral_zones", gpd.GeoDataFrame(mixed)) is None


def test_styles_are_deterministic(layers):
    a = style_for_layer("fronts", layers["fronts"])
    b = style_for_layer("fronts", layers["fronts"].copy())
    assert a == b


def test_docs_list_every_result_column():
    docs = (Path(__file__).resolve().parent.parent / "docs" / "gis.md").read_text()
    begin = docs.index("\n", docs.index("<!-- BEGIN result columns")) + 1
    end = docs.index("<!-- END result columns -->")
    assert docs[begin:end] == export.result_columns_markdown(), (
        "docs/gis.md is out of date: paste redeploy.export.result_columns_markdown() "
        "between its BEGIN/END result columns markers"
    )


def test_csv_format_writes_the_model_tables(layers, result, tmp_path):
    written = write_results(layers, result, tmp_path, formats="csv")
    names = {p.name for p in written}
    assert "test_scenario-flows.csv" in names
    assert all(p.exists() for p in written)
    assert not (tmp_path / "test_scenario.gpkg").exists()


# --------------------------------------------------------------------------- CLI


def test_cli_run_format_writes_gis_files(runner, tmp_path):
    from redeploy.cli import app

    out = tmp_path / "maps"
    done = runner.invoke(
        app, ["run", "--out", str(out), "--quiet", "--format", "gpkg,geojson,parquet"]
    )
    assert done.exit_code == 0, done.output
    assert (out / "baseline.gpkg").is_file()
    assert (out / "baseline-geojson" / "flows.geojson").is_file()
    assert (out / "baseline-parquet" / "zone_allocations.parquet").is_file()
    assert not list(out.glob("*.csv"))  # csv not asked for
    tables = dict(_sql(out / "baseline.gpkg", "SELECT table_name, data_type FROM gpkg_contents"))
    assert tables["ledger"] == "attributes"
    assert {"flows", "zone_allocations", "front_release", "basemap"} <= set(tables)


def test_cli_run_refuses_unknown_format(runner, tmp_path):
    from redeploy.cli import app

    done = runner.invoke(app, ["run", "--out", str(tmp_path), "--format", "gpkg,kml"])
    assert done.exit_code == 2
    assert "kml" in done.output and "gpkg, geojson, parquet, csv" in done.output
    assert not list(tmp_path.iterdir())


def test_column_titles_do_not_stop_inside_abbreviations():
    from redeploy.export.columns import RESULT_COLUMNS, column_title
    from redeploy.schemas import SCHEMAS, LayerKind

    fronts = SCHEMAS[LayerKind("fronts")].columns
    assert column_title("floor_naval", fronts["floor_naval"]) == (
        "U.S. capacity that cannot leave (nuclear, ISR, high-end) (naval) [kpe]"
    )
    titles = [column_title(n, spec) for sch in SCHEMAS.values() for n, spec in sch.columns.items()]
    titles += [
        column_title(n, spec) for cols in RESULT_COLUMNS.values() for n, spec in cols.items()
    ]
    assert not [t for t in titles if "U.S [" in t or t.endswith("U.S")]


def test_result_column_titles_are_distinct_per_layer():
    """A title that loses the asset class or channel would label several columns alike."""
    from redeploy.export.columns import column_title

    for layer, columns in RESULT_COLUMNS.items():
        titles = [column_title(name, spec) for name, spec in columns.items()]
        assert len(set(titles)) == len(titles), layer
    release = RESULT_COLUMNS["front_release"]
    assert "counter alignment" in column_title(
        "risk_counter_alignment", release["risk_counter_alignment"]
    )
    assert "(naval)" in column_title("released_naval", release["released_naval"])


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "parquet"])
def test_exported_layers_are_valid_redeploy_inputs(layers, tmp_path, fmt):
    """A layer redeploy exports reads back through redeploy's own validation, booleans
    included (GDAL gives 1.0/0.0/NaN for a GeoPackage BOOLEAN column with NULLs)."""
    from redeploy.layers import read_layer

    target = tmp_path / ("l.gpkg" if fmt == "gpkg" else fmt)
    write_layers(layers, target, fmt=fmt)
    for kind, frame in layers.items():
        path = target if fmt == "gpkg" else target / f"{kind}.{fmt}"
        back = read_layer(path, kind=kind).sort_values("id").reset_index(drop=True)
        expected = frame.sort_values("id").reset_index(drop=True)
        for col, spec in SCHEMAS[LayerKind(kind)].columns.items():
            got, want = back[col].astype(object), expected[col].astype(object)
            got, want = got.where(got.notna(), None), want.where(want.notna(), None)
            if spec.dtype == "bool":
                assert list(got) == list(want), (fmt, kind, col)
                assert {type(v) for v in got if v is not None} == {bool}, (fmt, kind, col)
            elif spec.dtype in ("int", "float"):
                assert list(got) == pytest.approx(list(want), nan_ok=True), (fmt, kind, col)
