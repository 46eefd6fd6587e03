"""Tests of redeploy.render: the HTML of maps (not pixels), palette rules, comparisons."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from redeploy import palette
from redeploy.render import panels
from redeploy.render.geojson import (
    compact_geometry,
    decode_geometry,
    marker_points,
    script_data,
    script_json,
)
from redeploy.render.maps import _first_places, build_map, render_html, save_map
from redeploy.render.packing import unpack_collection
from tests.conftest import load_data_module, page_calls

fx = load_data_module("render/fixture.py", "render_fixture")


@pytest.fixture(scope="module")
def layers():
    return fx.fixture_layers()


@pytest.fixture(scope="module")
def result():
    return fx.fixture_result()


@pytest.fixture(scope="module")
def html(layers, result):
    return render_html(build_map(layers, result))


def _page_texts(html: str) -> list[str]:
    """The page's shared texts (`redeploy.render.packing`)."""
    found = page_calls(html, "RD.page(")
    return found[0][0] if found else []


def _collection(data: dict, texts: list[str]) -> dict:
    """One layer's GeoJSON as the page draws it: features made again from columns, texts
    put back, geometries decoded."""
    data = unpack_collection(data, texts)
    for f in data["features"]:
        f["geometry"] = decode_geometry(f["geometry"])
    return data


def _layer_data(html: str) -> list[dict]:
    """The GeoJSON of every drawn layer, in order."""
    texts = _page_texts(html)
    return [_collection(data, texts) for data, _ in page_calls(html, "RD.layer(")]


def _options(rest: str) -> dict:
    """A layer's options: the rest of its `RD.layer` call (``, {...});``)."""
    return json.loads(re.fullmatch(r", (\{.*\})\);", rest)[1])


# ---------------------------------------------------------------------------- offline, stable


def test_no_network_tags(html):
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert "cdn." not in html
    assert "jquery" not in html.lower()
    assert "bootstrap" not in html.lower()
    assert "awesome-markers" not in html.lower()
    # Leaflet is inlined, and its CSS images are data URIs.
    assert "Leaflet 1.9.4" in html
    assert "url(images/" not in html
    assert "sourceMappingURL" not in html


def test_same_inputs_same_bytes(layers, result, tmp_path):
    a = save_map(build_map(layers, result), tmp_path / "a.html").read_bytes()
    b = save_map(build_map(fx.fixture_layers(), fx.fixture_result()), tmp_path / "b.html")
    assert a == b.read_bytes()
    assert not re.search(r"_[0-9a-f]{32}\b", a.decode())


def test_save_map_is_atomic_and_readable(layers, result, tmp_path):
    path = save_map(build_map(layers, result), tmp_path / "sub" / "m.html")
    assert path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["m.html"]
    assert path.stat().st_mode & 0o044 == 0o044


def test_size_is_compact(html):
    # Leaflet alone is ~165 kB; the fixture's data adds little.
    assert len(html.encode()) < 260_000


# ---------------------------------------------------------------------------- content


def test_every_layer_in_the_control(html):
    for name in (
        "Countries (basemap)",
        "Peripheral zones by what this run adds",
        "Critical-mineral zones",
        "Forces moved (kpe)",
        "Engagement funded ($bn/yr)",
        "Supply-chain nodes",
        "Sites that can host U.S. forces",
        "Existing U.S. presence",
        "Maritime chokepoints",
        "Alliance fronts",
        "U.S. home pool",
    ):
        assert f'"{name}" : feature_group_' in html


def test_feature_ids_and_names_present(html, layers):
    for kind in ("fronts", "chokepoints", "supply_nodes", "peripheral_zones"):
        for i in layers[kind]["id"]:
            assert i in html, (kind, i)


def test_flows_one_path_each_multilines_kept(html, result):
    data = _layer_data(html)
    forces, money = [
        d for d in data if any("→" in f["properties"].get("t", "") for f in d["features"])
    ]
    assert len(forces["features"]) + len(money["features"]) == len(result.flows)
    assert len(money["features"]) == int((result.flows["asset"] == "engagement").sum())
    guam = [f for f in forces["features"] if f["properties"]["t"].startswith("Guam")]
    assert guam and all(f["geometry"]["type"] == "MultiLineString" for f in guam)
    for f in guam:
        lons = [pt[0] for part in f["geometry"]["coordinates"] for pt in part]
        # Crosses the Pacific: reaches the antimeridian, never Eurasia west of Guam.
        assert max(lons) == 180.0
        assert min(x for x in lons if x > 0) >= 144.8
    assert "data-rd-flows" in html and "RD.ready(map_" in html
    # Forces and money on width scales of their own: each layer's largest flow is its
    # widest, and engagement is a chain of dots in its own colour.
    for layer, weights in ((forces, palette.FLOW_WEIGHTS), (money, palette.ENGAGEMENT_WEIGHTS)):
        widths = [f["properties"]["w"] for f in layer["features"]]
        assert widths == sorted(widths, reverse=True)
        assert max(widths) == weights[1]
    colors = {f["properties"]["c"] for f in forces["features"]}
    assert colors <= set(palette.ASSET_COLORS.values()) - {palette.asset_color("engagement")}
    assert {f["properties"]["c"] for f in money["features"]} == {palette.asset_color("engagement")}
    assert all(f["properties"]["d"].startswith("0.1 ") for f in money["features"])
    assert not any("d" in f["properties"] for f in forces["features"])


def test_fronts_sized_by_what_leaves_inside_what_is_there(html):
    data = _layer_data(html)
    fronts = next(
        d
        for d in data
        if any(f["properties"].get("t") == "Korean peninsula" for f in d["features"])
    )
    fills = {
        f["properties"]["t"]: f["properties"] for f in fronts["features"] if "t" in f["properties"]
    }
    rings = [f["properties"] for f in fronts["features"] if f["properties"].get("ring")]
    # One ring per front (20 kpe there today at each), the filled circle inside it on the
    # same area scale: Korea 8 kpe leave, NATO 4, Guam 1.
    r_max = palette.MARKER_RADII["fronts"][1]
    assert len(rings) == 3 and {r["r"] for r in rings} == {r_max}
    assert fills["Korean peninsula"]["r"] == round(r_max * (8 / 20) ** 0.5, 1)
    assert (
        fills["Guam and Marianas"]["r"]
        < fills["NATO eastern flank"]["r"]
        < fills["Korean peninsula"]["r"]
    )
    assert ["Leave the front", "8 kpe"] in fills["Korean peninsula"]["rows"]
    assert ["U.S. forces there today", "20 kpe"] in fills["Korean peninsula"]["rows"]
    assert fills["Korean peninsula"]["tt"] == "Korean peninsula · 8 kpe of 20 kpe leave"
    assert "filled = U.S. forces that leave (kpe), ring = U.S. forces there today" in html


def test_markers_sized_by_key_figure(html):
    props = _props(html)
    assert props["Strait of Malacca"]["r"] == palette.MARKER_RADII["chokepoints"][1]
    assert props["Panama Canal"]["r"] < props["Strait of Malacca"]["r"]


def test_popups_carry_units_sources_and_marginal_values(html):
    data = _layer_data(html)
    props = {f["properties"].get("t"): f["properties"] for d in data for f in d["features"]}
    malacca = props["Strait of Malacca"]
    assert ["Oil flow", "23.7 mb/d"] in malacca["rows"]
    assert malacca["src"].startswith("Test source 2024")
    korea = props["Korean peninsula"]
    assert "Marg. value (index)" in korea["tab"]["h"]
    assert "one more unit" in korea["tab"]["f"]
    # Every row of a per-class table names its unit.
    assert [r[0] for r in korea["tab"]["r"]][-1] == "engagement ($bn/yr)"
    assert korea["tab"]["r"][0][0] == "naval (kpe)"
    # Expected delivery below the announced spending: both shown, in one row.
    ledger = next(t for t in korea["tabs"] if t["t"].startswith("Ledger"))
    assert [
        "Ally extra spending",
        "expected delivery $8.5bn/yr of announced $10bn/yr",
    ] in ledger["r"]
    assert "run 0123456789ab" in korea["src"]
    vnm = props["Viet Nam"]
    assert vnm["tab"]["h"][-1] == "Marg. value (index)"
    # Zones carry one fill per choice: forces (kpe), engagement ($bn/yr), value (index).
    assert vnm["fa"][0] != palette.ZONE_EMPTY_COLOR
    brazil = props["Brazil"]["fa"]  # engagement only, no kpe
    assert brazil[0] == palette.ZONE_EMPTY_COLOR and brazil[1] != palette.ZONE_EMPTY_COLOR
    # A flow's amount says forces or money, its transit cost has its unit.
    flows = [
        f["properties"]
        for d in data
        for f in d["features"]
        if f["properties"].get("t") == "NATO eastern flank → DR Congo"
    ]
    rows = sorted(r for f in flows for r in f["rows"] if r[0] in ("Amount", "Transit cost"))
    assert rows == [
        ["Amount", "$1.2bn/yr of engagement (money, not forces)"],
        ["Amount", "3 kpe of forces"],
        ["Transit cost", "0.12 $bn-eq/yr"],
        ["Transit cost", "0.3 $bn-eq/yr"],
    ]


def test_legend_panel_title(html, result):
    assert 'id="rd-legend"' in html and 'id="rd-panel"' in html and 'id="rd-title"' in html
    for asset in set(palette.ASSET_COLORS) - {"engagement"}:
        assert f">{asset}</span>" in html
    assert "Engagement funded ($bn/yr)" in html
    assert "Freed U.S. forces by front" in html
    assert "By region: existing U.S. presence and what this run adds" in html
    assert "Strategic value" in html
    assert result.run_id in html
    assert "Natural Earth" in html


# ---------------------------------------------------------------------------- safety


def test_hostile_text_is_escaped_everywhere(html):
    # No raw payload anywhere in the page: names, sources and the description are escaped
    # in HTML blocks, and written with \u003c escapes inside scripts (in the JSON text a
    # script reads, `script_data`, whose backslashes are escaped once more).
    assert fx.XSS_NAME not in html
    assert fx.XSS_FLAG_NAME not in html
    assert "<script>window.__xss" not in html
    assert "</script><script>window" not in html
    assert "&lt;script&gt;window.__xss=3&lt;/script&gt;" in html
    assert "\\\\u003cimg src=x onerror=alert(1)\\\\u003e" in html
    # Every <script> element closes where it should: count opens and closes.
    assert html.count("<script>") == html.count("</script>")


def test_layer_names_are_escaped(layers, result):
    m = build_map(layers, result, title="<b>Title</b>")
    text = render_html(m)
    assert "<b>Title</b>" not in text
    assert "&lt;b&gt;Title&lt;/b&gt;" in text


def test_script_json_escapes_closers():
    text = script_json({"a": "</script><!--&\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><!--&\u2028"}


def test_script_json_never_opens_a_jinja_tag():
    value = {"a": "{{ x }} {% y %} {# z #} {{{ \\{{", "b": [{"c": {"d": 1}}]}
    text = script_json(value)
    assert not re.search(r"\{[{%#]", text)
    assert json.loads(text) == value


def test_script_data_is_the_json_text_in_one_quoted_string():
    value = {"a": "it's </script><!--& \\ \n {{ x }} {% y %}\u2028", "b": [1.5, None, True]}
    text = script_data(value)
    assert text.startswith("JSON.parse('") and text.endswith("')")
    inner = text[len("JSON.parse('") : -2]
    assert not re.search(r"[<>&\n\u2028]|\{[{%#]", inner)
    assert not re.search(r"(?<!\\)(\\\\)*'", inner)  # every quote escaped: one string
    assert page_calls(f"RD.layer({text}, 1);\n", "RD.layer(") == [(value, ", 1);")]


def test_jinja_text_in_data_is_shown_not_run(layers, result, monkeypatch):
    # branca compiles Element(text) as a Jinja template: data must never reach one, or
    # "{{ ... }}" in a layer would run Python while the page renders.
    monkeypatch.delenv("RD_JINJA_RAN", raising=False)
    run = "{{ lipsum.__globals__['os'].environ.__setitem__('RD_JINJA_RAN', '1') }}"
    hostile = {k: v.copy() for k, v in layers.items()}
    fronts = hostile["fronts"]
    fronts.loc[fronts.index[0], "name"] = "{{ 7*7 }} {% if true %}J{% endif %}"
    fronts.loc[fronts.index[1], "source"] = run
    fronts.loc[fronts.index[2], "notes"] = "unbalanced {{ and {# and {% endif"
    desc = "{{ 7*7 }}\n\n\n{# open comment"
    text = render_html(build_map(hostile, dataclasses.replace(result, description=desc)))
    assert "RD_JINJA_RAN" not in os.environ
    assert not re.search(r"\{[{%#]", text)
    # Shown as text: escaped in the panel (blank lines kept), \u007b-escaped in the data
    # (inside the string a script reads as JSON, its backslash escaped once more).
    assert "&#123;&#123; 7*7 &#125;&#125;&#10;&#10;&#10;&#123;# open comment" in text
    assert "\\\\u007b{ 7*7 }} \\\\u007b% if true %}J\\\\u007b% endif %}" in text
    assert "\\\\u007b{ lipsum" in text


def test_data_that_looks_like_an_element_id_is_kept(layers, result):
    source = "https://example.org/file_0123456789abcdef0123456789abcdef.pdf"
    hostile = {k: v.copy() for k, v in layers.items()}
    hostile["chokepoints"]["source"] = source
    text = render_html(build_map(hostile, result))
    assert text.count(source) >= 2  # the popups' data and the panel's sources list
    assert not re.search(r"_[0-9a-f]{32}(?![0-9a-z])", text.replace(source, ""))


# ---------------------------------------------------------------------------- options


def test_tiles_option_adds_provider(layers, result):
    text = render_html(build_map(layers, result, tiles="OpenStreetMap.Mapnik"))
    assert "tile.openstreetmap.org" in text
    assert not re.search(r"<script[^>]+src=", text)


def test_unknown_tiles_rejected(layers, result):
    with pytest.raises(ValueError, match=r"unknown tile provider 'Nope\.Nothing'"):
        build_map(layers, result, tiles="Nope.Nothing")


def test_missing_layers_are_left_out(result):
    layers = {"peripheral_zones": fx.fixture_layers()["peripheral_zones"]}
    text = render_html(build_map(layers, result))
    assert '"Alliance fronts"' not in text
    assert '"Forces moved (kpe)"' in text and '"Engagement funded ($bn/yr)"' in text


def test_basemap_is_simplified_and_quantised():
    from shapely.geometry import Point

    geom = Point(0.123456789, 1.0).buffer(1.0, quad_segs=64)
    encoded = compact_geometry(geom, precision=2, simplify=0.05)
    assert all(isinstance(v, int) for v in encoded["q"][0])
    out = decode_geometry(encoded)
    ring = out["coordinates"][0]
    assert len(ring) < 40
    assert all(round(x, 2) == x and round(y, 2) == y for x, y in ring)
    assert ring[0] == ring[-1]
    plain = compact_geometry(geom, precision=2, simplify=0.05, encode=False)
    assert plain["coordinates"][0] == ring


# ---------------------------------------------------------------------------- style


def test_allocation_bins_are_nice():
    assert palette.allocation_bins([0, 3.2, 12]) == [1.0, 2.0, 5.0, 10.0, 20.0]
    assert palette.allocation_bins([0, 0]) == []
    assert palette.allocation_bins([0.3]) == [0.02, 0.05, 0.1, 0.2, 0.5]


def test_allocation_colors():
    edges = [1.0, 2.0, 5.0, 10.0, 20.0]
    assert palette.allocation_color(0, edges) == palette.ZONE_EMPTY_COLOR
    assert palette.allocation_color(0.5, edges) == palette.ALLOCATION_RAMP[0]
    assert palette.allocation_color(20, edges) == palette.ALLOCATION_RAMP[-1]
    assert palette.allocation_color(float("nan"), edges) == palette.ZONE_EMPTY_COLOR


def test_change_scale_is_symmetric():
    edges = palette.change_bins([-3.0, 1.0])
    assert edges == [1.0, 2.0, 5.0]
    mid = len(palette.CHANGE_RAMP) // 2
    assert palette.change_color(0.0, edges) == palette.CHANGE_RAMP[mid]
    assert palette.change_color(4.0, edges) == palette.CHANGE_RAMP[-1]
    assert palette.change_color(-4.0, edges) == palette.CHANGE_RAMP[0]


def test_marker_radius_area_rule():
    assert palette.marker_radius(0, 10) == 4.0
    assert palette.marker_radius(10, 10) == 16.0
    assert palette.marker_radius(2.5, 10, r_min=0, r_max=10) == 5.0  # sqrt(1/4)
    assert palette.marker_radius(5, 0) == 4.0


def test_palette_is_plain_data():
    json.dumps(
        {
            "asset_colors": dict(palette.ASSET_COLORS),
            "layer_colors": dict(palette.LAYER_COLORS),
            "marker_radii": {k: list(v) for k, v in palette.MARKER_RADII.items()},
            "flow_change_styles": {k: dict(v) for k, v in palette.FLOW_CHANGE_STYLES.items()},
        }
    )


# ---------------------------------------------------------------------------- compare


@pytest.fixture(scope="module")
def pair():
    a = fx.fixture_result("base")
    b = fx.fixture_result("more", scale=1.5, drop=1, add_extra=True)
    return a, b


def test_compare_table(pair):
    from redeploy.render.compare import COMPARE_COLUMNS, compare_results

    table = compare_results(*pair)
    assert tuple(table.columns) == COMPARE_COLUMNS
    flows = table[table["kind"] == "flow"].set_index(["front_id", "zone_id", "asset"])
    assert flows.loc[("korea", "bra", "ground"), "status"] == "new"
    assert flows.loc[("nato_east", "cod", "engagement"), "status"] == "gone"
    assert flows.loc[("korea", "vnm", "air"), "status"] == "grow"
    assert flows.loc[("korea", "vnm", "air"), "change"] == pytest.approx(1.0)
    zones = table[table["kind"] == "zone"].set_index(["zone_id", "asset"])
    assert zones.loc[("cod", "ground"), "b"] == pytest.approx(4.5)
    assert zones.loc[("cod", "ground"), "unit"] == "kpe"
    shrink = compare_results(pair[1], pair[0])
    assert "shrink" in set(shrink["status"])


def test_write_comparison(pair, layers, tmp_path):
    from redeploy.render.compare import write_comparison

    html_path, csv_path = write_comparison(layers, *pair, tmp_path)
    assert html_path.name == "base-vs-more.html"
    assert csv_path.name == "base-vs-more.csv"
    text = html_path.read_text()
    assert not re.search(r"<script[^>]+src=", text)
    assert fx.XSS_NAME not in text
    for label in ("appears in B", "grows", "disappears in B"):
        assert label in text
    assert csv_path.read_text().splitlines()[0] == (
        "kind,front_id,zone_id,region,asset,unit,a,b,change,status"
    )
    again = write_comparison(layers, *pair, tmp_path / "again")
    assert again[0].read_bytes() == html_path.read_bytes()
    assert again[1].read_bytes() == csv_path.read_bytes()
    flows = _layer_data(text)
    flow_props = [
        f["properties"] for d in flows for f in d["features"] if "→" in f["properties"].get("t", "")
    ]
    assert len(flow_props) == 10  # 9 in A, one dropped, one added: union of 10
    gone = [p for p in flow_props if p["c"] == palette.FLOW_CHANGE_STYLES["gone"]["c"]]
    # The flow that disappears is engagement: it keeps its dots, in the colour of "gone".
    assert len(gone) == 1 and gone[0]["d"].startswith("0.1 ")
    # Widths follow the change (forces and engagement each on its own scale), and the
    # side-by-side view gets each run's own width (0 where a run has no such flow).
    vnm = next(p for p in flow_props if p["t"] == "Korean peninsula → Viet Nam")
    assert vnm["rows"][0] == ["Change", "+1 kpe (grows)"]
    assert vnm["ab"][0] > 0 and vnm["ab"][1] > vnm["ab"][0]
    assert gone[0]["ab"][1] == 0 and gone[0]["ab"][0] > 0
    new = next(p for p in flow_props if p["t"] == "Korean peninsula → Brazil")
    assert new["w"] == palette.FLOW_WEIGHTS[1]  # +1.5 kpe: the largest change of forces
    assert new["ab"][0] == 0
    assert gone[0]["w"] == palette.ENGAGEMENT_WEIGHTS[1]  # −$1.2bn/yr: the largest of money


def test_write_map_names_file_by_scenario(layers, result, tmp_path):
    from redeploy.render import write_map

    files = write_map(layers, result, tmp_path / "maps")
    assert [p.name for p in files] == ["fixture.html"]
    assert files[0].read_text().startswith("<!DOCTYPE html>")


def test_zone_metric_engagement(layers, result):
    text = render_html(build_map(layers, result, zone_metric="engagement"))
    assert 'name="rd-metric" value="1" checked>Engagement ($bn/yr)' in text
    assert '<div data-rd-metric="0" title="forces added" hidden>' in text


def test_zone_metric_total_dollars_from_the_zones_table(layers, result):
    """The total is the model's `added_bn` (forces at U.S. cost plus engagement), read from
    the zones table, never kpe added to $bn in the page."""
    text = render_html(build_map(layers, result, zone_metric="total"))
    assert 'name="rd-metric" value="2" checked>Total ($bn/yr)' in text
    assert 'title="total dollars added: forces at their U.S. cost plus engagement"' in text
    assert "the model&#x27;s U.S. cost per kpe, plus engagement ($bn/yr)" in text
    props = _props(text)
    assert all(len(p["fa"]) == 4 for p in props.values() if "fa" in p)
    vnm, brazil = props["Viet Nam"]["fa"], props["Brazil"]["fa"]
    assert vnm[2] != palette.ZONE_EMPTY_COLOR and brazil[2] != palette.ZONE_EMPTY_COLOR
    # Only Brazil's dollars in the table: Viet Nam's forces no longer colour the total.
    zones = result.zones.assign(
        added_bn=result.zones["added_bn"].where(result.zones["zone_id"] == "bra", 0.0)
    )
    only = _props(render_html(build_map(layers, dataclasses.replace(result, zones=zones))))
    assert only["Viet Nam"]["fa"][2] == palette.ZONE_EMPTY_COLOR
    assert only["Viet Nam"]["fa"][0] == vnm[0]  # forces (kpe) unchanged
    assert only["Brazil"]["fa"][2] != palette.ZONE_EMPTY_COLOR


# ---------------------------------------------------------------------------- CLI


def test_cli_run_writes_map_and_compare(tmp_path):
    from typer.testing import CliRunner

    from redeploy.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["run", "--format", "csv", "--out", str(tmp_path), "--quiet"])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "baseline.html").read_text()
    assert not re.search(r"<script[^>]+src=", html)
    assert len(html.encode()) < 1_500_000  # the shipped baseline map's budget
    res = runner.invoke(
        app, ["compare", "baseline", "no-repricing", "--out", str(tmp_path), "--quiet"]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "baseline-vs-no-repricing.html").is_file()
    assert (tmp_path / "baseline-vs-no-repricing.csv").is_file()
    from redeploy.io import check_sets  # each command's files published as one set

    sets = {c.name: c for c in check_sets(tmp_path)}
    assert sets["baseline-vs-no-repricing"].files == (
        "baseline-vs-no-repricing.csv",
        "baseline-vs-no-repricing.html",
    )
    assert all(c.ok for c in sets.values()) and len(sets["baseline"].files) == 7


def test_cli_rejects_unknown_tiles(tmp_path):
    from typer.testing import CliRunner

    from redeploy.cli import app

    res = CliRunner().invoke(app, ["run", "--tiles", "Nope.X", "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert not list(tmp_path.iterdir())


def test_run_without_flows_still_lists_flows(layers, result):
    import dataclasses

    empty = dataclasses.replace(
        result, flows=result.flows.iloc[0:0], routes=result.routes.iloc[0:0]
    )
    text = render_html(build_map(layers, empty))
    assert '"Forces moved (kpe)" : feature_group_' in text
    assert '"Engagement funded ($bn/yr)" : feature_group_' in text
    assert "no capacity moves" in text
    assert re.search(r"RD\.ready\(map_\w+, 0, ", text)


# ---------------------------------------------------------------------------- the four pages

hostile_inputs = load_data_module("render/hostile.py", "render_hostile")

_ALLOWED_TAGS = {
    "html",
    "head",
    "title",
    "meta",
    "style",
    "script",
    "body",
    "div",
    "details",
    "summary",
    "b",
    "span",
    "svg",
    "circle",
    "polygon",
    "polyline",
    "rect",
    "line",
    "text",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "ul",
    "li",
    "code",
    "label",
    "input",
}


class _Tags(HTMLParser):
    """Every tag and attribute a browser would see, and the text of <style> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[tuple] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in _ALLOWED_TAGS:
            self.bad.append((tag, attrs))
        for name, value in attrs:
            if name.startswith("on") or name in ("src", "href", "xlink:href", "action"):
                self.bad.append((tag, name, value))
            if name == "style" and "url(" in (value or ""):
                self.bad.append((tag, name, value))

    def handle_data(self, data):
        if self.lasttag == "style":
            self.styles.append(data)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    os.environ.pop("RD_JINJA_RAN", None)
    return hostile_inputs.hostile_pages(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("kind", ["run", "compare", "frontier", "sweep"])
def test_hostile_page_shows_payloads_as_text(hostile, kind):
    text = hostile[kind].read_text(encoding="utf-8")
    assert "RD_JINJA_RAN" not in os.environ
    # No Jinja tag left anywhere: none was run, none could be.
    assert not re.search(r"\{[{%#]", text)
    # Only the page's own elements and attributes: no payload became markup.
    parser = _Tags()
    parser.feed(text)
    assert not parser.bad, parser.bad[:5]
    for css in parser.styles:
        assert all(
            u.startswith(("data:", "#default#VML"))
            for u in re.findall(r"url\(\s*['\"]?([^)'\"]*)", css)
        )
        assert "@import" not in css
    # The description is in the panel as text, blank lines kept; an id-like source too.
    assert panels.esc(" ".join(hostile_inputs.PAYLOADS) + "\n\n\nend") in text
    assert hostile_inputs.HASH_SOURCE in text
    assert text.count("<script>") == text.count("</script>") == 4


def test_hostile_pages_same_inputs_same_bytes(hostile, tmp_path):
    again = hostile_inputs.run_all(hostile["run"].parent.parent, tmp_path, sweep=False)
    for kind, path in again.items():
        assert path.read_bytes() == hostile[kind].read_bytes(), kind


# ---------------------------------------------------------------------------- the v2 result


def _props(html: str) -> dict[str, dict]:
    """Feature properties by title (the first feature of each title)."""
    out: dict[str, dict] = {}
    for data in _layer_data(html):
        for f in data["features"]:
            out.setdefault(f["properties"].get("t"), {**f["properties"], "_geom": f["geometry"]})
    return out


class _PanelTables(HTMLParser):
    """The tables of the page's side panel as lists of rows (cell texts)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _panel_tables(html: str) -> list[list[list[str]]]:
    start = html.index('<div id="rd-panel"')
    end = html.index('<div id="rd-legend"')
    parser = _PanelTables()
    parser.feed(html[start:end])
    return parser.tables


def _table_with(tables, first_cell: str) -> dict[str, list[str]]:
    """The panel table holding a row that starts with `first_cell`, rows by first cell."""
    for t in tables:
        if any(r and r[0] == first_cell for r in t):
            return {r[0]: r[1:] for r in t if r}
    raise AssertionError(f"no panel table with a row {first_cell!r}")


def test_home_pool_marker_and_popup(html):
    from redeploy.model.base import HOME_LONLAT

    assert '"U.S. home pool" : feature_group_' in html
    home = _props(html)["United States (home pool)"]
    assert home["sh"] == "home"
    assert home["_geom"] == {"type": "Point", "coordinates": list(HOME_LONLAT)}
    rows = dict(map(tuple, home["rows"]))
    assert rows["Received from fronts"] == "1 kpe"
    assert rows["Sent abroad"] == "0.5 kpe"
    assert rows["Reserve at home (scenario)"] == "0.25 kpe"
    assert rows["Kept at home"] == "0.75 kpe"
    assert ["ground", "1", "0.5"] in home["tab"]["r"]
    tabs = {t["t"]: t["r"] for t in home["tabs"]}
    assert tabs["Returned home from"] == [["Korean peninsula", "ground", "1"]]
    assert tabs["Sent from home to"] == [["Panama", "ground", "0.5"]]
    # The page draws a star for it (CSS), and the legend names it.
    assert "p.sh === 'home'" in html
    assert "United States (home pool): received, sent abroad, reserve" in html


def test_no_home_marker_without_a_home_pool(layers, result):
    from redeploy.model.base import HOME_ID

    v1 = dataclasses.replace(
        result,
        fronts=result.fronts[result.fronts["front_id"] != HOME_ID],
        zones=result.zones[result.zones["zone_id"] != HOME_ID],
        totals={},
    )
    assert '"U.S. home pool"' not in render_html(build_map(layers, v1))


def test_flows_name_the_home_pool(html):
    titles = {t: p for t, p in _props(html).items() if t and "→" in t}
    to_home = titles["Korean peninsula → United States (home pool)"]
    from_home = titles["United States (home pool) → Panama"]
    assert to_home["k"].startswith("ground flow home")
    assert from_home["k"].startswith("ground flow from home")
    assert "United States (home pool)" in to_home["tt"]
    assert not any("us-home" in t for t in titles)


def test_sites_and_posture_layers(html):
    data = _layer_data(html)
    props = _props(html)
    site = props["Howard (former air base)"]
    rows = dict(map(tuple, site["rows"]))
    assert rows["Facility"] == "agreed_location"
    assert rows["Agreement"] == "Panama MoU (test)"
    assert rows["Status"] == "active"
    assert site["tab"]["h"] == ["Class", "Can host (kpe)"]
    assert ["ground", "1"] in site["tab"]["r"]
    presence = props["Rotational presence, Panama"]
    rows = dict(map(tuple, presence["rows"]))
    assert rows["Kind of presence"] == "rotational"
    assert rows["Date"] == "2025"
    assert rows["Personnel"] == "200"
    assert rows["Weeks a year"] == "26 weeks"
    assert rows["Counts as existing presence"] == "yes"
    assert presence["tab"]["h"] == ["Class", "Presence (kpe)"]
    assert ["ground", "0.1"] in presence["tab"]["r"]
    assert "Test source 2024" in presence["src"]
    # The larger site (by its key figure) gets the larger marker.
    assert props["Kinshasa airfield"]["r"] > site["r"]
    # The existing presence is drawn as rings in its own colour, apart from what the run
    # adds (zone fill, flows); sites as filled markers.
    by_title = {}
    for collection, rest in page_calls(html, "RD.layer("):
        features = _collection(collection, _page_texts(html))["features"]
        titles = {f["properties"].get("t") for f in features}
        by_title.update(dict.fromkeys(titles, _options(rest)["style"]))
    ring = by_title["Rotational presence, Panama"]
    filled = by_title["Howard (former air base)"]
    assert ring["color"] == ring["fillColor"] == palette.LAYER_COLORS["posture"]
    assert ring["fillOpacity"] < 0.5 <= filled["fillOpacity"]
    assert filled["fillColor"] == palette.LAYER_COLORS["sites"]
    assert len(data) >= 9
    assert "Existing U.S. presence: Personnel, largest 200" in html
    assert "Sites that can host U.S. forces: Can host (ground), largest 2 kpe" in html


def test_zone_popup_existing_added_capacity_and_access_basis(html):
    pan = _props(html)["Panama"]
    assert pan["tab"]["h"] == [
        "Asset",
        "Capacity",
        "Existing",
        "Added",
        "Value (index)",
        "Marg. value (index)",
    ]
    assert ["ground (kpe)", "2", "0.1", "0.5", "1", "0.5"] in pan["tab"]["r"]
    rows = dict(map(tuple, pan["rows"]))
    assert rows["Existing U.S. presence"] == "0.1 kpe"
    assert rows["Added by this run"] == "2 kpe"
    # Free text as given (its ';' kept), never markup: \u003c-escaped in the page's data.
    assert rows["Access basis"] == fx.XSS_ACCESS_BASIS
    assert rows["Port calls"] == "yes"
    assert rows["At-sea naval room"] == "0.25 kpe"
    assert fx.XSS_ACCESS_BASIS not in html
    assert "MoU 2025 \\\\u003cb onmouseover" in html  # in the JSON text a script reads
    assert pan["tt"] == "Panama · adds 2 kpe · existing U.S. presence 0.1 kpe"
    assert _props(html)["DR Congo"]["tt"] == "DR Congo · adds 3 kpe and $1.2bn/yr"
    assert "Zones coloured by what this run adds" in html
    assert "Existing U.S. presence (0.1 kpe) is not in this colour" in html
    # The old "Room" column read the layer's absorb_ figures, which the model no longer
    # uses where sites exist.
    assert "Room" not in pan["tab"]["h"]


def test_front_popup_risk_breakdown_and_allies(html, result):
    from redeploy.schemas import MILITARY_ASSETS, RISK_CHANNELS

    korea = _props(html)["Korean peninsula"]
    assert korea["tab"]["h"] == [
        "Asset",
        "Baseline",
        "Floor",
        "Freed",
        "Released",
        "To home",
        "Converted",
        "Retained",
        "Marg. value (index)",
    ]
    row = ["ground (kpe)", "5", "8", "1.5", "1", "1", "0", "0.5", "0.25"]
    assert row in korea["tab"]["r"]
    tabs = {t["t"].split(" (")[0].split(":")[0]: t for t in korea["tabs"]}
    risk = tabs["Risk by channel"]
    mine = result.fronts[result.fronts["front_id"] == "korea"]
    expected = [
        [c.replace("_", "-"), panels.fmt_number(float(mine[f"risk_{c}"].sum()))]
        for c in RISK_CHANNELS
        if mine[f"risk_{c}"].sum() > 0
    ]
    assert risk["r"][:-1] == expected
    assert [r[0] for r in risk["r"][:-1]] == [
        "credibility",
        "fragmentation",
        "opportunism",
        "counter-alignment",
        "proliferation",
        "trade",
    ]  # autonomy and backlash are 0 at this front
    assert risk["r"][-1] == ["All channels", panels.fmt_number(float(mine["risk"].sum()))]
    allies = tabs["Allies' side"]
    assert allies["h"][:3] == ["Class", "Dependence", "Gap (kpe)"]
    assert [r[0] for r in allies["r"]] == list(MILITARY_ASSETS)
    assert ["ground", "80%", "0.4", "0.1", "0.6"] in allies["r"]
    ledger = dict(map(tuple, tabs["Ledger"]["r"]))
    assert ledger["Inflow to U.S. industry"] == "$2.5bn/yr"
    assert ledger["U.S. cost of forces sent home"] == "$200m/yr"
    assert ledger["Price per retained kpe"] == "0.8 $bn/yr per kpe"
    assert "Ally expected delivery" not in ledger  # folded into the announced row
    # The front's own (layer) figures are folded away, after the model's tables.
    assert korea["more"]["t"] == "Alliance front figures (layer)"
    assert ["Hosts", "KOR"] in korea["more"]["r"]


def test_ledger_labels_cover_the_ledger():
    from redeploy.model.result import LEDGER_COLUMNS
    from redeploy.render.popups import LEDGER_LABELS

    assert set(LEDGER_LABELS) == set(LEDGER_COLUMNS) - {"front_id"}
    assert all(unit for _, unit in LEDGER_LABELS.values())


def test_expected_delivery_equal_to_announced_is_one_plain_row(result):
    from redeploy.render.popups import ledger_rows

    ledger = result.ledger.copy()
    ledger["ally_expected_spending_bn"] = ledger["ally_extra_spending_bn"]
    rows = dict(map(tuple, ledger_rows("korea", dataclasses.replace(result, ledger=ledger))))
    assert rows["Ally extra spending"] == "$10bn/yr"
    assert rows["Ally expected delivery"] == "$10bn/yr"


def test_panel_channels_home_regions_and_allies(html, result):
    from redeploy.schemas import RISK_CHANNELS

    tables = _panel_tables(html)
    objective = _table_with(tables, "Strategic value")
    channels = [k.strip("· ").split(" (")[0] for k in objective if k.startswith("·")]
    nonzero = [c.replace("_", "-") for c in RISK_CHANNELS if result.objective[f"risk_{c}"] > 0]
    assert channels == nonzero and "autonomy" not in channels
    unweighted = panels.fmt_number(result.meta["risk_unweighted"]["credibility"])
    assert objective[f"· credibility (weight 2, unweighted {unweighted})"] == [
        panels.fmt_number(result.objective["risk_credibility"])
    ]
    assert objective["= Total"] == [panels.fmt_number(result.objective["total"])]
    home = _table_with(tables, "Received from fronts")
    assert home["Sent abroad"] == ["0.5"] and home["Reserve at home (scenario)"] == ["0.25"]
    regions = _table_with(tables, "Region")
    assert regions["Central America"][:2] == ["0.1", "2"]  # existing, added
    assert "United States" not in regions
    fronts = _table_with(tables, "Korean peninsula")
    assert "United States (home pool)" not in fronts
    allies = _table_with(tables, "Ally (front)")
    assert allies["Ally (front)"] == ["Burden", "Depends on", "Gap kpe"]
    assert allies["Korean peninsula"] == ["15%", "isr 95%", "ground 0.4"]
    assert "Allies announce $30bn/yr of extra spending; expected delivery $25.5bn/yr" in html
    assert panels.headline(result) == (
        "Allies pay $30bn/yr more; 7.7 kpe of U.S. forces and $2bn/yr of engagement go "
        "abroad to 6 zones"
    )


def test_panel_text_is_escaped(layers, result):
    allies = result.ledger.copy()
    hostile = {k: v.copy() for k, v in layers.items()}
    hostile["fronts"].loc[hostile["fronts"]["id"] == "korea", "name"] = fx.XSS_NAME
    text = render_html(build_map(hostile, dataclasses.replace(result, ledger=allies)))
    panel = text[text.index('<div id="rd-panel"') : text.index('<div id="rd-legend"')]
    assert fx.XSS_NAME not in panel
    assert panels.esc(fx.XSS_NAME) in panel


# ---------------------------------------------------------------------------- frontier page


@pytest.fixture(scope="module")
def frontier_html(layers):
    from redeploy.render.frontier import build_frontier_map

    return render_html(build_frontier_map(layers, fx.fixture_frontier("credibility")))


def test_frontier_page_shows_the_binding_channel(frontier_html):
    frontier = fx.fixture_frontier("credibility")
    points = re.findall(
        r'<circle class="rdf-pt" data-k="(\d+)" data-channel="([a-z_]*)"[^>]*fill="(#\w+)"',
        frontier_html,
    )
    assert [(k, c) for k, c, _ in points] == [
        (str(p), c)
        for p, c in zip(frontier.table["point"], frontier.table["top_channel"], strict=True)
    ]
    for _, channel, fill in points:
        assert fill == palette.channel_color(channel)
    assert palette.channel_color("credibility") != palette.channel_color("trade")
    # Each point's details and the all-points table name its binding channel.
    assert "Binding channel (largest risk)" in frontier_html
    tables = _panel_tables(frontier_html)
    every = _table_with(tables, "λ_credibility")
    assert every["λ_credibility"] == ["Net value", "Risk", "Binding channel"]
    assert [v[-1] for k, v in every.items() if k != "λ_credibility"] == [
        "none",
        "trade",
        "credibility",
        "trade",
    ]
    # The swept weight is named in the subtitle, the help and the axis.
    assert "the credibility channel&#x27;s weight λ_credibility" in frontier_html
    assert "the weight λ_credibility of the credibility channel alone" in frontier_html
    assert "Risk accepted, credibility ($bn-eq/yr)" in frontier_html
    assert "Colour: binding channel" in frontier_html


def test_frontier_page_common_lambda_and_png(layers, tmp_path):
    from redeploy.render.chart import plot_frontier
    from redeploy.render.frontier import build_frontier_map

    frontier = fx.fixture_frontier(None)
    text = render_html(build_frontier_map(layers, frontier))
    assert "the common risk weight λ of every channel" in text
    assert "Risk accepted, every channel ($bn-eq/yr)" in text
    assert text == render_html(build_frontier_map(layers, fx.fixture_frontier(None)))
    png = plot_frontier(fx.fixture_frontier("credibility"), tmp_path / "f.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    again = plot_frontier(fx.fixture_frontier("credibility"), tmp_path / "g.png")
    assert again.read_bytes() == png


# ---------------------------------------------------------------------------- compare, sweep


def test_compare_handles_the_home_pool(pair, layers):
    from redeploy.model.base import HOME_ID
    from redeploy.render.compare import build_compare_map, compare_results

    table = compare_results(*pair)
    home = table[(table["kind"] == "zone") & (table["zone_id"] == HOME_ID)]
    assert home.loc[home["asset"] == "ground", "b"].item() == pytest.approx(1.5)
    text = render_html(build_compare_map(layers, *pair, table=table))
    tables = _panel_tables(text)
    home_rows = _table_with(tables, "Sent abroad from home")
    assert home_rows["Returned home"] == ["1", "1.5", "+0.5"]
    assert home_rows["Sent abroad from home"] == ["0.5", "0.75", "+0.25"]
    regions = _table_with(tables, "Region")
    assert "United States" not in regions and "United States (kpe)" not in regions
    objective = _table_with(tables, "value")
    assert "· credibility" in objective and "· autonomy" not in objective
    assert "Korean peninsula → United States (home pool)" in text


def test_robustness_page_lists_channels_and_totals(layers, result):
    from redeploy.model.sweep import SUMMARY_COLUMNS
    from redeploy.render.robustness import build_robustness_map

    def row(kind, ident, metric, mean, p_positive=None):
        return (kind, ident, metric, "", 10, mean, 0.1, mean * 0.8, mean, mean * 1.2, p_positive)

    summary = pd.DataFrame(
        [
            row("objective", "", "value", 5.0),
            row("objective", "", "risk", 2.0),
            row("objective", "", "risk_credibility", 0.5),
            row("objective", "", "risk_autonomy", 0.0),
            row("objective", "", "total", 2.5),
            row("total", "", "converted_kpe", 20.0),
            row("total", "", "home_kpe", 1.4),
            row("total", "", "released_kpe", 2.7),
            row("zone", "pan", "military_kpe", 0.5, 1.0),
            row("zone", "pan", "engagement_bn", 0.0, 0.0),
        ],
        columns=list(SUMMARY_COLUMNS),
    )
    text = render_html(build_robustness_map(layers, summary, result))
    tables = _panel_tables(text)
    objective = _table_with(tables, "Strategic value")
    assert objective["· credibility"][0] == "0.5"
    assert "· autonomy" not in objective
    totals = _table_with(tables, "Sent home")
    assert list(totals)[1:] == ["Released from fronts", "Sent home", "Converted to engagement"]
    assert totals["Sent home"] == ["1.4", "1.1", "1.7"]


# ---------------------------------------------------------------------------- briefing


def test_numbers_read_as_people_write_them():
    from redeploy.render.format import fmt_money, fmt_number, fmt_value

    assert fmt_value(0.0061, "$bn/yr") == "$6m/yr"
    assert fmt_value(0.196, "kpe") == "0.2 kpe"
    assert fmt_value(2.46, "$bn/yr") == "$2.5bn/yr"
    assert fmt_value(68.96, "$bn/yr") == "$69bn/yr"
    assert fmt_value(0.331, "share") == "33%" and fmt_value(0.0825, "share") == "8.2%"
    assert fmt_value(16.908, "$bn-eq/yr") == "16.9 $bn-eq/yr"
    assert fmt_money(-1.5) == "−$1.5bn/yr" and fmt_money(0.9996) == "$1bn/yr"
    assert [fmt_number(v) for v in (0.000012, 10.0, 37009.0)] == ["0.000012", "10", "37,009"]


def test_every_page_carries_the_key_of_units(html, frontier_html, pair, layers, hostile):
    from redeploy.render.compare import build_compare_map

    pages = {
        "run": html,
        "frontier": frontier_html,
        "compare": render_html(build_compare_map(layers, *pair)),
        "sweep": hostile["sweep"].read_text(encoding="utf-8"),
    }
    for name, text in pages.items():
        key = text[text.index('<div class="rd-key">') :]
        key = key[: key.index("</div>")]
        assert "<b>kpe</b> thousand U.S. service-member equivalents" in key, name
        assert "<b>$bn/yr</b> billion U.S. dollars a year: engagement" in key, name
        assert "an index in $bn-equivalent a year" in key, name
        assert "not a dollar estimate" in key and "never added" in key, name


def test_story_follows_the_money(html, result, layers):
    from redeploy.render.story import story_figures, story_html

    f = story_figures(result)
    # Sums of the frames as the model wrote them (ledger: 3 fronts x $10bn/yr).
    assert f["announced"] == pytest.approx(30.0) and f["expected"] == pytest.approx(25.5)
    assert f["forces_abroad"] == pytest.approx(7.7) and f["engagement_abroad"] == pytest.approx(2.0)
    parts = f["abroad_direct"] + f["to_home"] + f["converted"] + f["retained"]
    assert parts == pytest.approx(f["freed"])  # the bar accounts for every kpe freed
    story = story_html(result, layers)
    assert "Follow the money" in story
    assert "Allies pay <b>$30bn/yr</b> more (expected delivery $25.5bn/yr" in story
    for part in ("sent abroad", "returned home", "converted into engagement", "not released"):
        assert part in story
    assert story.count('<span style="width:') == 4
    # All fronts together (the model's totals), then by front (the ledger's shares).
    assert (
        "Double burden</b>: <b>15%</b> of the allies' extra spending, all fronts together, "
        "funds U.S. expansion elsewhere" in story
    )
    assert "By front: 15% of each ally's extra spending" in story
    other = dataclasses.replace(result, totals={**result.totals, "double_burden_share": 0.4})
    assert "<b>40%</b> of the allies' extra spending" in story_html(other, layers)
    # The story comes first in the panel, and the subtitle says what allies pay.
    panel = html[html.index('<div id="rd-panel"') :]
    assert panel.index("Follow the money") < panel.index("Freed U.S. forces by front")
    assert "Scenario fixture: Allies pay $30bn/yr more; 7.7 kpe of U.S. forces" in html


def test_no_repricing_story_says_nothing_is_freed(result, layers):
    from redeploy.render.story import headline, story_html

    none = dataclasses.replace(
        result,
        flows=result.flows.iloc[0:0],
        routes=result.routes.iloc[0:0],
        fronts=result.fronts.assign(freed=0.0, released=0.0, converted=0.0, retained=0.0),
        ledger=result.ledger.assign(ally_extra_spending_bn=0.0, ally_expected_spending_bn=0.0),
    )
    story = story_html(none, layers)
    assert "Allies pay no more than in the reference year." in story
    assert "Nothing is freed" in story
    assert headline(none) == "No capacity moves"


def _with_floor(result, dual: float):
    bound = {"region": "Central America", "asset": "military", "floor": 1.5, "cap": None}
    meta = {**result.meta, "region_bounds": [{**bound, "marginal_value": dual}]}
    return dataclasses.replace(result, meta=meta)


def test_floor_forced_allocations_are_marked(layers, result):
    held = render_html(build_map(layers, _with_floor(result, -0.4)))
    props = _props(held)
    pan = props["Panama"]
    assert pan["fl"].startswith("⚑ Held up by the scenario's floor for Central America")
    assert pan["tt"].startswith("⚑ Panama")
    flow = props["United States (home pool) → Panama"]
    assert flow["fl"] == pan["fl"]
    assert "⚑ held up by a binding scenario floor" in held  # the legend's key
    assert "Central America ⚑" in held  # the story's and the regions' tables
    labels = page_calls(held, "RD.labels(")[0][0]
    assert any(x["t"].startswith("Panama ⚑") for x in labels)
    # A floor that does not bind is the model's own choice: said in the popup, not marked.
    free = render_html(build_map(layers, _with_floor(result, 0.0)))
    pan = _props(free)["Panama"]
    assert "fl" not in pan and "⚑" not in free
    assert [
        "Scenario bound",
        "Central America: at least 1.5 kpe of forces (does not bind: "
        "the model's own choice meets it).",
    ] in pan["rows"]


def test_estimates_are_drawn_apart(layers, result):
    sourced = {k: v.copy() for k, v in layers.items()}
    for kind in ("peripheral_zones", "chokepoints", "fronts"):
        sourced[kind].loc[sourced[kind].index[0], "confidence"] = "sourced"
    text = render_html(build_map(sourced, result))
    props = _props(text)
    assert "e" not in props["Viet Nam"] and props["Indonesia"]["e"] == 1
    assert "e" not in props["Strait of Malacca"] and props["Panama Canal"]["e"] == 1
    assert "e" not in props["NATO eastern flank"] and props["Korean peninsula"]["e"] == 1
    options = [_options(rest) for _, rest in page_calls(text, "RD.layer(")]
    est = {o["kind"]: o.get("est") for o in options}
    assert est["peripheral_zones"] == {"dashArray": "4 3"}
    assert est["chokepoints"]["dashArray"] and est["chokepoints"]["fillOpacity"] < 0.85
    assert "dashed outline, lighter fill: an estimated figure; solid: sourced" in text


def test_labels_name_fronts_receiving_zones_and_top_chokepoints(html):
    from redeploy.render.labels import short_names

    labels = page_calls(html, "RD.labels(")[0][0]
    kinds = [x["k"] for x in labels]
    # Fronts first (most leaving first), then the zones that receive, then chokepoints.
    assert kinds == sorted(kinds, key=["fronts", "peripheral_zones", "chokepoints"].index)
    fronts = [x["t"] for x in labels if x["k"] == "fronts"]
    assert fronts == [
        "Korean peninsula: 8 kpe leave",
        "NATO eastern flank: 4 kpe leave",
        "Guam and Marianas: 1 kpe leave",
    ]
    zones = {x["t"] for x in labels if x["k"] == "peripheral_zones"}
    assert "DR Congo 3 kpe · $1.2bn/yr" in zones and "Brazil $800m/yr" in zones
    assert all(x["a"] == 1 for x in labels if x["k"] == "peripheral_zones")
    chokes = [x["t"] for x in labels if x["k"] == "chokepoints"]
    assert chokes[0] == "Strait of Malacca" and len(chokes) == 3
    assert "\\u003cimg" in html.split("RD.labels(")[1].split("RD.ready")[0]  # escaped
    names = [
        "NATO eastern flank - Poland",
        "NATO eastern flank - Baltic states",
        "Germany - rear hub (EUCOM/AFRICOM HQ, Ramstein)",
        "Japan (Yokota, Yokosuka)",
        "Japan - Okinawa & Southwest (Nansei) Islands (Kadena)",
        "Taiwan",
    ]
    assert short_names(names) == [
        "Poland",
        "Baltic states",
        "Germany",
        "Japan",
        "Okinawa & Southwest Islands",
        "Taiwan",
    ]


def test_slide_options_parse_and_refuse():
    from redeploy.render.slide import REGIONS, SlideOptions, parse_bbox, parse_size

    assert parse_size("1920x1080") == (1920, 1080) and parse_size(" 1280 X 720 ") == (1280, 720)
    assert parse_bbox("Africa") == REGIONS["africa"] == parse_bbox("africa")
    assert parse_bbox("indo_pacific") == REGIONS["indo-pacific"]
    assert parse_bbox("-20,-40,60,40") == (-20.0, -40.0, 60.0, 40.0)
    for bad in ("1920", "10x10", "axb", "99999x100"):
        with pytest.raises(ValueError, match="size"):
            parse_size(bad)
    for bad in ("europe", "1,2,3", "60,-40,-20,40", "0,-90,10,10", "nan,1,2,3"):
        with pytest.raises(ValueError, match="region"):
            parse_bbox(bad)
    options = SlideOptions(bbox=REGIONS["americas"], title="<T>", subtitle="s")
    assert options.script_options() == {
        "bbox": list(REGIONS["americas"]),
        "title": "<T>",
        "subtitle": "s",
    }
    assert SlideOptions().script_options() == {} and SlideOptions().size == (1600, 900)


def test_cli_zone_choices_name_the_map_metrics():
    from redeploy.cli.run import ZONE_CHOICES, zone_choice
    from redeploy.render.features import ZONE_METRICS

    assert zone_choice(" Total ") == "total"
    assert set(ZONE_CHOICES.values()) == {m for m, *_ in ZONE_METRICS}


def test_cli_refuses_bad_slide_options(tmp_path):
    from typer.testing import CliRunner

    from redeploy.cli import app

    runner = CliRunner()
    for args, hint in (
        (["--size", "1920x1080"], "--size"),
        (["--png", "--size", "big"], "--size"),
        (["--png", "--bbox", "europe"], "--bbox"),
        (["--zones", "dollars"], "--zones"),
    ):
        res = runner.invoke(app, ["run", "--out", str(tmp_path), *args])
        assert res.exit_code == 2, (args, res.output)
        assert hint in res.output
    assert not list(tmp_path.iterdir())


def test_compare_briefs_money_and_forces_apart(pair, layers):
    from redeploy.render.compare import build_compare_map
    from redeploy.render.compare_summary import FRONT_HEAD, REGION_HEAD, change_text

    text = render_html(build_compare_map(layers, *pair))
    subtitle = re.search(r'<div class="rd-h2">(.*?)</div>', text)[1]
    assert "forces abroad 7.7 kpe → 13 kpe (+5.3 kpe)" in subtitle
    assert "engagement $2bn/yr → $1.2bn/yr (−$800m/yr)" in subtitle
    assert "summed" not in text
    # Both views: the difference map and A and B side by side (with its legend).
    assert 'name="rd-view" value="diff" checked' in text and 'value="twin"' in text
    assert 'data-rd-view="twin" hidden' in text and "RD.twin(map_" in text
    tables = _panel_tables(text)
    spending = _table_with(tables, "Ally (front)")
    assert spending["Ally (front)"] == ["A → B", "Burden A → B"]
    assert spending["Korean peninsula"] == ["10 → 10", "15% → 15%"]
    money = _table_with(tables, "Allies' extra spending ($bn/yr)")
    assert money["Forces sent abroad (kpe)"] == ["7.7", "13", "+5.3"]
    regions, fronts = change_text(*pair, layers)
    assert len(REGION_HEAD) == len(regions[0]) and len(FRONT_HEAD) == len(fronts[0])
    assert regions[0][0] == "Africa" and regions[0][1:4] == ["3", "4.5", "+1.5"]
    assert {r[0] for r in fronts} == {"Korean peninsula", "NATO eastern flank", "Guam and Marianas"}


def test_cli_compare_prints_the_largest_changes(tmp_path):
    from typer.testing import CliRunner

    from redeploy.cli import app

    res = CliRunner().invoke(app, ["compare", "baseline", "no-repricing", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "largest changes by region, baseline → no-repricing" in out
    assert "largest changes by front, baseline → no-repricing" in out
    assert "Africa" in out and "Germany" in out and "($bn/yr)" in out
    page = (tmp_path / "baseline-vs-no-repricing.html").read_text()
    assert 'value="twin"' in page and "Allies&#x27; side: who pays how much more" in page


def test_marker_points_are_points_own_and_inside_polygons_and_leave_the_input_alone():
    import numpy as np
    from shapely.geometry import Point, box

    geoms = np.array([Point(10.123456, -5.0), box(0, 0, 2, 1), Point(-179.99999, 89.5)])
    kept = [g.wkt for g in geoms]
    points = marker_points(geoms, precision=4)
    assert [p["coordinates"] for p in points] == [[10.1235, -5.0], [1.0, 0.5], [-180.0, 89.5]]
    assert [g.wkt for g in geoms] == kept


def test_first_places_of_element_names_as_a_search_for_each_would_find_them():
    """`_first_places` (one scan of the page) finds each element name where ``str.find``
    would: a name after data that holds the same digits under another kind, a name
    followed by more hex digits, a name absent, one that starts the text."""
    a, b, c, d = (f"{k:032x}" for k in (0xABC, 0xDEF0, 0x123, 0xFEED))
    names = {f"geo_json_{a}", f"feature_group_{b}", f"macro_element_{c}", f"map_{d}"}
    text = (
        f"map_{d} = 1; other_{a}; ids _{b}{b} "
        f"var geo_json_{a}x = feature_group_{b}ff; geo_json_{a}; element_{c}"
    )
    expected = {n: text.find(n) for n in names if text.find(n) >= 0}
    assert _first_places(text, names) == expected
    assert set(expected) == {f"map_{d}", f"geo_json_{a}", f"feature_group_{b}"}
