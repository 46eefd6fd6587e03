"""The solution of one allocation run: plain tables keyed by layer ids, ready to render or export.

This is the contract between the model and everything downstream (tables, maps, GIS files,
sweeps). Rendering and export read these frames; they never recompute model quantities.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from redeploy.schemas import MILITARY_ASSETS, RISK_CHANNELS

#: Id and region of the U.S. home pool: a destination for capacity fronts release and do
#: not send abroad, and a source of capacity sent to the periphery from home. Here, with
#: the result's contract, so render and export name it without importing the model.
HOME_ID = "us-home"
HOME_REGION = "United States"
#: Where the home pool is drawn on maps (the middle of the contiguous United States).
HOME_LONLAT = (-98.5, 39.5)

#: Columns of `AllocationResult.flows` (one row per front, zone and asset with amount > 0;
#: front or zone ``us-home`` is the U.S. home pool).
FLOW_COLUMNS = ("front_id", "zone_id", "asset", "amount", "distance_km", "cost")
#: Columns of `AllocationResult.fronts` (one row per front and asset).
FRONT_COLUMNS = (
    "front_id",
    "asset",
    "baseline",
    "freed",
    "released",
    "to_home",
    "converted",
    "retained",
    *(f"risk_{c}" for c in RISK_CHANNELS),
    "risk",
    "marginal_value",
)
#: Columns of `AllocationResult.zones` (one row per zone and asset).
ZONE_COLUMNS = (
    "zone_id",
    "region",
    "asset",
    "existing",
    "added",
    "added_bn",
    "capacity",
    "value",
    "marginal_value",
    "floor_held",
)
#: A region bound's dual beyond which it binds ($bn-eq/yr per unit of the region's total).
BINDING_DUAL = 1e-7


def floor_binds(floor: float | None, dual: float) -> bool:
    """A binding floor: set (`floor` not None) and the model would allocate less without it
    (its dual, ``region_bounds[].marginal_value``, negative)."""
    return floor is not None and dual < -BINDING_DUAL


def cap_binds(cap: float | None, dual: float) -> bool:
    """A binding cap: set and the model would allocate more without it (positive dual)."""
    return cap is not None and dual > BINDING_DUAL


def bound_covers(bound_asset: str, asset: str) -> bool:
    """Whether a region bound on `bound_asset` (``"military"`` or a class) counts `asset`."""
    return asset == bound_asset or (bound_asset == "military" and asset in MILITARY_ASSETS)


def floor_held(bounds: Iterable[Mapping[str, Any]], region: str, asset: str) -> bool:
    """
    Whether a binding scenario floor holds up what `region` receives of `asset`.

    `bounds` are ``meta["region_bounds"]`` rows (``region``, ``asset``, ``floor``,
    ``marginal_value``). The zones table's ``floor_held`` column is this, computed once when
    the result is assembled; the map's popups, legend and story mark the same floors.
    """
    return any(
        str(b.get("region", "")) == region
        and bound_covers(str(b.get("asset") or "military"), asset)
        and floor_binds(b.get("floor"), float(b.get("marginal_value") or 0.0))
        for b in bounds
    )


#: Columns of `AllocationResult.ledger` (one row per front).
LEDGER_COLUMNS = (
    "front_id",
    "ally_extra_spending_bn",
    "ally_expected_spending_bn",
    "us_freed_kpe",
    "us_freed_engagement_bn",
    "us_freed_value_bn",
    "us_redeployed_value_bn",
    "us_home_value_bn",
    "converted_to_engagement_bn",
    "us_industry_inflow_bn",
    "double_burden_share",
    "price_per_retained_kpe_bn",
)
#: Columns of `AllocationResult.allies` (one row per front and military class).
ALLY_COLUMNS = (
    "front_id",
    "asset",
    "us_baseline",
    "us_retained",
    "us_withdrawn",
    "ally_substitute",
    "gap",
    "gap_cost_bn",
    "dependence",
    "us_industry_inflow_bn",
)


@dataclass(frozen=True, repr=False)
class AllocationResult:
    """
    Everything one solve produced.

    Attributes
    ----------
    scenario
        Name of the scenario.
    description
        The scenario's description and stated assumptions (plain text, not escaped).
    run_id
        Hex digest of every input (layers, scenario, coefficients, code version).
    status
        Solver status, ``"optimal"`` on success.
    objective
        ``value``, ``transit_cost``, ``risk_<channel>`` for every channel, ``risk`` (their
        sum) and ``total`` (= value - transit_cost - risk).
    flows, fronts, zones, ledger, allies
        Tables with the columns named by `FLOW_COLUMNS`, `FRONT_COLUMNS`, `ZONE_COLUMNS`,
        `LEDGER_COLUMNS` and `ALLY_COLUMNS`.
    routes
        GeoDataFrame in EPSG:4326, one row per flow (same order as `flows`), with
        ``front_id, zone_id, asset, mode`` (``"sea"`` or ``"great_circle"``) and a
        LineString/MultiLineString geometry split at the antimeridian.
    totals
        ``by_region`` and ``by_asset`` dicts of allocated amounts.
    meta
        Free-form extra facts (lambda, solver time, units), JSON-serialisable.
    """

    scenario: str
    description: str
    run_id: str
    status: str
    objective: dict[str, float]
    flows: pd.DataFrame
    fronts: pd.DataFrame
    zones: pd.DataFrame
    ledger: pd.DataFrame
    routes: gpd.GeoDataFrame
    totals: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    allies: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(ALLY_COLUMNS)))

    def __repr__(self) -> str:
        from redeploy.model.summary_html import result_text

        return result_text(self)

    def _repr_html_(self) -> str:
        """The objective and what each region gets, as a notebook shows a result."""
        from redeploy.model.summary_html import result_html

        return result_html(self)
