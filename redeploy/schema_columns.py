"""Columns of the grounding layers (sites, posture) and the grounding columns of the fronts
and peripheral zones layers: access from evidence, at-sea presence, the risk channels'
figures. `redeploy.schemas` builds the layer schemas from them.

Optional columns have defaults the model uses where a user's layer lacks them
(docs/layers.md): access_basis "", port_calls false, sea_naval 0, drug_transit false,
nuclear_sharing false, proliferation_latency 0, us_arms_share_pct 50, us_trade_share_pct 10,
integration 0.5.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from redeploy.schema_types import ColumnSpec

#: The military classes (schemas.MILITARY_ASSETS; repeated to keep this module a leaf).
MILITARY = ("naval", "air", "ground", "isr")
SITE_KINDS = (
    "base",
    "airfield",
    "naval_base",
    "port",
    "agreed_location",
    "cooperative_security_location",
)
ACCESS_KINDS = ("base", "DCA", "SOFA", "access", "MoU", "withdrawn")
SITE_STATUS = ("active", "withdrawn")
POSTURE_KINDS = ("permanent", "rotational", "exercise", "operational", "withdrawn")


def _labelled(
    columns: Mapping[str, ColumnSpec], labels: Mapping[str, str]
) -> Mapping[str, ColumnSpec]:
    """`columns` with the popup and map-tip labels given (the others keep theirs)."""
    return {
        name: dataclasses.replace(spec, label=labels[name]) if name in labels else spec
        for name, spec in columns.items()
    }


SITES_COLUMNS: Mapping[str, ColumnSpec] = {
    "iso3": ColumnSpec("iso3", "Host country."),
    "zone_id": ColumnSpec("slug", "Id of the peripheral zone the site lies in."),
    "kind": ColumnSpec("enum", "Kind of facility.", choices=SITE_KINDS),
    "agreement": ColumnSpec("str", "The agreement (or presence) under which U.S. forces use it."),
    "access_kind": ColumnSpec(
        "enum",
        "Kind of the agreement, as in reference-data/coefficients/access_agreements.csv "
        "(MoU added).",
        choices=ACCESS_KINDS,
    ),
    "status": ColumnSpec("enum", "Whether U.S. forces may use the site now.", choices=SITE_STATUS),
    "since": ColumnSpec(
        "int",
        "Year from which U.S. forces could use the site (its agreement's year): the site "
        "reaches its capacity `model.site_maturity_years` after it (empty: established).",
        "year",
        False,
        1800,
        2100,
    ),
    **{
        f"cap_{a}": ColumnSpec(
            "float",
            f"U.S. forces of class {a} the site can host (0 when withdrawn).",
            "kpe",
            True,
            0,
        )
        for a in MILITARY
    },
}

SITES_COLUMNS = _labelled(
    SITES_COLUMNS,
    {
        "iso3": "Country",
        "zone_id": "Zone",
        "kind": "Facility",
        "agreement": "Agreement",
        "access_kind": "Kind of agreement",
        "status": "Status",
        "since": "In use since",
        **{f"cap_{a}": f"Can host ({a})" for a in MILITARY},
    },
)

POSTURE_COLUMNS: Mapping[str, ColumnSpec] = {
    "iso3": ColumnSpec("iso3", "Country of the presence."),
    "zone_id": ColumnSpec("slug", "Id of the peripheral zone."),
    "site_id": ColumnSpec(
        "slug", "Id of the site in `sites` where the presence is, if any.", required=False
    ),
    "site": ColumnSpec("str", "Main site as the reference names it."),
    "kind": ColumnSpec("enum", "Kind of presence.", choices=POSTURE_KINDS),
    "date": ColumnSpec("str", "Date (or period) of the figure as the reference gives it."),
    "personnel": ColumnSpec(
        "float",
        "U.S. military personnel (parsed by the rules in SOURCES.md).",
        "persons",
        False,
        0,
    ),
    "weeks_per_year": ColumnSpec(
        "float",
        "Weeks a year the presence is there (52 for standing presence).",
        "weeks",
        True,
        0,
        52,
    ),
    "counts": ColumnSpec(
        "bool", "Whether the row counts toward the zone's standing presence (de-duplication)."
    ),
    **{
        f"kpe_{a}": ColumnSpec(
            "float",
            f"Standing-equivalent presence of class {a}: personnel/1000 x weeks/52 x share.",
            "kpe",
            True,
            0,
        )
        for a in MILITARY
    },
}

POSTURE_COLUMNS = _labelled(
    POSTURE_COLUMNS,
    {
        "iso3": "Country",
        "zone_id": "Zone",
        "site_id": "Site id",
        "site": "Site",
        "kind": "Kind of presence",
        "date": "Date",
        "personnel": "Personnel",
        "weeks_per_year": "Weeks a year",
        "counts": "Counts as existing presence",
        **{f"kpe_{a}": f"Standing presence ({a})" for a in MILITARY},
    },
)

ZONE_GROUNDING_COLUMNS: Mapping[str, ColumnSpec] = {
    "access_basis": ColumnSpec(
        "str",
        "The agreement or presence that grants `access`, with its source; empty when none.",
        required=False,
    ),
    "port_calls": ColumnSpec(
        "bool",
        "Naval at-sea operations and port calls possible off the zone without basing.",
        required=False,
        label="Port calls",
    ),
    "sea_naval": ColumnSpec(
        "float",
        "At-sea naval presence the waters off the zone can hold without basing.",
        "kpe",
        False,
        0,
    ),
    "drug_transit": ColumnSpec(
        "bool",
        "On the President's list of major drug-transit or major illicit drug-producing "
        "countries (the counter-drug value, docs/model.md §2).",
        required=False,
        label="Major drug-transit country",
    ),
}

ZONE_GROUNDING_COLUMNS = _labelled(
    ZONE_GROUNDING_COLUMNS, {"access_basis": "Access basis", "sea_naval": "At-sea naval room"}
)

FRONT_RISK_COLUMNS: Mapping[str, ColumnSpec] = {
    "nuclear_sharing": ColumnSpec(
        "bool",
        "A host takes part in NATO nuclear sharing.",
        required=False,
        label="Nuclear sharing",
    ),
    "proliferation_latency": ColumnSpec(
        "float",
        "Hosts' latent pressure and capacity to seek nuclear weapons.",
        "index",
        False,
        0,
        1,
    ),
    "us_arms_share_pct": ColumnSpec(
        "float", "U.S. share of the hosts' arms imports (SIPRI TIV).", "%", False, 0, 100
    ),
    "us_trade_share_pct": ColumnSpec(
        "float", "U.S. share of the hosts' goods trade (IMF DOTS 2020).", "%", False, 0, 100
    ),
    "integration": ColumnSpec(
        "float",
        "Integration of U.S. and allied command, intelligence and systems.",
        "index",
        False,
        0,
        1,
    ),
}

FRONT_RISK_COLUMNS = _labelled(
    FRONT_RISK_COLUMNS,
    {
        "proliferation_latency": "Proliferation latency",
        "us_arms_share_pct": "U.S. share of arms imports",
        "us_trade_share_pct": "U.S. share of goods trade",
        "integration": "Integration with U.S. forces",
    },
)
