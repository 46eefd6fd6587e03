"""Checking and typing the cells of one layer column (`redeploy.validation`).

Each check goes through the column's values and reports every cell that breaks the
column's specification; the clean common cases take a shortcut that gives the same typed
column: a number column the reader already typed is checked as one array, and a text
column checks each distinct text once.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable, Collection
from functools import lru_cache

import numpy as np
import pandas as pd
import pycountry

from redeploy.errors import Problem
from redeploy.schemas import ColumnSpec

#: ISO 3166-1 alpha-3 user-assigned codes accepted besides pycountry's list.
EXTRA_ISO3: frozenset[str] = frozenset({"XKX"})

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_]*$")


@lru_cache(maxsize=1)
def _iso3_codes() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.countries) | EXTRA_ISO3


def is_iso3(code: str) -> bool:
    """Return whether `code` is an ISO 3166-1 alpha-3 code (upper case)."""
    return code in _iso3_codes()


def is_missing(value: object) -> bool:
    """None, NA, NaN or blank text: a cell with no value."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _shown(value: object, limit: int = 60) -> str:
    """`value` for a message, naming its type when a cell holds a list or an object (GDAL
    gives a GeoJSON array in a text column as JSON text, ``'[ "full" ]'``), cut to about
    `limit` characters."""
    text = _described(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _described(value: object) -> str:
    if isinstance(value, str) and value[:1] in "[{" and value[-1:] in "]}" and len(value) < 10_000:
        with contextlib.suppress(ValueError, RecursionError):
            value = json.loads(value)
    if isinstance(value, list | tuple | np.ndarray):
        items = value.tolist() if isinstance(value, np.ndarray) else list(value)
        return f"a list {items!r}"
    if isinstance(value, dict):
        return f"an object {value!r}"
    return repr(value)


def _is_scalar(value: object) -> bool:
    return not isinstance(value, list | tuple | dict | set | np.ndarray)


#: Text spellings of true and false a CSV or a GeoPackage may hold.
_BOOL_TEXT = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def _check_bool(
    raw: list[object], spec: ColumnSpec, report: Callable[[int, str], None]
) -> pd.Series:
    """
    true/false values (JSON booleans, 0/1 integers or floats, or true/false/yes/no text).

    Floats 0.0 and 1.0 are what GDAL readers give for a GeoPackage BOOLEAN column that holds
    NULLs (redeploy's own exports among them).
    """
    out: list[bool | None] = []
    for i, v in enumerate(raw):
        if is_missing(v):
            if spec.required:
                report(i, f"is empty (null or NaN) but required; allowed: {spec.allowed()}")
            out.append(None)
            continue
        if isinstance(v, bool | np.bool_):
            out.append(bool(v))
        elif isinstance(v, int | np.integer | float | np.floating) and v in (0, 1):
            out.append(bool(v))
        elif isinstance(v, str) and v.strip().lower() in _BOOL_TEXT:
            out.append(_BOOL_TEXT[v.strip().lower()])
        else:
            report(i, f"must be {spec.allowed()}, got {_shown(v)}")
            out.append(None)
    return pd.Series(out, dtype="object")


def check_column(
    values: pd.Series,
    col: str,
    spec: ColumnSpec,
    ids: list[str | None],
    problems: list[Problem],
    booleans: Collection[int] = (),
) -> pd.Series:
    """Check and type one column; `booleans` are rows whose source value was a JSON
    true/false that the reader turned into a number."""

    def report(i: int, message: str) -> None:
        problems.append(Problem(message, feature_id=ids[i], row=i + 1, column=col))

    if spec.dtype in ("float", "int") and not booleans:
        typed = _typed_numbers(values, spec)
        if typed is not None:
            return typed
    raw = values.tolist()
    if spec.dtype == "bool":
        return _check_bool(raw, spec, report)
    if spec.dtype in ("float", "int"):
        return _check_numbers(raw, spec, report, booleans)
    return _check_texts(raw, spec, report)


def _number_series(nums: np.ndarray, spec: ColumnSpec) -> pd.Series:
    """The typed column of checked numbers (NaN where a cell is missing or refused)."""
    if spec.dtype == "int":
        series = pd.Series(nums).round()
        return series.astype("Int64") if np.isnan(nums).any() else series.astype("int64")
    return pd.Series(nums, dtype="float64")


def _typed_numbers(values: pd.Series, spec: ColumnSpec) -> pd.Series | None:
    """
    The column `_check_numbers` gives for a column the reader typed as numbers, checked
    as one array when no cell breaks the specification; None otherwise (the cells are
    then checked one by one, which names each problem).
    """
    dtype = values.dtype
    if not isinstance(dtype, np.dtype) or dtype.kind not in "iuf":
        return None
    nums = values.to_numpy(dtype=float, copy=True)
    missing = np.isnan(nums)
    if spec.required and missing.any():
        return None
    x = nums[~missing]
    bad = np.isinf(x)
    if spec.minimum is not None:
        bad |= x < spec.minimum
    if spec.maximum is not None:
        bad |= x > spec.maximum
    if spec.dtype == "int":
        bad |= np.floor(x) != x
    return None if bad.any() else _number_series(nums, spec)


def _check_numbers(
    raw: list[object],
    spec: ColumnSpec,
    report: Callable[[int, str], None],
    booleans: Collection[int],
) -> pd.Series:
    """Numbers within the column's bounds; true/false, text and infinities refused."""
    nums = np.full(len(raw), np.nan)
    for i, v in enumerate(raw):
        if i in booleans or isinstance(v, bool | np.bool_):
            shown = ("true" if v else "false") if i in booleans else repr(v)
            report(i, f"must be {spec.allowed()}, got {shown} (a boolean, not a number)")
            continue
        if is_missing(v):
            if spec.required:
                report(i, f"is empty (null or NaN) but required; allowed: {spec.allowed()}")
            continue
        try:
            if not _is_scalar(v):  # a list cell: float() would take a 1-item array
                raise TypeError
            x = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            report(i, f"must be {spec.allowed()}, got {_shown(v)}")
            continue
        if math.isnan(x):
            if spec.required:
                report(i, f"is NaN but required; allowed: {spec.allowed()}")
            continue
        if (
            math.isinf(x)
            or (spec.minimum is not None and x < spec.minimum)
            or (spec.maximum is not None and x > spec.maximum)
        ):
            report(i, f"must be {spec.allowed()}, got {_shown(v)}")
            continue
        if spec.dtype == "int" and not float(x).is_integer():
            report(i, f"must be {spec.allowed()}, got {_shown(v)}")
            continue
        nums[i] = x
    return _number_series(nums, spec)


def _text_cell(v: object, spec: ColumnSpec) -> tuple[str | None, str | None]:
    """One cell of a text column: the text kept (None when missing or refused) and what is
    wrong with it (None when nothing is)."""
    if is_missing(v):
        if spec.required:
            return None, f"is empty (null or NaN) but required; allowed: {spec.allowed()}"
        return None, None
    if not _is_scalar(v):
        return None, f"must be {spec.allowed()}, got {_shown(v)}"
    text = str(v).strip()
    if spec.dtype == "enum" and text not in spec.choices:
        return text, f"must be {spec.allowed()}, got {_shown(v)}"
    if spec.dtype == "slug" and not _SLUG.match(text):
        return text, f"must be {spec.allowed()}, got {_shown(v)}"
    if spec.dtype == "iso3" and not is_iso3(text):
        return text, f"unknown ISO3 code {v!r}; allowed: {spec.allowed()}"
    if spec.dtype == "iso3_list":
        codes = [c.strip() for c in text.split(";")]
        bad = [c for c in codes if not is_iso3(c)]
        message = (
            f"unknown ISO3 code(s) {', '.join(repr(b) for b in bad)} in {v!r}; "
            f"allowed: {spec.allowed()}"
            if bad
            else None
        )
        return ";".join(codes), message
    return text, None


def _plain_texts(raw: list[object], spec: ColumnSpec) -> list[str | None] | None:
    """
    The texts `_check_texts` keeps for a column of texts and missing cells that all pass,
    checked as a set of distinct texts (ids and names of a large layer are all distinct);
    None otherwise (the cells are then checked one by one, which names each problem).
    """
    if spec.dtype == "iso3_list":
        return None
    texts: list[str | None]
    if set(map(type, raw)) <= {str}:
        # Every cell a plain text (the usual column): stripped and collected in C.
        texts = list(map(str.strip, raw))  # type: ignore[arg-type]
        if "" in texts:
            texts = [t or None for t in texts]
    else:
        texts = []
        for v in raw:
            if isinstance(v, str):
                texts.append(v.strip() or None)
            elif is_missing(v):
                texts.append(None)
            else:
                return None
    distinct: set[str | None] = set(texts)
    if None in distinct:
        if spec.required:
            return None
        distinct.discard(None)
    if spec.dtype == "enum":
        ok = distinct.issubset(spec.choices)
    elif spec.dtype == "slug":
        ok = all(_SLUG.match(t) for t in distinct if t is not None)
    elif spec.dtype == "iso3":
        ok = distinct.issubset(_iso3_codes())
    else:
        ok = True
    return texts if ok else None


def _check_texts(
    raw: list[object], spec: ColumnSpec, report: Callable[[int, str], None]
) -> pd.Series:
    """Text columns: enums, slugs, ISO3 codes and lists, free text (each distinct text
    checked once)."""
    plain = _plain_texts(raw, spec)
    if plain is not None:
        return pd.Series(plain, dtype="object")
    texts: list[str | None] = []
    seen: dict[str, tuple[str | None, str | None]] = {}
    for i, v in enumerate(raw):
        if type(v) is str:
            cell = seen.get(v)
            if cell is None:
                cell = seen[v] = _text_cell(v, spec)
        else:
            cell = _text_cell(v, spec)
        if cell[1] is not None:
            report(i, cell[1])
        texts.append(cell[0])
    return pd.Series(texts, dtype="object")
