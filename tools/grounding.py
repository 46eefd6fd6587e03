"""Evidence for the periphery: sites that can host U.S. forces, observed U.S. posture,
access from agreements and presence, and the fronts' risk-channel columns.

Imported by `build_geodata.py`. Everything here is either read from the reference data
(`coefficients/access_agreements.csv`, `calibration/peripheral_posture.csv`,
`coefficients/us_posture.csv`, `calibration/us_arms_share.csv`) or an explicit, labelled
assumption; geodata/SOURCES.md ("sites", "posture", "peripheral_zones", "fronts")
documents every rule and table below.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MILITARY = ("naval", "air", "ground", "isr")

# --------------------------------------------------------------------------------------
# Sites
# --------------------------------------------------------------------------------------

#: Headroom over an observed peak (ASSUMPTION): a site that has hosted N service members
#: can host 1.25 N (surge space, rotations overlapping at handover).
HEADROOM = 1.25
#: Standard capacity per site kind (ASSUMPTION, kpe naval/air/ground/isr) used where no
#: U.S. presence at the site is sourced, and as a floor where one is (cap = max(headroom x
#: observed, standard)). Orders of magnitude: an airfield hosts an expeditionary squadron
#: and its support (~0.6 kpe air) plus security and ISR detachments; a naval base the
#: crews and shore support of two or three rotational surface combatants (~0.6 kpe);
#: an agreed location (army camp, storage site) a battalion-size rotation (~0.5 kpe); a
#: cooperative security location a detachment (~0.4 kpe); a port, ship visits (~0.3 kpe).
#: A `base` has no standard size: every active base in the layer has an observed garrison.
STANDARD_CAPACITY: Mapping[str, tuple[float, float, float, float]] = {
    "base": (0.0, 0.0, 0.0, 0.0),
    "airfield": (0.0, 0.6, 0.2, 0.2),
    "naval_base": (0.6, 0.05, 0.2, 0.05),
    "port": (0.3, 0.0, 0.05, 0.0),
    "agreed_location": (0.0, 0.1, 0.5, 0.05),
    "cooperative_security_location": (0.0, 0.2, 0.1, 0.1),
}
#: Which site access kinds grant `full` access to the zone (forces may be stationed or
#: rotate at agreed locations); `access` grants `limited` unless U.S. forces are standing
#: at the site (an operational/rotational posture row or a garrison); `withdrawn` nothing.
FULL_ACCESS_KINDS = frozenset({"base", "DCA", "SOFA", "MoU"})


@dataclass(frozen=True)
class Observed:
    """A sourced U.S. presence hosted at a site, used for its capacity."""

    label: str
    persons: float
    shares: tuple[float, float, float, float]  # naval, air, ground, isr
    posture_id: str = ""  # the posture row, when the figure is one
    source: str = ""  # when the figure is not a posture row's
    confidence: str = ""
    year: int | None = None


@dataclass(frozen=True)
class SiteSpec:
    """One site that can host (or hosted) U.S. forces in a peripheral zone."""

    id: str
    name: str
    iso3: str
    kind: str
    agreement: str
    access_kind: str
    status: str
    lon: float
    lat: float
    coord_note: str
    access_row: str  # iso3 of the access_agreements.csv row, "" when none
    standing: bool = False  # U.S. forces standing at the site (posture row or garrison)
    observed: tuple[Observed, ...] = ()
    basis_note: str = ""  # how the site is sourced when no access row lists it
    basis_sourced: bool = True  # whether the site/agreement is verified in the reference
    notes: tuple[str, ...] = ()
    grants: str = ""  # access level the site grants, when not the rule's (see FULL_ACCESS_KINDS)
    basis_posture: str = ""  # posture row that sources the site when no access row does


RECALLED = "recalled placement"


def _dmdc_shares(note: str) -> tuple[float, float, float, float] | None:
    """Return (naval, air, ground, isr) shares from a DMDC 'AD by service' note."""
    m = re.search(r"Army/Navy/USMC/USAF/USCG = (\d+)/(\d+)/(\d+)/(\d+)/(\d+)", note)
    if not m:
        return None
    army, navy, usmc, usaf, uscg = (int(g) for g in m.groups())
    total = army + navy + usmc + usaf + uscg
    if total == 0:
        return (0.0, 0.0, 0.0, 0.0)
    return ((navy + uscg) / total, usaf / total, (army + usmc) / total, 0.0)


# DMDC service splits of site garrisons (Dec 2025; peripheral_posture.csv notes).
_HND = (3 / 329, 123 / 329, 203 / 329, 0.0)
_CUB_DMDC = (419 / 559, 0.0, 140 / 559, 0.0)
_SGP = (215 / 271, 26 / 271, 30 / 271, 0.0)
_SLV = (35 / 57, 2 / 57, 20 / 57, 0.0)
_BHS = (58 / 65, 0.0, 7 / 65, 0.0)

EDCA_AGREEMENT = "EDCA 2014 (agreed location); 5 sites agreed 2016, 4 sites added 2023"
EDCA_PROVINCE_NOTE = (
    "the reference names this EDCA site by province only; the installation is the one "
    "recalled for that province (not checked)"
)
PANAMA_AGREEMENT = (
    "U.S. DoD-Panama MinSeg MoU of 9 Apr 2025 (authorised location; 3 years renewable)"
)

SITES: tuple[SiteSpec, ...] = (
    # --- Djibouti
    SiteSpec(
        "camp_lemonnier",
        "Camp Lemonnier",
        "DJI",
        "base",
        "Camp Lemonnier lease, 2014 (10 years + options; US$63m/yr)",
        "base",
        "active",
        43.148,
        11.543,
        RECALLED,
        "DJI",
        standing=True,
        observed=(
            Observed(
                "~4,000 U.S. troops operational (c.2025)",
                4000,
                (0.15, 0.25, 0.55, 0.05),
                posture_id="dji_operational_2025",
            ),
        ),
        notes=(
            "class split of the observed ~4,000 (ASSUMPTION, no DMDC split): naval 15% "
            "(Navy-run installation and port), air 25% (expeditionary air group, fighter "
            "and rescue detachments), ground 55% (CJTF-HOA, East Africa Response Force, "
            "security), ISR 5% (drone crews, counted here although they fly from "
            "Chabelley)",
        ),
    ),
    SiteSpec(
        "chabelley_airfield",
        "Chabelley Airfield (drone base)",
        "DJI",
        "airfield",
        "Djibouti base agreement (Camp Lemonnier lease, 2014); satellite airfield",
        "base",
        "active",
        43.073,
        11.517,
        RECALLED,
        "DJI",
        standing=True,
        basis_note="Chabelley is not named in the reference data; it is Camp Lemonnier's "
        "drone airfield (recalled), under the same agreement",
        basis_sourced=False,
        notes=(
            "its personnel are inside Camp Lemonnier's observed ~4,000, so its standard "
            "capacity is extra headroom",
        ),
    ),
    # --- Philippines: EDCA agreed locations
    SiteSpec(
        "edca_basa_air_base",
        "Cesar Basa Air Base (EDCA, Pampanga)",
        "PHL",
        "airfield",
        EDCA_AGREEMENT,
        "DCA",
        "active",
        120.493,
        14.987,
        RECALLED,
        "PHL",
        notes=(EDCA_PROVINCE_NOTE,),
    ),
    SiteSpec(
        "edca_fort_magsaysay",
        "Fort Magsaysay (EDCA, Nueva Ecija)",
        "PHL",
        "agreed_location",
        EDCA_AGREEMENT,
        "DCA",
        "active",
        121.08,
        15.44,
        RECALLED,
        "PHL",
        notes=(EDCA_PROVINCE_NOTE,),
    ),
    SiteSpec(
        "edca_lumbia_airfield",
        "Lumbia Airfield (EDCA, Cagayan de Oro)",
        "PHL",
        "airfield",
        EDCA_AGREEMENT,
        "DCA",
        "active",
        124.611,
        8.41,
        RECALLED,
        "PHL",
        notes=(EDCA_PROVINCE_NOTE,),
    ),
    SiteSpec(
        "edca_antonio_bautista_air_base",
        "Antonio Bautista Air Base (EDCA, Palawan)",
        "PHL",
        "airfield",
        EDCA_AGREEMENT,
        "DCA",
        "active",
        118.759,
        9.742,
        RECALLED,
        "PHL",
        notes=(EDCA_PROVINCE_NOTE,),
    ),
    SiteSpec(
        "edca_mactan_benito_ebuen_air_base",
        "Mactan-Benito Ebuen Air Base (EDCA, Cebu)",
        "PHL",
        "airfield",
        EDCA_AGREEMENT,
        "DCA",
        "active",
        123.953,
        10.328,
        RECALLED + "; moved ~4 km from Mactan Island onto the Cebu coast of the 1:50m "
        "basemap (Mactan is not in it)",
        "PHL",
        notes=(EDCA_PROVINCE_NOTE,),
    ),
    SiteSpec(
        "edca_camilo_osias_naval_base",
        "Naval Base Camilo Osias (EDCA, Santa Ana, Cagayan)",
        "PHL",
        "naval_base",
        EDCA_AGREEMENT,
        "DCA",
        "active",
        122.148,
        18.482,
        RECALLED + "; moved ~2 km inland to fall inside the 1:50m coastline",
        "PHL",
    ),
    SiteSpec(
        "edca_lal_lo_airport",
        "Lal-lo Airport (EDCA, Cagayan)",
        "PHL",
        "airfield",
        EDCA_AGREEMENT,
        "DCA",
        "active",
        121.74,
        18.12,
        RECALLED,
        "PHL",
    ),
    SiteSpec(
        "edca_camp_melchor_dela_cruz",
        "Camp Melchor Dela Cruz (EDCA, Gamu, Isabela)",
        "PHL",
        "agreed_location",
        EDCA_AGREEMENT,
        "DCA",
        "active",
        121.83,
        17.05,
        RECALLED,
        "PHL",
    ),
    SiteSpec(
        "edca_balabac_island",
        "Balabac Island (EDCA, Palawan)",
        "PHL",
        "agreed_location",
        EDCA_AGREEMENT,
        "DCA",
        "active",
        117.06,
        7.99,
        RECALLED,
        "PHL",
    ),
    # --- Singapore
    SiteSpec(
        "changi_naval_base",
        "Changi Naval Base",
        "SGP",
        "naval_base",
        "1990 MoU on U.S. use of facilities, renewed 2019 to 2035",
        "MoU",
        "active",
        103.974,
        1.345,
        RECALLED + "; moved ~4 km inland to fall inside the 1:50m coastline",
        "SGP",
        standing=True,
        observed=(
            Observed(
                "DMDC garrison (Navy, Coast Guard, Army, Marines; Dec 2025)",
                245,
                (215 / 245, 0.0, 30 / 245, 0.0),
                posture_id="sgp_permanent_2025",
            ),
        ),
        notes=(
            "observed: the DMDC Singapore garrison (271, Dec 2025) without its 26 Air Force "
            "members, who are counted at Paya Lebar (ASSUMPTION: naval and ground staff "
            "at the naval facilities); rotational LCS and P-8 detachments are not counted "
            "in DMDC",
        ),
    ),
    SiteSpec(
        "paya_lebar_air_base",
        "Paya Lebar Air Base",
        "SGP",
        "airfield",
        "1990 MoU on U.S. use of facilities, renewed 2019 to 2035",
        "MoU",
        "active",
        103.909,
        1.360,
        RECALLED,
        "SGP",
        standing=True,
        observed=(
            Observed(
                "DMDC Air Force members in Singapore (Dec 2025)",
                26,
                (0.0, 1.0, 0.0, 0.0),
                posture_id="sgp_permanent_2025",
            ),
        ),
        notes=(
            "observed: the 26 Air Force members of the DMDC Singapore count (ASSUMPTION: "
            "at the air base); rotational fighter and P-8 detachments not counted",
        ),
    ),
    # --- Thailand
    SiteSpec(
        "u_tapao_airfield",
        "U-Tapao airfield",
        "THA",
        "airfield",
        "case-by-case access for exercises and HADR (Cobra Gold)",
        "access",
        "active",
        101.005,
        12.680,
        RECALLED,
        "THA",
        notes=(
            "Cobra Gold's ~3,200 U.S. (2025) use many Thai sites, so they are not "
            "counted as U-Tapao's observed peak",
        ),
    ),
    # --- Central America and Caribbean
    SiteSpec(
        "soto_cano_air_base",
        "Soto Cano Air Base (JTF-Bravo)",
        "HND",
        "base",
        "Soto Cano, host-nation base used by JTF-Bravo since the 1980s",
        "base",
        "active",
        -87.621,
        14.382,
        RECALLED,
        "HND",
        standing=True,
        observed=(
            Observed(
                "500-1,500 U.S. troops incl. rotating Guard/Reserve (Army Times/"
                "Business Insider, Aug 2019; upper end)",
                1500,
                _HND,
                source="JTF-Bravo fact sheet 21 Sep 2020 https://www.jtfb.southcom."
                "mil/About-Us/Fact-Sheets/Display/Article/434598/joint-task-force-"
                "bravo/ (its reference row quotes Army Times/Business Insider, Aug "
                "2019: 500-1,500 troops)",
                confidence="verified (dated)",
                year=2019,
            ),
        ),
        notes=(
            "class split of the observed peak = DMDC split of the Soto Cano garrison (Dec "
            "2025: Army 196, USAF 123, USMC 7, Navy 2, USCG 1; Army aviation counts as "
            "ground)",
        ),
    ),
    SiteSpec(
        "csl_comalapa",
        "Cooperative Security Location Comalapa",
        "SLV",
        "cooperative_security_location",
        "CSL agreement, Mar 2000, extended (Dialogo 2019)",
        "access",
        "active",
        -89.056,
        13.441,
        RECALLED,
        "",
        standing=True,
        observed=(
            Observed("DMDC garrison (Dec 2025)", 57, _SLV, posture_id="slv_permanent_2025"),
            Observed(
                "~175 deployed aircrew supported on average (P-3C, E-2C, C-130, HH-65; "
                "undated, weak)",
                175,
                (0.0, 0.0, 0.0, 1.0),
                posture_id="slv_operational_undated",
            ),
        ),
        basis_note="agreement in the notes of the El Salvador rows of peripheral_posture.csv "
        "(SOUTHCOM CSL page; Dialogo 22 Apr 2019)",
        notes=("aircrew of detection-and-monitoring flights counted as ISR (ASSUMPTION)",),
    ),
    SiteSpec(
        "panama_ex_howard",
        "Teniente Octavio Rodriguez Air Base (ex-Howard AFB, Panama Pacifico)",
        "PAN",
        "airfield",
        PANAMA_AGREEMENT,
        "MoU",
        "active",
        -79.599,
        8.915,
        RECALLED,
        "PAN",
    ),
    SiteSpec(
        "panama_rodman",
        "Vasco Nunez de Balboa naval base (ex-Rodman NS)",
        "PAN",
        "naval_base",
        PANAMA_AGREEMENT,
        "MoU",
        "active",
        -79.567,
        8.948,
        RECALLED,
        "PAN",
    ),
    SiteSpec(
        "panama_noel_rodriguez",
        "Naval base Capt. Noel A. Rodriguez",
        "PAN",
        "naval_base",
        PANAMA_AGREEMENT,
        "MoU",
        "active",
        -79.86,
        9.37,
        "location not found in the sources read; placed at Coco Solo, Colon (Atlantic "
        "side), a guess",
        "PAN",
    ),
    SiteSpec(
        "panama_cristobal_colon_sherman",
        "Cristobal Colon Naval Air Base (ex-Fort Sherman, jungle school)",
        "PAN",
        "naval_base",
        PANAMA_AGREEMENT,
        "MoU",
        "active",
        -79.945,
        9.348,
        RECALLED + "; moved ~1 km inland to fall inside the 1:50m coastline",
        "PAN",
        notes=(
            "Critica (Panama, Apr 2025) says the former Fort Sherman is now the "
            "Cristobal Colon naval air base; 25th ID jungle-school cadre there in Jul "
            "2025 (SOUTHCOM)",
        ),
    ),
    SiteSpec(
        "ns_guantanamo_bay",
        "Naval Station Guantanamo Bay",
        "CUB",
        "naval_base",
        "1903 lease (base), held against the host government's will",
        "base",
        "active",
        -75.114,
        19.91,
        RECALLED + "; moved ~2 km to fall inside the 1:50m coastline",
        "CUB",
        standing=True,
        observed=(
            Observed("DMDC garrison (Dec 2025)", 559, _CUB_DMDC, posture_id="cub_permanent_2025"),
            Observed(
                "~1,000 troops for migrant operations (Feb 2025; Army, Marines)",
                1000,
                (0.0, 0.0, 1.0, 0.0),
                posture_id="cub_operational_2025",
            ),
        ),
        notes=(
            "observed peak = DMDC garrison + the Feb 2025 migrant-operation troops, who are "
            "deployed (not permanently assigned) and so not in DMDC (ASSUMPTION: the two "
            "add up)",
        ),
    ),
    SiteSpec(
        "autec_andros",
        "AUTEC (Atlantic Undersea Test and Evaluation Center), Andros",
        "BHS",
        "base",
        "U.S. Navy test range on Andros (range agreement, recalled)",
        "access",
        "active",
        -77.77,
        24.70,
        RECALLED,
        "",
        standing=True,
        observed=(Observed("DMDC garrison (Dec 2025)", 65, _BHS, posture_id="bhs_permanent_2025"),),
        basis_note="site named in the Bahamas row of peripheral_posture.csv (DMDC); the "
        "range agreement is not in the reference data (recalled)",
        notes=("a test range, not a station for operating forces: it grants limited access only",),
        grants="limited",
    ),
    # --- Africa
    SiteSpec(
        "camp_simba_manda_bay",
        "Camp Simba, Manda Bay (Lamu)",
        "KEN",
        "cooperative_security_location",
        "cooperative security location, c.2004",
        "access",
        "active",
        40.919,
        -2.193,
        RECALLED + "; moved ~4 km onto the mainland coast of the 1:50m basemap",
        "KEN",
        standing=True,
        observed=(
            Observed(
                "~60 U.S. personnel (Nov 2013)",
                60,
                (0.0, 0.3, 0.5, 0.2),
                posture_id="ken_operational_2013",
            ),
        ),
        notes=(
            "class split of the observed ~60 (ASSUMPTION): ground 50% (Marines, Army "
            "security), air 30% (expeditionary air base squadron), ISR 20%",
        ),
    ),
    SiteSpec(
        "accra_kotoka",
        "Accra, Kotoka airport (West Africa Logistics Network)",
        "GHA",
        "agreed_location",
        "2018 Defence Cooperation Agreement (ratified by Ghana)",
        "DCA",
        "active",
        -0.167,
        5.605,
        RECALLED,
        "GHA",
    ),
    SiteSpec(
        "dakar_yoff",
        "Dakar, Blaise Diagne / Yoff airfields",
        "SEN",
        "agreed_location",
        "2016 defence cooperation agreement (crisis-response access)",
        "DCA",
        "active",
        -17.49,
        14.74,
        RECALLED,
        "SEN",
    ),
    SiteSpec(
        "libreville_leon_mba",
        "Libreville, Leon-Mba airport",
        "GAB",
        "cooperative_security_location",
        "past cooperative security location for crisis response and evacuations",
        "access",
        "active",
        9.418,
        0.462,
        RECALLED + "; moved ~1 km inland to fall inside the 1:50m coastline",
        "GAB",
        notes=("Gabon's 2023 coup: availability uncertain",),
    ),
    SiteSpec(
        "baledogle_airfield",
        "Baledogle airfield",
        "SOM",
        "airfield",
        "access, c.2017; U.S. forces redeployed May 2022",
        "access",
        "active",
        44.79,
        2.67,
        RECALLED,
        "SOM",
        standing=True,
        observed=(
            Observed(
                "fewer than 500 U.S. troops authorised (May 2022)",
                500,
                (0.0, 0.1, 0.7, 0.2),
                posture_id="som_operational_2022",
            ),
        ),
        notes=(
            "class split of the observed <500 (ASSUMPTION): ground 70% (special "
            "forces advisers, security), ISR 20% (drones), air 10%; they are split "
            "between Mogadishu and Baledogle, all counted here",
        ),
    ),
    SiteSpec(
        "niger_ab101_niamey",
        "Air Base 101, Niamey (withdrawn)",
        "NER",
        "airfield",
        "base agreement ended by Niger's junta, Mar 2024; handed over Jul 2024",
        "withdrawn",
        "withdrawn",
        2.18,
        13.48,
        RECALLED,
        "NER",
    ),
    SiteSpec(
        "niger_ab201_agadez",
        "Air Base 201, Agadez (withdrawn drone base)",
        "NER",
        "airfield",
        "base agreement ended Mar 2024; US$100m drone base handed over 5 Aug 2024",
        "withdrawn",
        "withdrawn",
        8.01,
        16.96,
        RECALLED,
        "NER",
    ),
    SiteSpec(
        "chad_ndjamena",
        "N'Djamena, French base Adji Kossei (U.S. SOTF, withdrawn)",
        "TCD",
        "base",
        "no standing agreement in the reference; ~75 Army SF withdrawn Apr 2024",
        "withdrawn",
        "withdrawn",
        15.03,
        12.13,
        RECALLED,
        "",
        basis_note="withdrawal row of Chad in peripheral_posture.csv",
        basis_posture="tcd_withdrawn_2024",
    ),
    # --- South America
    SiteSpec(
        "paraguay_sofa_asuncion",
        "Paraguay SOFA: temporary presence (point at Asuncion)",
        "PRY",
        "agreed_location",
        "SOFA signed 15 Dec 2025, ratified Mar 2026 (no permanent bases)",
        "SOFA",
        "active",
        -57.52,
        -25.24,
        "no site named (the SOFA covers temporary presence nationwide); point at "
        "Asuncion's airport",
        "PRY",
    ),
    SiteSpec(
        "peru_rotations_lima",
        "Peru: authorised U.S. rotations (point at Lima/Callao)",
        "PER",
        "agreed_location",
        "Congressional authorisation of U.S. troop entry for 2026, Res. Leg. 13436/2025-CR",
        "access",
        "active",
        -77.11,
        -12.02,
        "no site named (15 departments incl. Lima, Cusco, Ayacucho); point at Lima/Callao",
        "",
        basis_note="Peru row of peripheral_posture.csv (Res. Leg. 13436/2025-CR, verified)",
        basis_posture="per_rotational_2026",
        notes=(
            "rotations every 3-6 months for training and exercises; no agreed "
            "location: limited access",
        ),
    ),
)

#: Year from which U.S. forces could use each site (the ``since`` column): (year, basis,
#: verified). Where the reference gives a range ("1980s", "2002-2003") the latest year it
#: allows is taken, which the reference verifies as a bound; a site the reference does not
#: date is left undated (the model then counts it as established, docs/model.md §3).
SITE_SINCE: dict[str, tuple[int, str, bool]] = {
    "camp_lemonnier": (2003, "access_agreements.csv: since 2002-2003 (latest year taken)", True),
    "chabelley_airfield": (2013, "U.S. drone operations moved to Chabelley in 2013", False),
    **{
        f"edca_{k}": (
            2016,
            "EDCA of 2014 (verified); the first five agreed locations named in March 2016",
            False,
        )
        for k in (
            "basa_air_base",
            "fort_magsaysay",
            "lumbia_airfield",
            "antonio_bautista_air_base",
            "mactan_benito_ebuen_air_base",
        )
    },
    **{
        f"edca_{k}": (2023, "access_agreements.csv: 4 sites added Feb/Apr 2023", True)
        for k in (
            "camilo_osias_naval_base",
            "lal_lo_airport",
            "camp_melchor_dela_cruz",
            "balabac_island",
        )
    },
    "changi_naval_base": (1990, "access_agreements.csv: 1990 MoU", True),
    "paya_lebar_air_base": (1990, "access_agreements.csv: 1990 MoU", True),
    "u_tapao_airfield": (1982, "case-by-case access for Cobra Gold, held since 1982", False),
    "soto_cano_air_base": (
        1989,
        "access_agreements.csv: since the 1980s (latest year taken)",
        True,
    ),
    "csl_comalapa": (2000, "CSL agreement of March 2000 (peripheral_posture.csv notes)", True),
    **{
        f"panama_{k}": (2025, "access_agreements.csv: MoU of 9 Apr 2025", True)
        for k in ("ex_howard", "rodman", "noel_rodriguez", "cristobal_colon_sherman")
    },
    "paraguay_sofa_asuncion": (2026, "SOFA signed 15 Dec 2025, ratified Mar 2026", True),
    "peru_rotations_lima": (2026, "authorisation of U.S. troop entry for 2026", True),
    "ns_guantanamo_bay": (1903, "access_agreements.csv: 1903 lease", True),
    "autec_andros": (1966, "AUTEC range in operation since the mid-1960s", False),
    "accra_kotoka": (2018, "access_agreements.csv: 2018 DCA (recalled)", False),
    "dakar_yoff": (2016, "access_agreements.csv: 2016 DCA (recalled)", False),
    "baledogle_airfield": (2017, "access_agreements.csv: c. 2017 (recalled)", False),
    "camp_simba_manda_bay": (2004, "access_agreements.csv: c. 2004 (recalled)", False),
    "niger_ab101_niamey": (2013, "access_agreements.csv: 2013-2019 (Air Base 101 first)", True),
    "niger_ab201_agadez": (2019, "access_agreements.csv: 2013-2019 (latest year taken)", True),
}


#: Reference rows of Curacao/Aruba name the FOL/CSL at Hato and Reina Beatrix, but
#: Curacao and Aruba (Kingdom of the Netherlands) are not peripheral zones: no site.
SKIPPED_SITES = {
    "Curacao/Aruba FOL (Hato, Reina Beatrix)": "CUW/ABW are not peripheral zones "
    "(the Caribbean zones are the 13 sovereign states)",
    "Colombia (multiple counter-narcotics sites)": "no site named in the reference "
    "(2009 base-access deal voided in 2010)",
    "Argentina, Ushuaia (proposed joint naval/logistics base)": "only discussed (recalled); "
    "the USACE waterway MoU is civil works",
    "Diego Garcia (IOT), Darwin/Tindal (AUS)": "not in a peripheral zone (BIOT has no zone; "
    "Australia is a front)",
}


# --------------------------------------------------------------------------------------
# Posture
# --------------------------------------------------------------------------------------

#: Reference iso3 codes that are not peripheral zones, and why (rows skipped).
POSTURE_SKIP = {
    "SSA": "aggregate (sub-Saharan Africa)",
    "SEA": "aggregate (Southeast Asia)",
    "SAM": "aggregate (South America)",
    "CAM": "aggregate (Central America)",
    "CARIB": "aggregate (Caribbean states) or the 2025-26 naval build-up, which is at sea and "
    "in Puerto Rico, not in one zone",
    "WLD": "aggregate (all foreign countries)",
    "AUS": "front (australia_north), not a peripheral zone",
    "PRI": "U.S. territory, not a peripheral zone",
    "IOT": "British Indian Ocean Territory (Diego Garcia): no peripheral zone",
    "CUW;ABW": "Curacao and Aruba: no peripheral zone (Kingdom of the Netherlands)",
}
POSTURE_KIND = {
    "permanent": "permanent",
    "rotational": "rotational",
    "rotational (exercise)": "exercise",
    "operational": "operational",
    "withdrawn": "withdrawn",
}


@dataclass(frozen=True)
class PostureSpec:
    """Per-row choices for a posture row that are not in the reference data."""

    counts: bool
    counts_note: str
    shares: tuple[float, float, float, float] | None = None  # None: DMDC split from notes
    shares_note: str = ""
    weeks: float = 52.0
    weeks_note: str = ""
    weeks_sourced: bool = True
    site_id: str = ""
    point: tuple[float, float] | None = None  # None: the site's point, else this
    point_note: str = ""


SC_STAFF = (
    "embassy, attache and security-cooperation staff (DMDC): not a force at a U.S.-used "
    "site; kept for reference, does not count (and grants no access)"
)
#: Capitals (lon, lat; recalled placements) for rows of embassy/security-cooperation staff.
CAPITALS: Mapping[str, tuple[float, float, str]] = {
    "NER": (2.11, 13.51, "Niamey"),
    "TCD": (15.04, 12.11, "N'Djamena"),
    "GHA": (-0.19, 5.56, "Accra"),
    "CMR": (13.40, 9.30, "Garoua"),
    "NGA": (7.49, 9.06, "Abuja"),
    "SEN": (-17.45, 14.69, "Dakar"),
    "CIV": (-4.01, 5.35, "Abidjan"),
    "GAB": (9.457, 0.394, "Libreville (moved ~1 km inside the 1:50m coastline)"),
    "ZAF": (28.19, -25.75, "Pretoria"),
    "PHL": (121.02, 14.60, "Manila"),
    "THA": (100.50, 13.75, "Bangkok"),
    "IDN": (106.85, -6.21, "Jakarta"),
    "VNM": (105.85, 21.03, "Hanoi"),
    "MYS": (101.69, 3.14, "Kuala Lumpur"),
    "KHM": (104.92, 11.56, "Phnom Penh"),
    "MMR": (96.16, 16.87, "Yangon"),
    "LAO": (102.60, 17.97, "Vientiane"),
    "BRN": (114.94, 4.89, "Bandar Seri Begawan"),
    "TLS": (125.57, -8.56, "Dili"),
    "PAN": (-79.52, 8.98, "Panama City"),
    "GTM": (-90.51, 14.63, "Guatemala City"),
    "BLZ": (-88.213, 17.507, "Belize City (moved ~2 km inside the 1:50m coastline)"),
    "CRI": (-84.09, 9.93, "San Jose"),
    "NIC": (-86.25, 12.13, "Managua"),
    "DOM": (-69.93, 18.47, "Santo Domingo"),
    "HTI": (-72.34, 18.54, "Port-au-Prince"),
    "JAM": (-76.79, 18.00, "Kingston"),
    "TTO": (-61.51, 10.66, "Port of Spain"),
    "BRB": (-59.607, 13.106, "Bridgetown (moved ~1 km inside the 1:50m coastline)"),
    "COL": (-74.07, 4.71, "Bogota"),
    "PER": (-77.04, -12.05, "Lima"),
    "ECU": (-78.47, -0.18, "Quito"),
    "PRY": (-57.58, -25.28, "Asuncion"),
    "BRA": (-47.88, -15.79, "Brasilia"),
    "ARG": (-58.38, -34.60, "Buenos Aires"),
    "CHL": (-70.65, -33.45, "Santiago"),
    "BOL": (-68.15, -16.50, "La Paz"),
    "URY": (-56.16, -34.90, "Montevideo"),
    "GUY": (-58.16, 6.80, "Georgetown"),
    "SUR": (-55.20, 5.85, "Paramaribo"),
}

SUPERSEDED = "superseded by the larger operational figure for the same site (counts there)"
#: Per posture id: de-duplication, class split where no DMDC split is given, duration.
POSTURE_SPECS: Mapping[str, PostureSpec] = {
    "dji_permanent_2025": PostureSpec(
        False, SUPERSEDED + ": dji_operational_2025", site_id="camp_lemonnier"
    ),
    "dji_operational_2025": PostureSpec(
        True,
        "the operational strength of Camp Lemonnier/Chabelley; supersedes DMDC's 17",
        shares=(0.15, 0.25, 0.55, 0.05),
        shares_note="site-based split (ASSUMPTION): naval 15%, air 25%, ground 55%, ISR 5% "
        "(Chabelley drones)",
        site_id="camp_lemonnier",
    ),
    "dji_operational_2014": PostureSpec(
        False,
        "includes civilians and contractors, and dated (2014): does not count",
        shares=(0.15, 0.25, 0.55, 0.05),
        shares_note="same site-based split as dji_operational_2025 (ASSUMPTION)",
        site_id="camp_lemonnier",
    ),
    "som_permanent_2025": PostureSpec(
        False, SUPERSEDED + ": som_operational_2022", site_id="baledogle_airfield"
    ),
    "som_operational_2022": PostureSpec(
        True,
        "authorised troop level since May 2022, the latest figure (dated)",
        shares=(0.0, 0.1, 0.7, 0.2),
        shares_note="site-based split (ASSUMPTION): ground 70% (special forces advisers), ISR "
        "20% (drones), air 10%",
        site_id="baledogle_airfield",
    ),
    "ken_permanent_2025": PostureSpec(
        False, SUPERSEDED + ": ken_operational_2013", site_id="camp_simba_manda_bay"
    ),
    "ken_operational_2013": PostureSpec(
        True,
        "Camp Simba's strength (dated 2013; the camp has grown since, no current "
        "figure); supersedes DMDC's 40",
        shares=(0.0, 0.3, 0.5, 0.2),
        shares_note="site-based split (ASSUMPTION): ground 50%, air 30% (expeditionary air "
        "base squadron), ISR 20%",
        site_id="camp_simba_manda_bay",
    ),
    "ner_withdrawn_2024": PostureSpec(
        False, "withdrawn (Sep 2024): does not count", site_id="niger_ab201_agadez"
    ),
    "tcd_withdrawn_2024": PostureSpec(
        False, "withdrawn (Apr 2024): does not count", site_id="chad_ndjamena"
    ),
    "phl_rotational_2026": PostureSpec(
        True,
        "standing rotational forces (since Jul/Oct 2025)",
        shares=(12 / 110, 12 / 110, 80 / 110, 6 / 110),
        shares_note="Army Rotational Force-Philippines 50 -> ground; Task Force-Philippines 60 "
        "split (ASSUMPTION, joint HQ) naval 20%, air 20%, ground 50%, ISR 10%",
        point=(121.02, 14.60),
        point_note="point at Manila (no site named)",
    ),
    "phl_exercise_2025": PostureSpec(
        True,
        "exercise: counts at its standing equivalent",
        shares=(0.15, 0.15, 0.65, 0.05),
        shares_note="site-based split (ASSUMPTION): ground 65% (Marines and Army incl. NMESIS), "
        "naval 15%, air 15%, ISR 5%",
        weeks=3.0,
        weeks_note="Balikatan 25 ran about 21 Apr-9 May 2025, ~3 weeks (recalled)",
        weeks_sourced=False,
        point=(121.08, 15.44),
        point_note="point at Fort Magsaysay, a main Balikatan training area (recalled)",
    ),
    "tha_exercise_2025": PostureSpec(
        True,
        "exercise: counts at its standing equivalent",
        shares=(0.10, 0.15, 0.70, 0.05),
        shares_note="site-based split (ASSUMPTION): ground 70% (Marines, Army), air 15%, "
        "naval 10%, ISR 5%",
        weeks=1.6,
        weeks_note="11 days: Cobra Gold 2026 ran 24 Feb-6 Mar (DVIDS, in the row's "
        "notes); 2025 opened 25 Feb; 11/7 = 1.6 weeks",
        site_id="u_tapao_airfield",
    ),
    "idn_exercise_2024": PostureSpec(
        True,
        "exercise: counts at its standing equivalent",
        shares=(0.05, 0.15, 0.80, 0.0),
        shares_note="site-based split (ASSUMPTION): ground 80% (Army, Guard, airborne), air "
        "15%, naval 5%",
        weeks=1.6,
        weeks_note="11 days: the 2025 edition ran 25 Aug-4 Sep (row's notes), "
        "applied to 2024; 11/7 = 1.6 weeks",
        point=(106.85, -6.21),
        point_note="point at Jakarta (no site named)",
    ),
    "sgp_permanent_2025": PostureSpec(
        True,
        "garrison of the U.S. facilities (Changi, Sembawang logistics command, Paya Lebar)",
        site_id="changi_naval_base",
    ),
    "hnd_permanent_2025": PostureSpec(
        False, SUPERSEDED + ": hnd_operational_2020", site_id="soto_cano_air_base"
    ),
    "hnd_operational_2020": PostureSpec(
        True,
        "JTF-Bravo's military strength (fact sheet, dated 2020); supersedes DMDC's 329, "
        "who are part of it",
        shares=_HND,
        shares_note="DMDC split of the Soto Cano garrison (Dec 2025) applied to "
        "the JTF-Bravo total (ASSUMPTION)",
        site_id="soto_cano_air_base",
    ),
    "slv_permanent_2025": PostureSpec(
        True,
        "garrison of CSL Comalapa (DMDC, Dec 2025); larger and newer than the undated ~25",
        site_id="csl_comalapa",
    ),
    "slv_operational_undated": PostureSpec(
        False,
        "smaller, undated and weak: superseded by DMDC's 57 for the same site",
        shares=_SLV,
        shares_note="DMDC split of the El Salvador garrison",
        site_id="csl_comalapa",
    ),
    "cub_permanent_2025": PostureSpec(
        True, "garrison of NS Guantanamo Bay", site_id="ns_guantanamo_bay"
    ),
    "cub_operational_2025": PostureSpec(
        False,
        "temporary surge for migrant operations (Feb 2025; ~725 staff incl. ICE by May "
        "2025): not standing presence, does not count",
        shares=(0.0, 0.0, 1.0, 0.0),
        shares_note="Army and Marines (row's notes) -> ground",
        site_id="ns_guantanamo_bay",
    ),
    "bhs_permanent_2025": PostureSpec(
        True, "garrison of AUTEC (U.S. Navy test range)", site_id="autec_andros"
    ),
    "pan_permanent_2025": PostureSpec(
        False, "security-cooperation staff (JSCG-Panama, DMDC): " + SC_STAFF.split(": ", 1)[1]
    ),
    "pan_exercise_2025": PostureSpec(
        True,
        "exercise: counts at its standing equivalent",
        shares=(0.75, 0.10, 0.15, 0.0),
        shares_note="unit-based split (ASSUMPTION) of the listed forces: 2 cruisers and a "
        "cutter -> naval 75%, 4 F-18s, C-130, P-8 -> air 10%, a Marine infantry company -> "
        "ground 15%",
        weeks=2.0,
        weeks_note="ASSUMPTION: 2 weeks (duration not stated)",
        weeks_sourced=False,
        site_id="panama_rodman",
    ),
    "per_rotational_2026": PostureSpec(
        False,
        "no personnel figure in the sources read: does not count",
        shares=(0.0, 0.0, 1.0, 0.0),
        shares_note="",
        site_id="peru_rotations_lima",
    ),
}


def parse_personnel(text: str, kind: str) -> tuple[float | None, str]:
    """Return (personnel, rule applied) for a reference `personnel` cell."""
    t = text.strip()
    if kind == "withdrawn":
        return 0.0, f"'{t}' -> 0 (withdrawn: the current figure; the earlier one is in notes)"
    if re.fullmatch(r"\d+", t):
        return float(t), ""
    m = re.fullmatch(r"~?\s*([\d,]+)\s*\+\s*~?\s*([\d,]+)", t)
    if m:
        a, b = (float(g.replace(",", "")) for g in m.groups())
        return a + b, f"'{t}' -> {a + b:g} (sum of the two stated figures)"
    m = re.fullmatch(r"([\d,]+)\s*[-\u2013]\s*([\d,]+)", t)
    if m:
        a, b = (float(g.replace(",", "")) for g in m.groups())
        return (a + b) / 2, f"'{t}' -> {(a + b) / 2:g} (midpoint of the range)"
    m = re.match(r"^(~|<|>)?\s*([\d,]+)", t)
    if m:
        v = float(m.group(2).replace(",", ""))
        rule = {
            "~": "approximate figure taken as stated",
            "<": "the stated upper bound",
            ">": "the stated lower bound",
            None: "the stated figure",
        }[m.group(1)]
        extra = "" if re.fullmatch(r"[~<>]?\s*[\d,]+", t) else "; other parts of the cell in notes"
        return v, f"'{t}' -> {v:g} ({rule}{extra})"
    return None, f"'{t}': no number -> personnel empty, kpe 0"


def posture_id(row: Mapping[str, str]) -> str:
    """Return the slug of a posture row: iso3_kind_year (year of `date`, or 'undated')."""
    kind = POSTURE_KIND[row["kind"]]
    years = re.findall(r"(?<!\d)(20\d\d|19\d\d)(?!\d)", row["date"])
    year = years[0] if years else "undated"
    return f"{row['iso3'].lower()}_{kind}_{year}"


# --------------------------------------------------------------------------------------
# Zones: access per agreement row where no site holds it, port calls, sea room
# --------------------------------------------------------------------------------------

#: access_agreements.csv rows with no site in the layer: access level and short basis.
AGREEMENT_ONLY_ACCESS: Mapping[str, tuple[str, str]] = {
    "COL": (
        "limited",
        "counter-narcotics cooperation access (2009 base deal voided 2010; "
        "intelligence sharing halted 2025), recalled",
    ),
    "ARG": (
        "limited",
        "USACE-Argentine ports MoU on the Parana-Paraguay waterway, Mar 2024 "
        "(Agenda Malvinas); Ushuaia base discussed (recalled): the weakest basis in the layer",
    ),
}
#: Short names of the agreement under which a zone's sites are used, for `access_basis`.
BASIS_LABEL: Mapping[str, str] = {
    "DJI": "Camp Lemonnier lease 2014 (incl. Chabelley)",
    "PHL": "EDCA 2014, 9 agreed locations (4 added 2023)",
    "SGP": "1990 MoU on U.S. use of facilities, renewed 2019 to 2035",
    "THA": "U-Tapao case-by-case exercise/HADR access",
    "HND": "Soto Cano Air Base (JTF-Bravo)",
    "SLV": "CSL Comalapa agreement 2000, extended",
    "PAN": "MoU of 9 Apr 2025, 4 authorised locations",
    "CUB": "Naval Station Guantanamo Bay lease 1903",
    "BHS": "AUTEC test range (agreement recalled)",
    "KEN": "Camp Simba/Manda Bay cooperative security location",
    "GHA": "2018 Defence Cooperation Agreement",
    "SEN": "2016 defence cooperation agreement",
    "GAB": "Libreville cooperative security location (crisis response)",
    "SOM": "Baledogle airfield access",
    "PRY": "SOFA signed Dec 2025, ratified Mar 2026",
    "PER": "congressional authorisation of U.S. rotations for 2026",
}
#: Short citations of agreement rows (publication, year) for `access_basis`.
AGREEMENT_CITES: Mapping[str, str] = {
    "PHL": "PCO/Manila Shimbun 2023",
    "SGP": "Straits Times 2019",
    "THA": "recalled in the reference",
    "DJI": "AP 2014",
    "KEN": "recalled in the reference",
    "GHA": "recalled in the reference",
    "SEN": "recalled in the reference",
    "GAB": "recalled in the reference",
    "SOM": "recalled in the reference",
    "COL": "walesun 2025; rest recalled",
    "PAN": "Army Recognition / Newsroom Panama 2025",
    "HND": "DMDC 2026 via data.ts",
    "CUB": "DMDC 2026 via data.ts",
    "PER": "Res. Leg. 13436/2025-CR via IDN Times 2025",
    "SLV": "SOUTHCOM CSL page; Dialogo 2019",
    "BHS": "DMDC Dec 2025 via troopdata",
    "PRY": "AP via Korea Herald 2026",
    "ARG": "Agenda Malvinas 2024",
    "NER": "AFRICOM/Niger statement 2024",
}
#: Exercise presence that grants limited access where no agreement row does (posture ids).
EXERCISE_ACCESS = {"IDN": "idn_exercise_2024"}
#: Zones with port calls despite the rule (coastal and not hostile), and zones without.
PORT_CALLS_EXCEPTIONS: Mapping[str, tuple[bool, str]] = {
    "CUB": (True, "hostile government, but U.S. warships use NS Guantanamo Bay"),
    "ESH": (False, "disputed territory: calls would be made in Morocco"),
}
#: At-sea naval room (ASSUMPTION): SEA_BASE kpe off every port-call zone, plus
#: SEA_GAIN x the largest importance x proximity of a chokepoint, proximity = 1 - d/1000 km.
#: Countries the President identified as major drug-transit or major illicit drug-producing
#: countries (FAA 481(e)(2), (5)) for FY2025 and, unchanged, for FY2026: the zones layer's
#: ``drug_transit`` (the counter-drug value, docs/model.md §2). Afghanistan, China, India,
#: Mexico and Pakistan are on the list but are no peripheral zone.
# fmt: off
DRUG_TRANSIT = frozenset({
    "AFG", "BHS", "BLZ", "BOL", "MMR", "CHN", "COL", "CRI", "DOM", "ECU", "SLV", "GTM",
    "HTI", "HND", "IND", "JAM", "LAO", "MEX", "NIC", "PAK", "PAN", "PER", "VEN",
})
# fmt: on
DRUG_TRANSIT_SOURCE = (
    "Presidential Determination No. 2024-12 of 15 Sep 2024 on Major Drug Transit or Major "
    "Illicit Drug Producing Countries for Fiscal Year 2025, Federal Register 89 FR 77761 "
    "(24 Sep 2024); the FY2026 determination of 15 Sep 2025 names the same 23 countries"
)
DRUG_TRANSIT_YEAR = 2025

SEA_BASE = 0.25
SEA_GAIN = 3.0
SEA_DECAY_KM = 1000.0


# --------------------------------------------------------------------------------------
# Fronts: risk-channel columns
# --------------------------------------------------------------------------------------

#: NATO nuclear-sharing hosts named by the FAF paper (seeds/000).
NUCLEAR_SHARING_HOSTS = frozenset({"BEL", "DEU", "ITA", "NLD", "TUR"})


@dataclass(frozen=True)
class RiskSpec:
    """Risk-channel assumptions of one front."""

    latency: float
    latency_note: str
    integration: float
    integration_note: str
    arms_estimate: float | None = None  # set where SIPRI share is a gap
    arms_note: str = ""
    trade_estimate: float | None = None  # set where no DOTS figure exists
    trade_note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


LATENCY_RULE = (
    "proliferation_latency (ASSUMPTION): 0.8 host named by the FAF paper for a nuclear-"
    "armament debate; 0.6 latent capability (full fuel cycle or separated plutonium); 0.4 "
    "past weapons programme; 0.2 capability or debate under firm non-proliferation commitments; "
    "0.05-0.1 none of these"
)
RISK_SPECS: Mapping[str, RiskSpec] = {
    "nato_east_poland": RiskSpec(
        0.2,
        "leaders' 2025 calls for nuclear options and to join nuclear sharing (recalled)",
        0.75,
        "NATO integrated command; U.S. V Corps forward HQ in Poznan; Patriot, HIMARS, "
        "F-35, Abrams (recalled)",
    ),
    "nato_east_baltics": RiskSpec(
        0.05,
        "no capability or debate",
        0.7,
        "NATO integrated command and forward land forces (not U.S.-led); shared air policing",
    ),
    "nato_east_romania": RiskSpec(
        0.05,
        "no capability or debate",
        0.7,
        "NATO integrated command; Aegis Ashore Deveselu run by the U.S. Navy under NATO BMD",
    ),
    "germany_rear_hub": RiskSpec(
        0.2,
        "nuclear-sharing host; debate on a European deterrent (recalled)",
        0.85,
        "NATO integrated command under a U.S. SACEUR; nuclear sharing; Ramstein air "
        "operations centre",
    ),
    "korea": RiskSpec(
        0.8,
        "named by the FAF paper: South Korea's debates over nuclear armament",
        0.95,
        "Combined Forces Command (wartime operational control under a U.S. general), "
        "integrated air and missile defence",
    ),
    "japan_mainland": RiskSpec(
        0.6,
        "latent capability: full fuel cycle and separated plutonium (recalled; the FAF "
        "paper does not name Japan)",
        0.8,
        "alliance coordination mechanism, co-located "
        "commands (Yokota), integrated missile defence; USFJ becoming a joint force HQ "
        "(recalled)",
    ),
    "japan_okinawa_southwest": RiskSpec(
        0.6,
        "as japan_mainland (same host)",
        0.75,
        "as japan_mainland, less integrated ground forces (III MEF operates separately)",
    ),
    "taiwan": RiskSpec(
        0.4,
        "covert weapons programme in the 1970s-80s (recalled)",
        0.3,
        "no alliance or combined command; limited intelligence sharing; U.S. systems and trainers",
        arms_estimate=95.0,
        arms_note="ESTIMATE: ~95% (the U.S. is Taiwan's almost sole "
        "foreign supplier, recalled; SIPRI share a gap in the reference)",
        trade_estimate=13.0,
        trade_note="ESTIMATE: ~13% (recalled order of magnitude: the U.S. "
        "took ~15% of Taiwan's exports and supplied ~11% of its imports in 2020; Taiwan is "
        "not a DOTS reporter)",
    ),
    "australia_north": RiskSpec(
        0.2,
        "AUKUS nuclear propulsion under NPT safeguards",
        0.8,
        "Five Eyes, joint facility Pine Gap, AUKUS, largely U.S. systems",
        arms_estimate=75.0,
        arms_note="ESTIMATE: ~75% (the U.S. is Australia's main supplier "
        "per NHK 2023 in the reference; share a gap, recalled order of magnitude)",
    ),
    "philippines_edca": RiskSpec(
        0.05,
        "no capability or debate",
        0.5,
        "1951 treaty, EDCA, Task Force-Philippines "
        "(2025); mixed systems (South Korean, Israeli, U.S.)",
        arms_estimate=20.0,
        arms_note="ESTIMATE: ~20% (South Korea and Israel supply most "
        "recent imports, recalled; share a gap in the reference)",
    ),
    "me_qatar": RiskSpec(
        0.1,
        "none; the FAF paper's Gulf case is Saudi Arabia, which is not a front",
        0.45,
        "Combined Air Operations Center at Al Udeid (U.S.-led); no alliance",
        arms_estimate=45.0,
        arms_note="ESTIMATE: ~45% (large French and Italian purchases too, "
        "recalled; not in the reference)",
    ),
    "me_bahrain": RiskSpec(
        0.1,
        "none (see me_qatar)",
        0.5,
        "5th Fleet and Combined Maritime Forces HQ; MNNA",
        arms_estimate=80.0,
        arms_note="ESTIMATE: ~80% (recalled; not in the reference)",
    ),
    "me_kuwait": RiskSpec(
        0.1,
        "none (see me_qatar)",
        0.4,
        "MNNA; defence cooperation agreement; Army Central forward",
        arms_estimate=65.0,
        arms_note="ESTIMATE: ~65% (recalled; not in the reference)",
    ),
}
#: Which row of us_arms_share.csv applies to which hosts.
ARMS_ROWS = {
    "European NATO states": ("2020-24", {"POL", "EST", "LVA", "LTU", "ROU", "DEU"}),
    "Japan": ("2019-23", {"JPN"}),
    "South Korea": ("2019-23", {"KOR"}),
}
