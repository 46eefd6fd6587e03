"""Regenerate the tiny test layers in tests/data/layers and the broken copies in tests/data/broken.

Run from the repository root: ``python tests/data/make_fixtures.py``. The figures are made up
for tests (confidence 'estimate', source 'test fixture'); they are not shipped data.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
from shapely.geometry import Point, Polygon, box

HERE = Path(__file__).resolve().parent
LAYERS = HERE / "layers"
BROKEN = HERE / "broken"
COMMON = {"source": "test fixture (made-up figures)", "source_year": 2024, "confidence": "estimate"}


def _front(fid, name, host, adv, lon, lat, personnel, caps, threat, gdp, pct, hns):
    row = {
        "id": fid,
        "name": name,
        **COMMON,
        "host_iso3": host,
        "adversaries": adv,
        "theater": "Test",
        "us_personnel": personnel,
    }
    assets = ("naval", "air", "ground", "isr", "engagement")
    for a, c in zip(assets, caps, strict=True):
        row[f"us_{a}"] = c
        row[f"floor_{a}"] = round(c * (0.8 if a == "isr" else 0.2), 3)
        row[f"subst_{a}"] = {
            "naval": 0.3,
            "air": 0.5,
            "ground": 0.8,
            "isr": 0.1,
            "engagement": 0.5,
        }[a]
    row.update(
        gdp_usd_bn=gdp,
        defense_pct_gdp=pct,
        hns_usd_bn=hns,
        threat_level=threat,
        geometry=Point(lon, lat),
    )
    return row


def _zone(fid, name, iso3, region, bounds, us, comp, access, absorb):
    row = {
        "id": fid,
        "name": name,
        **COMMON,
        "iso3": iso3,
        "region": region,
        "us_influence": us,
        "competitor_influence": comp,
        "access": access,
    }
    for a, v in zip(("naval", "air", "ground", "isr", "engagement"), absorb, strict=True):
        row[f"absorb_{a}"] = v
    row["geometry"] = box(*bounds)
    return row


MILITARY = ("naval", "air", "ground", "isr")


def _site(zone_id, iso3, point, caps):
    return {
        "id": f"{zone_id}_site",
        "name": f"Test site {zone_id}",
        **COMMON,
        "iso3": iso3,
        "zone_id": zone_id,
        "kind": "agreed_location",
        "agreement": "test agreement",
        "access_kind": "access",
        "status": "active",
        **{f"cap_{a}": c for a, c in zip(MILITARY, caps, strict=True)},
        "geometry": Point(round(point.x, 3), round(point.y, 3)),
    }


def frames() -> dict[str, gpd.GeoDataFrame]:
    """Return the fixture layers."""
    fronts = [
        _front(
            "korea",
            "Korean peninsula",
            "KOR",
            "PRK;CHN",
            127.03,
            36.96,
            23372,
            (4.0, 8.0, 10.0, 1.0, 0.2),
            5,
            1712.8,
            2.6,
            1.0,
        ),
        _front(
            "poland",
            "NATO eastern flank - Poland",
            "POL",
            "RUS;BLR",
            16.93,
            52.41,
            8000,
            (0.0, 2.0, 6.0, 0.5, 0.3),
            4,
            811.2,
            4.07,
            0.0,
        ),
    ]
    chokepoints = [
        {
            "id": "malacca",
            "name": "Strait of Malacca",
            **COMMON,
            "littoral_iso3": "MYS;IDN;SGP",
            "region": "Southeast Asia",
            "oil_flow_mbd": 23.7,
            "transits_per_year": 94301,
            "trade_share_pct": 27.9,
            "importance": 1.0,
            "geometry": Point(101.0, 2.5),
        },
        {
            "id": "bab_el_mandeb",
            "name": "Bab el-Mandeb",
            **COMMON,
            "littoral_iso3": "YEM;DJI",
            "region": "Red Sea",
            "oil_flow_mbd": 8.6,
            "transits_per_year": None,
            "trade_share_pct": None,
            "importance": 0.36,
            "geometry": Point(43.33, 12.55),
        },
        {
            "id": "panama",
            "name": "Panama Canal",
            **COMMON,
            "littoral_iso3": "PAN",
            "region": "Central America",
            "oil_flow_mbd": 2.1,
            "transits_per_year": 9944,
            "trade_share_pct": None,
            "importance": 0.18,
            "geometry": Point(-79.85, 9.15),
        },
    ]
    minerals = [
        {
            "id": "drc_copperbelt",
            "name": "DRC Copperbelt",
            **COMMON,
            "iso3": "COD",
            "minerals": "cobalt;copper",
            "primary_mineral": "cobalt",
            "world_share_pct": 75.9,
            "criticality": 0.9,
            "competitor_stake": "CMOC 80% of Tenke Fungurume",
            "geometry": Point(25.47, -10.71),
        },
        {
            "id": "indonesia_nickel",
            "name": "Sulawesi nickel",
            **COMMON,
            "iso3": "IDN",
            "minerals": "nickel",
            "primary_mineral": "nickel",
            "world_share_pct": 50.0,
            "criticality": 0.8,
            "competitor_stake": None,
            "geometry": Point(122.15, -2.85),
        },
        {
            "id": "brazil_niobium",
            "name": "Araxa niobium",
            **COMMON,
            "iso3": "BRA",
            "minerals": "niobium",
            "primary_mineral": "niobium",
            "world_share_pct": 90.0,
            "criticality": 0.7,
            "competitor_stake": None,
            "geometry": Point(-46.94, -19.59),
        },
    ]
    nodes = [
        {
            "id": "port_singapore",
            "name": "Port of Singapore",
            **COMMON,
            "kind": "port",
            "iso3": "SGP",
            "throughput": 41120000,
            "throughput_unit": "TEU",
            "foreign_stakes": None,
            "importance": 1.0,
            "geometry": Point(103.766, 1.284),
        },
        {
            "id": "lobito_corridor",
            "name": "Lobito Corridor",
            **COMMON,
            "kind": "corridor",
            "iso3": "AGO;COD;ZMB",
            "throughput": None,
            "throughput_unit": None,
            "foreign_stakes": "DFC US$553m",
            "importance": 0.5,
            "geometry": Point(16.93, -12.38),
        },
        {
            "id": "chancay",
            "name": "Port of Chancay",
            **COMMON,
            "kind": "port",
            "iso3": "PER",
            "throughput": 1000000,
            "throughput_unit": "TEU design",
            "foreign_stakes": "COSCO 60%",
            "importance": 0.4,
            "geometry": Point(-77.27, -11.58),
        },
    ]
    zones = [
        _zone(
            "idn",
            "Indonesia",
            "IDN",
            "Southeast Asia",
            (100, -8, 125, 4),
            0.3,
            0.7,
            "limited",
            (2.0, 2.0, 1.0, 0.5, 3.0),
        ),
        _zone(
            "ago",
            "Angola",
            "AGO",
            "Africa",
            (12, -17, 22, -6),
            0.1,
            0.8,
            "limited",
            (1.0, 1.0, 1.0, 0.3, 0.4),
        ),
        _zone(
            "bra",
            "Brazil",
            "BRA",
            "South America",
            (-60, -30, -40, -5),
            0.4,
            0.5,
            "full",
            (2.0, 2.0, 2.0, 0.5, 3.7),
        ),
    ]
    basemap = [
        {"id": z["id"], "name": z["name"], "iso3": z["iso3"], **COMMON, "geometry": z["geometry"]}
        for z in zones
    ] + [
        {
            "id": "kor",
            "name": "South Korea",
            "iso3": "KOR",
            **COMMON,
            "geometry": box(126, 34, 129.5, 38.5),
        }
    ]
    # one site per zone that can host exactly the zone's absorb_ figures (so the model's
    # capacity is the same with or without the sites layer), and one withdrawn site
    sites = [
        _site(z["id"], z["iso3"], z["geometry"].centroid, [z[f"absorb_{a}"] for a in MILITARY])
        for z in zones
    ] + [
        {
            **_site("ago", "AGO", Point(13.5, -12.3), [0.0] * 4),
            "id": "ago_withdrawn",
            "name": "Withdrawn airfield",
            "status": "withdrawn",
            "access_kind": "withdrawn",
        }
    ]
    posture = [
        {
            "id": "idn_exercise",
            "name": "Exercise presence, Indonesia",
            **COMMON,
            "iso3": "IDN",
            "zone_id": "idn",
            "site_id": "idn_site",
            "site": "Test site",
            "kind": "exercise",
            "date": "2025",
            "personnel": 500.0,
            "weeks_per_year": 5.2,
            "counts": True,
            "kpe_naval": 0.0,
            "kpe_air": 0.0,
            "kpe_ground": 0.05,
            "kpe_isr": 0.0,
            "geometry": Point(112.0, -2.0),
        }
    ]
    out = {
        "fronts": fronts,
        "chokepoints": chokepoints,
        "mineral_zones": minerals,
        "supply_nodes": nodes,
        "peripheral_zones": zones,
        "sites": sites,
        "posture": posture,
        "basemap": basemap,
    }
    return {k: gpd.GeoDataFrame(v, crs="EPSG:4326") for k, v in out.items()}


def _write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> None:
    path.write_text(gdf.to_json(drop_id=True, indent=1) + "\n")


def main() -> None:
    """Write the fixture layers and their broken copies."""
    LAYERS.mkdir(exist_ok=True)
    BROKEN.mkdir(exist_ok=True)
    data = frames()
    for kind, gdf in data.items():
        _write_geojson(gdf, LAYERS / f"{kind}.geojson")
    cp = data["chokepoints"]
    zones = data["peripheral_zones"]

    _write_geojson(cp.drop(columns=["importance"]), BROKEN / "missing_column.geojson")
    nan = cp.copy()
    nan.loc[1, "importance"] = float("nan")
    _write_geojson(nan, BROKEN / "nan_required.geojson")
    dup = cp.copy()
    dup.loc[2, "id"] = "malacca"
    _write_geojson(dup, BROKEN / "duplicate_id.geojson")
    iso = cp.copy()
    iso.loc[1, "littoral_iso3"] = "YEM;XYZ"
    _write_geojson(iso, BROKEN / "unknown_iso3.geojson")
    rng = cp.copy()
    rng.loc[0, "importance"] = 1.5
    _write_geojson(rng, BROKEN / "out_of_range.geojson")
    floor = data["fronts"].copy()
    floor.loc[1, "floor_ground"] = floor.loc[1, "us_ground"] * 10  # a misplaced decimal point
    _write_geojson(floor, BROKEN / "floor_above_us.geojson")
    enum = zones.copy()
    enum.loc[0, "access"] = "partial"
    _write_geojson(enum, BROKEN / "bad_enum.geojson")
    # A copy whose CRS member claims Web Mercator while the coordinates are degrees.
    doc = json.loads(cp.to_json(drop_id=True))
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    (BROKEN / "projected_crs.geojson").write_text(json.dumps(doc, indent=1) + "\n")
    # A GeoPackage whose geometry column has no CRS (srs_id 0 = undefined geographic).
    nocrs = BROKEN / "no_crs.gpkg"
    nocrs.unlink(missing_ok=True)
    cp.set_crs(None, allow_override=True).to_file(nocrs, layer="chokepoints", driver="GPKG")
    with sqlite3.connect(nocrs) as con:  # make the file's bytes independent of the clock
        con.execute("UPDATE gpkg_contents SET last_change='2024-01-01T00:00:00.000Z'")
    bow = zones.copy()
    bow.loc[1, "geometry"] = Polygon([(12, -17), (22, -6), (22, -17), (12, -6), (12, -17)])
    _write_geojson(bow, BROKEN / "self_intersecting.geojson")
    wrong = zones.copy()
    wrong.loc[2, "geometry"] = Point(-50, -15)
    _write_geojson(wrong, BROKEN / "wrong_geometry_type.geojson")
    empty = cp.iloc[0:0]
    (BROKEN / "empty_layer.geojson").write_text('{"type": "FeatureCollection", "features": []}\n')
    del empty
    (BROKEN / "empty_file.geojson").write_text("")
    (BROKEN / "not_geodata.geojson").write_text("This is a memo, not a map layer.\n")
    (BROKEN / "chokepoints_no_coords.csv").write_text("id,name\nmalacca,Malacca\n")


if __name__ == "__main__":
    main()
