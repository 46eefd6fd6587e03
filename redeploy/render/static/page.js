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
    if (p.fl) d.appendChild(el('div', p.fl, 'rd-pop-fl'));
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
    if (!p || p.rdUnpacked) return p;
    ['t', 'k', 'src', 'n', 'tt'].forEach(function (k) {
      if (p[k] !== undefined) p[k] = txt(p[k]);
    });
    if (p.rows) p.rows = cells(p.rows);
    untab(p.tab); untab(p.more); (p.tabs || []).forEach(untab);
    Object.defineProperty(p, 'rdUnpacked', { value: true });
    return p;
  }
  // Every drawn layer by kind, for the legend, the labels and the zone colour switch.
  var kinds = {}, metric = 0;
  function style(o, f) {
    var p = f.properties || {}, s = L.extend({}, o.style);
    if (p.fa) s.fillColor = p.fa[metric] || p.fa[0];
    else if (p.fc) s.fillColor = p.fc;
    if (p.c) s.color = p.c;
    if (p.w) s.weight = p.w;
    if (p.d) s.dashArray = p.d;
    if (p.o) s.opacity = p.o;
    // Estimated figures are drawn apart from sourced ones (the legend says how).
    if (p.e && o.est) L.extend(s, o.est);
    if (p.ring) { s.fill = false; s.color = s.fillColor; s.weight = 1.5; s.opacity = 0.9; }
    return s;
  }
  function toPoint(o, side) {
    return function (f, ll) {
      var p = f.properties || {};
      if (p.sh === 'home') {
        // The home pool: a star (CSS), not a circle, so it never reads as a layer's marker.
        return L.marker(ll, { pane: 'rdMarkers', interactive: o.interactive, keyboard: false,
          icon: L.divIcon({ className: 'rd-home', iconSize: [24, 24] }) });
      }
      return L.circleMarker(ll, L.extend({}, o.style, {
        radius: p.r || 5, pane: 'rdMarkers',
        renderer: (side !== 0 && side !== 1 && canvas) || undefined,
        interactive: o.interactive && !p.ring, bubblingMouseEvents: false }));
    };
  }
  // A twin map (side 0: A, 1: B) draws each run on its own: zones by what the run adds,
  // flows at the run's amount on one width scale for both runs (`ab` properties).
  function twinStyle(o, f, side) {
    var s = style(o, f), p = f.properties || {};
    if (!p.ab) return s;
    if (o.kind === 'peripheral_zones') { s.fillColor = p.ab[side]; return s; }
    s.weight = p.ab[side]; s.color = p.cc || s.color; s.opacity = 0.85;
    s.dashArray = o.kind === 'flows_engagement'
      ? '0.1 ' + Math.max(5, 1.9 * p.ab[side]).toFixed(1) : null;
    return s;
  }
  function geoOptions(o, side) {
    var twin = side === 0 || side === 1;
    return {
      pane: o.pane,
      renderer: (!twin && canvas) || undefined,  // the shared canvas is the main map's
      interactive: o.interactive,
      bubblingMouseEvents: false,
      filter: function (f) {
        var p = f.properties || {};
        return !twin || !p.ab || o.kind === 'peripheral_zones' || p.ab[side] > 0;
      },
      style: function (f) { return twin ? twinStyle(o, f, side) : style(o, f); },
      pointToLayer: toPoint(o, side),
      onEachFeature: function (f, l) {
        var p = f.properties;
        if (!o.interactive || !p || p.t === undefined) return;
        bind(l, function () { return popup(p); },
             function () { return el('span', p.tt || p.t); });
      }
    };
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
        s = L.extend({}, DOT, style(o, f));
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
    point: function () { return this._hit >= 0 ? this._p[this._hit] : null; }
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
      var p = f.properties || {};
      return f.geometry && f.geometry.type === 'Point' && !p.sh && !p.ring;
    });
  }
  function layer(data, o) {
    data.features.forEach(function (f) { f.geometry = dq(f.geometry); unpack(f.properties); });
    var g = isDots(data) ? dots(data, o) : L.geoJSON(data, geoOptions(o));
    g.rdKind = o.kind; g.rdData = data; g.rdOpts = o;
    (kinds[o.kind] = kinds[o.kind] || []).push(g);
    return g;
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
  var paneSpec = {};
  function panes(map, spec) {
    paneSpec = spec;
    Object.keys(spec).forEach(function (name) {
      map.createPane(name).style.zIndex = spec[name];
    });
  }
  function shown(map, kind) {
    var ls = kinds[kind];
    if (!ls) return true;
    return ls.some(function (g) { return map.hasLayer(g); });
  }
  // The legend follows the layer control: a block of a hidden layer is hidden too.
  // On comparison pages a block may also belong to one view (`data-rd-view`).
  function syncLegend(map) {
    var view = document.documentElement.getAttribute('data-rd-view');
    document.querySelectorAll('#rd-legend [data-rd-kind]').forEach(function (e) {
      var ks = e.getAttribute('data-rd-kind').split(' '), v = e.getAttribute('data-rd-view');
      e.hidden = !ks.some(function (k) { return shown(map, k); }) || (!!v && !!view && v !== view);
    });
  }
  // Zones coloured by what they receive: forces, engagement or value (legend's choice).
  function setMetric(map, i) {
    metric = i;
    (kinds.peripheral_zones || []).forEach(function (g) {
      g.eachLayer(function (l) {
        var p = l.feature && l.feature.properties;
        if (p && p.fa) l.setStyle({ fillColor: p.fa[i] || p.fa[0] });
      });
    });
    document.querySelectorAll('#rd-legend [data-rd-metric]').forEach(function (e) {
      e.hidden = e.getAttribute('data-rd-metric') !== String(i);
    });
    document.querySelectorAll('input[name="rd-metric"]').forEach(function (e) {
      e.checked = e.value === String(i);
      e.parentNode.classList.toggle('rd-on', e.checked);
    });
    document.documentElement.setAttribute('data-rd-zones', String(i));
  }

  // ------------------------------------------------------------------ labels
  // Permanent labels, placed greedily by priority (the order given) at the first of four
  // positions around their anchor that overlaps no label placed before and no box of the
  // page (title, panel, legend, controls); a label that finds none is hidden.
  var labels = [], labelMap = null;
  function addLabels(map, list) {
    labelMap = map;
    var pane = map.createPane('rdLabels');
    pane.style.zIndex = 640;
    pane.style.pointerEvents = 'none';
    labels = list.map(function (d) {
      var e = el('div', d.t, 'rd-label rd-label-' + d.c);
      pane.appendChild(e);
      return { ll: L.latLng(d.y, d.x), r: d.r || 0, k: d.k, a: d.a, e: e, w: 0, h: 0 };
    });
    // Leaflet does not scale this pane while it animates a zoom: hide it meanwhile.
    map.on('zoomstart', function () { pane.style.visibility = 'hidden'; });
    map.on('zoomend', function () { pane.style.visibility = ''; });
    map.on('zoomend moveend resize overlayadd overlayremove', function () { placeLabels(); });
  }
  function boxes(map) {
    var base = map.getContainer().getBoundingClientRect(), out = [];
    var sel = '.rd-box, .leaflet-control-layers, .leaflet-control-zoom, .leaflet-control-attribution';
    map.getContainer().querySelectorAll(sel).forEach(function (e) {
      var r = e.getBoundingClientRect();
      if (!r.width || !r.height || e.offsetParent === null) return;
      out.push({ x: r.left - base.left - 2, y: r.top - base.top - 2, w: r.width + 4, h: r.height + 4 });
    });
    return out;
  }
  function overlaps(a, b) {
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  }
  function placeLabels() {
    var map = labelMap;
    if (!map) return;
    var size = map.getSize(), taken = boxes(map), n = 0;
    labels.forEach(function (it) {
      if (!shown(map, it.k)) { it.e.style.display = 'none'; return; }
      it.e.style.display = '';
      if (!it.w) {  // whole pixels and a pixel to spare: labels never touch
        var box = it.e.getBoundingClientRect();
        it.w = Math.ceil(box.width) + 2; it.h = Math.ceil(box.height) + 2;
      }
      var p = map.latLngToContainerPoint(it.ll), r = it.r + 3, w = it.w, h = it.h;
      var spots = [[r, -h / 2], [-r - w, -h / 2], [-w / 2, -r - h], [-w / 2, r]];
      // Zone labels sit on their zone first, then beside it.
      if (it.a) spots.unshift([-w / 2, -h / 2]);
      var found = null;
      for (var i = 0; i < spots.length && !found; i++) {
        var b = { x: p.x + spots[i][0], y: p.y + spots[i][1], w: w, h: h };
        if (b.x < 2 || b.y < 2 || b.x + w > size.x - 2 || b.y + h > size.y - 2) continue;
        if (taken.some(function (t) { return overlaps(b, t); })) continue;
        found = b;
      }
      if (!found) { it.e.style.display = 'none'; return; }
      taken.push(found);
      n += 1;
      L.DomUtil.setPosition(it.e, map.containerPointToLayerPoint([found.x + 1, found.y + 1]).round());
    });
    document.documentElement.setAttribute('data-rd-labels', String(n));
  }

  // ------------------------------------------------------------------ layout
  // The first view fits the data clear of the title (top), the panel (right) and the legend
  // (bottom), measured as drawn: at any window size the flows stay in the open.
  var home = null;
  function gap(map) {
    var base = map.getContainer().getBoundingClientRect();
    function rect(id) {
      var e = document.getElementById(id);
      return e && e.offsetParent !== null ? e.getBoundingClientRect() : null;
    }
    var t = rect('rd-title'), p = rect('rd-panel'), g = rect('rd-legend');
    return {
      top: t ? t.bottom - base.top + 6 : 10,
      right: p ? base.right - p.left + 8 : 10,
      bottom: g ? base.bottom - g.top + 6 : 10
    };
  }
  function layout(map) {
    var legend = document.getElementById('rd-legend'), panel = document.getElementById('rd-panel');
    if (!legend) return;
    var width = map.getContainer().clientWidth;
    var right = panel && panel.offsetParent !== null ? panel.offsetWidth + 30 : 20;
    legend.style.width = Math.max(220, Math.min(1180, width - right - 20)) + 'px';
  }
  function fit(map, bounds) {
    layout(map);
    map.invalidateSize({ pan: false });
    var g = gap(map);
    map.fitBounds(bounds, { paddingTopLeft: [10, g.top], paddingBottomRight: [g.right, g.bottom],
                            animate: false });
  }
  function still(fn) {
    window.requestAnimationFrame(function () { window.requestAnimationFrame(fn); });
  }
  // Slides (PNG export): no interactive controls, the panel's story only, an optional region.
  function slide(opts) {
    var root = document.documentElement, map = slide.map;
    root.removeAttribute('data-rd-slide');
    root.classList.add('rd-slide');
    if (opts.title) document.querySelector('#rd-title .rd-h1').textContent = opts.title;
    if (opts.subtitle) document.querySelector('#rd-title .rd-h2').textContent = opts.subtitle;
    var b = opts.bbox ? [[opts.bbox[1], opts.bbox[0]], [opts.bbox[3], opts.bbox[2]]] : home;
    fit(map, b);
    placeLabels();
    still(function () { root.setAttribute('data-rd-slide', '1'); });
  }
  // Print: one landscape page (A4 or Letter), the map full size with title, story and legend.
  function printing(map) {
    var saved = null, root = document.documentElement;
    window.addEventListener('beforeprint', function () {
      saved = [map.getCenter(), map.getZoom()];
      root.classList.add('rd-print');
      fit(map, home);
      placeLabels();
    });
    window.addEventListener('afterprint', function () {
      root.classList.remove('rd-print');
      layout(map);
      map.invalidateSize({ pan: false });
      if (saved) map.setView(saved[0], saved[1], { animate: false });
      placeLabels();
    });
  }
  // Compare pages: the difference map, or A and B side by side with one view (synchronised).
  function twin(main, spec) {
    var wrap = el('div', null, 'rd-twin'), maps = [], lock = false, root = document.documentElement;
    wrap.hidden = true;
    document.body.appendChild(wrap);
    L.DomEvent.disableClickPropagation(wrap);
    L.DomEvent.disableScrollPropagation(wrap);
    var halves = [0, 1].map(function (side) {
      var half = el('div', null, 'rd-twin-half');
      var box = el('div', null, 'rd-twin-map');
      half.appendChild(box);
      half.appendChild(el('div', side ? spec.b : spec.a, 'rd-twin-h'));
      wrap.appendChild(half);
      return box;
    });
    function follow(from, to) {
      from.on('move', function () {
        if (lock) return;
        lock = true;
        to.setView(from.getCenter(), from.getZoom(), { animate: false });
        lock = false;
      });
    }
    function build() {
      halves.forEach(function (box, side) {
        var m = L.map(box, { zoomControl: false, attributionControl: false, zoomSnap: 0.25,
                             zoomDelta: 0.5, minZoom: 1, center: main.getCenter(),
                             zoom: main.getZoom() });
        panes(m, paneSpec);
        spec.kinds.forEach(function (k) {
          (kinds[k] || []).forEach(function (g) {
            if (main.hasLayer(g)) L.geoJSON(g.rdData, geoOptions(g.rdOpts, side)).addTo(m);
          });
        });
        maps.push(m);
      });
      follow(maps[0], maps[1]);
      follow(maps[1], maps[0]);
    }
    function show(view) {
      var on = view === 'twin', g = gap(main);
      wrap.style.right = (on ? g.right : 0) + 'px';
      wrap.style.setProperty('--rd-top', g.top + 'px');
      wrap.hidden = !on;
      if (on && !maps.length) build();
      if (on) {
        maps.forEach(function (m) {
          m.invalidateSize({ pan: false });
          m.fitBounds(home, { paddingTopLeft: [10, g.top + 24], paddingBottomRight: [10, g.bottom],
                              animate: false });
        });
      }
      root.setAttribute('data-rd-view', view);
      document.querySelectorAll('input[name="rd-view"]').forEach(function (e) {
        e.checked = e.value === view;
      });
      syncLegend(main);
    }
    document.querySelectorAll('input[name="rd-view"]').forEach(function (e) {
      e.addEventListener('change', function () { if (e.checked) show(e.value); });
    });
    twin.show = show;
    twin.maps = maps;
    show('diff');
  }
  function ready(map, flows, bounds) {
    var root = document.documentElement, tiles = [];
    slide.map = map;
    home = bounds;
    root.setAttribute('data-rd-flows', String(flows));
    map.on('overlayadd overlayremove', function () { syncLegend(map); });
    document.querySelectorAll('input[name="rd-metric"]').forEach(function (e) {
      e.addEventListener('change', function () { setMetric(map, Number(e.value)); });
    });
    var chosen = document.querySelector('input[name="rd-metric"]:checked');
    if (chosen) setMetric(map, Number(chosen.value));
    if (bounds) fit(map, bounds);
    syncLegend(map);
    printing(map);
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
        placeLabels();
        still(function () {
          root.setAttribute('data-rd-ready-ms', String(Math.round(performance.now())));
          root.setAttribute('data-rd-ready', '1');
        });
      });
    }
  }
  return { el: el, dq: dq, popup: popup, layer: layer, control: control, panes: panes, page: page,
           ready: ready, labels: addLabels, place: placeLabels, slide: slide, fit: fit,
           metric: setMetric, kinds: kinds, shown: shown, style: style, twin: twin,
           view: function (v) { twin.show(v); } };
})();
