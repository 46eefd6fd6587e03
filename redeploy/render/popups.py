"""Popup content of map features: layer figures, and the result's tables for fronts and zones.

Each builder returns plain text: ``rows`` ([label, value] pairs) and tables ``{"t": title,
"h": header, "r": rows, "f": footnote}`` that the page's script writes with ``textContent``.
Figures come from the layers and the result's frames as they are; sums over a front's or a
zone's rows are shown as totals, never used to derive a model quantity.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache, partial
from typing import Any

from redeploy.model.result import AllocationResult
from redeploy.render.columns import LayerColumns, each
from redeploy.render.format import (
    dual_note,
    finite,
    fmt_bool,
    fmt_number,
    fmt_value,
    plain_text,
    value_unit,
)
from redeploy.render.frames import assets_in, frame_cells, unit_of
from redeploy.schemas import ASSETS, MILITARY_ASSETS, RISK_CHANNELS, SCHEMAS, LayerKind
from redeploy.schemas import column_label as _column_label

#: Ledger columns shown in a front's popup: label and unit (`AllocationResult.ledger`).
LEDGER_LABELS: Mapping[str, tuple[str, str]] = {
    "ally_extra_spending_bn": ("Ally extra spending", "$bn/yr"),
    "ally_expected_spending_bn": ("Ally expected delivery", "$bn/yr"),
    "us_freed_kpe": ("U.S. forces freed", "kpe"),
    "us_freed_engagement_bn": ("Engagement freed", "$bn/yr"),
    "us_freed_value_bn": ("U.S. cost of the forces freed", "$bn/yr"),
    "us_redeployed_value_bn": ("U.S. cost of forces sent abroad", "$bn/yr"),
    "us_home_value_bn": ("U.S. cost of forces sent home", "$bn/yr"),
    "converted_to_engagement_bn": ("Engagement bought by converting forces", "$bn/yr"),
    "us_industry_inflow_bn": ("Inflow to U.S. industry", "$bn/yr"),
    "double_burden_share": ("Double burden (share of extra spending)", "share"),
    "price_per_retained_kpe_bn": ("Price per retained kpe", "$bn/yr per kpe"),
}
#: Ledger columns announced and expected: shown as one row when delivery falls short.
_ANNOUNCED, _EXPECTED = "ally_extra_spending_bn", "ally_expected_spending_bn"

#: Header of the per-class table of a layer's military columns, by column prefix.
_CLASS_HEADS: Mapping[str, str] = {"cap": "Can host", "kpe": "Presence"}

_NONE = "–"


def asset_cell(asset: str) -> str:
    """An asset class with its unit, as a table's first cell (``naval (kpe)``)."""
    unit = unit_of(asset)
    return f"{asset} ({unit})" if unit else asset


@lru_cache(maxsize=1024)
def label(kind: str, column: str) -> str:
    """The popup label of a layer column (`redeploy.schemas.column_label`)."""
    return _column_label(SCHEMAS[LayerKind(kind)], column)


def channel_label(channel: str) -> str:
    """A risk channel in words (``counter_alignment`` -> ``counter-alignment``)."""
    return channel.replace("_", "-")


def _cell(x: Any) -> str:
    v = finite(x)
    return _NONE if v is None else fmt_number(v)


def military_prefixes(kind: str) -> list[str]:
    """Prefixes of a layer's column groups with one column per military class only
    (``cap_<class>`` of sites, ``kpe_<class>`` of posture): shown as a per-class table."""
    return list(_military_prefixes(kind))


# Schemas are fixed: what a layer kind's popups list is worked out once per kind.
@lru_cache(maxsize=64)
def _military_prefixes(kind: str) -> tuple[str, ...]:
    schema = SCHEMAS[LayerKind(kind)]
    out = []
    for name in schema.columns:
        if not name.endswith(f"_{MILITARY_ASSETS[0]}"):
            continue
        prefix = name[: -len(MILITARY_ASSETS[0]) - 1]
        if prefix in schema.per_asset_prefixes:
            continue
        if all(f"{prefix}_{a}" in schema.columns for a in MILITARY_ASSETS):
            out.append(prefix)
    return tuple(out)


@lru_cache(maxsize=64)
def _scalar_columns(kind: str) -> tuple[str, ...]:
    """The scalar columns of `kind` that are not in a per-class table."""
    grouped = {f"{p}_{a}" for p in _military_prefixes(kind) for a in MILITARY_ASSETS}
    return tuple(c for c in SCHEMAS[LayerKind(kind)].scalar_columns if c not in grouped)


def class_table(kind: str, row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The per-class table of a feature's military column groups (None when it has none)."""
    prefixes = military_prefixes(kind)
    if not prefixes:
        return None
    schema = SCHEMAS[LayerKind(kind)]
    head = ["Class"]
    for p in prefixes:
        unit = schema.columns[f"{p}_{MILITARY_ASSETS[0]}"].unit
        head.append(f"{_CLASS_HEADS.get(p, p)} ({unit})" if unit else _CLASS_HEADS.get(p, p))
    body = [[a, *(_cell(row.get(f"{p}_{a}")) for p in prefixes)] for a in MILITARY_ASSETS]
    return {"h": head, "r": body}


def scalar_rows_of(kind: str, cols: LayerColumns) -> list[list[list[str]]]:
    """
    The [label, value] rows of each feature's own figures (`LayerSchema.scalar_columns`
    not in a per-class table), for every row of a layer (`LayerColumns`), column by column:
    yes/no for booleans, a number with the unit of its unit column, text as it is, other
    figures with their unit; a missing value gives no row.
    """
    schema = SCHEMAS[LayerKind(kind)]
    rows: list[list[list[str]]] = [[] for _ in range(cols.size)]
    for name in _scalar_columns(kind):
        if name not in cols:
            continue
        spec = schema.columns[name]
        values = cols.get(name)
        texts: list[str | None]
        if spec.dtype == "bool":
            texts = each(values, fmt_bool)
        elif spec.unit_column:
            # The unit is in another column: the value is shown as a plain number.
            plain = each(values, partial(fmt_value, unit=""))
            units = each(cols.get(spec.unit_column), plain_text)
            texts = [
                f"{v} {u}" if v is not None and u else v for v, u in zip(plain, units, strict=True)
            ]
        elif spec.dtype in ("str", "enum", "slug"):
            texts = each(values, partial(fmt_value, unit="raw"))
        else:
            texts = each(values, partial(fmt_value, unit=spec.unit))
        text_label = label(kind, name)
        for row, text in zip(rows, texts, strict=True):
            if text is not None:
                row.append([text_label, text])
    return rows


def class_tables_of(kind: str, cols: LayerColumns) -> list[dict[str, Any] | None]:
    """`class_table` of every row of a layer (`LayerColumns`), column by column."""
    prefixes = military_prefixes(kind)
    if not prefixes:
        return [None] * cols.size
    head = class_table(kind, {})
    assert head is not None
    cells = [[each(cols.get(f"{p}_{a}"), _cell) for p in prefixes] for a in MILITARY_ASSETS]
    return [
        {
            "h": list(head["h"]),
            "r": [[a, *(c[i] for c in by)] for a, by in zip(MILITARY_ASSETS, cells, strict=True)],
        }
        for i in range(cols.size)
    ]


# ---------------------------------------------------------------------------- fronts

_FRONT_HEAD = [
    "Asset",
    "Baseline",
    "Floor",
    "Freed",
    "Released",
    "To home",
    "Converted",
    "Retained",
    "Marg. value (index)",
]


#: Columns of the front table after baseline and floor, from the result's `fronts` frame.
_FRONT_COLUMNS = ("freed", "released", "to_home", "converted", "retained", "marginal_value")


def _percent(x: Any) -> str:
    v = finite(x)
    return _NONE if v is None else f"{fmt_number(100 * v)}%"


#: One formatter per ledger unit (a stable key for `FrameCells.text`).
_LEDGER_FORMATS = {unit: partial(fmt_value, unit=unit) for _, unit in LEDGER_LABELS.values()}


def front_table(row: Mapping[str, Any], result: AllocationResult) -> dict[str, Any] | None:
    """Per asset: baseline, floor, freed, released, to home, converted, retained, duals."""
    cells = frame_cells(result.fronts, "front_id")
    per = cells.rows.get(str(row.get("id")), {}) if cells else {}
    body = []
    for asset in assets_in(per):
        i = per.get(asset)
        if cells is not None and i is not None and cells.has("baseline"):
            baseline = cells.text("baseline", i, _cell)
        else:
            baseline = _cell(row.get(f"us_{asset}"))
        cells_of = [cells.text(c, i, _cell) if cells else _NONE for c in _FRONT_COLUMNS]
        row_cells = [asset_cell(asset), baseline, _cell(row.get(f"floor_{asset}")), *cells_of]
        if any(c != _NONE for c in row_cells[1:]):
            body.append(row_cells)
    if not body:
        return None
    note = dual_note(result, "freed at this front").split(". ", 1)[1]
    return {
        "h": _FRONT_HEAD,
        "r": body,
        "f": (
            "Released: sent to zones and home "
            "(To home: the part sent home). Converted: turned into engagement. Retained: "
            f"freed but kept on the front. {note}"
        ),
    }


def risk_table(fid: str, result: AllocationResult) -> dict[str, Any] | None:
    """The front's risk cost per channel (summed over its asset rows), channels > 0."""
    cells = frame_cells(result.fronts, "front_id")
    if cells is None:
        return None
    sums = cells.sums(fid, [*(f"risk_{c}" for c in RISK_CHANNELS), "risk"])
    body = []
    for c in RISK_CHANNELS:
        v = sums.get(f"risk_{c}", 0.0)
        if v > 0:
            body.append([channel_label(c), fmt_number(v)])
    if not body:
        return None
    if "risk" in sums:
        body.append(["All channels", fmt_number(sums["risk"])])
    return {
        "t": f"Risk by channel ({value_unit(result)} index, weighted)",
        "h": ["Channel", "Risk"],
        "r": body,
        "f": "The FAF paper's channels as priced by the model, at their weights λ·λ_c.",
    }


def allies_table(fid: str, result: AllocationResult) -> dict[str, Any] | None:
    """The allies' side of the front per military class: dependence, gap, gap cost, inflow."""
    cells = frame_cells(result.allies, "front_id")
    per = cells.rows.get(fid, {}) if cells else {}
    body = []
    for asset in MILITARY_ASSETS:
        i = per.get(asset)
        if cells is None or i is None:
            continue
        body.append(
            [
                asset,
                cells.text("dependence", i, _percent),
                *(cells.text(c, i, _cell) for c in ("gap", "gap_cost_bn", "us_industry_inflow_bn")),
            ]
        )
    if not body:
        return None
    return {
        "t": "Allies' side: where the ally stays dependent, where it must build autonomy",
        "h": ["Class", "Dependence", "Gap (kpe)", "Gap cost ($bn/yr)", "U.S. industry ($bn/yr)"],
        "r": body,
        "f": (
            "Dependence: share of the class the U.S. still provides. Gap: U.S. capacity "
            "withdrawn less what the ally's expected spending substitutes (autonomy to "
            "build), costed at the ally's unit cost. U.S. industry: the class's share of the "
            "ally's spending that flows back to U.S. industry."
        ),
    }


def ledger_rows(fid: str, result: AllocationResult) -> list[list[str]]:
    """The front's ledger (its first row) as [label, value] rows; expected delivery beside
    the announced."""
    cells = frame_cells(result.ledger, "front_id")
    rows_of = cells.groups.get(fid) if cells else None
    if cells is None or not rows_of:
        return []
    i = rows_of[0]
    announced = finite(cells.value(_ANNOUNCED, i))
    expected = finite(cells.value(_EXPECTED, i))
    short = announced is not None and expected is not None and expected < announced - 1e-9
    rows = []
    for col, (text, unit) in LEDGER_LABELS.items():
        if col == _EXPECTED and short:
            continue
        value = cells.text(col, i, _LEDGER_FORMATS[unit])
        if col == _ANNOUNCED and short:
            value = (
                f"expected delivery {fmt_value(expected, unit)} of announced "
                f"{fmt_value(announced, unit)}"
            )
        if value is not None:
            rows.append([text, value])
    return rows


def front_popup(
    row: Mapping[str, Any], result: AllocationResult
) -> tuple[dict[str, Any] | None, list[dict[str, Any]], str]:
    """A front's main table, further tables (risk, allies, ledger) and tooltip note."""
    fid = str(row.get("id"))
    ledger = ledger_rows(fid, result)
    tabs = [t for t in (risk_table(fid, result), allies_table(fid, result)) if t]
    if ledger:
        tabs.append({"t": "Ledger: the ally's money and the U.S. capacity it frees", "r": ledger})
    cells = frame_cells(result.fronts, "front_id")
    per = cells.rows.get(fid, {}) if cells else {}

    def total(column: str, assets: tuple[str, ...]) -> float:
        if cells is None:
            return 0.0
        return sum(finite(cells.value(column, per.get(a))) or 0.0 for a in assets)

    freed = total("freed", MILITARY_ASSETS)
    note = f"freed {fmt_value(freed, 'kpe')}"
    risk = total("risk", ASSETS)
    if risk > 0:
        note += f" · risk {fmt_number(risk)} {value_unit(result)}"
    return front_table(row, result), tabs, note


# ---------------------------------------------------------------------------- zones

ZONE_TABLE_HEAD = ["Asset", "Capacity", "Existing", "Added", "Value (index)", "Marg. value (index)"]


def zone_table(per_asset: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    """Rows of a zone's per-asset table: capacity, existing, added, value, marginal value."""
    body = []
    for asset in assets_in(per_asset):
        r = per_asset.get(asset)
        if r is None:
            continue
        cells = [
            asset_cell(asset),
            *(_cell(r.get(c)) for c in ("capacity", "existing", "added", "value")),
            _cell(r.get("marginal_value")),
        ]
        if any(c not in (_NONE, "0") for c in cells[1:5]):
            body.append(cells)
    return body


def zone_note(result: AllocationResult) -> str:
    """The footnote of a zone's table: units and what each column is."""
    note = dual_note(result, "of capacity in this zone").split(". ", 1)[1]
    return (
        "Capacity: what the zone's sites (and the sea off it) can host; Existing: U.S. "
        "presence already there; Added: by this run, each in its class's unit. Value: "
        f"{value_unit(result)}, an index resting on stated assumptions, not dollars. {note}"
    )


def presence_rows(per_asset: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    """The zone's existing U.S. presence and what this run adds (military kpe, engagement)."""
    existing = sum(finite(per_asset.get(a, {}).get("existing")) or 0.0 for a in MILITARY_ASSETS)
    added = sum(finite(per_asset.get(a, {}).get("added")) or 0.0 for a in MILITARY_ASSETS)
    eng = finite(per_asset.get("engagement", {}).get("added")) or 0.0
    rows = [
        ["Existing U.S. presence", fmt_value(existing, "kpe") or "0 kpe"],
        ["Added by this run", fmt_value(added, "kpe") or "0 kpe"],
    ]
    if eng > 0:
        rows.append(["Engagement added", fmt_value(eng, unit_of("engagement")) or ""])
    return rows
