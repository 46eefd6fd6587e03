"""Build geodata/basemap.geojson from Natural Earth admin-0 countries (npm world-atlas@2).

Usage (from the repository root)::

    python tools/build_basemap.py                       # installs world-atlas with npm
    python tools/build_basemap.py --world-atlas DIR     # DIR/countries-50m.json already there

The npm package ``world-atlas@2.0.2`` redistributes Natural Earth 4.1.0 (public domain)
as TopoJSON; GDAL (pyogrio) reads TopoJSON directly. Without ``--world-atlas`` the script
runs ``npm install --prefix <tmpdir> world-atlas@2.0.2`` (npm registry only) and deletes
the temporary folder afterwards. Build-time dependency: PyPI ``antimeridian``.

Steps: split polygons stitched across 180 degrees (Russia, Fiji, Antarctica) with
``antimeridian``, make every geometry valid and keep only its polygonal parts, snap to a
1e-4 degree grid (about 11 m), map ISO 3166-1 numeric ids to alpha-3 with pycountry
(Kosovo -> XKX), sort by id, and write RFC 7946 GeoJSON. Same input -> same bytes. Then run
``python tools/encode_basemap.py`` to store the maps' pre-encoded copy.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import antimeridian
import geopandas as gpd
import pycountry
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from geojson_io import slugify, write_feature_collection

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from redeploy.schemas import SCHEMAS, LayerKind  # noqa: E402

NPM_PACKAGE = "world-atlas@2.0.2"
TOPOJSON_NAME = "countries-50m.json"
SOURCE = (
    "Natural Earth 1:50m admin-0 countries v4.1 via npm world-atlas@2 (public domain), "
    "https://www.naturalearthdata.com/downloads/50m-cultural-vectors/ ; "
    "https://www.npmjs.com/package/world-atlas"
)
#: Natural Earth 4.1.0 was released in May 2018 (world-atlas 2.x redistributes 4.1.0).
SOURCE_YEAR = 2018
#: Grid the coordinates are snapped to, in degrees (4 decimals).
GRID = 1e-4
DIGITS = 4
#: Natural Earth features whose world-atlas id is empty but which have an ISO code.
NAME_TO_ISO3 = {"Kosovo": "XKX"}  # user-assigned code used by the EU, IMF and World Bank
#: Why the Natural Earth features without an ISO code have none.
NO_CODE_NOTES = {
    "Indian Ocean Ter.": "Australian external territories Christmas Island (CXR) and Cocos "
    "(Keeling) Islands (CCK), one feature in Natural Earth, so no single "
    "ISO code; id made from the name",
    "Somaliland": "self-declared state, internationally recognised as part of Somalia (SOM); "
    "no ISO code; id made from the name",
    "N. Cyprus": "Turkish Cypriot administered area, recognised only by Turkey; no ISO code; "
    "id made from the name",
    "Siachen Glacier": "disputed between India and Pakistan; no ISO code; id made from the name",
}


def fetch_world_atlas(workdir: Path) -> Path:
    """Install world-atlas from the npm registry into `workdir`; return the package folder."""
    npm = shutil.which("npm")
    if npm is None:
        msg = "npm not found; install Node.js or pass --world-atlas DIR"
        raise SystemExit(msg)
    subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--silent",
            "--prefix",
            str(workdir),
            NPM_PACKAGE,
        ],
        check=True,
    )
    return workdir / "node_modules" / "world-atlas"


def clean_geometry(geom: BaseGeometry) -> BaseGeometry:
    """Split at the antimeridian, make valid, keep polygons, snap to the output grid."""
    with warnings.catch_warnings():
        # GDAL returns TopoJSON rings clockwise; antimeridian re-winds them (fix_winding).
        warnings.simplefilter("ignore", antimeridian.FixWindingWarning)
        fixed = shape(antimeridian.fix_shape(mapping(geom), fix_winding=True))
    fixed = _polygonal(shapely.make_valid(fixed))
    fixed = _polygonal(shapely.set_precision(fixed, GRID))
    if not fixed.is_valid or fixed.is_empty:
        msg = f"geometry still invalid or empty after cleaning: {shapely.is_valid_reason(fixed)}"
        raise ValueError(msg)
    return fixed


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Return the polygonal parts of `geom` as a Polygon or MultiPolygon."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    polys = [p for g in parts for p in shapely.get_parts(g)]
    polys = [p for p in polys if not p.is_empty and p.area > 0]
    if len(polys) == 1:
        return polys[0]
    return shapely.MultiPolygon(polys)


def iso3_for(numeric: str | None, name: str) -> str:
    """Return the ISO alpha-3 code of a world-atlas feature, or '' if it has none."""
    if name in NAME_TO_ISO3:
        return NAME_TO_ISO3[name]
    if not numeric:
        return ""
    country = pycountry.countries.get(numeric=numeric)
    return country.alpha_3 if country else ""


def build(topojson: Path) -> list[tuple[dict, BaseGeometry]]:
    """Return the basemap features as ``(properties, geometry)`` pairs sorted by id."""
    raw = gpd.read_file(topojson, layer="countries", engine="pyogrio")
    rows = []
    for numeric, name, geom in zip(raw["id"], raw["name"], raw.geometry, strict=True):
        numeric = numeric if isinstance(numeric, str) and numeric.strip() else None
        cleaned = clean_geometry(geom)
        notes = []
        if not geom.is_valid:
            notes.append(
                "stitched across 180 degrees in the source; split at the "
                "antimeridian with the antimeridian package"
            )
        rows.append(
            {
                "numeric": numeric,
                "name": name,
                "geom": cleaned,
                "iso3": iso3_for(numeric, name),
                "notes": notes,
            }
        )
    # A numeric code shared by several features (Australia and Ashmore and Cartier Is.
    # are both 036) stays with the largest one; the others get a fallback id.
    by_code: dict[str, list[dict]] = {}
    for row in rows:
        if row["iso3"]:
            by_code.setdefault(row["iso3"], []).append(row)
    for code, group in by_code.items():
        group.sort(key=lambda r: -r["geom"].area)
        for extra in group[1:]:
            extra["notes"].append(
                f"shares ISO numeric code {extra['numeric']} with {group[0]['name']} "
                f"({code}); kept as its own feature without iso3"
            )
            extra["iso3"] = ""
    features = []
    for row in rows:
        if row["iso3"]:
            fid = row["iso3"].lower()
        else:
            fid = "ne_" + slugify(row["name"])
            if not row["notes"]:
                row["notes"].append(
                    NO_CODE_NOTES.get(
                        row["name"], "no ISO 3166-1 code in Natural Earth; id made from the name"
                    )
                )
        props = {
            "id": fid,
            "name": row["name"],
            "iso3": row["iso3"] or None,
            "source": SOURCE,
            "source_year": SOURCE_YEAR,
            "confidence": "sourced",
            "notes": "; ".join(row["notes"]) or None,
        }
        features.append((props, row["geom"]))
    features.sort(key=lambda f: f[0]["id"])
    ids = [p["id"] for p, _ in features]
    if len(ids) != len(set(ids)):
        msg = f"duplicate basemap ids: {sorted({i for i in ids if ids.count(i) > 1})}"
        raise ValueError(msg)
    return features


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--world-atlas",
        type=Path,
        default=None,
        help="folder holding countries-50m.json (default: npm install "
        f"{NPM_PACKAGE} into a temporary folder)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "geodata" / "basemap.geojson",
        help="output file (default: geodata/basemap.geojson)",
    )
    args = parser.parse_args(argv)
    schema = SCHEMAS[LayerKind.BASEMAP]
    with tempfile.TemporaryDirectory(prefix="redeploy-basemap-") as tmp:
        folder = args.world_atlas or fetch_world_atlas(Path(tmp))
        topojson = folder / TOPOJSON_NAME
        if not topojson.is_file():
            msg = f"{topojson}: not found; pass --world-atlas DIR holding {TOPOJSON_NAME}"
            raise SystemExit(msg)
        features = build(topojson)
    n = write_feature_collection(
        args.out, features, name="basemap", columns=list(schema.columns), coord_digits=DIGITS
    )
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({n} features, {size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
