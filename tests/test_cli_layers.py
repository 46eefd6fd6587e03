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
    assert result.output.count("ok ") == 6


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
            "redeploy.cli",
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
