"""Real GIS clients read the exports: GDAL's validate_gpkg.py and ogrinfo, and headless QGIS.

The tools come from Debian (``gdal-bin``, ``python3-gdal``, ``qgis``) and run under Debian's
own ``/usr/bin/python3``. Without them these tests skip, except under ``CI=true``, where a
missing tool is a failure. One QGIS process checks every GeoPackage.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from pathlib import Path

import pytest

from redeploy import palette as map_style
from redeploy.export import build_result_layers, write_layers, write_results
from redeploy.schemas import MILITARY_ASSETS, SCHEMAS, LayerKind
from tests.conftest import load_data_module

fixtures = load_data_module("export/fixtures.py", "export_fixtures")

DEBIAN_PYTHON = "/usr/bin/python3"
VALIDATE_GPKG = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"
OGRINFO = "/usr/bin/ogrinfo"
QGIS_CHECK = Path(__file__).parent / "qgis_check.py"
INPUT_KINDS = [k.value for k in LayerKind]
RESULT_KINDS = ["flows", "zone_allocations", "front_release", "ledger", "allies"]
TABLES = ("ledger", "allies")
#: Features per GeoJSON file: 2 of each input kind but the zones (3), result rows per layer.
FEATURES = {
    **dict.fromkeys([k.value for k in LayerKind], 2),
    "peripheral_zones": 3,
    "basemap": 3,
    "flows": len(fixtures.FLOWS),
    "zone_allocations": 4,  # with the home pool (no geometry)
    "front_release": 3,  # with the home pool (a point)
    "ledger": 2,
    "allies": 8,
}


def _require(*paths: str, probe: list[str] | None = None) -> None:
    """Skip when a tool is missing (or its probe command fails); fail instead under CI=true."""
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


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    """Write the layers GPKG, the results GPKG (and one without flows) and GeoJSON files."""
    out = tmp_path_factory.mktemp("gis")
    layers = fixtures.make_layers()
    result = fixtures.make_result()
    write_layers(layers, out / "layers.gpkg", fmt="gpkg")
    write_results(layers, result, out, formats="gpkg,geojson")
    write_results(layers, fixtures.make_result(empty=True), out, name="no_flows", formats="gpkg")
    return {
        "dir": out,
        "layers": out / "layers.gpkg",
        "results": out / "test_scenario.gpkg",
        "no_flows": out / "no_flows.gpkg",
        "geojson": out / "test_scenario-geojson",
    }


# --------------------------------------------------------------------------- GDAL


@pytest.mark.gdal
@pytest.mark.parametrize("which", ["layers", "results", "no_flows"])
def test_validate_gpkg_passes(exports, which):
    _require(DEBIAN_PYTHON, VALIDATE_GPKG)
    done = subprocess.run(
        [DEBIAN_PYTHON, VALIDATE_GPKG, str(exports[which])],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Error" not in done.stdout + done.stderr


@pytest.mark.gdal
@pytest.mark.parametrize("which", ["layers", "results"])
def test_ogrinfo_lists_every_layer_in_epsg_4326(exports, which):
    _require(OGRINFO)
    path = exports[which]
    listing = subprocess.run(
        [OGRINFO, "-ro", "-so", str(path)], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    expected = INPUT_KINDS + (RESULT_KINDS if which == "results" else [])
    for name in expected:
        assert re.search(rf"^\d+: {name} \(", listing, re.MULTILINE), name
    summary = subprocess.run(
        [OGRINFO, "-ro", "-so", "-al", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    blocks = dict(re.findall(r"Layer name: (\w+)\n(.*?)(?=\nLayer name: |\Z)", summary, re.S))
    for name in expected:
        block = blocks[name]
        if name in TABLES:
            assert "Geometry: None" in block
            continue
        assert 'ID["EPSG",4326]' in block, name
        assert 'GEOGCRS["WGS 84"' in block, name
    assert "Geometry: Multi Line String" in blocks.get("flows", "Geometry: Multi Line String")
    # field types as GDAL 3.6 reads them: integers are Integer(64), floats Real
    fronts = blocks["fronts"]
    assert re.search(r"^us_personnel: Integer(64)? ", fronts, re.M)
    assert re.search(r"^threat_level: Integer(64)? ", fronts, re.M)
    assert re.search(r"^us_naval: Real ", fronts, re.M)
    # booleans: BOOLEAN columns GDAL reads as Integer of subtype Boolean
    assert re.search(r"^nuclear_sharing: Integer\(Boolean\) ", fronts, re.M)
    assert re.search(r"^counts: Integer\(Boolean\) ", blocks["posture"], re.M)
    if which == "results":
        release = blocks["front_release"]
        for channel in ("credibility", "counter_alignment", "trade"):
            assert re.search(rf"^risk_{channel}: Real ", release, re.M), channel
        zones = blocks["zone_allocations"]
        assert re.search(r"^access_basis: String ", zones, re.M)
        assert re.search(r"^port_calls: Integer\(Boolean\) ", zones, re.M)
        assert re.search(r"^added_military: Real ", zones, re.M)


@pytest.mark.gdal
def test_ogrinfo_reads_rfc7946_geojson(exports):
    _require(OGRINFO)
    for name in [*INPUT_KINDS, *RESULT_KINDS]:
        path = exports["geojson"] / f"{name}.geojson"
        out = subprocess.run(
            [OGRINFO, "-ro", "-so", "-al", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        assert f"Feature Count: {FEATURES[name]}\n" in out, name
        if name not in TABLES:
            assert 'ID["EPSG",4326]' in out, name
            extent = re.search(r"Extent: \(([-\d.]+), ([-\d.]+)\) - \(([-\d.]+), ([-\d.]+)\)", out)
            xmin, ymin, xmax, ymax = map(float, extent.groups())
            assert -180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90


# --------------------------------------------------------------------------- QGIS


@pytest.fixture(scope="module")
def qgis_report(exports) -> dict:
    _require(
        DEBIAN_PYTHON, "/usr/bin/qgis_process.bin", probe=[DEBIAN_PYTHON, "-c", "import qgis.core"]
    )
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_RUNTIME_DIR": str(exports["dir"] / "xdg"),
    }
    (exports["dir"] / "xdg").mkdir(mode=0o700, exist_ok=True)
    # Debian's python, not the project's: PYTHONPATH/PYTHONHOME of a venv must not leak in.
    for var in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(var, None)
    paths = [str(exports[k]) for k in ("layers", "results", "no_flows")]
    done = subprocess.run(
        [DEBIAN_PYTHON, str(QGIS_CHECK), *paths],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("QGIS_CHECK_JSON ")]
    assert done.returncode == 0 and lines, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads(lines[-1].removeprefix("QGIS_CHECK_JSON "))
    return {Path(k).stem: v for k, v in report["files"].items()} | {
        "_version": report["qgis_version"]
    }


@pytest.mark.qgis
def test_qgis_loads_every_layer_valid_in_4326(qgis_report):
    assert qgis_report["_version"].startswith("3.")
    assert set(qgis_report["layers"]) == set(INPUT_KINDS)
    assert set(qgis_report["test_scenario"]) == set(INPUT_KINDS + RESULT_KINDS)
    for which in ("layers", "test_scenario", "no_flows"):
        for name, info in qgis_report[which].items():
            assert info["valid"], (which, name)
            if name not in TABLES:
                assert info["crs"] == "EPSG:4326", (which, name)
    results = qgis_report["test_scenario"]
    assert results["flows"]["geometry_type"] == "MultiLineString"
    for name in RESULT_KINDS:
        assert results[name]["feature_count"] == FEATURES[name], name
    for table in TABLES:
        assert results[table]["geometry_type"] == "NoGeometry"
    assert qgis_report["no_flows"]["flows"]["feature_count"] == 0
    fields = results["fronts"]["fields"]
    assert fields["us_personnel"].lower().startswith("integer")
    assert fields["us_naval"].lower() == "real"
    # booleans come back as booleans
    assert fields["nuclear_sharing"].lower() == "boolean"
    assert results["posture"]["fields"]["counts"].lower() == "boolean"
    assert results["zone_allocations"]["fields"]["port_calls"].lower() == "boolean"


@pytest.mark.qgis
def test_qgis_applies_the_default_styles_from_the_package(qgis_report):
    results = qgis_report["test_scenario"]
    expected = {
        "flows": "categorizedSymbol",
        "zone_allocations": "graduatedSymbol",
        "front_release": "singleSymbol",
        **dict.fromkeys(INPUT_KINDS, "singleSymbol"),
    }
    for name, renderer in expected.items():
        assert results[name]["renderer"] == renderer, name
        assert results[name]["db_styles"] == [name], name
    # singleSymbol is also QGIS's fallback: the colours prove the stored style was applied
    assert results["basemap"]["colors"] == [map_style.LAND_COLOR]
    for kind in ("fronts", "sites", "posture"):
        assert results[kind]["colors"] == [map_style.LAYER_COLORS[kind]], kind
    assert results["flows"]["attribute"] == "asset"
    assert results["zone_allocations"]["attribute"] == "added_military"
    for table in TABLES:
        assert results[table]["renderer"] is None
    assert results["fronts"]["aliases"]["us_naval"] == "us_naval [kpe]"
    for name in ("flows", "zone_allocations", "front_release"):
        assert qgis_report["no_flows"][name]["db_styles"] == [name]
    # the SLD twin of each style loads too (classes become rules)
    for name in expected:
        assert results[name]["sld_loaded"], (name, results[name].get("sld_message"))
    assert results["flows"]["sld_renderer"] == "RuleRenderer"
    assert results["zone_allocations"]["sld_renderer"] == "RuleRenderer"


@pytest.mark.qgis
def test_qgis_draws_what_the_html_map_draws(qgis_report):
    """Colours, class membership, marker sizes and flow widths evaluated by QGIS itself."""
    layers = fixtures.make_layers()
    result = fixtures.make_result()
    out = build_result_layers(layers, result)
    seen = qgis_report["test_scenario"]
    # markers: diameter = 2 x marker_radius(key figure), missing figures as 0
    for kind in ("fronts", "chokepoints", "mineral_zones", "supply_nodes", "sites", "posture"):
        key = SCHEMAS[LayerKind(kind)].key_figure
        frame = layers[kind]
        figures = frame[key].astype("float64").fillna(0.0)
        vmax = float(figures.max())
        r_min, r_max = map_style.MARKER_RADII[kind]
        for fid, value in zip(frame["id"], figures, strict=True):
            want = 2 * map_style.marker_radius(float(value), vmax, r_min=r_min, r_max=r_max)
            assert seen[kind]["features"][fid]["size"] == pytest.approx(want, abs=0.1), fid
            assert seen[kind]["features"][fid]["color"] == map_style.LAYER_COLORS[kind]
    # flows: colour by asset, width = flow_weight(amount, largest flow of the same unit)
    flows = out["flows"]
    amax = flows.groupby("unit")["amount"].max()
    for row in flows.itertuples():
        got = seen["flows"]["features"][row.id]
        assert got["color"] == map_style.asset_color(row.asset)
        want = map_style.flow_weight(row.amount, float(amax[row.unit]))
        assert got["width"] == pytest.approx(want, abs=0.05)
    # zones: the class colour of military capacity added, as allocation_color gives it
    zones = out["zone_allocations"]
    edges = map_style.allocation_bins(zones["added_military"])
    for row in zones.itertuples():
        want = map_style.allocation_color(row.added_military, edges)
        assert seen["zone_allocations"]["features"][row.id]["color"] == want, row.id
    # front release: sized by military capacity released
    fronts = out["front_release"]
    released = fronts[[f"released_{a}" for a in MILITARY_ASSETS]].sum(axis=1)
    r_min, r_max = map_style.MARKER_RADII["fronts"]
    for fid, value in zip(fronts["id"], released, strict=True):
        want = 2 * map_style.marker_radius(
            float(value), float(released.max()), r_min=r_min, r_max=r_max
        )
        got = seen["front_release"]["features"][fid]["size"]
        assert math.isclose(got, want, abs_tol=0.1), fid
