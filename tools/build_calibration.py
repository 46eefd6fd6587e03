"""Build the calibration targets in geodata/calibration/ from the reference data and the
posture layer.

Usage (from the repository root, after ``python tools/build_geodata.py``)::

    python tools/build_calibration.py [--reference DIR] [--geodata DIR]

Writes (deterministic, rows sorted, fixed rounding):

- ``posture_targets.csv``: the observed standing U.S. presence per peripheral zone and
  military class (kpe), from the rows of ``posture.geojson`` that count.
- ``engagement_targets.csv``: observed U.S. engagement ($bn/yr) per model region, from
  ``reference-data/calibration/engagement_flows.csv`` converted row by row.
- ``engagement_rows.csv``: every row of engagement_flows.csv with the decision taken
  (used for which region and how converted to $m/yr, or skipped and why).

The rules are in geodata/calibration/README.md and geodata/SOURCES.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grounding as gr
from build_geodata import DEFAULT_REFERENCE, REPO, read_csv

REGIONS = ("Southeast Asia", "Africa", "South America", "Central America", "Caribbean")

# --------------------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------------------


def label_weight(confidence: str) -> float:
    """Return the weight of a reference confidence label.

    verified 1.0; verified with a (secondary), (dated) or (computed) qualifier 0.7; with a
    (weak) qualifier 0.4 (weak dominates other qualifiers); recalled 0.2.
    """
    c = confidence.lower()
    if not c.startswith("verified"):
        return 0.2
    if "weak" in c:
        return 0.4
    if any(q in c for q in ("secondary", "dated", "computed", "derived")):
        return 0.7
    return 1.0


#: Weight of a zone-class target with no counted presence (ASSUMPTION): the reference data
#: were compiled to find U.S. presence, but unlisted rotations and ship visits may exist.
ABSENCE_WEIGHT = 0.4
#: Factor on a posture row's weight when the row is an estimate (assumed exercise length).
ESTIMATE_FACTOR = 0.7
#: Factor on an engagement target that is a known lower bound or rests on a split assumption.
COVERAGE_FACTOR = 0.7

# --------------------------------------------------------------------------------------
# Posture targets
# --------------------------------------------------------------------------------------


def posture_targets(reference: Path, geodata: Path) -> list[dict[str, str]]:
    """Return the rows of posture_targets.csv."""
    posture = json.loads((geodata / "posture.geojson").read_text(encoding="utf-8"))
    zones = json.loads((geodata / "peripheral_zones.geojson").read_text(encoding="utf-8"))
    ref = {
        gr.posture_id(r): r
        for r in read_csv(reference / "calibration" / "peripheral_posture.csv")
        if r["iso3"] not in gr.POSTURE_SKIP
    }
    rows = []
    for zone in sorted(zones["features"], key=lambda f: f["properties"]["id"]):
        z = zone["properties"]
        counted = [
            f["properties"]
            for f in posture["features"]
            if f["properties"]["zone_id"] == z["id"] and f["properties"]["counts"]
        ]
        for asset in gr.MILITARY:
            parts = [p for p in counted if p[f"kpe_{asset}"] > 0]
            kpe = sum(p[f"kpe_{asset}"] for p in parts)
            if parts:
                weights, labels = [], []
                for p in parts:
                    label = ref[p["id"]]["confidence"]
                    w = label_weight(label)
                    if p["confidence"] == "estimate":
                        w *= ESTIMATE_FACTOR
                    weights.append(w * p[f"kpe_{asset}"])
                    labels.append(label)
                weight = sum(weights) / kpe
                weakest = min(labels, key=label_weight)
                row = {
                    "kinds": ";".join(sorted({p["kind"] for p in parts})),
                    "date": ";".join(p["date"] for p in sorted(parts, key=lambda p: p["id"])),
                    "source": " | ".join(
                        f"[{p['id']}] {p['source']}" for p in sorted(parts, key=lambda p: p["id"])
                    ),
                    "confidence": weakest,
                    "weight": weight,
                }
            else:
                row = {
                    "kinds": "none",
                    "date": "2025-12-31",
                    "source": "geodata/posture.geojson: no counted row for this zone and class "
                    "(DMDC Dec 2025 embassy/security-cooperation staff only, or no row)",
                    "confidence": "absence of a counted row",
                    "weight": ABSENCE_WEIGHT,
                }
            rows.append(
                {
                    "zone_id": z["id"],
                    "region": z["region"],
                    "asset": asset,
                    "observed_kpe": f"{kpe:.4f}",
                    **{k: v for k, v in row.items() if k != "weight"},
                    "weight": f"{row['weight']:.2f}",
                }
            )
    return rows


# --------------------------------------------------------------------------------------
# Engagement targets
# --------------------------------------------------------------------------------------

#: DFC turnover ratio: FY2024 commitments / active portfolio (rows 6 and 7 of
#: engagement_flows.csv): converts a regional portfolio stock into an annual flow.
DFC_FLOW_FY2024 = 12_000.0
DFC_STOCK_2025 = 50_000.0
#: Population of the model's American regions and of Mexico (millions, UN WPP 2023,
#: recalled; ASSUMPTION): splits LAC-wide flows; Mexico's share is dropped (not a zone).
POPULATION_M = {
    "South America": 437.7,
    "Central America": 52.3,
    "Caribbean": 39.8,
    "Mexico": 128.5,
}
#: One-off commitments spread over this many years (ASSUMPTION: MCC compact term; FMF
#: supplemental and EXIM loan disbursement windows).
SPREAD_YEARS = 5.0
#: Years over which DFC country commitments of FY2023-FY2024 are averaged (Southeast Asia).
DFC_WINDOW_YEARS = 2.0


@dataclass(frozen=True)
class Decision:
    """What is done with one engagement_flows.csv row."""

    use: bool
    region: str  # a model region, "LAC" (split by population) or ""
    per_year_m: float  # $m/yr
    rule: str


def _lac_share(region: str) -> float:
    return POPULATION_M[region] / sum(POPULATION_M.values())


#: Per row of engagement_flows.csv (0-based index in file order): the decision. Indices
#: are checked against (iso3_or_region, instrument) so a changed file fails loudly.
DECISIONS: Mapping[int, tuple[str, str, Decision]] = {
    0: (
        "AGO",
        "DFC",
        Decision(False, "", 0, "one-off commitment, inside the SSA DFC portfolio (row 2)"),
    ),
    1: (
        "AGO",
        "DFC",
        Decision(False, "", 0, "cumulative 2021-24, inside the SSA DFC portfolio (row 2)"),
    ),
    2: (
        "SSA",
        "DFC",
        Decision(
            True,
            "Africa",
            13_000 * DFC_FLOW_FY2024 / DFC_STOCK_2025,
            "stock x DFC turnover (FY2024 commitments 12,000 / active portfolio 50,000 = 0.24/yr)",
        ),
    ),
    3: (
        "LAC",
        "DFC",
        Decision(
            True,
            "LAC",
            10_000 * DFC_FLOW_FY2024 / DFC_STOCK_2025,
            "stock (Mar 2022) x DFC turnover 0.24/yr; split by population",
        ),
    ),
    4: (
        "IPAC",
        "DFC",
        Decision(
            False, "", 0, "Indo-Pacific incl. South Asia and the Pacific: no Southeast Asia split"
        ),
    ),
    5: (
        "IPAC",
        "DFC",
        Decision(
            False, "", 0, "Indo-Pacific incl. South Asia and the Pacific: no Southeast Asia split"
        ),
    ),
    6: ("WLD", "DFC", Decision(False, "", 0, "world: numerator of the DFC turnover ratio")),
    7: ("WLD", "DFC", Decision(False, "", 0, "world: denominator of the DFC turnover ratio")),
    8: ("WLD", "DFC", Decision(False, "", 0, "world, dated: cross-check only")),
    9: ("WLD", "DFC", Decision(False, "", 0, "world, partial-year approvals")),
    10: ("WLD", "DFC", Decision(False, "", 0, "portfolio ceiling, not spending")),
    11: (
        "VNM",
        "DFC",
        Decision(
            True,
            "Southeast Asia",
            400 / DFC_WINDOW_YEARS,
            "FY2023-24 country commitment / 2 years (no regional flow for Southeast Asia)",
        ),
    ),
    12: (
        "IDN",
        "DFC",
        Decision(
            True, "Southeast Asia", 126 / DFC_WINDOW_YEARS, "FY2023-24 country commitment / 2 years"
        ),
    ),
    13: (
        "PHL",
        "DFC",
        Decision(
            True, "Southeast Asia", 75 / DFC_WINDOW_YEARS, "FY2023-24 country commitment / 2 years"
        ),
    ),
    14: ("SLE", "DFC", Decision(False, "", 0, "one-off, inside the SSA DFC portfolio (row 2)")),
    15: ("ZAF", "DFC", Decision(False, "", 0, "one-off, inside the SSA DFC portfolio (row 2)")),
    16: ("ECU", "DFC", Decision(False, "", 0, "one-off, inside the LAC DFC portfolio (row 3)")),
    17: ("SLV", "DFC", Decision(False, "", 0, "one-off, inside the LAC DFC portfolio (row 3)")),
    18: ("SLV", "DFC", Decision(False, "", 0, "financing package; DFC share not stated")),
    19: ("GTM", "DFC", Decision(False, "", 0, "one-off, inside the LAC DFC portfolio (row 3)")),
    20: ("BRA", "DFC", Decision(False, "", 0, "one-off, inside the LAC DFC portfolio (row 3)")),
    21: ("DOM", "DFC", Decision(False, "", 0, "one-off, inside the LAC DFC portfolio (row 3)")),
    22: ("TZA;BDI", "DFC", Decision(False, "", 0, "one-off, inside the SSA DFC portfolio (row 2)")),
    23: (
        "IDN",
        "MCC",
        Decision(True, "Southeast Asia", 649 / SPREAD_YEARS, "compact over 5 years"),
    ),
    24: (
        "TLS",
        "MCC",
        Decision(True, "Southeast Asia", 420 / SPREAD_YEARS, "compact over 5 years"),
    ),
    25: (
        "MOZ",
        "MCC",
        Decision(
            True, "Africa", 500 / SPREAD_YEARS, "compact over 5 years (kept after the 2025 review)"
        ),
    ),
    26: (
        "SLE",
        "MCC",
        Decision(
            True, "Africa", 480 / SPREAD_YEARS, "compact over 5 years (kept after the 2025 review)"
        ),
    ),
    27: ("LSO", "MCC", Decision(False, "", 0, "work stopped Feb 2025; status unknown")),
    28: (
        "WLD",
        "MCC",
        Decision(False, "", 0, "world appropriation: country compacts used instead"),
    ),
    29: ("WLD", "MCC", Decision(False, "", 0, "world obligations: country compacts used instead")),
    30: ("WLD", "MCC", Decision(False, "", 0, "no amount")),
    31: ("SEN", "MCC", Decision(False, "", 0, "recalled, not checked")),
    32: ("CIV", "MCC", Decision(False, "", 0, "recalled, not checked")),
    33: ("MWI", "MCC", Decision(False, "", 0, "recalled, not checked")),
    34: ("BLZ", "MCC", Decision(False, "", 0, "recalled, not checked")),
    35: ("ZMB", "MCC", Decision(False, "", 0, "no amount")),
    36: (
        "PHL",
        "FMF",
        Decision(
            True,
            "Southeast Asia",
            500 / SPREAD_YEARS,
            "one-off supplemental spread over 5 years (ASSUMPTION)",
        ),
    ),
    37: ("PHL", "FMF", Decision(True, "Southeast Asia", 40.0, "annual flow")),
    38: (
        "PHL",
        "other (DoD MILCON, EDCA)",
        Decision(
            False,
            "",
            0,
            "U.S. construction for its own use at EDCA sites (posture cost, not "
            "engagement); a request",
        ),
    ),
    39: ("PHL", "FMF", Decision(False, "", 0, "dated (FY2012): superseded by row 37")),
    40: ("IDN", "FMF", Decision(False, "", 0, "no amount")),
    41: ("VNM", "FMF", Decision(False, "", 0, "no amount")),
    42: (
        "SEA",
        "other (maritime security assistance)",
        Decision(False, "", 0, "dated (FY2016) and overlaps Philippine FMF"),
    ),
    43: (
        "COL",
        "other (security assistance, all accounts)",
        Decision(False, "", 0, "inside the LAC State/USAID total (row 50)"),
    ),
    44: ("COL", "FMF", Decision(False, "", 0, "dated (FY2011)")),
    45: (
        "SSA",
        "other (State/USAID bilateral aid, all sectors)",
        Decision(
            True,
            "Africa",
            8000.0,
            "annual average FY2013-22 (USAID dismantled in 2025: a pre-2025 level)",
        ),
    ),
    46: (
        "SSA",
        "other (State-led security assistance)",
        Decision(False, "", 0, "State-administered: inside row 45; dated request"),
    ),
    47: ("AFR", "IMET", Decision(False, "", 0, "State-administered: inside row 45; weak source")),
    48: ("KEN", "other (counterterrorism aid)", Decision(False, "", 0, "inside row 45; dated")),
    49: ("LAC", "USAID", Decision(False, "", 0, "dated (FY2020): row 50 used")),
    50: (
        "LAC",
        "USAID",
        Decision(
            True,
            "LAC",
            2400 - 369.9,
            "FY2022 estimate derived from the FY2023 request (2,400 - 369.9); split by population",
        ),
    ),
    51: (
        "CAM",
        "USAID",
        Decision(
            False, "", 0, "dated (FY2013-18, ~617/yr): cross-check of the population split only"
        ),
    ),
    52: (
        "IPAC",
        "USAID",
        Decision(False, "", 0, "Indo-Pacific incl. South Asia: no Southeast Asia split"),
    ),
    53: ("IDN", "USAID", Decision(True, "Southeast Asia", 130.0, "annual flow (c.2024)")),
    54: ("WLD", "USAID", Decision(False, "", 0, "world")),
    55: (
        "MOZ",
        "EXIM",
        Decision(
            True,
            "Africa",
            4700 / SPREAD_YEARS,
            "one-off loan spread over 5 years of disbursement (ASSUMPTION)",
        ),
    ),
}
#: Known gaps per region, stated in the target's basis (coverage factor applies).
COVERAGE_NOTES = {
    "Southeast Asia": "lower bound: Indo-Pacific-wide DFC and aid rows (incl. South Asia) "
    "are not split; no FMF for Indonesia/Vietnam",
    "Africa": "sub-Saharan figures only: North Africa (e.g. Egypt, Morocco) not covered",
    "South America": "LAC-wide rows split by population share (Mexico's share dropped)",
    "Central America": "LAC-wide rows split by population share; the dated Central America "
    "row (~617/yr FY2013-18) suggests this understates it",
    "Caribbean": "LAC-wide rows split by population share (Haiti's aid likely understated)",
}


def engagement(reference: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Return (engagement_targets rows, engagement_rows rows)."""
    flows = read_csv(reference / "calibration" / "engagement_flows.csv")
    if len(flows) != len(DECISIONS):
        msg = f"engagement_flows.csv has {len(flows)} rows, DECISIONS {len(DECISIONS)}"
        raise ValueError(msg)
    per_region: dict[str, list[tuple[dict[str, str], float, str]]] = {r: [] for r in REGIONS}
    log = []
    for i, row in enumerate(flows):
        key, instrument, d = DECISIONS[i]
        if (row["iso3_or_region"], row["instrument"]) != (key, instrument):
            got = f"{row['iso3_or_region']}/{row['instrument']}"
            msg = f"engagement_flows.csv row {i}: {got} != {key}/{instrument}"
            raise ValueError(msg)
        if d.use and d.region == "LAC":
            targets = [(r, d.per_year_m * _lac_share(r)) for r in REGIONS[2:]]
        elif d.use:
            targets = [(d.region, d.per_year_m)]
        else:
            targets = []
        for region, amount in targets:
            per_region[region].append((row, amount, d.rule))
        log.append(
            {
                "row": str(i),
                "iso3_or_region": row["iso3_or_region"],
                "instrument": row["instrument"],
                "amount_usd_m": row["amount_usd_m"],
                "period": row["period"],
                "confidence": row["confidence"],
                "decision": "used" if d.use else "skipped",
                "region": "; ".join(r for r, _ in targets),
                "usd_m_per_yr": "; ".join(f"{a:.1f}" for _, a in targets),
                "rule": d.rule
                + (
                    " (shares: " + ", ".join(f"{r} {_lac_share(r):.3f}" for r in REGIONS[2:]) + ")"
                    if d.use and d.region == "LAC"
                    else ""
                ),
            }
        )
    out = []
    for region in REGIONS:
        parts = per_region[region]
        total = sum(a for _, a, _ in parts)
        instruments = sorted({r["instrument"].split(" (")[0] for r, _, _ in parts})
        labels = [r["confidence"] for r, _, _ in parts]
        weakest = min(labels, key=label_weight)
        split = any("split by population" in rule for _, _, rule in parts)
        spread = any("ASSUMPTION" in rule for _, _, rule in parts)
        base = min(label_weight(c) for c in labels)
        if split or spread:
            base = min(base, 0.7)  # derived with an assumption
        weight = base * COVERAGE_FACTOR
        basis = "; ".join(
            f"{r['iso3_or_region']} {r['instrument']} {a:.1f} ({rule})" for r, a, rule in parts
        )
        periods = sorted({r["period"] for r, _, _ in parts})
        out.append(
            {
                "region": region,
                "observed_bn_per_yr": f"{total / 1000:.3f}",
                "instruments": ";".join(instruments),
                "basis": f"$m/yr: {basis}; coverage: {COVERAGE_NOTES[region]}",
                "period": " | ".join(periods),
                "source": " | ".join(sorted({r["source"] for r, _, _ in parts})),
                "date": "pre-2025 levels (FY2013-FY2025 figures; 2025 USAID/MCC cuts not "
                "reflected)",
                "confidence": weakest,
                "weight": f"{weight:.2f}",
            }
        )
    return out, log


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    """Write `rows` (dicts with the same keys) to `path`, byte-stable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--geodata", type=Path, default=REPO / "geodata")
    args = parser.parse_args(argv)
    out = args.geodata / "calibration"
    posture = posture_targets(args.reference, args.geodata)
    write_csv(out / "posture_targets.csv", posture)
    targets, log = engagement(args.reference)
    write_csv(out / "engagement_targets.csv", targets)
    write_csv(out / "engagement_rows.csv", log)
    print(f"posture_targets.csv: {len(posture)} rows")
    for t in targets:
        print(f"engagement {t['region']}: {t['observed_bn_per_yr']} $bn/yr (weight {t['weight']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
