"""The comparison page's two views: the difference map, and A and B side by side.

The difference map colours zones by the change (forces in kpe, or engagement in $bn/yr: the
legend switches) and sizes flows by the change, each kind on its own scale. Side by side,
two synchronised maps draw each run on its own: zones by the forces each adds and flows at
each run's amount, on one colour scale and one width scale per unit for both runs, so A and
B read alike. Both views are drawn from the same features: each carries ``fa`` (fills to
choose from), ``ab`` (A's and B's fill, or line width) and ``cc`` (a flow's class colour).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from jinja2 import Template

from redeploy import palette
from redeploy.render.features import PANES
from redeploy.render.format import fmt_number
from redeploy.render.geojson import script_json
from redeploy.render.layerdata import LayerData
from redeploy.render.legend import line_svg, swatch, width_samples, zone_scale_html
from redeploy.render.macros import SafeMacro
from redeploy.render.markup import esc
from redeploy.schemas import MILITARY_ASSETS

#: Zone colour choices of the difference view: (short label, unit, asset kind).
CHANGE_CHOICES = (
    ("Forces (kpe)", "kpe", "military"),
    ("Engagement ($bn/yr)", "$bn/yr", "engagement"),
)
#: Layer kinds the side-by-side maps draw.
TWIN_KINDS = (
    "basemap",
    "peripheral_zones",
    "flows",
    "flows_engagement",
    "posture",
    "chokepoints",
    "fronts",
    "home",
)


class TwinScript(SafeMacro):
    """Set up the side-by-side view of a comparison page (`RD.twin`)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
RD.twin({{ this._parent.get_name() }}, {{ this.spec }});
{% endmacro %}"""
    )

    def __init__(self, a: str, b: str) -> None:
        super().__init__()
        self._name = "RedeployTwin"
        self.spec = script_json(
            {"a": f"A · {a}", "b": f"B · {b}", "kinds": list(TWIN_KINDS), "panes": dict(PANES)}
        )


def zone_sums(table: pd.DataFrame, kind: str) -> tuple[dict[str, float], dict[str, float]]:
    """Per zone, what A and B add of `kind` (``military``: the military classes, kpe)."""
    zones = table[table["kind"] == "zone"]
    sel = (
        zones[zones["asset"].isin(MILITARY_ASSETS)]
        if kind == "military"
        else zones[zones["asset"] == kind]
    )
    va = sel.groupby("zone_id")["a"].sum()
    vb = sel.groupby("zone_id")["b"].sum()
    return {str(k): float(v) for k, v in va.items()}, {str(k): float(v) for k, v in vb.items()}


def zone_fills(
    zones: LayerData, ids: Sequence[str], table: pd.DataFrame, tolerance: float
) -> tuple[list[list[float]], list[float]]:
    """
    Give each zone feature its fills: ``fa`` (change of forces, change of engagement) and
    ``ab`` (forces A adds, forces B adds, on one scale). Returns the change scales' edges
    and the common edges of the side-by-side colours.
    """
    change_edges, change_fills = [], []
    for _, _, kind in CHANGE_CHOICES:
        va, vb = zone_sums(table, kind)
        change = {z: vb.get(z, 0.0) - va.get(z, 0.0) for z in set(va) | set(vb)}
        edges = palette.change_bins(change.values())
        change_edges.append(edges)
        change_fills.append(
            {z: palette.change_color(v, edges, tolerance=tolerance) for z, v in change.items()}
        )
    fa, fb = zone_sums(table, "military")
    twin_edges = palette.allocation_bins([*fa.values(), *fb.values()])
    neutral = palette.change_color(0.0, [])
    for f, zid in zip(zones.collection["features"], ids, strict=True):
        p = f["properties"]
        p["fa"] = [fills.get(zid, neutral) for fills in change_fills]
        p["ab"] = [
            palette.allocation_color(fa.get(zid, 0.0), twin_edges),
            palette.allocation_color(fb.get(zid, 0.0), twin_edges),
        ]
        p.pop("fc", None)
    return change_edges, twin_edges


def flow_widths(layers: Sequence[LayerData]) -> None:
    """Give each flow feature its side-by-side widths (``ab``: A's and B's amount on one
    scale per layer, 0 where a run has no such flow) and its class colour (``cc``)."""
    for d in layers:
        feats = d.collection["features"]
        amax = max((max(f["properties"]["_ab"]) for f in feats), default=0.0)
        weights = tuple(d.legend.get("weights", palette.FLOW_WEIGHTS))
        w = (float(weights[0]), float(weights[1]))
        for f in feats:
            p = f["properties"]
            va, vb = p.pop("_ab")
            p["ab"] = [palette.flow_weight(v, amax, w) if v > 0 else 0 for v in (va, vb)]
            p["cc"] = palette.asset_color(p.pop("_asset"))
        d.legend["twin_max"] = amax


def change_zone_block(edges: Sequence[Sequence[float]]) -> str:
    """The difference view's zone legend: the change of forces or of engagement (a switch)."""
    radios, scales = [], []
    for i, ((short, _, _), e) in enumerate(zip(CHANGE_CHOICES, edges, strict=True)):
        on = " checked" if i == 0 else ""
        cls = ' class="rd-on"' if i == 0 else ""
        radios.append(
            f'<label{cls}><input type="radio" name="rd-metric" value="{i}"{on}>{esc(short)}</label>'
        )
        scale = _change_scale(e)
        scales.append(f'<div data-rd-metric="{i}"{"" if i == 0 else " hidden"}>{scale}</div>')
    return (
        '<div class="rd-lg" data-rd-kind="peripheral_zones" data-rd-view="diff">'
        '<div class="rd-h3">Zones: change of what each run adds, B − A</div>'
        f'<div class="rd-choice">{"".join(radios)}</div>{"".join(scales)}</div>'
    )


def _change_scale(edges: Sequence[float]) -> str:
    out = ['<div class="rd-scale">']
    for e in reversed(edges):
        out.append(f"<span>{swatch(palette.change_color(-e, edges))}−{esc(fmt_number(e))}</span>")
    out.append(f"<span>{swatch(palette.change_color(0.0, edges))}no change</span>")
    for e in edges:
        out.append(f"<span>{swatch(palette.change_color(e, edges))}+{esc(fmt_number(e))}</span>")
    out.append("</div>")
    return "".join(out)


def twin_blocks(flows: Sequence[LayerData], twin_edges: Sequence[float]) -> tuple[str, str]:
    """The side-by-side view's legend blocks, zones (by forces added) and flows (by class,
    each unit's width scale), all shared by A and B."""
    zones = zone_scale_html("forces each run adds, one scale for A and B", "kpe", twin_edges)
    zone_block = (
        f'<div class="rd-lg" data-rd-kind="peripheral_zones" data-rd-view="twin" hidden>{zones}'
        "</div>"
    )
    out = []
    for d in flows:
        lg: Mapping[str, Any] = d.legend
        dash = lg.get("dash")
        heading = (
            "Engagement funded ($bn/yr)" if d.kind == "flows_engagement" else "Forces moved (kpe)"
        )
        body = [f'<div class="rd-h3">{esc(heading)}, A and B on one scale</div>']
        if not dash:
            body.append('<div class="rd-scale">')
            body += [
                f"<span>{line_svg(palette.asset_color(a), 3, None, 22)}{esc(a)}</span>"
                for a in lg.get("assets", [])
            ]
            body.append("</div>")
        unit = "$bn/yr" if d.kind == "flows_engagement" else "kpe"
        weights = tuple(lg.get("weights", palette.FLOW_WEIGHTS))
        color = palette.asset_color("engagement") if dash else "#6b7480"
        samples = width_samples(
            float(lg.get("twin_max", 0.0)), unit, (float(weights[0]), float(weights[1]))
        )
        spans = "".join(f"<span>{line_svg(color, w, dash)}{esc(t)}</span>" for t, w in samples)
        body.append(f'<div class="rd-w"><span>width:</span>{spans}</div>')
        out.append(
            f'<div class="rd-lg" data-rd-kind="{esc(d.kind)}" data-rd-view="twin" hidden>'
            + "".join(body)
            + "</div>"
        )
    return zone_block, "".join(out)
