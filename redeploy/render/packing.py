"""Pages that stay light with large layers: texts stored once, many features on a canvas.

A layer of 30,000 supply nodes repeats its column labels, its source and its estimate
notes in every popup; those texts made up most of a large page. `pack_layers` stores every
text that occurs more than once on the page in one table and puts its position in its
place; the page's script (`RD.page`, `RD.layer` in `redeploy.render.assets`) puts the texts
back before drawing, so popups and tooltips read exactly as before. Only the popup text
fields are packed (``t``, ``k``, ``src``, ``n``, ``tt``, and the label and value cells of
``rows``, ``tab``, ``tabs`` and ``more``): there a number can only be a reference.

A layer is written as columns rather than one object per feature (`_columns`): each
property's values in one list, a point layer's coordinates in one flat list, and the
label-value rows of every popup in one list of cells; the page makes the features again
(`features` in ``static/page.js``). The layers of a page with 28,000 supply nodes take
3.9 MB instead of 7.3 MB, packed and written as JSON in 0.23 s instead of 0.43-0.63 s. A
layer the columns could not give back exactly (`_columns`: a property holding ``None``,
a feature with more than its type, geometry and properties) is written feature by
feature, as before.

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
from itertools import chain, repeat
from operator import contains, itemgetter
from typing import Any

from redeploy.render.layerdata import LayerData

#: From this many features in one layer, the page draws its vector layers on a canvas.
CANVAS_MIN_FEATURES = 2_000
#: Texts shorter than this stay in place (a reference would save nothing).
MIN_PACKED_LENGTH = 4

#: Feature properties holding one text, and those holding tables of texts.
_TEXT_KEYS = ("t", "k", "src", "n", "tt")
_TABLE_KEYS = ("tab", "more")
#: Properties holding texts inside lists or tables.
_NESTED_KEYS = ("rows", "tabs", *_TABLE_KEYS)


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


def _value_texts(key: str, value: Any, out: list[Any]) -> None:
    """Append the texts of one property `value` (its text, or its table cells) to `out`
    (texts and whatever else they hold: only texts are counted)."""
    if key in _TEXT_KEYS:
        out.append(value)
    elif key == "rows":
        if isinstance(value, list):
            _add_cells(value, out)
    elif key in _TABLE_KEYS:
        _add_table(value, out)
    elif key == "tabs":
        for table in value or ():
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


def _swap_value(
    key: str,
    value: Any,
    swap: Callable[[Any], Any],
    swap_rows: Callable[[Any], Any] | None = None,
) -> Any:
    """One property `value` with `swap` applied to its text or its table cells
    (`swap_rows`, if given, swaps the cells of a list of rows: ``rows`` and tables')."""
    if key in _TEXT_KEYS:
        return swap(value)
    if key == "rows":
        if not value or not isinstance(value, list):
            return value
        return swap_rows(value) if swap_rows else _swap_rows(value, swap)
    if key in _TABLE_KEYS:
        return _swap_table(value, swap, swap_rows)
    if key == "tabs" and value:
        return [_swap_table(t, swap, swap_rows) for t in value]
    return value


def _swap(
    props: dict[str, Any],
    swap: Callable[[Any], Any],
    swap_rows: Callable[[Any], Any] | None = None,
) -> dict[str, Any]:
    """`props` with `swap` applied to every text field and table cell (`_swap_value`)."""
    return {k: _swap_value(k, v, swap, swap_rows) for k, v in props.items()}


def _plain_points(geometries: list[Any]) -> bool:
    """True when every one of `geometries` (at least one) is a GeoJSON point given by its
    two coordinates and nothing else (checked over the whole list at once)."""
    try:
        return (
            bool(geometries)
            and all(map(isinstance, geometries, repeat(dict)))
            and set(map(len, geometries)) == {2}
            and set(map(itemgetter("type"), geometries)) == {"Point"}
            and set(map(len, map(itemgetter("coordinates"), geometries))) == {2}
        )
    except (KeyError, TypeError):  # a geometry without those keys, coordinates without len
        return False


def _columns(collection: dict[str, Any]) -> dict[str, Any] | None:
    """
    `collection` as columns: ``n`` features, their geometries (``g``; ``xy``, the flat
    coordinates, when every one is a point) and each property's values (``p``: one list
    per key, in order of first appearance, ``None`` where a feature lacks the key). None
    when that would not give the features back exactly: a collection holding more than
    its type and features, a feature holding more than its type, geometry and properties,
    properties that are not a mapping, or a property that holds ``None`` (which the
    columns use for a missing key). Each check runs over the whole layer at once (a layer
    may hold 30,000 features).
    """
    if collection.keys() - {"type", "features"}:
        return None
    features = collection["features"]
    n = len(features)
    if n and set(map(len, features)) != {3}:
        return None
    try:
        props = list(map(itemgetter("properties"), features))
        geometries = list(map(itemgetter("geometry"), features))
    except KeyError:
        return None
    if n and (
        not all(map(isinstance, props, repeat(dict)))
        or any(map(contains, map(dict.values, props), repeat(None)))
    ):
        return None
    keys = dict.fromkeys(chain.from_iterable(props))
    out: dict[str, Any] = {k: v for k, v in collection.items() if k != "features"}
    out["n"] = n
    if _plain_points(geometries):
        out["xy"] = list(chain.from_iterable(map(itemgetter("coordinates"), geometries)))
    else:
        out["g"] = geometries
    out["p"] = {k: list(map(dict.get, props, repeat(k, n))) for k in keys}
    rows = out["p"].get("rows")
    cells = _pair_cells(rows) if rows is not None else None
    if cells is not None:
        # Label-value rows: each feature's number of rows, and every cell in one list.
        out["p"]["rows"] = [None if r is None else len(r) for r in rows]
        out["rc"] = cells
    return out


def _pair_cells(rows: list[Any]) -> list[Any] | None:
    """Every cell of `rows` (each None or a list of rows of two cells) in one list, or None
    when one is something else."""
    given = [r for r in rows if r is not None]
    if not all(map(isinstance, given, repeat(list))):
        return None
    pairs = list(chain.from_iterable(given))
    if not all(map(isinstance, pairs, repeat(list))) or set(map(len, pairs)) - {2}:
        return None
    return list(chain.from_iterable(pairs))


def _row_lists(counts: list[int | None], cells: list[Any]) -> list[list[list[Any]] | None]:
    """Each feature's rows again from its number of rows and the flat cells (``rc``)."""
    out: list[list[list[Any]] | None] = []
    at = 0
    for k in counts:
        if k is None:
            out.append(None)
            continue
        out.append([cells[i : i + 2] for i in range(at, at + 2 * k, 2)])
        at += 2 * k
    return out


def _column_texts(key: str, values: list[Any], out: list[Any]) -> None:
    """Append the texts of one property column (`_value_texts`, a text column at once);
    a ``rows`` column of row counts (cells apart, in ``rc``) holds none."""
    if key in _TEXT_KEYS:
        out.extend(values)
    elif key in _NESTED_KEYS:
        for value in values:
            if value is not None:
                _value_texts(key, value, out)
    # any other property (a radius, a mark) holds no text: `_value_texts` adds none


def _swap_texts(
    values: list[Any], swap: Callable[[Any], Any], get: Callable[[Any, Any], Any]
) -> list[Any]:
    """`values` with `swap` applied to each: through `get` in C, unless one is unhashable."""
    try:
        return list(map(get, values, values))
    except TypeError:
        return [swap(v) for v in values]


def _swap_column(
    key: str,
    values: list[Any],
    swap: Callable[[Any], Any],
    swap_rows: Callable[[Any], Any],
    get: Callable[[Any, Any], Any],
) -> list[Any]:
    """One property column with `swap` applied as `_swap_value` applies it to each value
    (`get`: the table's ``dict.get``, over a text column in C)."""
    if key in _TEXT_KEYS:
        return _swap_texts(values, swap, get)
    if key not in _NESTED_KEYS:
        return list(values)  # no text in it: `_swap_value` gives each value back
    return [v if v is None else _swap_value(key, v, swap, swap_rows) for v in values]


def pack_layers(layers: Sequence[LayerData]) -> tuple[list[str], list[dict[str, Any]]]:
    """
    Return the page's text table and each layer's features, packed.

    Each layer is written as columns where that gives its features back exactly
    (`_columns`; the page's `RD.layer` makes the features again), otherwise as its
    feature collection. Every text that occurs more than once on the page (and has
    `MIN_PACKED_LENGTH` characters or more) is replaced by its position in the table, in
    order of first appearance, layer by layer and, within a layer written as columns,
    column by column. The layers' own collections are left as they are.
    """
    shaped = [_columns(d.collection) or d.collection for d in layers]
    values: list[Any] = []
    for data in shaped:
        if "p" in data:
            for key, column in data["p"].items():
                _column_texts(key, column, values)
            values.extend(data.get("rc", ()))
            continue
        for f in data["features"]:
            for key, value in (f.get("properties") or {}).items():
                _value_texts(key, value, values)
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
    for data in shaped:
        if "p" in data:
            columns = {k: _swap_column(k, v, swap, swap_rows, get) for k, v in data["p"].items()}
            packed.append({**data, "p": columns})
            if "rc" in data:
                packed[-1]["rc"] = _swap_texts(data["rc"], swap, get)
            continue
        features = [
            {**f, "properties": _swap(f["properties"], swap, swap_rows)}
            if f.get("properties")
            else f
            for f in data["features"]
        ]
        packed.append({**data, "features": features})
    return table, packed


def unpack_collection(data: dict[str, Any], texts: Sequence[str]) -> dict[str, Any]:
    """
    Return a layer as `pack_layers` wrote it as its feature collection again, with every
    reference put back as its text (what the page's `RD.layer` does before drawing; for
    tests and tools reading a page). Geometries stay as the page stores them.
    """
    if "p" not in data:
        features = data["features"]
    else:
        n, columns = data["n"], data["p"]
        if "xy" in data:
            xy = data["xy"]
            geometries = [{"type": "Point", "coordinates": xy[2 * i : 2 * i + 2]} for i in range(n)]
        else:
            geometries = data["g"]
        if "rc" in data:
            columns = {**columns, "rows": _row_lists(columns["rows"], data["rc"])}
        features = [
            {
                "type": "Feature",
                "geometry": geometries[i],
                "properties": {k: v[i] for k, v in columns.items() if v[i] is not None},
            }
            for i in range(n)
        ]
    out = {k: v for k, v in data.items() if k not in ("n", "xy", "g", "p", "rc")}
    out["features"] = [
        {**f, "properties": unpack_properties(f["properties"], texts)} if f.get("properties") else f
        for f in features
    ]
    return out


def unpack_properties(props: dict[str, Any], texts: Sequence[str]) -> dict[str, Any]:
    """
    Return `props` with every reference put back as its text (what the page's `RD.layer`
    does before drawing; for tests and tools reading a page).
    """

    def swap(x: Any) -> Any:
        return texts[x] if isinstance(x, int) and not isinstance(x, bool) else x

    return _swap(props, swap)
