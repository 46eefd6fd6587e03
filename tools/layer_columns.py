"""Columns of the layers the build adds or completes: the `sites` and `posture` layers (as
the package's schemas give them) and the grounding columns of `fronts` and
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
from redeploy.schemas import SCHEMAS, ColumnSpec, LayerKind  # noqa: E402

#: The sites and posture layers' columns, as the package's schemas give them.
SITES_COLUMNS: Mapping[str, ColumnSpec] = SCHEMAS[LayerKind.SITES].columns
POSTURE_COLUMNS: Mapping[str, ColumnSpec] = SCHEMAS[LayerKind.POSTURE].columns

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
    "drug_transit": ColumnSpec(
        "bool",
        "On the President's list of major drug-transit or major illicit drug-producing "
        "countries (the counter-drug value).",
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
