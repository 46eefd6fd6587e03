"""Layer problems point at the one bad feature: a list in one cell is one problem (its valid
neighbours are not reported), a string too long for GDAL is called a long string, and a
folder named like a layer file is called a folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from redeploy.cli import app
from redeploy.errors import LayerValidationError
from redeploy.layers import read_layer

DATA = Path(__file__).resolve().parent / "data"
ZONES = DATA / "layers" / "peripheral_zones.geojson"
FRONTS = DATA / "layers" / "fronts.geojson"


def _with(tmp_path: Path, source: Path, row: int, column: str, value: object) -> Path:
    data = json.loads(source.read_text(encoding="utf-8"))
    data["features"][row]["properties"][column] = value
    path = tmp_path / source.name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [
        ("absorb_naval", [1.0, 2.0], "must be a number from 0 to 10,000, got a list [1.0, 2.0]"),
        ("absorb_naval", [2.25], "must be a number from 0 to 10,000, got a list [2.25]"),
        ("access", ["full"], "got a list ['full']"),
        ("us_influence", {"v": 1}, "got an object {'v': 1}"),
    ],
)
def test_a_list_in_one_cell_is_one_problem_for_that_feature(tmp_path, column, value, shown):
    features = json.loads(ZONES.read_text(encoding="utf-8"))["features"]
    assert len(features) >= 3
    fid = features[1]["properties"]["id"]
    path = _with(tmp_path, ZONES, 1, column, value)
    with pytest.raises(LayerValidationError) as info:
        read_layer(path)
    [problem] = info.value.problems
    assert (problem.feature_id, problem.row, problem.column) == (fid, 2, column)
    assert shown in problem.message
    assert "array(" not in str(info.value)


def test_a_string_too_long_for_gdal_is_reported_as_a_long_string(tmp_path):
    fid = json.loads(FRONTS.read_text(encoding="utf-8"))["features"][0]["properties"]["id"]
    path = _with(tmp_path, FRONTS, 0, "name", "x" * 10_000_000)
    with pytest.raises(LayerValidationError) as info:
        read_layer(path)
    [problem] = info.value.problems
    assert (problem.feature_id, problem.row, problem.column) == (fid, 1, "name")
    assert "holds a string of 10,000,000 characters" in problem.message
    assert "up to 9,999,999" in problem.message and "number" not in problem.message


def test_a_long_string_gdal_takes_is_read(tmp_path):
    path = _with(tmp_path, FRONTS, 0, "name", "x" * 9_999_999)
    assert len(read_layer(path)["name"].iloc[0]) == 9_999_999


def test_a_folder_named_like_a_layer_file_is_called_a_folder(tmp_path, runner):
    (tmp_path / "fronts.geojson").mkdir()
    result = runner.invoke(app, ["layers", "validate", "--layers", str(tmp_path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "fronts.geojson is a folder, not a layer file" in result.output
    assert "no layer file here" not in result.output
    for name in ("chokepoints.geojson", "peripheral_zones.geojson"):
        (tmp_path / name).write_bytes((DATA / "layers" / name).read_bytes())
    result = runner.invoke(app, ["layers", "validate", "--layers", str(tmp_path)])
    assert result.exit_code == 2  # not silently replaced by the shipped fronts
    assert "fronts.geojson is a folder, not a layer file" in result.output


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("soon", "column 'since': must be an integer from 1800 to 2100, got 'soon'"),
        (2025.5, "column 'since': must be an integer from 1800 to 2100, got 2025.5"),
        (1066, "column 'since': must be an integer from 1800 to 2100, got 1066"),
    ],
)
def test_a_bad_site_year_names_the_site_and_what_is_allowed(tmp_path, value, shown):
    """A site's `since` (the year U.S. forces could first use it) that is not a year is
    refused with the file, the site's id, the column, the value and what is allowed."""
    sites = Path(__file__).resolve().parent.parent / "geodata" / "sites.geojson"
    path = _with(tmp_path, sites, 0, "since", value)
    with pytest.raises(LayerValidationError) as err:
        read_layer(path)
    text = str(err.value)
    assert "sites.geojson" in text and "feature id='accra_kotoka'" in text
    assert shown in text, text
