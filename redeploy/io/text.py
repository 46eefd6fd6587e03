"""One text format for every table and summary: CSV and JSON with fixed 6-decimal floats.

Same result -> same bytes: floats rounded to `DECIMALS` and written with that many
decimals (``-0`` written as ``0``), missing values as empty cells (CSV) or ``null``
(JSON), ``\\n`` line ends, sorted JSON keys.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

#: Decimals written for every float.
DECIMALS = 6
_FLOAT_FORMAT = f"%.{DECIMALS}f"


def clean_float(x: float | None) -> float | None:
    """Return `x` rounded to `DECIMALS` (``-0.0`` as ``0.0``), or None when not finite."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    return round(float(x), DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def jsonable(obj: Any) -> Any:
    """Return `obj` with every float cleaned (`clean_float`) and every key a string."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj
    try:
        return clean_float(float(obj))
    except (TypeError, ValueError):
        return str(obj)


def json_text(obj: Any) -> str:
    """Return `obj` as deterministic JSON text (cleaned floats, sorted keys, final newline)."""
    return json.dumps(jsonable(obj), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def csv_text(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> str:
    """
    Return `frame` (or its `columns`) as deterministic CSV text.

    Float columns are rounded to `DECIMALS` and written with that many decimals; missing
    values are empty cells; line ends are ``\\n``; no index.
    """
    out = frame[list(columns)].copy() if columns is not None else frame.copy()
    for col in out.columns:
        if out[col].dtype == object and _floats_or_missing(out[col]):
            out[col] = out[col].astype(float)
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = _float_texts(out[col])
    return out.to_csv(index=False, lineterminator="\n", na_rep="")


def _float_texts(column: pd.Series) -> pd.Series:
    """
    A float column as the texts ``to_csv(float_format="%.6f")`` writes (rounded to
    `DECIMALS`, ``-0`` as ``0``; missing values as None, written empty), formatted with one
    C-level ``%`` per value rather than pandas' formatter per cell.
    """
    values = column.to_numpy(dtype=float, na_value=np.nan).round(DECIMALS) + 0.0
    texts: list[str | None] = list(map(_FLOAT_FORMAT.__mod__, values.tolist()))
    for i in np.flatnonzero(np.isnan(values)).tolist():
        texts[i] = None
    return pd.Series(texts, index=column.index, dtype=object)


def _floats_or_missing(column: pd.Series) -> bool:
    """True when an object column holds only floats and missing values (at least one float)."""
    values = column.tolist()
    floats = [v for v in values if isinstance(v, float)]
    return bool(floats) and all(v is None or isinstance(v, float) for v in values)
