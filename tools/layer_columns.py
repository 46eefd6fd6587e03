"""Columns the build writes beyond the common ones: the `sites` and `posture` layers (the
package's columns, `redeploy.schema_columns`) and the grounding columns of `fronts` and
`peripheral_zones`, which the build requires although the package's schemas take them as
optional with defaults. The build (`build_geodata.py`) writes and the checker
(`check_geodata.py`) checks them with these specifications. Column order: the package's
schema columns first, then these.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from redeploy import schema_columns as _package_columns  # noqa: E402
from redeploy.schemas import ColumnSpec  # noqa: E402


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

#: The package's posture columns, after the common ones.
POSTURE_COLUMNS: Mapping[str, ColumnSpec] = {**_common(), **_package_columns.POSTURE_COLUMNS}

#: The build requires these (the package's schemas take them as optional, with defaults).
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
