"""Write a run's tables: NAME-flows/fronts/zones/ledger/allies.csv and NAME-summary.json.

Same result -> same bytes: fixed float formatting (6 decimals), sorted rows, sorted JSON
keys, no timings. Files are written to temporary files in the output folder and moved
into place with `os.replace` only once all of them are written, so a failed run leaves
earlier outputs intact.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from redeploy.io.atomic import write_all_atomic
from redeploy.io.text import DECIMALS, csv_text, json_text, jsonable
from redeploy.model.result import (
    ALLY_COLUMNS,
    FLOW_COLUMNS,
    FRONT_COLUMNS,
    LEDGER_COLUMNS,
    ZONE_COLUMNS,
    AllocationResult,
)
from redeploy.schemas import ASSET_UNITS, RISK_CHANNELS

#: The table files of a run, by key: (suffix, columns).
TABLES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "flows": ("flows.csv", FLOW_COLUMNS),
    "fronts": ("fronts.csv", FRONT_COLUMNS),
    "zones": ("zones.csv", ZONE_COLUMNS),
    "ledger": ("ledger.csv", LEDGER_COLUMNS),
    "allies": ("allies.csv", ALLY_COLUMNS),
}
#: Units of the table columns (docs/model.md lists them too).
COLUMN_UNITS: Mapping[str, str] = {
    "amount": "kpe (military classes) or $bn/yr (engagement)",
    "distance_km": "km",
    "cost": "$bn-eq/yr",
    "baseline": "kpe or $bn/yr",
    "freed": "kpe or $bn/yr",
    "released": "kpe or $bn/yr",
    "to_home": "kpe",
    "converted": "kpe",
    "retained": "kpe",
    **{f"risk_{c}": "$bn-eq/yr" for c in RISK_CHANNELS},
    "risk": "$bn-eq/yr",
    "marginal_value": "$bn-eq/yr per unit",
    "existing": "kpe or $bn/yr",
    "added": "kpe or $bn/yr",
    "added_bn": "$bn/yr",
    "capacity": "kpe or $bn/yr",
    "value": "$bn-eq/yr",
    "floor_held": "true or false",
    "ally_extra_spending_bn": "$bn/yr",
    "ally_expected_spending_bn": "$bn/yr",
    "us_freed_kpe": "kpe",
    "us_freed_engagement_bn": "$bn/yr",
    "us_freed_value_bn": "$bn/yr",
    "us_redeployed_value_bn": "$bn/yr",
    "us_home_value_bn": "$bn/yr",
    "converted_to_engagement_bn": "$bn/yr",
    "us_industry_inflow_bn": "$bn/yr",
    "double_burden_share": "share",
    "price_per_retained_kpe_bn": "$bn/yr per kpe",
    "us_baseline": "kpe",
    "us_retained": "kpe",
    "us_withdrawn": "kpe",
    "ally_substitute": "kpe",
    "gap": "kpe",
    "gap_cost_bn": "$bn/yr",
    "dependence": "share",
}


def table_csv(frame: pd.DataFrame, columns: tuple[str, ...]) -> str:
    """Return `frame` as deterministic CSV text (`redeploy.io.text.csv_text`)."""
    return csv_text(frame, columns)


def summary_dict(result: AllocationResult) -> dict[str, Any]:
    """Return the run summary (scenario, run id, status, objective, totals, units)."""
    regions = {
        k.removeprefix("region:"): v for k, v in result.totals.items() if k.startswith("region:")
    }
    meta_keys = (
        "horizon_year",
        "reference_year",
        "risk_lambda",
        "risk_weights",
        "units_mode",
        "n_variables",
        "n_flow_variables",
        "n_constraints",
        "solver",
    )
    summary = {
        "scenario": result.scenario,
        "description": result.description,
        "run_id": result.run_id,
        "status": result.status,
        "objective": dict(result.objective),
        "totals": {
            "military_kpe_by_region": result.totals.get("by_region", {}),
            "engagement_bn_by_region": result.totals.get("by_region_engagement", {}),
            "by_region_and_asset": regions,
            "allocated_by_asset": result.totals.get("by_asset", {}),
            "freed_by_asset": result.totals.get("freed_by_asset", {}),
            "released_by_asset": result.totals.get("released_by_asset", {}),
            "converted_by_asset": result.totals.get("converted_by_asset", {}),
            "home": result.totals.get("home", {}),
            "existing_military_kpe_by_region": result.totals.get("existing_by_region", {}),
            # the ledger's double burden of all fronts together (docs/model.md §7)
            "double_burden_share": result.totals.get("double_burden_share"),
            "flows": len(result.flows),
            "regions_served": sorted(
                r for r, v in regions.items() if sum(v.values()) > 10**-DECIMALS
            ),
        },
        "units": {
            "assets": dict(ASSET_UNITS),
            "objective": "$bn-eq/yr (value, transit cost and each risk channel in "
            "$bn-equivalent a year)",
            "columns": dict(COLUMN_UNITS),
        },
        "region_bounds": result.meta.get("region_bounds", []),
        "model": {k: result.meta.get(k) for k in meta_keys if k in result.meta},
        "risk_unweighted": result.meta.get("risk_unweighted", {}),
        # every layer file the run read: kind, origin (shipped, own, added), path, sha256
        "layer_files": result.meta.get("layer_files", []),
    }
    out: dict[str, Any] = jsonable(summary)
    return out


def output_paths(name: str, out_dir: str | Path) -> dict[str, Path]:
    """Return ``{key: path}`` of the files `write_tables` writes for scenario `name`."""
    out = Path(out_dir)
    paths = {key: out / f"{name}-{suffix}" for key, (suffix, _) in TABLES.items()}
    paths["summary"] = out / f"{name}-summary.json"
    return paths


def write_tables(result: AllocationResult, out_dir: str | Path) -> dict[str, Path]:
    """
    Write the run's six CSV tables and its JSON summary, atomically.

    Parameters
    ----------
    result
        The solved allocation.
    out_dir
        Output folder (created if missing).

    Returns
    -------
    dict
        ``{"flows" | "fronts" | "zones" | "ledger" | "allies" | "summary": path}``.

    Raises
    ------
    OutputError
        When the folder cannot be created or a file cannot be written; earlier outputs
        are left as they were.
    """
    paths = output_paths(result.scenario, out_dir)
    texts = {key: table_csv(getattr(result, key), cols) for key, (_, cols) in TABLES.items()}
    texts["summary"] = json_text(summary_dict(result))
    write_all_atomic({paths[k]: texts[k] for k in paths})
    return paths
