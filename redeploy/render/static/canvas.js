// The shared canvas of a page with a large layer (redeploy.render.packing): one Leaflet canvas
// renderer for every vector layer of the main map, and point layers drawn on it as one path
// each. Used by page.js (RD.page, RD.layer).
var RDC = (function () {
  // ------------------------------------------------------------------ renderer
  // A view reset (a zoom without animation) fires zoomend before viewreset: Leaflet projects
  // every path at the zoomend, then at the viewreset projects and clips them all again and
  // clips them once more before drawing. Here only the viewreset's projection and clipping
  // are done. A whole redraw also cancels a partial one asked for before it (Leaflet would
  // still draw that part at the next frame: at load, the whole canvas a second time).
  var Shared = L.Canvas.extend({
    _onZoomEnd: function () {
      if (!this._postponeUpdatePaths) L.Canvas.prototype._onZoomEnd.call(this);
    },
    _reset: function () {
      L.Renderer.prototype._reset.call(this);  // every path projected and clipped
      if (!this._postponeUpdatePaths) return;
      this._postponeUpdatePaths = false;
      this._redrawBounds = null;
      this._redraw();
    },
    _redraw: function () {
      if (!this._redrawBounds && this._redrawRequest) L.Util.cancelAnimFrame(this._redrawRequest);
      L.Canvas.prototype._redraw.call(this);
    },
    // As Leaflet's, but a run of dotted lines of one colour and opacity is drawn at once.
    _draw: function () {
      var bounds = this._redrawBounds, ctx = this._ctx, run = null, layer, key, order;
      ctx.save();
      if (bounds) {
        var size = bounds.getSize();
        ctx.beginPath();
        ctx.rect(bounds.min.x, bounds.min.y, size.x, size.y);
        ctx.clip();
      }
      this._drawing = true;
      for (order = this._drawFirst; order; order = order.next) {
        layer = order.layer;
        if (bounds && !(layer._pxBounds && layer._pxBounds.intersects(bounds))) continue;
        if (layer._blended && layer._blended()) {  // laid out with the points before it
          if (run) { this._dots(run); run = null; }
          layer._updatePath();
          continue;
        }
        this._flush();  // the points laid out so far go under this layer
        key = dotted(layer);
        if (run && key !== run.key) { this._dots(run); run = null; }
        if (key) { run = run || { key: key, layers: [] }; run.layers.push(layer); } else layer._updatePath();
      }
      if (run) this._dots(run);
      this._flush();
      this._drawing = false;
      ctx.restore();
    },
    // The layout of the large point layers drawn since the last layer of another kind
    // (`Blend`), started by the first of them: drawn onto the canvas at once, then cleared.
    _blendLayout: function () {
      if (!this._blendPending) { startBlend(this); this._blendPending = true; }
      return this._blend;
    },
    _flush: function () {
      if (!this._blendPending) return;
      this._blendPending = false;
      this._blend.paint(this._ctx);
    },
    // Dotted lines (a dash shorter than half a pixel, round caps: the engagement flows). The
    // canvas strokes such a dash at about a microsecond a dot in software, and a line of
    // thousands of kilometres holds hundreds of dots; here each dot is stamped into one
    // coverage mask (alpha over alpha, as the canvas lays one dot over another), which is then
    // drawn once in the run's colour. The same dots: where the canvas would start a dash.
    _dots: function (run) {
      var c = this._container, W = c.width, H = c.height, k = L.Browser.retina ? 2 : 1;
      var b = this._bounds, area = redrawArea(this);
      if (area[2] <= area[0] || area[3] <= area[1]) return;
      if (!this._mask || this._mask.w !== W || this._mask.h !== H) this._mask = new Mask(W, H);
      var mask = this._mask, rgba = parseColor(run.layers[0].options.color);
      run.layers.forEach(function (l) {
        var o = l.options, d = o._dashArray, a = o.opacity * rgba[3], rad = o.weight * k / 2;
        l._parts.forEach(function (part) {
          along(part, d[0] / 2, d[0] + d[1], function (x, y) {
            mask.stamp(area, (x - b.min.x) * k, (y - b.min.y) * k, rad, a);
          });
        });
      });
      mask.paint(this._ctx, rgba);
    }
  });
  // The area being redrawn in device pixels of the renderer's canvas: [x0, y0, x1, y1].
  function redrawArea(rd) {
    var c = rd._container, k = L.Browser.retina ? 2 : 1, b = rd._bounds;
    var r = rd._redrawBounds || b;
    return [Math.max(0, Math.floor((r.min.x - b.min.x) * k)),
            Math.max(0, Math.floor((r.min.y - b.min.y) * k)),
            Math.min(c.width, Math.ceil((r.max.x - b.min.x) * k)),
            Math.min(c.height, Math.ceil((r.max.y - b.min.y) * k))];
  }
  // Pixels `img` within `box` ([x0, y0, x1, y1], device pixels) drawn over `ctx` through the
  // scratch canvas `tmp` (putImageData would replace what is there), within any clip set.
  function drawPixels(ctx, tmp, img, box) {
    var x = box[0], y = box[1], w = box[2] - box[0], h = box[3] - box[1];
    tmp.getContext('2d').putImageData(img, 0, 0, x, y, w, h);
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);  // the clip of a partial redraw stays
    ctx.globalAlpha = 1;
    ctx.drawImage(tmp, x, y, w, h, x, y, w, h);
    ctx.restore();
  }
  // A coverage mask over the canvas (device pixels) that lists the pixels it covers and their
  // bounding box: only those are turned into pixels, drawn and cleared.
  function Mask(w, h) {
    this.w = w; this.h = h;
    this.a = new Float32Array(w * h);
    this.at = new Int32Array(1 << 16); this.n = 0;
    this.box = [w, h, 0, 0];
    this.img = new ImageData(w, h);
    this.tmp = document.createElement('canvas');
    this.tmp.width = w; this.tmp.height = h;
  }
  // A disc of radius `rad` at opacity `op` laid over the mask, within `area`: a pixel is
  // covered by the part of it within the disc (1 inside, 0 a pixel beyond the edge).
  Mask.prototype.stamp = function (area, cx, cy, rad, op) {
    var e = rad + 0.5, w = this.w, m = this.a, box = this.box, x, y, dx, dy, cov, i;
    var xa = Math.max(area[0], Math.floor(cx - e)), xb = Math.min(area[2], Math.ceil(cx + e));
    var ya = Math.max(area[1], Math.floor(cy - e)), yb = Math.min(area[3], Math.ceil(cy + e));
    if (xa >= xb || ya >= yb || !(op > 0)) return;
    box[0] = Math.min(box[0], xa); box[1] = Math.min(box[1], ya);
    box[2] = Math.max(box[2], xb); box[3] = Math.max(box[3], yb);
    for (y = ya; y < yb; y++) {
      dy = y + 0.5 - cy;
      for (x = xa; x < xb; x++) {
        dx = x + 0.5 - cx;
        cov = e - Math.sqrt(dx * dx + dy * dy);
        if (cov <= 0) continue;
        i = y * w + x;
        if (!m[i]) this.add(i);
        cov = op * (cov > 1 ? 1 : cov);
        m[i] += cov * (1 - m[i]);
      }
    }
  };
  Mask.prototype.add = function (i) {
    if (this.n === this.at.length) {
      var more = new Int32Array(2 * this.n);
      more.set(this.at);
      this.at = more;
    }
    this.at[this.n++] = i;
  };
  // The mask drawn in colour `rgb` on `ctx` (device pixels, within any clip set), then cleared.
  Mask.prototype.paint = function (ctx, rgb) {
    var m = this.a, px = this.img.data, at = this.at, box = this.box, k, i, j;
    if (!this.n) return;
    for (k = 0; k < this.n; k++) {
      i = at[k]; j = 4 * i;
      px[j] = rgb[0]; px[j + 1] = rgb[1]; px[j + 2] = rgb[2]; px[j + 3] = Math.round(255 * m[i]);
    }
    drawPixels(ctx, this.tmp, this.img, box);
    for (k = 0; k < this.n; k++) { i = at[k]; m[i] = 0; px[4 * i + 3] = 0; }  // back to empty
    this.n = 0;
    this.box = [this.w, this.h, 0, 0];
  };
  // The key of a dotted line's run (colour and opacity), or null when `l` is not one.
  function dotted(l) {
    var o = l.options, d = o._dashArray;
    if (!l._parts || !o.stroke || !(o.weight > 0) || o.fill || !d || d.length !== 2 ||
        !(d[0] < 0.5) || !(d[1] > 0) || o.lineCap !== 'round' || o.dashOffset) return null;
    return o.color + ' ' + o.opacity;
  }
  // Calls `fn(x, y)` at the points `first`, `first + step`, ... along a polyline.
  function along(pts, first, step, fn) {
    var t = first, i, ax, ay, dx, dy, len;
    for (i = 1; i < pts.length; i++) {
      ax = pts[i - 1].x; ay = pts[i - 1].y; dx = pts[i].x - ax; dy = pts[i].y - ay;
      len = Math.sqrt(dx * dx + dy * dy);
      if (!len) continue;
      for (; t <= len; t += step) fn(ax + dx * t / len, ay + dy * t / len);
      t -= len;
    }
  }
  var colorCtx = null;
  function parseColor(color) {  // [r, g, b, alpha] of any CSS colour
    colorCtx = colorCtx || document.createElement('canvas').getContext('2d');
    colorCtx.fillStyle = '#000';
    colorCtx.fillStyle = color;
    var s = colorCtx.fillStyle;  // '#rrggbb', or 'rgba(r, g, b, a)' when not opaque
    if (s.charAt(0) === '#') {
      return [1, 3, 5].map(function (i) { return parseInt(s.substr(i, 2), 16); }).concat([1]);
    }
    return s.replace(/[^\d.,]/g, '').split(',').map(Number).concat([1]).slice(0, 4);
  }

  // ------------------------------------------------------------------ blended points
  // A layer of many points is laid out in memory first: each point's image added over the
  // ones before it (source-over, premultiplied, in floating point), then the whole layer
  // drawn onto the canvas at once, within the area being redrawn. The canvas would take
  // about 6 microseconds a copy in software (a page of 28,000 points spent 69 % of a pan in
  // drawImage); the same images, composited in the same order (A over B over the map is
  // (A over B) over the map), give the same picture up to 8-bit rounding.
  // (`RDC.blend.min`: the number of points from which a layer is laid out so.)
  var BLEND = { min: 2000 };
  function Blend(w, h) {
    this.w = w; this.h = h;
    this.a = new Float32Array(4 * w * h);
    this.box = [w, h, 0, 0];
    this.img = new ImageData(w, h);
    this.tmp = document.createElement('canvas');
    this.tmp.width = w; this.tmp.height = h;
  }
  // The renderer's layout (`rd._blend`), made for its canvas and the area being redrawn.
  function startBlend(rd) {
    var c = rd._container, b = rd._bounds;
    if (!rd._blend || rd._blend.w !== c.width || rd._blend.h !== c.height) {
      rd._blend = new Blend(c.width, c.height);
    }
    var layer = rd._blend;
    layer.k = L.Browser.retina ? 2 : 1; layer.ox = b.min.x; layer.oy = b.min.y;
    layer.area = redrawArea(rd);
  }
  // The premultiplied pixels of a point's image (read once per image).
  function spritePixels(im) {
    if (im.px) return im.px;
    var d = im.getContext('2d').getImageData(0, 0, im.width, im.height).data;
    var px = new Float32Array(d.length), i, al;
    for (i = 0; i < d.length; i += 4) {
      al = d[i + 3] / 255;
      px[i] = d[i] / 255 * al; px[i + 1] = d[i + 1] / 255 * al; px[i + 2] = d[i + 2] / 255 * al;
      px[i + 3] = al;
    }
    im.px = px;
    return px;
  }
  // Point image `im` with its top left at (x, y) in layer pixels, over what the layer holds.
  Blend.prototype.add = function (im, x, y) {
    var px = spritePixels(im), sw = im.width, sh = im.height, w = this.w, a = this.a;
    var dx = Math.round((x - this.ox) * this.k), dy = Math.round((y - this.oy) * this.k);
    var area = this.area, box = this.box, u, v, s, d, al;
    var xa = Math.max(area[0], dx), xb = Math.min(area[2], dx + sw);
    var ya = Math.max(area[1], dy), yb = Math.min(area[3], dy + sh);
    if (xa >= xb || ya >= yb) return;
    box[0] = Math.min(box[0], xa); box[1] = Math.min(box[1], ya);
    box[2] = Math.max(box[2], xb); box[3] = Math.max(box[3], yb);
    for (v = ya; v < yb; v++) {
      s = 4 * ((v - dy) * sw + (xa - dx)); d = 4 * (v * w + xa);
      for (u = xa; u < xb; u++, s += 4, d += 4) {
        al = px[s + 3];
        if (!al) continue;
        al = 1 - al;
        a[d] = px[s] + a[d] * al; a[d + 1] = px[s + 1] + a[d + 1] * al;
        a[d + 2] = px[s + 2] + a[d + 2] * al; a[d + 3] = px[s + 3] + a[d + 3] * al;
      }
    }
  };
  // The layer drawn on `ctx` (device pixels, within any clip set), then cleared.
  Blend.prototype.paint = function (ctx) {
    var box = this.box, w = this.w, a = this.a, px = this.img.data, u, v, i, al;
    if (box[0] >= box[2] || box[1] >= box[3]) return;
    for (v = box[1]; v < box[3]; v++) {
      for (u = box[0], i = 4 * (v * w + u); u < box[2]; u++, i += 4) {
        al = a[i + 3];
        if (!al) continue;
        px[i] = Math.round(255 * a[i] / al); px[i + 1] = Math.round(255 * a[i + 1] / al);
        px[i + 2] = Math.round(255 * a[i + 2] / al); px[i + 3] = Math.round(255 * al);
      }
    }
    drawPixels(ctx, this.tmp, this.img, box);
    for (v = box[1]; v < box[3]; v++) {  // back to empty
      a.fill(0, 4 * (v * w + box[0]), 4 * (v * w + box[2]));
      px.fill(0, 4 * (v * w + box[0]), 4 * (v * w + box[2]));
    }
    this.box = [w, this.h, 0, 0];
  };

  // ------------------------------------------------------------------ points
  // A point layer on a canvas page: one Leaflet path drawing every point (copies of one
  // small image per style and size) instead of one circle marker per point. Each point
  // keeps its popup and tooltip (the point under the pointer, topmost first, as markers); a
  // front's ring is drawn, never under the pointer.
  var DOT = { stroke: true, color: '#3388ff', weight: 3, opacity: 1, fill: true,
              fillColor: null, fillOpacity: 0.2, lineCap: 'round', lineJoin: 'round' };
  var Dots = L.Path.extend({
    // `styleOf(feature)`: the feature's style (as its circle marker would have it).
    initialize: function (features, o, renderer, styleOf) {
      var n = features.length, keys = {}, i, f, s, k;
      L.setOptions(this, { interactive: o.interactive, bubblingMouseEvents: false,
                           pane: 'rdMarkers', renderer: renderer });
      this._p = new Array(n); this._ll = new Array(n); this._styles = [];
      this._r = new Float64Array(n); this._s = new Int32Array(n); this._hit = -1;
      this._ring = new Uint8Array(n);
      this._sprites = {}; this._im = new Array(n);  // each point's sprite, once found
      for (i = 0; i < n; i++) {
        f = features[i];
        this._p[i] = f.properties || {};
        this._ring[i] = this._p[i].ring ? 1 : 0;
        this._ll[i] = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
        s = L.extend({}, DOT, styleOf(f));
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
      var b = rd._redrawBounds || rd._bounds, i, im, h, x, y;
      var layer = this._blended() ? rd._blendLayout() : null;
      ctx.globalAlpha = 1;
      for (i = 0; i < n; i++) {  // points off the area drawn are left out
        im = this._im[i] || (this._im[i] = this._sprite(this._s[i], this._r[i]));
        h = im.rd; x = Math.round(this._x[i] * k - ox) - h; y = Math.round(this._y[i] * k - oy) - h;
        if (x > b.max.x || y > b.max.y || x + 2 * h < b.min.x || y + 2 * h < b.min.y) continue;
        if (layer) layer.add(im, x, y); else ctx.drawImage(im, x, y, 2 * h, 2 * h);
      }
    },
    // Whether the layer's points are laid out in memory with the renderer's others (`Blend`).
    _blended: function () { return this._x.length >= BLEND.min; },
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
        if (this._ring[i]) continue;
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
  return { Shared: Shared, Dots: Dots, blend: BLEND };
})();
