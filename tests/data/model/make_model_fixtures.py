"""Regenerate the tiny model fixtures in tests/data/model (2 fronts, 3 zones, 6 items).

Run from the repository root: ``python tests/data/model/make_model_fixtures.py``. The
figures are made up for tests (confidence 'estimate'); they are not shipped data.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from shapely.geometry import Point, box

HERE = Path(__file__).resolve().parent
ASSETS = ("naval", "air", "ground", "isr", "engagement")
COMMON = {"source": "test fixture (made-up figures)", "source_year": 2024, "confidence": "estimate"}


def _front(fid, host, lon, lat, us, floor, subst, gdp, pct, hns, threat):
    row = {
        "id": fid,
        "name": fid.title(),
        **COMMON,
        "host_iso3": host,
        "adversaries": "RUS",
        "theater": "Test",
        "us_personnel": int(sum(us[:4]) * 1000),
    }
    for a, u, f, s in zip(ASSETS, us, floor, subst, strict=True):
        row[f"us_{a}"], row[f"floor_{a}"], row[f"subst_{a}"] = u, f, s
    row.update(
        gdp_usd_bn=gdp,
        defense_pct_gdp=pct,
        hns_usd_bn=hns,
        threat_level=threat,
        geometry=Point(lon, lat),
    )
    return row


def _zone(fid, iso3, region, bounds, us, comp, access, absorb):
    row = {
        "id": fid,
        "name": fid,
        **COMMON,
        "iso3": iso3,
        "region": region,
        "us_influence": us,
        "competitor_influence": comp,
        "access": access,
    }
    for a, v in zip(ASSETS, absorb, strict=True):
        row[f"absorb_{a}"] = v
    row["geometry"] = box(*bounds)
    return row


def frames() -> dict[str, gpd.GeoDataFrame]:
    """Return the model fixture layers by kind."""
    subst = (0.3, 0.5, 0.8, 0.1, 0.5)
    fronts = [
        _front(
            "alpha",
            "DEU",
            8.0,
            50.0,
            (1.0, 4.0, 10.0, 1.0, 0.2),
            (0.2, 1.0, 2.0, 0.8, 0.0),
            subst,
            1000.0,
            2.0,
            0.0,
            2,
        ),
        _front(
            "bravo",
            "KOR",
            127.0,
            37.0,
            (2.0, 6.0, 12.0, 2.0, 0.1),
            (1.0, 3.0, 6.0, 1.6, 0.0),
            subst,
            2000.0,
            2.5,
            1.0,
            5,
        ),
    ]
    zones = [
        _zone(
            "sea_zone",
            "IDN",
            "Southeast Asia",
            (100, -5, 110, 5),
            0.3,
            0.7,
            "full",
            (2.0, 2.0, 2.0, 0.5, 1.0),
        ),
        _zone(
            "afr_zone",
            "COD",
            "Africa",
            (20, -15, 30, -5),
            0.1,
            0.8,
            "limited",
            (0.0, 2.0, 2.0, 0.5, 0.5),
        ),
        _zone(
            "sam_zone",
            "CHL",
            "South America",
            (-75, -30, -65, -20),
            0.4,
            0.6,
            "none",
            (1.0, 1.0, 1.0, 0.3, 0.5),
        ),
    ]
    chokepoints = [
        {
            "id": "malacca",
            "name": "Malacca",
            **COMMON,
            "littoral_iso3": "MYS;IDN;SGP",
            "region": "Southeast Asia",
            "importance": 1.0,
            "geometry": Point(101.0, 2.5),
        },
        {
            "id": "bab_el_mandeb",
            "name": "Bab el-Mandeb",
            **COMMON,
            "littoral_iso3": "YEM;DJI",
            "region": "Red Sea",
            "importance": 0.36,
            "geometry": Point(43.33, 12.55),
        },
    ]
    minerals = [
        {
            "id": "drc_cobalt",
            "name": "DRC cobalt",
            **COMMON,
            "iso3": "COD",
            "minerals": "cobalt",
            "primary_mineral": "cobalt",
            "world_share_pct": 75.9,
            "criticality": 0.9,
            "geometry": Point(25.5, -10.7),
        },
        {
            "id": "chile_lithium",
            "name": "Atacama lithium",
            **COMMON,
            "iso3": "CHL",
            "minerals": "lithium",
            "primary_mineral": "lithium",
            "world_share_pct": 24.4,
            "criticality": 0.9,
            "geometry": Point(-68.2, -23.5),
        },
    ]
    nodes = [
        {
            "id": "port_singapore",
            "name": "Port of Singapore",
            **COMMON,
            "kind": "port",
            "iso3": "SGP",
            "importance": 1.0,
            "geometry": Point(103.8, 1.3),
        },
        {
            "id": "lobito",
            "name": "Lobito corridor",
            **COMMON,
            "kind": "corridor",
            "iso3": "AGO;COD;ZMB",
            "importance": 0.3,
            "geometry": Point(13.5, -12.4),
        },
    ]
    out = {
        "fronts": fronts,
        "peripheral_zones": zones,
        "chokepoints": chokepoints,
        "mineral_zones": minerals,
        "supply_nodes": nodes,
    }
    return {k: gpd.GeoDataFrame(v, crs="EPSG:4326") for k, v in out.items()}


def main() -> None:
    """Write the fixture layers as GeoJSON."""
    for kind, gdf in frames().items():
        path = HERE / f"{kind}.geojson"
        path.unlink(missing_ok=True)
        gdf.to_file(path, driver="GeoJSON")


if __name__ == "__main__":
    main()
