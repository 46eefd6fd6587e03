"""The map legend as HTML: flows (forces and engagement, each its own width scale), the zone
colour scales and their switch, markers, estimates, floors, and the key of units and terms.

Each block carries ``data-rd-kind`` (the layer kinds it explains): the page hides a block
whose layers are all switched off. Every text passes through `esc`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from redeploy import palette
from redeploy.render.features import LayerData
from redeploy.render.format import fmt_number, fmt_value
from redeploy.render.markup import esc

#: The key of units and terms every page shows ((term, definition) pairs).
KEY: tuple[tuple[str, str], ...] = (
    ("kpe", "thousand U.S. service-member equivalents: forces (naval, air, ground, ISR)"),
    (
        "$bn/yr",
        "billion U.S. dollars a year: engagement (security cooperation, development "
        "finance) and allied spending",
    ),
    (
        "$bn-eq/yr",
        "value, transit cost, risk: an index in $bn-equivalent a year resting on stated "
        "assumptions, not a dollar estimate",
    ),
)
#: What the key adds about reading the figures.
KEY_NOTE = "Forces (kpe) and money ($bn/yr) are drawn and counted apart, never added."
#: Legend text of estimated features.
ESTIMATE_TEXT = "dashed outline, lighter fill: an estimated figure; solid: sourced"
#: Legend text of allocations held up by a scenario floor.
FLOOR_TEXT = "⚑ held up by a binding scenario floor (not the model's choice)"


def circle_svg(r: float, color: str, *, ring: bool = False, dashed: bool = False) -> str:
    """A legend circle: filled with a white outline, a ring, or an estimate's dashed circle."""
    d = 2 * r + 4
    if ring:
        paint = f'fill="none" stroke="{color}" stroke-width="1.5"'
    elif dashed:
        paint = (
            f'fill="{color}" fill-opacity="0.45" stroke="{color}" stroke-width="1.4" '
            'stroke-dasharray="2.5 2"'
        )
    else:
        paint = f'fill="{color}" fill-opacity="0.85" stroke="#fff"'
    return (
        f'<svg width="{d:g}" height="{d:g}" aria-hidden="true"><circle cx="{d / 2:g}" '
        f'cy="{d / 2:g}" r="{r:g}" {paint}/></svg>'
    )


def line_svg(color: str, width: float = 4, dash: str | None = None, length: int = 28) -> str:
    """A legend line of `width` px, solid or with an SVG dash pattern."""
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    h = max(12, int(width) + 4)
    return (
        f'<svg width="{length}" height="{h}" aria-hidden="true"><line x1="{width / 2 + 1:g}" '
        f'y1="{h / 2:g}" x2="{length - width / 2 - 1:g}" y2="{h / 2:g}" stroke="{color}" '
        f'stroke-width="{width:g}" stroke-linecap="round"{dash_attr}/></svg>'
    )


def swatch(color: str, *, dashed: bool = False) -> str:
    """A colour swatch (dashed border for estimates)."""
    border = "border-style:dashed;border-color:#444;" if dashed else ""
    return f'<span class="rd-sw" style="{border}background:{color}"></span>'


def block(kinds: str, body: str) -> str:
    """A legend block explaining the layers of `kinds` (space separated)."""
    return f'<div class="rd-lg" data-rd-kind="{esc(kinds)}">{body}</div>'


def zone_scale_html(label: str, unit: str, edges: Sequence[float]) -> str:
    """Return the legend block of the allocation colour classes."""
    out = [f'<div class="rd-h3">Zones: {esc(label)} ({esc(unit)})</div><div class="rd-scale">']
    out.append(f"<span>{swatch(palette.ZONE_EMPTY_COLOR)}none</span>")
    lower = 0.0
    for edge in edges:
        color = palette.allocation_color(edge, edges)
        text = f"≤ {fmt_number(edge)}" if lower == 0 else f"{fmt_number(lower)}–{fmt_number(edge)}"
        out.append(f"<span>{swatch(color)}{esc(text)}</span>")
        lower = edge
    out.append("</div>")
    return "".join(out)


def change_scale_html(label: str, unit: str, edges: Sequence[float]) -> str:
    """Return the legend block of a diverging change scale."""
    out = [f'<div class="rd-h3">Zones: {esc(label)} ({esc(unit)})</div><div class="rd-scale">']
    for e in reversed(edges):
        out.append(
            f"<span>{swatch(palette.change_color(-e, edges))}{esc('−' + fmt_number(e))}</span>"
        )
    out.append(f"<span>{swatch(palette.change_color(0.0, edges))}no change</span>")
    for e in edges:
        out.append(
            f"<span>{swatch(palette.change_color(e, edges))}{esc('+' + fmt_number(e))}</span>"
        )
    out.append("</div>")
    return "".join(out)


def width_samples(amax: float, unit: str, weights: tuple[float, float]) -> list[tuple[str, float]]:
    """Sample (amount text, line width px) pairs of a flow width scale: two round amounts
    below the largest flow, and the largest."""
    if amax <= 0:
        return []
    amounts = [a for a in palette.allocation_bins([amax], n=3) if a < amax * 0.9][-2:]
    out = [(fmt_value(a, unit) or "", palette.flow_weight(a, amax, weights)) for a in amounts]
    out.append((fmt_value(amax, unit) or "", palette.flow_weight(amax, amax, weights)))
    return out


def flows_block(d: LayerData) -> str:
    """A flows layer's legend: its heading, colours by class, its own width scale."""
    lg = d.legend
    dash = lg.get("dash")
    out = [f'<div class="rd-h3">{esc(lg.get("heading", d.title))}</div>']
    assets = lg.get("assets", [])
    if len(assets) > 1 or not dash:
        out.append('<div class="rd-scale">')
        for asset in assets:
            out.append(
                f"<span>{line_svg(palette.asset_color(asset), 3, dash, 22)}{esc(asset)}</span>"
            )
        out.append("</div>")
    weights = tuple(lg.get("weights", palette.FLOW_WEIGHTS))
    color = palette.asset_color(assets[0]) if len(assets) == 1 else "#6b7480"
    for unit, amax in sorted(lg.get("amax", {}).items()):
        samples = width_samples(float(amax), unit, (float(weights[0]), float(weights[1])))
        spans = "".join(f"<span>{line_svg(color, w, dash)}{esc(t)}</span>" for t, w in samples)
        out.append(f'<div class="rd-w"><span>width:</span>{spans}</div>')
    if lg.get("note"):
        out.append(f'<div class="rd-note">{esc(lg["note"])}</div>')
    return block(d.kind, "".join(out))


def zone_blocks(d: LayerData) -> str:
    """The zones' colour scale, or the scales to choose from with their switch."""
    lg = d.legend
    choices: Sequence[Mapping[str, Any]] = lg.get("choices") or []
    if not choices:
        return block(d.kind, zone_scale_html(lg["label"], lg["unit"], lg["edges"]))
    initial = int(lg.get("initial", 0))
    radios = []
    for i, c in enumerate(choices):
        on = " checked" if i == initial else ""
        cls = ' class="rd-on"' if i == initial else ""
        radios.append(
            f'<label{cls}><input type="radio" name="rd-metric" value="{i}"{on}>'
            f"{esc(c['short'])}</label>"
        )
    out = ['<div class="rd-h3">Zones coloured by what this run adds</div>']
    out.append(f'<div class="rd-choice">{"".join(radios)}</div>')
    for i, c in enumerate(choices):
        hidden = "" if i == initial else " hidden"
        scale = zone_scale_html(c["label"], c["unit"], c["edges"])
        scale = scale[scale.index('<div class="rd-scale">') :]  # the choice names the scale
        if c.get("note"):
            scale += f'<div class="rd-note">{esc(c["note"])}</div>'
        out.append(f'<div data-rd-metric="{i}" title="{esc(c["label"])}"{hidden}>{scale}</div>')
    if lg.get("existing"):
        text = f"Existing U.S. presence ({lg['existing']}) is not in this colour: see its rings."
        out.append(f'<div class="rd-note">{esc(text)}</div>')
    return block(d.kind, "".join(out))


def marker_block(d: LayerData) -> str:
    """One marker layer's entry: its symbol at the smallest and largest size and its figure."""
    lg = d.legend
    if lg.get("fronts"):
        text = (
            f"{d.title}: filled = U.S. forces that leave (kpe), ring = U.S. forces there "
            f"today" + (f", largest {lg['key_max']}" if lg.get("key_max") else "")
        )
        symbol = circle_svg(lg["r_max"] * 0.6, lg["color"], ring=True) + circle_svg(
            lg["r_max"] * 0.35, lg["color"]
        )
    else:
        text = d.title
        if lg.get("key_label"):
            text += f": {lg['key_label']}"
            if lg.get("key_max"):
                text += f", largest {lg['key_max']}"
        ring = bool(lg.get("ring"))
        symbol = circle_svg(lg["r_min"], lg["color"], ring=ring) + circle_svg(
            lg["r_max"] * 0.6, lg["color"], ring=ring
        )
    return block(d.kind, f'<div class="rd-mk">{symbol}<span>{esc(text)}</span></div>')


def key_html(*, estimates: bool = True, floors: bool = False) -> str:
    """The key of units and terms (every page), with the estimate and floor symbols."""
    parts = [f"<b>{esc(term)}</b> {esc(text)}" for term, text in KEY]
    items = " · ".join(parts) + f". {esc(KEY_NOTE)}"
    symbols = []
    if estimates:
        symbols.append(
            f"{circle_svg(4, '#6b7480', dashed=True)}{swatch('#ffffff', dashed=True)} "
            f"{esc(ESTIMATE_TEXT)}"
        )
    if floors:
        symbols.append(f'<span class="rd-floor">{esc(FLOOR_TEXT)}</span>')
    extra = "".join(f'<div class="rd-mk">{s}</div>' for s in symbols)
    return f'<div class="rd-key"><b>Key</b> · {items}{extra}</div>'


def legend_html(
    layer_data: Sequence[LayerData],
    *,
    flow_block: str | None = None,
    zone_block: str | None = None,
    floors: bool = False,
) -> str:
    """
    Return the legend: flows, the zone colour scale, marker sizes, and the key.

    Parameters
    ----------
    layer_data
        The drawn layers (their `legend` facts are read).
    flow_block, zone_block
        Replacement blocks for the flows and the zones (comparison and other pages).
    floors
        Whether an allocation of the page is held up by a binding scenario floor.
    """
    out = ['<div id="rd-legend" class="rd-box rd-legend" style="display:none">']
    flows = [d for d in layer_data if d.kind.startswith("flows") and d.legend.get("assets")]
    if flow_block is not None:
        out.append(flow_block)
    else:
        out += [flows_block(d) for d in flows]
    zones = next((d for d in layer_data if d.kind == "peripheral_zones"), None)
    if zone_block is not None and zone_block.startswith('<div class="rd-lg"'):
        out.append(zone_block)  # blocks of their own (comparison views)
    elif zone_block is not None:
        kinds = " ".join(
            d.kind for d in layer_data if "zones" in d.kind and d.kind != "mineral_zones"
        )
        out.append(block(kinds or "peripheral_zones", zone_block))
    elif zones is not None:
        out.append(zone_blocks(zones))
    markers = [d for d in layer_data if d.legend.get("color")]
    out += [marker_block(d) for d in reversed(markers)]
    home = next((d for d in layer_data if d.kind == "home"), None)
    if home is not None:
        text = home.legend.get("label", home.title)
        out.append(
            block(
                "home",
                f'<div class="rd-mk"><span class="rd-star"></span><span>{esc(text)}</span></div>',
            )
        )
    estimates = any(d.legend.get("estimates") for d in layer_data)
    out.append(key_html(estimates=estimates, floors=floors))
    out.append("</div>")
    return "".join(out)
