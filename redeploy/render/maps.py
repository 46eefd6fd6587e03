"""Build briefing maps (folium/Leaflet) from layers and an AllocationResult; save them offline.

`build_map` returns a `folium.Map` whose page needs no network: Leaflet is inlined from the
installed django-js-lib-leaflet package, folium's CDN links are removed, the basemap is the
`basemap` layer drawn as vectors. `render_html` gives the page's text with stable element
ids (same inputs, same bytes); `save_map` writes it atomically.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from redeploy import palette
from redeploy.io.atomic import write_atomic
from redeploy.model.result import AllocationResult
from redeploy.render import assets, panels
from redeploy.render.features import (
    PANES,
    LayerData,
    flow_layer,
    stack_layers,
    zone_layer,
)
from redeploy.render.geojson import script_json
from redeploy.schemas import SCHEMAS, LayerKind

#: The fixed page size of slide images and the default PNG export.
SLIDE_SIZE = (1600, 900)

_DEFAULT_TITLE = "Where freed U.S. capacity could go"

_ATTRIBUTION = (
    "Countries: Natural Earth (public domain) · Figures: the source in each popup, "
    "geodata/SOURCES.md · Allocation: redeploy"
)

_CSS = """
html,body{margin:0;padding:0;width:100%;height:100%}
.folium-map{position:absolute!important;inset:0}
.leaflet-container{background:{sea};font:13px/1.35 system-ui,-apple-system,"Segoe UI",
Roboto,"Helvetica Neue",Arial,sans-serif;color:#1d2733}
.rd-box{background:rgba(255,255,255,.94);border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.3);
padding:8px 11px;color:#1d2733;font:12.5px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
.rd-title{max-width:620px}
.rd-h1{font-size:21px;font-weight:650;letter-spacing:-.01em;line-height:1.2}
.rd-h2{font-size:13.5px;color:#4a5563;margin-top:2px}
.rd-h3{font-weight:650;font-size:12px;margin:8px 0 3px;color:#2b3642;text-transform:none}
.rd-panel{width:310px;max-height:calc(100vh - 260px);overflow:auto}
.rd-panel summary{cursor:pointer;font-size:14px}
.rd-desc{white-space:pre-line;color:#39424d;margin:5px 0;max-height:92px;overflow:auto}
.rd-tab{border-collapse:collapse;width:100%;font-size:11.5px}
.rd-tab th,.rd-tab td{padding:1px 4px;text-align:right;border-bottom:1px solid #e3e6ea}
.rd-tab th:first-child,.rd-tab td:first-child{text-align:left}
.rd-panel .rd-tab td:first-child{max-width:150px;white-space:nowrap;overflow:hidden;
text-overflow:ellipsis}
.rd-tab thead th{color:#5b6673;font-weight:600}
.rd-tab tr.rd-tot td{font-weight:650;border-bottom:0}
.rd-obj tr.rd-tot td{border-top:1px solid #9aa3ad}
.rd-run{margin-top:6px;color:#6b7480;font-size:11px;word-break:break-all}
.rd-run code{font-size:10.5px}
.rd-src{margin-top:6px;font-size:11px;color:#4a5563}
.rd-src ul{margin:2px 0;padding-left:14px}
.rd-legend{max-width:360px}
.rd-legend .rd-h3:first-child{margin-top:0}
.rd-scale{display:flex;flex-wrap:wrap;gap:2px 10px;align-items:center}
.rd-scale span{display:inline-flex;align-items:center;gap:4px;white-space:nowrap}
.rd-sw{display:inline-block;width:14px;height:11px;border:1px solid rgba(0,0,0,.25);
border-radius:2px}
.rd-mk,.rd-note{display:flex;align-items:center;gap:4px;margin:1px 0}
.rd-note{color:#5b6673;font-size:11.5px}
.leaflet-container .leaflet-control-attribution{font-size:10.5px;color:#4a5563}
.leaflet-control-layers{font-size:12.5px;border-radius:6px!important}
.leaflet-control-layers-expanded{padding:6px 10px 6px 6px}
.rd-pop{font-size:12px;min-width:200px}
.rd-pop-t{font-weight:650;font-size:14px;margin-bottom:1px}
.rd-pop-k{color:#5b6673;font-size:11px;margin-bottom:4px}
.rd-kv{border-collapse:collapse;margin:2px 0}
.rd-kv th{text-align:left;font-weight:500;color:#5b6673;padding:0 8px 0 0;vertical-align:top}
.rd-kv td{padding:0}
.rd-pop .rd-tab{margin-top:4px}
.rd-pop-n{color:#5b6673;font-style:italic;font-size:11px;margin-top:4px}
.rd-pop-s{color:#5b6673;font-size:10.5px;margin-top:4px;border-top:1px solid #e3e6ea;
padding-top:3px;overflow-wrap:anywhere}
.rd-pop summary{cursor:pointer}
"""

# The page's own code: builds popups from plain properties with textContent (never
# innerHTML), moves the escaped title/panel/legend blocks into Leaflet controls, and marks
# the page ready for screenshots and tests.
_RUNTIME_JS = r"""
var RD = (function () {
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function table(head, rows, cls) {
    var t = el('table', null, cls), tr;
    if (head) {
      var th = el('thead'); tr = el('tr');
      head.forEach(function (h) { tr.appendChild(el('th', h)); });
      th.appendChild(tr); t.appendChild(th);
    }
    var tb = el('tbody');
    rows.forEach(function (r) {
      tr = el('tr');
      r.forEach(function (c, i) { tr.appendChild(el(!head && i === 0 ? 'th' : 'td', c)); });
      tb.appendChild(tr);
    });
    t.appendChild(tb);
    return t;
  }
  // Long texts (sources, estimate notes) fold away behind their first words.
  function fold(label, text, cls, keep) {
    text = String(text);
    if (keep && text.length <= keep + 20) return el('div', label + text, cls);
    var det = el('details', null, cls);
    det.appendChild(el('summary', label + (keep ? text.slice(0, keep) + '…' : '')));
    det.appendChild(el('div', text));
    return det;
  }
  function popup(p) {
    var d = el('div', null, 'rd-pop');
    d.appendChild(el('div', p.t, 'rd-pop-t'));
    if (p.k) d.appendChild(el('div', p.k, 'rd-pop-k'));
    if (p.rows && p.rows.length) d.appendChild(table(null, p.rows, 'rd-kv'));
    if (p.tab) d.appendChild(table(p.tab.h, p.tab.r, 'rd-tab rd-ptab'));
    if (p.tab && p.tab.f) d.appendChild(el('div', p.tab.f, 'rd-pop-n'));
    if (p.n) d.appendChild(fold('Notes', p.n, 'rd-pop-n', 0));
    if (p.src) d.appendChild(fold('Source: ', p.src, 'rd-pop-s', 110));
    return d;
  }
  function line(a, s) {
    var out = new Array(a.length / 2), x = 0, y = 0;
    for (var i = 0; i < a.length; i += 2) { x += a[i]; y += a[i + 1]; out[i / 2] = [x / s, y / s]; }
    return out;
  }
  function dq(g) {
    if (!g || !g.q) return g;
    var s = Math.pow(10, g.p), c;
    if (g.type === 'LineString') c = line(g.q, s);
    else if (g.type === 'MultiPolygon') {
      c = g.q.map(function (p) { return p.map(function (r) { return line(r, s); }); });
    } else c = g.q.map(function (r) { return line(r, s); });
    return { type: g.type, coordinates: c };
  }
  function layer(data, o) {
    data.features.forEach(function (f) { f.geometry = dq(f.geometry); });
    return L.geoJSON(data, {
      pane: o.pane,
      interactive: o.interactive,
      bubblingMouseEvents: false,
      style: function (f) {
        var p = f.properties || {}, s = L.extend({}, o.style);
        if (p.fc) s.fillColor = p.fc;
        if (p.c) s.color = p.c;
        if (p.w) s.weight = p.w;
        if (p.d) s.dashArray = p.d;
        if (p.o) s.opacity = p.o;
        return s;
      },
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, L.extend({}, o.style, {
          radius: (f.properties && f.properties.r) || 5, pane: 'rdMarkers',
          interactive: o.interactive, bubblingMouseEvents: false }));
      },
      onEachFeature: function (f, l) {
        var p = f.properties;
        if (!o.interactive || !p || p.t === undefined) return;
        l.bindPopup(function () { return popup(p); },
                    { maxWidth: 420, minWidth: 220, maxHeight: 440,
                      autoPanPaddingTopLeft: [20, 90], autoPanPaddingBottomRight: [340, 20] });
        l.bindTooltip(function () { return el('span', p.tt || p.t); },
                      { sticky: true, direction: 'top', opacity: 0.95 });
      }
    });
  }
  function control(id, position) {
    var C = L.Control.extend({ onAdd: function () {
      var e = document.getElementById(id);
      e.style.display = '';
      L.DomEvent.disableClickPropagation(e);
      L.DomEvent.disableScrollPropagation(e);
      return e;
    } });
    return new C({ position: position });
  }
  function panes(map, spec) {
    Object.keys(spec).forEach(function (name) {
      map.createPane(name).style.zIndex = spec[name];
    });
  }
  function ready(map, flows) {
    var root = document.documentElement, tiles = [];
    root.setAttribute('data-rd-flows', String(flows));
    map.eachLayer(function (l) { if (l instanceof L.TileLayer) tiles.push(l); });
    // Web tiles (only with --tiles) load late: wait for them, at most 10 s.
    var pending = tiles.length, waited = false;
    function tileDone() { pending -= 1; if (pending <= 0 && !waited) { waited = true; mark(); } }
    tiles.forEach(function (t) { if (t.isLoading()) t.once('load', tileDone); else tileDone(); });
    if (tiles.length) { window.setTimeout(function () { if (!waited) { waited = true; mark(); } },
                                          10000); return; }
    mark();
    function mark() {
    map.whenReady(function () {
      window.requestAnimationFrame(function () {
        window.requestAnimationFrame(function () {
          root.setAttribute('data-rd-ready-ms', String(Math.round(performance.now())));
          root.setAttribute('data-rd-ready', '1');
        });
      });
    });
    }
  }
  return { el: el, dq: dq, popup: popup, layer: layer, control: control, panes: panes,
           ready: ready };
})();
"""


class RawHTML(Element):
    """Text placed into the page exactly as given, never read as a Jinja template.

    branca's `Element(text)` compiles `text` as a template, so ``{{ ... }}`` or ``{% ... %}``
    in data (a layer's name, a scenario's description) would run while the page renders:
    every block built from data goes into the page through this class instead.
    """

    def __init__(self, text: str, name: str = "RawHTML") -> None:
        super().__init__()
        self._name = name
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class SafeMacro(MacroElement):
    """A `MacroElement` whose rendered macros are placed as text, not compiled again.

    branca wraps the output of a macro in `Element(...)`, which compiles it as a second
    template: the data embedded in it (as `script_json`) must not be read as Jinja.
    """

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's constructors are untyped

    # branca's MacroElement.render returns None too, though Element.render is typed `str`.
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        figure = self.get_root()
        assert isinstance(figure, Figure)
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = macros.get(part)
            if macro is not None:
                getattr(figure, part).add_child(
                    RawHTML(str(macro(self, kwargs))), name=self.get_name()
                )
        for child in self._children.values():
            child.render(**kwargs)


class _Head(Element):
    """Inline Leaflet, the page's CSS and its runtime into ``<head>``."""

    def __init__(self) -> None:
        super().__init__()
        self._name = "RedeployHead"

    def render(self, **kwargs: Any) -> str:
        css = _CSS.replace("{sea}", palette.SEA_COLOR)
        return (
            f"<style>\n{assets.leaflet_css()}\n</style>\n"
            f"<script>\n{assets.leaflet_js()}\n</script>\n"
            f"<style>{css}</style>\n<script>{_RUNTIME_JS}</script>"
        )


class _Setup(SafeMacro):
    """Create the panes, set the attribution, and add the title/panel/legend controls."""

    _template = Template(
        """{% macro script(this, kwargs) %}
RD.panes({{ this._parent.get_name() }}, {{ this.panes }});
{{ this._parent.get_name() }}.attributionControl.setPrefix(false);
{{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.attribution }});
{% endmacro %}"""
    )

    def __init__(self, attribution: str) -> None:
        super().__init__()
        self._name = "RedeploySetup"
        self.panes = script_json(dict(PANES))
        # Leaflet inserts attributions as HTML: escape, then embed as a JSON string.
        self.attribution = script_json(panels.esc(attribution))


class _Controls(SafeMacro):
    """Move the pre-rendered, escaped HTML blocks into Leaflet controls; mark the page ready."""

    _template = Template(
        """{% macro script(this, kwargs) %}
{%- for id, pos in this.blocks %}
RD.control({{ id }}, {{ pos }}).addTo({{ this._parent.get_name() }});
{%- endfor %}
RD.ready({{ this._parent.get_name() }}, {{ this.flows }});
{% endmacro %}"""
    )

    def __init__(self, blocks: Sequence[tuple[str, str]], flows: int) -> None:
        super().__init__()
        self._name = "RedeployControls"
        self.blocks = [(script_json(i), script_json(p)) for i, p in blocks]
        self.flows = int(flows)


class GeoJsonLayer(SafeMacro):
    """One layer's features, drawn by the page's runtime (popups built with textContent)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = RD.layer({{ this.data }}, {{ this.options }});
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}"""
    )

    def __init__(self, data: LayerData) -> None:
        super().__init__()
        self._name = "GeoJsonLayer"
        self.kind = data.kind
        self.count = data.count
        self.data = script_json(data.collection)
        self.options = script_json(
            {"pane": data.pane, "interactive": data.interactive, "style": data.style}
        )


def _add_layer(m: folium.Map, data: LayerData) -> folium.FeatureGroup:
    # Leaflet's layer control inserts names as HTML, so names are escaped here.
    group = folium.FeatureGroup(
        name=panels.esc(data.title), overlay=True, control=True, show=data.show
    )
    group.add_child(GeoJsonLayer(data))
    m.add_child(group)
    return group


def _tile_layer(tiles: str) -> folium.TileLayer:
    import xyzservices

    try:
        provider = xyzservices.providers.query_name(tiles)
    except ValueError as err:
        msg = (
            f"unknown tile provider {tiles!r}: give an xyzservices name such as "
            "'OpenStreetMap.Mapnik' or 'CartoDB.Positron'"
        )
        raise ValueError(msg) from err
    return folium.TileLayer(
        tiles=provider, name=panels.esc(provider.name), overlay=False, control=True
    )


def _bounds(layers: Mapping[str, gpd.GeoDataFrame]) -> list[list[float]]:
    boxes = []
    # The data layers frame the first view; backdrop kinds (the basemap) do not.
    for kind in (k for k, s in SCHEMAS.items() if not s.role.backdrop):
        gdf = layers.get(kind)
        if gdf is not None and not gdf.empty:
            boxes.append(gdf.total_bounds)
    if not boxes:
        return [[-55.0, -170.0], [72.0, 170.0]]
    minx = min(b[0] for b in boxes)
    miny = min(b[1] for b in boxes)
    maxx = max(b[2] for b in boxes)
    maxy = max(b[3] for b in boxes)
    return [
        [round(max(miny, -75.0), 1), round(minx, 1)],
        [round(min(maxy, 80.0), 1), round(maxx, 1)],
    ]


def new_map(
    layers: Mapping[str, gpd.GeoDataFrame], *, tiles: str | None = None, title: str = ""
) -> folium.Map:
    """
    Return an empty offline map: inlined Leaflet, no CDN links, optional web tiles.

    Parameters
    ----------
    layers
        Input layers (their extent sets the initial view).
    tiles
        An xyzservices provider name (``"OpenStreetMap.Mapnik"``) to add web tiles, or
        None for the offline vector basemap only.
    title
        Page title (``<title>``), escaped here.
    """
    m = folium.Map(
        location=[20.0, 20.0],
        zoom_start=2,
        tiles=None,
        zoom_control="bottomright",
        zoom_snap=0.25,
        zoom_delta=0.5,
        min_zoom=1,
        world_copy_jump=False,
    )
    # folium links jQuery, Bootstrap, awesome-markers and Leaflet from CDNs: none is used.
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    assert isinstance(root, Figure)
    root.title = panels.esc(title)
    root.header.add_child(_Head(), name="redeploy_head")
    if tiles:
        m.add_child(_tile_layer(tiles))
    m.add_child(_Setup(_ATTRIBUTION))
    fit_view(m, _bounds(layers), right=330)
    return m


def fit_view(m: folium.Map, bounds: list[list[float]], *, right: int) -> None:
    """
    Fit the first view to `bounds`, clear of the title (top) and the panel (`right` px).

    Without animation: a zoom animation would still run when the page marks itself ready,
    and a screenshot taken then would catch an in-between frame (PNGs would differ).
    """
    fit = folium.map.FitBounds(bounds, padding_top_left=(10, 70), padding_bottom_right=(right, 10))
    fit.options["animate"] = False
    m.add_child(fit, name="fit_bounds")


def add_layers(m: folium.Map, data: Sequence[LayerData]) -> None:
    """Add each layer as a toggleable `folium.FeatureGroup` holding one `GeoJsonLayer`."""
    for d in data:
        _add_layer(m, d)


def finish_map(
    m: folium.Map,
    *,
    title: str,
    subtitle: str,
    panel: str,
    legend: str,
    flows: int,
) -> folium.Map:
    """Add the layer control, title, panel and legend; make every element id stable."""
    folium.LayerControl(position="topright", collapsed=False).add_to(m)
    root = m.get_root()
    assert isinstance(root, Figure)
    # Raw text, not branca's Element: that would compile the data in them as Jinja.
    root.html.add_child(RawHTML(panels.title_html(title, subtitle)), name="rd_title")
    root.html.add_child(RawHTML(panel), name="rd_panel")
    root.html.add_child(RawHTML(legend), name="rd_legend")
    m.add_child(
        _Controls(
            [("rd-title", "topleft"), ("rd-panel", "topright"), ("rd-legend", "bottomleft")], flows
        )
    )
    stabilise_ids(m)
    return m


def build_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    result: AllocationResult,
    *,
    tiles: str | None = None,
    title: str | None = None,
    zone_metric: str = "military",
) -> folium.Map:
    """
    Build the briefing map of one allocation run.

    Layers, bottom to top: the vector basemap, peripheral zones coloured by allocation,
    mineral zones, flows (width by amount, colour by asset class, along `result.routes`),
    supply nodes, chokepoints and fronts as markers sized by their key figure. Each is a
    toggleable overlay; popups and tooltips show values with units and sources (fronts and
    zones also their marginal values); a legend, a title and a scenario panel explain it.

    Parameters
    ----------
    layers
        Validated layers keyed by kind (``"fronts"``, ``"chokepoints"``, ...,
        ``"basemap"``), as `redeploy.layers.read_layers` returns them. Missing kinds are
        left out.
    result
        The solved allocation. Only its frames are read.
    tiles
        An xyzservices provider name (``"OpenStreetMap.Mapnik"``) to add web tiles; by
        default the map needs no network at all.
    title
        Title shown on the map; defaults to a generic one.
    zone_metric
        What colours the zones: ``"military"`` (kpe summed over military assets) or an
        asset class such as ``"engagement"``.

    Returns
    -------
    folium.Map
        The map; write it with `save_map`.
    """
    title = title or _DEFAULT_TITLE
    m = new_map(layers, tiles=tiles, title=f"{title} · {result.scenario}")
    data = list(iter_layer_data(layers, result, tiles=tiles, zone_metric=zone_metric))
    add_layers(m, data)
    flows = next((d for d in data if d.kind == "flows"), None)
    subtitle = f"Scenario {result.scenario}: {panels.headline(result)}"
    return finish_map(
        m,
        title=title,
        subtitle=subtitle,
        panel=panels.panel_html(result, layers),
        legend=panels.legend_html(data),
        flows=flows.count if flows else 0,
    )


def iter_layer_data(
    layers: Mapping[str, gpd.GeoDataFrame],
    result: AllocationResult,
    *,
    tiles: str | None = None,
    zone_metric: str = "military",
) -> Iterator[LayerData]:
    """Yield the drawable layers of a run, bottom to top."""
    zones_gdf = layers.get(LayerKind.PERIPHERAL_ZONES)
    zones = [zone_layer(zones_gdf, result, metric=zone_metric)] if zones_gdf is not None else []
    # Listed even when empty, so every run's map has the same layers.
    flows = flow_layer(layers, result) if result.routes is not None else None
    yield from stack_layers(layers, result, zones=zones, flows=flows, tiles=tiles)


def _walk(element: Element) -> Iterator[Element]:
    yield element
    if isinstance(element, Figure):
        for part in (element.header, element.html, element.script):
            yield from _walk(part)
    for child in list(element._children.values()):
        yield from _walk(child)


def stabilise_ids(m: folium.Map) -> None:
    """Replace folium's random element ids by a counter in tree order (stable output)."""
    for i, element in enumerate(_walk(m.get_root())):
        element._id = f"{i:03d}"


# folium and branca name elements "<kind>_<32 hex digits>"; `stabilise_ids` numbers the
# tree, and any element created while rendering gets a counter in order of appearance.
_RANDOM_ID = re.compile(r"[0-9a-f]{32}")


def render_html(m: folium.Map) -> str:
    """
    Render the map's page as text, byte-stable for the same inputs.

    Returns
    -------
    str
        The complete HTML document.
    """
    stabilise_ids(m)
    root = m.get_root()
    text = root.render()
    # Only the names of elements still carrying a random id are replaced, never text from
    # the data that merely looks like one (a source address with a 32-digit hash).
    names = {e.get_name() for e in _walk(root) if _RANDOM_ID.fullmatch(e._id)}
    found = sorted((text.find(n), n) for n in names if n in text)
    for i, (_, name) in enumerate(found):
        text = text.replace(name, name[:-32] + f"x{i:03d}")
    # Trailing spaces from folium's templates only cost bytes.
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text)


def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """
    Write the map's page to `path` atomically (a temporary file, then `os.replace`).

    Parameters
    ----------
    m
        A map from `build_map` or `build_compare_map`.
    path
        Output ``.html`` file; its folder is created if needed.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    return write_atomic(Path(path), render_html(m))


def write_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    result: AllocationResult,
    out_dir: str | os.PathLike[str],
    *,
    name: str | None = None,
    tiles: str | None = None,
    png: bool = False,
    title: str | None = None,
) -> list[Path]:
    """
    Write the map of a run as ``OUT/NAME.html`` (and ``OUT/NAME.png`` with `png`).

    This is what ``redeploy run`` calls after solving.

    Parameters
    ----------
    layers
        The layers the run used, keyed by kind (the basemap included).
    result
        The solved allocation.
    out_dir
        Output folder (created if needed).
    name
        File stem; defaults to the scenario name.
    tiles
        Optional xyzservices provider name for web tiles (``--tiles``).
    png
        Also render a 1600x900 PNG with headless Chromium (``--png``).
    title
        Map title.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name or result.scenario).strip("._") or "map"
    html_path = save_map(
        build_map(layers, result, tiles=tiles, title=title), Path(out_dir) / f"{stem}.html"
    )
    files = [html_path]
    if png:
        from redeploy.render.png import save_png

        files.append(save_png(html_path, width=SLIDE_SIZE[0], height=SLIDE_SIZE[1]))
    return files


def check_tiles(tiles: str | None) -> None:
    """Raise ValueError unless `tiles` is None or a known xyzservices provider name."""
    if tiles:
        _tile_layer(tiles)
