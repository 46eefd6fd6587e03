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
from collections.abc import Callable, Sequence
from itertools import chain
from typing import Any

from redeploy.render.layerdata import LayerData

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


def _add_cells(rows: Any, out: list[Any]) -> None:
    if rows:
        out.extend(chain.from_iterable(rows))


def _add_table(table: Any, out: list[Any]) -> None:
    if not isinstance(table, dict):
        return
    out.append(table.get("t"))
    out.append(table.get("f"))
    out.extend(table.get("h") or ())
    _add_cells(table.get("r"), out)


def _add_texts(props: dict[str, Any], out: list[Any]) -> None:
    """Append every value of one feature's text fields and table cells to `out` (texts and
    whatever else they hold: only texts are counted)."""
    get = props.get
    out.extend(map(get, _TEXT_KEYS))
    _add_cells(get("rows"), out)
    for key in _TABLE_KEYS:
        _add_table(get(key), out)
    for table in get("tabs") or ():
        _add_table(table, out)


def _swap_table(
    table: Any, swap: Callable[[Any], Any], swap_rows: Callable[[Any], Any] | None = None
) -> Any:
    if not isinstance(table, dict):
        return table
    out = dict(table)
    for key in ("t", "f"):
        if key in out:
            out[key] = swap(out[key])
    if out.get("h"):
        out["h"] = [swap(h) for h in out["h"]]
    if out.get("r"):
        out["r"] = swap_rows(out["r"]) if swap_rows else _swap_rows(out["r"], swap)
    return out


def _swap_rows(rows: Any, swap: Callable[[Any], Any]) -> Any:
    return [[swap(c) for c in row] for row in rows]


def _swap(
    props: dict[str, Any],
    swap: Callable[[Any], Any],
    swap_rows: Callable[[Any], Any] | None = None,
) -> dict[str, Any]:
    """`props` with `swap` applied to every text field and table cell (`swap_rows`, if
    given, swaps the cells of a list of rows: a feature's ``rows`` and its tables')."""
    out = dict(props)
    for key in _TEXT_KEYS:
        if key in out:
            out[key] = swap(out[key])
    if out.get("rows"):
        out["rows"] = swap_rows(out["rows"]) if swap_rows else _swap_rows(out["rows"], swap)
    for key in _TABLE_KEYS:
        if key in out:
            out[key] = _swap_table(out[key], swap, swap_rows)
    if out.get("tabs"):
        out["tabs"] = [_swap_table(t, swap, swap_rows) for t in out["tabs"]]
    return out


def pack_layers(layers: Sequence[LayerData]) -> tuple[list[str], list[dict[str, Any]]]:
    """
    Return the page's text table and each layer's feature collection with every text
    that occurs more than once on the page (and has `MIN_PACKED_LENGTH` characters or more)
    replaced by its position in the table, in order of first appearance.

    The layers' own collections are left as they are.
    """
    values: list[Any] = []
    for data in layers:
        for f in data.collection["features"]:
            props = f.get("properties")
            if props:
                _add_texts(props, values)
    try:
        counts = Counter(values)
    except TypeError:  # something unhashable among the cells: count the texts only
        counts = Counter(v for v in values if isinstance(v, str))
    table = [
        t for t, n in counts.items() if n > 1 and isinstance(t, str) and len(t) >= MIN_PACKED_LENGTH
    ]
    ref: dict[Any, Any] = {t: i for i, t in enumerate(table)}
    get = ref.get

    def swap(x: Any) -> Any:
        # Only texts are keys: any other value (a number, None, a list) maps to itself.
        return get(x, x) if isinstance(x, str) else x

    def swap_rows(rows: Any) -> Any:
        # `dict.get` over a row in C; a row holding something unhashable goes cell by cell.
        try:
            return [list(map(get, row, row)) for row in rows]
        except TypeError:
            return _swap_rows(rows, swap)

    packed = []
    for data in layers:
        features = [
            {**f, "properties": _swap(f["properties"], swap, swap_rows)}
            if f.get("properties")
            else f
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
