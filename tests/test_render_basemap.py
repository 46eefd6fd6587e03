"""The basemap simplified and encoded once: shipped pre-encoded, others cached by content."""

from __future__ import annotations

import json
import subprocess
import sys

from shapely.affinity import translate

from redeploy.layers import read_layers
from redeploy.render import basemap
from redeploy.render.features import basemap_layer
from tests.conftest import ROOT, load_data_module

fx = load_data_module("render/fixture.py", "render_fixture")


def test_shipped_file_matches_a_fresh_encoding():
    """`tools/encode_basemap.py --check`: the stored file is that of today's basemap."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "encode_basemap.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_shipped_basemap_is_read_pre_encoded():
    gdf = read_layers(ROOT / "geodata", kinds=["basemap"])["basemap"]
    stored = basemap._shipped()
    assert stored["key"] == basemap.encoding_key(gdf)
    got = basemap.basemap_geometries(gdf)
    assert got is stored["geometries"]
    # Same geometries, keys in the same order: the page's bytes do not change.
    assert json.dumps(got) == json.dumps(basemap.encode_basemap(gdf))


def test_other_basemaps_encoded_once_by_content():
    gdf = fx.fixture_layers()["basemap"]
    first = basemap.basemap_geometries(gdf)
    assert first == basemap.encode_basemap(gdf)
    assert basemap.basemap_geometries(gdf.copy()) is first
    moved = gdf.copy()
    moved.geometry = [translate(g, 1.0, 0.0) for g in gdf.geometry]
    assert basemap.encoding_key(moved) != basemap.encoding_key(gdf)
    assert basemap.basemap_geometries(moved) != first


def test_basemap_layer_draws_the_encoded_geometries():
    gdf = fx.fixture_layers()["basemap"]
    layer = basemap_layer(gdf)
    drawn = [f["geometry"] for f in layer.collection["features"]]
    assert drawn == [g for g in basemap.encode_basemap(gdf) if g is not None]
    assert all(f["properties"] == {} for f in layer.collection["features"])
