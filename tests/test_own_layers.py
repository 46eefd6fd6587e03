"""Own layers (`redeploy.own_layers`, ``--add-layer``): features added to the shipped ones,
defaults for empty columns, ids that must be new, the country check, and the record of
every layer file in the run's name and summary."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from redeploy.cli import app
from redeploy.errors import LayerValidationError
from redeploy.own_layers import read_layer_set
from redeploy.schemas import SCHEMAS, LayerKind
from redeploy.workflows.run import run_scenario

MODEL_DATA = Path(__file__).resolve().parent / "data" / "model"
SMALL = MODEL_DATA / "scenarios" / "small.toml"

#: Three ports: one with every figure, two with the minimum (one with swapped lon/lat).
PORTS = (
    "id,name,kind,iso3,lon,lat,importance,source,source_year,confidence\n"
    "port_lagos,Apapa,port,NGA,3.3667,6.45,0.1,NPA 2024,2024,sourced\n"
    "port_tema,,port,GHA,0.0167,5.6333,,,,\n"
    "port_durban,,port,ZAF,-29.87,31.02,,,,\n"
)


@pytest.fixture
def ports(tmp_path):
    path = tmp_path / "my_ports.csv"
    path.write_text(PORTS, encoding="utf-8")
    return path


def test_added_features_join_the_shipped_ones_with_defaults(ports):
    read = read_layer_set(additions={"supply_nodes": [ports]}, kinds=["supply_nodes"])
    nodes = read.frames["supply_nodes"].set_index("id")
    assert len(nodes) == 28 + 3
    assert (
        nodes.index[:28].tolist()
        == read_layer_set(kinds=["supply_nodes"]).frames["supply_nodes"]["id"].tolist()
    )  # the shipped rows first, unchanged
    lagos, tema = nodes.loc["port_lagos"], nodes.loc["port_tema"]
    assert (lagos["confidence"], lagos["importance"], lagos["source"]) == (
        "sourced",
        0.1,
        "NPA 2024",
    )
    assert lagos["notes"] is None or lagos["notes"] != lagos["notes"]  # no default taken
    assert tema["confidence"] == "estimate"
    assert tema["importance"] == 0.2  # the shipped default of a port
    assert tema["name"] == "port_tema" and tema["source"] == "own layer my_ports.csv"
    assert tema["source_year"] == 2024
    assert "defaults of --add-layer" in tema["notes"] and "importance = 0.2" in tema["notes"]


def test_importance_stays_on_the_shipped_scale(ports):
    """The model divides by the layer's largest figure: with the shipped nodes that is
    Singapore's 1.0, so an added port keeps its 0.1 (a replaced layer would make it 1)."""
    from redeploy.model.value import item_figures

    nodes = read_layer_set(additions={"supply_nodes": [ports]}, kinds=["supply_nodes"])
    frame = nodes.frames["supply_nodes"]
    figures = dict(zip(frame["id"], item_figures("nodes", frame), strict=True))
    assert figures["port_lagos"] == pytest.approx(0.1)
    assert figures["port_singapore"] == pytest.approx(1.0)


def test_swapped_coordinates_are_warned_about_by_feature(ports):
    read = read_layer_set(additions={"supply_nodes": [ports]}, kinds=["supply_nodes"])
    assert len(read.warnings) == 1
    warning = read.warnings[0]
    assert str(ports) in warning and "feature id='port_durban' (row 3)" in warning
    assert "ZAF" in warning and "swapped" in warning


def test_every_shipped_feature_passes_the_country_check():
    """No false alarm on the shipped data: each kind's features, added to an empty copy."""
    from redeploy.own_layers import country_warnings

    read = read_layer_set()
    basemap = read.frames["basemap"]
    for kind, frame in read.frames.items():
        if SCHEMAS[LayerKind(kind)].added.country_column:
            assert country_warnings(frame, kind, basemap, source=kind) == [], kind


def test_ids_must_be_new(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("id,kind,iso3,lon,lat\nport_singapore,port,SGP,103.8,1.26\n")
    with pytest.raises(LayerValidationError) as info:
        read_layer_set(additions={"supply_nodes": [path]}, kinds=["supply_nodes"])
    msg = str(info.value)
    assert str(path) in msg and "feature id='port_singapore' (row 1)" in msg
    assert "column 'id'" in msg and "already a feature of layer 'supply_nodes'" in msg


def test_a_kind_without_a_default_still_needs_its_column(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("id,kind,iso3,lon,lat\nspace,spaceport,USA,-80.6,28.4\n")
    with pytest.raises(LayerValidationError) as info:
        read_layer_set(additions={"supply_nodes": [path]}, kinds=["supply_nodes"])
    msg = str(info.value)
    assert "column 'kind': must be one of 'port'" in msg
    assert "column 'importance'" in msg  # no default for an unknown kind


def test_run_is_named_after_the_files_and_records_them(ports, tmp_path):
    shipped = run_scenario("baseline", out_dir=None)
    added = run_scenario("baseline", out_dir=None, layer_additions={"supply_nodes": [ports]})
    assert added.result.scenario == "baseline_with_my_ports"
    assert added.result.run_id != shipped.result.run_id
    files = added.result.meta["layer_files"]
    assert files[-1] == {
        "kind": "supply_nodes",
        "origin": "added",
        "path": ports.as_posix(),
        "sha256": hashlib.sha256(ports.read_bytes()).hexdigest(),
    }
    assert [f["origin"] for f in shipped.result.meta["layer_files"]] == ["shipped"] * 7
    assert {f["path"] for f in shipped.result.meta["layer_files"]} >= {"fronts.geojson"}
    assert any("port_durban" in w for w in added.warnings)


def test_cli_add_layer_keeps_the_28_shipped_nodes(runner, ports, tmp_path):
    """The issue's acceptance: `redeploy run --add-layer supply_nodes=my.csv`."""
    import pyogrio

    result = runner.invoke(
        app,
        ["run", "--add-layer", f"supply_nodes={ports}", "--out", str(tmp_path), "-q"],
    )
    assert result.exit_code == 0, result.output
    assert "port_durban" in result.stderr and result.stdout == ""
    summary = json.loads((tmp_path / "baseline_with_my_ports-summary.json").read_text())
    assert summary["scenario"] == "baseline_with_my_ports"
    assert [f["origin"] for f in summary["layer_files"]].count("added") == 1
    nodes = pyogrio.read_dataframe(tmp_path / "baseline_with_my_ports.gpkg", layer="supply_nodes")
    assert len(nodes) == 31 and {"port_tema", "port_singapore"} <= set(nodes["id"])
    assert (tmp_path / "baseline_with_my_ports.html").is_file()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("supply_nodes", "expected KIND=FILE"),
        ("basemap=x.csv", "KIND one of fronts"),
        ("ports=x.csv", "KIND one of fronts"),
    ],
)
def test_bad_add_layer_values_exit_2(runner, tmp_path, value, expected):
    result = runner.invoke(app, ["run", "--add-layer", value, "--out", str(tmp_path), "-q"])
    assert result.exit_code == 2
    assert expected in result.output and "Traceback" not in result.output


def test_collision_exits_2_without_writing(runner, tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("id,kind,iso3,lon,lat\nport_singapore,port,SGP,103.8,1.26\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "--add-layer", f"supply_nodes={path}", "--out", str(out)])
    assert result.exit_code == 2
    assert "already a feature of layer 'supply_nodes'" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_layers_list_shows_added_files(runner, ports):
    result = runner.invoke(
        app, ["layers", "list", "--add-layer", f"supply_nodes={ports}", "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    nodes = next(r for r in doc["layers"] if r["layer"] == "supply_nodes")
    assert nodes["features"] == 31
    assert [f["origin"] for f in nodes["files"]] == ["shipped", "added"]
    assert len(doc["warnings"]) == 1


def test_frontier_takes_added_layers_and_names_its_files_after_them(runner, ports, tmp_path):
    result = runner.invoke(
        app,
        [
            "frontier",
            "--add-layer",
            f"supply_nodes={ports}",
            "--points",
            "3",
            "--out",
            str(tmp_path),
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "port_durban" in result.stderr  # the swapped point is warned about here too
    assert (tmp_path / "baseline_with_my_ports-frontier.csv").is_file()
    assert not (tmp_path / "baseline-frontier.csv").exists()


def test_sweeps_read_added_layers_with_their_own_name_and_run_id(ports):
    from redeploy.workflows.sweep import SweepInputs

    shipped = SweepInputs.read("baseline-uncertain", None, None, None)
    added = SweepInputs.read("baseline-uncertain", None, None, None, {"supply_nodes": [ports]})
    assert added.plan.name == "baseline-uncertain_with_my_ports"
    assert len(added.layers["supply_nodes"]) == len(shipped.layers["supply_nodes"]) + 3
    assert added.run_id != shipped.run_id
    # without additions the run id is the one `redeploy run` gives the same inputs
    assert shipped.run_id == run_scenario("baseline-uncertain", out_dir=None).result.run_id
