"""Tiny layers and a hand-made AllocationResult for render tests and the render benchmark.

The figures are invented for tests only. Some names, sources and the scenario description
are hostile on purpose (HTML and script payloads): a map must show them as text.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, MultiLineString, Point, box

from redeploy.model.result import HOME_ID, HOME_REGION, AllocationResult
from redeploy.schemas import ASSETS, MILITARY_ASSETS, RISK_CHANNELS

XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_FLAG_NAME = '<img src=x onerror="window.__xss=1">'
XSS_SOURCE = "</script><script>window.__xss=2</script> Estimate 2024"
XSS_ACCESS_BASIS = 'MoU 2025 <b onmouseover="window.__xss=4">sites</b>; port calls'
XSS_DESCRIPTION = "Allies pay more.\n<script>window.__xss=3</script>\nTest fixture only."

CRS = "EPSG:4326"

#: U.S. forces withdrawn per class at each front (kpe): the fronts' markers are sized by it.
_WITHDRAWN = {"nato_east": 1.0, "korea": 2.0, "guam": 0.25}
#: U.S. cost of a unit added ($bn/yr per kpe; engagement is already $bn/yr), as the
#: model's `us_dollars` writes the zones table's ``added_bn``.
US_UNIT_COST = {"naval": 0.375, "air": 0.375, "ground": 0.3, "isr": 0.45, "engagement": 1.0}


def _common(i: str, name: str, source: str = "Test source 2024") -> dict:
    return {
        "id": i,
        "name": name,
        "source": source,
        "source_year": 2024,
        "confidence": "estimate",
        "notes": "Invented for tests.",
    }


def _per_asset(prefix: str, values: tuple[float, ...]) -> dict:
    return {f"{prefix}_{a}": v for a, v in zip(ASSETS, values, strict=True)}


def fixture_layers() -> dict[str, gpd.GeoDataFrame]:
    """Return eight small layers keyed by kind."""
    basemap = gpd.GeoDataFrame(
        [
            {**_common("eurasia", "Eurasia"), "iso3": ""},
            {**_common("africa", "Africa"), "iso3": ""},
            {**_common("americas_n", "North America"), "iso3": ""},
            {**_common("americas_s", "South America"), "iso3": ""},
            {**_common("australia", "Australia"), "iso3": "AUS"},
        ],
        geometry=[
            box(-10, 5, 145, 70),
            box(-17, -35, 50, 35),
            box(-125, 8, -60, 60),
            box(-80, -55, -35, 12),
            box(113, -39, 153, -11),
        ],
        crs=CRS,
    )
    fronts = gpd.GeoDataFrame(
        [
            {
                **_common("nato_east", "NATO eastern flank"),
                "host_iso3": "POL;LTU",
                "adversaries": "RUS",
                "theater": "Europe",
                "us_personnel": 20000,
                **_per_asset("us", (2.0, 8.0, 10.0, 1.0, 3.0)),
                **_per_asset("floor", (0.5, 2.0, 2.0, 1.0, 0.0)),
                **_per_asset("subst", (0.5, 0.6, 0.8, 0.1, 0.5)),
                "gdp_usd_bn": 1000.0,
                "defense_pct_gdp": 3.1,
                "hns_usd_bn": 0.2,
                "threat_level": 4,
            },
            {
                **_common("korea", "Korean peninsula"),
                "host_iso3": "KOR",
                "adversaries": "PRK;CHN",
                "theater": "East Asia",
                "us_personnel": 28500,
                **_per_asset("us", (1.0, 9.0, 18.0, 1.5, 2.0)),
                **_per_asset("floor", (0.5, 4.0, 8.0, 1.5, 0.0)),
                **_per_asset("subst", (0.3, 0.4, 0.7, 0.1, 0.5)),
                "gdp_usd_bn": 1700.0,
                "defense_pct_gdp": 2.6,
                "hns_usd_bn": 1.1,
                "threat_level": 5,
            },
            {
                **_common("guam", "Guam and Marianas"),
                "host_iso3": "USA",
                "adversaries": "CHN",
                "theater": "Pacific",
                "us_personnel": 6000,
                **_per_asset("us", (4.0, 2.0, 0.5, 0.5, 0.5)),
                **_per_asset("floor", (1.0, 1.0, 0.2, 0.5, 0.0)),
                **_per_asset("subst", (0.2, 0.2, 0.2, 0.0, 0.2)),
                "gdp_usd_bn": 6.0,
                "defense_pct_gdp": 0.0,
                "hns_usd_bn": 0.0,
                "threat_level": 3,
            },
        ],
        geometry=[Point(21.0, 52.2), Point(127.0, 37.5), Point(144.8, 13.5)],
        crs=CRS,
    )
    chokepoints = gpd.GeoDataFrame(
        [
            {
                **_common("malacca", "Strait of Malacca"),
                "littoral_iso3": "MYS;IDN;SGP",
                "region": "Indian Ocean",
                "oil_flow_mbd": 23.7,
                "transits_per_year": 94000.0,
                "trade_share_pct": None,
                "importance": 1.0,
            },
            {
                **_common("panama", "Panama Canal"),
                "littoral_iso3": "PAN",
                "region": "Caribbean",
                "oil_flow_mbd": 0.9,
                "transits_per_year": 10000.0,
                "trade_share_pct": 5.0,
                "importance": 0.2,
            },
            {
                **_common("bab", XSS_NAME, XSS_SOURCE),
                "littoral_iso3": "YEM;DJI;ERI",
                "region": "Red Sea",
                "oil_flow_mbd": 8.6,
                "transits_per_year": None,
                "trade_share_pct": 12.0,
                "importance": 0.43,
            },
        ],
        geometry=[Point(100.9, 2.5), Point(-79.7, 9.1), Point(43.3, 12.6)],
        crs=CRS,
    )
    mineral_zones = gpd.GeoDataFrame(
        [
            {
                **_common("drc_copperbelt", "Katanga copperbelt"),
                "iso3": "COD",
                "minerals": "cobalt;copper",
                "primary_mineral": "cobalt",
                "world_share_pct": 70.0,
                "criticality": 0.9,
                "competitor_stake": "Chinese-owned mines",
            },
            {
                **_common("chile_lithium", "Salar de Atacama"),
                "iso3": "CHL",
                "minerals": "lithium",
                "primary_mineral": "lithium",
                "world_share_pct": 24.0,
                "criticality": 0.8,
                "competitor_stake": None,
            },
        ],
        geometry=[box(25.0, -12.0, 28.5, -10.0), Point(-68.2, -23.5)],
        crs=CRS,
    )
    supply_nodes = gpd.GeoDataFrame(
        [
            {
                **_common("singapore_port", "Port of Singapore"),
                "kind": "port",
                "iso3": "SGP",
                "throughput": 41.1,
                "throughput_unit": "M TEU",
                "foreign_stakes": None,
                "importance": 1.0,
            },
            {
                **_common("lobito", "Lobito corridor"),
                "kind": "corridor",
                "iso3": "AGO;COD;ZMB",
                "throughput": None,
                "throughput_unit": None,
                "foreign_stakes": "U.S. and EU finance",
                "importance": 0.4,
            },
        ],
        geometry=[Point(103.8, 1.26), Point(13.5, -12.35)],
        crs=CRS,
    )
    zone_rows = [
        ("vnm", "Viet Nam", "VNM", "Southeast Asia", box(102.5, 8.5, 109.0, 23.0)),
        ("idn", "Indonesia", "IDN", "Southeast Asia", box(95.0, -10.0, 141.0, 5.5)),
        ("cod", "DR Congo", "COD", "Africa", box(12.5, -13.0, 31.0, 5.0)),
        ("bra", "Brazil", "BRA", "South America", box(-73.0, -33.0, -35.0, 5.0)),
        ("pan", "Panama", "PAN", "Central America", box(-83.0, 7.2, -77.2, 9.6)),
        ("xss", XSS_FLAG_NAME, "JAM", "Caribbean", box(-78.4, 17.7, -76.2, 18.5)),
    ]
    peripheral_zones = gpd.GeoDataFrame(
        [
            {
                **_common(i, n),
                "iso3": iso,
                "region": r,
                "us_influence": 0.3,
                "competitor_influence": 0.6,
                "access": "limited",
                **_per_asset("absorb", (2.0, 2.0, 2.0, 0.5, 1.0)),
                "us_trade_share_pct": 10.0,
                "china_trade_share_pct": 25.0,
                "access_basis": XSS_ACCESS_BASIS if i == "pan" else f"Agreement {i}; test",
                "port_calls": i != "cod",
                "sea_naval": 0.25,
            }
            for i, n, iso, r, _ in zone_rows
        ],
        geometry=[g for *_, g in zone_rows],
        crs=CRS,
    )
    sites = gpd.GeoDataFrame(
        [
            {
                **_common("cod_kinshasa", "Kinshasa airfield"),
                "iso3": "COD",
                "zone_id": "cod",
                "kind": "airfield",
                "agreement": "Access agreement (test)",
                "access_kind": "access",
                "status": "active",
                **{
                    f"cap_{a}": v
                    for a, v in zip(MILITARY_ASSETS, (0.0, 1.0, 2.0, 0.5), strict=True)
                },
            },
            {
                **_common("pan_howard", "Howard (former air base)"),
                "iso3": "PAN",
                "zone_id": "pan",
                "kind": "agreed_location",
                "agreement": "Panama MoU (test)",
                "access_kind": "MoU",
                "status": "active",
                **{
                    f"cap_{a}": v
                    for a, v in zip(MILITARY_ASSETS, (1.0, 0.5, 1.0, 0.2), strict=True)
                },
            },
        ],
        geometry=[Point(15.3, -4.3), Point(-79.6, 8.9)],
        crs=CRS,
    )
    posture = gpd.GeoDataFrame(
        [
            {
                **_common("pan_rotation", "Rotational presence, Panama"),
                "iso3": "PAN",
                "zone_id": "pan",
                "site_id": "pan_howard",
                "site": "Howard",
                "kind": "rotational",
                "date": "2025",
                "personnel": 200.0,
                "weeks_per_year": 26.0,
                "counts": True,
                **{
                    f"kpe_{a}": v
                    for a, v in zip(MILITARY_ASSETS, (0.0, 0.0, 0.1, 0.0), strict=True)
                },
            },
        ],
        geometry=[Point(-79.6, 8.9)],
        crs=CRS,
    )
    return {
        "basemap": basemap,
        "fronts": fronts,
        "chokepoints": chokepoints,
        "mineral_zones": mineral_zones,
        "supply_nodes": supply_nodes,
        "peripheral_zones": peripheral_zones,
        "sites": sites,
        "posture": posture,
    }


#: (front, zone, asset, amount, mode, geometry) of the fixture's flows. The Guam -> Panama
#: flow crosses the antimeridian: two parts, east to 180 and from -180 to Panama.
_FLOWS = [
    (
        "nato_east",
        "cod",
        "ground",
        3.0,
        "great_circle",
        LineString([(21.0, 52.2), (24.0, 25.0), (22.0, -4.0)]),
    ),
    (
        "nato_east",
        "cod",
        "engagement",
        1.2,
        "great_circle",
        LineString([(21.0, 52.2), (24.0, 25.0), (22.0, -4.0)]),
    ),
    (
        "korea",
        "vnm",
        "air",
        2.0,
        "great_circle",
        LineString([(127.0, 37.5), (115.0, 25.0), (106.0, 16.0)]),
    ),
    (
        "korea",
        "idn",
        "naval",
        0.4,
        "sea",
        LineString([(127.0, 37.5), (125.0, 20.0), (118.0, 5.0), (115.0, -2.0)]),
    ),
    (
        "guam",
        "pan",
        "naval",
        1.5,
        "sea",
        MultiLineString(
            [
                [(144.8, 13.5), (165.0, 14.0), (180.0, 14.0)],
                [(-180.0, 14.0), (-130.0, 11.0), (-80.0, 8.5)],
            ]
        ),
    ),
    (
        "guam",
        "xss",
        "isr",
        0.3,
        "great_circle",
        MultiLineString(
            [[(144.8, 13.5), (180.0, 25.0)], [(-180.0, 25.0), (-120.0, 26.0), (-77.0, 18.0)]]
        ),
    ),
    (
        "nato_east",
        "bra",
        "engagement",
        0.8,
        "great_circle",
        LineString([(21.0, 52.2), (-10.0, 20.0), (-50.0, -12.0)]),
    ),
    (
        "korea",
        HOME_ID,
        "ground",
        1.0,
        "great_circle",
        MultiLineString([[(127.0, 37.5), (180.0, 45.0)], [(-180.0, 45.0), (-98.0, 39.0)]]),
    ),
    (
        HOME_ID,
        "pan",
        "ground",
        0.5,
        "great_circle",
        LineString([(-98.0, 39.0), (-90.0, 20.0), (-80.0, 8.9)]),
    ),
]


def _totals(flows: pd.DataFrame) -> dict:
    """The totals the model reports (by region, the home pool, existing presence)."""
    mil = flows[flows.asset.isin(MILITARY_ASSETS)]
    home_in = float(mil.loc[mil.zone_id == HOME_ID, "amount"].sum())
    home_out = float(mil.loc[mil.front_id == HOME_ID, "amount"].sum())
    return {
        "by_region": {},
        "by_asset": {},
        "home": {
            "received_kpe": home_in,
            "reserve_kpe": 0.25,
            "sent_abroad_kpe": home_out,
            "kept_kpe": home_in + 0.25 - home_out,
        },
        "existing_by_region": {
            "Southeast Asia": 0.0,
            "Africa": 0.0,
            "South America": 0.0,
            "Central America": 0.1,
            "Caribbean": 0.0,
        },
        "converted_by_asset": {a: 0.2 if a == "air" else 0.0 for a in ASSETS},
        "released_by_asset": {
            a: float(flows.loc[(flows.asset == a) & (flows.front_id != HOME_ID), "amount"].sum())
            for a in ASSETS
        },
    }


def _overall_burden(ledger: pd.DataFrame) -> float:
    """All fronts' double burden, as the model's `overall_double_burden` counts it."""
    paying = ledger[ledger["ally_extra_spending_bn"] > 0]
    funds = paying["us_redeployed_value_bn"] + paying["converted_to_engagement_bn"]
    return float(funds.sum() / paying["ally_extra_spending_bn"].sum())


def fixture_result(
    scenario: str = "fixture",
    *,
    scale: float = 1.0,
    drop: int | None = None,
    add_extra: bool = False,
) -> AllocationResult:
    """
    Return a hand-made AllocationResult on `fixture_layers`.

    Parameters
    ----------
    scenario
        Scenario name.
    scale
        Multiplier of every flow amount (a second scenario for comparisons).
    drop
        Index of a flow to leave out (a flow that disappears in a comparison).
    add_extra
        Add a flow Korea -> Brazil (ground) that appears in a comparison.
    """
    rows = [f for i, f in enumerate(_FLOWS) if i != drop]
    if add_extra:
        rows.append(
            (
                "korea",
                "bra",
                "ground",
                1.0,
                "great_circle",
                MultiLineString([[(127.0, 37.5), (180.0, 10.0)], [(-180.0, 10.0), (-50.0, -12.0)]]),
            )
        )
    flows = pd.DataFrame(
        [
            {
                "front_id": f,
                "zone_id": z,
                "asset": a,
                "amount": amt * scale,
                "distance_km": 5000.0 + 1000 * k,
                "cost": 0.1 * amt * scale,
            }
            for k, (f, z, a, amt, _, _) in enumerate(rows)
        ]
    )
    routes = gpd.GeoDataFrame(
        [{"front_id": f, "zone_id": z, "asset": a, "mode": mode} for f, z, a, _, mode, _ in rows],
        geometry=[g for *_, g in rows],
        crs=CRS,
    )
    regions = {
        "vnm": "Southeast Asia",
        "idn": "Southeast Asia",
        "cod": "Africa",
        "bra": "South America",
        "pan": "Central America",
        "xss": "Caribbean",
        HOME_ID: HOME_REGION,
    }
    existing = {("pan", "ground"): 0.1}
    zone_recs = []
    for zid, region in regions.items():
        for asset in ASSETS:
            added = float(
                flows.loc[(flows.zone_id == zid) & (flows.asset == asset), "amount"].sum()
            )
            home = zid == HOME_ID
            zone_recs.append(
                {
                    "zone_id": zid,
                    "region": region,
                    "asset": asset,
                    "existing": existing.get((zid, asset), 0.0),
                    "added": added,
                    "added_bn": added * US_UNIT_COST[asset],
                    "capacity": 0.0 if home or asset == "engagement" else 2.0,
                    "value": 0.0 if home else 2.0 * added,
                    "marginal_value": 0.5 if added < 2 and not home else 0.0,
                    "floor_held": False,
                }
            )
    front_recs = []
    for fid in ("nato_east", "korea", "guam", HOME_ID):
        for asset in ASSETS:
            out = flows[(flows.front_id == fid) & (flows.asset == asset)]
            # As the model: `released` is what leaves for the zones and home; `to_home` the
            # part of it sent home.
            released = float(out["amount"].sum())
            to_home = float(out.loc[out.zone_id == HOME_ID, "amount"].sum())
            home = fid == HOME_ID
            converted = 0.2 if (fid == "nato_east" and asset == "air") else 0.0
            freed = released + converted + (0.0 if home else 0.5)
            # Channels 4 and 6 (autonomy, backlash) stay at 0: popups list only those > 0.
            risks = {
                f"risk_{c}": 0.0 if home or k in (4, 6) else 0.01 * (k + 1) * released
                for k, c in enumerate(RISK_CHANNELS)
            }
            front_recs.append(
                {
                    "front_id": fid,
                    "asset": asset,
                    "baseline": 0.0 if home else 5.0,
                    "freed": freed,
                    "released": released,
                    "to_home": to_home,
                    "converted": converted,
                    "retained": 0.0 if home else 0.5,  # freed, kept on the front
                    **risks,
                    "risk": sum(risks.values()),
                    "marginal_value": 0.25,
                }
            )
    fronts = pd.DataFrame(front_recs)
    ledger = pd.DataFrame(
        [
            {
                "front_id": fid,
                "ally_extra_spending_bn": 10.0,
                "ally_expected_spending_bn": 8.5,
                "us_freed_kpe": 3.0,
                "us_freed_engagement_bn": 1.0,
                "us_freed_value_bn": 2.0,
                "us_redeployed_value_bn": 1.5,
                "us_home_value_bn": 0.2,
                "converted_to_engagement_bn": 0.06 if fid == "nato_east" else 0.0,
                "us_industry_inflow_bn": 2.55,
                "double_burden_share": 0.15,
                "price_per_retained_kpe_bn": 0.8,
            }
            for fid in ("nato_east", "korea", "guam")
        ]
    )
    allies = pd.DataFrame(
        [
            {
                "front_id": fid,
                "asset": asset,
                "us_baseline": 5.0,
                "us_retained": 5.0 - _WITHDRAWN[fid],
                "us_withdrawn": _WITHDRAWN[fid],
                "ally_substitute": 1.0 - gap,
                "gap": gap,
                "gap_cost_bn": 0.25 * gap,
                "dependence": dep,
                "us_industry_inflow_bn": 0.6,
            }
            for fid in ("nato_east", "korea", "guam")
            # Korea depends most on the U.S. for ISR and must build ground autonomy.
            for asset, dep, gap in zip(
                MILITARY_ASSETS, (0.5, 0.7, 0.8, 0.95), (0.1, 0.0, 0.4, 0.05), strict=True
            )
        ]
    )
    risk_by_channel = {f"risk_{c}": float(fronts[f"risk_{c}"].sum()) for c in RISK_CHANNELS}
    value = float(flows["amount"].sum()) * 2
    return AllocationResult(
        scenario=scenario,
        description=XSS_DESCRIPTION,
        run_id="0123456789abcdef" * 4,
        status="optimal",
        objective={
            "value": value,
            "transit_cost": 1.0,
            **risk_by_channel,
            "risk": sum(risk_by_channel.values()),
            "total": value - 1.0 - sum(risk_by_channel.values()),
        },
        flows=flows,
        fronts=fronts,
        zones=pd.DataFrame(zone_recs),
        ledger=ledger,
        allies=allies,
        routes=routes,
        totals={**_totals(flows), "double_burden_share": _overall_burden(ledger)},
        meta={
            "risk_lambda": 1.0,
            "risk_weights": {c: 2.0 if c == "credibility" else 1.0 for c in RISK_CHANNELS},
            "risk_unweighted": dict(zip(RISK_CHANNELS, risk_by_channel.values(), strict=True)),
            "units": {"value": "$bn-eq/yr"},
        },
    )


#: (λ, flow scale, binding channel) of the fixture frontier's points: the binding channel
#: changes along the frontier, and the first point has no risk at all.
_FRONTIER_POINTS = ((0.0, 1.5, ""), (0.5, 1.2, "trade"), (2.0, 1.0, "credibility"))


def _frontier_row(lam: float, result: AllocationResult, top: str) -> dict:
    obj = result.objective
    risks = {f"risk_{c}": (0.0 if not top else obj[f"risk_{c}"]) for c in RISK_CHANNELS}
    if top:
        risks[f"risk_{top}"] = max(risks.values()) + 0.1
    row = {
        "lambda": lam,
        "value": obj["value"],
        "transit_cost": obj["transit_cost"],
        "net_value": obj["value"] - obj["transit_cost"],
        # The risk at weight 1 falls as the swept weight grows; the weighted costs
        # (risk_<channel>) are 0 at weight 0, where no channel binds.
        "risk": 4.0 - lam,
        "total": obj["total"],
        "released_kpe": 3.0 * lam + 1.0,
        "converted_kpe": 0.2,
        "to_home_kpe": 1.0,
        "released_engagement_bn": 2.0,
        "top_channel": top,
        **risks,
    }
    for region, slug in (("Africa", "africa"), ("Central America", "central_america")):
        row[f"{slug}_kpe"] = 0.5
        row[f"{slug}_engagement_bn"] = 0.1 if region == "Africa" else 0.0
    return row


def fixture_frontier(channel: str | None = "credibility"):
    """Return a hand-made `Frontier` of three points on the fixture (sweeping `channel`)."""
    from redeploy.model.frontier import Frontier

    results = tuple(
        fixture_result(f"pt{i}", scale=s) for i, (_, s, _) in enumerate(_FRONTIER_POINTS)
    )
    rows = [
        _frontier_row(lam, r, top)
        for (lam, _, top), r in zip(_FRONTIER_POINTS, results, strict=True)
    ]
    table = pd.DataFrame(rows)
    table.insert(0, "point", range(len(table)))
    table.insert(table.columns.get_loc("released_engagement_bn") + 1, "dominated", False)
    own = fixture_result("fixture")
    return Frontier(
        scenario="fixture",
        run_id=own.run_id,
        table=table,
        results=results,
        scenario_lambda=1.0,
        scenario_result=own,
        scenario_row=_frontier_row(1.0, own, "trade"),
        channel=channel,
    )
