"""The QGIS project stored in a run's GeoPackage (`redeploy.export.qgis_project`).

Fast tests read the ``qgis_projects`` row with the standard library: the project XML is
well-formed, relative, ordered, labelled and deterministic. The ``qgis`` tests open it with
Debian's headless QGIS (``tests/qgis_project_check.py`` under ``/usr/bin/python3``), from a
copy in another folder so relative sources are proven, and render the print layout to PNG.
Without QGIS they skip, except under ``CI=true``, where a missing tool is a failure.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from redeploy import __version__
from redeploy.export import write_layers, write_results
from redeploy.export.qgis_project import (
    LAYOUT_NAME,
    RECEIVING_ZONES,
    layer_id_of,
    layer_title,
    read_project_xml,
    source_note,
)
from tests.conftest import load_data_module

fixtures = load_data_module("export/fixtures.py", "export_fixtures")

DEBIAN_PYTHON = "/usr/bin/python3"
VALIDATE_GPKG = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"
CHECK = Path(__file__).parent / "qgis_project_check.py"

#: Layers bottom to top, as the HTML map draws them (fixture minerals are points, so above
#: the flows, in the markers' pane).
ORDER = [
    "ledger",
    "allies",
    "basemap",
    "peripheral_zones",
    "zone_allocations",
    "flows",
    "mineral_zones",
    "supply_nodes",
    "sites",
    "posture",
    "chokepoints",
    "fronts",
    "front_release",
]
TABLES = ("ledger", "allies")
LABELLED = {
    "fronts": "simple",
    "chokepoints": "simple",
    "sites": "simple",
    "zone_allocations": "rule-based",
}
FLOW_CLASSES = ["naval (kpe)", "air (kpe)", "ground (kpe)", "engagement ($bn/yr)"]


def _require(*paths: str, probe: list[str] | None = None) -> None:
    """Skip when a tool is missing (or its probe fails); fail instead under CI=true."""
    missing = [p for p in paths if not Path(p).exists()]
    if not missing and probe is not None:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            missing = [" ".join(probe) + f" (exit {done.returncode}: {done.stderr[-300:]})"]
    if not missing:
        return
    msg = f"needs {', '.join(missing)}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{msg}; required under CI=true")
    pytest.skip(msg)


def _write(folder: Path, *, empty: bool = False, name: str | None = None) -> Path:
    write_results(
        fixtures.make_layers(), fixtures.make_result(empty=empty), folder, name=name, formats="gpkg"
    )
    return folder / f"{name or 'test_scenario'}.gpkg"


def _root(xml: str) -> ET.Element:
    head, body = xml.split("\n", 1)
    assert head.startswith("<!DOCTYPE qgis")
    return ET.fromstring(body)


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    return _write(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def root(package) -> ET.Element:
    return _root(read_project_xml(package))


# --------------------------------------------------------------------------- pure Python


def test_project_row_is_what_qgis_reads(package):
    con = sqlite3.connect(package)
    try:
        ddl = con.execute("SELECT sql FROM sqlite_master WHERE name = 'qgis_projects'").fetchone()[
            0
        ]
        rows = con.execute(
            "SELECT name, metadata, content, typeof(content) FROM qgis_projects"
        ).fetchall()
        registered = con.execute(
            "SELECT count(*) FROM gpkg_contents WHERE table_name = 'qgis_projects'"
        ).fetchone()[0]
    finally:
        con.close()
    # QgsGeoPackageProjectStorage's own table, unregistered as QGIS leaves it
    assert ddl == "CREATE TABLE qgis_projects(name TEXT PRIMARY KEY, metadata BLOB, content BLOB)"
    assert registered == 0
    [(name, metadata, content, kind)] = rows
    assert name == "test_scenario"
    assert json.loads(metadata) == {
        "last_modified_time": "2024-01-01T00:00:00",
        "last_modified_user": "redeploy",
    }
    # content: the .qgz as hex text (QByteArray::fromHex), one .qgs entry with a fixed date
    assert kind == "text"
    with zipfile.ZipFile(io.BytesIO(bytes.fromhex(content))) as archive:
        [info] = archive.infolist()
        assert info.filename == "test_scenario.qgs"
        assert info.date_time == (2024, 1, 1, 0, 0, 0)
        assert info.compress_type == zipfile.ZIP_DEFLATED


def test_layers_are_ordered_relative_and_titled(root):
    layers = root.find("projectlayers").findall("maplayer")
    assert [m.findtext("id") for m in layers] == [layer_id_of(n) for n in ORDER]
    assert [e.get("id") for e in root.find("layerorder")] == [layer_id_of(n) for n in ORDER]
    # the layers panel lists the top layer first
    tree = [e.get("id") for e in root.find("layer-tree-group").findall("layer-tree-layer")]
    assert tree == [layer_id_of(n) for n in reversed(ORDER)]
    for m, name in zip(layers, ORDER, strict=True):
        assert m.findtext("datasource") == f"./test_scenario.gpkg|layername={name}"
        assert m.findtext("layername") == layer_title(name)
        assert m.find("srs/spatialrefsys/authid").text == "EPSG:4326"
    assert root.find("properties/Paths/Absolute").text == "false"
    assert layer_title("zone_allocations") == "Zone allocations (added, kpe / $bn/yr)"
    for name in ORDER:
        if name not in ("basemap", "peripheral_zones"):
            assert "(" in layer_title(name), name  # a unit or a measure in every title
    # peripheral zones lie under zone allocations, fronts under front release: one shown
    checked = {
        e.get("id"): e.get("checked") for e in root.iter("layer-tree-layer") if e.get("source")
    }
    assert checked[layer_id_of("peripheral_zones")] == "Qt::Unchecked"
    assert checked[layer_id_of("front_release")] == "Qt::Unchecked"
    assert checked[layer_id_of("fronts")] == "Qt::Checked"


def test_layer_order_follows_the_roles_draw_order(root):
    """Input layers are stacked by `LayerRole.draw_order` within their family (fills under
    the flows, markers over them), whatever the kinds are."""
    from redeploy.schemas import SCHEMAS, LayerKind

    ids = [m.findtext("id") for m in root.find("projectlayers").findall("maplayer")]
    flows = ids.index(layer_id_of("flows"))
    drawn = {layer_id_of(k.value): SCHEMAS[k].role.draw_order for k in LayerKind}
    for family in (ids[:flows], ids[flows + 1 :]):
        orders = [drawn[i] for i in family if i in drawn]
        assert orders == sorted(orders), family
    assert {layer_id_of("sites"), layer_id_of("posture")} <= set(ids[flows + 1 :])


def test_labels_legend_units_and_map_tips(root):
    layers = {m.findtext("id"): m for m in root.find("projectlayers").findall("maplayer")}
    for name in ORDER:
        m = layers[layer_id_of(name)]
        labeling = m.find("labeling")
        if name in LABELLED:
            assert m.get("labelsEnabled") == "1", name
            assert labeling.get("type") == LABELLED[name]
            rendering = labeling.find(".//settings/rendering")
            assert rendering.get("displayAll") == "0"  # QGIS drops overlapping labels
        else:
            assert labeling is None and m.get("labelsEnabled") == "0", name
        tip = m.findtext("mapTip")
        if name in TABLES:
            assert not tip
            continue
        assert "[%" in tip and "Source:" in tip, name
        ET.fromstring(re.sub(r"\[%.*?%\]", "x", tip, flags=re.S))  # one well-formed <div>
    zone_rule = layers[layer_id_of("zone_allocations")].find("labeling/rules/rule")
    assert zone_rule.get("filter") == RECEIVING_ZONES
    assert layers[layer_id_of("fronts")].find(".//text-style").get("fieldName") == "name"
    ranges = layers[layer_id_of("zone_allocations")].findall("renderer-v2/ranges/range")
    assert ranges[0].get("label") == "none"
    assert all(r.get("label").endswith(" kpe") for r in ranges[1:])
    cats = layers[layer_id_of("flows")].findall("renderer-v2/categories/category")
    assert [c.get("label") for c in cats] == FLOW_CLASSES
    tip = layers[layer_id_of("fronts")].findtext("mapTip")
    assert "U.S. personnel" in tip and "format_number" in tip and "get_feature(" in tip


def test_print_layout(root):
    [layout] = root.find("Layouts").findall("Layout")
    assert layout.get("name") == LAYOUT_NAME
    items = {i.get("id"): i for i in layout.iter("LayoutItem")}
    assert items["page-1"].get("size") == "297,210,mm"
    assert items["title"].get("labelText") == ("redeploy: scenario test_scenario, run 0123456789ab")
    assert items["source-note"].get("labelText") == source_note()
    assert f"model: redeploy {__version__}" in source_note()
    assert items["legend"].get("map_uuid") == items["map"].get("uuid")
    assert items["scalebar"].get("mapUuid") == items["map"].get("uuid")
    assert items["scalebar"].get("unitLabel") == "km"
    legend = [e.get("id") for e in items["legend"].iter("layer-tree-layer")]
    assert legend == [
        layer_id_of(n)
        for n in (
            "fronts",
            "chokepoints",
            "posture",
            "sites",
            "supply_nodes",
            "mineral_zones",
            "flows",
            "zone_allocations",
        )
    ]


def test_project_is_deterministic_and_names_only_its_file(tmp_path, monkeypatch):
    a = _write(tmp_path / "a")
    b = _write(tmp_path / "b")
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    xml = read_project_xml(a)
    assert str(tmp_path) not in xml and ".tmp" not in xml  # no absolute or temporary path
    other = _write(tmp_path / "c", name="other")
    assert "./other.gpkg|layername=fronts" in read_project_xml(other, "other")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    later = _write(tmp_path / "d")
    assert 'saveDateTime="2023-11-14T22:13:20"' in read_project_xml(later)


def test_empty_run_and_layers_export(tmp_path):
    root = _root(read_project_xml(_write(tmp_path, empty=True, name="no_flows")))
    ids = [m.findtext("id") for m in root.find("projectlayers").findall("maplayer")]
    assert layer_id_of("flows") in ids
    # a layers export carries no project: it has no run, and its bytes must not depend on
    # the file's name (the project's layer sources name it)
    path = tmp_path / "layers.gpkg"
    write_layers(fixtures.make_layers(), path, fmt="gpkg")
    con = sqlite3.connect(path)
    try:
        assert (
            con.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'qgis_projects'"
            ).fetchone()[0]
            == 0
        )
    finally:
        con.close()


def test_mixed_layer_becomes_one_layer_per_geometry_family(tmp_path):
    from shapely.geometry import box

    layers = fixtures.make_layers()
    minerals = layers["mineral_zones"].copy()
    minerals.loc[minerals.index[1], "geometry"] = box(-70, -25, -68, -22)
    layers["mineral_zones"] = minerals
    write_results(layers, fixtures.make_result(), tmp_path, formats="gpkg")
    root = _root(read_project_xml(tmp_path / "test_scenario.gpkg"))
    found = {m.findtext("id"): m for m in root.find("projectlayers").findall("maplayer")}
    ids = list(found)
    polygons, points = (layer_id_of("mineral_zones") + s for s in ("_polygon", "_point"))
    # areas under the flows, points among the markers, as on the HTML map
    assert ids.index(polygons) < ids.index(layer_id_of("flows")) < ids.index(points)
    assert found[polygons].findtext("datasource").endswith("|geometrytype=Polygon")
    assert found[points].findtext("datasource").endswith("|geometrytype=Point")
    assert found[polygons].find("renderer-v2").get("type") == "singleSymbol"
    assert found[points].find(".//layer").get("class") == "SimpleMarker"


@pytest.mark.gdal
def test_package_with_project_still_validates(package):
    _require(DEBIAN_PYTHON, VALIDATE_GPKG)
    done = subprocess.run(
        [DEBIAN_PYTHON, VALIDATE_GPKG, str(package)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Error" not in done.stdout + done.stderr


# --------------------------------------------------------------------------- QGIS


def _qgis_report(path: Path, out: Path) -> dict:
    _require(
        DEBIAN_PYTHON, "/usr/bin/qgis_process.bin", probe=[DEBIAN_PYTHON, "-c", "import qgis.core"]
    )
    (out / "xdg").mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(out / "xdg")}
    for var in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(var, None)
    done = subprocess.run(
        [DEBIAN_PYTHON, str(CHECK), str(path), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("QGIS_PROJECT_JSON ")]
    assert done.returncode == 0 and lines, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(lines[-1].removeprefix("QGIS_PROJECT_JSON "))


@pytest.fixture(scope="module")
def qgis(package, tmp_path_factory) -> dict:
    # open a copy in another folder: the layers must follow the file (relative sources)
    moved = tmp_path_factory.mktemp("moved")
    copy = moved / package.name
    shutil.copy2(package, copy)
    report = _qgis_report(copy, moved)
    report["_path"] = str(copy)
    return report


@pytest.mark.qgis
def test_qgis_opens_the_project_from_the_package(qgis):
    assert qgis["projects"] == ["test_scenario"]
    assert qgis["read"] is True
    assert qgis["uri"] == f"geopackage:{qgis['_path']}?projectName=test_scenario"
    assert qgis["title"] == "redeploy: scenario test_scenario, run 0123456789ab"
    assert qgis["crs"] == "EPSG:4326"
    assert qgis["tree_order"] == [layer_id_of(n) for n in reversed(ORDER)]
    # what QGIS draws, top first: the tree's order without the attribute tables
    assert qgis["render_order"] == [layer_id_of(n) for n in reversed(ORDER) if n not in TABLES]
    for name in ORDER:
        info = qgis["layers"][layer_id_of(name)]
        assert info["valid"], name
        assert info["title"] == layer_title(name)
        assert info["source"] == f"{qgis['_path']}|layername={name}"
    assert qgis["layers"][layer_id_of("flows")]["feature_count"] == len(fixtures.FLOWS)
    for table in TABLES:
        assert qgis["layers"][layer_id_of(table)]["is_spatial"] is False


@pytest.mark.qgis
def test_qgis_reads_labels_legend_units_and_map_tips(qgis):
    layers = qgis["layers"]
    for name, kind in LABELLED.items():
        labels = layers[layer_id_of(name)]["labels"]
        assert labels["enabled"] and labels["type"] == kind, name
        [settings] = labels["settings"]
        assert settings["display_all"] is False and settings["buffer"] is True
    assert layers[layer_id_of("fronts")]["labels"]["settings"][0]["field"] == "name"
    assert layers[layer_id_of("chokepoints")]["labels"]["settings"][0]["placement"] == 6
    assert layers[layer_id_of("zone_allocations")]["labels"]["rules"] == [RECEIVING_ZONES]
    assert layers[layer_id_of("supply_nodes")]["labels"]["enabled"] is False
    legend = layers[layer_id_of("zone_allocations")]["legend"]
    assert legend[0] == "none" and all(c.endswith(" kpe") for c in legend[1:]), legend
    assert layers[layer_id_of("flows")]["legend"] == FLOW_CLASSES
    for name in ORDER[len(TABLES) :]:
        assert layers[layer_id_of(name)]["map_tip"].startswith("<div"), name
    tips = qgis["map_tips_filled"]
    front = tips[layer_id_of("fronts")]
    assert "persons" in front and "kpe" in front and "Source: source baltic" in front
    assert "&lt;chars&gt;" in front and "<chars>" not in front  # data text is escaped
    assert "[%" not in front
    flow = tips[layer_id_of("flows")]
    assert "→" in flow and " km" in flow and "redeploy" in flow


@pytest.mark.qgis
def test_qgis_renders_the_print_layout(qgis):
    layout = qgis["layouts"][LAYOUT_NAME]
    assert layout["page_mm"] == [297.0, 210.0]
    assert "redeploy: scenario test_scenario, run 0123456789ab" in layout["labels"]
    assert source_note() in layout["labels"]
    assert layout["maps"] == 1 and layout["legends"] == 1 and layout["scalebars"] == 1
    assert layout["legend_linked"] and layout["scalebar_linked"]
    assert layout["scalebar_units_label"] == "km"
    assert layout["legend_layers"][0] == layer_title("fronts")
    assert layout["export_result"] == 0
    image = layout["image"]
    # A4 landscape (297 x 210 mm) at 100 dpi
    assert abs(image["width"] - 1169) <= 1 and abs(image["height"] - 827) <= 1, image
    assert image["distinct_colors"] > 300, image
    assert 0.02 < image["non_white_share"] < 0.9, image
    assert Path(layout["png"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.qgis
def test_qgis_shows_sites_posture_and_the_home_pool(qgis):
    layers = qgis["layers"]
    for name in ("sites", "posture"):
        info = layers[layer_id_of(name)]
        assert info["valid"] and info["visible"], name
        assert info["renderer"] == "singleSymbol", name
        assert info["title"] == layer_title(name)
    assert layers[layer_id_of("sites")]["labels"]["settings"][0]["field"] == "name"
    assert layers[layer_id_of("posture")]["labels"]["enabled"] is False
    tips = qgis["map_tips_by_feature"]
    # booleans read back as booleans: QGIS writes yes/no from them
    posture = tips[layer_id_of("posture")]
    assert "Counts as existing presence" in posture["idn_exercise"]
    assert re.search(r"Counts as existing presence</th><td[^>]*>yes<", posture["idn_exercise"])
    assert re.search(r"Counts as existing presence</th><td[^>]*>no<", posture["cod_attache"])
    fronts = tips[layer_id_of("fronts")]
    assert re.search(r"Nuclear sharing</th><td[^>]*>yes<", fronts["korea"])
    assert re.search(r"Nuclear sharing</th><td[^>]*>–<", fronts["baltic"])  # NULL
    zones = tips[layer_id_of("zone_allocations")]
    assert "Access basis" in zones["idn"] and "access_basis idn" in zones["idn"]
    assert re.search(r"Port calls</th><td[^>]*>yes<", zones["idn"])
    # the zone's dollars (the fixture: 0.75 kpe of air at 0.3 = $0.225bn, stored to 9
    # significant digits, so not 0.22499999999999998 as the product of the doubles) and
    # whether a binding floor holds it up
    assert re.search(r"All added, in dollars[^<]*</th><td[^>]*>\$0\.23bn/yr<", zones["idn"])
    assert re.search(r"Held up by a binding scenario floor</th><td[^>]*>no<", zones["idn"])
    assert re.search(r"Held up by a binding scenario floor</th><td[^>]*>yes<", zones["cod"])
    # the home pool: named in flow tips, a feature of front release and zone allocations
    flows = tips[layer_id_of("flows")]
    assert "→ United States (home pool)" in flows["korea__us-home__ground"]
    assert "front to home" in flows["korea__us-home__ground"]
    assert "United States (home pool) →" in flows["us-home__cod__ground"]
    home = tips[layer_id_of("front_release")]["us-home"]
    assert "United States (home pool)" in home and "U.S. home pool · us-home" in home
    assert "Front (release) · korea" in tips[layer_id_of("front_release")]["korea"]
    assert "United States (home pool)" in zones["us-home"]
    assert "U.S. home pool · us-home" in zones["us-home"]
    release = tips[layer_id_of("front_release")]["korea"]
    assert "Sent home, military" in release and "– trade" in release


@pytest.mark.qgis
def test_qgis_labels_say_what_each_zone_receives(qgis):
    zones = qgis["label_texts"][layer_id_of("zone_allocations")]
    names = {z: f"name {z} — “text” & <chars>" for z in ("cod", "fji", "idn")}
    assert zones["cod"] == names["cod"] + "\n+0.4 kpe · +$1.25bn/yr"
    assert zones["fji"] == names["fji"] + "\n+2.0 kpe"
    assert zones["idn"] == names["idn"] + "\n+0.8 kpe"
    sites = qgis["label_texts"][layer_id_of("sites")]
    assert sites == {s: f"name {s} — “text” & <chars>" for s in ("cod_kinshasa", "idn_natuna")}
