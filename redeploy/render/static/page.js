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
  // layer on one canvas (RDC.Shared, static/canvas.js).
  var texts = [], canvas = null;
  function page(table, onCanvas) {
    texts = table;
    if (onCanvas && !canvas) canvas = new RDC.Shared({ pane: 'rdZones', padding: 0.2 });
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
  // A point layer on a canvas page: one path drawing every point (RDC.Dots, static/canvas.js).
  function dots(data, o) {
    var l = new RDC.Dots(data.features, o, canvas, function (f) { return style(o, f); });
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
      return f.geometry && f.geometry.type === 'Point' && !p.sh;
    });
  }
  // A layer written as columns (redeploy.render.packing): its features made again, each
  // property left out where its column holds null; label-value rows from their count and
  // the flat cells (rc).
  function features(data) {
    if (!data.p) return data;
    var keys = Object.keys(data.p), n = data.n, out = new Array(n), i, j, k, p, v, g, at = 0;
    for (i = 0; i < n; i++) {
      p = {};
      for (j = 0; j < keys.length; j++) {
        v = data.p[keys[j]][i];
        if (v === null) continue;
        if (keys[j] === 'rows' && data.rc) {
          k = v; v = [];
          for (; k > 0; k--, at += 2) v.push([data.rc[at], data.rc[at + 1]]);
        }
        p[keys[j]] = v;
      }
      g = data.xy ? { type: 'Point', coordinates: [data.xy[2 * i], data.xy[2 * i + 1]] }
        : data.g[i];
      out[i] = { type: 'Feature', geometry: g, properties: p };
    }
    var fc = {};
    Object.keys(data).forEach(function (k) {
      if (['n', 'xy', 'g', 'p', 'rc'].indexOf(k) < 0) fc[k] = data[k];
    });
    fc.features = out;
    return fc;
  }
  function layer(data, o) {
    data = features(data);
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
      return { ll: L.latLng(d.y, d.x), r: d.r || 0, k: d.k, a: d.a, e: e, w: 0, h: 0, on: true,
               at: null };
    });
    // Leaflet does not scale this pane while it animates a zoom: hide it meanwhile.
    map.on('zoomstart', function () { pane.style.visibility = 'hidden'; });
    map.on('zoomend', function () { pane.style.visibility = ''; });
    // Every zoom ends with a moveend too: the labels are placed once per move.
    map.on('moveend resize overlayadd overlayremove', function () { placeLabels(); });
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
  // The boxes taken, filed by the cells (64 px) of a grid they cover: a box is tested against
  // the boxes sharing a cell with it (two boxes that overlap share one), not every box taken.
  function grid() {
    var cells = {};
    function span(b, fn) {
      var x1 = Math.floor((b.x + b.w) / 64), y0 = Math.floor(b.y / 64), y1 = Math.floor((b.y + b.h) / 64);
      for (var i = Math.floor(b.x / 64); i <= x1; i++) {
        for (var j = y0; j <= y1; j++) { if (fn(i + ' ' + j)) return true; }
      }
      return false;
    }
    return {
      add: function (b) { span(b, function (c) { (cells[c] = cells[c] || []).push(b); }); },
      hits: function (b) {
        return span(b, function (c) {
          return !!cells[c] && cells[c].some(function (t) { return overlaps(b, t); });
        });
      }
    };
  }
  // Label sizes, read once: every label is shown, then all are read (one layout, not one per
  // label).
  function measure() {
    var todo = labels.filter(function (it) { return !it.w; });
    todo.forEach(function (it) { if (!it.on) { it.e.style.display = ''; it.on = true; } });
    todo.forEach(function (it) {  // whole pixels and a pixel to spare: labels never touch
      var box = it.e.getBoundingClientRect();
      it.w = Math.ceil(box.width) + 2; it.h = Math.ceil(box.height) + 2;
    });
  }
  function spot(map, it, size, taken) {
    var p = map.latLngToContainerPoint(it.ll), r = it.r + 3, w = it.w, h = it.h;
    // Far off the window every position is too: no need to try them.
    if (p.x < -r - w || p.y < -r - h || p.x > size.x + r + w || p.y > size.y + r + h) return null;
    var spots = [[r, -h / 2], [-r - w, -h / 2], [-w / 2, -r - h], [-w / 2, r]];
    // Zone labels sit on their zone first, then beside it.
    if (it.a) spots.unshift([-w / 2, -h / 2]);
    for (var i = 0; i < spots.length; i++) {
      var b = { x: p.x + spots[i][0], y: p.y + spots[i][1], w: w, h: h };
      if (b.x < 2 || b.y < 2 || b.x + w > size.x - 2 || b.y + h > size.y - 2) continue;
      if (!taken.hits(b)) return b;
    }
    return null;
  }
  // A label's element is written only when it changes (shown or hidden, moved).
  function put(map, it, b) {
    if (!b) { if (it.on) { it.e.style.display = 'none'; it.on = false; } return; }
    if (!it.on) { it.e.style.display = ''; it.on = true; }
    var q = map.containerPointToLayerPoint([b.x + 1, b.y + 1]).round();
    if (!it.at || !q.equals(it.at)) { L.DomUtil.setPosition(it.e, q); it.at = q; }
  }
  function placeLabels() {
    var map = labelMap;
    if (!map) return;
    measure();
    var size = map.getSize(), taken = grid(), n = 0, on = {}, root = document.documentElement;
    boxes(map).forEach(taken.add);
    labels.forEach(function (it) {
      if (on[it.k] === undefined) on[it.k] = shown(map, it.k);
      var b = on[it.k] ? spot(map, it, size, taken) : null;
      put(map, it, b);
      if (b) { taken.add(b); n += 1; }
    });
    if (root.getAttribute('data-rd-labels') !== String(n)) root.setAttribute('data-rd-labels', String(n));
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
