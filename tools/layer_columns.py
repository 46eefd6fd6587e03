"""Columns of the layers and columns that `redeploy/schemas.py` does not describe yet.

The package's schemas cover fronts, chokepoints, mineral_zones, supply_nodes,
peripheral_zones and basemap. This build adds two layers (`sites`, `posture`) and new
columns to `fronts` and `peripheral_zones`; until the package's schemas know them, the
build (`build_geodata.py`) writes and the checker (`check_geodata.py`) checks them with the
specifications below. Column order: the package's schema columns first, then these.

dtype `bool` is new here (JSON true/false); every other dtype is one of
`redeploy.schemas.DType`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from redeploy import schema_columns as _package_columns  # noqa: E402
from redeploy.schemas import ColumnSpec  # noqa: E402

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
            "`sourced` or `estimate` (see `notes`).",
            choices=("sourced", "estimate"),
        ),
        "notes": ColumnSpec("str", "How estimated figures were derived, caveats.", required=False),
    }


#: The package's sites columns (`redeploy.schema_columns`), after the common ones.
SITES_COLUMNS: Mapping[str, ColumnSpec] = {**_common(), **_package_columns.SITES_COLUMNS}

POSTURE_COLUMNS: Mapping[str, ColumnSpec] = {
    **_common(),
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

ZONE_EXTRA_COLUMNS: Mapping[str, ColumnSpec] = {
    "access_basis": ColumnSpec(
        "str",
        "The agreement or presence that grants `access`, with its source; empty when none.",
        required=False,
    ),
    "port_calls": ColumnSpec(
        "bool", "Naval at-sea operations and port calls possible off the zone without basing."
    ),
    "sea_naval": ColumnSpec(
        "float",
        "At-sea naval presence the waters off the zone can hold without basing.",
        "kpe",
        True,
        0,
    ),
}

FRONT_EXTRA_COLUMNS: Mapping[str, ColumnSpec] = {
    "nuclear_sharing": ColumnSpec("bool", "A host takes part in NATO nuclear sharing."),
    "proliferation_latency": ColumnSpec(
        "float",
        "Hosts' latent pressure and capacity to seek nuclear weapons.",
        "index",
        True,
        0,
        1,
    ),
    "us_arms_share_pct": ColumnSpec(
        "float", "U.S. share of the hosts' arms imports (SIPRI TIV).", "%", True, 0, 100
    ),
    "us_trade_share_pct": ColumnSpec(
        "float", "U.S. share of the hosts' goods trade (IMF DOTS 2020).", "%", True, 0, 100
    ),
    "integration": ColumnSpec(
        "float",
        "Integration of U.S. and allied command, intelligence and systems.",
        "index",
        True,
        0,
        1,
    ),
}
