"""Reading and validating layers: every rule has a broken fixture and a message test."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest

from redeploy.errors import LayerValidationError
from redeploy.layers import read_layer, read_layers, sourced_share, validate_layer
from redeploy.schemas import ASSETS, SCHEMAS, LayerKind, describe_markdown

# (file in tests/data/broken, kind, feature id or None, column or None, words in the message)
BROKEN = [
    ("missing_column.geojson", "chokepoints", None, "importance", "required column is missing"),
    ("nan_required.geojson", "chokepoints", "bab_el_mandeb", "importance", "required"),
    ("duplicate_id.geojson", "chokepoints", "malacca", "id", "duplicate id"),
    ("unknown_iso3.geojson", "chokepoints", "bab_el_mandeb", "littoral_iso3", "'XYZ'"),
    ("out_of_range.geojson", "chokepoints", "malacca", "importance", "from 0 to 1, got 1.5"),
    ("bad_enum.geojson", "peripheral_zones", "idn", "access", "'partial'"),
    ("self_intersecting.geojson", "peripheral_zones", "ago", "geometry", "Self-intersection"),
    ("wrong_geometry_type.geojson", "peripheral_zones", "bra", "geometry", "got Point"),
    ("projected_crs.geojson", "chokepoints", None, None, "projected CRS"),
    ("no_crs.gpkg", "chokepoints", None, None, "declares no CRS"),
    ("empty_layer.geojson", "chokepoints", None, None, "layer is empty"),
    ("empty_file.geojson", "chokepoints", None, None, "not a readable geodata file"),
    ("not_geodata.geojson", "chokepoints", None, None, "not a readable geodata file"),
    ("chokepoints_no_coords.csv", "chokepoints", None, None, "no coordinate columns"),
]


@pytest.mark.parametrize(("name", "kind", "fid", "column", "words"), BROKEN)
def test_broken_fixture_is_refused_with_a_precise_message(
    broken_dir, name, kind, fid, column, words
):
    path = broken_dir / name
    with pytest.raises(LayerValidationError) as info:
        read_layer(path, kind=kind)
    msg = str(info.value)
    assert str(path) in msg
    assert words in msg
    if fid is not None:
        assert f"feature id={fid!r}" in msg
        assert "(row " in msg
    if column is not None:
        assert f"column {column!r}" in msg


def test_every_problem_is_reported_together(layers_dir, tmp_path):
    gdf = gpd.read_file(layers_dir / "chokepoints.geojson")
    gdf.loc[0, "importance"] = -1
    gdf.loc[1, "littoral_iso3"] = "ZZZ"
    gdf.loc[2, "confidence"] = "guess"
    with pytest.raises(LayerValidationError) as info:
        validate_layer(gdf, "chokepoints", source=tmp_path / "x.geojson")
    assert len(info.value.problems) == 3
    assert {p.column for p in info.value.problems} == {"importance", "littoral_iso3", "confidence"}


def test_valid_fixtures_load_typed_in_wgs84(layers_dir):
    frames = read_layers(layers_dir)
    assert set(frames) == {k.value for k in LayerKind}
    for kind, gdf in frames.items():
        assert gdf.crs.to_epsg() == 4326, kind
        assert list(gdf.columns[: len(SCHEMAS[LayerKind(kind)].columns)]) == list(
            SCHEMAS[LayerKind(kind)].columns
        )
    fronts = frames["fronts"]
    for asset in ASSETS:
        assert fronts[f"us_{asset}"].dtype == "float64"
    assert fronts["us_personnel"].dtype == "int64"
    assert frames["chokepoints"]["transits_per_year"].isna().sum() == 1


def test_projected_layer_is_reprojected(layers_dir, tmp_path):
    gdf = gpd.read_file(layers_dir / "chokepoints.geojson").to_crs("EPSG:3857")
    path = tmp_path / "chokepoints.gpkg"
    gdf.to_file(path, driver="GPKG")
    out = read_layer(path)
    assert out.crs.to_epsg() == 4326
    assert out.geometry.x.round(6).tolist() == [101.0, 43.33, -79.85]


def test_no_crs_is_accepted_when_the_user_names_one(broken_dir):
    out = read_layer(broken_dir / "no_crs.gpkg", kind="chokepoints", crs="EPSG:4326")
    assert out.crs.to_epsg() == 4326


def test_csv_with_lon_lat(layers_dir, tmp_path):
    gdf = gpd.read_file(layers_dir / "chokepoints.geojson")
    df = gdf.drop(columns="geometry").assign(lon=gdf.geometry.x, lat=gdf.geometry.y)
    path = tmp_path / "chokepoints.csv"
    df.to_csv(path, index=False)
    out = read_layer(path)
    assert len(out) == 3
    assert out.geometry.y.tolist() == pytest.approx([2.5, 12.55, 9.15])


def test_geoparquet_and_single_layer_override(layers_dir, tmp_path):
    gdf = gpd.read_file(layers_dir / "supply_nodes.geojson")
    path = tmp_path / "my_nodes.parquet"
    gdf.to_parquet(path)
    frames = read_layers(layers_dir, overrides={"supply_nodes": path})
    assert len(frames["supply_nodes"]) == 3
    with pytest.raises(LayerValidationError, match="cannot tell the layer kind"):
        read_layer(path)


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(LayerValidationError, match="not found"):
        read_layers(tmp_path / "nope")


def test_sourced_share(layers_dir):
    gdf = read_layer(layers_dir / "fronts.geojson")
    assert sourced_share(gdf) == 0.0


def test_docs_are_generated_from_the_schema():
    text = describe_markdown()
    for schema in SCHEMAS.values():
        assert f"## `{schema.kind.value}`" in text
        for column in schema.columns:
            assert f"| `{column}` |" in text
    assert (Path(__file__).resolve().parent.parent / "docs" / "layers.md").read_text() == text


def _chokepoints_csv(layers_dir: Path, path: Path, edit=None) -> Path:
    gdf = gpd.read_file(layers_dir / "chokepoints.geojson")
    table = gdf.drop(columns="geometry").astype(object)
    table["lon"], table["lat"] = gdf.geometry.x.astype(object), gdf.geometry.y.astype(object)
    if edit is not None:
        edit(table)
    table.to_csv(path, index=False)
    return path


def test_csv_with_lon_lat_is_read(layers_dir, tmp_path):
    path = _chokepoints_csv(layers_dir, tmp_path / "chokepoints.csv")
    out = read_layer(path)
    expected = gpd.read_file(layers_dir / "chokepoints.geojson")
    assert list(out["id"]) == list(expected["id"])
    assert out.geometry.x.round(6).tolist() == expected.geometry.x.round(6).tolist()


def test_csv_bad_coordinate_names_its_column_row_and_value(layers_dir, tmp_path):
    def edit(table):
        table.loc[1, "lat"] = "north"
        table.loc[2, "lon"] = None

    path = _chokepoints_csv(layers_dir, tmp_path / "points.csv", edit)
    with pytest.raises(LayerValidationError) as info:
        read_layer(path, kind="chokepoints")
    rendered = [p.render(str(path)) for p in info.value.problems]
    ids = gpd.read_file(layers_dir / "chokepoints.geojson")["id"]
    assert any(f"feature id={ids[1]!r} (row 2): column 'lat'" in r and "'north'" in r
               for r in rendered), rendered
    assert any(f"feature id={ids[2]!r} (row 3): column 'lon'" in r and "is empty" in r
               for r in rendered), rendered


def test_shapefile_without_prj_needs_crs_and_truncated_names_are_explained(
    layers_dir, tmp_path
):
    gdf = gpd.read_file(layers_dir / "chokepoints.geojson")
    path = tmp_path / "chokepoints.shp"
    with pytest.warns(Warning):
        gdf.to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(LayerValidationError, match=r"declares no CRS; .*--crs"):
        read_layer(path)
    with pytest.raises(LayerValidationError) as info:
        read_layer(path, crs="EPSG:4326")
    msg = str(info.value)
    assert "column 'source_year': required column is missing" in msg
    assert "the file has 'source_yea': Shapefiles cut field names to 10" in msg


def test_unknown_crs_is_a_validation_error(layers_dir):
    with pytest.raises(LayerValidationError, match="--crs 'banana' is not a CRS"):
        read_layer(layers_dir / "chokepoints.geojson", crs="banana")


def test_mixed_geometry_types_name_each_feature(layers_dir, tmp_path):
    import json

    data = json.loads((layers_dir / "chokepoints.geojson").read_text())
    data["features"][1]["geometry"] = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    path = tmp_path / "mixed.geojson"
    path.write_text(json.dumps(data))
    with pytest.raises(LayerValidationError) as info:
        read_layer(path, kind="chokepoints")
    fid = data["features"][1]["properties"]["id"]
    assert f"feature id={fid!r} (row 2): column 'geometry': geometry type must be Point, " \
        "got LineString" in str(info.value)


def test_missing_file_says_so_before_guessing_its_kind(tmp_path):
    with pytest.raises(LayerValidationError, match=r"nofile\.geojson: file not found"):
        read_layer(tmp_path / "nofile.geojson")
