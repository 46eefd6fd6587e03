"""Offline assets: Leaflet's JS and CSS (from the installed django-js-lib-leaflet package) and
the page's own CSS and runtime script.

The maps inline them so a saved file opens with no network. The CSS's image references
(layer-control icon, default marker) become ``data:`` URIs and the source-map comment is
dropped, so the browser requests nothing at all.
"""

from __future__ import annotations

import base64
import importlib.resources
import re
from functools import lru_cache
from importlib.resources.abc import Traversable

from redeploy.errors import RedeployError

_PACKAGE = "js_lib_leaflet"
_FOLDER = "static/js_lib_leaflet"


def _resource(name: str) -> Traversable:
    try:
        root = importlib.resources.files(_PACKAGE)
    except ModuleNotFoundError as err:
        msg = (
            "the Leaflet files for offline maps are missing: install the "
            "'django-js-lib-leaflet' package (pip install django-js-lib-leaflet)"
        )
        raise RedeployError(msg) from err
    return root.joinpath(_FOLDER, name)


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    """
    Return Leaflet's minified JavaScript, ready to inline in a ``<script>`` element.

    Returns
    -------
    str
        ``leaflet.js`` without its ``sourceMappingURL`` comment.
    """
    text = _resource("leaflet.js").read_text(encoding="utf-8")
    text = re.sub(r"\n?//# sourceMappingURL=\S*\s*$", "\n", text)
    # Nothing in the inlined script may close the <script> element early.
    if "</script" in text.lower():
        msg = "leaflet.js contains '</script' and cannot be inlined"
        raise RedeployError(msg)
    return text


def _data_uri(name: str) -> str:
    data = _resource(f"images/{name}").read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


@lru_cache(maxsize=1)
def leaflet_css() -> str:
    """
    Return Leaflet's CSS with its images embedded as ``data:`` URIs.

    Returns
    -------
    str
        ``leaflet.css`` in which every ``url(images/NAME.png)`` is a data URI.
    """
    text = _resource("leaflet.css").read_text(encoding="utf-8")
    text = re.sub(r"url\(images/([\w.-]+\.png)\)", lambda m: f"url({_data_uri(m[1])})", text)
    return text


PAGE_CSS = """
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
.rd-panel{width:310px;max-height:calc(100vh - 330px);overflow:auto}
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
.rd-kv th{text-align:left;font-weight:500;color:#5b6673;padding:0 8px 0 0;vertical-align:top;
min-width:118px}
.rd-kv td{padding:0}
.rd-pop .rd-tab{margin-top:4px}
.rd-pop-n{color:#5b6673;font-style:italic;font-size:11px;margin-top:4px}
.rd-pop-s{color:#5b6673;font-size:10.5px;margin-top:4px;border-top:1px solid #e3e6ea;
padding-top:3px;overflow-wrap:anywhere}
.rd-pop summary{cursor:pointer}
.rd-pop-h{font-weight:650;font-size:11.5px;color:#2b3642;margin-top:7px}
.rd-pop-more summary.rd-pop-h{font-weight:600;color:#4a5563}
.rd-ptab th{white-space:normal;vertical-align:bottom;line-height:1.15}
.rd-home{filter:drop-shadow(0 0 1px #fff) drop-shadow(0 0 1.5px #fff)
drop-shadow(0 1px 2px rgba(0,0,0,.35))}
.rd-home::before{content:"";position:absolute;inset:0;background:{home};
clip-path:polygon(50% 0,61% 35%,98% 35%,68% 57%,79% 91%,50% 70%,21% 91%,32% 57%,2% 35%,39% 35%)}
.rd-sec{margin-top:2px}
.rd-allies td{white-space:nowrap}
.rd-panel .rd-allies td:first-child{max-width:92px}
.rd-sec>summary{font-weight:650;font-size:12px;color:#2b3642;margin:8px 0 3px}
.rd-panel .rd-sec summary{font-size:12px}
.rd-star{display:inline-block;width:16px;height:16px;background:{home};vertical-align:middle;
clip-path:polygon(50% 0,61% 35%,98% 35%,68% 57%,79% 91%,50% 70%,21% 91%,32% 57%,2% 35%,39% 35%)}
"""


# The page's own code: builds popups from plain properties with textContent (never
# innerHTML), moves the escaped title/panel/legend blocks into Leaflet controls, and marks
# the page ready for screenshots and tests.
PAGE_JS = r"""
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
    (p.tabs || []).forEach(function (x) {
      if (x.t) d.appendChild(el('div', x.t, 'rd-pop-h'));
      d.appendChild(x.h ? table(x.h, x.r, 'rd-tab rd-ptab') : table(null, x.r, 'rd-kv'));
      if (x.f) d.appendChild(el('div', x.f, 'rd-pop-n'));
    });
    if (p.more && p.more.r.length) {
      var more = el('details', null, 'rd-pop-more');
      more.appendChild(el('summary', p.more.t, 'rd-pop-h'));
      more.appendChild(table(null, p.more.r, 'rd-kv'));
      d.appendChild(more);
    }
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
  // Texts stored once on the page (redeploy.render.packing): a number in a text field is
  // the position of its text in the table. A page with a large layer draws every vector
  // layer on one canvas.
  var texts = [], canvas = null;
  function page(table, onCanvas) {
    texts = table;
    if (onCanvas && !canvas) canvas = L.canvas({ pane: 'rdZones', padding: 0.2 });
  }
  function txt(x) { return typeof x === 'number' ? texts[x] : x; }
  function cells(rows) { return rows.map(function (r) { return r.map(txt); }); }
  function untab(t) {
    if (!t) return t;
    ['t', 'f'].forEach(function (k) { if (t[k] !== undefined) t[k] = txt(t[k]); });
    if (t.h) t.h = t.h.map(txt);
    if (t.r) t.r = cells(t.r);
    return t;
  }
  function unpack(p) {
    if (!p) return p;
    ['t', 'k', 'src', 'n', 'tt'].forEach(function (k) {
      if (p[k] !== undefined) p[k] = txt(p[k]);
    });
    if (p.rows) p.rows = cells(p.rows);
    untab(p.tab); untab(p.more); (p.tabs || []).forEach(untab);
    return p;
  }
  function styleOf(o, p) {
    var s = L.extend({}, o.style);
    p = p || {};
    if (p.fc) s.fillColor = p.fc;
    if (p.c) s.color = p.c;
    if (p.w) s.weight = p.w;
    if (p.d) s.dashArray = p.d;
    if (p.o) s.opacity = p.o;
    return s;
  }
  function bind(l, content, tip) {
    l.bindPopup(content, { maxWidth: 540, minWidth: 220, maxHeight: 460,
                           autoPanPaddingTopLeft: [20, 90], autoPanPaddingBottomRight: [340, 20] });
    l.bindTooltip(tip, { sticky: true, direction: 'top', opacity: 0.95 });
  }
  // A point layer on a canvas page: one Leaflet path drawing every point (copies of one
  // small image per style and size) instead of one circle marker per point. Each point
  // keeps its popup and tooltip (the point under the pointer, topmost first, as markers).
  var DOT = { stroke: true, color: '#3388ff', weight: 3, opacity: 1, fill: true,
              fillColor: null, fillOpacity: 0.2, lineCap: 'round', lineJoin: 'round' };
  var Dots = L.Path.extend({
    initialize: function (features, o) {
      var n = features.length, keys = {}, i, f, s, k;
      L.setOptions(this, { interactive: o.interactive, bubblingMouseEvents: false,
                           pane: 'rdMarkers', renderer: canvas });
      this._p = new Array(n); this._ll = new Array(n); this._styles = [];
      this._r = new Float64Array(n); this._s = new Int32Array(n); this._hit = -1;
      this._sprites = {};
      for (i = 0; i < n; i++) {
        f = features[i];
        this._p[i] = f.properties || {};
        this._ll[i] = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
        s = L.extend({}, DOT, styleOf(o, this._p[i]));
        this._r[i] = this._p[i].r || 5;
        k = [s.stroke, s.color, s.weight, s.opacity, s.fill, s.fillColor, s.fillOpacity,
             s.dashArray].join('|');
        if (keys[k] === undefined) { keys[k] = this._styles.length; this._styles.push(s); }
        this._s[i] = keys[k];
      }
    },
    beforeAdd: function (map) {
      L.Path.prototype.beforeAdd.call(this, map);
      if (this._x) return;
      // Pixel positions at zoom 0; at zoom z they are these times 2^z (map.getZoomScale).
      var n = this._ll.length, b = [Infinity, Infinity, -Infinity, -Infinity], i, q;
      this._x = new Float64Array(n); this._y = new Float64Array(n);
      for (i = 0; i < n; i++) {
        q = map.project(this._ll[i], 0);
        this._x[i] = q.x; this._y[i] = q.y;
        b[0] = Math.min(b[0], q.x); b[1] = Math.min(b[1], q.y);
        b[2] = Math.max(b[2], q.x); b[3] = Math.max(b[3], q.y);
      }
      this._box = b;
      this._rmax = 1;
      for (i = 0; i < n; i++) {
        this._rmax = Math.max(this._rmax, this._r[i] + this._styles[this._s[i]].weight + 1);
      }
    },
    _project: function () {
      var m = this._map, k = m.getZoomScale(m.getZoom(), 0), o = m.getPixelOrigin();
      this._k = k; this._o = o;
      var b = this._box, r = this._rmax;
      this._pxBounds = L.bounds([b[0] * k - o.x - r, b[1] * k - o.y - r],
                                [b[2] * k - o.x + r, b[3] * k - o.y + r]);
    },
    _update: function () {},
    _updatePath: function () {
      var rd = this._renderer;
      if (!rd._drawing || !this._x.length) return;
      var ctx = rd._ctx, k = this._k, ox = this._o.x, oy = this._o.y, n = this._x.length;
      var i, im, h;
      ctx.globalAlpha = 1;
      for (i = 0; i < n; i++) {
        im = this._sprite(this._s[i], this._r[i]);
        h = im.rd;
        ctx.drawImage(im, Math.round(this._x[i] * k - ox) - h, Math.round(this._y[i] * k - oy) - h,
                      2 * h, 2 * h);
      }
    },
    // Each (style, radius) is drawn once into a small image, then copied for each point:
    // a copy costs far less than drawing a circle, and looks the same.
    _sprite: function (si, radius) {
      var key = si + ':' + radius, im = this._sprites[key];
      if (im) return im;
      var s = this._styles[si], r = Math.max(Math.round(radius), 1);
      var h = Math.ceil(r + (s.stroke ? s.weight / 2 : 0)) + 1, m = L.Browser.retina ? 2 : 1;
      im = document.createElement('canvas');
      im.width = im.height = 2 * h * m; im.rd = h;
      var ctx = im.getContext('2d');
      ctx.scale(m, m);
      ctx.beginPath();
      ctx.arc(h, h, r, 0, Math.PI * 2, false);
      if (s.fill) {
        ctx.globalAlpha = s.fillOpacity; ctx.fillStyle = s.fillColor || s.color;
        ctx.fill('evenodd');
      }
      if (s.stroke && s.weight !== 0) {
        if (s.dashArray) ctx.setLineDash(String(s.dashArray).split(/[, ]+/).map(Number));
        ctx.globalAlpha = s.opacity; ctx.lineWidth = s.weight; ctx.strokeStyle = s.color;
        ctx.lineCap = s.lineCap; ctx.lineJoin = s.lineJoin;
        ctx.stroke();
      }
      this._sprites[key] = im;
      return im;
    },
    _containsPoint: function (p) {
      var k = this._k, ox = this._o.x + p.x, oy = this._o.y + p.y;
      var tol = this._renderer.options.tolerance || 0;
      for (var i = this._x.length - 1; i >= 0; i--) {
        var s = this._styles[this._s[i]], dx = this._x[i] * k - ox, dy = this._y[i] * k - oy;
        var r = this._r[i] + (s.stroke ? s.weight / 2 : 0) + tol;
        if (dx * dx + dy * dy <= r * r) { this._hit = i; return true; }
      }
      this._hit = -1;
      return false;
    },
    _empty: function () { return !this._x.length; },
    point: function () { return this._hit >= 0 ? unpack(this._p[this._hit]) : null; }
  });
  function dots(data, o) {
    var l = new Dots(data.features, o);
    if (!o.interactive) return l;
    var shown = -1, open = null;
    l.on('click', function () { open = l.point(); }, null);
    l.on('mousemove', function () {
      if (l._hit !== shown && l.isTooltipOpen()) { shown = l._hit; l.getTooltip().update(); }
    });
    l.on('mouseover', function () { shown = l._hit; });
    bind(l, function () { return popup(open || l.point() || {}); }, function () {
      var p = l.point() || {}; return el('span', p.tt || p.t); });
    return l;
  }
  function isDots(data) {
    return canvas && data.features.length && data.features.every(function (f) {
      return f.geometry && f.geometry.type === 'Point' && !(f.properties && f.properties.sh);
    });
  }
  function layer(data, o) {
    if (isDots(data)) return dots(data, o);
    data.features.forEach(function (f) { f.geometry = dq(f.geometry); unpack(f.properties); });
    return L.geoJSON(data, {
      pane: o.pane,
      renderer: canvas || undefined,
      interactive: o.interactive,
      bubblingMouseEvents: false,
      style: function (f) { return styleOf(o, f.properties); },
      pointToLayer: function (f, ll) {
        if (f.properties && f.properties.sh === 'home') {
          // The home pool: a star (CSS), not a circle, so it never reads as a layer's marker.
          return L.marker(ll, { pane: 'rdMarkers', interactive: o.interactive, keyboard: false,
            icon: L.divIcon({ className: 'rd-home', iconSize: [24, 24] }) });
        }
        return L.circleMarker(ll, L.extend({}, o.style, {
          radius: (f.properties && f.properties.r) || 5, pane: 'rdMarkers',
          renderer: canvas || undefined, interactive: o.interactive,
          bubblingMouseEvents: false }));
      },
      onEachFeature: function (f, l) {
        var p = f.properties;
        if (!o.interactive || !p || p.t === undefined) return;
        bind(l, function () { return popup(p); },
             function () { return el('span', p.tt || p.t); });
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
           ready: ready, page: page };
})();
"""
