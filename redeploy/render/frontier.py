"""The frontier page: the value-risk chart (inline SVG) beside the map of the chosen point.

Each point of the chart is one λ of `redeploy.model.frontier.trace_frontier`; clicking it recolours
the zones and shows that point's flows (one flow layer holds every route used at any λ;
the page shows, hides and re-widths them). Zone colours and flow widths use one scale for
all points, so points compare at a glance. Nothing is recomputed here: the page reads the
results' frames. Text from data is escaped in the panel and set with ``textContent`` by the
page's script; the data travel as `script_json`.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Element, Figure
from jinja2 import Template

from redeploy import palette
from redeploy.model.frontier import Frontier
from redeploy.model.result import AllocationResult
from redeploy.render import panels
from redeploy.render.collector import paused_collection
from redeploy.render.features import LayerData, flow_layer, zone_layer
from redeploy.render.format import fmt_value
from redeploy.render.frames import HOME_ID, allocation_by_zone, names
from redeploy.render.frontier_chart import (
    SCENARIO_KEY,
    _lam,
    _points,
    swept_name,
)
from redeploy.render.frontier_panel import frontier_panel
from redeploy.render.geojson import script_json
from redeploy.render.macros import RawHTML, SafeMacro
from redeploy.render.maps import (
    _bounds,
    add_layers,
    finish_map,
    fit_view,
    new_map,
    save_map,
    stack_layers,
)
from redeploy.render.popups import channel_label
from redeploy.schemas import ASSET_UNITS, MILITARY_ASSETS, LayerKind

_CSS = """
.rdf-panel{width:400px}
.rdf-help{color:#4a5563;font-size:11.5px;margin:4px 0}
.rdf-chart{display:block;margin:2px 0 4px;font:10px system-ui,sans-serif}
.rdf-chart .rdf-pt{cursor:pointer}
.rdf-chart .rdf-pt:hover{stroke:#1d2733;stroke-width:2}
.rdf-chart .rdf-sel{stroke:#d4a017!important;stroke-width:3.5!important}
.rdf-detail .rd-tab{margin-bottom:4px}
.rdf-key{display:flex;gap:10px;flex-wrap:wrap;color:#4a5563;font-size:11px;margin-bottom:3px}
.rdf-key svg{vertical-align:middle}
"""

_SCRIPT = """{% macro script(this, kwargs) %}
(function () {
  var D = {{ this.data }};
  var zl = {{ this.zones.get_name() }}, fl = {{ this.flows.get_name() if this.flows else 'null' }};
  var zones = {}, flows = {};
  zl.eachLayer(function (l) {
    var p = l.feature.properties; p.base = p.rows || []; zones[p.zid] = l;
  });
  if (fl) fl.eachLayer(function (l) { flows[l.feature.properties.fid] = l; });
  function show(k) {
    var P = D.points[k];
    if (!P) return;
    Object.keys(zones).forEach(function (z) {
      var l = zones[z], p = l.feature.properties, v = P.z[z];
      p.fc = v ? v[0] : D.empty;
      p.tt = v ? v[1] : p.t + ' · ' + D.none;
      p.rows = (v ? v[2] : [[D.alloc, D.none]]).concat(p.base);
      l.setStyle({ fillColor: p.fc });
    });
    Object.keys(flows).forEach(function (f) {
      var l = flows[f], p = l.feature.properties, v = P.f[f];
      if (v) {
        p.w = v[0]; p.tt = v[1]; p.rows = v[2];
        l.setStyle({ weight: v[0] });
        if (!fl.hasLayer(l)) fl.addLayer(l);
      } else if (fl.hasLayer(l)) { l.closePopup(); fl.removeLayer(l); }
    });
    document.querySelectorAll('.rdf-pt').forEach(function (e) {
      e.classList.toggle('rdf-sel', e.getAttribute('data-k') === String(k));
    });
    document.querySelectorAll('.rdf-detail').forEach(function (e) {
      e.hidden = e.getAttribute('data-k') !== String(k);
    });
    document.documentElement.setAttribute('data-rdf-point', String(k));
  }
  document.querySelectorAll('.rdf-pt').forEach(function (e) {
    e.addEventListener('click', function () { show(e.getAttribute('data-k')); });
    e.addEventListener('keydown', function (ev) {
      if (ev.key !== 'Enter' && ev.key !== ' ') return;
      ev.preventDefault(); show(e.getAttribute('data-k'));
    });
  });
  window.RDF = { show: show };
  show(D.initial);
})();
{% endmacro %}"""


class _FrontierScript(SafeMacro):
    """The page's point switcher: per-point zone colours, flow widths and popup rows."""

    _template = Template(_SCRIPT)

    def __init__(self, data: dict[str, Any], zones: Element, flows: Element | None) -> None:
        super().__init__()
        self._name = "RedeployFrontier"
        self.data = script_json(data)
        self.zones = zones
        self.flows = flows


# ---------------------------------------------------------------- data per point


def _flow_key(rec: Mapping[Any, Any]) -> tuple[str, str, str]:
    return (str(rec["front_id"]), str(rec["zone_id"]), str(rec["asset"]))


def _union_flows(
    points: Sequence[tuple[str, float, AllocationResult, Any]], base: AllocationResult
) -> tuple[AllocationResult, list[tuple[str, str, str]], dict[tuple[str, str, str], float]]:
    """A result whose flows/routes are every route used at any point (largest amount)."""
    geoms: dict[tuple[str, str, str], tuple[Any, str, float]] = {}
    amount: dict[tuple[str, str, str], float] = {}
    for _, _, res, _ in points:
        if res.flows is None or res.flows.empty:
            continue
        for i, rec in enumerate(res.flows.to_dict("records")):
            key = _flow_key(rec)
            amount[key] = max(amount.get(key, 0.0), float(rec["amount"]))
            if key not in geoms and i < len(res.routes):
                mode = str(res.routes["mode"].iloc[i]) if "mode" in res.routes else ""
                geoms[key] = (res.routes.geometry.iloc[i], mode, float(rec["distance_km"]))
    keys = sorted(geoms)
    flows = pd.DataFrame(
        [
            {
                "front_id": k[0],
                "zone_id": k[1],
                "asset": k[2],
                "amount": amount[k],
                "distance_km": geoms[k][2],
                "cost": math.nan,
            }
            for k in keys
        ],
        columns=["front_id", "zone_id", "asset", "amount", "distance_km", "cost"],
    )
    routes = (
        gpd.GeoDataFrame(
            [
                {
                    "front_id": k[0],
                    "zone_id": k[1],
                    "asset": k[2],
                    "mode": geoms[k][1],
                    "geometry": geoms[k][0],
                }
                for k in keys
            ],
            geometry="geometry",
            crs="EPSG:4326",
        )
        if keys
        else gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    )
    return dataclasses.replace(base, flows=flows, routes=routes), keys, amount


def _zone_data(
    result: AllocationResult,
    names: Mapping[str, str],
    edges: Sequence[float],
    lam: str,
    sym: str = "λ",
) -> dict[str, list[Any]]:
    mil = allocation_by_zone(result, "military")
    zones = result.zones
    out: dict[str, list[Any]] = {}
    if zones is None or zones.empty:
        return out
    per = zones.pivot_table(index="zone_id", columns="asset", values="added", aggfunc="sum")
    for zid in sorted(per.index.astype(str)):
        if zid == HOME_ID:  # the home pool has its own marker, not a zone
            continue
        row = per.loc[zid]
        kpe = float(mil.get(zid, 0.0))
        eng = float(row.get("engagement", 0.0)) if "engagement" in row else 0.0
        if kpe <= 0 and eng <= 0:
            continue
        name = names.get(zid, zid)
        tip = f"{name} · {fmt_value(kpe, 'kpe')}"
        if eng > 0:
            tip += f", {fmt_value(eng, '$bn/yr')}"
        rows = [[f"Added at {sym} = {lam}", fmt_value(kpe, "kpe") or "0"]]
        if eng > 0:
            rows.append(["Engagement", fmt_value(eng, "$bn/yr") or "0"])
        for asset, amount in row.items():
            if asset in MILITARY_ASSETS and amount > 0:
                rows.append([f"· {asset}", fmt_value(amount, ASSET_UNITS[asset]) or "0"])
        out[zid] = [palette.allocation_color(kpe, edges), f"{tip} added at {sym} = {lam}", rows]
    return out


def _flow_data(
    result: AllocationResult,
    index: Mapping[tuple[str, str, str], int],
    amax: Mapping[str, float],
    fronts: Mapping[str, str],
    zones: Mapping[str, str],
) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    if result.flows is None or result.flows.empty:
        return out
    for rec in result.flows.to_dict("records"):
        key = _flow_key(rec)
        unit = ASSET_UNITS.get(key[2], "")
        amount = float(rec["amount"])
        text = fmt_value(amount, unit) or "0"
        rows = [["Amount", text]]
        for label, col, u in (("Distance", "distance_km", "km"), ("Transit cost", "cost", "")):
            value = fmt_value(rec.get(col), u)
            if value is not None:
                rows.append([label, value])
        tip = f"{key[2]} {text}: {fronts.get(key[0], key[0])} → {zones.get(key[1], key[1])}"
        out[str(index[key])] = [palette.flow_weight(amount, amax.get(unit, 0.0)), tip, rows]
    return out


# ---------------------------------------------------------------- the page


def _with_zone_ids(data: LayerData, gdf: gpd.GeoDataFrame) -> LayerData:
    feats = data.collection["features"]
    ids = [
        str(i)
        for i, g in zip(gdf["id"], gdf.geometry, strict=True)
        if g is not None and not g.is_empty
    ]
    if len(ids) != len(feats):  # pragma: no cover - zones always have a geometry
        msg = "zone features and zone ids do not line up"
        raise ValueError(msg)
    out = []
    for zid, f in zip(ids, feats, strict=True):
        props = {k: v for k, v in f["properties"].items() if k != "tab"}
        props["zid"] = zid
        out.append({**f, "properties": props})
    return dataclasses.replace(data, collection={**data.collection, "features": out})


def _find_layer(m: folium.Map, kind: str) -> Element | None:
    for group in m._children.values():
        for child in group._children.values():
            if getattr(child, "kind", None) == kind:
                return child
    return None


@paused_collection
def build_frontier_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    frontier: Frontier,
    *,
    tiles: str | None = None,
    title: str | None = None,
) -> folium.Map:
    """
    Build the frontier page: the chart in the side panel, the chosen point on the map.

    Parameters
    ----------
    layers
        Every layer, keyed by kind (the basemap included).
    frontier
        From `redeploy.model.frontier.trace_frontier`.
    tiles
        Optional xyzservices provider name for web tiles.
    title
        Page title.

    Returns
    -------
    folium.Map
        The map; write it with `redeploy.render.maps.save_map`.
    """
    title = title or "The tightrope: value against risk"
    points = _points(frontier)
    base = frontier.scenario_result
    m = new_map(layers, tiles=tiles, title=f"{title} · {frontier.scenario}")
    root = m.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(RawHTML(f"<style>{_CSS}</style>"), name="rdf_css")
    # The frontier panel is wider than the usual one: keep the data clear of it.
    fit_view(m, _bounds(layers), right=420)

    amounts = [v for _, _, r, _ in points for v in allocation_by_zone(r, "military").values()]
    edges = palette.allocation_bins(amounts)
    merged, keys, biggest = _union_flows(points, base)
    zones = _frontier_zones(layers, base, edges)
    flows = None
    if keys:
        flows = flow_layer(
            layers,
            merged,
            styles=[{"fid": i} for i in range(len(keys))],
            amounts=[biggest[k] for k in keys],
            title="Flows at the chosen λ",
        )
    data = stack_layers(layers, base, zones=zones, flows=flows, tiles=tiles)
    add_layers(m, data)
    n = len(frontier.table)
    top = float(frontier.table["lambda"].max()) if n else 0.0
    swept = (
        "the risk weight λ"
        if frontier.channel is None
        else f"the {channel_label(frontier.channel)} channel's weight {swept_name(frontier)}"
    )
    subtitle = (
        f"Scenario {frontier.scenario}: {n} values of {swept} from 0 to {_lam(top)} · "
        "colour: binding risk channel · click a point of the chart"
    )
    legend = panels.legend_html(
        data,
        zone_block=panels.zone_scale_html(
            "military capacity added (one scale for every point)", "kpe", edges
        ),
    )
    finish_map(
        m,
        title=title,
        subtitle=subtitle,
        panel=frontier_panel(frontier, layers),
        legend=legend,
        flows=flows.count if flows else 0,
    )
    zones_el = _find_layer(m, "peripheral_zones")
    if zones_el is not None:
        payload = _payload(frontier, layers, points, edges, keys, biggest)
        m.add_child(_FrontierScript(payload, zones_el, _find_layer(m, "flows")))
    return m


def _frontier_zones(
    layers: Mapping[str, gpd.GeoDataFrame], base: AllocationResult, edges: Sequence[float]
) -> list[LayerData]:
    """The zones coloured by the scenario's own λ, each feature carrying its zone id."""
    zones_gdf = layers.get(LayerKind.PERIPHERAL_ZONES)
    if zones_gdf is None:
        return []
    initial = allocation_by_zone(base, "military")
    colors = {z: palette.allocation_color(v, edges) for z, v in initial.items()}
    zl = zone_layer(
        zones_gdf, base, values=initial, colors=colors, title="Peripheral zones at the chosen λ"
    )
    return [_with_zone_ids(zl, zones_gdf)]


def _payload(
    frontier: Frontier,
    layers: Mapping[str, gpd.GeoDataFrame],
    points: Sequence[tuple[str, float, AllocationResult, Mapping[Any, Any]]],
    edges: Sequence[float],
    keys: Sequence[tuple[str, str, str]],
    biggest: Mapping[tuple[str, str, str], float],
) -> dict[str, Any]:
    """What the page's point switcher needs: per point, zone colours and flow widths."""
    sym = swept_name(frontier)
    fronts, zone_names = names(layers, "fronts"), names(layers, "peripheral_zones")
    index = {k: i for i, k in enumerate(keys)}
    amax: dict[str, float] = {}
    for k, a in biggest.items():
        unit = ASSET_UNITS.get(k[2], "")
        amax[unit] = max(amax.get(unit, 0.0), a)
    return {
        "initial": SCENARIO_KEY,
        "empty": palette.ZONE_EMPTY_COLOR,
        "none": "nothing added",
        "alloc": "Added",
        "points": {
            key: {
                "z": _zone_data(res, zone_names, edges, _lam(lam), sym),
                "f": _flow_data(res, index, amax, fronts, zone_names),
            }
            for key, lam, res, _ in points
        },
    }


def write_frontier_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    frontier: Frontier,
    path: str | os.PathLike[str],
    *,
    tiles: str | None = None,
) -> Path:
    """Write the frontier page to `path` (atomically; same inputs, same bytes)."""
    return save_map(build_frontier_map(layers, frontier, tiles=tiles), path)
