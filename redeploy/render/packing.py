"""Pages that stay light with large layers: texts stored once, many features on a canvas.

A layer of 30,000 supply nodes repeats its column labels, its source and its estimate
notes in every popup; those texts made up most of a large page. `pack_layers` stores every
text that occurs more than once on the page in one table and puts its position in its
place; the page's script (`RD.page`, `RD.layer` in `redeploy.render.assets`) puts the texts
back before drawing, so popups and tooltips read exactly as before. Only the popup text
fields are packed (``t``, ``k``, ``src``, ``n``, ``tt``, and the label and value cells of
``rows``, ``tab``, ``tabs`` and ``more``): there a number can only be a reference.

A page with a layer of `CANVAS_MIN_FEATURES` features or more draws every vector layer
on one shared canvas (Leaflet's `L.canvas`) instead of one SVG element per feature, and
draws each of its point layers as one canvas path (`Dots` in `redeploy.render.assets`:
one small image per style and size, copied for every point; the point under the pointer
gets its popup and tooltip), so a page with 30,000 points is ready in about half a second
and pans or zooms in about 0.1 s in headless Chromium (`benchmarks/bench_scale.py`);
smaller pages keep SVG and circle markers. Both are decided from the layers alone: the
same layers give the same page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from redeploy.render.features import LayerData

#: From this many features in one layer, the page draws its vector layers on a canvas.
CANVAS_MIN_FEATURES = 2_000
#: Texts shorter than this stay in place (a reference would save nothing).
MIN_PACKED_LENGTH = 4

#: Feature properties holding one text, and those holding tables of texts.
_TEXT_KEYS = ("t", "k", "src", "n", "tt")
_TABLE_KEYS = ("tab", "more")


def uses_canvas(layers: Sequence[LayerData]) -> bool:
    """True when a layer has `CANVAS_MIN_FEATURES` features or more."""
    return any(d.count >= CANVAS_MIN_FEATURES for d in layers)


def _cells(rows: Any) -> Iterator[str]:
    for row in rows or ():
        for cell in row:
            if isinstance(cell, str):
                yield cell


def _table_texts(table: Any) -> Iterator[str]:
    if not isinstance(table, dict):
        return
    for key in ("t", "f"):
        if isinstance(table.get(key), str):
            yield table[key]
    if table.get("h"):
        yield from (h for h in table["h"] if isinstance(h, str))
    yield from _cells(table.get("r"))


def _texts(props: dict[str, Any]) -> Iterator[str]:
    """Every packable text of one feature's properties, in a fixed order."""
    for key in _TEXT_KEYS:
        if isinstance(props.get(key), str):
            yield props[key]
    yield from _cells(props.get("rows"))
    for key in _TABLE_KEYS:
        yield from _table_texts(props.get(key))
    for table in props.get("tabs") or ():
        yield from _table_texts(table)


def _swap_table(table: Any, swap: Callable[[Any], Any]) -> Any:
    if not isinstance(table, dict):
        return table
    out = dict(table)
    for key in ("t", "f"):
        if key in out:
            out[key] = swap(out[key])
    if out.get("h"):
        out["h"] = [swap(h) for h in out["h"]]
    if out.get("r"):
        out["r"] = _swap_rows(out["r"], swap)
    return out


def _swap_rows(rows: Any, swap: Callable[[Any], Any]) -> Any:
    return [[swap(c) for c in row] for row in rows]


def _swap(props: dict[str, Any], swap: Callable[[Any], Any]) -> dict[str, Any]:
    """`props` with `swap` applied to every text field and table cell (`_texts`)."""
    out = dict(props)
    for key in _TEXT_KEYS:
        if key in out:
            out[key] = swap(out[key])
    if out.get("rows"):
        out["rows"] = _swap_rows(out["rows"], swap)
    for key in _TABLE_KEYS:
        if key in out:
            out[key] = _swap_table(out[key], swap)
    if out.get("tabs"):
        out["tabs"] = [_swap_table(t, swap) for t in out["tabs"]]
    return out


def pack_layers(layers: Sequence[LayerData]) -> tuple[list[str], list[dict[str, Any]]]:
    """
    Return the page's text table and each layer's feature collection with every text
    that occurs more than once on the page (and has `MIN_PACKED_LENGTH` characters or more)
    replaced by its position in the table, in order of first appearance.

    The layers' own collections are left as they are.
    """
    counts: Counter[str] = Counter()
    for data in layers:
        for f in data.collection["features"]:
            counts.update(_texts(f.get("properties") or {}))
    table = [t for t, n in counts.items() if n > 1 and len(t) >= MIN_PACKED_LENGTH]
    ref = {t: i for i, t in enumerate(table)}

    def swap(x: Any) -> Any:
        return ref.get(x, x) if isinstance(x, str) else x

    packed = []
    for data in layers:
        features = [
            {**f, "properties": _swap(f["properties"], swap)} if f.get("properties") else f
            for f in data.collection["features"]
        ]
        packed.append({**data.collection, "features": features})
    return table, packed


def unpack_properties(props: dict[str, Any], texts: Sequence[str]) -> dict[str, Any]:
    """
    Return `props` with every reference put back as its text (what the page's `RD.layer`
    does before drawing; for tests and tools reading a page).
    """

    def swap(x: Any) -> Any:
        return texts[x] if isinstance(x, int) and not isinstance(x, bool) else x

    return _swap(props, swap)
