"""Tiny layers and a hand-made AllocationResult for the export tests (made-up figures).

Loaded by tests/test_export.py and tests/test_gis_clients.py with `load()`. Layers are built
from `redeploy.schemas.SCHEMAS`, so they follow the schema as it changes. Coordinates have at
most 6 decimals, so GeoJSON round trips are exact; one zone and one route cross the
antimeridian (as MultiPolygon / MultiLineString already split at +-180).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, box

from redeploy.model.result import AllocationResult
from redeploy.schemas import ASSETS, SCHEMAS, ColumnSpec, LayerKind

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
    "basemap": {
        "idn": box(95.0, -10.0, 141.0, 6.0),
        "cod": box(12.0, -13.5, 31.0, 5.0),
        "fji": FIJI,
    },
}
ZONE_ISO3 = {"idn": "IDN", "cod": "COD", "fji": "FJI"}
ZONE_REGION = {"idn": "Southeast Asia", "cod": "Africa", "fji": "Southeast Asia"}


def _value(col: str, spec: ColumnSpec, i: int, fid: str) -> object:
    if col == "id":
        return fid
    if col in ("iso3",) and fid in ZONE_ISO3:
        return ZONE_ISO3[fid]
    if col == "region" and fid in ZONE_REGION:
        return ZONE_REGION[fid]
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


def make_result(*, empty: bool = False) -> AllocationResult:
    """Return a hand-made result: 3 flows (one across the antimeridian) or none."""
    flows = pd.DataFrame(
        [
            ("korea", "fji", "naval", 2.0, 8650.5, 17.3),
            ("baltic", "cod", "engagement", 1.25, 6900.0, 2.5),
            ("korea", "idn", "air", 0.75, 5200.25, 3.9),
        ],
        columns=["front_id", "zone_id", "asset", "amount", "distance_km", "cost"],
    )
    geoms = [
        MultiLineString(
            [[(127.0, 37.5), (150.0, 10.0), (180.0, -17.0)], [(-180.0, -17.0), (-179.5, -17.2)]]
        ),
        LineString([(24.1, 56.9), (20.0, 10.0), (25.0, -5.0)]),
        LineString([(127.0, 37.5), (120.0, 0.0)]),
    ]
    if empty:
        flows, geoms = flows.iloc[0:0], []
    routes = gpd.GeoDataFrame(
        flows[["front_id", "zone_id", "asset"]].assign(
            mode=["sea", "great_circle", "great_circle"][: len(flows)]
        ),
        geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"),
        crs="EPSG:4326",
    ).iloc[::-1]  # routes in another order than flows: the export joins on keys
    alloc = {(r.zone_id, r.asset): r.amount for r in flows.itertuples()}
    zones = pd.DataFrame(
        [
            (
                z,
                ZONE_REGION[z],
                a,
                alloc.get((z, a), 0.0),
                10.0 * alloc.get((z, a), 0.0),
                0.5 if a != "isr" else np.nan,
            )
            for z in ("idn", "cod", "fji")
            for a in ASSETS
        ],
        columns=["zone_id", "region", "asset", "allocated", "value", "marginal_value"],
    )
    released = {}
    for r in flows.itertuples():
        released[(r.front_id, r.asset)] = released.get((r.front_id, r.asset), 0.0) + r.amount
    fronts = pd.DataFrame(
        [
            (f, a, 10.0, 3.0, released.get((f, a), 0.0), 0.1 * released.get((f, a), 0.0), 1.5)
            for f in ("baltic", "korea")
            for a in ASSETS
        ],
        columns=["front_id", "asset", "baseline", "freed", "released", "risk", "marginal_value"],
    )
    ledger = pd.DataFrame(
        [
            ("korea", 4.5, 2.75, 0.0, 1.2, 0.9, 0.2, 0.55),
            ("baltic", 30.0, 0.0, 1.25, 1.25, 1.25, 0.04, 0.7),
        ],
        columns=[
            "front_id",
            "ally_extra_spending_bn",
            "us_freed_kpe",
            "us_freed_engagement_bn",
            "us_freed_value_bn",
            "us_redeployed_value_bn",
            "double_burden_share",
            "price_per_retained_kpe_bn",
        ],
    )
    return AllocationResult(
        scenario="test_scenario",
        description="Hand-made result for the export tests.",
        run_id="0123456789abcdef",
        status="optimal",
        objective={"value": 20.0, "transit_cost": 23.7, "risk": 0.4, "total": -4.1},
        flows=flows.reset_index(drop=True),
        fronts=fronts,
        zones=zones,
        ledger=ledger,
        routes=routes,
        totals={"by_region": {}, "by_asset": {}},
    )
