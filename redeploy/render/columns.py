"""A layer read column by column for its popups: each column once, each distinct value once.

`redeploy.render.frames.records` gives a layer row by row, as dicts; a marker layer's
popups built from those formatted every figure of every feature apart. `LayerColumns`
holds the same values column by column (row ``i`` of each list is what ``records(gdf)[i]``
holds), and `each` formats a column's values, each distinct text or number once: a layer's
sources, units, years and categories repeat from feature to feature.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import NoneType
from typing import Any, TypeVar

import geopandas as gpd

from redeploy.render.format import source_line

T = TypeVar("T")

_NOT_YET = object()
_NUMBERS = (int, float)
_NUMBER_TYPES = frozenset({bool, int, float})


class LayerColumns:
    """A layer's columns (without the geometry) as lists, in row order: ``get(name)[i]`` is
    ``records(gdf)[i].get(name)``."""

    def __init__(self, gdf: gpd.GeoDataFrame) -> None:
        geometry = gdf.geometry.name
        self.size = len(gdf)
        self.columns: dict[str, list[Any]] = {
            str(c): gdf[c].tolist() for c in gdf.columns if c != geometry
        }

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def get(self, name: str | None) -> list[Any]:
        """The column's values, or None for every row when the layer has no such column."""
        values = self.columns.get(name) if name is not None else None
        return values if values is not None else [None] * self.size

    def records(self) -> Iterator[dict[str, Any]]:
        """Each row as a dict, as `redeploy.render.frames.records` gives it."""
        names = list(self.columns)
        for values in zip(*self.columns.values(), strict=True):
            yield dict(zip(names, values, strict=True))


def each(values: list[Any], fmt: Callable[[Any], T]) -> list[T]:
    """
    ``[fmt(v) for v in values]``, each distinct text or number formatted once.

    Values are told apart by type as well (``1`` and ``1.0`` may format differently), and
    ``-0.0`` from ``0.0`` (equal to a dict); each NaN is formatted apart.
    """
    kinds = set(map(type, values))
    numbers = kinds & _NUMBER_TYPES
    if kinds <= {str, NoneType, *numbers} and len(numbers) <= 1:
        try:
            distinct = dict.fromkeys(values)
        except TypeError:  # something unhashable
            distinct = None
        if distinct is not None and not (float in numbers and 0.0 in distinct):
            table = {v: fmt(v) for v in distinct}
            return list(map(table.__getitem__, values))
        if distinct is not None:  # floats with zeros: each zero formatted apart
            table = {v: fmt(v) for v in distinct if v != 0}
            return [table[v] if v != 0 else fmt(v) for v in values]
    return _each_apart(values, fmt)


def _each_apart(values: list[Any], fmt: Callable[[Any], T]) -> list[T]:
    """`each` for values of mixed types: keyed by type, zeros and NaN formatted each time."""
    seen: dict[tuple[type, Any], Any] = {}
    out: list[T] = []
    for v in values:
        t = type(v)
        if t is str or ((t is float or t is int) and v == v and v != 0):
            hit = seen.get((t, v), _NOT_YET)
            if hit is _NOT_YET:
                hit = seen[(t, v)] = fmt(v)
            out.append(hit)
        else:
            out.append(fmt(v))
    return out


def _is_text(value: Any) -> bool:
    return value is None or type(value) is str


def _year_key(year: Any) -> Any:
    # float.hex tells -0.0 from 0.0 and gives every NaN one key
    return year.hex() if type(year) is float else year


def source_lines(cols: LayerColumns) -> list[str]:
    """`redeploy.render.format.source_line` of every row, each distinct source once."""
    seen: dict[tuple[Any, ...], str] = {}
    out = []
    for src, year, conf in zip(
        cols.get("source"), cols.get("source_year"), cols.get("confidence"), strict=True
    ):
        if not (_is_text(src) and _is_text(conf) and (year is None or type(year) in _NUMBERS)):
            out.append(source_line({"source": src, "source_year": year, "confidence": conf}))
            continue
        key = (src, _year_key(year), conf)
        line = seen.get(key)
        if line is None:
            line = seen[key] = source_line({"source": src, "source_year": year, "confidence": conf})
        out.append(line)
    return out
