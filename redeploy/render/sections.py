"""Sections of a run's scenario panel: fronts, the home pool, regions, objective, allies' side.

Each returns escaped HTML built from the result's frames, totals and meta as the model
wrote them; sums are only totals of what the frames hold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from redeploy.model.result import AllocationResult
from redeploy.render.format import finite, fmt_number, fmt_value, value_unit
from redeploy.render.frames import (
    HOME_ID,
    HOME_NAME,
    HOME_REGION,
    asset_frame,
    home_totals,
    military_total,
    names,
    total,
)
from redeploy.render.markup import esc, heading, note, table_html
from redeploy.render.popups import channel_label
from redeploy.render.story import FLOOR_MARK, floor_held, region_bounds
from redeploy.schemas import MILITARY_ASSETS, RISK_CHANNELS

Split = Sequence[tuple[str, float, float]]


def _num(x: Any) -> float:
    v = finite(x)
    return 0.0 if v is None else v


def split_totals(
    frame: pd.DataFrame | None, key: str, value: str, *, skip: Sequence[str] = ()
) -> list[tuple[str, float, float]]:
    """Sum `value` per `key` into (key, military kpe, engagement $bn/yr), first-seen order."""
    if frame is None or frame.empty or key not in frame or value not in frame:
        return []
    out: dict[str, list[float]] = {}
    # Column by column (the values the frame's records hold), not one record at a time.
    assets = frame["asset"].tolist() if "asset" in frame else [None] * len(frame)
    for k_raw, asset, x in zip(frame[key].tolist(), assets, frame[value].tolist(), strict=True):
        k = str(k_raw)
        if k in skip:
            continue
        slot = out.setdefault(k, [0.0, 0.0])
        if asset in MILITARY_ASSETS:
            slot[0] += _num(x)
        elif asset == "engagement":
            slot[1] += _num(x)
    return [(k, v[0], v[1]) for k, v in out.items()]


def split_table(label: str, rows: Split, all_rows: Split) -> str:
    """Return a table of (name, military kpe, engagement $bn/yr) rows and their total.

    An engagement column that is zero throughout is left out.
    """
    with_eng = any(r[2] for r in all_rows)
    head = [label, "Military kpe"] + (["Engagem. $bn/yr"] if with_eng else [])
    body = [[n, fmt_number(m)] + ([fmt_number(e)] if with_eng else []) for n, m, e in rows]
    row_total = ["Total", fmt_number(sum(r[1] for r in all_rows))]
    if with_eng:
        row_total.append(fmt_number(sum(r[2] for r in all_rows)))
    return table_html(head, [*body, row_total], total=True)


def fronts_section(result: AllocationResult, layers: Mapping[str, gpd.GeoDataFrame]) -> str:
    """Freed capacity by front (the home pool apart), and what became of it."""
    front_names = names(layers, "fronts")
    fronts = [
        (front_names.get(k, k), m, e)
        for k, m, e in split_totals(result.fronts, "front_id", "freed", skip=(HOME_ID,))
    ]
    if not fronts:
        return ""
    out = [heading("Freed U.S. forces by front")]
    out.append(split_table("Front", [f for f in fronts if f[1] or f[2]], fronts))
    fr = result.fronts
    if fr is not None and not fr.empty and "front_id" in fr:
        fr = fr[fr["front_id"].astype(str) != HOME_ID]
    parts = []
    for col, text in (
        ("released", "released"),
        ("to_home", "of it sent home"),
        ("converted", "converted into engagement"),
        ("retained", "retained on the fronts"),
    ):
        if fr is not None and col in fr:
            parts.append(f"{fmt_value(military_total(fr, col), 'kpe')} {text}")
    if parts:
        out.append(note("Military capacity freed: " + ", ".join(parts) + "."))
    return "".join(out)


_HOME_ROWS = (
    ("received_kpe", "Received from fronts"),
    ("sent_abroad_kpe", "Sent abroad"),
    ("reserve_kpe", "Reserve at home (scenario)"),
    ("kept_kpe", "Kept at home"),
)


def home_section(result: AllocationResult) -> str:
    """The home pool's totals: received from fronts, sent abroad, reserve, kept (kpe)."""
    totals = home_totals(result)
    if not totals:
        return ""
    rows = [[text, fmt_number(totals[key])] for key, text in _HOME_ROWS if key in totals]
    return f'<div class="rd-h3"><span class="rd-star"></span> {esc(HOME_NAME)}</div>' + table_html(
        ["Military kpe", ""], rows, cls="rd-tab rd-obj"
    )


def regions_section(result: AllocationResult) -> str:
    """By region: the existing U.S. presence beside what this run adds."""
    added = split_totals(result.zones, "region", "added", skip=(HOME_REGION,))
    if not added:
        return ""
    given = result.totals.get("existing_by_region") if isinstance(result.totals, dict) else None
    if isinstance(given, dict):
        existing = {str(k): _num(v) for k, v in given.items()}
    else:
        existing = {
            k: m
            for k, m, _ in split_totals(result.zones, "region", "existing", skip=(HOME_REGION,))
        }
    with_eng = any(r[2] for r in added)
    head = ["Region", "Existing", "Added"] + (["Engagem."] if with_eng else [])
    body = []
    for region, mil, eng in added:
        mark = f" {FLOOR_MARK}" if floor_held(result, region) else ""
        row = [region + mark, fmt_number(existing.get(region, 0.0)), fmt_number(mil)]
        body.append(row + ([fmt_number(eng)] if with_eng else []))
    row_total = [
        "Total",
        fmt_number(sum(existing.get(r[0], 0.0) for r in added)),
        fmt_number(sum(r[1] for r in added)),
    ]
    if with_eng:
        row_total.append(fmt_number(sum(r[2] for r in added)))
    unit = "military kpe" + ("; engagement added, $bn/yr" if with_eng else "")
    text = f"Existing: U.S. presence already there; Added: by this run ({unit})."
    bounds = region_bounds(result)
    if bounds:
        text += " Scenario bounds: " + " ".join(b.text() for b in bounds)
    return (
        heading("By region: existing U.S. presence and what this run adds")
        + table_html(head, [*body, row_total], total=True)
        + note(text)
    )


def _weight_note(result: AllocationResult, channel: str) -> str:
    """`` (weight w, unweighted u)`` where the channel's weight λ_c is not 1, else ``""``."""
    meta = result.meta if isinstance(result.meta, dict) else {}
    weights, raw = meta.get("risk_weights"), meta.get("risk_unweighted")
    w = finite(weights.get(channel)) if isinstance(weights, dict) else None
    if w is None or math.isclose(w, 1.0):
        return ""
    u = finite(raw.get(channel)) if isinstance(raw, dict) else None
    return f" (weight {w:g}" + (f", unweighted {fmt_number(u)})" if u is not None else ")")


def objective_section(result: AllocationResult) -> str:
    """The objective's parts, each risk channel with a figure under the risk."""
    obj = result.objective
    if not obj:
        return ""
    lam = finite(result.meta.get("risk_lambda")) if isinstance(result.meta, dict) else None
    risk_label = "− Risk" + ("" if lam is None or math.isclose(lam, 1.0) else f" (λ = {lam:g})")
    rows = []
    for key, text in (("value", "Strategic value"), ("transit_cost", "− Transit cost")):
        if key in obj:
            rows.append([text, fmt_number(_num(obj[key]))])
    if "risk" in obj:
        rows.append([risk_label, fmt_number(_num(obj["risk"]))])
    channels = [f"risk_{c}" for c in RISK_CHANNELS]
    for c in RISK_CHANNELS:
        v = _num(obj.get(f"risk_{c}"))
        if v != 0:
            rows.append([f"· {channel_label(c)}{_weight_note(result, c)}", fmt_number(v)])
    shown = {"value", "transit_cost", "risk", "total", *channels}
    rows += [[k, fmt_number(_num(obj[k]))] for k in sorted(obj) if k not in shown]
    if "total" in obj:
        rows.append(["= Total", fmt_number(_num(obj["total"]))])
    return (
        heading(f"Objective ({value_unit(result)} index)")
        + table_html(["Part", ""], rows, cls="rd-tab rd-obj", total="total" in obj)
        + note(
            "Value, transit cost and risk are an index in $bn-equivalent a year that rests on "
            "the model's stated coefficients (assumptions): a way to weigh them against each "
            "other, not a dollar estimate."
        )
    )


def _pick(per: Mapping[str, Mapping[str, Any]], column: str) -> tuple[str, float] | None:
    """The military class with the largest `column` (first in class order on ties)."""
    best: tuple[str, float] | None = None
    for asset in MILITARY_ASSETS:
        rec = per.get(asset)
        if rec is None or _num(rec.get("us_baseline")) <= 0:
            continue
        v = _num(rec.get(column))
        if best is None or v > best[1]:
            best = (asset, v)
    return best


def _ally_row(name: str, share: Any, per: Mapping[str, Mapping[str, Any]]) -> list[str]:
    dep, gap = _pick(per, "dependence"), _pick(per, "gap")
    return [
        name,
        fmt_value(share, "share") or "–",
        f"{dep[0]} {fmt_value(dep[1], 'share')}" if dep else "–",
        f"{gap[0]} {fmt_number(gap[1])}" if gap and gap[1] > 0 else "none",
    ]


def allies_section(result: AllocationResult, layers: Mapping[str, gpd.GeoDataFrame]) -> str:
    """Per ally that pays more: the double burden, its most dependent class, its largest gap."""
    ledger = result.ledger
    if ledger is None or ledger.empty or "ally_extra_spending_bn" not in ledger:
        return ""
    paying = ledger[pd.to_numeric(ledger["ally_extra_spending_bn"], errors="coerce") > 0]
    front_names = names(layers, "fronts")
    allies = asset_frame(result.allies, "front_id")
    out = [
        '<details class="rd-sec" open><summary>',
        esc("Allies' side: double burden and dependence"),
        "</summary>",
    ]
    announced = total(ledger, "ally_extra_spending_bn")
    text = f"Allies announce {fmt_value(announced, '$bn/yr')} of extra spending"
    if "ally_expected_spending_bn" in ledger:
        expected = total(ledger, "ally_expected_spending_bn")
        text += f"; expected delivery {fmt_value(expected, '$bn/yr')} (backlash)"
    out.append(note(text + "."))
    rows = [
        _ally_row(
            front_names.get(str(r["front_id"]), str(r["front_id"])),
            r.get("double_burden_share"),
            allies.get(str(r["front_id"]), {}),
        )
        for r in paying.to_dict("records")
    ]
    if rows:
        head = ["Ally (front)", "Burden", "Depends on", "Gap kpe"]
        out.append(table_html(head, rows, cls="rd-tab rd-allies"))
        out.append(
            note(
                "Burden: share of the ally's extra spending that funds U.S. expansion "
                "elsewhere. Most dependent: the class the U.S. still provides most of. Gap: "
                "the class with the largest gap the ally must fill (autonomy to build)."
            )
        )
    out.append("</details>")
    return "".join(out)
