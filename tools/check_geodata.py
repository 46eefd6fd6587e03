"""Check the shipped layers in geodata/ against redeploy.schemas, and that builds are stable.

Usage (from the repository root)::

    python tools/check_geodata.py                  # check the files
    python tools/check_geodata.py --rebuild        # also rebuild into a temporary folder
                                                   # and compare bytes (sha256)
    python tools/check_geodata.py --rebuild --world-atlas DIR   # ... the basemap too

Exit status 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pycountry

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from redeploy.schemas import CRS, SCHEMAS, LayerKind  # noqa: E402

ISO3 = frozenset(c.alpha_3 for c in pycountry.countries) | {"XKX"}
SLUG = re.compile(r"^[a-z0-9_]+$")
LAYERS = ("fronts", "chokepoints", "mineral_zones", "supply_nodes", "peripheral_zones", "basemap")
#: Chokepoint points that the reference places inside canal lakes, which Natural Earth
#: admin-0 polygons cover (Great Bitter Lake, Gatun Lake).
IN_CANAL = frozenset({"suez", "panama"})
EXPECTED_ZONES = {
    "Southeast Asia": 11,
    "Africa": 55,
    "South America": 12,
    "Central America": 7,
    "Caribbean": 13,
}


def _missing(v: object) -> bool:
    return (
        v is None
        or v is pd.NA
        or (isinstance(v, float) and math.isnan(v))
        or (isinstance(v, str) and not v.strip())
    )


def check_layer(path: Path, kind: LayerKind) -> list[str]:
    """Return the problems of one layer file (empty when it is fine)."""
    schema = SCHEMAS[kind]
    gdf = gpd.read_file(path, engine="pyogrio")
    problems = []
    if gdf.crs is None or gdf.crs.to_string() != CRS:
        problems.append(f"CRS {gdf.crs} != {CRS}")
    ids = gdf["id"].tolist()
    if len(ids) != len(set(ids)):
        problems.append("duplicate ids")
    if ids != sorted(ids):
        problems.append("rows not sorted by id")
    for col in schema.columns:
        if col not in gdf.columns:
            problems.append(f"column {col} missing")
    extra = set(gdf.columns) - set(schema.columns) - {"geometry"}
    if extra:
        problems.append(f"columns not in the schema: {sorted(extra)}")
    for i, row in gdf.iterrows():
        fid = row["id"]
        if not SLUG.match(str(fid)):
            problems.append(f"{fid}: id is not a slug")
        geom = row.geometry
        if geom is None or geom.is_empty or not geom.is_valid:
            problems.append(f"{fid}: geometry missing, empty or invalid")
        elif geom.geom_type not in schema.geometry_types:
            problems.append(f"{fid}: geometry {geom.geom_type} not allowed")
        for col, spec in schema.columns.items():
            v = row.get(col)
            if _missing(v):
                if spec.required:
                    problems.append(f"{fid}: required column {col} is empty")
                continue
            if spec.dtype in ("float", "int"):
                x = float(v)
                if spec.dtype == "int" and not x.is_integer():
                    problems.append(f"{fid}: {col}={v!r} is not an integer")
                if (spec.minimum is not None and x < spec.minimum) or (
                    spec.maximum is not None and x > spec.maximum
                ):
                    problems.append(f"{fid}: {col}={v!r} out of {spec.allowed()}")
            elif spec.dtype == "enum" and v not in spec.choices:
                problems.append(f"{fid}: {col}={v!r} not {spec.allowed()}")
            elif spec.dtype == "iso3" and v not in ISO3:
                problems.append(f"{fid}: {col}={v!r} is not an ISO3 code")
            elif spec.dtype == "iso3_list":
                bad = [c for c in str(v).split(";") if c not in ISO3]
                if bad:
                    problems.append(f"{fid}: {col} has non-ISO3 codes {bad}")
            elif spec.dtype == "slug" and not SLUG.match(str(v)):
                problems.append(f"{fid}: {col}={v!r} is not a slug")
        if row["confidence"] == "estimate" and _missing(row.get("notes")):
            problems.append(f"{fid}: estimate without notes")
        del i
    return problems


def check_relations(folder: Path) -> list[str]:
    """Cross-layer checks: chokepoints in water, zones complete, fronts' floors."""
    problems = []
    basemap = gpd.read_file(folder / "basemap.geojson", engine="pyogrio")
    land = basemap.union_all()
    chokepoints = gpd.read_file(folder / "chokepoints.geojson", engine="pyogrio")
    for fid, geom in zip(chokepoints["id"], chokepoints.geometry, strict=True):
        if fid not in IN_CANAL and land.contains(geom):
            problems.append(f"chokepoints/{fid}: point on land in the basemap")
    zones = gpd.read_file(folder / "peripheral_zones.geojson", engine="pyogrio")
    counts = zones["region"].value_counts().to_dict()
    if counts != EXPECTED_ZONES:
        problems.append(f"peripheral_zones: counts per region {counts} != {EXPECTED_ZONES}")
    if zones["iso3"].str.lower().tolist() != zones["id"].tolist():
        problems.append("peripheral_zones: id is not the lower-case iso3")
    fronts = gpd.read_file(folder / "fronts.geojson", engine="pyogrio")
    for asset in ("naval", "air", "ground", "isr", "engagement"):
        bad = fronts[fronts[f"floor_{asset}"] > fronts[f"us_{asset}"]]["id"].tolist()
        if bad:
            problems.append(f"fronts: floor_{asset} > us_{asset} for {bad}")
    return problems


def check_with_redeploy(folder: Path) -> list[str]:
    """Validate with redeploy.layers.read_layer when that module is available."""
    try:
        from redeploy.layers import read_layer
    except ImportError as err:
        return [f"(skipped redeploy.layers validation: {err})"]
    problems = []
    for name in LAYERS:
        try:
            read_layer(folder / f"{name}.geojson", kind=name)
        except Exception as err:  # report any failure of the package's own validator
            problems.append(f"redeploy.layers.read_layer({name}): {err}")
    return problems


def sha256(path: Path) -> str:
    """Return the hex sha256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rebuild_and_compare(folder: Path, world_atlas: Path | None) -> list[str]:
    """Rebuild into a temporary folder and compare bytes with `folder`."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="redeploy-geodata-") as tmp:
        out = Path(tmp)
        if world_atlas is not None:
            subprocess.run(
                [
                    sys.executable,
                    str(REPO / "tools" / "build_basemap.py"),
                    "--world-atlas",
                    str(world_atlas),
                    "--out",
                    str(out / "basemap.geojson"),
                ],
                check=True,
            )
        else:
            shutil.copy(folder / "basemap.geojson", out / "basemap.geojson")
        subprocess.run(
            [sys.executable, str(REPO / "tools" / "build_geodata.py"), "--out", str(out)],
            check=True,
        )
        names = [*LAYERS[:-1], "ESTIMATES"] + (["basemap"] if world_atlas else [])
        for name in names:
            ext = ".md" if name == "ESTIMATES" else ".geojson"
            a, b = folder / f"{name}{ext}", out / f"{name}{ext}"
            same = sha256(a) == sha256(b)
            print(f"  {name}{ext}: {sha256(a)[:16]} {'==' if same else '!='} {sha256(b)[:16]}")
            if not same:
                problems.append(f"{name}{ext}: rebuild differs")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--geodata", type=Path, default=REPO / "geodata")
    parser.add_argument(
        "--rebuild", action="store_true", help="rebuild into a temporary folder and compare bytes"
    )
    parser.add_argument(
        "--world-atlas",
        type=Path,
        default=None,
        help="with --rebuild: also rebuild the basemap from this folder",
    )
    args = parser.parse_args(argv)
    problems: list[str] = []
    for name in LAYERS:
        path = args.geodata / f"{name}.geojson"
        layer = check_layer(path, LayerKind(name))
        gdf = gpd.read_file(path, engine="pyogrio")
        sourced = (gdf["confidence"] == "sourced").sum()
        print(
            f"{name}: {len(gdf)} features, {sourced} sourced ({sourced / len(gdf):.0%}), "
            f"{path.stat().st_size / 1e6:.2f} MB, {len(layer)} problems"
        )
        problems += [f"{name}/{p}" for p in layer]
    problems += check_relations(args.geodata)
    problems += [p for p in check_with_redeploy(args.geodata) if not p.startswith("(")]
    if args.rebuild:
        problems += rebuild_and_compare(args.geodata, args.world_atlas)
    for p in problems:
        print("PROBLEM:", p)
    print("OK" if not problems else f"{len(problems)} problems")
    return 0 if not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
