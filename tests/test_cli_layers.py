"""The `redeploy layers` commands: exit codes and messages as a user sees them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from redeploy.cli import app


def test_list_shows_counts(runner, layers_dir):
    result = runner.invoke(app, ["layers", "list", "--layers", str(layers_dir)])
    assert result.exit_code == 0, result.output
    for kind in (
        "fronts",
        "chokepoints",
        "mineral_zones",
        "supply_nodes",
        "peripheral_zones",
        "basemap",
    ):
        assert kind in result.output


def test_validate_ok(runner, layers_dir):
    result = runner.invoke(app, ["layers", "validate", "--layers", str(layers_dir)])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok ") == 8


@pytest.mark.parametrize(
    "name", ["duplicate_id.geojson", "not_geodata.geojson", "no_crs.gpkg", "empty_file.geojson"]
)
def test_validate_refuses_broken_files_with_exit_2(runner, broken_dir, name):
    path = broken_dir / name
    result = runner.invoke(app, ["layers", "validate", "--kind", "chokepoints", str(path)])
    assert result.exit_code == 2
    assert str(path) in result.stderr
    assert "Traceback" not in result.output


def test_validate_unknown_kind_is_a_usage_error(runner, broken_dir):
    result = runner.invoke(app, ["layers", "validate", str(broken_dir / "bad_enum.geojson")])
    assert result.exit_code == 2
    assert "cannot tell the layer kind" in result.stderr


def test_console_script_exit_code_and_no_traceback(broken_dir):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "redeploy",
            "layers",
            "validate",
            "--kind",
            "peripheral_zones",
            str(broken_dir / "self_intersecting.geojson"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "feature id='ago'" in proc.stderr
    assert "column 'geometry'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_describe(runner):
    result = runner.invoke(app, ["layers", "describe", "chokepoints"])
    assert result.exit_code == 0
    assert "importance" in result.output
    result = runner.invoke(app, ["layers", "describe", "nonsense"])
    assert result.exit_code == 2


VALIDATE_GPKG = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"


def test_export_gpkg_passes_gdal_validation(runner, layers_dir, tmp_path):
    from tests.conftest import require_tool

    require_tool(VALIDATE_GPKG)
    out = tmp_path / "x.gpkg"
    result = runner.invoke(
        app,
        ["layers", "export", "--layers", str(layers_dir), "--format", "gpkg", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    proc = subprocess.run(
        ["/usr/bin/python3", VALIDATE_GPKG, str(out)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("fmt", ["geojson", "parquet"])
def test_export_folder_round_trips(runner, layers_dir, tmp_path, fmt):
    from redeploy.layers import read_layers

    out = tmp_path / fmt
    result = runner.invoke(
        app, ["layers", "export", "--layers", str(layers_dir), "--format", fmt, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    back = read_layers(out)
    orig = read_layers(layers_dir)
    for kind, gdf in orig.items():
        b = back[kind].sort_values("id").reset_index(drop=True)
        g = gdf.sort_values("id").reset_index(drop=True)
        assert b["id"].tolist() == g["id"].tolist(), kind
        assert set(g.columns) <= set(b.columns), kind
        assert b["source_year"].tolist() == g["source_year"].tolist(), kind


def test_export_unknown_format_exits_2(runner, tmp_path):
    result = runner.invoke(
        app, ["layers", "export", "--format", "shp", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 2
    assert "gpkg, geojson or parquet" in result.output + result.stderr


def test_kinds_from_the_shipped_set_are_noted_on_stderr(runner, layers_dir, tmp_path):
    import shutil

    folder = tmp_path / "mine"
    folder.mkdir()
    for kind in ("fronts", "peripheral_zones", "supply_nodes", "basemap"):
        shutil.copy(layers_dir / f"{kind}.geojson", folder)
    args = ["layers", "export", "--layers", str(folder), "--format", "geojson"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "read from the shipped set: chokepoints, mineral_zones" in result.stderr
    assert str(folder) in result.stderr
    result = runner.invoke(
        app,
        [
            "layers",
            "export",
            "--layers",
            str(layers_dir),
            "--format",
            "geojson",
            "--out",
            str(tmp_path / "out2"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "shipped set" not in result.stderr


def test_duplicate_layer_files_exit_2(runner, layers_dir, tmp_path):
    import shutil

    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(layers_dir / "fronts.geojson", folder / "fronts.geojson")
    shutil.copy(layers_dir / "fronts.geojson", folder / "fronts.json")
    result = runner.invoke(app, ["layers", "validate", "--layers", str(folder)])
    assert result.exit_code == 2
    assert "fronts.geojson and fronts.json are both layer 'fronts'" in result.stderr
    assert "Traceback" not in result.output
