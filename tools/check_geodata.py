"""Check the shipped layers in geodata/ against redeploy.schemas (and tools/layer_columns.py
for the layers and columns the package does not know yet), and that builds are stable.

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
import numpy as np
import pandas as pd
import pycountry

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from redeploy.schemas import CRS, SCHEMAS, LayerKind  # noqa: E402

sys.path.insert(0, str(REPO / "tools"))
from layer_columns import (  # noqa: E402
    FRONT_EXTRA_COLUMNS,
    POSTURE_COLUMNS,
    SITES_COLUMNS,
    ZONE_EXTRA_COLUMNS,
)

ISO3 = frozenset(c.alpha_3 for c in pycountry.countries) | {"XKX"}
SLUG = re.compile(r"^[a-z0-9_]+$")
LAYERS = ("fronts", "chokepoints", "mineral_zones", "supply_nodes", "peripheral_zones", "basemap")
#: Layers the package does not know yet: name -> (columns, geometry types).
NEW_LAYERS = {
    "sites": (SITES_COLUMNS, frozenset({"Point"})),
    "posture": (POSTURE_COLUMNS, frozenset({"Point"})),
}
#: Columns added to the package's layers by this build.
EXTRA_COLUMNS = {"fronts": FRONT_EXTRA_COLUMNS, "peripheral_zones": ZONE_EXTRA_COLUMNS}
MILITARY = ("naval", "air", "ground", "isr")
CALIBRATION_FILES = ("posture_targets.csv", "engagement_targets.csv", "engagement_rows.csv")
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


def check_layer(path: Path, kind: LayerKind | str) -> list[str]:
    """Return the problems of one layer file (empty when it is fine)."""
    if isinstance(kind, LayerKind):
        schema = SCHEMAS[kind]
        columns = {**schema.columns, **EXTRA_COLUMNS.get(kind.value, {})}
        geometry_types = schema.geometry_types
    else:
        columns, geometry_types = NEW_LAYERS[kind]
    gdf = gpd.read_file(path, engine="pyogrio")
    problems = []
    if gdf.crs is None or gdf.crs.to_string() != CRS:
        problems.append(f"CRS {gdf.crs} != {CRS}")
    ids = gdf["id"].tolist()
    if len(ids) != len(set(ids)):
        problems.append("duplicate ids")
    if ids != sorted(ids):
        problems.append("rows not sorted by id")
    for col in columns:
        if col not in gdf.columns:
            problems.append(f"column {col} missing")
    extra = set(gdf.columns) - set(columns) - {"geometry"}
    if extra:
        problems.append(f"columns not in the schema: {sorted(extra)}")
    for i, row in gdf.iterrows():
        fid = row["id"]
        if not SLUG.match(str(fid)):
            problems.append(f"{fid}: id is not a slug")
        geom = row.geometry
        if geom is None or geom.is_empty or not geom.is_valid:
            problems.append(f"{fid}: geometry missing, empty or invalid")
        elif geom.geom_type not in geometry_types:
            problems.append(f"{fid}: geometry {geom.geom_type} not allowed")
        for col, spec in columns.items():
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
            elif spec.dtype == "bool" and not isinstance(v, bool | np.bool_):
                problems.append(f"{fid}: {col}={v!r} is not true/false")
        if row["confidence"] == "estimate" and _missing(row.get("notes")):
            problems.append(f"{fid}: estimate without notes")
        elif (
            row["confidence"] == "estimate"
            and kind != LayerKind.BASEMAP
            and not re.match(r"ESTIMATES?:", str(row["notes"]))
        ):
            problems.append(f"{fid}: estimate whose notes do not start with ESTIMATE:")
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
    problems += check_grounding(folder, zones)
    return problems


def check_grounding(folder: Path, zones: gpd.GeoDataFrame) -> list[str]:
    """Checks of sites, posture and the evidence columns of zones."""
    problems = []
    sites = gpd.read_file(folder / "sites.geojson", engine="pyogrio")
    posture = gpd.read_file(folder / "posture.geojson", engine="pyogrio")
    zone_geom = dict(zip(zones["id"], zones.geometry, strict=True))
    for layer, gdf in (("sites", sites), ("posture", posture)):
        for fid, zid, iso3, geom in zip(
            gdf["id"], gdf["zone_id"], gdf["iso3"], gdf.geometry, strict=True
        ):
            if zid not in zone_geom:
                problems.append(f"{layer}/{fid}: zone_id {zid} is not a peripheral zone")
            elif not zone_geom[zid].contains(geom):
                problems.append(f"{layer}/{fid}: point not inside zone {zid}")
            if iso3.lower() != zid:
                problems.append(f"{layer}/{fid}: iso3 {iso3} does not match zone_id {zid}")
    for fid, sid in zip(posture["id"], posture["site_id"], strict=True):
        if not _missing(sid) and sid not in set(sites["id"]):
            problems.append(f"posture/{fid}: site_id {sid} is not in sites")
    bad = posture[(posture["kind"] == "withdrawn") & posture["counts"]]["id"].tolist()
    if bad:
        problems.append(f"posture: withdrawn rows that count: {bad}")
    for asset in MILITARY:
        withdrawn = sites[(sites["status"] == "withdrawn") & (sites[f"cap_{asset}"] != 0)]
        if len(withdrawn):
            problems.append(f"sites: withdrawn with cap_{asset} > 0: {withdrawn['id'].tolist()}")
    active = sites[sites["status"] == "active"]
    for _, zone in zones.iterrows():
        zs = active[active["zone_id"] == zone["id"]]
        for asset in MILITARY:
            total = float(zs[f"cap_{asset}"].sum())
            if abs(total - zone[f"absorb_{asset}"]) > 5e-4:
                problems.append(
                    f"peripheral_zones/{zone['id']}: absorb_{asset} {zone[f'absorb_{asset}']} != "
                    f"sum of its sites' cap_{asset} {total:.4f}"
                )
        basing = not _missing(zone["access_basis"]) and not str(zone["access_basis"]).startswith(
            "naval at-sea operations and port calls only"
        )
        if (zone["access"] == "none") == basing:
            problems.append(
                f"peripheral_zones/{zone['id']}: access {zone['access']!r} with access_basis "
                f"{zone['access_basis']!r} (basing access iff a basing basis)"
            )
        if zone["access"] == "none" and bool(zone["port_calls"]) == _missing(zone["access_basis"]):
            problems.append(
                f"peripheral_zones/{zone['id']}: no basing access: access_basis must state the "
                "port-call basis exactly when port_calls is true"
            )
        if not zone["port_calls"] and zone["sea_naval"] != 0:
            problems.append(f"peripheral_zones/{zone['id']}: sea_naval > 0 without port calls")
        if zone["access"] == "none" and len(zs):
            problems.append(f"peripheral_zones/{zone['id']}: access none but active sites")
    return problems


def check_calibration(folder: Path) -> list[str]:
    """Checks of geodata/calibration/: zones exist, targets equal the counted posture."""
    problems = []
    cal = folder / "calibration"
    for name in CALIBRATION_FILES:
        if not (cal / name).is_file():
            problems.append(f"calibration/{name}: missing")
    if problems:
        return problems
    zones = gpd.read_file(folder / "peripheral_zones.geojson", engine="pyogrio")
    posture = gpd.read_file(folder / "posture.geojson", engine="pyogrio")
    targets = pd.read_csv(cal / "posture_targets.csv")
    unknown = set(targets["zone_id"]) - set(zones["id"])
    if unknown:
        problems.append(f"calibration/posture_targets.csv: unknown zones {sorted(unknown)}")
    if len(targets) != 4 * len(zones):
        problems.append("calibration/posture_targets.csv: not one row per zone and class")
    counted = posture[posture["counts"]]
    for asset in MILITARY:
        want = counted.groupby("zone_id")[f"kpe_{asset}"].sum()
        got = targets[targets["asset"] == asset].set_index("zone_id")["observed_kpe"]
        for zid, kpe in want.items():
            if abs(got.get(zid, 0.0) - kpe) > 5e-4:
                problems.append(f"calibration/posture_targets.csv: {zid} {asset} != posture")
    if not targets["weight"].between(0, 1).all():
        problems.append("calibration/posture_targets.csv: weight outside 0-1")
    engagement = pd.read_csv(cal / "engagement_targets.csv")
    if sorted(engagement["region"]) != sorted(EXPECTED_ZONES):
        problems.append("calibration/engagement_targets.csv: not one row per model region")
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
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [sys.executable, str(REPO / "tools" / "build_calibration.py"), "--geodata", str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        names = [f"{n}.geojson" for n in (*LAYERS[:-1], *NEW_LAYERS)] + ["ESTIMATES.md"]
        names += [f"calibration/{n}" for n in CALIBRATION_FILES]
        names += ["basemap.geojson"] if world_atlas else []
        for name in names:
            a, b = folder / name, out / name
            same = sha256(a) == sha256(b)
            print(f"  {name}: {sha256(a)[:16]} {'==' if same else '!='} {sha256(b)[:16]}")
            if not same:
                problems.append(f"{name}: rebuild differs")
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
    for name in (*LAYERS, *NEW_LAYERS):
        path = args.geodata / f"{name}.geojson"
        layer = check_layer(path, LayerKind(name) if name in LAYERS else name)
        gdf = gpd.read_file(path, engine="pyogrio")
        sourced = (gdf["confidence"] == "sourced").sum()
        print(
            f"{name}: {len(gdf)} features, {sourced} sourced ({sourced / len(gdf):.0%}), "
            f"{path.stat().st_size / 1e6:.2f} MB, {len(layer)} problems"
        )
        problems += [f"{name}/{p}" for p in layer]
    problems += check_relations(args.geodata)
    problems += check_calibration(args.geodata)
    problems += [p for p in check_with_redeploy(args.geodata) if not p.startswith("(")]
    if args.rebuild:
        problems += rebuild_and_compare(args.geodata, args.world_atlas)
    for p in problems:
        print("PROBLEM:", p)
    print("OK" if not problems else f"{len(problems)} problems")
    return 0 if not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
