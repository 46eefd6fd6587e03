"""Open saved maps in headless Chromium with no network: layers, flows, popups, safety, pixels.

Skipped when Chromium or chromedriver is missing, except on CI (``CI=true``), where a
missing browser is a failure.
"""

from __future__ import annotations

import io

import pytest

from redeploy import palette
from redeploy.layers import read_layers
from redeploy.render.maps import build_map, save_map
from redeploy.render.png import chromium_driver, open_map, save_png
from tests.conftest import load_data_module, require_browser

pytestmark = pytest.mark.browser

fx = load_data_module("render/fixture.py", "render_fixture")


@pytest.fixture(scope="module")
def map_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "fixture.html"
    return save_map(build_map(fx.fixture_layers(), fx.fixture_result()), path)


@pytest.fixture(scope="module")
def driver():
    require_browser()
    with chromium_driver(width=1600, height=900, logging=True) as d:
        yield d


@pytest.fixture(scope="module")
def page(driver, map_path):
    open_map(driver, map_path)
    return driver


def test_no_console_errors(page):
    logs = page.get_log("browser")
    bad = [entry for entry in logs if entry["level"] in ("SEVERE", "WARNING")]
    assert not bad, bad


def test_nothing_requested_from_the_network(page):
    urls = page.execute_script(
        "return [location.href].concat("
        "performance.getEntriesByType('resource').map(function (e) { return e.name; }));"
    )
    assert urls[0].startswith("file://")
    assert all(u.startswith(("file:", "data:")) for u in urls), urls


def test_every_layer_in_the_control(page):
    labels = page.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".map(function (l) { return l.textContent.trim(); });"
    )
    assert labels == [
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
    ]


def test_flow_paths_drawn(page):
    n_paths = page.execute_script(
        "return document.querySelectorAll('.leaflet-rdFlows-pane path').length;"
    )
    declared = page.execute_script("return document.documentElement.getAttribute('data-rd-flows');")
    assert n_paths == len(fx.fixture_result().flows) == int(declared)
    # The Guam -> Panama flow crosses the antimeridian as two parts of one path ("M" twice).
    moves = page.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-rdFlows-pane path'))"
        ".map(function (p) { return (p.getAttribute('d').match(/M/g) || []).length; });"
    )
    assert sorted(moves)[-1] >= 2


def test_panel_legend_title_shown(page):
    for element_id in ("rd-title", "rd-panel", "rd-legend"):
        shown = page.execute_script(
            "var e = document.getElementById(arguments[0]);"
            "return !!e && e.offsetWidth > 0 && !!e.closest('.leaflet-control-container');",
            element_id,
        )
        assert shown, element_id
    desc = page.execute_script("return document.querySelector('.rd-desc').textContent;")
    assert "<script>window.__xss=3</script>" in desc


def _open_popup(page, name: str) -> str:
    return page.execute_script(
        """
        var name = arguments[0], found = null;
        Object.keys(window).forEach(function (k) {
          var v = window[k];
          if (!found && v && v instanceof L.GeoJSON) {
            v.eachLayer(function (l) {
              if (!found && l.feature && l.feature.properties.t === name) found = l;
            });
          }
        });
        if (!found) return null;
        found.openPopup();
        var p = found.getPopup().getElement().querySelector('.leaflet-popup-content');
        window.__rdPopup = p;
        return p ? p.textContent : null;
        """,
        name,
    )


def test_hostile_popup_shows_text_and_runs_nothing(page):
    for name in (fx.XSS_FLAG_NAME, fx.XSS_NAME):
        text = _open_popup(page, name)
        assert text is not None and name in text
        assert page.execute_script("return window.__rdPopup.querySelectorAll('img').length;") == 0
    # The payload's source line is shown as text too.
    assert "</script><script>window.__xss=2</script>" in _open_popup(page, fx.XSS_NAME)
    assert page.execute_script("return typeof window.__xss;") == "undefined"
    assert "<img" in page.execute_script("return window.__rdPopup.textContent;")


def test_front_popup_has_marginal_values(page):
    text = _open_popup(page, "Korean peninsula")
    assert "Marg. value" in text and "$10bn/yr" in text and "Source: Test source" in text


def test_home_pool_is_a_star_with_its_popup(page):
    star = page.execute_script(
        "var e = document.querySelector('.leaflet-rdMarkers-pane .rd-home');"
        "return e ? [e.offsetWidth, e.offsetHeight, getComputedStyle(e, '::before').clipPath]"
        " : null;"
    )
    assert star is not None and star[:2] == [24, 24] and star[2].startswith("polygon")
    text = _open_popup(page, "United States (home pool)")
    assert "Received from fronts1 kpe" in text
    assert "Sent abroad0.5 kpe" in text
    assert "Returned home fromFrontClasskpeKorean peninsulaground1" in text
    assert "Sent from home toZoneClasskpePanamaground0.5" in text


def test_front_popup_shows_risk_channels_and_allies(page):
    text = _open_popup(page, "Korean peninsula")
    assert "Risk by channel ($bn-eq/yr index, weighted)" in text
    assert "counter-alignment0.14" in text and "autonomy" not in text.split("Allies")[0]
    assert "Allies' side" in text and "ground80%0.4" in text
    # The front's own figures are in a closed <details>, after the model's tables.
    folded = page.execute_script(
        "var d = window.__rdPopup.querySelector('details.rd-pop-more');"
        "return d ? [d.open, d.textContent.indexOf('Hosts') >= 0] : null;"
    )
    assert folded == [False, True]


def test_zone_popup_shows_access_basis_as_text(page):
    text = _open_popup(page, "Panama")
    assert fx.XSS_ACCESS_BASIS in text
    assert "Existing U.S. presence0.1 kpe" in text and "Added by this run2 kpe" in text
    assert page.execute_script("return window.__rdPopup.querySelectorAll('b').length;") == 0
    assert page.execute_script("return typeof window.__xss;") == "undefined"


def test_panel_shows_channels_home_and_allies(page):
    text = page.execute_script("return document.getElementById('rd-panel').textContent;")
    assert "· credibility (weight 2, unweighted 0.1)" in text
    assert "United States (home pool)" in text and "Received from fronts" in text
    assert "By region: existing U.S. presence and what this run adds" in text
    assert "Allies' side: double burden and dependence" in text


def test_frontier_page_binding_channel_in_browser(driver, tmp_path):
    from redeploy.render.frontier import write_frontier_map

    path = write_frontier_map(fx.fixture_layers(), fx.fixture_frontier(), tmp_path / "f.html")
    driver.get_log("browser")  # drop earlier entries
    open_map(driver, path)
    assert not [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    driver.execute_script(
        "document.querySelector('.rdf-pt[data-k=\"2\"]')"
        ".dispatchEvent(new MouseEvent('click', {bubbles: true}));"
    )
    shown = driver.execute_script(
        "return document.querySelector('.rdf-detail:not([hidden])').textContent;"
    )
    assert "λ_credibility = 2" in shown
    assert "Binding channel (largest risk)credibility" in shown
    fills = driver.execute_script(
        "return Array.from(document.querySelectorAll('circle.rdf-pt'))"
        ".map(function (c) { return [c.getAttribute('data-channel'), c.getAttribute('fill')]; });"
    )
    assert fills == [
        ["", palette.channel_color("")],
        ["trade", palette.channel_color("trade")],
        ["credibility", palette.channel_color("credibility")],
    ]


def test_screenshot_is_not_blank(map_path, tmp_path):
    require_browser()
    from PIL import Image

    png = save_png(map_path, tmp_path / "shot.png", width=800, height=450)
    image = Image.open(io.BytesIO(png.read_bytes())).convert("RGB")
    assert image.size == (800, 450)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50


def test_write_map_with_png(tmp_path):
    require_browser()
    from redeploy.render import write_map

    files = write_map(fx.fixture_layers(), fx.fixture_result(), tmp_path, png=True)
    assert [p.name for p in files] == ["fixture.html", "fixture.png"]
    assert files[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Same page, same pixels: the screenshot waits for a still view.
    again = write_map(fx.fixture_layers(), fx.fixture_result(), tmp_path / "again", png=True)
    assert again[1].read_bytes() == files[1].read_bytes()


def test_comparison_map_in_browser(driver, tmp_path):
    from redeploy.render.compare import write_comparison

    a = fx.fixture_result("base")
    b = fx.fixture_result("more", scale=1.5, drop=1, add_extra=True)
    html_path, _ = write_comparison(fx.fixture_layers(), a, b, tmp_path)
    driver.get_log("browser")  # drop earlier entries
    open_map(driver, html_path)
    assert not [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    n = driver.execute_script(
        "return document.querySelectorAll('.leaflet-rdFlows-pane path').length;"
    )
    assert n == 10
    dashed = driver.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-rdFlows-pane path'))"
        ".filter(function (p) { return p.getAttribute('stroke-dasharray'); }).length;"
    )
    assert dashed == 2  # the two engagement flows, dotted (one of them disappears in B)
    assert driver.execute_script("return typeof window.__xss;") == "undefined"


hostile_inputs = load_data_module("render/hostile.py", "render_hostile")

# Show every layer, open every popup and tooltip (their <details> too), switch every layer
# off and on again, and click every point of a frontier chart; give what the popups showed.
_EXERCISE = r"""
var texts = [], n = 0;
document.querySelectorAll('.leaflet-control-layers-selector').forEach(function (c) {
  if (!c.checked) c.click();
});
Object.keys(window).forEach(function (k) {
  var v = window[k];
  if (!(v && v instanceof L.GeoJSON)) return;
  v.eachLayer(function (l) {
    if (!l._map) return;  // a frontier flow unused at the chosen point
    // Only features that carry a payload (every third one of each layer).
    if (!/__xss|\{\{|\u2028|file_0/.test(JSON.stringify(l.feature.properties))) return;
    if (l.getPopup && l.getPopup()) {
      l.openPopup(); n++;
      var e = l.getPopup().getElement();
      e.querySelectorAll('details').forEach(function (d) { d.open = true; });
      texts.push(e.textContent);
      l.closePopup();
    }
    if (l.getTooltip && l.getTooltip()) { l.openTooltip(); l.closeTooltip(); }
  });
});
document.querySelectorAll('details').forEach(function (d) { d.open = true; });
document.querySelectorAll('.leaflet-control-layers-selector').forEach(function (c) {
  c.click(); c.click();
});
document.querySelectorAll('.rdf-pt').forEach(function (e) {
  e.dispatchEvent(new MouseEvent('click', { bubbles: true }));
});
return { n: n, texts: texts };
"""


@pytest.mark.parametrize("kind", ["run", "compare", "frontier", "sweep"])
def test_hostile_pages_run_nothing_offline(driver, tmp_path_factory, kind):
    pages = hostile_inputs.hostile_pages(tmp_path_factory.mktemp("hostile"))
    driver.get_log("browser")  # drop earlier entries
    open_map(driver, pages[kind])
    seen = driver.execute_script(_EXERCISE)
    assert seen["n"] > 50
    shown = "\n".join(seen["texts"])
    for payload in hostile_inputs.PAYLOADS:
        assert payload in shown, payload
    assert hostile_inputs.HASH_SOURCE in shown
    if kind == "frontier":
        assert (
            driver.execute_script("return document.documentElement.getAttribute('data-rdf-point');")
            == "s"
        )
    assert driver.execute_script("return typeof window.__xss;") == "undefined"
    assert not [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    urls = driver.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; });"
    )
    assert all(u.startswith(("file:", "data:")) for u in urls), urls
    desc = driver.execute_script("return document.querySelector('.rd-desc').textContent;")
    # The description, blank lines kept, then the assumptions, one a line.
    assert " ".join(hostile_inputs.PAYLOADS) + "\n\n\nend\n" in desc
    assert all(f"\n- {p}" in desc for p in hostile_inputs.PAYLOADS)


# ---------------------------------------------------------------------------- briefing

_MAP = (
    "return Object.keys(window).map(function (k) { return window[k]; })"
    ".filter(function (v) { return v instanceof L.Map; })[0];"
)

# Rectangles (viewport px) of the visible labels and of the page's boxes and controls.
_LABEL_BOXES = r"""
function rect(e) { var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }
var labels = Array.from(document.querySelectorAll('.rd-label'))
  .filter(function (e) { return e.style.display !== 'none' && e.offsetWidth > 0; })
  .map(function (e) { return { t: e.textContent, r: rect(e) }; });
var boxes = Array.from(document.querySelectorAll(
  '.rd-box, .leaflet-control-layers, .leaflet-control-zoom, .leaflet-control-attribution'))
  .filter(function (e) { return e.offsetParent !== null && e.offsetWidth > 0; }).map(rect);
return { labels: labels, boxes: boxes, w: window.innerWidth, h: window.innerHeight,
         all: document.querySelectorAll('.rd-label').length };
"""

# For the widest flows of each flow layer: the share of points along each path that are
# in the window and not under the title, panel, legend or a control.
_FLOWS_SEEN = r"""
var n = arguments[0], out = [];
['rdFlows'].forEach(function () {
  // a route split at the antimeridian runs to the world's edge: not a layout question
  var paths = Array.from(document.querySelectorAll('.leaflet-rdFlows-pane path'))
    .filter(function (p) { return (p.getAttribute('d').match(/M/g) || []).length === 1; });
  var dotted = paths.filter(function (p) { return p.getAttribute('stroke-dasharray'); });
  var solid = paths.filter(function (p) { return !p.getAttribute('stroke-dasharray'); });
  [solid, dotted].forEach(function (group) {
    group.sort(function (a, b) {
      return Number(b.getAttribute('stroke-width')) - Number(a.getAttribute('stroke-width'));
    });
    group.slice(0, n).forEach(function (p) {
      var len = p.getTotalLength(), m = p.getScreenCTM(), seen = 0, k = 40;
      for (var i = 0; i <= k; i++) {
        var q = p.getPointAtLength(len * i / k), s = new DOMPoint(q.x, q.y).matrixTransform(m);
        if (s.x < 0 || s.y < 0 || s.x >= innerWidth || s.y >= innerHeight) continue;
        var top = document.elementFromPoint(s.x, s.y);
        if (top && top.closest('.leaflet-control-container')) continue;
        seen += 1;
      }
      out.push(seen / (k + 1));
    });
  });
});
return out;
"""


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture(scope="module")
def shipped_map(tmp_path_factory):
    """The baseline map of the shipped layers, as `redeploy run` writes it."""
    require_browser()
    from redeploy.render.maps import write_map
    from redeploy.workflows.run import run_scenario, with_basemap

    output = run_scenario("baseline")
    layers = with_basemap(output.layers)
    return write_map(layers, output.result, tmp_path_factory.mktemp("shipped"))[0]


def test_key_of_units_is_shown(page):
    key = page.execute_script(
        "var k = document.querySelector('#rd-legend .rd-key'), r = k.getBoundingClientRect();"
        "return [k.textContent, r.top >= 0 && r.bottom <= innerHeight && r.width > 0];"
    )
    assert key[1], "the key is off the window"
    for text in (
        "kpe thousand U.S. service-member equivalents",
        "$bn/yr billion U.S. dollars a year: engagement",
        "$bn-eq/yr value, transit cost, risk: an index",
        "not a dollar estimate",
        "an estimated figure",
    ):
        assert text in key[0]


@pytest.mark.parametrize("size", [(1280, 720), (1600, 900), (1920, 1080)])
def test_labels_visible_and_apart_on_the_shipped_map(shipped_map, size):
    with chromium_driver(width=size[0], height=size[1]) as driver:
        open_map(driver, shipped_map)
        seen = driver.execute_script(_LABEL_BOXES)
    labels = seen["labels"]
    texts = [x["t"] for x in labels]
    # Fronts with what leaves, receiving zones (money too), a chokepoint at least.
    assert any(t.startswith("Germany: ") and t.endswith("kpe leave") for t in texts), texts
    assert any("$" in t and not t.endswith("leave") for t in texts), texts  # money received
    chokepoints = set(read_layers(kinds=("chokepoints",))["chokepoints"]["name"])
    assert chokepoints & set(texts), texts
    assert len(labels) >= 15 and len(labels) < seen["all"]  # some give way
    for i, a in enumerate(labels):
        r = a["r"]
        assert r[0] >= 0 and r[2] <= seen["w"] and r[1] >= 0 and r[3] <= seen["h"], a
        for b in labels[i + 1 :]:
            assert not _overlap(r, b["r"]), (a["t"], b["t"])
        for box in seen["boxes"]:
            assert not _overlap(r, box), (a["t"], box)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_layout_leaves_the_main_flows_in_the_open(shipped_map, size):
    with chromium_driver(width=size[0], height=size[1]) as driver:
        open_map(driver, shipped_map)
        shares = driver.execute_script(_FLOWS_SEEN, 6)
    assert len(shares) == 12
    # Each of the six widest forces and engagement lines is seen along most of its length
    # (its ends may sit under a front's marker or at the window's edge); routes split at the
    # antimeridian (drawn in two pieces at the world's edges) are left out.
    assert min(shares) >= 0.85, shares


def test_slide_has_no_controls_and_is_the_png(map_path, tmp_path):
    require_browser()
    from PIL import Image

    from redeploy.render.png import prepare_slide
    from redeploy.render.slide import REGIONS, SlideOptions

    options = SlideOptions(size=(1280, 720), bbox=REGIONS["africa"], title="Africa <b>slide</b>")
    with chromium_driver(width=1280, height=720) as driver:
        open_map(driver, map_path)
        shown = driver.execute_script(
            "return Array.from(document.querySelectorAll('.leaflet-control-layers, "
            ".leaflet-control-zoom')).map(function (e) { return e.offsetParent !== null; });"
        )
        assert shown == [True, True]  # interactive controls on the page itself
        prepare_slide(driver, options)
        state = driver.execute_script(
            "var m = (function () {" + _MAP + "})(), c = m.getCenter();"
            "return { controls: Array.from(document.querySelectorAll('.leaflet-control-layers, "
            ".leaflet-control-zoom')).map(function (e) { return e.offsetParent !== null; }),"
            " title: document.querySelector('#rd-title .rd-h1').innerHTML,"
            " key: !!document.querySelector('.rd-key').offsetParent,"
            " labels: document.documentElement.getAttribute('data-rd-labels'),"
            " center: [c.lat, c.lng] };"
        )
        shot = driver.get_screenshot_as_png()
    assert state["controls"] == [False, False]
    assert state["title"] == "Africa &lt;b&gt;slide&lt;/b&gt;"  # text, never markup
    assert state["key"] and int(state["labels"]) > 0
    west, south, east, north = REGIONS["africa"]
    assert west < state["center"][1] < east and south < state["center"][0] < north
    png = save_png(map_path, tmp_path / "slide.png", options=options)
    assert png.read_bytes() == shot
    with Image.open(png) as image:
        assert image.size == (1280, 720)


def _page_count(pdf: bytes) -> int:
    import re

    return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))


@pytest.mark.parametrize("paper", [(21.0, 29.7), (21.59, 27.94)], ids=["A4", "Letter"])
def test_print_fits_one_landscape_page(driver, map_path, paper):
    import base64

    from selenium.webdriver.common.print_page_options import PrintOptions

    open_map(driver, map_path)
    options = PrintOptions()
    options.orientation = "landscape"
    options.page_width, options.page_height = paper
    options.background = True
    pdf = base64.b64decode(driver.print_page(options))
    assert _page_count(pdf) == 1
    # As printed: the map fills the page with its title, story, legend and key; no control.
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        driver.execute_script("window.dispatchEvent(new Event('beforeprint'));")
        state = driver.execute_script(
            "function r(s) { var e = document.querySelector(s); if (!e || !e.offsetParent)"
            " return null; var b = e.getBoundingClientRect(); return [b.left, b.top, b.right,"
            " b.bottom]; }"
            "return { map: r('.folium-map'), key: r('.rd-key'), title: r('#rd-title'),"
            " story: r('.rd-story'), zoom: r('.leaflet-control-zoom'),"
            " layers: r('.leaflet-control-layers') };"
        )
        driver.execute_script("window.dispatchEvent(new Event('afterprint'));")
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    m = state["map"]
    assert (m[2] - m[0], m[3] - m[1]) == (1010, 740)
    assert state["zoom"] is None and state["layers"] is None
    for part in ("key", "title", "story"):
        b = state[part]
        assert b is not None and m[0] <= b[0] and b[2] <= m[2] and m[1] <= b[1] and b[3] <= m[3]


def test_legend_follows_the_layer_control_and_zone_choice(driver, map_path):
    open_map(driver, map_path)

    def hidden(kind):
        return driver.execute_script(
            "return document.querySelector('#rd-legend [data-rd-kind=\"' + arguments[0] + "
            "'\"]').hidden;",
            kind,
        )

    def toggle(title):
        driver.execute_script(
            "var title = arguments[0];"
            "Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
            ".filter(function (l) { return l.textContent.trim() === title; })[0]"
            ".querySelector('input').click();",
            title,
        )

    assert not hidden("flows_engagement")
    toggle("Engagement funded ($bn/yr)")
    assert hidden("flows_engagement") and not hidden("flows")
    toggle("Engagement funded ($bn/yr)")
    assert not hidden("flows_engagement")
    zone_labels = (
        "return document.querySelectorAll('.rd-label-zone:not([style*=\"none\"])').length;"
    )
    assert driver.execute_script(zone_labels) > 0
    toggle("Peripheral zones by what this run adds")
    assert hidden("peripheral_zones") and driver.execute_script(zone_labels) == 0
    toggle("Peripheral zones by what this run adds")
    # Zones coloured by engagement: Brazil (engagement only) takes its engagement fill.
    fills = driver.execute_script(
        "var out = {}; Object.keys(window).forEach(function (k) { var v = window[k];"
        " if (v instanceof L.GeoJSON) v.eachLayer(function (l) {"
        "  if (l.feature && l.feature.properties.t === 'Brazil') out.now = l.options.fillColor,"
        "  out.fa = l.feature.properties.fa; }); }); return out;"
    )
    assert fills["now"] == fills["fa"][0] == palette.ZONE_EMPTY_COLOR
    driver.execute_script('document.querySelector(\'input[name="rd-metric"][value="1"]\').click();')
    fills = driver.execute_script(
        "var out = {}; Object.keys(window).forEach(function (k) { var v = window[k];"
        " if (v instanceof L.GeoJSON) v.eachLayer(function (l) {"
        "  if (l.feature && l.feature.properties.t === 'Brazil') out.now = l.options.fillColor;"
        " }); }); return [out.now, document.querySelector('#rd-legend [data-rd-metric=\"1\"]')"
        ".hidden, document.documentElement.getAttribute('data-rd-zones')];"
    )
    assert fills == [palette.allocation_color(0.8, palette.allocation_bins([1.2, 0.8])), False, "1"]
    # Total dollars (the zones table's added_bn): Brazil takes its third fill, its scale shows.
    driver.execute_script('document.querySelector(\'input[name="rd-metric"][value="2"]\').click();')
    total = driver.execute_script(
        "var out = {}; Object.keys(window).forEach(function (k) { var v = window[k];"
        " if (v instanceof L.GeoJSON) v.eachLayer(function (l) {"
        "  if (l.feature && l.feature.properties.t === 'Brazil') out.now = l.options.fillColor,"
        "  out.fa = l.feature.properties.fa; }); });"
        " return [out.now, out.fa, document.querySelector('#rd-legend [data-rd-metric=\"2\"]')"
        ".hidden];"
    )
    assert total[0] == total[1][2] != palette.ZONE_EMPTY_COLOR and total[2] is False


def test_no_focus_rectangle_on_click(driver, map_path):
    open_map(driver, map_path)
    x, y = driver.execute_script(
        "var p = document.querySelector('.leaflet-rdFlows-pane path.leaflet-interactive');"
        "var q = p.getPointAtLength(p.getTotalLength() / 2);"
        "var s = new DOMPoint(q.x, q.y).matrixTransform(p.getScreenCTM());"
        "return [s.x, s.y];"
    )
    for kind in ("mousePressed", "mouseReleased"):
        driver.execute_cdp_cmd(
            "Input.dispatchMouseEvent",
            {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
        )
    state = driver.execute_script(
        "var e = document.activeElement, s = getComputedStyle(e);"
        "return [e.tagName, s.outlineStyle, s.outlineWidth,"
        " !!document.querySelector('.leaflet-popup')];"
    )
    assert state[3], "the click did not reach the flow"
    assert state[1] == "none" or state[2] == "0px", state


def test_compare_side_by_side_is_synchronised(driver, tmp_path):
    from redeploy.render.compare import write_comparison

    a = fx.fixture_result("base")
    b = fx.fixture_result("more", scale=1.5, drop=1, add_extra=True)
    html_path, _ = write_comparison(fx.fixture_layers(), a, b, tmp_path)
    open_map(driver, html_path)
    assert (
        driver.execute_script("return document.documentElement.getAttribute('data-rd-view');")
        == "diff"
    )
    driver.execute_script(
        'document.querySelector(\'input[name="rd-view"][value="twin"]\').click();'
    )
    state = driver.execute_script(
        "var maps = RD.twin.maps; maps[0].setView([0, 20], 3, { animate: false });"
        "return { n: maps.length, heads: Array.from(document.querySelectorAll('.rd-twin-h'))"
        ".map(function (e) { return e.textContent; }),"
        " centers: maps.map(function (m) { var c = m.getCenter();"
        "   return [c.lat, c.lng, m.getZoom()]; }),"
        " paths: Array.from(document.querySelectorAll('.rd-twin-map')).map(function (e) {"
        "   return e.querySelectorAll('.leaflet-rdFlows-pane path').length; }),"
        " legend: Array.from(document.querySelectorAll('#rd-legend [data-rd-view]'))"
        "   .filter(function (e) { return !e.hidden; })"
        "   .map(function (e) { return e.getAttribute('data-rd-view'); }) };"
    )
    assert state["n"] == 2 and state["heads"] == ["A · base", "B · more"]
    assert state["centers"][0] == state["centers"][1] == [0, 20, 3]
    # A has the 9 flows of base, B the 9 of more (one dropped, one added).
    assert state["paths"] == [9, 9]
    assert set(state["legend"]) == {"twin"}
    assert not [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def test_cli_writes_a_clean_africa_slide(tmp_path):
    """The issue's acceptance: run --png --size 1920x1080 --bbox africa --title ..."""
    require_browser()
    from PIL import Image
    from typer.testing import CliRunner

    from redeploy.cli import app

    title = "Africa: engagement, not garrisons"
    res = CliRunner().invoke(
        app,
        [
            "run",
            "--png",
            "--size",
            "1920x1080",
            "--bbox",
            "africa",
            "--title",
            title,
            "--zones",
            "engagement",
            "--format",
            "csv",
            "--out",
            str(tmp_path),
            "-q",
        ],
    )
    assert res.exit_code == 0, res.output
    with Image.open(tmp_path / "baseline.png") as image:
        assert image.size == (1920, 1080)
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) > 200
    html = (tmp_path / "baseline.html").read_text()
    assert f'<div class="rd-h1">{title}</div>' in html
    assert 'value="1" checked>Engagement ($bn/yr)' in html
