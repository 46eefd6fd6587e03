"""Reading and validating layers: every rule has a broken fixture and a message test."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from redeploy import validation_cells
from redeploy.errors import LayerValidationError
from redeploy.layers import read_layer, read_layers, sourced_share, validate_layer
from redeploy.schema_docs import describe_markdown
from redeploy.schema_types import ColumnSpec
from redeploy.schemas import ASSETS, SCHEMAS, LayerKind

# (file in tests/data/broken, kind, feature id or None, column or None, words in the message)
BROKEN = [
    ("missing_column.geojson", "chokepoints", None, "importance", "required column is missing"),
    ("nan_required.geojson", "chokepoints", "bab_el_mandeb", "importance", "required"),
    ("duplicate_id.geojson", "chokepoints", "malacca", "id", "duplicate id"),
    ("unknown_iso3.geojson", "chokepoints", "bab_el_mandeb", "littoral_iso3", "'XYZ'"),
    ("out_of_range.geojson", "chokepoints", "malacca", "importance", "from 0 to 1, got 1.5"),
    ("floor_above_us.geojson", "fronts", "poland", "floor_ground", "at most us_ground = 6.0"),
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
    assert any(
        f"feature id={ids[1]!r} (row 2): column 'lat'" in r and "'north'" in r for r in rendered
    ), rendered
    assert any(
        f"feature id={ids[2]!r} (row 3): column 'lon'" in r and "is empty" in r for r in rendered
    ), rendered


def test_shapefile_without_prj_needs_crs_and_truncated_names_are_explained(layers_dir, tmp_path):
    gdf = gpd.read_file(layers_dir / "chokepoints.geojson")
    path = tmp_path / "chokepoints.shp"
    with pytest.warns(Warning):
        gdf.to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(LayerValidationError, match=r"declares no CRS; .*--crs"):
        read_layer(path)
    assert read_layer(path, crs="EPSG:4326")["source_year"].tolist() == gdf["source_year"].tolist()
    # Converted on from the Shapefile, the cut names are no longer restored: explain them.
    cut = gpd.read_file(path).set_crs("EPSG:4326")
    assert "source_yea" in cut.columns
    converted = tmp_path / "converted.geojson"
    cut.to_file(converted)
    with pytest.raises(LayerValidationError) as info:
        read_layer(converted, kind="chokepoints")
    msg = str(info.value)
    assert "column 'source_year': required column is missing" in msg
    assert "the file has 'source_yea': Shapefiles cut field names to 10" in msg


@pytest.mark.parametrize("kind", ["fronts", "chokepoints", "mineral_zones", "peripheral_zones"])
def test_shapefile_names_cut_to_10_characters_are_restored(layers_dir, tmp_path, kind):
    source = read_layer(layers_dir / f"{kind}.geojson")
    path = tmp_path / f"{kind}.shp"
    with pytest.warns(Warning):  # geopandas and GDAL both say names get cut
        source.to_file(path, engine="pyogrio")
    assert "source_yea" in pyogrio.read_info(path)["fields"]
    back = read_layer(path)
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.drop(columns="geometry")),
        pd.DataFrame(source.drop(columns="geometry")),
        check_dtype=False,
    )
    assert back.geometry.geom_equals(source.geometry).all()  # Shapefile rings run clockwise


def test_shapefile_cut_name_shared_by_two_schema_columns_is_not_guessed(tmp_path):
    from redeploy.layers import _restore_dbf_names

    schema = SCHEMAS[LayerKind.SUPPLY_NODES]  # throughput and throughput_unit: 'throughput'
    gdf = gpd.GeoDataFrame(
        {"source_yea": [2024], "throughput": [1.0], "throughp_1": ["TEU"]},
        geometry=gpd.points_from_xy([0], [0]),
        crs="EPSG:4326",
    )
    out = _restore_dbf_names(gdf, schema)
    assert {"source_year", "throughput", "throughp_1"} <= set(out.columns)
    assert "throughput_unit" not in out.columns


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
    assert (
        f"feature id={fid!r} (row 2): column 'geometry': geometry type must be Point, "
        "got LineString" in str(info.value)
    )


def test_missing_file_says_so_before_guessing_its_kind(tmp_path):
    with pytest.raises(LayerValidationError, match=r"nofile\.geojson: file not found"):
        read_layer(tmp_path / "nofile.geojson")


def _folder_with(tmp_path: Path, layers_dir: Path, names: dict[str, str]) -> Path:
    """Make a --layers folder: {file name in it: fixture kind copied there}."""
    import shutil

    folder = tmp_path / "mine"
    folder.mkdir()
    for name, kind in names.items():
        shutil.copy(layers_dir / f"{kind}.geojson", folder / name)
    return folder


def test_two_files_for_one_kind_are_refused_naming_both(layers_dir, tmp_path):
    folder = _folder_with(tmp_path, layers_dir, {"fronts.geojson": "fronts"})
    gpd.read_file(folder / "fronts.geojson").to_file(folder / "fronts.gpkg", driver="GPKG")
    with pytest.raises(LayerValidationError) as info:
        read_layers(folder)
    msg = str(info.value)
    assert str(folder) in msg
    assert "fronts.geojson and fronts.gpkg are both layer 'fronts'" in msg
    assert "keep one of them" in msg and "--layer fronts=PATH" in msg


def test_misnamed_layer_file_is_refused_with_the_right_name(layers_dir, tmp_path):
    folder = _folder_with(
        tmp_path, layers_dir, {"fronts.geojson": "fronts", "chokepoint.geojson": "chokepoints"}
    )
    with pytest.raises(LayerValidationError) as info:
        read_layers(folder)
    msg = str(info.value)
    assert "chokepoint.geojson is not named after a layer kind" in msg
    assert "did you mean 'chokepoints'? rename it chokepoints.geojson" in msg
    assert "would be read from the shipped set" in msg


def test_near_name_beside_the_real_file_is_refused_too(layers_dir, tmp_path):
    folder = _folder_with(
        tmp_path, layers_dir, {"fronts.geojson": "fronts", "fronts_old.geojson": "fronts"}
    )
    with pytest.raises(
        LayerValidationError,
        match=r"already has fronts\.geojson: move "
        r"fronts_old\.geojson out of it",
    ):
        read_layers(folder)


def test_unrelated_files_are_ignored_and_fallbacks_are_listed(layers_dir, tmp_path):
    from redeploy.layers import resolve_layer_paths, shipped_fallbacks

    folder = _folder_with(tmp_path, layers_dir, {"fronts.geojson": "fronts"})
    (folder / "README.md").write_text("my layers\n")
    (folder / "notes.csv").write_text("a,b\n1,2\n")
    paths = resolve_layer_paths(folder)
    assert paths["fronts"] == folder / "fronts.geojson"
    kinds = [k.value for k in LayerKind if k.value != "fronts"]
    assert shipped_fallbacks(folder) == kinds
    assert shipped_fallbacks(folder, overrides={"basemap": layers_dir / "basemap.geojson"}) == [
        k for k in kinds if k != "basemap"
    ]
    assert shipped_fallbacks(folder, kinds=["fronts"]) == []
    assert shipped_fallbacks(None) == []
    assert shipped_fallbacks(layers_dir) == []


def test_unparsable_value_gives_the_validation_error_and_no_library_warning(
    layers_dir, tmp_path, recwarn
):
    import json

    data = json.loads((layers_dir / "fronts.geojson").read_text())
    data["features"][0]["properties"]["threat_level"] = "high"
    fid = data["features"][0]["properties"]["id"]
    path = tmp_path / "fronts.geojson"
    path.write_text(json.dumps(data))
    with pytest.raises(LayerValidationError) as info:
        read_layer(path)
    assert (
        f"feature id={fid!r} (row 1): column 'threat_level': must be an integer from 1 "
        "to 5, got 'high'" in str(info.value)
    )
    assert [str(w.message) for w in recwarn] == []


def test_floor_above_the_baseline_is_refused_for_every_asset(layers_dir, tmp_path):
    gdf = gpd.read_file(layers_dir / "fronts.geojson")
    gdf.loc[0, "us_ground"] = 0.72
    gdf.loc[0, "floor_ground"] = 7.2
    gdf.loc[1, "floor_naval"] = gdf.loc[1, "us_naval"] + 0.5
    gdf.loc[1, "floor_air"] = gdf.loc[1, "us_air"] + 1e-12  # within rounding: accepted
    gdf.loc[1, "floor_isr"] = gdf.loc[1, "us_isr"]  # equal: accepted
    source = tmp_path / "fronts.geojson"
    with pytest.raises(LayerValidationError) as info:
        validate_layer(gdf, "fronts", source=source)
    problems = info.value.problems
    assert [(p.feature_id, p.row, p.column) for p in problems] == [  # in file order
        (gdf.loc[0, "id"], 1, "floor_ground"),
        (gdf.loc[1, "id"], 2, "floor_naval"),
    ]
    text = problems[0].render(str(source))
    assert text.startswith(
        f"{source}: feature id={gdf.loc[0, 'id']!r} (row 1): column "
        "'floor_ground': must be at most us_ground = 0.72"
    )
    assert text.endswith("got 7.2")


@pytest.mark.parametrize(
    "spec",
    [
        ColumnSpec("str", "free text", required=False),
        ColumnSpec("str", "free text"),
        ColumnSpec("enum", "a choice", choices=("high", "low")),
        ColumnSpec("slug", "an id"),
        ColumnSpec("iso3", "a country", required=False),
        ColumnSpec("str_list", "items", required=False),
    ],
)
def test_text_columns_checked_as_distinct_texts_keep_what_each_cell_gives(spec, monkeypatch):
    """The shortcut for clean text columns gives the same column and the same problems as
    checking every cell."""
    rng = np.random.default_rng(5)
    pool = ["high", " low ", "IDN", "a_1", "x y", "  ", "", None, float("nan"), "zz", "MYS"]

    def checked(raw: list) -> tuple[list, list]:
        problems: list = []
        column = validation_cells._check_texts(raw, spec, lambda i, m: problems.append((i, m)))
        return column.tolist(), problems

    for _ in range(60):
        raw = [pool[i] for i in rng.integers(0, len(pool), rng.integers(1, 8))]
        got = checked(raw)
        with monkeypatch.context() as m:
            m.setattr(validation_cells, "_plain_texts", lambda raw, spec: None)
            assert got == checked(raw)
