"""QGIS map tips: HTML templates with expressions that mirror the HTML map's popups."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import pandas as pd

from redeploy._version import __version__
from redeploy.export.qgis_common import _schema_of, layer_id_of, layer_title
from redeploy.model.result import HOME_ID
from redeploy.schemas import ASSET_UNITS, ASSETS, MILITARY_ASSETS, RISK_CHANNELS, column_label

#: Map-tip labels that say more than the map's popups (`ColumnSpec.label`): QGIS shows the
#: raw figure, so the unit goes into the label.
_LABEL_OVERRIDES: Mapping[str, str] = {"defense_pct_gdp": "Defense spending (% of GDP)"}


#: What the home pool (`HOME_ID`) is, in the map tips of the result layers.
HOME_NOUN = "U.S. home pool"
#: What one feature of a result table is, for the map tip's second line (layer kinds have
#: theirs in `LayerRole.noun`).
_RESULT_NOUNS: Mapping[str, str] = {
    "zone_allocations": "Peripheral zone (allocation)",
    "front_release": "Front (release)",
}


_UNIT_DECIMALS = {
    "persons": 0,
    "1-5": 0,
    "%": 1,
    "index": 2,
    "kpe": 1,
    "$bn/yr": 2,
    "$bn-eq/yr": 2,
    "mb/d": 1,
    "km": 0,
    "transits/yr": 0,
    "weeks": 0,
}


def _q(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _s(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _esc(expression: str) -> str:
    """QGIS expression: `expression` as text, HTML-escaped (the popups escape text too)."""
    return (
        f"replace(to_string({expression}), array('&', '<', '>', '\"'), "
        "array('&amp;', '&lt;', '&gt;', '&quot;'))"
    )


def _yes_no(expression: str) -> str:
    """QGIS expression: a boolean as ``yes`` or ``no`` (NULL stays NULL)."""
    return f"if({expression} IS NULL, NULL, if({expression}, 'yes', 'no'))"


def value_expression(expression: str, unit: str) -> str:
    """QGIS expression formatting a number with its unit (NULL stays NULL)."""
    places = _UNIT_DECIMALS.get(unit, 2)
    number = f"format_number({expression}, {places})"
    if unit in ("$bn/yr", "$bn"):
        return f"'$' || {number} || {_s(unit[1:])}"
    if unit == "%":
        return f"{number} || '%'"
    if unit == "1-5":
        return f"{number} || ' of 5'"
    if unit in ("", "index", "see unit", "share"):
        return number
    return f"{number} || {_s(' ' + unit)}"


def _column_rows(layer: str, frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(label, expression) of the popup rows of an input layer: its scalar columns."""
    schema = _schema_of(layer)
    if schema is None:
        return []
    rows = []
    for name in schema.scalar_columns:
        spec = schema.columns[name]
        if name not in frame.columns:
            continue
        label = _LABEL_OVERRIDES.get(name) or column_label(schema, name)
        if spec.dtype == "bool":
            expr = _yes_no(_q(name))
        elif spec.dtype in ("float", "int"):
            expr = value_expression(_q(name), spec.unit)
            if spec.unit_column and spec.unit_column in frame.columns:
                expr = f"{expr} || ' ' || {_esc(_q(spec.unit_column))}"
        else:
            expr = _esc(f"replace({_q(name)}, ';', ', ')")
        rows.append((label, expr))
    return rows


def _sum(columns: Sequence[str], source: str = "") -> str:
    def get(column: str) -> str:
        if source:
            return f"coalesce(attribute({source}, {_s(column)}), 0)"
        return f"coalesce({_q(column)}, 0)"

    return "(" + " + ".join(get(c) for c in columns) + ")"


def _zone_rows(cols: set[str]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for label, col in (
        ("Region", "region"),
        ("U.S. access", "access"),
        ("Access basis", "access_basis"),
    ):
        if col in cols:
            rows.append((label, _esc(_q(col))))
    if "port_calls" in cols:
        rows.append(("Port calls", _yes_no(_q("port_calls"))))
    for col, label in (
        ("existing_military", "Military presence already there"),
        ("added_military", "Military capacity added"),
    ):
        if col in cols:
            rows.append((label, value_expression(_q(col), "kpe")))
    for asset in ASSETS:
        col = f"added_{asset}"
        if col in cols:
            rows.append((f"– {asset} added", value_expression(_q(col), ASSET_UNITS[asset])))
    if "added_bn" in cols:
        rows.append(
            (
                "All added, in dollars (forces at U.S. unit cost)",
                value_expression(_q("added_bn"), "$bn/yr"),
            )
        )
    if "floor_held" in cols:
        rows.append(("Held up by a binding scenario floor", _yes_no(_q("floor_held"))))
    capacity = [f"capacity_{a}" for a in MILITARY_ASSETS if f"capacity_{a}" in cols]
    if capacity:
        rows.append(
            ("Military capacity (basing and at sea)", value_expression(_sum(capacity), "kpe"))
        )
    if "value" in cols:
        rows.append(("Strategic value gained", value_expression(_q("value"), "$bn-eq/yr")))
    return rows


def _front_rows(cols: set[str]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if "theater" in cols:
        rows.append(("Theater", _esc(_q("theater"))))
    for prefix, what in (
        ("freed", "Freed"),
        ("released", "Released"),
        ("to_home", "Sent home"),
        ("converted", "Converted into engagement"),
        ("retained", "Retained"),
    ):
        mil = [f"{prefix}_{a}" for a in MILITARY_ASSETS if f"{prefix}_{a}" in cols]
        if mil:
            rows.append((f"{what}, military", value_expression(_sum(mil), "kpe")))
        if f"{prefix}_engagement" in cols:
            rows.append(
                (f"{what}, engagement", value_expression(_q(f"{prefix}_engagement"), "$bn/yr"))
            )
    if "risk" in cols:
        rows.append(("Risk incurred", value_expression(_q("risk"), "$bn-eq/yr")))
    for channel in RISK_CHANNELS:
        col = f"risk_{channel}"
        if col in cols:
            label = f"– {channel.replace('_', ' ')}"
            rows.append((label, value_expression(_q(col), "$bn-eq/yr")))
    return rows


def _flow_rows(cols: set[str]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if {"amount", "unit"} <= cols:
        rows.append(("Amount", f"format_number({_q('amount')}, 2) || ' ' || {_esc(_q('unit'))}"))
    if "distance_km" in cols:
        rows.append(("Distance", value_expression(_q("distance_km"), "km")))
    if "cost" in cols:
        rows.append(("Transit cost", value_expression(_q("cost"), "$bn-eq/yr")))
    return rows


def _result_rows(layer: str, frame: pd.DataFrame) -> list[tuple[str, str]]:
    cols = set(frame.columns)
    if layer == "zone_allocations":
        return _zone_rows(cols)
    if layer == "front_release":
        return _front_rows(cols)
    if layer == "flows":
        return _flow_rows(cols)
    return []


def _front_model_rows(present: set[str]) -> list[tuple[str, str]]:
    if "front_release" not in present:
        return []
    ref = f"get_feature({_s(layer_id_of('front_release'))}, 'id', \"id\")"
    freed = _sum([f"freed_{a}" for a in MILITARY_ASSETS], ref)
    released = _sum([f"released_{a}" for a in MILITARY_ASSETS], ref)
    return [
        ("Military capacity freed (model)", value_expression(freed, "kpe")),
        ("Military capacity released (model)", value_expression(released, "kpe")),
    ]


def _name_of(layers: Sequence[str], key: str) -> str:
    """The name of the feature `key` points at, looked up in `layers` in turn, else `key`."""
    names = [
        f"attribute(get_feature({_s(layer_id_of(layer))}, 'id', {_q(key)}), 'name')"
        for layer in layers
    ]
    return f"coalesce({', '.join(names)}, {_q(key)})"


def map_tip(
    layer: str,
    frame: pd.DataFrame,
    *,
    run: tuple[str, str] | None = None,
    present: set[str] | frozenset[str] = frozenset(),
) -> str:
    """
    Return the HTML map tip template of a layer: title, kind line, key figures, source.

    Values are QGIS expressions between ``[% %]``, formatted with their units; text taken
    from the data is HTML-escaped, as the HTML map's popups insert it as text.
    """
    cols = set(frame.columns)
    model = f"redeploy {__version__} model"
    if run is not None:
        model += f", scenario {run[0]}, run {run[1][:12]}"
    if layer == "flows":
        # the result layers hold the home pool, which the input layers lack
        title = (
            f"[% {_esc(_name_of(('fronts', 'front_release'), 'front_id'))} %] → "
            f"[% {_esc(_name_of(('peripheral_zones', 'zone_allocations'), 'zone_id'))} %]"
        )
        kind = (
            "[% "
            + _esc(_q("asset"))
            + " %] flow"
            + (" · [% " + _esc("replace(\"mode\", '_', ' ')") + " %]" if "mode" in cols else "")
            + (" · [% " + _esc("replace(\"leg\", '_', ' ')") + " %]" if "leg" in cols else "")
        )
        rows = _result_rows(layer, frame)
        source = html.escape(f"Source: {model}")
    else:
        title = "[% " + _esc(_q("name") if "name" in cols else _q("id")) + " %]"
        schema = _schema_of(layer)
        kind_title = (
            schema.role.noun
            if schema
            else _RESULT_NOUNS.get(layer, layer_title(layer).split(" (")[0])
        )
        kind = html.escape(kind_title)
        if layer in _RESULT_NOUNS and "id" in cols:  # the home pool is neither zone nor front
            kind = f"[% if({_q('id')} = {_s(HOME_ID)}, {_s(HOME_NOUN)}, {_s(kind_title)}) %]"
        kind += " · [% " + _esc(_q("id")) + " %]" if "id" in cols else ""
        if layer in ("zone_allocations", "front_release"):
            rows = _result_rows(layer, frame)
            source = html.escape(f"Source: {model}")
        else:
            rows = _column_rows(layer, frame)
            if layer == "fronts":
                rows += _front_model_rows(set(present))
            source = "Source: " + (
                f"[% {_esc(_q('source'))} %]" if "source" in cols else "not given"
            )
            if "source_year" in cols:
                source += (
                    "[% if(\"source_year\" IS NULL, '', ' (' || "
                    "to_string(\"source_year\") || ')') %]"
                )
            if "confidence" in cols:
                source += " · [% " + _esc(_q("confidence")) + " %]"
            if layer == "fronts" and "front_release" in present:
                source += html.escape(f"; model figures: {model}")
    lines = [
        '<div style="font-family:sans-serif;font-size:9pt;max-width:360px">',
        f'<div style="font-weight:bold;font-size:10pt">{title}</div>',
        f'<div style="color:#5b6673">{kind}</div>',
    ]
    if rows:
        lines.append('<table style="border-collapse:collapse;margin:3px 0">')
        for label, expr in rows:
            lines.append(
                f'<tr><th style="text-align:left;font-weight:normal;color:#5b6673;'
                f'padding-right:8px">{html.escape(label, quote=False)}</th>'
                f"<td style=\"text-align:right\">[% coalesce({expr}, '–') %]</td></tr>"
            )
        lines.append("</table>")
    lines.append(
        f'<div style="color:#5b6673;font-size:8pt;border-top:1px solid #e3e6ea">{source}</div>'
    )
    lines.append("</div>")
    return "\n".join(lines)
