"""The Markdown reference of every layer kind's columns (``docs/layers.md``), from `SCHEMAS`."""

from __future__ import annotations

from collections.abc import Mapping

from redeploy.schema_types import bound_text
from redeploy.schemas import CRS, SCHEMAS, UNIT_MAXIMA
from redeploy.validation import RESERVED_COLUMNS

#: What each unit of the layers and outputs means.
UNIT_NOTES: Mapping[str, str] = {
    "kpe": "thousand U.S. service-member equivalents of forward presence in the asset class",
    "$bn/yr": "billions of current U.S. dollars per year",
    "mb/d": "million barrels of oil per day",
    "%": "percent",
    "index": "dimensionless, 0 to 1",
    "persons": "head count",
    "1-5": "ordinal scale, 1 (low) to 5 (high)",
}


def describe_markdown() -> str:
    """Return the Markdown reference of every layer's columns (docs/layers.md)."""
    out = [
        "# Layer reference",
        "",
        "Generated from `redeploy/schemas.py` by `redeploy layers describe --markdown`.",
        f"Every layer is in {CRS}. Units:",
        "",
    ]
    out += [f"- `{u}`: {d}" for u, d in UNIT_NOTES.items()]
    maxima = ", ".join(f"`{u}` {bound_text(m)}" for u, m in UNIT_MAXIMA.items())
    reserved = " and ".join(f"`{r}`" for r in RESERVED_COLUMNS)
    out += [
        "",
        "Every number is bounded on both sides (the `allowed` column); a number without a "
        f"bound of its own takes its unit's largest value ({maxima}), generous limits on "
        "what exists. A true/false value where a number is expected is refused (GDAL reads "
        "a GeoJSON `true` among numbers as 1: redeploy reads the file's JSON to tell them "
        "apart). A layer may carry columns of its own beside these, except "
        f"{reserved} (case does not matter), which the GeoPackage outputs use for the "
        "feature id and the geometry, and names that differ from another column only in "
        "case (`ID` beside `id`): GeoPackage and Shapefile field names ignore case.",
    ]
    for schema in SCHEMAS.values():
        geoms = ", ".join(sorted(schema.geometry_types))
        out += [
            "",
            f"## `{schema.kind.value}`: {schema.title}",
            "",
            schema.description,
            "",
            f"Geometry: {geoms}.",
            "",
            "| column | type | unit | required | allowed | description |",
            "|---|---|---|---|---|---|",
        ]
        for name, spec in schema.columns.items():
            out.append(
                f"| `{name}` | {spec.dtype} | {spec.unit} | {'yes' if spec.required else 'no'}"
                f" | {spec.allowed()} | {spec.description} |"
            )
    return "\n".join(out) + "\n"
