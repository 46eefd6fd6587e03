"""Grow the shipped layers synthetically, for scale benchmarks and scale tests.

Point layers are copied and jittered: copy ``k`` of feature ``i`` keeps every column of
``i``, gets the id ``<id>_s<k>`` and lies at a normal offset of ``--jitter`` degrees (sd)
from it, so the copies cluster where the real features are (ports, straits, mines,
bases), as a user's fuller layer of the same region would. Zones are split: each zone
polygon is cut into parts by the Voronoi cells of random points inside it; the first
part keeps the zone's id (the scenarios, sites and posture name it), the others are
``<id>_p<k>`` with the zone's columns. The fronts, sites and posture grow with the point
layers; the basemap is the shipped one. Everything is drawn from one seed, so a size's
layers are the same files on every run.

Usage (from the repository root)::

    python benchmarks/scale_layers.py OUT --scale 10              # every point layer x10
    python benchmarks/scale_layers.py OUT --count supply_nodes=28000
    python benchmarks/scale_layers.py OUT --count peripheral_zones=9800
    python benchmarks/scale_layers.py OUT --count supply_nodes=30000 \\
        --count peripheral_zones=1000                               # the issue's acceptance

then ``redeploy run --layers OUT``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
GEODATA = ROOT / "geodata"

#: Layers grown by copying and jittering their features (``--scale``).
POINT_LAYERS: tuple[str, ...] = (
    "fronts",
    "chokepoints",
    "mineral_zones",
    "supply_nodes",
    "sites",
    "posture",
)
#: The layer grown by splitting its polygons.
ZONE_LAYER = "peripheral_zones"
#: Every layer the generator writes (the basemap is copied as it is).
LAYERS: tuple[str, ...] = (*POINT_LAYERS, ZONE_LAYER)


def grow_points(
    gdf: gpd.GeoDataFrame, n: int, rng: np.random.Generator, jitter: float
) -> gpd.GeoDataFrame:
    """Return `n` features: the layer's own first, then jittered copies in turn."""
    base = len(gdf)
    if n <= base:
        return gdf.iloc[:n].reset_index(drop=True)
    pick = np.arange(n) % base
    copy = np.arange(n) // base
    out = gdf.iloc[pick].reset_index(drop=True)
    ids = gdf["id"].astype(str).to_numpy()[pick]
    out["id"] = [i if k == 0 else f"{i}_s{k}" for i, k in zip(ids, copy, strict=True)]
    xy = shapely.get_coordinates(shapely.point_on_surface(out.geometry.to_numpy()))
    offset = rng.normal(0.0, jitter, size=xy.shape)
    offset[copy == 0] = 0.0
    lon = (xy[:, 0] + offset[:, 0] + 180.0) % 360.0 - 180.0
    lat = np.clip(xy[:, 1] + offset[:, 1], -85.0, 85.0)
    moved = shapely.points(lon, lat)
    point = out.geometry.geom_type.to_numpy() == "Point"
    geoms = np.where(point, moved, out.geometry.to_numpy())
    return gpd.GeoDataFrame(out.drop(columns="geometry"), geometry=geoms, crs=gdf.crs)


def _split_polygon(
    poly: shapely.Geometry, parts: int, rng: np.random.Generator
) -> list[shapely.Geometry]:
    """Cut `poly` into `parts` pieces: Voronoi cells of random points inside it."""
    if parts <= 1:
        return [poly]
    minx, miny, maxx, maxy = poly.bounds
    seeds: list[tuple[float, float]] = []
    shapely.prepare(poly)
    for _ in range(200):
        x = rng.uniform(minx, maxx, 4 * parts)
        y = rng.uniform(miny, maxy, 4 * parts)
        inside = shapely.contains_xy(poly, x, y)
        seeds += list(zip(x[inside], y[inside], strict=True))
        if len(seeds) >= parts:
            break
    seeds = seeds[:parts]
    if len(seeds) < 2:
        return [poly]
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=poly)
    pieces = [c.intersection(poly) for c in shapely.get_parts(cells)]
    pieces = [p for p in pieces if not p.is_empty and p.area > 0]
    # The piece holding the first seed first: it keeps the zone's id.
    first = shapely.Point(seeds[0])
    pieces.sort(key=lambda p: not p.covers(first))
    return [shapely.make_valid(p) if not p.is_valid else p for p in pieces]


def split_zones(gdf: gpd.GeoDataFrame, n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Return about `n` zones: each zone cut into parts, in proportion to its count."""
    base = len(gdf)
    parts = np.full(base, n // base)
    parts[: n % base] += 1
    rows, geoms = [], []
    for i in range(base):
        pieces = _split_polygon(gdf.geometry.iloc[i], int(parts[i]), rng)
        for k, piece in enumerate(pieces):
            rec = gdf.iloc[i].drop(labels="geometry").to_dict()
            if k:
                rec["id"] = f"{rec['id']}_p{k}"
                rec["name"] = f"{rec['name']} (part {k + 1})"
            rows.append(rec)
            polys = [g for g in shapely.get_parts(piece) if g.geom_type == "Polygon"]
            geoms.append(polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=gdf.crs)


def grow_layers(
    out_dir: str | Path,
    counts: Mapping[str, int],
    *,
    seed: int = 0,
    jitter: float = 0.6,
    source: str | Path = GEODATA,
) -> dict[str, int]:
    """
    Write grown copies of the shipped layers into `out_dir`; return the feature counts.

    Parameters
    ----------
    out_dir
        Folder to write ``<kind>.geojson`` into (with the shipped basemap).
    counts
        ``{kind: features}``; layers not named keep their shipped features.
    seed
        Seed of every random draw (the same seed, the same files).
    jitter
        Standard deviation of the copies' offsets (degrees).
    source
        Folder of the layers grown (the shipped ones).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for k, kind in enumerate(LAYERS):
        gdf = gpd.read_file(Path(source) / f"{kind}.geojson")
        rng = np.random.default_rng([seed, k])
        n = counts.get(kind, len(gdf))
        grown = split_zones(gdf, n, rng) if kind == ZONE_LAYER else grow_points(gdf, n, rng, jitter)
        grown.to_file(out / f"{kind}.geojson", driver="GeoJSON", engine="pyogrio")
        written[kind] = len(grown)
    shutil.copyfile(Path(source) / "basemap.geojson", out / "basemap.geojson")
    return written


def scale_counts(scale: float, *, source: str | Path = GEODATA) -> dict[str, int]:
    """Feature counts of every point layer times `scale` (zones unchanged)."""
    out = {}
    for kind in POINT_LAYERS:
        n = len(gpd.read_file(Path(source) / f"{kind}.geojson", columns=["id"]))
        out[kind] = round(n * scale)
    return out


def main(argv: list[str] | None = None) -> int:
    """Write the grown layers; print the count of each."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every point layer")
    ap.add_argument(
        "--count", action="append", default=[], help="KIND=N features of one layer (repeatable)"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jitter", type=float, default=0.6, help="sd of the copies' offsets (deg)")
    args = ap.parse_args(argv)
    counts = scale_counts(args.scale) if args.scale != 1 else {}
    for item in args.count:
        kind, _, n = item.partition("=")
        if kind not in LAYERS or not n.isdigit():
            print(f"--count {item!r}: expected KIND=N, KIND one of {', '.join(LAYERS)}")
            return 2
        counts[kind] = int(n)
    written = grow_layers(args.out, counts, seed=args.seed, jitter=args.jitter)
    for kind, n in written.items():
        print(f"{kind}: {n:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
