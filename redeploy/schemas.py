"""The single source of truth for layer kinds: one LayerSchema per kind, its columns and roles.

Validation (`redeploy.validation`), the generated docs (`redeploy.schema_docs`,
`docs/layers.md`), the GIS exports and the shipped-data build script all read `SCHEMAS`.
Each schema's `LayerRole` says what the kind is for: whether the model reads it and which
kind of zone value it feeds, where it is drawn, its palette entry and its titles. Maps,
GIS exports, workflows and the scenario's value kinds read these roles instead of listing
kinds (docs/extending.md: adding a kind).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

# Re-exported: code and docs name them as redeploy.schemas.ColumnSpec and so on.
from redeploy.schema_added import ADDED_RULES
from redeploy.schema_columns import (
    FRONT_RISK_COLUMNS,
    POSTURE_COLUMNS,
    SITES_COLUMNS,
    ZONE_GROUNDING_COLUMNS,
)
from redeploy.schema_types import COMMON_COLUMNS as COMMON_COLUMNS
from redeploy.schema_types import FLOWS_DRAW_ORDER as FLOWS_DRAW_ORDER
from redeploy.schema_types import UNIT_MAXIMA as UNIT_MAXIMA
from redeploy.schema_types import AddedRules as AddedRules
from redeploy.schema_types import ColumnSpec as ColumnSpec
from redeploy.schema_types import DType as DType
from redeploy.schema_types import LayerRole as LayerRole
from redeploy.schema_types import bounded

CRS = "EPSG:4326"

#: Asset classes of the model, in their canonical order.
ASSETS: tuple[str, ...] = ("naval", "air", "ground", "isr", "engagement")
#: Asset classes counted in thousand personnel-equivalents; `engagement` is in $bn/yr.
MILITARY_ASSETS: tuple[str, ...] = ("naval", "air", "ground", "isr")

ASSET_UNITS: Mapping[str, str] = {
    "naval": "kpe",
    "air": "kpe",
    "ground": "kpe",
    "isr": "kpe",
    "engagement": "$bn/yr",
}

REGIONS: tuple[str, ...] = (
    "Southeast Asia",
    "Africa",
    "South America",
    "Central America",
    "Caribbean",
)
ACCESS_LEVELS: tuple[str, ...] = ("none", "limited", "full")
#: The risk channels of the FAF paper, each a priced term of the model's objective.
RISK_CHANNELS: tuple[str, ...] = (
    "credibility",
    "fragmentation",
    "opportunism",
    "counter_alignment",
    "autonomy",
    "proliferation",
    "backlash",
    "trade",
)
CONFIDENCE_LEVELS: tuple[str, ...] = ("sourced", "estimate")
NODE_KINDS: tuple[str, ...] = ("port", "fab", "corridor", "cable", "base")


class LayerKind(StrEnum):
    """The layer kinds of DESIGN.md section 3; the value is the file stem."""

    FRONTS = "fronts"
    CHOKEPOINTS = "chokepoints"
    MINERAL_ZONES = "mineral_zones"
    SUPPLY_NODES = "supply_nodes"
    PERIPHERAL_ZONES = "peripheral_zones"
    SITES = "sites"
    POSTURE = "posture"
    BASEMAP = "basemap"


@dataclass(frozen=True)
class LayerSchema:
    """The schema of one layer kind: its columns and its role."""

    kind: LayerKind
    title: str
    description: str
    geometry_types: frozenset[str]
    columns: Mapping[str, ColumnSpec]
    role: LayerRole
    #: The column whose figure sizes the layer's markers on maps and in QGIS styles.
    key_figure: str | None = None
    id_column: str = "id"
    crs: str = CRS
    extra_columns: Mapping[str, ColumnSpec] = field(default_factory=dict)
    #: How the kind takes features added to it (--add-layer; `redeploy.schema_added`).
    added: AddedRules = field(default_factory=AddedRules)

    def __post_init__(self) -> None:
        # every number of a layer is bounded on both sides (UNIT_MAXIMA by default)
        columns = {name: bounded(spec) for name, spec in self.columns.items()}
        object.__setattr__(self, "columns", columns)

    @property
    def required_columns(self) -> list[str]:
        """Names of the columns every feature must fill."""
        return [name for name, spec in self.columns.items() if spec.required]

    @property
    def per_asset_prefixes(self) -> list[str]:
        """Prefixes of the column groups with one column per asset class (``us``, ``absorb``)."""
        prefixes: list[str] = []
        for name in self.columns:
            for asset in ASSETS:
                if name.endswith(f"_{asset}"):
                    prefix = name[: -len(asset) - 1]
                    if prefix not in prefixes and all(
                        f"{prefix}_{a}" in self.columns for a in ASSETS
                    ):
                        prefixes.append(prefix)
        return prefixes

    @property
    def scalar_columns(self) -> list[str]:
        """
        The columns a popup lists one per row: neither shared (`COMMON_COLUMNS`), nor per
        asset class, nor another column's unit.
        """
        per_asset = {f"{p}_{a}" for p in self.per_asset_prefixes for a in ASSETS}
        units = {spec.unit_column for spec in self.columns.values() if spec.unit_column}
        return [
            name
            for name in self.columns
            if name not in COMMON_COLUMNS and name not in per_asset and name not in units
        ]


def _common() -> dict[str, ColumnSpec]:
    return {
        "id": ColumnSpec("slug", "Unique identifier of the feature within its layer."),
        "name": ColumnSpec("str", "Human-readable name."),
        "source": ColumnSpec(
            "str", "Publication(s) the feature's figures come from, with year and address."
        ),
        "source_year": ColumnSpec(
            "int",
            "Year of the data (or of the latest figure) in `source`.",
            "year",
            True,
            1900,
            2100,
        ),
        "confidence": ColumnSpec(
            "enum",
            "`sourced` when the feature's key figures were read in `source`; `estimate` when "
            "any of them is recalled, derived by a stated rule or assumed (see `notes`).",
            choices=CONFIDENCE_LEVELS,
        ),
        "notes": ColumnSpec("str", "How estimated figures were derived, caveats.", required=False),
    }


def _per_asset(
    prefix: str, what: str, *, maximum: float | None = None, at_most: str | None = None
) -> dict[str, ColumnSpec]:
    cols: dict[str, ColumnSpec] = {}
    for asset in ASSETS:
        unit = "index" if maximum == 1 else ASSET_UNITS[asset]
        cols[f"{prefix}_{asset}"] = ColumnSpec(
            "float",
            f"{what} ({asset}).",
            unit,
            True,
            0,
            maximum,
            at_most=f"{at_most}_{asset}" if at_most else None,
        )
    return cols


FRONTS = LayerSchema(
    kind=LayerKind.FRONTS,
    added=ADDED_RULES[LayerKind.FRONTS.value],
    title="Alliance fronts",
    description=(
        "Established fronts where U.S. capacity is committed and allies are asked to pay "
        "more. Military capacity is in kpe (thousand U.S. service-member equivalents); "
        "engagement in $bn/yr. Spending figures are for the reference year 2024."
    ),
    geometry_types=frozenset({"Point"}),
    role=LayerRole(
        noun="Alliance front",
        legend_title="Alliance fronts (size: U.S. personnel, persons)",
        draw_order=60,
        palette_key="fronts",
        model_input=True,
    ),
    key_figure="us_personnel",
    columns={
        **_common(),
        "host_iso3": ColumnSpec("iso3_list", "Host countries of the front.", label="Hosts"),
        "adversaries": ColumnSpec(
            "iso3_list", "Main adversaries deterred on this front.", label="Adversaries"
        ),
        "theater": ColumnSpec(
            "str", "Theater the front belongs to (Europe, East Asia, ...).", label="Theater"
        ),
        "us_personnel": ColumnSpec(
            "int",
            "U.S. military personnel on the front.",
            "persons",
            True,
            0,
            label="U.S. personnel",
        ),
        **_per_asset("us", "Baseline U.S. capacity on the front"),
        **_per_asset(
            "floor", "U.S. capacity that cannot leave (nuclear, ISR, high-end)", at_most="us"
        ),
        **_per_asset(
            "subst", "Share of ally-bought capacity that substitutes U.S. capacity", maximum=1
        ),
        "gdp_usd_bn": ColumnSpec(
            "float",
            "Hosts' combined nominal GDP in the reference year.",
            "$bn/yr",
            True,
            0,
            label="Hosts' GDP",
        ),
        "defense_pct_gdp": ColumnSpec(
            "float",
            "Hosts' defense spending in the reference year (2024).",
            "%",
            True,
            0,
            25,
            label="Defense spending",
        ),
        "hns_usd_bn": ColumnSpec(
            "float",
            "Host-nation support paid to U.S. forces in the reference year.",
            "$bn/yr",
            True,
            0,
            label="Host-nation support",
        ),
        "threat_level": ColumnSpec(
            "int",
            "Threat facing the front, 1 (low) to 5 (acute).",
            "1-5",
            True,
            1,
            5,
            label="Threat level",
        ),
        **FRONT_RISK_COLUMNS,
    },
)

CHOKEPOINTS = LayerSchema(
    kind=LayerKind.CHOKEPOINTS,
    added=ADDED_RULES[LayerKind.CHOKEPOINTS.value],
    title="Maritime chokepoints",
    description="Straits, canals and sea routes whose traffic the periphery's value draws on.",
    geometry_types=frozenset({"Point"}),
    role=LayerRole(
        noun="Maritime chokepoint",
        legend_title="Maritime chokepoints (size: traffic importance, index 0–1)",
        draw_order=50,
        palette_key="chokepoints",
        model_input=True,
        value_kind="chokepoints",
        value_figure=("importance",),
    ),
    key_figure="importance",
    columns={
        **_common(),
        "littoral_iso3": ColumnSpec(
            "iso3_list", "Countries on the chokepoint's shores.", label="Littoral states"
        ),
        "region": ColumnSpec("str", "Sea region.", label="Region"),
        "oil_flow_mbd": ColumnSpec(
            "float",
            "Oil flow through the chokepoint (EIA).",
            "mb/d",
            False,
            0,
            100,
            label="Oil flow",
        ),
        "transits_per_year": ColumnSpec(
            "float", "Vessel transits per year.", "transits/yr", False, 0, label="Transits"
        ),
        "trade_share_pct": ColumnSpec(
            "float",
            "Share of world merchandise trade by value.",
            "%",
            False,
            0,
            100,
            label="Share of world trade",
        ),
        "importance": ColumnSpec(
            "float",
            "Traffic importance used by the model: the larger of oil flow / 23.7 mb/d "
            "(Malacca) and trade share / 27.9 %, or an estimate where no figure is sourced.",
            "index",
            True,
            0,
            1,
            label="Importance",
        ),
    },
)

MINERAL_ZONES = LayerSchema(
    kind=LayerKind.MINERAL_ZONES,
    added=ADDED_RULES[LayerKind.MINERAL_ZONES.value],
    title="Critical-mineral zones",
    description="Mining districts of critical minerals, with country-level production shares.",
    geometry_types=frozenset({"Point", "Polygon", "MultiPolygon"}),
    role=LayerRole(
        noun="Critical-mineral zone",
        legend_title="Critical-mineral zones (size: world production share, %)",
        draw_order=20,
        palette_key="mineral_zones",
        model_input=True,
        value_kind="minerals",
        value_figure=("world_share_pct", "criticality"),
    ),
    key_figure="world_share_pct",
    columns={
        **_common(),
        "iso3": ColumnSpec("iso3", "Country of the zone.", label="Country"),
        "minerals": ColumnSpec("str_list", "Minerals produced, ';'-separated.", label="Minerals"),
        "primary_mineral": ColumnSpec(
            "str", "Mineral whose share is in `world_share_pct`.", label="Primary mineral"
        ),
        "world_share_pct": ColumnSpec(
            "float",
            "Country share of world mine production of the primary mineral (USGS).",
            "%",
            True,
            0,
            100,
            label="World production share",
        ),
        "criticality": ColumnSpec(
            "float",
            "Criticality of the primary mineral for U.S. supply chains.",
            "index",
            True,
            0,
            1,
            label="Criticality",
        ),
        "competitor_stake": ColumnSpec(
            "str",
            "Chinese or other competitor ownership or offtake.",
            required=False,
            label="Competitor stake",
        ),
    },
)

SUPPLY_NODES = LayerSchema(
    kind=LayerKind.SUPPLY_NODES,
    added=ADDED_RULES[LayerKind.SUPPLY_NODES.value],
    title="Supply-chain nodes",
    description="Ports, fabs, corridors, cable landings and bases in global supply chains.",
    geometry_types=frozenset({"Point"}),
    role=LayerRole(
        noun="Supply-chain node",
        legend_title="Supply-chain nodes (size: importance, index 0–1)",
        draw_order=40,
        palette_key="supply_nodes",
        model_input=True,
        value_kind="nodes",
        value_figure=("importance",),
    ),
    key_figure="importance",
    columns={
        **_common(),
        "kind": ColumnSpec("enum", "Kind of node.", choices=NODE_KINDS, label="Kind"),
        "iso3": ColumnSpec("iso3_list", "Country or countries of the node.", label="Country"),
        "throughput": ColumnSpec(
            "float",
            "Key throughput figure.",
            "see unit",
            False,
            0,
            label="Throughput",
            unit_column="throughput_unit",
        ),
        "throughput_unit": ColumnSpec("str", "Unit of `throughput`.", required=False),
        "foreign_stakes": ColumnSpec(
            "str",
            "Foreign (competitor or U.S.) stakes and deals.",
            required=False,
            label="Foreign stakes",
        ),
        "importance": ColumnSpec(
            "float",
            "Importance used by the model: container throughput / 41.1 M TEU (Singapore) "
            "for ports with a sourced figure, otherwise an estimate by kind.",
            "index",
            True,
            0,
            1,
            label="Importance",
        ),
    },
)

PERIPHERAL_ZONES = LayerSchema(
    kind=LayerKind.PERIPHERAL_ZONES,
    added=ADDED_RULES[LayerKind.PERIPHERAL_ZONES.value],
    title="Peripheral zones",
    description=(
        "Uncommitted zones of competition (countries of Southeast Asia, Africa, South "
        "America, Central America and the Caribbean) that may receive freed capacity."
    ),
    geometry_types=frozenset({"Polygon", "MultiPolygon"}),
    role=LayerRole(
        noun="Peripheral zone",
        legend_title="Peripheral zones",
        draw_order=10,
        palette_key="peripheral_zones",
        model_input=True,
    ),
    key_figure="competitor_influence",
    columns={
        **_common(),
        "iso3": ColumnSpec("iso3", "Country of the zone.", label="Country"),
        "region": ColumnSpec("enum", "Region of the zone.", choices=REGIONS, label="Region"),
        "us_influence": ColumnSpec(
            "float",
            "U.S. influence (trade share and security ties).",
            "index",
            True,
            0,
            1,
            label="U.S. influence",
        ),
        "competitor_influence": ColumnSpec(
            "float",
            "China/Russia influence (trade share, BRI, bases).",
            "index",
            True,
            0,
            1,
            label="Competitor influence",
        ),
        "access": ColumnSpec(
            "enum", "U.S. basing access.", choices=ACCESS_LEVELS, label="U.S. access"
        ),
        **_per_asset("absorb", "Absorptive capacity: most the zone can usefully take"),
        "us_trade_share_pct": ColumnSpec(
            "float",
            "U.S. share of the country's goods trade (IMF DOTS).",
            "%",
            False,
            0,
            100,
            label="U.S. share of trade",
        ),
        "china_trade_share_pct": ColumnSpec(
            "float",
            "China's share of the country's goods trade (IMF DOTS).",
            "%",
            False,
            0,
            100,
            label="China's share of trade",
        ),
        **ZONE_GROUNDING_COLUMNS,
    },
)

SITES = LayerSchema(
    kind=LayerKind.SITES,
    added=ADDED_RULES[LayerKind.SITES.value],
    title="Sites that can host U.S. forces",
    description=(
        "Named bases, airfields, ports and agreed locations in the peripheral zones, with "
        "what each can host per military class (kpe); a zone's capacity is the sum of its "
        "active sites (none when all are withdrawn), and a zone no site names keeps the "
        "zones layer's absorb_<class>."
    ),
    geometry_types=frozenset({"Point"}),
    role=LayerRole(
        noun="Site",
        legend_title="Sites that can host U.S. forces (kpe)",
        draw_order=44,
        palette_key="sites",
        model_input=True,
    ),
    key_figure="cap_ground",
    columns={**_common(), **SITES_COLUMNS},
)

POSTURE = LayerSchema(
    kind=LayerKind.POSTURE,
    added=ADDED_RULES[LayerKind.POSTURE.value],
    title="Existing U.S. presence",
    description=(
        "Observed U.S. presence in the peripheral zones (DMDC permanent counts, rotational, "
        "exercise and operational deployments, each labelled), as standing-equivalent kpe "
        "per class; rows with `counts` make a zone's existing presence."
    ),
    geometry_types=frozenset({"Point"}),
    role=LayerRole(
        noun="U.S. presence",
        legend_title="Existing U.S. presence (personnel)",
        draw_order=46,
        palette_key="posture",
        model_input=True,
    ),
    key_figure="personnel",
    columns={**_common(), **POSTURE_COLUMNS},
)

BASEMAP = LayerSchema(
    kind=LayerKind.BASEMAP,
    title="Basemap countries",
    description="Natural Earth admin-0 countries (public domain), split at the antimeridian.",
    geometry_types=frozenset({"Polygon", "MultiPolygon"}),
    role=LayerRole(
        noun="Country",
        legend_title="Countries (Natural Earth)",
        draw_order=0,
        palette_key="basemap",
        backdrop=True,
    ),
    columns={
        **_common(),
        "iso3": ColumnSpec(
            "iso3",
            "ISO 3166-1 alpha-3 code, empty where none exists.",
            required=False,
            label="Country",
        ),
    },
)

SCHEMAS: Mapping[LayerKind, LayerSchema] = {
    s.kind: s
    for s in (
        FRONTS,
        CHOKEPOINTS,
        MINERAL_ZONES,
        SUPPLY_NODES,
        PERIPHERAL_ZONES,
        SITES,
        POSTURE,
        BASEMAP,
    )
}


def drawn_kinds() -> tuple[str, ...]:
    """Return every layer kind in drawing order, bottom to top (`LayerRole.draw_order`)."""
    ordered = sorted(SCHEMAS.values(), key=lambda s: s.role.draw_order)
    return tuple(s.kind.value for s in ordered)


def model_kinds() -> tuple[str, ...]:
    """Return the layer kinds the model reads (`LayerRole.model_input`), in schema order."""
    return tuple(k.value for k, s in SCHEMAS.items() if s.role.model_input)


def value_layers() -> dict[str, str]:
    """Return ``{value kind: layer kind}`` of the kinds feeding zone value, in schema order."""
    return {s.role.value_kind: k.value for k, s in SCHEMAS.items() if s.role.value_kind}


def column_label(schema: LayerSchema, column: str) -> str:
    """Return the popup label of `column` (`ColumnSpec.label`, or its name in words)."""
    spec = schema.columns.get(column)
    return (spec.label if spec else "") or column.replace("_", " ").capitalize()


def get_schema(kind: str | LayerKind) -> LayerSchema:
    """Return the schema of `kind`, or raise ValueError naming the known kinds."""
    try:
        return SCHEMAS[LayerKind(kind)]
    except ValueError:
        known = ", ".join(k.value for k in LayerKind)
        msg = f"unknown layer kind {kind!r}; known kinds: {known}"
        raise ValueError(msg) from None
