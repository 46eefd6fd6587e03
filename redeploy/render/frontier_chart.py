"""The frontier map's chart: net value against risk, one point per λ, as inline SVG.

Each point is coloured by its binding risk channel (the model's ``top_channel``: the channel
with the largest risk cost there), so the chart shows which channel the tightrope runs on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from redeploy import palette
from redeploy.model.frontier import Frontier, lambda_label
from redeploy.model.result import AllocationResult
from redeploy.render import panels
from redeploy.render.format import fmt_number
from redeploy.render.popups import channel_label

#: Size of the chart in CSS pixels.
CHART_SIZE = (372, 250)


#: Key of the scenario's own λ among the points.
SCENARIO_KEY = "s"


def _points(frontier: Frontier) -> list[tuple[str, float, AllocationResult, Mapping[Any, Any]]]:
    """(key, λ, result, table row) of every grid point, then the scenario's own λ."""
    out: list[tuple[str, float, AllocationResult, Mapping[Any, Any]]] = []
    for row, result in zip(frontier.table.to_dict("records"), frontier.results, strict=True):
        out.append((str(int(row["point"])), float(row["lambda"]), result, row))
    own = {**frontier.scenario_row, "dominated": False, "point": SCENARIO_KEY}
    out.append((SCENARIO_KEY, frontier.scenario_lambda, frontier.scenario_result, own))
    return out


def _lam(lam: float) -> str:
    return lambda_label(lam)


def top_channel(row: Mapping[Any, Any]) -> str:
    """The binding channel of a frontier row (``""`` when the point has no risk)."""
    value = row.get("top_channel")
    return value if isinstance(value, str) else ""


def channel_text(row: Mapping[Any, Any]) -> str:
    """The binding channel of a frontier row in words (``none`` without risk)."""
    top = top_channel(row)
    return channel_label(top) if top else "none"


def swept_name(frontier: Frontier) -> str:
    """The swept weight's symbol: ``λ``, or ``λ_<channel>`` for one channel's weight."""
    return "λ" if frontier.channel is None else f"λ_{frontier.channel}"


def risk_axis_label(frontier: Frontier) -> str:
    """What the chart's risk axis measures."""
    if frontier.channel is None:
        return "Risk accepted, every channel ($bn-eq/yr)"
    return f"Risk accepted, {channel_label(frontier.channel)} ($bn-eq/yr)"


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    out = []
    t = first
    while t <= hi + step * 1e-9:
        out.append(round(t, 12) + 0.0)
        t += step
    return out


def _star(x: float, y: float, r: float) -> str:
    pts = []
    for i in range(10):
        ang = math.pi / 2 + i * math.pi / 5
        rad = r if i % 2 == 0 else r * 0.45
        pts.append(f"{x + rad * math.cos(ang):.1f},{y - rad * math.sin(ang):.1f}")
    return " ".join(pts)


@dataclass(frozen=True)
class _Axes:
    """The chart's scales: risk (x) from 0 to `r_hi`, net value (y) from `v_lo` to `v_hi`."""

    r_hi: float
    v_lo: float
    v_hi: float

    def sx(self, r: float) -> float:
        w, _ = CHART_SIZE
        left, right = _MARGINS[0], _MARGINS[1]
        return left + (w - left - right) * r / self.r_hi

    def sy(self, v: float) -> float:
        _, h = CHART_SIZE
        top, bottom = _MARGINS[2], _MARGINS[3]
        return h - bottom - (h - top - bottom) * (v - self.v_lo) / (self.v_hi - self.v_lo)


#: Plot margins in pixels: left, right, top, bottom.
_MARGINS = (46, 10, 8, 34)


def _axes(pts: Sequence[tuple[str, float, AllocationResult, Mapping[Any, Any]]]) -> _Axes:
    risks = [float(p[3]["risk"]) for p in pts]
    values = [float(p[3]["net_value"]) for p in pts]
    r_hi = max(risks) or 1.0
    v_lo, v_hi = min([*values, 0.0]), max(values) or 1.0
    pad = (v_hi - v_lo) * 0.06 or 0.1
    v_lo, v_hi = v_lo - (pad if v_lo < 0 else 0.0), v_hi + pad
    return _Axes(r_hi * 1.06, v_lo, v_hi)


def _frame_svg(ax: _Axes, risk_label: str) -> list[str]:
    """The plot frame, the grid with its tick labels and the two axis titles."""
    esc = panels.esc
    w, h = CHART_SIZE
    left, right, top, bottom = _MARGINS
    out = [
        f'<svg class="rdf-chart" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
        f'aria-label="{esc("Net value against risk, one point per λ")}">',
        f'<rect x="{left}" y="{top}" width="{w - left - right}" height="{h - top - bottom}" '
        'fill="#fbfbfa" stroke="#c9ced4"/>',
    ]
    for t in _ticks(0.0, ax.r_hi):
        x = ax.sx(t)
        out.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{h - bottom}" stroke="#eceef1"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{h - bottom + 12}" text-anchor="middle" '
            f'fill="#5b6673">{esc(fmt_number(t))}</text>'
        )
    for t in _ticks(ax.v_lo, ax.v_hi):
        y = ax.sy(t)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{w - right}" y2="{y:.1f}" stroke="#eceef1"/>'
        )
        out.append(
            f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end" '
            f'fill="#5b6673">{esc(fmt_number(t))}</text>'
        )
    out.append(
        f'<text x="{(left + w - right) / 2:.1f}" y="{h - 4}" text-anchor="middle" '
        f'fill="#2b3642">{esc(risk_label)}</text>'
    )
    out.append(
        f'<text transform="translate(11 {(top + h - bottom) / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle" fill="#2b3642">'
        f"{esc('Net value, value − transit ($bn-eq/yr)')}</text>"
    )
    return out


def _grid_svg(
    ax: _Axes,
    grid: Sequence[tuple[str, float, AllocationResult, Mapping[Any, Any]]],
    symbol: str = "λ",
) -> list[str]:
    """The frontier line through the undominated points, λ labels, one circle per point
    coloured by its binding channel."""
    esc = panels.esc
    out = []
    front = sorted(
        (p for p in grid if not p[3]["dominated"]),
        key=lambda p: (float(p[3]["risk"]), float(p[3]["net_value"])),
    )
    if len(front) > 1:
        line = " ".join(
            f"{ax.sx(float(p[3]['risk'])):.1f},{ax.sy(float(p[3]['net_value'])):.1f}" for p in front
        )
        out.append(f'<polyline points="{line}" fill="none" stroke="#2a9d8f" stroke-width="1.6"/>')
    last = (-1e9, -1e9)
    for _, lam, _, row in grid:
        x, y = ax.sx(float(row["risk"])), ax.sy(float(row["net_value"]))
        if abs(x - last[0]) > 34 or abs(y - last[1]) > 12:
            out.append(
                f'<text x="{x + 6:.1f}" y="{y + 12:.1f}" fill="#33404d" '
                f'font-size="9">{esc(symbol + "=" + _lam(lam))}</text>'
            )
            last = (x, y)
    for key, lam, _, row in grid:
        x, y = ax.sx(float(row["risk"])), ax.sy(float(row["net_value"]))
        dom = bool(row["dominated"])
        color = palette.channel_color(top_channel(row))
        # Dominated points are hollow, ringed in their binding channel's colour.
        fill = "#ffffff" if dom else color
        stroke = color if dom else "#ffffff"
        tip = (
            f"{symbol} = {_lam(lam)}: net value {fmt_number(float(row['net_value']))}, risk "
            f"{fmt_number(float(row['risk']))}, binding channel {channel_text(row)}"
            f"{' (dominated)' if dom else ''}"
        )
        out.append(
            f'<circle class="rdf-pt" data-k="{esc(key)}" data-channel="{esc(top_channel(row))}" '
            f'cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="1.5" tabindex="0"><title>{esc(tip)}</title></circle>'
        )
    return out


def chart_svg(frontier: Frontier) -> str:
    """
    Return the frontier chart as inline SVG: net value against risk, one circle per λ.

    Circles carry ``class="rdf-pt"``, ``data-k`` (the point's key) and ``data-channel``
    (the binding risk channel), and are filled in that channel's colour
    (`redeploy.palette.RISK_CHANNEL_COLORS`); dominated points are hollow; the scenario's
    own weight is a star. Every text is escaped.
    """
    pts = _points(frontier)
    ax = _axes(pts)
    symbol = swept_name(frontier)
    out = _frame_svg(ax, risk_axis_label(frontier))
    out += _grid_svg(ax, [p for p in pts if p[0] != SCENARIO_KEY], symbol)
    _, lam, _, row = next(p for p in pts if p[0] == SCENARIO_KEY)
    x, y = ax.sx(float(row["risk"])), ax.sy(float(row["net_value"]))
    tip = (
        f"The scenario's own {symbol} = {_lam(lam)}: net value "
        f"{fmt_number(float(row['net_value']))}, risk {fmt_number(float(row['risk']))}, "
        f"binding channel {channel_text(row)}"
    )
    out.append(
        f'<polygon class="rdf-pt" data-k="{SCENARIO_KEY}" points="{_star(x, y, 9)}" '
        f'fill="#d4a017" stroke="#5b4300" stroke-width="1" tabindex="0">'
        f"<title>{panels.esc(tip)}</title></polygon>"
    )
    out.append("</svg>")
    return "".join(out)
