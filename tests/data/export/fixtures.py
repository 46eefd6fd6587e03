"""Tiny layers and a hand-made AllocationResult for the export tests (made-up figures).

Loaded by tests/test_export.py and tests/test_gis_clients.py with `load()`. Layers are built
from `redeploy.schemas.SCHEMAS`, so they follow the schema as it changes. Coordinates have at
most 6 decimals, so GeoJSON round trips are exact; one zone and two routes cross the
antimeridian (as MultiPolygon / MultiLineString already split at +-180). The result has the
U.S. home pool (`us-home`) as the model writes it: a front row (what home sends abroad), a
zone row (what returns home), a flow from a front home and one from home to a zone.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, box

from redeploy.model.result import HOME_ID, HOME_REGION, AllocationResult
from redeploy.schemas import ASSETS, MILITARY_ASSETS, RISK_CHANNELS, SCHEMAS, ColumnSpec, LayerKind

FIJI = MultiPolygon([box(177.0, -18.5, 180.0, -16.0), box(-180.0, -18.5, -179.0, -16.0)])

GEOMETRIES = {
    "fronts": {"baltic": Point(24.1, 56.9), "korea": Point(127.0, 37.5)},
    "chokepoints": {"malacca": Point(101.5, 2.5), "bab_el_mandeb": Point(43.3, 12.6)},
    "mineral_zones": {"katanga": Point(26.5, -11.0), "atacama": Point(-69.0, -23.5)},
    "supply_nodes": {"singapore_port": Point(103.8, 1.26), "lobito": Point(13.5, -12.35)},
    "peripheral_zones": {
        "idn": box(95.0, -10.0, 141.0, 6.0),
        "cod": box(12.0, -13.5, 31.0, 5.0),
        "fji": FIJI,
    },
    "sites": {"cod_kinshasa": Point(15.3, -4.3), "idn_natuna": Point(108.2, 3.9)},
    "posture": {"idn_exercise": Point(108.2, 3.9), "cod_attache": Point(15.3, -4.3)},
    "basemap": {
        "idn": box(95.0, -10.0, 141.0, 6.0),
        "cod": box(12.0, -13.5, 31.0, 5.0),
        "fji": FIJI,
    },
}
ZONE_ISO3 = {"idn": "IDN", "cod": "COD", "fji": "FJI"}
#: Zone of each site and presence row.
ZONE_OF = {
    "cod_kinshasa": "cod",
    "idn_natuna": "idn",
    "idn_exercise": "idn",
    "cod_attache": "cod",
}
ZONE_REGION = {"idn": "Southeast Asia", "cod": "Africa", "fji": "Southeast Asia"}


def _value(col: str, spec: ColumnSpec, i: int, fid: str) -> object:
    if col == "id":
        return fid
    if col in ("iso3",) and fid in ZONE_ISO3:
        return ZONE_ISO3[fid]
    if col == "region" and fid in ZONE_REGION:
        return ZONE_REGION[fid]
    if col == "zone_id" and fid in ZONE_OF:
        return ZONE_OF[fid]
    if col == "site_id":
        return "idn_natuna" if i == 0 else None
    if not spec.required and i == 1:  # second feature leaves optional columns empty
        return np.nan if spec.dtype in ("float", "int") else None
    if spec.dtype == "enum":
        return spec.choices[i % len(spec.choices)]
    if spec.dtype == "iso3":
        return "IDN"
    if spec.dtype == "iso3_list":
        return "IDN;MYS"
    if spec.dtype == "str_list":
        return "cobalt;copper"
    if spec.dtype == "bool":
        return i == 0
    if spec.dtype in ("int", "float"):
        lo = spec.minimum if spec.minimum is not None else 0.0
        hi = spec.maximum if spec.maximum is not None else lo + 100.0
        x = lo + (hi - lo) * (0.25 + 0.5 * i / 3)
        return round(x) if spec.dtype == "int" else round(x, 4)
    return f"{col} {fid} — “text” & <chars>"


def make_layers() -> dict[str, gpd.GeoDataFrame]:
    """Return one small frame per layer kind, typed as `redeploy.layers` types them."""
    layers = {}
    for kind, geoms in GEOMETRIES.items():
        schema = SCHEMAS[LayerKind(kind)]
        rows = []
        # ids in reverse order: the export must sort rows by id
        for i, (fid, geom) in enumerate(sorted(geoms.items(), reverse=True)):
            row = {col: _value(col, spec, i, fid) for col, spec in schema.columns.items()}
            row["geometry"] = geom
            rows.append(row)
        frame = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
        for col, spec in schema.columns.items():
            if spec.dtype == "int":
                frame[col] = (
                    frame[col].astype("Int64")
                    if frame[col].isna().any()
                    else frame[col].astype("int64")
                )
            elif spec.dtype == "float":
                frame[col] = frame[col].astype("float64")
        layers[kind] = frame
    return layers


#: Flows of the hand-made result: three abroad (one across the antimeridian), one from a
#: front home and one from home to a zone. (front, zone, asset, amount, km, cost, mode, line)
FLOWS = (
    (
        "korea",
        "fji",
        "naval",
        2.0,
        8650.5,
        17.3,
        "sea",
        MultiLineString(
            [[(127.0, 37.5), (150.0, 10.0), (180.0, -17.0)], [(-180.0, -17.0), (-179.5, -17.2)]]
        ),
    ),
    (
        "baltic",
        "cod",
        "engagement",
        1.25,
        6900.0,
        2.5,
        "great_circle",
        LineString([(24.1, 56.9), (20.0, 10.0), (25.0, -5.0)]),
    ),
    (
        "korea",
        "idn",
        "air",
        0.75,
        5200.25,
        3.9,
        "great_circle",
        LineString([(127.0, 37.5), (120.0, 0.0)]),
    ),
    (
        "korea",
        HOME_ID,
        "ground",
        0.5,
        8400.0,
        1.1,
        "great_circle",
        MultiLineString([[(127.0, 37.5), (180.0, 47.0)], [(-180.0, 47.0), (-122.6, 47.6)]]),
    ),
    (
        HOME_ID,
        "cod",
        "ground",
        0.4,
        11500.0,
        0.9,
        "great_circle",
        LineString([(-76.3, 36.95), (-30.0, 10.0), (15.3, -4.3)]),
    ),
)


def make_result(*, empty: bool = False) -> AllocationResult:
    """Return a hand-made result: 5 flows (3 abroad, 1 home, 1 from home) or none."""
    flows = pd.DataFrame(
        [f[:6] for f in FLOWS],
        columns=["front_id", "zone_id", "asset", "amount", "distance_km", "cost"],
    )
    geoms = [f[7] for f in FLOWS]
    modes = [f[6] for f in FLOWS]
    if empty:
        flows, geoms, modes = flows.iloc[0:0], [], []
    routes = gpd.GeoDataFrame(
        flows[["front_id", "zone_id", "asset"]].assign(mode=modes),
        geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"),
        crs="EPSG:4326",
    ).iloc[::-1]  # routes in another order than flows: the export joins on keys
    alloc = {(r.zone_id, r.asset): r.amount for r in flows.itertuples()}
    zones = pd.DataFrame(
        [
            (
                z,
                HOME_REGION if z == HOME_ID else ZONE_REGION[z],
                a,
                0.25 if (z, a) == ("cod", "ground") else 0.0,
                alloc.get((z, a), 0.0),
                alloc.get((z, a), 0.0) * (1.0 if a == "engagement" else 0.3),
                0.0 if z == HOME_ID or a == "engagement" else 3.0,
                10.0 * alloc.get((z, a), 0.0),
                0.5 if a != "isr" else np.nan,
                z == "cod" and a in MILITARY_ASSETS,
            )
            for z in ("idn", "cod", "fji", HOME_ID)
            for a in ASSETS
        ],
        columns=[
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
        ],
    )
    released: dict[tuple[str, str], float] = {}
    to_home: dict[tuple[str, str], float] = {}
    for r in flows.itertuples():
        released[(r.front_id, r.asset)] = released.get((r.front_id, r.asset), 0.0) + r.amount
        if r.zone_id == HOME_ID:
            to_home[(r.front_id, r.asset)] = r.amount
    front_rows = []
    for f in ("baltic", "korea", HOME_ID):
        home = f == HOME_ID
        for a in ASSETS:
            rel = released.get((f, a), 0.0)
            mil = a in MILITARY_ASSETS
            converted = 0.25 if a == "air" and not home else 0.0
            freed = 0.0 if home else 3.0
            risks = {
                f"risk_{c}": 0.0 if home else 0.01 * (k + 1) * rel
                for k, c in enumerate(RISK_CHANNELS)
            }
            front_rows.append(
                {
                    "front_id": f,
                    "asset": a,
                    "baseline": 0.0 if home else 10.0,
                    "freed": freed,
                    "released": rel,
                    "to_home": to_home.get((f, a), 0.0),
                    "converted": converted,
                    "retained": max(freed - rel - converted, 0.0) if mil else 0.0,
                    **risks,
                    "risk": sum(risks.values()),
                    "marginal_value": 1.5,
                }
            )
    fronts = pd.DataFrame(front_rows)
    ledger = pd.DataFrame(
        [
            ("korea", 4.5, 4.0, 2.75, 0.0, 1.2, 0.9, 0.1, 0.3, 1.8, 0.2, 0.55),
            ("baltic", 30.0, 27.0, 0.0, 1.25, 1.25, 1.25, 0.0, 0.0, 12.0, 0.04, 0.7),
        ],
        columns=[
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
        ],
    )
    allies = pd.DataFrame(
        [
            (f, a, 10.0, 7.0, 3.0, 2.5, 0.5, 0.2, 0.7, 0.4)
            for f in ("baltic", "korea")
            for a in MILITARY_ASSETS
        ],
        columns=[
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
        ],
    )
    risk = {f"risk_{c}": float(fronts[f"risk_{c}"].sum()) for c in RISK_CHANNELS}
    value, transit = float(zones["value"].sum()), float(flows["cost"].sum())
    return AllocationResult(
        scenario="test_scenario",
        description="Hand-made result for the export tests.",
        run_id="0123456789abcdef",
        status="optimal",
        objective={
            "value": value,
            "transit_cost": transit,
            **risk,
            "risk": sum(risk.values()),
            "total": value - transit - sum(risk.values()),
        },
        flows=flows.reset_index(drop=True),
        fronts=fronts,
        zones=zones,
        ledger=ledger,
        allies=allies,
        routes=routes,
        # Σ (redeployed + converted) / Σ extra spending over the paying fronts
        totals={"by_region": {}, "by_asset": {}, "double_burden_share": 2.45 / 34.5},
        # Africa's floor binds: cod's military rows are held up by it (`floor_held`)
        meta={
            "region_bounds": [
                {
                    "region": "Africa",
                    "asset": "military",
                    "floor": 0.5,
                    "cap": None,
                    "marginal_value": -0.25,
                }
            ]
        },
    )
