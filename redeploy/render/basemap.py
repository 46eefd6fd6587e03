"""The vector basemap of the maps, simplified and encoded once.

Simplifying, cleaning and delta-encoding the 241 countries of the shipped basemap took
about a sixth of a shipped run, the same work on every run. `basemap_geometries` keys
the encoded geometries by the sha256 of the layer's geometries (their WKB, in order) and
of the encoding settings (`encoding_key`):

- the shipped basemap's are stored pre-encoded in ``redeploy/data/basemap_encoded.json``
  (`ENCODED`), written by ``python tools/encode_basemap.py`` whenever the basemap or the
  settings change (a test checks it matches a fresh encoding);
- any other basemap (a user's ``basemap`` layer) is encoded on first use and kept for the
  rest of the process (a sweep or a frontier draws it on several pages).

Nothing is downloaded or written at run time; the same layer gives the same bytes.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import shapely

from redeploy.render.geojson import (
    BASEMAP_MIN_AREA,
    BASEMAP_PRECISION,
    BASEMAP_SIMPLIFY,
    compact_geometry,
)

if TYPE_CHECKING:
    import geopandas as gpd

#: The pre-encoded shipped basemap (a file of the package).
ENCODED = "basemap_encoded.json"
#: Bumped whenever `compact_geometry`'s output changes for the same settings.
ENCODING_VERSION = 1
#: Encoded basemaps kept in a process (by key).
_CACHE_SIZE = 4


def encoding_key(gdf: gpd.GeoDataFrame) -> str:
    """Return the sha256 of `gdf`'s geometries (WKB, in order) and the encoding settings."""
    h = hashlib.sha256(
        json.dumps(
            {
                "version": ENCODING_VERSION,
                "precision": BASEMAP_PRECISION,
                "simplify": BASEMAP_SIMPLIFY,
                "min_area": BASEMAP_MIN_AREA,
                "count": len(gdf),
            },
            sort_keys=True,
        ).encode()
    )
    for wkb in shapely.to_wkb(gdf.geometry.to_numpy(), hex=False, output_dimension=2):
        h.update(len(wkb or b"").to_bytes(8, "little"))
        h.update(wkb or b"")
    return h.hexdigest()


def encode_basemap(gdf: gpd.GeoDataFrame) -> list[dict[str, Any] | None]:
    """Return each country simplified, its specks dropped and delta-encoded (None: empty)."""
    return [
        compact_geometry(
            g, precision=BASEMAP_PRECISION, simplify=BASEMAP_SIMPLIFY, min_area=BASEMAP_MIN_AREA
        )
        for g in gdf.geometry
    ]


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Any]:
    try:
        text = importlib.resources.files("redeploy").joinpath("data", ENCODED).read_text("utf-8")
    except FileNotFoundError:
        return {}
    stored: dict[str, Any] = json.loads(text)
    return stored


_encoded: dict[str, list[dict[str, Any] | None]] = {}


def basemap_geometries(gdf: gpd.GeoDataFrame) -> list[dict[str, Any] | None]:
    """
    Return `encode_basemap` of `gdf`: pre-encoded for the shipped basemap, computed once
    per process for any other.

    The list is shared: callers copy what they change.
    """
    key = encoding_key(gdf)
    shipped = _shipped()
    if shipped.get("key") == key:
        geometries: list[dict[str, Any] | None] = shipped["geometries"]
        return geometries
    if key not in _encoded:
        while len(_encoded) >= _CACHE_SIZE:
            _encoded.pop(next(iter(_encoded)))
        _encoded[key] = encode_basemap(gdf)
    return _encoded[key]


def encoded_file(gdf: gpd.GeoDataFrame) -> str:
    """The text of `ENCODED` for `gdf` (its key and its encoded geometries)."""
    payload = {"key": encoding_key(gdf), "geometries": encode_basemap(gdf)}
    # Key order kept: the page writes each geometry as it is.
    return json.dumps(payload, separators=(",", ":")) + "\n"
