"""How each layer kind takes features added to it (``--add-layer``): the defaults of the
columns an added feature may leave empty and the column naming its country.
`redeploy.schemas` gives each kind its `LayerSchema.added` from `ADDED_RULES`, and
`redeploy.own_layers` applies them (docs/own-layers.md lists them).

The figures are the shipped layers' own estimation rules (geodata/SOURCES.md), so an added
feature without a sourced figure is estimated as the shipped ones are.
"""

from __future__ import annotations

from collections.abc import Mapping

from redeploy.schema_types import AddedRules, ColumnDefault

#: The reference year of the shipped figures (`redeploy.scenario.REFERENCE_YEAR`).
_REFERENCE_YEAR = 2024

#: Defaults every kind gives an added feature: its id as name, the file as source.
ADDED_COMMON_DEFAULTS: Mapping[str, ColumnDefault] = {
    "name": ColumnDefault("the feature's id", "{id}"),
    "source": ColumnDefault("'own layer FILE', the added file's name", "own layer {file}"),
    "source_year": ColumnDefault(f"{_REFERENCE_YEAR}, the reference year", _REFERENCE_YEAR),
    "confidence": ColumnDefault("'estimate'", "estimate"),
}

CHOKEPOINT_DEFAULTS: Mapping[str, ColumnDefault] = {
    **ADDED_COMMON_DEFAULTS,
    "importance": ColumnDefault(
        "0.15, tier D of the shipped estimates (a secondary trade strait, geodata/SOURCES.md)",
        0.15,
    ),
}

MINERAL_DEFAULTS: Mapping[str, ColumnDefault] = {
    **ADDED_COMMON_DEFAULTS,
    "criticality": ColumnDefault(
        "by `primary_mineral`, as the shipped zones (geodata/SOURCES.md): rare earths 1.0, "
        "cobalt 0.9, lithium 0.9, graphite 0.85, nickel 0.8, platinum 0.8, niobium 0.7, "
        "manganese 0.7, copper 0.6, bauxite 0.5",
        by="primary_mineral",
        values=(
            ("rare earths", 1.0),
            ("cobalt", 0.9),
            ("lithium", 0.9),
            ("graphite", 0.85),
            ("nickel", 0.8),
            ("platinum", 0.8),
            ("niobium", 0.7),
            ("manganese", 0.7),
            ("copper", 0.6),
            ("bauxite", 0.5),
        ),
    ),
}

NODE_DEFAULTS: Mapping[str, ColumnDefault] = {
    **ADDED_COMMON_DEFAULTS,
    "importance": ColumnDefault(
        "by `kind`, the shipped estimates' defaults (geodata/SOURCES.md): port 0.2, base 0.3, "
        "fab 0.5, corridor 0.3, cable 0.3",
        by="kind",
        values=(("port", 0.2), ("base", 0.3), ("fab", 0.5), ("corridor", 0.3), ("cable", 0.3)),
    ),
}

#: The rules of each kind that takes added features, by kind name (`LayerKind` value).
ADDED_RULES: Mapping[str, AddedRules] = {
    "fronts": AddedRules(ADDED_COMMON_DEFAULTS, "host_iso3"),
    # straits lie at sea: Drake Passage is 320 km from Chile's and Argentina's coasts
    "chokepoints": AddedRules(CHOKEPOINT_DEFAULTS, "littoral_iso3", 400.0),
    "mineral_zones": AddedRules(MINERAL_DEFAULTS, "iso3"),
    "supply_nodes": AddedRules(NODE_DEFAULTS, "iso3"),
    "peripheral_zones": AddedRules(ADDED_COMMON_DEFAULTS, "iso3"),
    "sites": AddedRules(ADDED_COMMON_DEFAULTS, "iso3"),
    "posture": AddedRules(ADDED_COMMON_DEFAULTS, "iso3"),
}
