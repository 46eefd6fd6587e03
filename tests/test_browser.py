"""Open saved maps in headless Chromium with no network: layers, flows, popups, safety, pixels.

Skipped when Chromium or chromedriver is missing, except on CI (``CI=true``), where a
missing browser is a failure.
"""

from __future__ import annotations

import io

import pytest

from redeploy import palette
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
