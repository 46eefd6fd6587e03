"""Build the shipped layers in geodata/ from ../shared/reference-data and the basemap.

Usage (from the repository root)::

    python tools/build_basemap.py        # once: geodata/basemap.geojson
    python tools/build_geodata.py        # fronts, chokepoints, mineral_zones,
                                         # supply_nodes, peripheral_zones, sites,
                                         # posture, ESTIMATES.md
    python tools/build_geodata.py --reference DIR --out DIR

Every figure read from the reference data keeps its source. Every figure that is not in
the reference data is an estimate or an assumption: the tables below hold them, each
feature's ``notes`` says which of its figures are estimates and how they were made, and
geodata/SOURCES.md documents every rule. A feature is ``sourced`` only when the figures
its key values are computed from were marked verified in the reference data.
Model parameters (service mix, floors, substitutability, threat level, absorptive
capacities, criticality) are assumptions for every feature; they are listed in notes but
do not by themselves make a feature an estimate (otherwise every feature would be one).

The output is deterministic: rows sorted by id, fixed rounding, byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import statistics
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pycountry
import shapely
import shapely.ops
from pyproj import Geod
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grounding as gr
from geojson_io import write_feature_collection
from layer_columns import (
    FRONT_EXTRA_COLUMNS,
    POSTURE_COLUMNS,
    SITES_COLUMNS,
    ZONE_EXTRA_COLUMNS,
)

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from redeploy.schemas import SCHEMAS, LayerKind  # noqa: E402

DEFAULT_REFERENCE = REPO.parent / "shared" / "reference-data"
#: U.S. trade shares of the fronts' hosts, extracted from IMF DOTS by extract_dots_trade.py.
FRONT_TRADE_CSV = Path(__file__).resolve().parent / "data" / "front_hosts_us_trade_dots.csv"
#: The model's reference year (DESIGN.md section 5); used as source_year of assumptions.
REFERENCE_YEAR = 2024
NE_SOURCE = (
    "Natural Earth 1:50m admin-0 countries v4.1 via npm world-atlas@2 (public "
    "domain), https://www.naturalearthdata.com/downloads/50m-cultural-vectors/"
)
SEE = "see geodata/SOURCES.md"
ASSUMPTIONS_SOURCE = (
    "redeploy geodata/SOURCES.md (assumption tables and formulas of this "
    "layer, 2024 reference year)"
)


# --------------------------------------------------------------------------------------
# Reading the reference data
# --------------------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    """Return the rows of a reference CSV as dicts of stripped strings."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def by_key(rows: Iterable[dict[str, str]], key: str) -> dict[str, dict[str, str]]:
    """Index `rows` by column `key` (last row wins)."""
    return {r[key]: r for r in rows}


def years_in(text: str) -> list[int]:
    """Return the four-digit years 1990-2039 found in `text`."""
    return [int(y) for y in re.findall(r"(?<!\d)(199\d|20[0-3]\d)(?!\d)", text)]


def is_verified(confidence: str) -> bool:
    """Return whether a reference confidence label starts with 'verified'."""
    return confidence.lower().startswith("verified")


#: Separator between the source strings of different reference rows in `source`.
SOURCE_SEP = " | "


def join_sources(*parts: str) -> str:
    """Join source strings with SOURCE_SEP, dropping empties and exact duplicates."""
    seen: list[str] = []
    for part in parts:
        for item in (p.strip() for p in part.split(SOURCE_SEP)):
            if item and item not in seen:
                seen.append(item)
    return SOURCE_SEP.join(seen)


def describe_source(text: str, file: str) -> str:
    """Return a reference row's source, spelling out the bare 'own knowledge' label."""
    if text.strip().lower() == "own knowledge":
        return (
            "own knowledge of the reference-data compiler (recalled, not checked), "
            f"shared/reference-data/{file}"
        )
    return text


@dataclass(frozen=True)
class Reference:
    """The reference CSVs this script reads."""

    fronts: dict[str, dict[str, str]]
    chokepoints: list[dict[str, str]]
    minerals: list[dict[str, str]]
    nodes: list[dict[str, str]]
    influence: dict[str, dict[str, str]]
    trade: dict[str, dict[str, str]]
    access: dict[str, dict[str, str]]
    macro: list[dict[str, str]]
    posture: list[dict[str, str]]
    peripheral_posture: list[dict[str, str]]
    arms: list[dict[str, str]]
    front_trade: dict[str, dict[str, str]]

    @classmethod
    def load(cls, folder: Path) -> Reference:
        """Read every CSV of `folder` (and its coefficients/ subfolder)."""
        coef = folder / "coefficients"
        return cls(
            fronts=by_key(read_csv(folder / "fronts.csv"), "id"),
            chokepoints=read_csv(folder / "chokepoints.csv"),
            minerals=read_csv(folder / "mineral_zones.csv"),
            nodes=read_csv(folder / "supply_nodes.csv"),
            influence=by_key(read_csv(folder / "peripheral_influence.csv"), "iso3"),
            trade=by_key(read_csv(coef / "peripheral_trade.csv"), "iso3"),
            access=by_key(read_csv(coef / "access_agreements.csv"), "iso3"),
            macro=read_csv(coef / "ally_macro.csv"),
            posture=read_csv(coef / "us_posture.csv"),
            peripheral_posture=read_csv(folder / "calibration" / "peripheral_posture.csv"),
            arms=read_csv(folder / "calibration" / "us_arms_share.csv"),
            front_trade=by_key(read_csv(FRONT_TRADE_CSV), "iso3"),
        )

    def macro_row(self, iso3: str, indicator: str) -> dict[str, str] | None:
        """Return the ally_macro row for (iso3, indicator) with a value, or None."""
        for row in self.macro:
            if row["iso3"] == iso3 and row["indicator"] == indicator and row["value"]:
                return row
        return None

    def posture_row(self, iso3: str, date_prefix: str) -> dict[str, str]:
        """Return the us_posture row for `iso3` whose date starts with `date_prefix`."""
        for row in self.posture:
            if row["place_iso3"] == iso3 and row["date"].startswith(date_prefix):
                return row
        msg = f"us_posture.csv: no row for {iso3} dated {date_prefix}"
        raise KeyError(msg)


# --------------------------------------------------------------------------------------
# Fronts
# --------------------------------------------------------------------------------------

#: Exchange rates (2024 annual averages, recalled from Federal Reserve H.10 / Bank of
#: Korea series; ASSUMPTION) used to convert host-nation support to US dollars.
JPY_PER_USD = 151.4
KRW_PER_USD = 1364.0
#: Share of U.S. personnel in Japan (DMDC total) counted on the Okinawa/Southwest front.
#: ESTIMATE: Okinawa Prefecture has reported roughly half of U.S. forces in Japan (about
#: 26,000 in 2011, recalled). Japan's GDP and host-nation support are split the same way
#: so that Japan's GDP is counted once across the two Japan fronts.
OKINAWA_SHARE = 0.5


@dataclass(frozen=True)
class FrontSpec:
    """Figures and assumptions of one front that are not columns of fronts.csv."""

    personnel: int
    personnel_note: str
    personnel_sourced: bool
    personnel_source: str
    theater: str
    mix: tuple[float, float, float, float]  # naval, air, ground, isr shares of personnel
    mix_note: str
    engagement: float  # $bn/yr, ASSUMPTION
    threat: int  # 1-5, ASSUMPTION
    capability: float  # ally capability factor on substitutability, ASSUMPTION
    floor_naval: float = 0.25
    floor_air: float = 0.25
    floor_ground: float = 0.2
    floor_isr: float = 0.85
    floor_engagement: float = 0.2
    floor_note: str = ""


#: U.S. personnel and model assumptions per front (see SOURCES.md, "fronts").
FRONT_SPECS: dict[str, FrontSpec] = {
    "nato_east_poland": FrontSpec(
        8000,
        "~8,000 U.S. troops, mostly rotational (Stars and Stripes, Oct 2025)",
        True,
        "",
        "Europe",
        (0.03, 0.12, 0.80, 0.05),
        "Army armored/division HQ rotations ~80%, Air Force (incl. MQ-9 at Miroslawiec) ~12%, "
        "Navy (Aegis Ashore Redzikowo) ~3%, ISR ~5%",
        0.25,
        4,
        1.0,
        floor_naval=0.5,
        floor_note="naval floor 50% (Aegis Ashore ballistic-missile-defence site)",
    ),
    "nato_east_baltics": FrontSpec(
        2000,
        "ESTIMATE: ~2,000 rotational U.S. troops across EST/LVA/LTU (battalion-size "
        "rotation in Lithuania plus smaller Army/SOF/air detachments; no figure in reference "
        "data, recalled order of magnitude)",
        False,
        "",
        "Europe",
        (0.02, 0.18, 0.72, 0.08),
        "Army rotations ~72%, air (Baltic Air Policing, Amari/Lielvarde) ~18%, ISR ~8%, naval ~2%",
        0.20,
        5,
        1.0,
    ),
    "nato_east_romania": FrontSpec(
        1000,
        "~1,000 remaining after the rotational brigade left (Romanian MoD, 2025)",
        True,
        "",
        "Europe",
        (0.15, 0.35, 0.40, 0.10),
        "Army at Mihail Kogalniceanu ~40%, Air Force (MK, Campia Turzii) ~35%, Navy "
        "(Aegis Ashore Deveselu) ~15%, ISR ~10%",
        0.05,
        3,
        1.0,
        floor_naval=0.5,
        floor_note="naval floor 50% (Aegis Ashore ballistic-missile-defence site)",
    ),
    "germany_rear_hub": FrontSpec(
        37009,
        "37,009 permanently assigned active duty (DMDC, 31 Mar 2026; excludes rotational forces)",
        True,
        "DEU:2026-03",
        "Europe",
        (0.02, 0.33, 0.57, 0.08),
        "Army (USAREUR-AF HQ, 2nd Cavalry, Landstuhl) ~57%, Air Force (Ramstein, "
        "Spangdahlem) ~33%, ISR (DCGS, EUCOM/AFRICOM intelligence) ~8%, Navy ~2%",
        0.02,
        2,
        1.0,
        floor_air=0.5,
        floor_ground=0.35,
        floor_note="air floor 50% (NATO nuclear-sharing support and theatre air C2 at "
        "Ramstein); ground floor 35% (EUCOM/AFRICOM HQs, Landstuhl)",
    ),
    "korea": FrontSpec(
        28500,
        "28,500 official USFK strength incl. rotational units (Korea Times, Oct 2024); "
        "DMDC 31 Mar 2026 counts 23,372 permanently assigned",
        True,
        "KOR:2024-10",
        "East Asia",
        (0.02, 0.28, 0.63, 0.07),
        "Eighth Army ~63%, Seventh Air Force (Osan, Kunsan) ~28%, ISR (U-2, RC-12, "
        "signals) ~7%, Navy/Marines ~2%",
        0.01,
        5,
        1.0,
        floor_air=0.5,
        floor_ground=0.5,
        floor_note="air floor 50% (extended deterrence, Osan/Kunsan); ground floor 50% "
        "(Combined Forces Command, armistice role; NDAA has barred cuts below 28,500, "
        "recalled)",
    ),
    "japan_mainland": FrontSpec(
        0,
        "ESTIMATE: 50% of 54,891 permanently assigned in Japan (DMDC, 31 Mar 2026); "
        "the other 50% is on the Okinawa front",
        False,
        "JPN:2026-03",
        "East Asia",
        (0.55, 0.25, 0.12, 0.08),
        "Navy/7th Fleet (Yokosuka carrier, Sasebo) ~55%, Air Force (Yokota, Misawa) and "
        "Marine air (Iwakuni) ~25%, Army (Zama) and Marines ~12%, ISR ~8%",
        0.01,
        3,
        1.0,
        floor_naval=0.6,
        floor_air=0.5,
        floor_note="naval floor 60% (forward-deployed carrier USS George Washington at "
        "Yokosuka, 7th Fleet HQ); air floor 50% (extended deterrence, Yokota/Misawa)",
    ),
    "japan_okinawa_southwest": FrontSpec(
        0,
        "ESTIMATE: 50% of 54,891 permanently assigned in Japan (DMDC, 31 Mar 2026); the "
        "reference has no Okinawa-specific count",
        False,
        "JPN:2026-03",
        "East Asia",
        (0.08, 0.27, 0.58, 0.07),
        "III MEF Marines and Army (Torii, Patriot) ~58%, Air Force (Kadena 18th Wing) ~27%, "
        "Navy ~8%, ISR (RC-135, E-3, drones at Kadena) ~7%",
        0.005,
        4,
        1.0,
        floor_air=0.5,
        floor_note="air floor 50% (Kadena: extended deterrence and regional air superiority)",
    ),
    "taiwan": FrontSpec(
        500,
        "~500 U.S. defense trainers (congressional testimony, May 2025); DoD public "
        "data listed 41 in 2023",
        True,
        "",
        "East Asia",
        (0.10, 0.10, 0.75, 0.05),
        "trainers assumed mostly Army/SOF/Marine (75%); naval 10%, air 10%, ISR 5%",
        0.30,
        5,
        0.8,
        floor_engagement=0.5,
        floor_note="engagement floor 50% (Taiwan Relations Act commitments)",
    ),
    "australia_north": FrontSpec(
        2306,
        "2,306 = ~2,000 MRF-D Marines in the 2024 rotation (MRF-D release) + 306 "
        "permanently assigned in Australia (DMDC, 31 Mar 2026)",
        True,
        "AUS:2026-03",
        "Indo-Pacific",
        (0.03, 0.12, 0.70, 0.15),
        "MRF-D ground combat and logistics ~70%, its aviation element ~12%, ISR (Pine Gap "
        "and related) ~15%, naval ~3%",
        0.01,
        2,
        1.0,
    ),
    "philippines_edca": FrontSpec(
        1000,
        "ESTIMATE: ~1,000 persistent U.S. personnel (JUSMAG, rotational forces at EDCA "
        "sites); no figure in reference data; exercise surges such as Balikatan not counted",
        False,
        "",
        "Indo-Pacific",
        (0.15, 0.15, 0.55, 0.15),
        "Army/Marine rotations ~55%, naval ~15%, air ~15%, ISR (maritime domain awareness) ~15%",
        0.15,
        4,
        0.8,
    ),
    "me_qatar": FrontSpec(
        10000,
        "~10,000 at Al Udeid incl. rotational (Al Jazeera, Jun 2025); DMDC 31 Mar "
        "2026 counts 179 permanently assigned",
        True,
        "QAT:2025-06",
        "Middle East",
        (0.0, 0.65, 0.20, 0.15),
        "Air Force (Al Udeid, CAOC) ~65%, Army (As Sayliyah) ~20%, ISR ~15%",
        0.005,
        4,
        0.6,
        floor_air=0.5,
        floor_note="air floor 50% (CENTCOM forward HQ and Combined Air Operations Center)",
    ),
    "me_bahrain": FrontSpec(
        9000,
        "~9,000 operational (note in the DMDC transcription, 2026); DMDC 31 Mar 2026 "
        "counts 3,151 permanently assigned",
        True,
        "BHR:2026-03",
        "Middle East",
        (0.80, 0.05, 0.08, 0.07),
        "Navy (NSA Bahrain, 5th Fleet/NAVCENT) ~80%, Marines/security ~8%, ISR ~7%, air ~5%",
        0.005,
        4,
        0.6,
        floor_naval=0.6,
        floor_note="naval floor 60% (5th Fleet HQ)",
    ),
    "me_kuwait": FrontSpec(
        13500,
        "~13,500 operational incl. rotational (note in the DMDC transcription, 2026; "
        "AALEP c. 2020 says ~13,000); DMDC 31 Mar 2026 counts 540 permanently assigned",
        True,
        "KWT:2026-03",
        "Middle East",
        (0.02, 0.12, 0.80, 0.06),
        "Army (Camp Arifjan, Camp Buehring; Spartan Shield) ~80%, Air Force (Ali Al Salem) "
        "~12%, ISR ~6%, naval ~2%",
        0.005,
        3,
        0.6,
    ),
}

#: Base substitutability per asset (ASSUMPTION): ground high, air medium, naval low, ISR
#: very low, engagement moderate. Multiplied by the front's ally capability factor.
SUBST_BASE = {"naval": 0.3, "air": 0.5, "ground": 0.8, "isr": 0.1, "engagement": 0.5}

GULF_SOURCE = (
    "Gulf GDP and defence % of GDP: recalled orders of magnitude of World Bank 2023 GDP and "
    "SIPRI military expenditure (not in the reference data; estimates), "
    "https://data.worldbank.org/indicator/NY.GDP.MKTP.CD ; https://www.sipri.org/databases/milex"
)
#: GDP, defense spending and HNS of hosts that the reference data lacks (ESTIMATES,
#: recalled, not checked): World Bank 2023 GDP and SIPRI-like % of GDP.
GULF_MACRO = {
    "QAT": (
        213.0,
        4.5,
        "GDP ~US$213bn (World Bank 2023, recalled); defence ~4.5% of GDP "
        "(assumption: SIPRI publishes no Qatar series)",
    ),
    "BHR": (
        45.0,
        3.1,
        "GDP ~US$45bn (World Bank/IMF 2023, recalled); defence ~3.1% of GDP "
        "(SIPRI order of magnitude, recalled)",
    ),
    "KWT": (
        162.0,
        4.8,
        "GDP ~US$162bn (World Bank 2023, recalled); defence ~4.8% of GDP "
        "(SIPRI order of magnitude, recalled)",
    ),
}


def _gdp(ref: Reference, iso3: str) -> tuple[float, str, int, bool]:
    """Return (GDP $bn, basis, year, sourced): IMF 2024 projection, else World Bank 2023."""
    for indicator, label in (
        ("gdp_nominal_projection", "IMF WEO Apr-2024 projection for 2024"),
        ("gdp_nominal", "World Bank 2023"),
    ):
        row = ref.macro_row(iso3, indicator)
        if row:
            return (
                float(row["value"]),
                f"{iso3} {row['value']} ({label})",
                int(row["year"]),
                is_verified(row["confidence"]),
            )
    if iso3 in GULF_MACRO:
        gdp, _, note = GULF_MACRO[iso3]
        return gdp, f"{iso3} ESTIMATE: {note}", 2023, False
    msg = f"no GDP for {iso3}"
    raise KeyError(msg)


def _defense_pct(ref: Reference, iso3: str) -> tuple[float, str, bool]:
    """Return (% GDP, basis, sourced): NATO 2024 report figure, else SIPRI 2024."""
    for indicator, label in (
        ("defence_spending_pct_gdp_nato", "NATO 2024"),
        ("military_expenditure_pct_gdp_sipri", "SIPRI 2024"),
    ):
        row = ref.macro_row(iso3, indicator)
        if row and row["year"] == "2024":
            return (
                float(row["value"]),
                f"{iso3} {row['value']} ({label})",
                is_verified(row["confidence"]),
            )
    if iso3 in GULF_MACRO:
        return GULF_MACRO[iso3][1], f"{iso3} {GULF_MACRO[iso3][1]} (ESTIMATE)", False
    msg = f"no defence % GDP for {iso3}"
    raise KeyError(msg)


def _macro_sources(ref: Reference, iso3s: list[str]) -> list[str]:
    """Return the sources of the GDP and defence-% rows that `_gdp`/`_defense_pct` use."""
    out = []
    for iso3 in iso3s:
        for indicators in (
            ("gdp_nominal_projection", "gdp_nominal"),
            ("defence_spending_pct_gdp_nato", "military_expenditure_pct_gdp_sipri"),
        ):
            rows = [ref.macro_row(iso3, i) for i in indicators]
            used = next((r for r in rows if r and r["year"] in ("2023", "2024")), None)
            if used:
                out.append(used["source"])
        if iso3 in GULF_MACRO:
            out.append(GULF_SOURCE)
    return out


def _hns(ref: Reference, front_id: str) -> tuple[float, str, list[str], int | None]:
    """Return (HNS $bn/yr, note, sources, year) for the front; 0 where none is known."""
    if front_id.startswith("japan_"):
        row = ref.macro_row("JPN", "host_nation_support_sma_total")
        yearly_jpy_bn = float(row["value"]) / 5
        share = OKINAWA_SHARE if front_id == "japan_okinawa_southwest" else 1 - OKINAWA_SHARE
        usd = yearly_jpy_bn / JPY_PER_USD * share
        note = (
            f"HNS: SMA FY2022-26 JPY {row['value']}bn / 5 = JPY {yearly_jpy_bn:.1f}bn/yr "
            f"at JPY {JPY_PER_USD}/US$ (2024 average, assumption) = US$"
            f"{yearly_jpy_bn / JPY_PER_USD:.3f}bn, x {share:.0%} for this front"
        )
        return usd, note, [row["source"]], 2026
    if front_id == "korea":
        rows = [
            r
            for r in ref.macro
            if r["iso3"] == "KOR"
            and r["indicator"] == "host_nation_support_sma"
            and r["year"] == "2025"
        ]
        row = rows[0]
        usd = float(row["value"]) * 1000 / KRW_PER_USD
        note = (
            f"HNS: KRW {row['value']} trn (2025, last year of the 11th SMA) at KRW "
            f"{KRW_PER_USD:.0f}/US$ (2024 average, assumption)"
        )
        return usd, note, [row["source"]], 2025
    if front_id == "me_qatar":
        return (
            0.0,
            (
                "HNS 0: no cost-sharing agreement known; Qatar's >US$1bn for building "
                "Al Udeid was a one-off investment, not counted"
            ),
            [],
            None,
        )
    return (
        0.0,
        "HNS 0: no cost-sharing (SMA-type) agreement known; in-kind support not counted",
        [],
        None,
    )


def _risk_columns(
    ref: Reference, fid: str, hosts: list[str]
) -> tuple[dict[str, Any], list[str], list[str], list[str], list[int]]:
    """Return (columns, notes, estimate register, sources, years) of the risk channels."""
    spec = gr.RISK_SPECS[fid]
    notes, register, sources, years = [], [], [], []
    sharing = sorted(set(hosts) & gr.NUCLEAR_SHARING_HOSTS)
    notes.append(
        "nuclear_sharing: "
        + (
            f"{'/'.join(sharing)} named by the FAF paper among NATO nuclear-sharing states"
            if sharing
            else "no host among the NATO nuclear-sharing states named by the FAF paper "
            "(BEL, DEU, ITA, NLD, TUR)"
        )
    )
    notes.append(
        f"proliferation_latency {spec.latency} (ASSUMPTION: {spec.latency_note}; "
        "rule in SOURCES.md)"
    )
    notes.append(f"integration {spec.integration} (ASSUMPTION: {spec.integration_note})")
    # --- SIPRI U.S. share of arms imports
    arms = None
    for importer, (period, isos) in gr.ARMS_ROWS.items():
        if set(hosts) <= isos:
            row = next(r for r in ref.arms if r["importer"] == importer and r["period"] == period)
            arms = float(row["us_share_pct"])
            label = f"us_arms_share_pct {arms:g}: SIPRI {period}, {importer}"
            if importer.startswith("European"):
                label += " (aggregate applied to each host)"
            notes.append(label)
            sources.append(row["source"])
            years.append(int(period[:2] + period[-2:]))
            if not is_verified(row["confidence"]):
                register.append(label)
    if arms is None:
        arms = spec.arms_estimate
        register.append(f"us_arms_share_pct {arms:g} ({spec.arms_note.removeprefix('ESTIMATE: ')})")
        notes.append(spec.arms_note)
    # --- U.S. share of goods trade (IMF DOTS 2020; trade-weighted over hosts)
    trade_rows = [ref.front_trade.get(h) for h in hosts]
    if all(trade_rows):
        num = sum(
            float(r["us_trade_share_pct"]) * float(r["total_trade_usd_bn"]) for r in trade_rows
        )
        den = sum(float(r["total_trade_usd_bn"]) for r in trade_rows)
        trade = num / den
        notes.append(
            f"us_trade_share_pct {trade:.2f}: IMF DOTS 2020 (mirror imports), computed by "
            "tools/extract_dots_trade.py"
            + (" and weighted by total trade over the hosts" if len(hosts) > 1 else "")
            + " ("
            + ", ".join(
                f"{r['iso3']} {r['us_trade_share_pct']}% of US${r['total_trade_usd_bn']}bn"
                for r in trade_rows
            )
            + "; 2019: "
            + ", ".join(f"{r['iso3']} {r['us_trade_share_pct_2019']}%" for r in trade_rows)
            + ")"
        )
        sources.append(trade_rows[0]["source"])
        years.append(2020)
    else:
        trade = spec.trade_estimate
        register.append(
            f"us_trade_share_pct {trade:g} ({spec.trade_note.removeprefix('ESTIMATE: ')})"
        )
        notes.append(spec.trade_note)
    cols = {
        "nuclear_sharing": bool(sharing),
        "proliferation_latency": spec.latency,
        "us_arms_share_pct": arms,
        "us_trade_share_pct": round(trade, 2),
        "integration": spec.integration,
    }
    return cols, notes, register, sources, years


def build_fronts(ref: Reference) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """Return the fronts layer as ``(properties, geometry)`` pairs."""
    if set(FRONT_SPECS) != set(ref.fronts):
        msg = f"fronts.csv ids {sorted(ref.fronts)} != FRONT_SPECS {sorted(FRONT_SPECS)}"
        raise ValueError(msg)
    japan_total = int(ref.posture_row("JPN", "2026-03")["personnel"])
    okinawa = round(japan_total * OKINAWA_SHARE)
    out = []
    for fid, spec in FRONT_SPECS.items():
        row = ref.fronts[fid]
        hosts = row["host_countries_iso3"].split(";")
        personnel = spec.personnel
        if fid == "japan_okinawa_southwest":
            personnel = okinawa
        elif fid == "japan_mainland":
            personnel = japan_total - okinawa
        sources = [describe_source(row["source"], "fronts.csv")]
        years = []
        if spec.personnel_source:
            iso3, date = spec.personnel_source.split(":")
            prow = ref.posture_row(iso3, date)
            sources.append(prow["source"])
            years += years_in(prow["date"])
        years += years_in(row["us_troops_date"])
        # GDP and defence % (GDP-weighted over hosts)
        gdp_parts = [_gdp(ref, h) for h in hosts]
        gdp = sum(g[0] for g in gdp_parts)
        pct_parts = [_defense_pct(ref, h) for h in hosts]
        pct = sum(p[0] * g[0] for p, g in zip(pct_parts, gdp_parts, strict=True)) / gdp
        gdp_note = "GDP: " + ", ".join(g[1] for g in gdp_parts)
        pct_note = "defence % GDP: " + ", ".join(p[1] for p in pct_parts)
        if len(hosts) > 1:
            pct_note += " (GDP-weighted)"
        if fid.startswith("japan_"):
            share = OKINAWA_SHARE if fid == "japan_okinawa_southwest" else 1 - OKINAWA_SHARE
            gdp *= share
            gdp_note += (
                f" x {share:.0%} (ESTIMATE: Japan's GDP split between the two Japan "
                "fronts in proportion to U.S. personnel, so it is counted once)"
            )
        sources += _macro_sources(ref, hosts)
        years += [g[2] for g in gdp_parts] + [REFERENCE_YEAR]  # defence % is for 2024
        hns, hns_note, hns_sources, hns_year = _hns(ref, fid)
        sources += hns_sources
        if hns_year:
            years.append(hns_year)
        macro_sourced = all(g[3] for g in gdp_parts) and all(p[2] for p in pct_parts)
        split_estimate = fid.startswith("japan_")
        sourced = spec.personnel_sourced and macro_sourced and not split_estimate
        props: dict[str, Any] = {
            "id": fid,
            "name": row["name"],
            "host_iso3": ";".join(hosts),
            "adversaries": row["main_adversary"],
            "theater": spec.theater,
            "us_personnel": int(personnel),
        }
        kpe = personnel / 1000
        for asset, share in zip(("naval", "air", "ground", "isr"), spec.mix, strict=True):
            props[f"us_{asset}"] = round(kpe * share, 3)
        props["us_engagement"] = spec.engagement
        floors = {
            "naval": spec.floor_naval,
            "air": spec.floor_air,
            "ground": spec.floor_ground,
            "isr": spec.floor_isr,
            "engagement": spec.floor_engagement,
        }
        for asset, share in floors.items():
            props[f"floor_{asset}"] = round(props[f"us_{asset}"] * share, 4)
        for asset, base in SUBST_BASE.items():
            props[f"subst_{asset}"] = round(base * spec.capability, 3)
        props["gdp_usd_bn"] = round(gdp, 2)
        props["defense_pct_gdp"] = round(pct, 3)
        props["hns_usd_bn"] = round(hns, 4)
        props["threat_level"] = spec.threat
        estimates, register = [], []
        if not spec.personnel_sourced or split_estimate:
            estimates.append("us_personnel")
            register.append(f"us_personnel: {spec.personnel_note}")
        if not macro_sourced:
            estimates += ["gdp_usd_bn", "defense_pct_gdp"]
            register += [gdp_note, pct_note]
        elif split_estimate:
            estimates.append("gdp_usd_bn (split)")
            register.append(gdp_note)
        if split_estimate:
            estimates.append("hns_usd_bn (split)")
            register.append(hns_note)
        risk, risk_notes, risk_register, risk_sources, risk_years = _risk_columns(ref, fid, hosts)
        props.update(risk)
        sources += risk_sources
        years += risk_years
        if risk_register:
            estimates += [r.split(" (")[0].split(" ")[0] for r in risk_register]
            register += risk_register
            sourced = False
        notes = [
            f"personnel: {spec.personnel_note}",
            f"service mix (ASSUMPTION): {spec.mix_note}; kpe = personnel/1000 x share",
            f"us_engagement US${spec.engagement}bn/yr: ASSUMPTION (order of magnitude of "
            "FMF/security-cooperation money for this front)",
            "floors (ASSUMPTION): "
            + (spec.floor_note + "; " if spec.floor_note else "")
            + "default shares naval 25%, air 25%, ground 20%, ISR 85%, engagement 20%",
            f"subst (ASSUMPTION): base naval 0.3, air 0.5, ground 0.8, ISR 0.1, engagement "
            f"0.5 x ally capability factor {spec.capability}",
            gdp_note,
            pct_note,
            hns_note,
            f"threat_level {spec.threat}: ASSUMPTION",
            *risk_notes,
        ]
        if estimates:
            notes.insert(0, "ESTIMATES: " + ", ".join(estimates))
        if row["notes"]:
            notes.append(row["notes"])
        props.update(
            {
                "source": join_sources(*sources),
                "source_year": max(years) if years else REFERENCE_YEAR,
                "confidence": "sourced" if sourced else "estimate",
                "notes": "; ".join(notes),
                "_estimates": register,
            }
        )
        out.append((props, Point(float(row["lon"]), float(row["lat"]))))
    return sorted(out, key=lambda f: f[0]["id"])


# --------------------------------------------------------------------------------------
# Chokepoints
# --------------------------------------------------------------------------------------

MALACCA_OIL_MBD = 23.7
MALACCA_TRADE_PCT = 27.9
#: Trade-value shares (% of world merchandise trade) read from trade_share_note.
TRADE_SHARES = {
    "malacca": (27.9, "Pratson 2023, 2019 data"),
    "suez": (16.6, "Pratson 2023, 2019 data"),
    "panama": (
        5.0,
        "MercoPress 2024: ~5% of world maritime commerce, used as a proxy for "
        "the share of world trade",
    ),
}
#: Importance where no oil-flow or trade-share figure is sourced (ESTIMATE), by tier:
#: 0.6 Taiwan Strait (nearly half the world container fleet passed in 2022, Bloomberg);
#: 0.5 Europe's trunk straits carrying Asia-Europe and transatlantic trade;
#: 0.3 principal bypasses of Malacca and Northeast Asian trunk straits;
#: 0.15 secondary trade straits; 0.1 naval (ASW) chokepoint; 0.05 polar/remote routes.
CHOKEPOINT_ESTIMATES = {
    "taiwan_strait": (
        0.6,
        "tier 0.6: nearly half of the global container fleet transited "
        "in Jan-Jul 2022 (Bloomberg), no value share",
    ),
    "gibraltar": (
        0.5,
        "tier 0.5: carries all Suez-Europe Atlantic traffic plus Mediterranean-Atlantic trade",
    ),
    "dover": (0.5, "tier 0.5: highest daily cargo tonnage of the IMF PortWatch chokepoints"),
    "luzon_strait": (
        0.3,
        "tier 0.3: Northeast Asia-Southeast Asia trunk route and Taiwan Strait bypass",
    ),
    "korea_strait": (0.3, "tier 0.3: Northeast Asian trunk strait (Busan, Japan Sea ports)"),
    "lombok": (0.3, "tier 0.3: deep-water Malacca bypass for VLCC/ULCC"),
    "makassar": (0.3, "tier 0.3: with Lombok the main Malacca bypass"),
    "sunda": (0.15, "tier 0.15: secondary strait, shallow for large tankers"),
    "mozambique_channel": (0.15, "tier 0.15: Cape route traffic along East Africa"),
    "windward": (0.15, "tier 0.15: U.S. Gulf/East Coast-Panama route"),
    "tsugaru": (0.15, "tier 0.15: secondary Japanese strait"),
    "giuk_gap": (0.1, "tier 0.1: naval (ASW) chokepoint, little trade value"),
    "bering": (0.05, "tier 0.05: Arctic route, small traffic"),
    "magellan": (0.05, "tier 0.05: remote route, small traffic"),
    "drake": (0.05, "tier 0.05: open-ocean route used when Panama is restricted"),
}


def build_chokepoints(ref: Reference) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """Return the chokepoints layer as ``(properties, geometry)`` pairs."""
    out = []
    for row in ref.chokepoints:
        cid = row["id"]
        oil = float(row["oil_flow_mbd"]) if row["oil_flow_mbd"] else None
        transits = (
            float(row["vessel_transits_per_year"]) if row["vessel_transits_per_year"] else None
        )
        trade, trade_note = TRADE_SHARES.get(cid, (None, ""))
        years = years_in(row["oil_flow_year"]) + years_in(row["vessel_transits_year"])
        notes, register = [], []
        if oil is not None or trade is not None:
            candidates = []
            if oil is not None:
                candidates.append(oil / MALACCA_OIL_MBD)
            if trade is not None:
                candidates.append(trade / MALACCA_TRADE_PCT)
                years.append(2019 if "2019" in trade_note else 2024)
                notes.append(f"trade share {trade}% ({trade_note})")
            importance = min(1.0, max(candidates))
            notes.insert(0, "importance = max(oil mb/d / 23.7, trade share % / 27.9), clipped to 1")
            sourced = is_verified(row["confidence"])
            if cid in CHOKEPOINT_ESTIMATES:
                msg = f"{cid}: both a sourced figure and an estimate"
                raise ValueError(msg)
        else:
            importance, why = CHOKEPOINT_ESTIMATES[cid]
            register.append(
                f"importance {importance} ({why}; no oil-flow or trade-value "
                f"figure in the reference data)"
            )
            notes.insert(0, f"ESTIMATE: {register[-1][:-1]}; {SEE})")
            sourced = False
            years += years_in(row["source"])
        if row["trade_share_note"] and cid not in TRADE_SHARES:
            notes.append(row["trade_share_note"])
        if row["notes"]:
            notes.append(row["notes"])
        if not years:
            notes.append(f"source_year {REFERENCE_YEAR}: reference year (source undated)")
        source = row["source"]
        source = describe_source(source, "chokepoints.csv")
        props = {
            "id": cid,
            "name": row["name"],
            "source": source,
            "source_year": max(years) if years else REFERENCE_YEAR,
            "confidence": "sourced" if sourced else "estimate",
            "notes": "; ".join(notes),
            "littoral_iso3": row["adjacent_countries"],
            "region": row["region"],
            "oil_flow_mbd": oil,
            "transits_per_year": transits,
            "trade_share_pct": trade,
            "importance": round(importance, 4),
            "_estimates": register,
        }
        out.append((props, Point(float(row["lon"]), float(row["lat"]))))
    return sorted(out, key=lambda f: f[0]["id"])


# --------------------------------------------------------------------------------------
# Mineral zones
# --------------------------------------------------------------------------------------

#: Criticality of each primary mineral for U.S. supply chains (ASSUMPTION, informed by the
#: USGS 2022 List of Critical Minerals: rare earths, cobalt, lithium, graphite, nickel,
#: platinum-group metals, niobium, manganese and aluminum/bauxite are on it; copper is not
#: on the 2022 list and was proposed for the 2025 update, recalled).
CRITICALITY = {
    "rare earths": 1.0,
    "cobalt": 0.9,
    "lithium": 0.9,
    "graphite": 0.85,
    "nickel": 0.8,
    "platinum": 0.8,
    "niobium": 0.7,
    "manganese": 0.7,
    "copper": 0.6,
    "bauxite": 0.5,
}


@dataclass(frozen=True)
class ShareSpec:
    """The primary mineral of a zone and its world production share."""

    mineral: str
    share: float
    year: int
    sourced: bool
    note: str = ""


#: Primary mineral and country-level share per zone, read from
#: world_production_share_pct / share_basis (sourced) or estimated where the reference
#: gives a recalled figure or none.
MINERAL_SHARES: dict[str, ShareSpec] = {
    "drc_copperbelt": ShareSpec("cobalt", 75.9, 2024, True),
    "zambia_copperbelt": ShareSpec("copper", 3.7, 2023, True),
    "chile_copper_north": ShareSpec("copper", 23.0, 2024, True),
    "peru_copper_south": ShareSpec("copper", 11.3, 2024, True),
    "lithium_chile_atacama": ShareSpec("lithium", 24.4, 2023, True),
    "lithium_argentina_puna": ShareSpec("lithium", 5.3, 2023, True),
    "lithium_bolivia_uyuni": ShareSpec(
        "lithium",
        0.3,
        2023,
        False,
        "ESTIMATE: share 0.3% = ~600 t (540-700 t in earlier years per the wikimili table) "
        "/ 180,000 t world 2023; reference calls it negligible",
    ),
    "lithium_wa": ShareSpec("lithium", 36.7, 2024, True),
    "indonesia_nickel_sulawesi": ShareSpec(
        "nickel",
        50.0,
        2023,
        True,
        "Indonesia's country-level nickel share is attached to this zone only",
    ),
    "indonesia_nickel_halmahera": ShareSpec(
        "cobalt",
        9.7,
        2024,
        True,
        "primary mineral cobalt: Indonesia's country-level cobalt share (28,000 of 290,000 t, "
        "2024, USGS MCS 2025 via databoks) is attached here (HPAL cobalt-nickel plants at "
        "Obi and Weda Bay) so that the Indonesian nickel share (on the Sulawesi zone) is not "
        "counted twice",
    ),
    "philippines_nickel_caraga": ShareSpec("nickel", 11.1, 2023, True),
    "guinea_boke_bauxite": ShareSpec(
        "bauxite",
        29.0,
        2024,
        False,
        "ESTIMATE: share ~29% recalled in the reference (USGS MCS 2025: ~130 of ~450 Mt), "
        "not verified",
    ),
    "zaf_bushveld_pgm": ShareSpec(
        "platinum",
        70.0,
        2024,
        True,
        "share ~70% rests on a weak secondary source (blog citing Statista/USGS); USGS 2021 "
        "data: Bushveld ~75% of world platinum",
    ),
    "zaf_kalahari_manganese": ShareSpec(
        "manganese",
        37.0,
        2024,
        False,
        "ESTIMATE: share ~37% recalled in the reference (7.4 of ~20 Mt, 2024), not verified",
    ),
    "gabon_moanda_manganese": ShareSpec(
        "manganese",
        23.0,
        2024,
        False,
        "ESTIMATE: share ~23% recalled in the reference (4.6 of ~20 Mt, 2024), not verified",
    ),
    "myanmar_kachin_ree": ShareSpec("rare earths", 7.9, 2024, True),
    "brazil_araxa_niobium": ShareSpec(
        "niobium",
        90.0,
        2024,
        False,
        "ESTIMATE: share ~90% of world niobium recalled in the reference (USGS), not verified",
    ),
    "brazil_ree_goias": ShareSpec("rare earths", 0.005, 2024, True),
    "zimbabwe_lithium": ShareSpec("lithium", 1.9, 2023, True),
    "drc_manono_lithium": ShareSpec(
        "lithium",
        0.0,
        2025,
        False,
        "ESTIMATE: share 0 because the deposit is pre-production (reference); the source "
        "for the KoBold agreement is weak",
    ),
    "madagascar_graphite": ShareSpec(
        "graphite",
        6.6,
        2023,
        False,
        "ESTIMATE: share 6.6% = 105.64 kt (ReportLinker, 2023) / ~1.6 Mt world graphite mine "
        "production 2023 (USGS MCS 2024, recalled)",
    ),
    "mozambique_balama_graphite": ShareSpec(
        "graphite",
        8.0,
        2023,
        False,
        "ESTIMATE: share 8.0% = 128.18 kt (ReportLinker, 2023) / ~1.6 Mt world graphite mine "
        "production 2023 (USGS MCS 2024, recalled)",
    ),
    "nigeria_jos_ree_tin": ShareSpec("rare earths", 3.3, 2024, True),
    "vietnam_ree_laichau": ShareSpec(
        "rare earths",
        0.08,
        2024,
        False,
        "ESTIMATE: share 0.08% = ~300 t (recalled in the reference) / 390,000 t world 2024",
    ),
}


def build_mineral_zones(ref: Reference) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """Return the mineral_zones layer as ``(properties, geometry)`` pairs."""
    ids = {r["id"] for r in ref.minerals}
    if ids != set(MINERAL_SHARES):
        diff = sorted(ids ^ set(MINERAL_SHARES))
        msg = f"mineral_zones.csv ids differ from MINERAL_SHARES: {diff}"
        raise ValueError(msg)
    sulawesi = next(r for r in ref.minerals if r["id"] == "indonesia_nickel_sulawesi")
    out = []
    for row in ref.minerals:
        spec = MINERAL_SHARES[row["id"]]
        notes = [spec.note] if spec.note else []
        notes.append(
            f"criticality {CRITICALITY[spec.mineral]} for {spec.mineral}: ASSUMPTION ({SEE})"
        )
        if row["share_basis"] and spec.sourced:
            notes.append(f"share basis: {row['share_basis']}")
        if row["other_notes"]:
            notes.append(row["other_notes"])
        notes.append("point = one district point (coordinates placed by hand)")
        source = row["source"]
        if row["id"] == "indonesia_nickel_halmahera":
            source = join_sources(source, sulawesi["source"])
        source = describe_source(source, "mineral_zones.csv")
        props = {
            "id": row["id"],
            "name": row["name"],
            "source": source,
            "source_year": spec.year,
            "confidence": "sourced" if spec.sourced else "estimate",
            "notes": "; ".join(notes),
            "iso3": row["country_iso3"],
            "minerals": row["minerals"],
            "primary_mineral": spec.mineral,
            "world_share_pct": spec.share,
            "criticality": CRITICALITY[spec.mineral],
            "competitor_stake": row["chinese_ownership_or_offtake"] or None,
            "_estimates": [] if spec.sourced else [spec.note.removeprefix("ESTIMATE: ")],
        }
        out.append((props, Point(float(row["lon"]), float(row["lat"]))))
    return sorted(out, key=lambda f: f[0]["id"])


# --------------------------------------------------------------------------------------
# Supply nodes
# --------------------------------------------------------------------------------------

SINGAPORE_TEU = 41_120_000
#: Reference kind -> schema kind. Ream is a naval base ("port (naval)") -> base.
NODE_KIND = {
    "port": "port",
    "fab": "fab",
    "fab (OSAT)": "fab",
    "corridor": "corridor",
    "cable": "cable",
    "port (naval)": "base",
}
#: Importance where no container throughput is sourced (ESTIMATE): default by kind ...
NODE_KIND_IMPORTANCE = {"port": 0.2, "base": 0.3, "fab": 0.5, "corridor": 0.3, "cable": 0.3}
#: ... with these per-node judgements (ESTIMATE).
NODE_IMPORTANCE = {
    "hsinchu": (
        1.0,
        "TSMC headquarters and leading-edge logic fabs: the most important fab cluster",
    ),
    "pyeongtaek": (0.6, "Samsung's largest memory/foundry campus"),
    "kumamoto": (0.3, "mature and specialty nodes (12-28 nm), fab 2 planned"),
    "penang": (0.4, "Malaysia holds ~13% of global chip assembly, test and packaging"),
    "djibouti": (0.4, "port on Bab el-Mandeb hosting U.S., Chinese and allied bases"),
    "balboa": (0.3, "Pacific entrance port of the Panama Canal"),
    "cristobal_colon": (0.3, "Atlantic entrance port of the Panama Canal"),
    "santos": (0.3, "largest Latin American container port (recalled)"),
    "chancay": (0.25, "new COSCO-controlled deep-water hub with direct Shanghai services"),
    "cable_marseille": (0.4, "major Europe-Asia/Africa cable landing hub"),
    "cable_fortaleza": (0.25, "South Atlantic cable hub"),
    "lamu": (0.1, "new port with little traffic (recalled)"),
    "imec": (0.2, "planned corridor at MoU stage"),
}
#: Numeric throughput read from metric / metric_value where it is a single figure.
NODE_THROUGHPUT = {
    "chancay": (1_000_000, "TEU/yr design capacity, phase 1 (plus 6 Mt bulk, 160,000 vehicles)"),
    "kyaukphyu": (4_900_000, "TEU/yr design capacity, planned (plus 7.8 Mt bulk)"),
    "lobito_port": (4.6, "Mt/yr rail corridor capacity target"),
    "penang": (13.0, "% of global chip assembly, test and packaging (Malaysia, 2024)"),
}


def build_supply_nodes(ref: Reference) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """Return the supply_nodes layer as ``(properties, geometry)`` pairs."""
    out = []
    for row in ref.nodes:
        nid = row["id"]
        kind = NODE_KIND[row["kind"]]
        iso3 = row["country_iso3"]
        notes, register = [], []
        if nid == "cable_guam":
            iso3 = "GUM"
            notes.append("iso3 GUM (Guam, U.S. territory; reference lists USA)")
        if row["kind"] != kind:
            notes.append(f"kind {row['kind']!r} in the reference mapped to {kind!r}")
        throughput, unit = None, None
        sourced = False
        if row["metric"] == "container throughput (TEU)":
            throughput = float(row["metric_value"])
            unit = f"TEU per year ({years_in(row['metric_year'])[0]})"
            importance = min(1.0, throughput / SINGAPORE_TEU)
            notes.insert(0, "importance = TEU / 41.12 M (Singapore 2024)")
            sourced = is_verified(row["confidence"])
            if nid in NODE_IMPORTANCE:
                msg = f"{nid}: sourced TEU and an importance estimate"
                raise ValueError(msg)
        else:
            if nid in NODE_THROUGHPUT:
                throughput, unit = NODE_THROUGHPUT[nid]
            if nid in NODE_IMPORTANCE:
                importance, why = NODE_IMPORTANCE[nid]
            else:
                importance = NODE_KIND_IMPORTANCE[kind]
                why = f"default for kind {kind!r}"
            register.append(f"importance {importance} ({why}; no sourced container throughput)")
            notes.insert(0, f"ESTIMATE: {register[-1][:-1]}; {SEE})")
        if row["metric"] and row["metric"] != "container throughput (TEU)":
            notes.append(f"{row['metric']}: {row['metric_value']} ({row['metric_year']})")
        years = years_in(row["metric_year"])
        if not years:
            years = years_in(row["source"])
        if not years:
            notes.append(f"source_year {REFERENCE_YEAR}: reference year (source undated)")
        source = row["source"]
        source = describe_source(source, "supply_nodes.csv")
        props = {
            "id": nid,
            "name": row["name"],
            "source": source,
            "source_year": max(years) if years else REFERENCE_YEAR,
            "confidence": "sourced" if sourced else "estimate",
            "notes": "; ".join(notes),
            "kind": kind,
            "iso3": iso3,
            "throughput": throughput,
            "throughput_unit": unit,
            "foreign_stakes": row["investment_notes"] or None,
            "importance": round(importance, 4),
            "_estimates": register,
        }
        out.append((props, Point(float(row["lon"]), float(row["lat"]))))
    return sorted(out, key=lambda f: f[0]["id"])


# --------------------------------------------------------------------------------------
# Peripheral zones
# --------------------------------------------------------------------------------------

REGION_MEMBERS: dict[str, tuple[str, ...]] = {
    "Southeast Asia": ("BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "TLS", "VNM"),
    # the 54 sovereign African UN members (all AU members) + Western Sahara (SADR, AU member)
    "Africa": (
        "DZA",
        "AGO",
        "BEN",
        "BWA",
        "BFA",
        "BDI",
        "CPV",
        "CMR",
        "CAF",
        "TCD",
        "COM",
        "COG",
        "COD",
        "CIV",
        "DJI",
        "EGY",
        "GNQ",
        "ERI",
        "SWZ",
        "ETH",
        "GAB",
        "GMB",
        "GHA",
        "GIN",
        "GNB",
        "KEN",
        "LSO",
        "LBR",
        "LBY",
        "MDG",
        "MWI",
        "MLI",
        "MRT",
        "MUS",
        "MAR",
        "MOZ",
        "NAM",
        "NER",
        "NGA",
        "RWA",
        "STP",
        "SEN",
        "SYC",
        "SLE",
        "SOM",
        "ZAF",
        "SSD",
        "SDN",
        "TZA",
        "TGO",
        "TUN",
        "UGA",
        "ZMB",
        "ZWE",
        "ESH",
    ),
    "South America": (
        "ARG",
        "BOL",
        "BRA",
        "CHL",
        "COL",
        "ECU",
        "GUY",
        "PRY",
        "PER",
        "SUR",
        "URY",
        "VEN",
    ),
    "Central America": ("BLZ", "CRI", "SLV", "GTM", "HND", "NIC", "PAN"),
    "Caribbean": (
        "ATG",
        "BHS",
        "BRB",
        "CUB",
        "DMA",
        "DOM",
        "GRD",
        "HTI",
        "JAM",
        "KNA",
        "LCA",
        "VCT",
        "TTO",
    ),
}
#: Basemap features merged into a zone: Somaliland is recognised as part of Somalia.
ZONE_EXTRA_FEATURES = {"SOM": ("ne_somaliland",)}
#: Landlocked zones (UN list of landlocked countries): naval absorptive capacity 0.
LANDLOCKED = frozenset(
    {
        "LAO",
        "BFA",
        "BDI",
        "CAF",
        "TCD",
        "ETH",
        "LSO",
        "MWI",
        "MLI",
        "NER",
        "RWA",
        "SSD",
        "SWZ",
        "UGA",
        "ZMB",
        "ZWE",
        "BWA",
        "BOL",
        "PRY",
    }
)

#: Security-tie scores (ASSUMPTION) by category.
TIE_SCORE = {
    "treaty ally/MNNA": 1.0,
    "base": 0.9,
    "DCA": 0.7,
    "SOFA": 0.7,
    "access": 0.5,
    "none": 0.2,
    "withdrawn": 0.0,
    "hostile": 0.0,
}
#: Treaty allies and Major Non-NATO Allies among the zones: iso3 -> (label, verified).
TREATY_MNNA = {
    "PHL": ("treaty ally (1951 MDT) and MNNA", True),  # MNNA verified in the reference
    "THA": ("treaty ally and MNNA (recalled)", False),
    "KEN": ("MNNA since May 2024", True),
    "BRA": ("MNNA", True),
    "ARG": ("MNNA (recalled)", False),
    "COL": ("MNNA 2022 (recalled)", False),
    "EGY": ("MNNA (recalled)", False),
    "MAR": ("MNNA (recalled)", False),
    "TUN": ("MNNA since 2015 (recalled; not in the reference data)", False),
}
#: Governments hostile to U.S. presence, under U.S. sanctions, or hosting Russian (Wagner/
#: Africa Corps) forces: tie 'hostile' and access 'none' (ASSUMPTION, recalled).
#: Cuba keeps 'limited' access for the Guantanamo Bay enclave, held against the host's will.
HOSTILE = frozenset({"MMR", "VEN", "NIC", "ERI", "MLI", "BFA", "CAF", "SDN", "LBY", "CUB"})
#: BRI score by status (ASSUMPTION) and BRI statuses of zones without a trade row
#: (recalled): all African states signed BRI MoUs except Eswatini (recognises Taiwan) and
#: Mauritius; Western Sahara is not a state (so any other African zone without a trade
#: row gets 'yes'). States recognising Taiwan are not members.
BRI_SCORE = {"yes": 1.0, "left": 0.3, "no": 0.0, "unknown": 0.5}
BRI_RECALLED = {
    "SWZ": "no",
    "MUS": "no",
    "ESH": "no",
    "CRI": "yes",
    "NIC": "yes",
    "HND": "yes",
    "SLV": "unknown",
    "GTM": "no",
    "BLZ": "no",
    "ATG": "yes",
    "BRB": "yes",
    "CUB": "yes",
    "DMA": "yes",
    "DOM": "yes",
    "GRD": "yes",
    "JAM": "yes",
    "TTO": "yes",
    "BHS": "unknown",
    "HTI": "no",
    "KNA": "no",
    "LCA": "no",
    "VCT": "no",
}
#: Zones whose BRI status is verified in the reference data.
BRI_VERIFIED = frozenset(
    {
        "IDN",
        "MMR",
        "ARG",
        "BOL",
        "BRA",
        "CHL",
        "COL",
        "ECU",
        "GUY",
        "PRY",
        "PER",
        "SUR",
        "URY",
        "VEN",
        "PAN",
        "COD",
        "BWA",
        "NER",
    }
)
#: Competitor military presence (adds 0.2 to competitor influence): PLA base in Djibouti and
#: China-funded Ream naval base (verified in the reference); Russian Wagner/Africa Corps
#: deployments (recalled).
COMPETITOR_PRESENCE = {
    "DJI": ("PLA support base (2017)", True),
    "KHM": ("China-funded Ream naval base", True),
    "CAF": ("Russian Wagner/Africa Corps (recalled)", False),
    "MLI": ("Russian Africa Corps (recalled)", False),
    "BFA": ("Russian Africa Corps (recalled)", False),
    "NER": ("Russian Africa Corps (recalled)", False),
    "LBY": ("Russian Africa Corps (recalled)", False),
}
#: Trade shares where the reference has no DOTS row and the region has no usable median
#: (ASSUMPTION): Central America and the Caribbean trade mostly with the U.S. (CAFTA-DR,
#: proximity); Cuba is under U.S. embargo.
TRADE_ASSUMED = {"default_americas": (35.0, 8.0), "CUB": (3.0, 12.0)}

US_SHARE_SAT = 30.0  # U.S. trade share giving the full trade term
CN_SHARE_SAT = 40.0  # Chinese trade share giving the full trade term
ENGAGEMENT_SHARE_OF_TRADE = 0.01
ENGAGEMENT_MIN, ENGAGEMENT_MAX = 0.05, 3.0
ENGAGEMENT_NO_DATA = 0.2  # $bn/yr, Americas zones without DOTS row (ASSUMPTION)
MICROSTATE_KM2 = 5_000.0  # below: engagement floor when trade is unknown

_GEOD = Geod(ellps="WGS84")


def _area_km2(geom: BaseGeometry) -> float:
    return abs(_GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def _total_trade(row: dict[str, str] | None) -> float | None:
    if not row:
        return None
    m = re.search(r"total trade 2020 = US\$([\d.]+)bn", row["notes"])
    return float(m.group(1)) if m else None


def _zone_name(iso3: str, ref: Reference) -> str:
    for table in (ref.trade, ref.influence):
        if iso3 in table and table[iso3]["name"]:
            return table[iso3]["name"]
    country = pycountry.countries.get(alpha_3=iso3)
    return getattr(country, "common_name", None) or country.name


# --------------------------------------------------------------------------------------
# Posture (observed U.S. presence) and sites (where U.S. forces can be hosted)
# --------------------------------------------------------------------------------------


def _short_cite(source: str) -> str:
    """Return the first publication of a reference `source` cell, without its address."""
    first = re.split(r"\s+https?://|\s+;\s+|\s+\|\s+", source)[0]
    first = re.sub(r"\s*\(index file id.*", "", first)
    return first[:90].rstrip(" ,;")


def _inside(iso3: str, point: Point, geoms: Mapping[str, BaseGeometry], what: str) -> None:
    if not geoms[iso3].contains(point):
        msg = f"{what}: point {point.x}, {point.y} is not inside zone {iso3.lower()}"
        raise ValueError(msg)


def build_posture(
    ref: Reference, geoms: Mapping[str, BaseGeometry]
) -> tuple[list[tuple[dict[str, Any], BaseGeometry]], list[tuple[str, str, str]]]:
    """Return the posture layer and the skipped reference rows (iso3, what, why)."""
    site_points = {s.id: (s.lon, s.lat) for s in gr.SITES}
    out, skipped = [], []
    for row in ref.peripheral_posture:
        iso3 = row["iso3"]
        if iso3 in gr.POSTURE_SKIP:
            skipped.append(
                (
                    iso3,
                    f"{row['country']}: {row['personnel']} ({row['kind']}, {row['date']})",
                    gr.POSTURE_SKIP[iso3],
                )
            )
            continue
        if iso3 not in geoms:
            msg = f"peripheral_posture.csv: {iso3} is neither a zone nor listed in POSTURE_SKIP"
            raise ValueError(msg)
        pid = gr.posture_id(row)
        kind = gr.POSTURE_KIND[row["kind"]]
        dmdc = gr._dmdc_shares(row["notes"])
        spec = gr.POSTURE_SPECS.get(pid)
        if spec is None:
            if kind != "permanent" or dmdc is None:
                msg = f"posture row {pid} needs a POSTURE_SPECS entry"
                raise KeyError(msg)
            spec = gr.PostureSpec(False, gr.SC_STAFF)
        personnel, parse_rule = gr.parse_personnel(row["personnel"], kind)
        shares = spec.shares if spec.shares is not None else dmdc
        if shares is None and not personnel:
            shares = (0.0, 0.0, 0.0, 0.0)  # nothing to split
        if shares is None:
            msg = f"posture row {pid}: no class split"
            raise ValueError(msg)
        kpe = (personnel or 0.0) / 1000 * spec.weeks / 52
        notes, register = [], []
        if parse_rule:
            notes.append(f"personnel: {parse_rule}")
        if spec.shares is None:
            notes.append(
                "class split = DMDC service split (Army and USMC -> ground, Navy and USCG -> "
                "naval, USAF -> air)"
            )
        elif spec.shares_note:
            notes.append(f"class split: {spec.shares_note}")
        if kind == "exercise":
            notes.append(f"weeks_per_year {spec.weeks:g}: {spec.weeks_note}")
            if not spec.weeks_sourced:
                register.append(f"weeks_per_year {spec.weeks:g} ({spec.weeks_note})")
        if personnel is None:
            register.append("no personnel figure in the source: kpe 0, does not count")
        notes.append(f"counts {str(spec.counts).lower()}: {spec.counts_note}")
        if spec.site_id:
            lon, lat = site_points[spec.site_id]
            notes.append(f"point at site {spec.site_id}")
        elif spec.point:
            lon, lat = spec.point
            notes.append(spec.point_note)
        else:
            lon, lat, town = gr.CAPITALS[iso3]
            notes.append(f"point at {town} (recalled placement)")
        point = Point(lon, lat)
        _inside(iso3, point, geoms, f"posture {pid}")
        notes.append(f"reference: {row['notes']}")
        sourced = is_verified(row["confidence"]) and not register
        if register:
            notes.insert(0, "ESTIMATES: " + "; ".join(register))
        years = years_in(row["date"]) or years_in(row["source"])
        props = {
            "id": pid,
            "name": f"{row['country']}: {row['main_site']}",
            "source": row["source"],
            "source_year": max(years) if years else REFERENCE_YEAR,
            "confidence": "sourced" if sourced else "estimate",
            "notes": "; ".join(notes),
            "iso3": iso3,
            "zone_id": iso3.lower(),
            "site_id": spec.site_id or None,
            "site": row["main_site"],
            "kind": kind,
            "date": row["date"],
            "personnel": personnel,
            "weeks_per_year": spec.weeks,
            "counts": spec.counts,
            **{f"kpe_{a}": round(kpe * sh, 4) for a, sh in zip(gr.MILITARY, shares, strict=True)},
            "_estimates": register,
            "_reference_confidence": row["confidence"],
        }
        out.append((props, point))
    ids = [p["id"] for p, _ in out]
    if len(ids) != len(set(ids)):
        msg = f"duplicate posture ids: {sorted(i for i in ids if ids.count(i) > 1)}"
        raise ValueError(msg)
    unknown = set(gr.POSTURE_SPECS) - set(ids)
    if unknown:
        msg = f"POSTURE_SPECS for rows not in the reference: {sorted(unknown)}"
        raise ValueError(msg)
    return sorted(out, key=lambda f: f[0]["id"]), skipped


def build_sites(
    ref: Reference,
    geoms: Mapping[str, BaseGeometry],
    posture: list[tuple[dict[str, Any], BaseGeometry]],
) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """Return the sites layer as ``(properties, geometry)`` pairs."""
    prows = {p["id"]: p for p, _ in posture}
    ref_rows = {gr.posture_id(r): r for r in ref.peripheral_posture if r["iso3"] in geoms}
    out = []
    for site in gr.SITES:
        notes, register, sources, years = [], [], [], []
        arow = ref.access.get(site.access_row) if site.access_row else None
        if arow:
            sources.append(describe_source(arow["source"], "coefficients/access_agreements.csv"))
            years += years_in(arow["status_year"]) or years_in(arow["since"])
            basis_verified = is_verified(arow["confidence"])
            if not basis_verified:
                register.append(f"agreement recalled in the reference ({arow['place']})")
        else:
            basis_verified = site.basis_sourced
            if site.basis_note:
                notes.append(f"basis: {site.basis_note}")
            if not basis_verified:
                register.append(f"site or agreement not in the reference data ({site.basis_note})")
        if arow and site.basis_note:
            notes.append(f"basis: {site.basis_note}")
            if not site.basis_sourced:
                register.append(site.basis_note)
        if site.basis_posture:
            basis_row = ref_rows[site.basis_posture]
            sources.append(basis_row["source"])
            years += years_in(basis_row["date"])
        std = gr.STANDARD_CAPACITY[site.kind]
        obs = [0.0, 0.0, 0.0, 0.0]
        for o in site.observed:
            for i, share in enumerate(o.shares):
                obs[i] += o.persons / 1000 * share
            if o.posture_id:
                ref_row = ref_rows[o.posture_id]
                sources.append(ref_row["source"])
                years += years_in(ref_row["date"])
                if not is_verified(ref_row["confidence"]):
                    register.append(f"observed figure recalled ({o.label})")
                if o.posture_id not in prows:
                    msg = f"site {site.id}: unknown posture row {o.posture_id}"
                    raise KeyError(msg)
            else:
                sources.append(o.source)
                if o.year:
                    years.append(o.year)
                if not is_verified(o.confidence):
                    register.append(f"observed figure recalled ({o.label})")
        if site.status == "withdrawn":
            caps = [0.0, 0.0, 0.0, 0.0]
            notes.insert(0, "withdrawn: capacity 0")
        else:
            caps, from_std = [], []
            for a, o_x, s_x in zip(gr.MILITARY, obs, std, strict=True):
                cap = max(gr.HEADROOM * o_x, s_x)
                caps.append(cap)
                if s_x > gr.HEADROOM * o_x:
                    from_std.append(a)
            if site.observed:
                notes.insert(
                    0,
                    f"cap = max({gr.HEADROOM} x observed, standard size of kind {site.kind}); "
                    "observed peak: "
                    + "; ".join(f"{o.label} = {o.persons:g}" for o in site.observed)
                    + " -> "
                    + "/".join(f"{x:.4f}" for x in obs)
                    + " kpe naval/air/ground/isr",
                )
            else:
                notes.insert(
                    0,
                    f"no U.S. presence at the site is sourced: standard size of kind "
                    f"{site.kind} (ASSUMPTION, SOURCES.md)",
                )
            if from_std and any(std):
                register.append(
                    "cap_" + "/".join(from_std) + f" = standard size of kind {site.kind} "
                    "(no sourced presence of that class at the site)"
                )
        notes += list(site.notes)
        since = gr.SITE_SINCE.get(site.id)
        if since is None:
            notes.append("since: not dated in the reference (counted as established)")
        else:
            notes.append(f"since {since[0]}: {since[1]}")
            if not since[2]:
                register.append(f"year in use since recalled ({since[0]})")
        notes.append(f"coordinates: {site.coord_note}")
        point = Point(site.lon, site.lat)
        _inside(site.iso3, point, geoms, f"site {site.id}")
        if register:
            notes.insert(0, "ESTIMATES: " + "; ".join(register))
        props = {
            "id": site.id,
            "name": site.name,
            "source": join_sources(*sources) or "redeploy geodata/SOURCES.md",
            "source_year": max(years) if years else REFERENCE_YEAR,
            "confidence": "sourced" if not register else "estimate",
            "notes": "; ".join(notes),
            "iso3": site.iso3,
            "zone_id": site.iso3.lower(),
            "kind": site.kind,
            "agreement": site.agreement,
            "access_kind": site.access_kind,
            "status": site.status,
            "since": since[0] if since else None,
            **{f"cap_{a}": round(c, 4) for a, c in zip(gr.MILITARY, caps, strict=True)},
            "_estimates": register,
            "_spec": site,
        }
        if not years:
            props["notes"] += f"; source_year {REFERENCE_YEAR}: reference year (no dated figure)"
        out.append((props, point))
    return sorted(out, key=lambda f: f[0]["id"])


def zone_access(
    iso3: str,
    ref: Reference,
    sites: list[tuple[dict[str, Any], BaseGeometry]],
    posture: list[tuple[dict[str, Any], BaseGeometry]],
) -> tuple[str, str, list[str], list[int], bool]:
    """Return (access, basis, sources, years, verified) of a zone, from evidence only.

    `full` where U.S. forces may be stationed or rotate at agreed locations (a site under a
    base, DCA, SOFA or MoU agreement, or an `access` site where U.S. forces stand); `limited`
    where only exercise, transit or crisis access exists; `none` otherwise. DMDC embassy
    and security-cooperation staff grant nothing.
    """
    rank = {"none": 0, "limited": 1, "full": 2}
    grants: list[tuple[str, str, bool]] = []  # (level, basis text, verified)
    sources: list[str] = []
    years: list[int] = []
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for props, _ in sites:
        if props["iso3"] == iso3 and props["status"] == "active":
            by_kind.setdefault(props["access_kind"], []).append(props)
    for kind, group in sorted(by_kind.items()):
        spec: gr.SiteSpec = group[0]["_spec"]
        if any(p["_spec"].grants for p in group):
            level = group[0]["_spec"].grants
        elif kind in gr.FULL_ACCESS_KINDS or any(p["_spec"].standing for p in group):
            level = "full"
        else:
            level = "limited"
        arow = ref.access.get(spec.access_row) if spec.access_row else None
        if arow:
            verified = is_verified(arow["confidence"])
            sources.append(describe_source(arow["source"], "coefficients/access_agreements.csv"))
            years.extend(years_in(arow["status_year"]) or years_in(arow["since"]))
        else:
            verified = spec.basis_sourced
        cite = gr.AGREEMENT_CITES[iso3]
        grants.append((level, f"{gr.BASIS_LABEL[iso3]} ({kind}), {cite}", verified))
    # standing U.S. forces (operational/rotational rows that count) and exercises
    for props, _ in posture:
        if props["iso3"] != iso3 or not props["counts"]:
            continue
        if props["kind"] in ("operational", "rotational"):
            level = "full"
        elif props["kind"] == "exercise":
            level = "limited"
        else:
            continue
        n = f"{props['personnel']:,.0f}" if props["personnel"] is not None else "?"
        verified = props["_reference_confidence"].lower().startswith("verified")
        cite = _short_cite(props["source"]).split(",")[0].split(" (")[0].split(' "')[0][:60]
        date = props["date"].replace(" (undated)", "")
        grants.append((level, f"{props['kind']} ~{n} U.S. personnel ({date}), {cite}", verified))
        sources.append(props["source"])
        years.extend(years_in(props["date"]))
    if iso3 in gr.AGREEMENT_ONLY_ACCESS and not grants:
        level, text = gr.AGREEMENT_ONLY_ACCESS[iso3]
        arow = ref.access[iso3]
        verified = is_verified(arow["confidence"])
        grants.append((level, f"{text} ({arow['kind']})", verified))
        sources.append(describe_source(arow["source"], "coefficients/access_agreements.csv"))
        years.extend(years_in(arow["status_year"]))
    if not grants:
        return "none", "", [], [], True
    best = max(rank[g[0]] for g in grants)
    level = next(k for k, v in rank.items() if v == best)
    top = [g for g in grants if rank[g[0]] == best]
    verified = any(g[2] for g in top)
    basis = "; ".join(g[1] for g in grants)
    return level, basis, sources, years, verified


#: `access_basis` of a zone with no basing access whose waters U.S. ships may use.
PORT_CALLS_BASIS = (
    "naval at-sea operations and port calls only: coastal, not hostile (freedom of "
    "navigation; port calls by diplomatic clearance, assumption); no basing"
)


def port_calls(iso3: str) -> tuple[bool, str]:
    """Return (port_calls, note): coastal and not hostile to the U.S., with exceptions."""
    if iso3 in gr.PORT_CALLS_EXCEPTIONS:
        value, why = gr.PORT_CALLS_EXCEPTIONS[iso3]
        return value, f"port_calls {str(value).lower()} ({why})"
    if iso3 in LANDLOCKED:
        return False, "port_calls false (landlocked)"
    if iso3 in HOSTILE:
        return False, "port_calls false (government hostile to the U.S., recalled list)"
    return True, "port_calls true (coastal, not hostile)"


def sea_naval(
    geom: BaseGeometry, calls: bool, chokepoints: list[tuple[dict[str, Any], BaseGeometry]]
) -> tuple[float, str]:
    """Return (sea_naval kpe, note): SEA_BASE x (1 + SEA_GAIN x nearest chokepoint weight)."""
    if not calls:
        return 0.0, "sea_naval 0 (no port calls)"
    best, best_id, best_km = 0.0, "", 0.0
    for props, point in chokepoints:
        if geom.contains(point):
            km = 0.0
        else:
            near = shapely.ops.nearest_points(geom, point)[0]
            km = _GEOD.inv(near.x, near.y, point.x, point.y)[2] / 1000
        weight = props["importance"] * max(0.0, 1 - km / gr.SEA_DECAY_KM)
        if weight > best or (weight == best and weight > 0 and props["id"] < best_id):
            best, best_id, best_km = weight, props["id"], km
    value = gr.SEA_BASE * (1 + gr.SEA_GAIN * best)
    why = (
        f"nearest weight {best:.3f} = importance of {best_id} x (1 - {best_km:,.0f} km / "
        f"{gr.SEA_DECAY_KM:,.0f} km)"
        if best_id
        else "no chokepoint within 1,000 km"
    )
    return value, (
        f"sea_naval = {gr.SEA_BASE} x (1 + {gr.SEA_GAIN:g} x {best:.3f}) = {value:.3f} kpe "
        f"(ASSUMPTION; {why})"
    )


def zone_geometries(basemap: gpd.GeoDataFrame) -> dict[str, BaseGeometry]:
    """Return {iso3: geometry} of every peripheral zone (basemap features, Somaliland merged)."""
    region_of = {iso: region for region, isos in REGION_MEMBERS.items() for iso in isos}
    geoms = {}
    for iso3 in region_of:
        parts = basemap[basemap["iso3"] == iso3]
        if len(parts) != 1:
            msg = f"basemap has {len(parts)} features with iso3 {iso3}"
            raise ValueError(msg)
        geom = parts.geometry.iloc[0]
        extra = ZONE_EXTRA_FEATURES.get(iso3, ())
        if extra:
            more = basemap[basemap["id"].isin(extra)].geometry.tolist()
            geom = shapely.union_all([geom, *more], grid_size=1e-4)
        geoms[iso3] = geom
    return geoms


def build_peripheral_zones(
    ref: Reference,
    geoms: Mapping[str, BaseGeometry],
    sites: list[tuple[dict[str, Any], BaseGeometry]],
    posture: list[tuple[dict[str, Any], BaseGeometry]],
    chokepoints: list[tuple[dict[str, Any], BaseGeometry]],
) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """Return the peripheral_zones layer as ``(properties, geometry)`` pairs."""
    region_of = {iso: region for region, isos in REGION_MEMBERS.items() for iso in isos}
    # Region medians of the DOTS trade shares and of total trade (where a region has rows).
    medians: dict[str, tuple[float, float]] = {}
    trade_medians: dict[str, float] = {}
    for region, isos in REGION_MEMBERS.items():
        rows = [ref.trade[i] for i in isos if i in ref.trade]
        if len(rows) >= 3:
            medians[region] = (
                statistics.median(float(r["us_trade_share_pct"]) for r in rows),
                statistics.median(float(r["china_trade_share_pct"]) for r in rows),
            )
            totals = [t for t in (_total_trade(r) for r in rows) if t is not None]
            trade_medians[region] = statistics.median(totals)
    out = []
    for iso3, region in region_of.items():
        geom = geoms[iso3]
        notes: list[str] = []
        estimates: list[str] = []
        sources: list[str] = [NE_SOURCE, ASSUMPTIONS_SOURCE]
        years: list[int] = []
        trow = ref.trade.get(iso3)
        irow = ref.influence.get(iso3)
        arow = ref.access.get(iso3)
        # --- trade shares
        us_share = cn_share = None
        if trow:
            us_share = float(trow["us_trade_share_pct"])
            cn_share = float(trow["china_trade_share_pct"])
            us_use, cn_use = us_share, cn_share
            sources.append(trow["source"])
            years.append(int(trow["year"]))
            if "missing" in trow["notes"]:
                notes.append(
                    "DOTS: some partner flows unreported, share understated (see reference notes)"
                )
        elif iso3 in TRADE_ASSUMED:
            us_use, cn_use = TRADE_ASSUMED[iso3]
            estimates.append(
                f"trade shares assumed U.S. {us_use}%, China {cn_use}% "
                "(no DOTS row; U.S. embargo, recalled)"
            )
        elif region in medians:
            us_use, cn_use = (round(v, 2) for v in medians[region])
            estimates.append(
                f"trade shares = {region} median of DOTS rows (U.S. {us_use}%, "
                f"China {cn_use}%); no DOTS row"
            )
        else:
            us_use, cn_use = TRADE_ASSUMED["default_americas"]
            estimates.append(
                f"trade shares assumed U.S. {us_use}%, China {cn_use}% (no DOTS "
                "row; no regional median; CAFTA-DR/Caribbean trade is mostly "
                "with the U.S.)"
            )
        # --- security tie and access
        tie_cat, tie_label, tie_verified = "none", "no agreement known (default)", False
        if arow:
            tie_cat = arow["kind"]
            place = arow["notes"] if arow["place"] == "none" else arow["place"]
            tie_label = f"{arow['kind']}: {place}"
            tie_verified = is_verified(arow["confidence"])
            sources.append(describe_source(arow["source"], "coefficients/access_agreements.csv"))
            years += years_in(arow["status_year"])
        elif irow and irow["us_security_status"].lower().startswith("none"):
            tie_label = irow["us_security_status"]
        tie = TIE_SCORE[tie_cat]
        if iso3 in TREATY_MNNA:
            label, verified = TREATY_MNNA[iso3]
            if TIE_SCORE["treaty ally/MNNA"] > tie:
                tie, tie_label, tie_verified = 1.0, label, verified
        if iso3 in HOSTILE:
            tie, tie_label, tie_verified = (
                0.0,
                "hostile government / sanctions / Russian forces (recalled)",
                False,
            )
        if not tie_verified:
            estimates.append(f"security tie {tie} ({tie_label}; not verified)")
        else:
            notes.append(f"security tie {tie} ({tie_label})")
        # --- access from evidence (agreements, sites, presence)
        access, basis, basis_sources, basis_years, basis_verified = zone_access(
            iso3, ref, sites, posture
        )
        sources += basis_sources
        years += basis_years
        if access != "none" and not basis_verified:
            estimates.append(f"access '{access}' rests on recalled evidence only ({basis})")
        # --- BRI and competitor presence
        if trow and trow["bri_member"]:
            bri = trow["bri_member"]
        elif iso3 in BRI_RECALLED:
            bri = BRI_RECALLED[iso3]
        elif region == "Africa":
            bri = "yes"
        else:
            bri = "unknown"
        bri_verified = iso3 in BRI_VERIFIED
        if not bri_verified:
            estimates.append(f"BRI '{bri}' (recalled or unknown)")
        if irow and irow["source"] and irow["source"] != "own knowledge":
            sources.append(irow["source"])
        presence, presence_label, presence_verified = 0.0, "", True
        if iso3 in COMPETITOR_PRESENCE:
            presence = 1.0
            presence_label, presence_verified = COMPETITOR_PRESENCE[iso3]
            (notes if presence_verified else estimates).append(
                f"competitor presence: {presence_label}"
            )
        # --- influence indices (one formula each)
        us_inf = 0.6 * min(1.0, us_use / US_SHARE_SAT) + 0.4 * tie
        comp_inf = min(
            1.0, 0.6 * min(1.0, cn_use / CN_SHARE_SAT) + 0.4 * BRI_SCORE[bri] + 0.2 * presence
        )
        notes.insert(
            0,
            f"us_influence = 0.6*min(1, {us_use}/30) + 0.4*{tie}; "
            f"competitor_influence = min(1, 0.6*min(1, {cn_use}/40) + "
            f"0.4*BRI[{bri}={BRI_SCORE[bri]}] + 0.2*presence[{presence:g}])",
        )
        # --- absorptive capacities: the zone's active sites
        zsites = [p for p, _ in sites if p["zone_id"] == iso3.lower() and p["status"] == "active"]
        absorb = {a: sum(p[f"cap_{a}"] for p in zsites) for a in gr.MILITARY}
        area = _area_km2(geom)
        calls, calls_note = port_calls(iso3)
        sea, sea_note = sea_naval(geom, calls, chokepoints)
        total = _total_trade(trow)
        if total is not None:
            eng = min(ENGAGEMENT_MAX, max(ENGAGEMENT_MIN, ENGAGEMENT_SHARE_OF_TRADE * total))
            eng_note = f"engagement = clip(1% x total trade US${total}bn (DOTS 2020), 0.05, 3)"
        elif area < MICROSTATE_KM2:
            eng = ENGAGEMENT_MIN
            eng_note = "engagement = floor 0.05 (microstate, no DOTS total trade)"
        elif region in trade_medians:
            t = trade_medians[region]
            eng = min(ENGAGEMENT_MAX, max(ENGAGEMENT_MIN, ENGAGEMENT_SHARE_OF_TRADE * t))
            eng_note = f"engagement = 1% x {region} median total trade US${t}bn (no DOTS row)"
        else:
            eng = ENGAGEMENT_NO_DATA
            eng_note = "engagement = 0.2 (no DOTS row, no regional data; assumption)"
        absorb["engagement"] = eng
        drugs = iso3 in gr.DRUG_TRANSIT
        if drugs:
            sources.append(gr.DRUG_TRANSIT_SOURCE)
            years.append(gr.DRUG_TRANSIT_YEAR)
        notes.append(f"access '{access}': " + (basis or "no agreement or U.S. presence found"))
        if access == "none" and calls:
            basis = PORT_CALLS_BASIS
        notes.append(
            "absorb naval/air/ground/isr = sum of the active sites' capacities ("
            + (", ".join(sorted(p["id"] for p in zsites)) if zsites else "no site: 0")
            + f"); {calls_note}; {sea_note}; {eng_note}; drug_transit {str(drugs).lower()} ("
            + ("on" if drugs else "not on")
            + " the FY2025-26 list of major drug-transit or drug-producing countries)"
        )
        if ZONE_EXTRA_FEATURES.get(iso3):
            notes.append("geometry includes Natural Earth's Somaliland feature")
        sourced = bool(trow) and not estimates
        if estimates:
            notes.insert(0, "ESTIMATES: " + "; ".join(estimates))
        props = {
            "id": iso3.lower(),
            "name": _zone_name(iso3, ref),
            "source": join_sources(*sources),
            "source_year": max(years) if years else REFERENCE_YEAR,
            "confidence": "sourced" if sourced else "estimate",
            "notes": "; ".join(notes),
            "iso3": iso3,
            "region": region,
            "us_influence": round(us_inf, 4),
            "competitor_influence": round(comp_inf, 4),
            "access": access,
            **{f"absorb_{a}": round(absorb[a], 4) for a in gr.MILITARY},
            "absorb_engagement": round(absorb["engagement"], 3),
            "us_trade_share_pct": us_share,
            "china_trade_share_pct": cn_share,
            "access_basis": basis,
            "port_calls": calls,
            "sea_naval": round(sea, 3),
            "drug_transit": drugs,
            "_estimates": estimates,
        }
        if not years:
            props["notes"] += (
                f"; source_year {REFERENCE_YEAR}: reference year of the "
                "assumptions (no dated figure)"
            )
        out.append((props, geom))
    return sorted(out, key=lambda f: f[0]["id"])


# --------------------------------------------------------------------------------------
# Checks, estimate register, main
# --------------------------------------------------------------------------------------


def check_columns(
    name: str,
    features: list[tuple[dict[str, Any], BaseGeometry]],
    columns: Mapping[str, Any],
    geometry_types: Iterable[str],
) -> list[str]:
    """Return the problems of `features` against column specs (a build-time guard)."""
    problems = []
    ids = [p["id"] for p, _ in features]
    if len(ids) != len(set(ids)):
        problems.append("duplicate ids")
    for props, geom in features:
        fid = props["id"]
        if not re.fullmatch(r"[a-z0-9_]+", fid):
            problems.append(f"{fid}: bad id")
        if geom.geom_type not in geometry_types or not geom.is_valid:
            problems.append(f"{fid}: geometry {geom.geom_type} valid={geom.is_valid}")
        if props["confidence"] == "estimate" and not props.get("_estimates"):
            problems.append(f"{fid}: estimate without a register entry")
        if props["confidence"] == "sourced" and props.get("_estimates"):
            problems.append(f"{fid}: sourced but has estimates")
        if props["confidence"] == "estimate" and not re.match(r"ESTIMATES?:", props["notes"]):
            problems.append(f"{fid}: estimate whose notes do not start with ESTIMATE")
        for col, spec in columns.items():
            v = props.get(col)
            if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
                if spec.required:
                    problems.append(f"{fid}: {col} empty")
                continue
            if spec.dtype == "bool" and not isinstance(v, bool):
                problems.append(f"{fid}: {col}={v!r} is not true/false")
            if spec.dtype in ("float", "int") and (
                (spec.minimum is not None and v < spec.minimum)
                or (spec.maximum is not None and v > spec.maximum)
            ):
                problems.append(f"{fid}: {col}={v} out of range")
            if spec.dtype == "enum" and v not in spec.choices:
                problems.append(f"{fid}: {col}={v!r} not in {spec.choices}")
    return [f"{name}: {p}" for p in problems]


def check_layer(kind: LayerKind, features: list[tuple[dict[str, Any], BaseGeometry]]) -> None:
    """Raise ValueError if any feature breaks the schema of `kind` (a build-time guard)."""
    schema = SCHEMAS[kind]
    columns = {**schema.columns, **EXTRA_COLUMNS.get(kind.value, {})}
    problems = check_columns(kind.value, features, columns, schema.geometry_types)
    if kind is LayerKind.FRONTS:
        for props, _ in features:
            for a in ("naval", "air", "ground", "isr", "engagement"):
                if props[f"floor_{a}"] > props[f"us_{a}"]:
                    problems.append(f"{props['id']}: floor_{a} > us_{a}")
    if problems:
        raise ValueError("; ".join(problems))


#: Columns this build adds to the package's layers (see tools/layer_columns.py).
EXTRA_COLUMNS: Mapping[str, Mapping[str, Any]] = {
    "fronts": FRONT_EXTRA_COLUMNS,
    "peripheral_zones": ZONE_EXTRA_COLUMNS,
}
#: Layers this build adds: name -> (columns, geometry types).
NEW_LAYERS: Mapping[str, tuple[Mapping[str, Any], frozenset[str]]] = {
    "sites": (SITES_COLUMNS, frozenset({"Point"})),
    "posture": (POSTURE_COLUMNS, frozenset({"Point"})),
}


def estimate_register(layers: Mapping[str, list[tuple[dict[str, Any], BaseGeometry]]]) -> str:
    """Return the Markdown register of every estimated feature and its notes."""
    lines = [
        "# Estimate register",
        "",
        "Generated by `python tools/build_geodata.py`; do not edit by hand.",
        "Every feature whose `confidence` is `estimate`, with the part of its `notes` "
        "that says which figures are estimates and how they were made. Modelling "
        "assumptions shared by all features of a layer are in SOURCES.md.",
        "",
    ]
    for kind, features in layers.items():
        est = [p for p, _ in features if p["confidence"] == "estimate"]
        lines += [
            f"## {kind} ({len(est)} of {len(features)} features are estimates)",
            "",
            "| id | what is estimated |",
            "|---|---|",
        ]
        for p in est:
            text = "; ".join(p["_estimates"]).replace("|", "/")
            lines.append(f"| `{p['id']}` | {text} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reference",
        type=Path,
        default=DEFAULT_REFERENCE,
        help=f"reference-data folder (default: {DEFAULT_REFERENCE})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "geodata",
        help="output folder; must hold basemap.geojson (default: geodata/)",
    )
    args = parser.parse_args(argv)
    if not (args.reference / "fronts.csv").is_file():
        raise SystemExit(f"{args.reference}: no fronts.csv; pass --reference DIR")
    basemap_path = args.out / "basemap.geojson"
    if not basemap_path.is_file():
        raise SystemExit(f"{basemap_path}: not found; run python tools/build_basemap.py first")
    ref = Reference.load(args.reference)
    basemap = gpd.read_file(basemap_path, engine="pyogrio")
    geoms = zone_geometries(basemap)
    chokepoints = build_chokepoints(ref)
    posture, skipped = build_posture(ref, geoms)
    sites = build_sites(ref, geoms, posture)
    layers: dict[str, list[tuple[dict[str, Any], BaseGeometry]]] = {
        "fronts": build_fronts(ref),
        "chokepoints": chokepoints,
        "mineral_zones": build_mineral_zones(ref),
        "supply_nodes": build_supply_nodes(ref),
        "peripheral_zones": build_peripheral_zones(ref, geoms, sites, posture, chokepoints),
        "sites": sites,
        "posture": posture,
    }
    for name, features in layers.items():
        if name in NEW_LAYERS:
            columns, geometry_types = NEW_LAYERS[name]
            problems = check_columns(name, features, columns, geometry_types)
            if problems:
                raise ValueError("; ".join(problems))
            column_names = list(columns)
        else:
            kind = LayerKind(name)
            check_layer(kind, features)
            column_names = [*SCHEMAS[kind].columns, *EXTRA_COLUMNS.get(name, {})]
        digits = 4 if name == "peripheral_zones" else 5
        public = [({k: v for k, v in p.items() if not k.startswith("_")}, g) for p, g in features]
        n = write_feature_collection(
            args.out / f"{name}.geojson",
            public,
            name=name,
            columns=column_names,
            coord_digits=digits,
        )
        sourced = sum(p["confidence"] == "sourced" for p, _ in features)
        print(f"{name}: {n} features, {sourced} sourced")
    for iso3, what, why in skipped:
        print(f"posture: skipped {iso3} {what}: {why}")
    register = estimate_register(layers)
    (args.out / "ESTIMATES.md").write_text(register, encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
