"""Pages that stay light: texts stored once and referenced (`redeploy.render.packing`)."""

from __future__ import annotations

import json
import re

import pytest

from redeploy.render.features import LayerData
from redeploy.render.maps import add_layers, iter_layer_data, new_map, render_html
from redeploy.render.packing import (
    CANVAS_MIN_FEATURES,
    MIN_PACKED_LENGTH,
    pack_layers,
    unpack_properties,
    uses_canvas,
)
from tests.conftest import load_data_module, page_calls

fx = load_data_module("render/fixture.py", "render_fixture")


@pytest.fixture(scope="module")
def data():
    return list(iter_layer_data(fx.fixture_layers(), fx.fixture_result()))


def _every_text(collection: dict) -> list[str]:
    return re.findall(r'"((?:[^"\\]|\\.)*)"', json.dumps(collection))


def test_unpacked_layers_equal_the_originals(data):
    texts, packed = pack_layers(data)
    assert texts, "the fixture repeats its sources and notes"
    assert len(packed) == len(data)
    for d, p in zip(data, packed, strict=True):
        assert p["type"] == d.collection["type"]
        assert len(p["features"]) == d.count
        for original, stored in zip(d.collection["features"], p["features"], strict=True):
            assert stored["geometry"] == original["geometry"]
            props = original.get("properties")
            if props:
                assert unpack_properties(stored["properties"], texts) == props


def test_only_repeated_texts_are_stored_and_each_once(data):
    texts, packed = pack_layers(data)
    assert len(set(texts)) == len(texts)
    assert all(len(t) >= MIN_PACKED_LENGTH for t in texts)
    originals = [t for d in data for t in _every_text(d.collection)]
    assert all(originals.count(json.dumps(t)[1:-1]) > 1 for t in texts)
    # The packed layers no longer hold a stored text in a popup field.
    stored = set(texts)
    for p in packed:
        for f in p["features"]:
            props = f.get("properties") or {}
            for key in ("t", "k", "src", "n", "tt"):
                assert props.get(key) not in stored


def test_packing_leaves_the_layers_as_they_were(data):
    before = [json.dumps(d.collection, sort_keys=True) for d in data]
    pack_layers(data)
    assert [json.dumps(d.collection, sort_keys=True) for d in data] == before


def _page(layers: list[LayerData]) -> tuple[str, list[str], bool]:
    m = new_map(fx.fixture_layers())
    add_layers(m, layers)
    html = render_html(m)
    found = page_calls(html, "RD.page(")
    assert found, "the page declares its shared texts"
    texts, rest = found[0]
    assert rest in (", true);", ", false);"), rest
    return html, texts, rest == ", true);"


def test_page_holds_its_texts_once_and_escaped(data):
    html, texts, canvas = _page(data)
    assert not canvas, "a small page keeps SVG"
    assert texts == pack_layers(data)[0]
    for t in texts:
        assert html.count(json.dumps(t)) <= 1


def test_hostile_shared_text_stays_data():
    html, texts, _ = _page([_points(3, source=fx.XSS_SOURCE)])
    assert texts == [fx.XSS_SOURCE]
    assert "</script><script>window.__xss=2" not in html


def _points(n: int, source: str = "Source text 2024") -> LayerData:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "q": [i % 360, i % 180]},
            "properties": {"t": f"node {i}", "src": source},
        }
        for i in range(n)
    ]
    return LayerData(
        kind="supply_nodes",
        title="Nodes",
        collection={"type": "FeatureCollection", "features": features},
        pane="rdMarkers",
        style={},
    )


def test_canvas_only_for_pages_with_a_large_layer(data):
    assert not uses_canvas(data)
    assert not uses_canvas([_points(CANVAS_MIN_FEATURES - 1)])
    assert uses_canvas([*data, _points(CANVAS_MIN_FEATURES)])


def test_packing_is_deterministic():
    layers = [_points(50), _points(30)]
    first = pack_layers(layers)
    assert pack_layers(layers) == first
    texts, packed = first
    # In order of first appearance: the 30 names both layers share, and the source.
    assert texts[:3] == ["node 0", "Source text 2024", "node 1"]
    assert len(texts) == 31
    assert packed[0]["features"][40]["properties"] == {"t": "node 40", "src": 1}
    assert packed[1]["features"][0]["properties"] == {"t": 0, "src": 1}
