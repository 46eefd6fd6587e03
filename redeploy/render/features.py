"""Map features: layers and result frames turned into compact GeoJSON with popup and style data.

Each feature's ``properties`` hold only what the page's script needs: ``t`` (title), ``k``
(kind line), ``rows`` ([label, value] pairs, values already formatted with their units),
``tab`` (a per-asset table), ``tabs`` (further tables, each with a title ``t``; without a
header ``h`` a [label, value] table), ``more`` (rows folded under a title), ``src``
(sources), ``tt`` (tooltip), ``sh`` (a marker shape other than a circle: ``"home"``), and
style keys ``r`` (radius), ``fc`` (fill colour), ``c`` (line colour), ``w`` (line width),
``d`` (dash pattern), ``fa`` (fill colours to choose from: forces, engagement, total
dollars, value), ``e`` (an estimated figure, drawn apart), ``fl`` (a scenario bound that
holds the allocation up).
Text is plain: the page inserts it with ``textContent``, never as HTML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from redeploy import palette
from redeploy.model.result import AllocationResult
from redeploy.render.basemap import basemap_geometries
from redeploy.render.columns import LayerColumns, each, source_lines
from redeploy.render.flows import flow_layer
from redeploy.render.format import (
    finite,
    fmt_value,
    model_source,
    plain_text,
)
from redeploy.render.frames import (
    allocation_by_zone,
    asset_frame,
    asset_order,
    column_by_zone,
    names,
    unit_of,
)
from redeploy.render.geojson import (
    POINT_PRECISION,
    POLYGON_SIMPLIFY,
    SHAPE_PRECISION,
    compact_geometries,
    compact_geometry,
    feature,
    feature_collection,
    marker_points,
)
from redeploy.render.layerdata import LayerData
from redeploy.render.popups import (
    LEDGER_LABELS,
    ZONE_TABLE_HEAD,
    class_tables_of,
    front_popup,
    label,
    presence_rows,
    scalar_rows_of,
    zone_note,
    zone_table,
)
from redeploy.render.story import FLOOR_MARK, bounds_for
from redeploy.schemas import SCHEMAS, LayerKind

# Kept under their former names for callers of this module.
_names = names
_asset_order = asset_order
__all__ = ["LEDGER_LABELS", "LayerData", "allocation_by_zone", "flow_layer"]

#: Leaflet panes (created by the page) and their z-index: basemap under data, markers on top.
PANES: Mapping[str, int] = {
    "rdBasemap": 250,
    "rdZones": 300,
    "rdMinerals": 350,
    "rdFlows": 420,
    "rdMarkers": 450,
}

#: Style of markers: filled, white outline.
_MARKER_STYLE: Mapping[str, Any] = {"color": "#ffffff", "weight": 1.2, "fillOpacity": 0.85}
#: Marker styles by palette key that differ from `_MARKER_STYLE`. The existing U.S.
#: presence is a ring in its own colour, so it never reads as what a run adds (flows,
#: zone fill).
_RING_STYLE: Mapping[str, Any] = {"weight": 2.4, "fillOpacity": 0.18}
_RING_KEYS = frozenset({"posture"})
#: What estimated features add to a layer's style: markers lighter with a dashed outline in
#: their own colour, zone outlines dashed.
_EST_MARKER: Mapping[str, Any] = {"dashArray": "2.5 2", "fillOpacity": 0.45, "weight": 1.4}
_EST_RING: Mapping[str, Any] = {"dashArray": "3 2"}
_EST_ZONE: Mapping[str, Any] = {"dashArray": "4 3"}


def estimate_text(confidence: Any) -> bool:
    """Whether a ``confidence`` value marks a feature's figures as an estimate."""
    return plain_text(confidence).strip().lower() == "estimate"


def _key_max(gdf: gpd.GeoDataFrame, column: str | None) -> float:
    if column is None or column not in gdf or gdf.empty:
        return 0.0
    values = pd.to_numeric(gdf[column], errors="coerce")
    vmax = values.max()
    return float(vmax) if pd.notna(vmax) else 0.0


def metric_label(metric: str) -> tuple[str, str]:
    """Return the legend label and unit of a zone colour metric (what this run adds)."""
    if metric == "military":
        return "Military capacity added by this run", "kpe"
    return f"{metric.capitalize()} added by this run", unit_of(metric)


# ---------------------------------------------------------------------------- layers


def basemap_layer(gdf: gpd.GeoDataFrame, *, show: bool = True) -> LayerData:
    """Return the vector basemap: simplified countries, no popups (encoded once,
    `redeploy.render.basemap`)."""
    feats = [feature(g, {}) for g in basemap_geometries(gdf)]
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


def _lower_first(text: str) -> str:
    """Lower-case a label's first letter unless it starts an abbreviation (``U.S.``)."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def marker_properties(
    kind: str, cols: LayerColumns, result: AllocationResult, radii: Sequence[float]
) -> list[dict[str, Any]]:
    """The popup, tooltip and radius (`radii`) properties of each feature of a marker
    layer, built column by column (`LayerColumns`: each distinct value formatted once)."""
    schema = SCHEMAS[LayerKind(kind)]
    key = schema.key_figure
    key_spec = schema.columns.get(key) if key else None
    ids = each(cols.get("id"), plain_text)
    names = [n or i for n, i in zip(each(cols.get("name"), plain_text), ids, strict=True)]
    key_texts: list[str | None] = [None] * cols.size
    if key and key_spec:
        key_texts = each(cols.get(key), partial(fmt_value, unit=key_spec.unit))
    key_label = _lower_first(label(kind, key)) if key else ""
    fronts = kind == LayerKind.FRONTS
    # The model's figures first for a front; its own (input) figures folded away.
    parts = [front_popup(rec, result) for rec in cols.records()] if fronts else None
    tables = [None] * cols.size if fronts else class_tables_of(kind, cols)
    rows, sources = scalar_rows_of(kind, cols), source_lines(cols)
    notes = each(cols.get("notes"), plain_text)
    estimates = each(cols.get("confidence"), estimate_text)
    model = f"; model figures: {model_source(result)}"
    more_title = f"{schema.role.noun} figures (layer)"
    out = []
    for i in range(cols.size):
        tip, tab, tabs, more, own = names[i], tables[i], None, None, rows[i]
        if key_texts[i] is not None:
            tip += f" · {key_label} {key_texts[i]}"
        if parts is not None:
            tab, tabs, note = parts[i]
            more, own = {"t": more_title, "r": own}, []
            if note:
                tip += f" · {note}"
        props: dict[str, Any] = {
            "t": names[i],
            "k": f"{schema.role.noun} · {ids[i]}",
            "rows": own,
            "src": sources[i] + model if fronts else sources[i],
            "tt": tip,
            "r": radii[i],
        }
        if tab:
            props["tab"] = tab
        if tabs:
            props["tabs"] = tabs
        if more:
            props["more"] = more
        if notes[i]:
            props["n"] = notes[i]
        if estimates[i]:
            props["e"] = 1
        out.append(props)
    return out


def _marker_style(palette_key: str) -> tuple[dict[str, Any], bool]:
    """The layer's marker style and whether it is a ring (see `_RING_STYLE`)."""
    color = palette.LAYER_COLORS.get(palette_key, "#333333")
    ring = palette_key in _RING_KEYS
    style = {**_MARKER_STYLE, **(_RING_STYLE if ring else {}), "fillColor": color, "opacity": 1}
    if ring:
        style["color"] = color
    return style, ring


def point_layer(kind: str, gdf: gpd.GeoDataFrame, result: AllocationResult) -> LayerData:
    """
    Return a point layer (fronts, chokepoints, minerals, nodes, sites, posture) as markers.

    Markers are sized by the layer's key figure (`LayerSchema.key_figure`) with
    `palette.marker_radius`; polygon features (mineral zones may be polygons) are drawn
    lightly with their sized marker at a point inside them. The existing U.S. presence
    (posture) is drawn as rings, apart from what the run adds.
    """
    schema = SCHEMAS[LayerKind(kind)]
    key = schema.key_figure
    key_spec = schema.columns.get(key) if key else None
    vmax = _key_max(gdf, key)
    r_min, r_max = palette.MARKER_RADII.get(schema.role.palette_key, (4.0, 12.0))
    style, ring = _marker_style(schema.role.palette_key)
    feats_poly, feats_pt = [], []
    geoms = gdf.geometry.to_numpy()
    drawn = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    shown = gdf if drawn.all() else gdf[drawn]
    cols, shapes = LayerColumns(shown), shown.geometry.to_numpy()
    # Every marker's point at once (a polygon's at a point inside it).
    points = marker_points(list(shapes), precision=POINT_PRECISION)
    radii = each(
        cols.get(key),
        lambda v: palette.marker_radius(finite(v) or 0.0, vmax, r_min=r_min, r_max=r_max),
    )
    props_of = marker_properties(kind, cols, result, radii)
    is_point = shapely.get_type_id(shapes) == 0
    for geom, point, props, single in zip(shapes, points, props_of, is_point, strict=True):
        if not single:
            feats_poly.append(
                feature(
                    compact_geometry(geom, precision=SHAPE_PRECISION, simplify=POLYGON_SIMPLIFY),
                    {**props, "r": None},
                )
            )
        feats_pt.append(feature(point, props))
    # Small markers on top of large ones, so every one stays clickable.
    feats_pt.sort(key=lambda f: -f["properties"]["r"])
    for f in feats_poly:
        del f["properties"]["r"]
    legend = {
        "color": style["fillColor"],
        "ring": ring,
        "label": schema.title,
        "key_label": label(kind, key) if key else "",
        "key_max": fmt_value(vmax, key_spec.unit) if key_spec and vmax > 0 else None,
        "r_min": r_min,
        "r_max": r_max,
    }
    est = dict(_EST_RING) if ring else {**_EST_MARKER, "color": style["fillColor"]}
    data = LayerData(
        kind=kind,
        title=schema.title,
        collection=feature_collection(feats_poly + feats_pt),
        pane="rdMarkers" if not feats_poly else "rdMinerals",
        style=style,
        legend=legend,
        est=est,
    )
    legend["estimates"] = data.estimates
    return data


#: A run map's choice of zone colours: (metric, legend label, short label, unit). The
#: metric is an asset class, ``military`` (the military classes, kpe), ``all`` (value) or
#: ``total`` (dollars: the zones table's ``added_bn``, forces at U.S. unit cost plus
#: engagement, as the model wrote it).
ZONE_METRICS: tuple[tuple[str, str, str, str], ...] = (
    ("military", "forces added", "Forces (kpe)", "kpe"),
    ("engagement", "engagement added", "Engagement ($bn/yr)", "$bn/yr"),
    (
        "total",
        "total dollars added: forces at their U.S. cost plus engagement",
        "Total ($bn/yr)",
        "$bn/yr",
    ),
    ("all", "value realised by what is added (index)", "Value (index)", "$bn-eq/yr"),
)
#: What each zone metric sums: (classes for `column_by_zone`, column of the zones table).
ZONE_METRIC_COLUMNS: Mapping[str, tuple[str, str]] = {
    "military": ("military", "added"),
    "engagement": ("engagement", "added"),
    "total": ("all", "added_bn"),
    "all": ("all", "value"),
}
#: Notes under a zone scale of the legend, by metric.
_ZONE_NOTES: Mapping[str, str] = {
    "total": "Forces in dollars at the model's U.S. cost per kpe, plus engagement ($bn/yr).",
}


def _zone_tip(name: str, presence: list[list[str]]) -> str:
    """A zone's tooltip: the forces and the engagement this run adds, the existing presence
    (`presence_rows` of the zone)."""
    added = [r[1] for r in presence[1:] if r[1] not in ("0 kpe", "")]
    tip = f"{name} · " + (f"adds {' and '.join(added)}" if added else "nothing added")
    if presence and presence[0][1] not in ("0 kpe", ""):
        tip += f" · existing U.S. presence {presence[0][1]}"
    return tip


def _bound_rows(result: AllocationResult, region: str) -> tuple[list[list[str]], str]:
    """Popup rows of the region's scenario bounds, and the text of a binding floor ("")."""
    bounds = bounds_for(result, region)
    held = next((b.text() for b in bounds if b.floor_binds), "")
    rows = [["Scenario bound", b.text()] for b in bounds if not b.floor_binds]
    return rows, held


def _zone_choices(
    result: AllocationResult, metric: str
) -> tuple[list[dict[str, float]], list[list[float]], int]:
    """Per choice of `ZONE_METRICS`: amounts by zone and class edges; the initial choice."""
    amounts = [column_by_zone(result, *ZONE_METRIC_COLUMNS[m]) for m, *_ in ZONE_METRICS]
    edges = [palette.allocation_bins(a.values()) for a in amounts]
    initial = next((i for i, m in enumerate(ZONE_METRICS) if m[0] == metric), 0)
    return amounts, edges, initial


@dataclass(frozen=True)
class _ZoneTexts:
    """The texts of every zone of a layer read column by column (`LayerColumns`), and of
    every region's scenario bounds."""

    ids: list[str]
    names: list[str]
    regions: list[str]
    scalars: list[list[list[str]]]
    sources: list[str]
    notes: list[str]
    estimates: list[bool]
    bounds: dict[str, tuple[list[list[str]], str]]
    model: str
    note: str

    @classmethod
    def of(cls, gdf: gpd.GeoDataFrame, result: AllocationResult) -> _ZoneTexts:
        cols = LayerColumns(gdf)
        ids = each(cols.get("id"), plain_text)
        regions = each(cols.get("region"), plain_text)
        return cls(
            ids=ids,
            names=[n or i for n, i in zip(each(cols.get("name"), plain_text), ids, strict=True)],
            regions=regions,
            scalars=scalar_rows_of(LayerKind.PERIPHERAL_ZONES, cols),
            sources=source_lines(cols),
            notes=each(cols.get("notes"), plain_text),
            estimates=each(cols.get("confidence"), estimate_text),
            bounds={r: _bound_rows(result, r) for r in dict.fromkeys(regions)},
            model=f"; model figures: {model_source(result)}",
            note=zone_note(result),
        )


def _zone_properties(
    z: _ZoneTexts,
    i: int,
    result: AllocationResult,
    *,
    fills: tuple[list[dict[str, float]], list[list[float]]] | None,
    colors: Mapping[str, str] | None,
    extra_rows: Mapping[str, list[list[str]]] | None,
) -> dict[str, Any]:
    """Zone `i`'s popup, tooltip and fills (`fills`: amounts and edges per choice, or one
    fill from `colors`)."""
    zid, name = z.ids[i], z.names[i]
    per_asset = asset_frame(result.zones, "zone_id").get(zid, {})
    body = zone_table(per_asset)
    own = presence_rows(per_asset) if per_asset else []
    bound_rows, held = z.bounds[z.regions[i]]
    rows = [*(extra_rows or {}).get(zid, []), *own, *bound_rows, *z.scalars[i]]
    props: dict[str, Any] = {
        "t": name,
        "k": f"{SCHEMAS[LayerKind.PERIPHERAL_ZONES].role.noun} · {z.regions[i]} · {zid}",
        "rows": rows,
        "src": z.sources[i] + z.model,
    }
    if fills is None:
        props["tt"] = f"{name} · " + (rows[0][1] if rows else "")
        props["fc"] = (colors or {}).get(zid, palette.ZONE_EMPTY_COLOR)
    else:
        props["tt"] = _zone_tip(name, own if per_asset else presence_rows(per_asset))
        props["fa"] = [
            palette.allocation_color(a.get(zid, 0.0), e) for a, e in zip(*fills, strict=True)
        ]
    if held and extra_rows is None:
        props["fl"] = held
        props["tt"] = f"{FLOOR_MARK} {props['tt']}"
    if body:
        props["tab"] = {"h": ZONE_TABLE_HEAD, "r": body, "f": z.note}
    if z.notes[i]:
        props["n"] = z.notes[i]
    if z.estimates[i]:
        props["e"] = 1
    return props


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
    Return the peripheral zones coloured by what this run adds to them.

    By default each zone carries four fills to choose from in the legend: the forces
    added (kpe), the engagement added ($bn/yr), the total dollars added ($bn/yr: the
    zones table's ``added_bn``) and the value realised ($bn-eq/yr index);
    `metric` picks the first one shown. Popups show the existing U.S. presence apart from
    what the run adds, the zone's access and its basis, the region's scenario bounds (a
    binding floor marked), and per asset its capacity, existing, added, value and dual.
    Estimated zones have a dashed outline.

    Parameters
    ----------
    gdf
        The `peripheral_zones` layer.
    result
        The allocation result (`zones` frame: existing, added, capacity, value, dual).
    metric
        ``"military"``, ``"engagement"``, ``"total"`` or ``"all"`` (value): the fill
        shown first.
    values, colors, extra_rows, title
        Overrides used by comparison maps: the value shown per zone, its fill colour,
        rows added to the popup, and the layer title (one fill, no choice).
    """
    amounts, edges, initial = _zone_choices(result, metric)
    fills = None if colors is not None else (amounts, edges)
    texts = _ZoneTexts.of(gdf, result)
    shapes = compact_geometries(
        gdf.geometry.to_numpy(), precision=SHAPE_PRECISION, simplify=POLYGON_SIMPLIFY
    )
    feats = [
        feature(
            shape,
            _zone_properties(texts, i, result, fills=fills, colors=colors, extra_rows=extra_rows),
        )
        for i, shape in enumerate(shapes)
    ]
    existing = column_by_zone(result, "military", "existing")
    data = LayerData(
        kind="peripheral_zones",
        title=title or f"{SCHEMAS[LayerKind.PERIPHERAL_ZONES].title} by what this run adds",
        collection=feature_collection(feats),
        pane="rdZones",
        style={"color": palette.ZONE_OUTLINE, "weight": 0.8, "fillOpacity": 0.9, "opacity": 0.9},
        legend={
            "existing": fmt_value(sum(existing.values()), "kpe") if existing else None,
        },
        est=dict(_EST_ZONE),
    )
    if colors is None:
        data.legend["choices"] = [
            {"label": lab, "short": short, "unit": unit, "edges": e, "note": _ZONE_NOTES.get(m)}
            for (m, lab, short, unit), e in zip(ZONE_METRICS, edges, strict=True)
        ]
        data.legend["initial"] = initial
    else:
        label_text, unit = metric_label(metric)
        data.legend.update(
            {
                "label": label_text,
                "unit": unit,
                "edges": palette.allocation_bins((values or {}).values()),
            }
        )
    data.legend["estimates"] = data.estimates
    return data
