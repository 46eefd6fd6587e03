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
    unpack_collection,
    uses_canvas,
)
from tests.conftest import load_data_module, page_calls

fx = load_data_module("render/fixture.py", "render_fixture")


@pytest.fixture(scope="module")
def data():
    return list(iter_layer_data(fx.fixture_layers(), fx.fixture_result()))


def _every_text(collection: dict) -> list[str]:
    return re.findall(r'"((?:[^"\\]|\\.)*)"', json.dumps(collection))


def _stored(packed: dict) -> list[dict]:
    """Each feature's properties as a packed layer stores them (references not put back)."""
    if "p" not in packed:
        return [f.get("properties") or {} for f in packed["features"]]
    columns = packed["p"]
    return [{k: v[i] for k, v in columns.items() if v[i] is not None} for i in range(packed["n"])]


def test_unpacked_layers_equal_the_originals(data):
    texts, packed = pack_layers(data)
    assert texts, "the fixture repeats its sources and notes"
    assert len(packed) == len(data)
    # Every layer of the fixture is written as columns; its points as flat coordinates.
    assert all("p" in p for p in packed)
    assert any("xy" in p for p in packed) and any("g" in p for p in packed)
    for d, p in zip(data, packed, strict=True):
        assert unpack_collection(p, texts) == d.collection
        assert p["n"] == d.count


def test_layers_that_columns_cannot_hold_stay_features():
    # A property holding None (the columns' mark for a missing key), a feature with more
    # than its type, geometry and properties: written as features, given back exactly.
    odd = [_points(3), _points(3), _points(3), _points(3)]
    odd[0].collection["features"][1]["properties"]["n"] = None
    odd[1].collection["features"][2]["id"] = 7
    odd[2].collection["features"][0]["properties"] = None
    odd[3].collection["bbox"] = [0, 0, 2, 2]
    texts, packed = pack_layers(odd)
    assert all("features" in p and "p" not in p for p in packed)
    for d, p in zip(odd, packed, strict=True):
        assert unpack_collection(p, texts) == d.collection
    # Features lacking a key others have keep lacking it; plain points become flat pairs.
    mixed = _points(3)
    for i, f in enumerate(mixed.collection["features"]):
        f["geometry"] = {"type": "Point", "coordinates": [float(i), -float(i)]}
    mixed.collection["features"][1]["properties"]["e"] = 1
    texts, (packed,) = pack_layers([mixed])
    assert packed["xy"] == [0.0, -0.0, 1.0, -1.0, 2.0, -2.0]
    assert packed["p"]["e"] == [None, 1, None]
    assert unpack_collection(packed, texts) == mixed.collection


@pytest.mark.parametrize(
    "odd",
    [
        {"type": "Point", "coordinates": [1.0, 2.0, 3.0]},
        {"type": "Point", "coordinates": [1.0, 2.0], "bbox": [1, 2, 1, 2]},
        {"type": "LineString", "coordinates": [1.0, 2.0]},
        {"type": "Point"},
        None,
    ],
)
def test_one_geometry_other_than_a_plain_point_keeps_the_layer_geometries(odd):
    # The columns' flat coordinates only when every feature is a point of two coordinates.
    layer = _points(3)
    for i, f in enumerate(layer.collection["features"]):
        f["geometry"] = {"type": "Point", "coordinates": [float(i), 1.0]}
        f["properties"]["rows"] = [["a label", f"value {i}"]]
    layer.collection["features"][2]["geometry"] = odd
    texts, (packed,) = pack_layers([layer])
    assert "xy" not in packed and packed["g"][2] == odd
    assert packed["p"]["rows"] == [1, 1, 1]
    assert unpack_collection(packed, texts) == layer.collection


def test_rows_other_than_label_value_pairs_stay_in_their_column():
    layer = _points(3)
    layer.collection["features"][0]["properties"]["rows"] = [["a", "b"]]
    layer.collection["features"][1]["properties"]["rows"] = [["a", "b", "c"]]
    texts, (packed,) = pack_layers([layer])
    assert "rc" not in packed and packed["p"]["rows"][1] == [["a", "b", "c"]]
    assert unpack_collection(packed, texts) == layer.collection
    # A feature without properties but with another key in their place: features.
    layer.collection["features"][2] = {"type": "Feature", "geometry": None, "id": 3}
    texts, (packed,) = pack_layers([layer])
    assert "p" not in packed and unpack_collection(packed, texts) == layer.collection


def test_only_repeated_texts_are_stored_and_each_once(data):
    texts, packed = pack_layers(data)
    assert len(set(texts)) == len(texts)
    assert all(len(t) >= MIN_PACKED_LENGTH for t in texts)
    originals = [t for d in data for t in _every_text(d.collection)]
    assert all(originals.count(json.dumps(t)[1:-1]) > 1 for t in texts)
    # The packed layers no longer hold a stored text in a popup field.
    stored = set(texts)
    for p in packed:
        for props in _stored(p):
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
    # In order of first appearance, column by column: the 30 names both layers share,
    # then the source.
    assert texts[:3] == ["node 0", "node 1", "node 2"]
    assert texts[30] == "Source text 2024"
    assert len(texts) == 31
    assert _stored(packed[0])[40] == {"t": "node 40", "src": 30}
    assert _stored(packed[1])[0] == {"t": 0, "src": 30}
