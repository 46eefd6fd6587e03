"""Documented columns of the result layers and of every input layer, for GIS files.

Each result layer's columns have a type, a unit and a description (`RESULT_COLUMNS`); the
GeoPackage stores them as field descriptions and the docs embed them
(`result_columns_markdown`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from redeploy.export.tables import COLUMN_UNITS as TABLE_UNITS
from redeploy.model.result import HOME_ID
from redeploy.schema_docs import UNIT_NOTES
from redeploy.schemas import (
    ASSET_UNITS,
    ASSETS,
    MILITARY_ASSETS,
    RISK_CHANNELS,
    SCHEMAS,
    ColumnSpec,
    LayerKind,
)

#: Result layers, in the order they are written after the input layers.
RESULT_LAYERS: tuple[str, ...] = (
    "flows",
    "zone_allocations",
    "front_release",
    "ledger",
    "allies",
)
#: Legs of a flow (`flows.leg`): abroad from a front, home from a front, abroad from home.
FLOW_LEGS: tuple[str, ...] = ("front_to_zone", "front_to_home", "home_to_zone")

#: Unit of the objective's terms (value, transit cost, risk): billions of dollar-equivalents
#: per year, as the model's tables state it.
OBJECTIVE_UNIT = TABLE_UNITS["value"]


def _per_asset(
    prefix: str, what: str, unit: str | None = None, *, assets: tuple[str, ...] = ASSETS
) -> dict[str, ColumnSpec]:
    return {
        f"{prefix}_{a}": ColumnSpec(
            "float",
            f"{what} ({a}).",
            unit if unit is not None else ASSET_UNITS[a],
            False,
        )
        for a in assets
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
        "front_id": ColumnSpec(
            "str",
            f"Where the capacity leaves: a front (`id` in layer fronts) or `{HOME_ID}`, the "
            "U.S. home pool.",
        ),
        "zone_id": ColumnSpec(
            "str",
            "Where it goes: a peripheral zone (`id` in layer peripheral_zones) or "
            f"`{HOME_ID}`, the U.S. home pool.",
        ),
        "leg": ColumnSpec(
            "enum",
            "`front_to_zone` (a front sends capacity abroad), `front_to_home` (a front "
            "sends it home) or `home_to_zone` (home sends it to a zone).",
            choices=FLOW_LEGS,
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
    zone_columns = SCHEMAS[LayerKind.PERIPHERAL_ZONES].columns
    return {
        "id": ColumnSpec(
            "str", f"Zone identifier (`id` in layer peripheral_zones, or `{HOME_ID}`)."
        ),
        "name": ColumnSpec("str", "Zone name."),
        "iso3": ColumnSpec("str", "Country of the zone."),
        "region": ColumnSpec("str", "Region of the zone."),
        "access": ColumnSpec("str", "U.S. basing access (none / limited / full)."),
        "access_basis": zone_columns["access_basis"],
        "port_calls": zone_columns["port_calls"],
        **_per_asset("existing", "U.S. presence already in the zone, before the run"),
        **_per_asset("added", "Capacity the run adds to the zone"),
        **_per_asset(
            "capacity",
            "Most the zone can take (its sites and the sea for military classes)",
        ),
        "existing_military": ColumnSpec(
            "float",
            "Military U.S. presence already in the zone: existing_naval + existing_air "
            "+ existing_ground + existing_isr.",
            "kpe",
            True,
            0,
        ),
        "added_military": ColumnSpec(
            "float",
            "Military capacity added: added_naval + added_air + added_ground "
            "+ added_isr (the quantity the map and the QGIS style colour zones by).",
            "kpe",
            True,
            0,
        ),
        "added_total": ColumnSpec(
            "float",
            "Sum of every added_* asset column, engagement included: kpe and $bn/yr "
            "added as plain numbers, for ranking zones only; use added_military and "
            "added_engagement for quantities.",
            "mixed (kpe + $bn/yr)",
            True,
            0,
        ),
        "added_bn": ColumnSpec(
            "float",
            "Total dollars the run adds to the zone: military capacity at the model's U.S. "
            "cost per kpe plus engagement (the zones table's added_bn summed over classes).",
            "$bn/yr",
            True,
            0,
        ),
        "value": ColumnSpec(
            "float",
            "Strategic value of what the run adds to the zone, summed over asset classes.",
            OBJECTIVE_UNIT,
        ),
        **_marginal(
            "Marginal value of one more unit of room in the zone, the dual of its capacity"
        ),
        "floor_held": ColumnSpec(
            "bool",
            "True when a binding scenario floor of the zone's region holds its allocation "
            "up: without the floor the model would send less (the zones table's "
            "floor_held, for any class).",
        ),
    }


def _front_release_columns() -> dict[str, ColumnSpec]:
    return {
        "id": ColumnSpec("str", f"Front identifier (`id` in layer fronts, or `{HOME_ID}`)."),
        "name": ColumnSpec("str", "Front name."),
        "theater": ColumnSpec("str", "Theater of the front."),
        **_per_asset("freed", "U.S. capacity freed by allied effort"),
        **_per_asset(
            "released",
            "Capacity sent abroad or home (for us-home, sent abroad from home)",
        ),
        **_per_asset("to_home", "Capacity the front sends home", assets=MILITARY_ASSETS),
        **_per_asset(
            "converted",
            "Freed military capacity converted into engagement",
            assets=MILITARY_ASSETS,
        ),
        **_per_asset(
            "retained",
            "Freed capacity kept on the front (not worth its risk elsewhere)",
            assets=MILITARY_ASSETS,
        ),
        **{
            f"risk_{c}": ColumnSpec(
                "float",
                f"Risk of the {c.replace('_', ' ')} channel at the front, summed over asset "
                "classes.",
                OBJECTIVE_UNIT,
            )
            for c in RISK_CHANNELS
        },
        "risk": ColumnSpec(
            "float",
            "Risk incurred at the front: the sum of its risk_* channel columns.",
            OBJECTIVE_UNIT,
        ),
        **_marginal(
            "Marginal worth of one more unit freed at the front, the dual of "
            "its freed-capacity limit"
        ),
    }


def _ledger_columns() -> dict[str, ColumnSpec]:
    def bn(description: str) -> ColumnSpec:
        return ColumnSpec("float", description, "$bn/yr")

    return {
        "front_id": ColumnSpec("str", "Front (ally) the ledger row is for."),
        "ally_extra_spending_bn": bn(
            "Ally's extra defense spending and host-nation support over the reference "
            "year, as announced."
        ),
        "ally_expected_spending_bn": bn(
            "Ally's extra spending expected to be delivered (announced, discounted for "
            "uncertain delivery)."
        ),
        "us_freed_kpe": ColumnSpec("float", "Military U.S. capacity freed by it.", "kpe"),
        "us_freed_engagement_bn": bn("Engagement budget freed by it."),
        "us_freed_value_bn": bn("Dollar value of the U.S. capacity freed."),
        "us_redeployed_value_bn": bn(
            "Dollar value of the freed forces sent abroad to peripheral zones."
        ),
        "us_home_value_bn": bn("Dollar value of the freed forces sent home."),
        "converted_to_engagement_bn": bn(
            "Engagement bought by converting forces its spending freed."
        ),
        "us_industry_inflow_bn": bn(
            "Part of its expected extra spending that flows back to U.S. industry "
            "(equipment share x U.S. share of its arms imports)."
        ),
        "double_burden_share": ColumnSpec(
            "float",
            "Share of the ally's extra spending that funds U.S. expansion elsewhere "
            "(redeployed plus converted; the double burden).",
            "share",
        ),
        "price_per_retained_kpe_bn": ColumnSpec(
            "float",
            "Ally's extra spending per unit of U.S. capacity that stays on the "
            "front (price of the retained guarantee).",
            "$bn/yr per kpe",
        ),
    }


def _allies_columns() -> dict[str, ColumnSpec]:
    def kpe(description: str) -> ColumnSpec:
        return ColumnSpec("float", description, "kpe")

    return {
        "front_id": ColumnSpec("str", "Front (ally) the row is for (`id` in layer fronts)."),
        "asset": ColumnSpec("enum", "Military asset class.", choices=MILITARY_ASSETS),
        "us_baseline": kpe("U.S. capacity of the class on the front before the run."),
        "us_retained": kpe("U.S. capacity of the class kept on the front."),
        "us_withdrawn": kpe("U.S. capacity of the class withdrawn (released and converted)."),
        "ally_substitute": kpe("Capacity the ally's expected spending substitutes."),
        "gap": kpe(
            "Withdrawn less substitute: what the ally must still fill to keep its "
            "protection at the reference level."
        ),
        "gap_cost_bn": ColumnSpec("float", "The gap at the ally's unit cost.", "$bn/yr"),
        "dependence": ColumnSpec(
            "float",
            "Retained / (retained + substitute): the share of the class still provided "
            "by the U.S., from 0 to 1.",
            "share",
        ),
        "us_industry_inflow_bn": ColumnSpec(
            "float", "The class's share of the ally's inflow to U.S. industry.", "$bn/yr"
        ),
    }


def _result_columns() -> dict[str, dict[str, ColumnSpec]]:
    return {
        "flows": _flows_columns(),
        "zone_allocations": _zone_allocations_columns(),
        "front_release": _front_release_columns(),
        "ledger": _ledger_columns(),
        "allies": _allies_columns(),
    }


#: Documented columns of the result layers (types, units, descriptions).
RESULT_COLUMNS: Mapping[str, Mapping[str, ColumnSpec]] = _result_columns()

_RESULT_TITLES: Mapping[str, tuple[str, str]] = {
    "flows": (
        "Flows",
        "Capacity moved from fronts to peripheral zones, from fronts home and from home to "
        "zones, one line per source, destination and asset class, drawn along its route.",
    ),
    "zone_allocations": (
        "Zone allocations",
        "Peripheral zones with the U.S. presence already there, the capacity the run adds "
        "and the zone's capacity per asset class, value and marginal values; the home pool "
        f"`{HOME_ID}` (what returns home) is a row without geometry.",
    ),
    "front_release": (
        "Front release",
        "Fronts with capacity freed, released, sent home, converted and retained per asset "
        "class, risk per channel and marginal values; the home pool "
        f"`{HOME_ID}` (what home sends abroad) is a point in the United States.",
    ),
    "ledger": (
        "Ledger",
        "Per ally: extra spending announced and expected, U.S. capacity freed and its "
        "value (redeployed, sent home, converted), the inflow to U.S. industry, the "
        "double-burden share and the price of the retained guarantee.",
    ),
    "allies": (
        "Allies per class",
        "Per ally and military class: U.S. capacity before, retained and withdrawn, what "
        "the ally's spending substitutes, the gap left and its cost, and the ally's "
        "dependence on the United States.",
    ),
}

#: Geometry of each result layer, as written (tables without geometry are not listed).
RESULT_GEOMETRY: Mapping[str, str] = {
    "flows": "MultiLineString",
    "zone_allocations": "MultiPolygon",
    "front_release": "Point",
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
        geometry = RESULT_GEOMETRY.get(layer, "none (attributes table)")
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
