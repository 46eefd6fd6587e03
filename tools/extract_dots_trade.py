"""Extract the U.S. share of the fronts' host countries' goods trade from IMF DOTS (2020).

Writes ``tools/data/front_hosts_us_trade_dots.csv``, which ``build_geodata.py`` reads for
the fronts' ``us_trade_share_pct``. It applies to the fronts' hosts the formula that
``shared/reference-data/coefficients/peripheral_trade.csv`` applies to the peripheral
countries, on the same files:

    share = (exports of X to the U.S. + U.S. exports to X)
            / (exports of X to World + World's exports to X)

i.e. imports are mirror data (partner FOB exports). Source: IMF Direction of Trade
Statistics, "Exports, FOB to Partner Countries", one xlsx file per reporter,
``data/DOTS/DOTS_*.xlsx`` in GitHub repository SamLeBlanc/Direction-of-Trade-Map
(commit a0b40afb, 2022). The check against the reference: this script reproduces
Brunei 1.8 % / US$10.6bn and Cambodia 12.7 % / US$44.8bn of peripheral_trade.csv.

Usage (needs openpyxl and a checkout or bare clone of that repository)::

    python tools/extract_dots_trade.py --repo PATH/TO/Direction-of-Trade-Map

Run once; the CSV is committed, so the geodata build needs neither the repository nor
openpyxl. Taiwan is not a DOTS reporter (only a partner), so it has no row.
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parent / "data" / "front_hosts_us_trade_dots.csv"
COMMIT = "a0b40afb"
#: ISO3 -> DOTS reporter name, for the host countries of fronts.csv.
HOSTS = {
    "JPN": "Japan",
    "KOR": "Korea, Rep. of",
    "DEU": "Germany",
    "POL": "Poland, Rep. of",
    "EST": "Estonia, Rep. of",
    "LVA": "Latvia",
    "LTU": "Lithuania",
    "ROU": "Romania",
    "AUS": "Australia",
    "PHL": "Philippines",
    "QAT": "Qatar",
    "BHR": "Bahrain, Kingdom of",
    "KWT": "Kuwait",
    "BRN": "Brunei Darussalam",  # control: reference says 1.8 %, US$10.6bn
    "KHM": "Cambodia",  # control: reference says 12.7 %, US$44.8bn
}
SOURCE = (
    "IMF Direction of Trade Statistics (exports FOB by partner, 1960-2020), xlsx files "
    "data/DOTS/DOTS_*.xlsx in GitHub repo SamLeBlanc/Direction-of-Trade-Map (commit "
    "a0b40afb, 2022); shares computed by tools/extract_dots_trade.py with the formula of "
    "reference-data/coefficients/peripheral_trade.csv"
)


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def load_tables(repo: Path) -> dict[str, pd.DataFrame]:
    """Return {reporter name: partner x year table (US$ m)} for every DOTS file."""
    names = _git(repo, "ls-tree", "-r", "--name-only", COMMIT, "data/DOTS").decode().split()
    tables = {}
    for name in names:
        raw = pd.read_excel(io.BytesIO(_git(repo, "show", f"{COMMIT}:{name}")), header=None)
        reporter = str(raw.iloc[3, 1])
        years = [int(y) for y in raw.iloc[6, 2:].tolist()]
        table = raw.iloc[7:, 1:].set_index(1)
        table.columns = years
        tables[reporter] = table
    return tables


def _value(tables: dict[str, pd.DataFrame], reporter: str, partner: str, year: int) -> float:
    table = tables[reporter]
    if partner not in table.index:
        return 0.0
    v = table.loc[partner, year]
    if isinstance(v, pd.Series):
        v = v.iloc[0]
    return 0.0 if pd.isna(v) else float(v)


def us_share(tables: dict[str, pd.DataFrame], reporter: str, year: int) -> tuple[float, float]:
    """Return (U.S. share %, total trade US$ bn) of `reporter` in `year`."""
    us = "United States"
    num = _value(tables, reporter, us, year) + _value(tables, us, reporter, year)
    total = _value(tables, reporter, "World", year) + _value(tables, "World", reporter, year)
    return 100 * num / total, total / 1000


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, required=True)
    args = parser.parse_args(argv)
    tables = load_tables(args.repo)
    rows = []
    for iso3, reporter in HOSTS.items():
        share, total = us_share(tables, reporter, 2020)
        share19, _ = us_share(tables, reporter, 2019)
        rows.append(
            {
                "iso3": iso3,
                "dots_reporter": reporter,
                "us_trade_share_pct": f"{share:.2f}",
                "us_trade_share_pct_2019": f"{share19:.2f}",
                "total_trade_usd_bn": f"{total:.2f}",
                "year": "2020",
                "source": SOURCE,
                "confidence": "verified (computed)",
            }
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {OUT} ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
