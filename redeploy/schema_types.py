"""The building blocks of `redeploy.schemas`: a column's spec and a layer kind's role.

`redeploy.schemas` declares every layer kind with these (and re-exports them); nothing here
names a kind, so adding one never touches this module.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

DType = Literal["str", "float", "int", "bool", "iso3", "iso3_list", "str_list", "enum", "slug"]

#: Largest value of a numeric column that declares no maximum of its own, by unit: generous
#: limits on what exists, so that a typo or a hostile figure (1e308) is refused with a
#: message instead of overflowing the model's arithmetic. Scenario figures in these units
#: share the bounds. A numeric column in a unit not listed must declare its maximum.
UNIT_MAXIMA: Mapping[str, float] = {
    # ten million service-member equivalents; the whole U.S. active force is ~1,300 kpe
    "kpe": 10_000,
    # about twice world GDP (~110,000 $bn in 2024)
    "$bn/yr": 200_000,
    # more than the world's armed forces
    "persons": 100_000_000,
    # Malacca, the busiest strait, sees ~94,000 a year
    "transits/yr": 10_000_000,
    # a throughput in its own unit (TEU/yr, Mt/yr, ...): Singapore moves 4.1e7 TEU/yr
    "see unit": 1e12,
}


def bound_text(x: float) -> str:
    """Return a bound as text: ``25``, ``0.5``; whole numbers from 10,000 up with thousands
    separators (``200,000``, ``1,000,000,000,000``), so years stay ``2100``."""
    if math.isfinite(x) and float(x).is_integer() and abs(x) >= 10_000:
        return f"{x:,.0f}"
    return f"{x:g}"


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a layer: its type, unit, whether it is required, bounds and meaning."""

    dtype: DType
    description: str
    unit: str = ""
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    #: Another column of the layer that this one may not exceed, feature by feature.
    at_most: str | None = None
    #: Short label of the column in map popups and QGIS map tips ("" for the name in words).
    label: str = ""
    #: Another column of the layer holding this one's unit (shown after its value).
    unit_column: str | None = None

    def allowed(self) -> str:
        """Describe the allowed values in words, for error messages and docs."""
        if self.dtype == "bool":
            return "true or false"
        if self.dtype == "enum":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.dtype == "slug":
            return "a slug of lower-case letters, digits and '_'"
        if self.dtype == "iso3":
            return "an ISO 3166-1 alpha-3 code such as 'IDN'"
        if self.dtype == "iso3_list":
            return "ISO 3166-1 alpha-3 codes separated by ';' such as 'MYS;IDN'"
        if self.dtype == "str_list":
            return "text items separated by ';'"
        if self.dtype in ("float", "int"):
            kind = "an integer" if self.dtype == "int" else "a number"
            if self.minimum is not None and self.maximum is not None:
                text = f"{kind} from {bound_text(self.minimum)} to {bound_text(self.maximum)}"
            elif self.minimum is not None:
                text = f"{kind} >= {bound_text(self.minimum)}"
            elif self.maximum is not None:
                text = f"{kind} <= {bound_text(self.maximum)}"
            else:
                text = kind
            return f"{text}, at most {self.at_most}" if self.at_most else text
        return "non-empty text"


def bounded(spec: ColumnSpec) -> ColumnSpec:
    """
    Return `spec` with its unit's maximum (`UNIT_MAXIMA`) when it is a number without one.

    Every number of an input layer is bounded on both sides (`LayerSchema` applies this to
    its columns); one in a unit not listed must declare its maximum itself.

    Raises
    ------
    ValueError
        For a number column without a minimum, or without a maximum in an unlisted unit.
    """
    if spec.dtype not in ("float", "int"):
        return spec
    if spec.minimum is None:
        msg = f"number column ({spec.description!r}) must declare its minimum"
        raise ValueError(msg)
    if spec.maximum is not None:
        return spec
    if spec.unit not in UNIT_MAXIMA:
        msg = (
            f"number column ({spec.description!r}) in unit {spec.unit!r} must declare its "
            f"maximum (units with a default: {', '.join(UNIT_MAXIMA)})"
        )
        raise ValueError(msg)
    return dataclasses.replace(spec, maximum=UNIT_MAXIMA[spec.unit])


#: Where the flows of a result are drawn among the layer kinds' `LayerRole.draw_order`:
#: kinds with a smaller draw order lie under them, the others over them.
FLOWS_DRAW_ORDER = 30


#: Columns every layer kind shares (identity and provenance, `_common`).
COMMON_COLUMNS: tuple[str, ...] = ("id", "name", "source", "source_year", "confidence", "notes")


@dataclass(frozen=True)
class LayerRole:
    """
    What a layer kind is for, declared once beside its columns.

    Attributes
    ----------
    noun
        What one feature is, in words (``"Alliance front"``): the kind line of popups and
        QGIS map tips.
    legend_title
        Title of the layer in the QGIS layers panel and legend, with the unit of what its
        symbols show.
    draw_order
        Position on maps and in the QGIS project, bottom (small) to top; the result's
        flows are drawn at `FLOWS_DRAW_ORDER`.
    palette_key
        Entry of `redeploy.palette.LAYER_COLORS` and `MARKER_RADII` giving its colour and
        marker sizes (a new kind may share an existing kind's entry).
    model_input
        Whether the model reads the kind (`redeploy run` reads and validates these).
    value_kind
        The kind of zone value its features feed (a name of
        `redeploy.scenario.VALUE_KINDS`, weighted by ``[model.layer_weights]`` and fitted
        by ``[assets.<class>.fit]`` in coefficients.toml), or None.
    value_figure
        Columns multiplied together to give each feature's value figure, before it is
        divided by the layer's largest.
    backdrop
        Drawn under the data as context only: not framed by the first view of a map,
        not in legends.
    """

    noun: str
    legend_title: str
    draw_order: int
    palette_key: str
    model_input: bool = False
    value_kind: str | None = None
    value_figure: tuple[str, ...] = ()
    backdrop: bool = False


@dataclass(frozen=True)
class ColumnDefault:
    """
    The value a feature added to a shipped layer (``--add-layer``) gets where it leaves a
    column empty or the file lacks the column; such a feature is marked ``estimate``.

    Attributes
    ----------
    rule
        The default in words, for docs and the feature's ``notes``.
    value
        A fixed value; in text, ``{id}`` stands for the feature's id and ``{file}`` for the
        added file's name.
    by, values
        Or a value chosen by another column's value (``importance`` by the node's ``kind``):
        ``values[feature[by]]``; a feature whose `by` value is not listed gets no default.
    """

    rule: str
    value: str | float | None = None
    by: str | None = None
    values: tuple[tuple[str, float], ...] = ()

    def for_feature(self, feature_id: str, file_name: str, by_value: object) -> object:
        """Return the default for one feature, or None when there is none."""
        if self.by is not None:
            key = str(by_value).strip().lower() if by_value is not None else ""
            return dict(self.values).get(key)
        if isinstance(self.value, str):
            return self.value.replace("{id}", feature_id).replace("{file}", file_name)
        return self.value


@dataclass(frozen=True)
class AddedRules:
    """
    How a layer kind takes features added to it (``--add-layer``, `redeploy.own_layers`).

    Attributes
    ----------
    defaults
        Defaults of the columns an added feature may leave empty.
    country_column
        The column naming the country (ISO3) or countries a feature lies in or borders: an
        added feature farther than `country_km` from all of them is warned about (it
        catches swapped longitude and latitude).
    country_km
        How far from those countries a feature may lie.
    """

    defaults: Mapping[str, ColumnDefault] = dataclasses.field(default_factory=dict)
    country_column: str | None = None
    country_km: float = 50.0
