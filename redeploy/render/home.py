"""The U.S. home pool on maps: one marker at the home point, with what it received and sent.

The home pool (`redeploy.model.base.HOME_ID`) is a front of the result (what the home
reserve sends abroad) and a zone (capacity returned home), but no layer has a feature for
it: this module draws it, from the result's frames and totals only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd

from redeploy import palette
from redeploy.model.result import AllocationResult
from redeploy.render.features import LayerData
from redeploy.render.format import fmt_number, fmt_value, model_source
from redeploy.render.frames import (
    HOME_ID,
    HOME_LONLAT,
    HOME_NAME,
    asset_frame,
    has_home,
    home_totals,
    names,
)
from redeploy.render.geojson import feature, feature_collection
from redeploy.schemas import MILITARY_ASSETS

#: Title of the home pool's layer in the layer control and the legend.
HOME_TITLE = "U.S. home pool"
#: Radius (px) the legend gives the home marker (the page draws it 24 px wide).
HOME_LEGEND_RADIUS = 8.0

_HOME_ROWS = (
    ("received_kpe", "Received from fronts"),
    ("sent_abroad_kpe", "Sent abroad"),
    ("reserve_kpe", "Reserve at home (scenario)"),
    ("kept_kpe", "Kept at home"),
)


def _class_table(result: AllocationResult) -> dict[str, Any] | None:
    """Per military class: received (zone rows ``us-home``), sent abroad (its front rows)."""
    received = asset_frame(result.zones, "zone_id").get(HOME_ID, {})
    sent = asset_frame(result.fronts, "front_id").get(HOME_ID, {})
    body = []
    for asset in MILITARY_ASSETS:
        got = received.get(asset, {}).get("added")
        out = sent.get(asset, {}).get("released")
        if got is None and out is None:
            continue
        body.append([asset, fmt_number(float(got or 0.0)), fmt_number(float(out or 0.0))])
    if not body:
        return None
    return {"h": ["Class", "Received (kpe)", "Sent abroad (kpe)"], "r": body}


def _flow_tables(
    result: AllocationResult, layers: Mapping[str, gpd.GeoDataFrame]
) -> list[dict[str, Any]]:
    """The flows into the home pool (by front) and out of it (by zone), as listed."""
    flows = result.flows
    if flows is None or flows.empty:
        return []
    fronts, zones = names(layers, "fronts"), names(layers, "peripheral_zones")
    into = flows[flows["zone_id"].astype(str) == HOME_ID]
    out = flows[flows["front_id"].astype(str) == HOME_ID]
    tabs = []
    for title, frame, col, lookup in (
        ("Returned home from", into, "front_id", fronts),
        ("Sent from home to", out, "zone_id", zones),
    ):
        if frame.empty:
            continue
        rows = [
            [lookup.get(str(r[col]), str(r[col])), str(r["asset"]), fmt_number(float(r["amount"]))]
            for r in frame.to_dict("records")
        ]
        head = ["Front" if col == "front_id" else "Zone", "Class", "kpe"]
        tabs.append({"t": title, "h": head, "r": rows})
    return tabs


def home_layer(
    layers: Mapping[str, gpd.GeoDataFrame], result: AllocationResult
) -> LayerData | None:
    """
    Return the home pool's marker (None when the result has no home pool).

    The marker stands at `redeploy.model.base.HOME_LONLAT`, a star (``sh: "home"``) drawn by
    the page; its popup gives the model's home totals (received from fronts, sent abroad,
    the scenario's reserve, kept at home), per class what it received and sent, and the
    flows in and out of it.
    """
    if not has_home(result):
        return None
    totals = home_totals(result) or {}
    rows = [
        [text, fmt_value(totals[key], "kpe") or "0"] for key, text in _HOME_ROWS if key in totals
    ]
    tip = HOME_NAME
    if totals:
        tip += (
            f" · received {fmt_value(totals.get('received_kpe', 0.0), 'kpe')}, sent abroad "
            f"{fmt_value(totals.get('sent_abroad_kpe', 0.0), 'kpe')}"
        )
    props: dict[str, Any] = {
        "t": HOME_NAME,
        "k": f"{HOME_TITLE} · {HOME_ID}",
        "rows": rows,
        "src": (
            f"{model_source(result)}; drawn at the middle of the contiguous United States "
            "(flows start and end at the nearest homeland port)"
        ),
        "tt": tip,
        "sh": "home",
        "r": HOME_LEGEND_RADIUS,
    }
    table = _class_table(result)
    if table:
        props["tab"] = table
    tabs = _flow_tables(result, layers)
    if tabs:
        props["tabs"] = tabs
    point = {"type": "Point", "coordinates": [HOME_LONLAT[0], HOME_LONLAT[1]]}
    return LayerData(
        kind="home",
        title=HOME_TITLE,
        collection=feature_collection([feature(point, props)]),
        pane="rdMarkers",
        style={"color": "#ffffff", "weight": 1.2, "fillColor": palette.HOME_COLOR},
        legend={"home": True, "label": f"{HOME_NAME}: received, sent abroad, reserve"},
    )
