"""The shipped layers in geodata/ validate and hold at least what the product promises."""

from __future__ import annotations

import pytest

from redeploy.layers import read_layers, sourced_share
from redeploy.schemas import REGIONS


@pytest.fixture(scope="module")
def shipped():
    return read_layers()


@pytest.mark.parametrize(
    ("kind", "minimum"),
    [
        ("fronts", 8),
        ("chokepoints", 20),
        ("mineral_zones", 20),
        ("supply_nodes", 25),
        ("peripheral_zones", 90),
        ("basemap", 170),
    ],
)
def test_shipped_counts(shipped, kind, minimum):
    assert len(shipped[kind]) >= minimum


def test_every_feature_says_where_its_figures_come_from(shipped):
    for kind, gdf in shipped.items():
        assert gdf["source"].str.len().min() > 5, kind
        assert set(gdf["confidence"]) <= {"sourced", "estimate"}, kind
        estimates = gdf[gdf["confidence"] == "estimate"]
        if kind != "basemap":
            # An estimate says how it was made.
            assert estimates["notes"].fillna("").str.len().min() > 5 if len(estimates) else True


def test_some_figures_are_sourced(shipped):
    for kind in ("fronts", "chokepoints", "mineral_zones", "supply_nodes", "peripheral_zones"):
        assert sourced_share(shipped[kind]) > 0, kind


def test_peripheral_zones_cover_every_region(shipped):
    zones = shipped["peripheral_zones"]
    assert set(zones["region"]) == set(REGIONS)
    must = {
        "IDN",
        "VNM",
        "PHL",
        "MYS",
        "TLS",
        "COD",
        "ZAF",
        "NGA",
        "ETH",
        "BRA",
        "ARG",
        "PER",
        "PAN",
        "GTM",
        "CUB",
        "JAM",
        "GRD",
        "KNA",
        "SSD",
        "CPV",
        "STP",
        "COM",
        "SYC",
        "MUS",
    }
    assert must <= set(zones["iso3"])
    assert zones["iso3"].is_unique


def test_basemap_is_split_at_the_antimeridian(shipped):
    base = shipped["basemap"]
    assert base.geometry.is_valid.all()
    # No polygon of Russia or Fiji may span most of the globe (a stitched polygon does).
    for iso in ("RUS", "FJI"):
        geom = base.loc[base["iso3"] == iso].geometry.iloc[0]
        parts = getattr(geom, "geoms", [geom])
        assert max(p.bounds[2] - p.bounds[0] for p in parts) < 180, iso


def test_drug_transit_zones_are_the_listed_countries_and_cite_the_list(shipped):
    """`drug_transit` holds exactly the peripheral zones on the FY2025/FY2026 list of major
    drug-transit or drug-producing countries, and each listed zone cites the determination."""
    zones = shipped["peripheral_zones"]
    listed = zones[zones["drug_transit"].astype(bool)]
    assert set(listed["iso3"]) == {
        "BHS", "BLZ", "BOL", "COL", "CRI", "DOM", "ECU", "GTM", "HND",
        "HTI", "JAM", "LAO", "MMR", "NIC", "PAN", "PER", "SLV", "VEN",
    }  # fmt: skip
    assert listed["source"].str.contains("89 FR 77761", regex=False).all()
    assert (listed["source_year"] >= 2025).all()
    assert not zones.loc[zones["iso3"] == "CUB", "drug_transit"].astype(bool).any()
