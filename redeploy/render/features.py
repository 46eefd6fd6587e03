"""Map features: layers and result frames turned into compact GeoJSON with popup and style data.

Each feature's ``properties`` hold only what the page's script needs: ``t`` (title), ``k``
(kind line), ``rows`` ([label, value] pairs, values already formatted with their units),
``tab`` (a per-asset table), ``src`` (sources), ``tt`` (tooltip), and style keys ``r``
(radius), ``fc`` (fill colour), ``c`` (line colour), ``w`` (line width), ``d`` (dash
pattern). Text is plain: the page inserts it with ``textContent``, never as HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from redeploy import palette
from redeploy.model.result import AllocationResult
from redeploy.render.format import (
    dual_note,
    finite,
    fmt_value,
    model_source,
    plain_text,
    source_line,
)
from redeploy.render.geojson import (
    BASEMAP_MIN_AREA,
    BASEMAP_PRECISION,
    BASEMAP_SIMPLIFY,
    POINT_PRECISION,
    POLYGON_SIMPLIFY,
    SHAPE_PRECISION,
    compact_geometry,
    feature,
    feature_collection,
)
from redeploy.schemas import (
    ASSET_UNITS,
    ASSETS,
    MILITARY_ASSETS,
    SCHEMAS,
    LayerKind,
    column_label,
)

#: Ledger columns shown in a front's popup: label and unit.
LEDGER_LABELS: Mapping[str, tuple[str, str]] = {
    "ally_extra_spending_bn": ("Ally extra spending", "$bn/yr"),
    "us_freed_kpe": ("U.S. capacity freed", "kpe"),
    "us_freed_engagement_bn": ("Engagement freed", "$bn/yr"),
    "us_freed_value_bn": ("Value of capacity freed", "$bn/yr"),
    "us_redeployed_value_bn": ("Value redeployed", "$bn/yr"),
    "double_burden_share": ("Double burden (share of extra spending)", "share"),
    "price_per_retained_kpe_bn": ("Price per retained kpe", "$bn"),
}

#: Leaflet panes (created by the page) and their z-index: basemap under data, markers on top.
PANES: Mapping[str, int] = {
    "rdBasemap": 250,
    "rdZones": 300,
    "rdMinerals": 350,
    "rdFlows": 420,
    "rdMarkers": 450,
}


@dataclass(frozen=True)
class LayerData:
    """One map layer ready to draw: its GeoJSON, pane, base style and legend facts."""

    kind: str
    title: str
    collection: dict[str, Any]
    pane: str
    style: dict[str, Any]
    interactive: bool = True
    show: bool = True
    legend: dict[str, Any] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """Number of features drawn."""
        return len(self.collection["features"])


# ---------------------------------------------------------------------------- formatting


def _label(kind: str, column: str) -> str:
    return column_label(SCHEMAS[LayerKind(kind)], column)


# ---------------------------------------------------------------------------- columns


def _scalar_rows(kind: str, row: Mapping[str, Any]) -> list[list[str]]:
    schema = SCHEMAS[LayerKind(kind)]
    rows = []
    for name in schema.scalar_columns:
        if name not in row:
            continue
        spec = schema.columns[name]
        if spec.unit_column:
            # The unit is in another column: the value is shown as a plain number.
            value = fmt_value(row.get(name), "")
            tu = plain_text(row.get(spec.unit_column))
            if value is not None and tu:
                value = f"{value} {tu}"
        else:
            value = fmt_value(row.get(name), spec.unit)
        if value is not None:
            rows.append([_label(kind, name), value])
    return rows


def _records(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    return [{str(k): v for k, v in rec.items()} for rec in gdf[cols].to_dict("records")]


def _asset_frame(frame: pd.DataFrame, key: str) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    if frame is None or frame.empty or key not in frame:
        return out
    for rec in frame.to_dict("records"):
        out.setdefault(str(rec[key]), {})[str(rec.get("asset"))] = {
            str(k): v for k, v in rec.items()
        }
    return out


def _assets_in(per_asset: Mapping[str, Any]) -> list[str]:
    extra = sorted(a for a in per_asset if a not in ASSETS)
    return [*ASSETS, *extra]


def _unit(asset: str) -> str:
    return ASSET_UNITS.get(asset, "")


def _key_max(gdf: gpd.GeoDataFrame, column: str | None) -> float:
    if column is None or column not in gdf or gdf.empty:
        return 0.0
    values = pd.to_numeric(gdf[column], errors="coerce")
    vmax = values.max()
    return float(vmax) if pd.notna(vmax) else 0.0


def allocation_by_zone(result: AllocationResult, metric: str) -> dict[str, float]:
    """
    Return the amount that colours each zone: military kpe summed, or one asset class.

    Parameters
    ----------
    result
        The allocation result (its `zones` frame is read).
    metric
        ``"military"`` (sum of `MILITARY_ASSETS`, in kpe) or an asset class name.
    """
    zones = result.zones
    if zones is None or zones.empty:
        return {}
    assets = MILITARY_ASSETS if metric == "military" else (metric,)
    sel = zones[zones["asset"].isin(assets)]
    sums = pd.to_numeric(sel["added"], errors="coerce").fillna(0).groupby(sel["zone_id"]).sum()
    return {str(k): float(v) for k, v in sums.items()}


def metric_label(metric: str) -> tuple[str, str]:
    """Return the legend label and unit of a zone colour metric."""
    if metric == "military":
        return "Military capacity allocated", "kpe"
    return f"{metric.capitalize()} allocated", _unit(metric)


# ---------------------------------------------------------------------------- layers


def basemap_layer(gdf: gpd.GeoDataFrame, *, show: bool = True) -> LayerData:
    """Return the vector basemap: simplified countries, no popups."""
    feats = [
        feature(
            compact_geometry(
                g, precision=BASEMAP_PRECISION, simplify=BASEMAP_SIMPLIFY, min_area=BASEMAP_MIN_AREA
            ),
            {},
        )
        for g in gdf.geometry
    ]
    return LayerData(
        kind="basemap",
        title="Countries (basemap)",
        collection=feature_collection(feats),
        pane="rdBasemap",
        style={
            "color": palette.LAND_OUTLINE,
            "weight": 0.6,
            "fillColor": palette.LAND_COLOR,
            "fillOpacity": 1,
            "opacity": 1,
        },
        interactive=False,
        show=show,
    )


def _front_extras(
    row: Mapping[str, Any], result: AllocationResult
) -> tuple[list[list[str]], dict[str, Any] | None, str]:
    fid = str(row.get("id"))
    fronts = _asset_frame(result.fronts, "front_id").get(fid, {})
    head = ["Asset", "Baseline", "Floor", "Subst.", "Freed", "Released", "Marg. value"]
    body = []
    for asset in _assets_in(fronts):
        rec = fronts.get(asset, {})
        unit = _unit(asset)
        base = rec.get("baseline", row.get(f"us_{asset}"))
        cells = [
            asset,
            fmt_value(base, unit) or "–",
            fmt_value(row.get(f"floor_{asset}"), unit) or "–",
            fmt_value(row.get(f"subst_{asset}"), "index") or "–",
            fmt_value(rec.get("freed"), unit) or "–",
            fmt_value(rec.get("released"), unit) or "–",
            fmt_value(rec.get("marginal_value"), "") or "–",
        ]
        if any(c != "–" for c in cells[1:]):
            body.append(cells)
    rows: list[list[str]] = []
    ledger = result.ledger
    if ledger is not None and not ledger.empty and "front_id" in ledger:
        match = ledger[ledger["front_id"].astype(str) == fid]
        if not match.empty:
            rec = {str(k): v for k, v in match.iloc[0].to_dict().items()}
            for col, (label, unit) in LEDGER_LABELS.items():
                value = fmt_value(rec.get(col), unit)
                if value is not None:
                    rows.append([label, value])
    freed_mil = sum(finite(fronts.get(a, {}).get("freed")) or 0.0 for a in MILITARY_ASSETS)
    note = dual_note(result, "freed at this front").replace("Value: ", "Risk and value: ", 1)
    tab = {"h": head, "r": body, "f": note.split(". ", 1)[1]} if body else None
    return rows, tab, f"freed {fmt_value(freed_mil, 'kpe')}"


def _marker_properties(
    kind: str, rec: Mapping[str, Any], result: AllocationResult, radius: float
) -> dict[str, Any]:
    """The popup, tooltip and radius properties of one feature of a marker layer."""
    schema = SCHEMAS[LayerKind(kind)]
    key = schema.key_figure
    key_spec = schema.columns.get(key) if key else None
    name = plain_text(rec.get("name")) or plain_text(rec.get("id"))
    rows = _scalar_rows(kind, rec)
    tab = None
    model_note = ""
    if kind == "fronts":
        extra_rows, tab, model_note = _front_extras(rec, result)
        rows += extra_rows
    key_value = rec.get(key) if key else None
    key_text = fmt_value(key_value, key_spec.unit) if key_spec else None
    tip = name
    if key_text is not None and key is not None:
        tip += f" · {_label(kind, key).lower()} {key_text}"
    if model_note:
        tip += f" · {model_note}"
    src = source_line(rec)
    props: dict[str, Any] = {
        "t": name,
        "k": f"{schema.role.noun} · {plain_text(rec.get('id'))}",
        "rows": rows,
        "src": src if kind != "fronts" else f"{src}; model figures: {model_source(result)}",
        "tt": tip,
        "r": radius,
    }
    if tab:
        props["tab"] = tab
    notes = plain_text(rec.get("notes"))
    if notes:
        props["n"] = notes
    return props


def point_layer(kind: str, gdf: gpd.GeoDataFrame, result: AllocationResult) -> LayerData:
    """
    Return a point layer (fronts, chokepoints, mineral zones, supply nodes) as sized markers.

    Markers are sized by the layer's key figure (`LayerSchema.key_figure`) with
    `palette.marker_radius`; polygon features (mineral zones may be polygons) are drawn
    lightly with their sized marker at a point inside them.
    """
    schema = SCHEMAS[LayerKind(kind)]
    key = schema.key_figure
    key_spec = schema.columns.get(key) if key else None
    vmax = _key_max(gdf, key)
    r_min, r_max = palette.MARKER_RADII.get(schema.role.palette_key, (4.0, 12.0))
    color = palette.LAYER_COLORS.get(schema.role.palette_key, "#333333")
    feats_poly, feats_pt = [], []
    records = _records(gdf)
    for rec, geom in zip(records, gdf.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        radius = palette.marker_radius(
            finite(rec.get(key) if key else None) or 0.0, vmax, r_min=r_min, r_max=r_max
        )
        props = _marker_properties(kind, rec, result, radius)
        if geom.geom_type == "Point":
            point = geom
        else:
            feats_poly.append(
                feature(
                    compact_geometry(geom, precision=SHAPE_PRECISION, simplify=POLYGON_SIMPLIFY),
                    {**props, "r": None},
                )
            )
            point = geom.representative_point()
        feats_pt.append(feature(compact_geometry(point, precision=POINT_PRECISION), props))
    # Small markers on top of large ones, so every one stays clickable.
    feats_pt.sort(key=lambda f: -f["properties"]["r"])
    for f in feats_poly:
        del f["properties"]["r"]
    legend = {
        "color": color,
        "label": schema.title,
        "key_label": _label(kind, key) if key else "",
        "key_max": fmt_value(vmax, key_spec.unit) if key_spec and vmax > 0 else None,
        "r_min": r_min,
        "r_max": r_max,
    }
    return LayerData(
        kind=kind,
        title=schema.title,
        collection=feature_collection(feats_poly + feats_pt),
        pane="rdMarkers" if not feats_poly else "rdMinerals",
        style={
            "color": "#ffffff",
            "weight": 1.2,
            "fillColor": color,
            "fillOpacity": 0.85,
            "opacity": 1,
        },
        legend=legend,
    )


_ZONE_TABLE_HEAD = ["Asset", "Room", "Allocated", "Value", "Marg. value"]


def _zone_table(
    rec: Mapping[str, Any], per_asset: Mapping[str, Mapping[str, Any]]
) -> list[list[str]]:
    """The rows of a zone popup's per-asset table: room, allocated, value, marginal value."""
    body = []
    for asset in _assets_in(per_asset):
        r = per_asset.get(asset, {})
        u = _unit(asset)
        cells = [
            asset,
            fmt_value(rec.get(f"absorb_{asset}"), u) or "–",
            fmt_value(r.get("added"), u) or "–",
            fmt_value(r.get("value"), "") or "–",
            fmt_value(r.get("marginal_value"), "") or "–",
        ]
        if any(c != "–" for c in cells[1:]):
            body.append(cells)
    return body


def zone_layer(
    gdf: gpd.GeoDataFrame,
    result: AllocationResult,
    *,
    metric: str = "military",
    values: Mapping[str, float] | None = None,
    colors: Mapping[str, str] | None = None,
    extra_rows: Mapping[str, list[list[str]]] | None = None,
    title: str | None = None,
) -> LayerData:
    """
    Return the peripheral zones coloured by the capacity allocated to them.

    Parameters
    ----------
    gdf
        The `peripheral_zones` layer.
    result
        The allocation result (`zones` frame: allocated, value, marginal value per asset).
    metric
        ``"military"`` (kpe summed over the military assets) or an asset class.
    values, colors, extra_rows, title
        Overrides used by comparison maps: the value shown per zone, its fill colour,
        rows added to the popup, and the layer title.
    """
    schema = SCHEMAS[LayerKind.PERIPHERAL_ZONES]
    by_zone = _asset_frame(result.zones, "zone_id")
    amounts = dict(values) if values is not None else allocation_by_zone(result, metric)
    edges = palette.allocation_bins(amounts.values())
    label, unit = metric_label(metric)
    feats = []
    for rec, geom in zip(_records(gdf), gdf.geometry, strict=True):
        zid = plain_text(rec.get("id"))
        name = plain_text(rec.get("name")) or zid
        per_asset = by_zone.get(zid, {})
        body = _zone_table(rec, per_asset)
        amount = amounts.get(zid, 0.0)
        eng = finite(per_asset.get("engagement", {}).get("added")) or 0.0
        rows = [*(extra_rows or {}).get(zid, []), *_scalar_rows("peripheral_zones", rec)]
        if colors is not None:
            fill = colors.get(zid, palette.ZONE_EMPTY_COLOR)
            tip = f"{name} · " + (rows[0][1] if rows else "")
        else:
            fill = palette.allocation_color(amount, edges)
            tip = f"{name} · {fmt_value(amount, unit)}"
            if metric == "military" and eng > 0:
                tip += f", {fmt_value(eng, '$bn/yr')}"
            tip += " allocated"
        props: dict[str, Any] = {
            "t": name,
            "k": f"{schema.role.noun} · {plain_text(rec.get('region'))} · {zid}",
            "rows": rows,
            "src": f"{source_line(rec)}; model figures: {model_source(result)}",
            "tt": tip,
            "fc": fill,
        }
        if body:
            props["tab"] = {
                "h": _ZONE_TABLE_HEAD,
                "r": body,
                "f": dual_note(result, "of room in this zone"),
            }
        notes = plain_text(rec.get("notes"))
        if notes:
            props["n"] = notes
        feats.append(
            feature(
                compact_geometry(geom, precision=SHAPE_PRECISION, simplify=POLYGON_SIMPLIFY), props
            )
        )
    return LayerData(
        kind="peripheral_zones",
        title=title or f"{schema.title} by allocation",
        collection=feature_collection(feats),
        pane="rdZones",
        style={"color": palette.ZONE_OUTLINE, "weight": 0.8, "fillOpacity": 0.9, "opacity": 0.9},
        legend={"label": label, "unit": unit, "edges": edges},
    )


def _names(layers: Mapping[str, gpd.GeoDataFrame], kind: str) -> dict[str, str]:
    gdf = layers.get(kind)
    if gdf is None or "id" not in gdf:
        return {}
    names = gdf["name"] if "name" in gdf else gdf["id"]
    return {str(i): plain_text(n) or str(i) for i, n in zip(gdf["id"], names, strict=True)}


_MODE_LABELS = {"sea": "sea lane", "great_circle": "great circle"}


def _flow_rows(flow: pd.Series, unit: str, extra: list[list[str]] | None) -> list[list[str]]:
    """A flow popup's rows: its amount (or the `extra` rows given), distance, transit cost."""
    rows = (
        list(extra) if extra is not None else [["Amount", fmt_value(flow["amount"], unit) or "–"]]
    )
    for label, col, u in (("Distance", "distance_km", "km"), ("Transit cost", "cost", "")):
        value = fmt_value(flow.get(col), u)
        if value is not None:
            rows.append([label, value])
    return rows


def flow_layer(
    layers: Mapping[str, gpd.GeoDataFrame],
    result: AllocationResult,
    *,
    styles: list[dict[str, Any]] | None = None,
    amounts: list[float] | None = None,
    extra_rows: list[list[list[str]]] | None = None,
    title: str = "Flows of freed capacity",
) -> LayerData:
    """
    Return the flows drawn along `result.routes`, width by amount and colour by asset class.

    The routes are already split at the antimeridian (MultiLineStrings), so each flow is
    one path that crosses the map edge instead of the whole map. Widths are relative to the
    largest flow in the same unit (kpe or $bn/yr). Larger flows are drawn first, so the
    thinner ones stay visible on top of them.

    Parameters
    ----------
    layers
        Input layers, for front and zone names.
    result
        The allocation result; `routes` row ``i`` is the route of `flows` row ``i``.
    styles, amounts, extra_rows, title
        Overrides used by comparison maps: per-route style keys, the amount that sets each
        route's width and sort order, popup rows, and the layer title.
    """
    fronts = _names(layers, "fronts")
    zones = _names(layers, "peripheral_zones")
    flows = result.flows.reset_index(drop=True)
    routes = result.routes.reset_index(drop=True)
    n = min(len(flows), len(routes))
    if amounts is not None:
        amt = amounts
    else:
        amt = [finite(a) or 0.0 for a in flows["amount"].iloc[:n]] if n else []
    unit_of = [_unit(str(a)) for a in flows["asset"].iloc[:n]] if n else []
    amax: dict[str, float] = {}
    for a, u in zip(amt, unit_of, strict=True):
        amax[u] = max(amax.get(u, 0.0), a)
    feats = []
    for i in range(n):
        f = flows.iloc[i]
        geom = routes.geometry.iloc[i]
        asset = str(f["asset"])
        unit = unit_of[i]
        mode = plain_text(routes["mode"].iloc[i]) if "mode" in routes else ""
        fname = fronts.get(str(f["front_id"]), str(f["front_id"]))
        zname = zones.get(str(f["zone_id"]), str(f["zone_id"]))
        rows = _flow_rows(f, unit, extra_rows[i] if extra_rows is not None else None)
        props: dict[str, Any] = {
            "t": f"{fname} → {zname}",
            "k": f"{asset} flow · {_MODE_LABELS.get(mode, mode)}".rstrip(" ·"),
            "rows": rows,
            "src": model_source(result),
            "tt": f"{asset} {rows[0][1]}: {fname} → {zname}",
            "c": palette.asset_color(asset),
            "w": palette.flow_weight(amt[i], amax.get(unit, 0.0)),
        }
        if styles is not None:
            props.update(styles[i])
        g = compact_geometry(geom, precision=SHAPE_PRECISION)
        feats.append((props["w"], i, feature(g, props)))
    # Wide lines first, so thinner ones on the same route stay visible on top.
    feats.sort(key=lambda t: (-t[0], t[1]))
    collection = feature_collection([f for _, _, f in feats])
    legend = {
        "assets": sorted({str(a) for a in flows["asset"]}, key=_asset_order) if n else [],
        "max": {u: fmt_value(v, u) for u, v in sorted(amax.items()) if v > 0},
    }
    return LayerData(
        kind="flows",
        title=title,
        collection=collection,
        pane="rdFlows",
        style={"opacity": 0.85, "lineCap": "round", "lineJoin": "round", "fill": False},
        legend=legend,
    )


def _asset_order(asset: str) -> tuple[int, str]:
    return (ASSETS.index(asset) if asset in ASSETS else len(ASSETS), asset)
