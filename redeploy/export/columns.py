"""Documented columns of the result layers and of every input layer, for GIS files.

Each result layer's columns have a type, a unit and a description (`RESULT_COLUMNS`); the
GeoPackage stores them as field descriptions and the docs embed them
(`result_columns_markdown`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from redeploy.export.tables import COLUMN_UNITS as TABLE_UNITS
from redeploy.schema_docs import UNIT_NOTES
from redeploy.schemas import ASSET_UNITS, ASSETS, SCHEMAS, ColumnSpec, LayerKind

#: Result layers, in the order they are written after the input layers.
RESULT_LAYERS: tuple[str, ...] = ("flows", "zone_allocations", "front_release", "ledger")

#: Unit of the objective's terms (value, transit cost, risk): billions of dollar-equivalents
#: per year, as the model's tables state it.
OBJECTIVE_UNIT = TABLE_UNITS["value"]


def _per_asset(prefix: str, what: str, unit: str | None = None) -> dict[str, ColumnSpec]:
    return {
        f"{prefix}_{a}": ColumnSpec(
            "float",
            f"{what} ({a}).",
            unit if unit is not None else ASSET_UNITS[a],
            False,
        )
        for a in ASSETS
    }


def _marginal(what: str) -> dict[str, ColumnSpec]:
    return {
        f"mv_{a}": ColumnSpec(
            "float", f"{what} ({a}).", f"{OBJECTIVE_UNIT} per {ASSET_UNITS[a]}", False
        )
        for a in ASSETS
    }


def _flows_columns() -> dict[str, ColumnSpec]:
    asset_units = "kpe for military assets, $bn/yr for engagement"
    return {
        "id": ColumnSpec("str", "Flow identifier: `<front_id>__<zone_id>__<asset>`."),
        "front_id": ColumnSpec("str", "Front the capacity leaves (`id` in layer fronts)."),
        "zone_id": ColumnSpec(
            "str", "Peripheral zone receiving it (`id` in layer peripheral_zones)."
        ),
        "asset": ColumnSpec("enum", "Asset class moved.", choices=ASSETS),
        "unit": ColumnSpec("str", f"Unit of `amount`: {asset_units}."),
        "amount": ColumnSpec(
            "float",
            "Capacity moved along the route (unit in `unit`).",
            "kpe or $bn/yr",
            True,
            0,
        ),
        "distance_km": ColumnSpec(
            "float",
            "Transit distance along the route (sea lane or great circle).",
            "km",
            True,
            0,
        ),
        "cost": ColumnSpec(
            "float",
            "Transit cost of the flow: amount x (distance x per-distance cost of "
            "the asset + the access penalty where basing access is limited).",
            OBJECTIVE_UNIT,
            True,
        ),
        "mode": ColumnSpec("str", "Route kind: `sea` (sea lanes) or `great_circle`."),
    }


def _zone_allocations_columns() -> dict[str, ColumnSpec]:
    return {
        "id": ColumnSpec("str", "Zone identifier (`id` in layer peripheral_zones)."),
        "name": ColumnSpec("str", "Zone name."),
        "iso3": ColumnSpec("str", "Country of the zone."),
        "region": ColumnSpec("str", "Region of the zone."),
        "access": ColumnSpec("str", "U.S. basing access (none / limited / full)."),
        **_per_asset("alloc", "Capacity allocated to the zone"),
        "alloc_military": ColumnSpec(
            "float",
            "Military capacity allocated: alloc_naval + alloc_air + alloc_ground "
            "+ alloc_isr (the quantity the map and the QGIS style colour zones by).",
            "kpe",
            True,
            0,
        ),
        "alloc_total": ColumnSpec(
            "float",
            "Sum of every alloc_* column, engagement included: kpe and $bn/yr "
            "added as plain numbers, for ranking zones only; use alloc_military and "
            "alloc_engagement for quantities.",
            "mixed (kpe + $bn/yr)",
            True,
            0,
        ),
        "value": ColumnSpec(
            "float",
            "Strategic value gained in the zone, summed over asset classes.",
            OBJECTIVE_UNIT,
        ),
        **_marginal(
            "Marginal value of one more unit of room in the zone, the dual of "
            "its absorptive capacity"
        ),
    }


def _front_release_columns() -> dict[str, ColumnSpec]:
    return {
        "id": ColumnSpec("str", "Front identifier (`id` in layer fronts)."),
        "name": ColumnSpec("str", "Front name."),
        "theater": ColumnSpec("str", "Theater of the front."),
        **_per_asset("freed", "U.S. capacity freed by allied effort"),
        **_per_asset("released", "Freed capacity moved to peripheral zones"),
        "risk": ColumnSpec(
            "float",
            "Risk incurred by releasing capacity from the front (lambda x rho x "
            "released), summed over asset classes.",
            OBJECTIVE_UNIT,
        ),
        **_marginal(
            "Marginal worth of one more unit freed at the front, the dual of "
            "its freed-capacity limit"
        ),
    }


def _ledger_columns() -> dict[str, ColumnSpec]:
    return {
        "front_id": ColumnSpec("str", "Front (ally) the ledger row is for."),
        "ally_extra_spending_bn": ColumnSpec(
            "float",
            "Ally's extra defense spending and host-nation support over the reference year.",
            "$bn/yr",
        ),
        "us_freed_kpe": ColumnSpec("float", "Military U.S. capacity freed by it.", "kpe"),
        "us_freed_engagement_bn": ColumnSpec("float", "Engagement budget freed by it.", "$bn/yr"),
        "us_freed_value_bn": ColumnSpec(
            "float", "Dollar value of the U.S. capacity freed.", "$bn/yr"
        ),
        "us_redeployed_value_bn": ColumnSpec(
            "float", "Dollar value of the freed capacity moved to peripheral zones.", "$bn/yr"
        ),
        "double_burden_share": ColumnSpec(
            "float",
            "Share of the ally's extra spending that funds U.S. redeployment "
            "elsewhere (the double burden), from 0 to 1.",
            "share",
        ),
        "price_per_retained_kpe_bn": ColumnSpec(
            "float",
            "Ally's extra spending per unit of U.S. capacity that stays on the "
            "front (price of the retained guarantee).",
            "$bn/yr per kpe",
        ),
    }


def _result_columns() -> dict[str, dict[str, ColumnSpec]]:
    return {
        "flows": _flows_columns(),
        "zone_allocations": _zone_allocations_columns(),
        "front_release": _front_release_columns(),
        "ledger": _ledger_columns(),
    }


#: Documented columns of the result layers (types, units, descriptions).
RESULT_COLUMNS: Mapping[str, Mapping[str, ColumnSpec]] = _result_columns()

_RESULT_TITLES: Mapping[str, tuple[str, str]] = {
    "flows": (
        "Flows",
        "Capacity moved from fronts to peripheral zones, one line per front, "
        "zone and asset class, drawn along its route.",
    ),
    "zone_allocations": (
        "Zone allocations",
        "Peripheral zones with the capacity allocated per asset class, value and marginal values.",
    ),
    "front_release": (
        "Front release",
        "Fronts with capacity freed and released per asset class, risk and marginal values.",
    ),
    "ledger": (
        "Ledger",
        "Per ally: extra spending, U.S. capacity freed and its value, the "
        "double-burden share and the price of the retained guarantee.",
    ),
}


def column_title(name: str, spec: ColumnSpec) -> str:
    """Return a short human label for a column: its description's first clause and unit."""
    text = spec.description.rstrip(".")
    # a sentence ends at ". ", but not inside an abbreviation such as "U.S. baseline"
    text = re.split(r"(?<!\bU\.S)\. |: |; ", text, maxsplit=1)[0]
    if len(text) > 80 or "`" in text:
        text = name.replace("_", " ")
    return f"{text} [{spec.unit}]" if spec.unit else text


def column_description(spec: ColumnSpec) -> str:
    """Return a column's description with its unit spelled out."""
    if not spec.unit:
        return spec.description
    note = UNIT_NOTES.get(spec.unit)
    return f"{spec.description} Unit: {spec.unit}" + (f" ({note})." if note else ".")


def columns_for(layer: str) -> Mapping[str, ColumnSpec]:
    if layer in RESULT_COLUMNS:
        return RESULT_COLUMNS[layer]
    try:
        schema = SCHEMAS[LayerKind(layer)]
    except ValueError:
        return {}
    return {**schema.columns, **schema.extra_columns}


def title_for(layer: str) -> tuple[str, str]:
    if layer in _RESULT_TITLES:
        return _RESULT_TITLES[layer]
    try:
        schema = SCHEMAS[LayerKind(layer)]
    except ValueError:
        return layer, ""
    return schema.title, schema.description


def result_columns_markdown() -> str:
    """Return the Markdown tables of the result layers' columns (embedded in docs/gis.md)."""
    out: list[str] = []
    for layer, columns in RESULT_COLUMNS.items():
        title, description = _RESULT_TITLES[layer]
        geometry = {
            "flows": "MultiLineString",
            "zone_allocations": "MultiPolygon",
            "front_release": "Point",
        }.get(layer, "none (attributes table)")
        out += [
            f"### `{layer}`: {title}",
            "",
            description,
            "",
            f"Geometry: {geometry}.",
            "",
            "| column | type | unit | description |",
            "|---|---|---|---|",
        ]
        for col, spec in columns.items():
            sql = {"int": "INTEGER", "float": "REAL", "bool": "BOOLEAN"}.get(spec.dtype, "TEXT")
            out.append(f"| `{col}` | {sql} | {spec.unit} | {spec.description} |")
        out.append("")
    return "\n".join(out)
