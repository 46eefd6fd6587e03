"""A run's briefing workbook (``--format xlsx``): one sheet per table, names beside ids, a
units row under the headers, number formats, frozen headers, the scenario's assumptions,
the sources of every feature and the layer files read.

Same result -> same bytes: the workbook's created/modified dates are the export timestamp
(`redeploy.export.gis.FIXED_TIMESTAMP`, or ``SOURCE_DATE_EPOCH``) and the zip entries carry
that date too. Nothing here computes a model quantity.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from redeploy.export.results import HOME_NAME
from redeploy.export.tables import COLUMN_UNITS, TABLES
from redeploy.io.atomic import write_atomic
from redeploy.io.text import clean_float
from redeploy.model.result import HOME_ID, AllocationResult
from redeploy.schemas import ASSET_UNITS, RISK_CHANNELS

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from redeploy.scenario import Scenario

#: Sheet titles of the tables, in the workbook's order (after ``Summary``).
SHEETS: Mapping[str, str] = {
    "flows": "Flows",
    "fronts": "Fronts",
    "zones": "Zones",
    "ledger": "Ledger",
    "allies": "Allies",
}
#: Columns whose unit is that of the row's asset class (kpe or $bn/yr): the sheet gets a
#: ``unit`` column after ``asset`` and these columns say "see unit".
PER_ASSET_COLUMNS = frozenset(
    {"amount", "baseline", "freed", "released", "existing", "added", "capacity"}
)
#: Excel number formats by unit.
NUMBER_FORMATS: Mapping[str, str] = {
    "km": "#,##0",
    "share": "0.0%",
    "year": "0",
}
#: Format of every other number: three decimals with thousands separators.
DEFAULT_FORMAT = "#,##0.000"
_HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")
_BOLD = Font(bold=True)
_ITALIC = Font(italic=True, color="555555")


@dataclass(frozen=True)
class SheetTable:
    """One sheet's table: the frame, the unit of each column and how many columns (ids and
    names) stay in view when scrolling right."""

    title: str
    frame: pd.DataFrame
    units: Mapping[str, str]
    frozen_columns: int = 0


def _names(layers: Mapping[str, Any], kind: str) -> dict[str, str]:
    frame = layers.get(kind)
    out = {} if frame is None else dict(zip(frame["id"].astype(str), frame["name"], strict=True))
    out[HOME_ID] = HOME_NAME
    return out


def _with_names(frame: pd.DataFrame, names: Mapping[str, Mapping[str, str]]) -> pd.DataFrame:
    """Insert ``front_name`` after ``front_id`` and ``zone_name`` after ``zone_id``, and a
    ``unit`` column after ``asset``."""
    out = frame.copy()
    for key, lookup in names.items():
        col = f"{key}_id"
        if col in out.columns:
            values = out[col].astype(str).map(lambda v, lk=lookup: lk.get(v, v))
            out.insert(list(out.columns).index(col) + 1, f"{key}_name", values)
    if "asset" in out.columns:
        units = out["asset"].map(lambda a: ASSET_UNITS.get(str(a), ""))
        out.insert(list(out.columns).index("asset") + 1, "unit", units)
    return out


def _unit(column: str) -> str:
    if column in PER_ASSET_COLUMNS:
        return "see unit"
    return COLUMN_UNITS.get(column, "")


def result_sheets(result: AllocationResult, layers: Mapping[str, Any]) -> list[SheetTable]:
    """Return the result's tables as sheets: names beside ids, units per column."""
    names = {"front": _names(layers, "fronts"), "zone": _names(layers, "peripheral_zones")}
    sheets = []
    for key, (_, columns) in TABLES.items():
        frame = _with_names(pd.DataFrame(getattr(result, key)).loc[:, list(columns)], names)
        frozen = sum(1 for c in frame.columns if c.endswith(("_id", "_name")))
        units = {c: _unit(c) for c in frame.columns}
        sheets.append(SheetTable(SHEETS[key], frame, units, frozen))
    return sheets


def _summary_rows(result: AllocationResult) -> list[tuple[str, object, str]]:
    rows: list[tuple[str, object, str]] = [
        ("scenario", result.scenario, ""),
        ("run id", result.run_id, ""),
        ("status", result.status, ""),
    ]
    obj = result.objective
    for key in ("value", "transit_cost", "risk", "total"):
        rows.append((f"objective: {key.replace('_', ' ')}", obj.get(key), "$bn-eq/yr"))
    for channel in RISK_CHANNELS:
        rows.append((f"risk: {channel.replace('_', ' ')}", obj.get(f"risk_{channel}"), "$bn-eq/yr"))
    existing = result.totals.get("existing_by_region", {})
    for region, kpe in result.totals.get("by_region", {}).items():
        rows.append((f"{region}: military added", kpe, "kpe"))
        rows.append((f"{region}: military already there", existing.get(region), "kpe"))
        eng = result.totals.get("by_region_engagement", {}).get(region)
        rows.append((f"{region}: engagement added", eng, "$bn/yr"))
    for asset, amount in result.totals.get("home", {}).items():
        rows.append((f"home pool: {asset}", amount, ASSET_UNITS.get(str(asset), "")))
    share = result.totals.get("double_burden_share")
    if share is not None:
        rows.append(("double burden, all fronts together", share, "share"))
    return rows


def summary_sheet(result: AllocationResult) -> SheetTable:
    """The run at a glance: scenario, run id, objective parts and what each region gets."""
    rows = _summary_rows(result)
    frame = pd.DataFrame(rows, columns=["item", "value", "unit"])
    return SheetTable("Summary", frame, {"item": "", "value": "see unit", "unit": ""}, 1)


def _flatten(prefix: str, value: object) -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        out: list[tuple[str, str]] = []
        for key in sorted(value):
            out += _flatten(f"{prefix}.{key}" if prefix else str(key), value[key])
        return out
    return [(prefix, str(value))]


def assumptions_sheet(result: AllocationResult, scenario: Scenario | None) -> SheetTable:
    """The scenario's description, assumptions and every setting it overrides."""
    rows: list[tuple[str, str]] = [("scenario", result.scenario)]
    if scenario is None:
        rows.append(("description and assumptions", result.description))
    else:
        rows += [("description", scenario.description), ("file", Path(scenario.source).name)]
        rows += [(f"assumption {i}", text) for i, text in enumerate(scenario.assumptions, 1)]
        data = scenario.model_dump(mode="json", exclude_none=True, by_alias=True)
        skip = ("name", "description", "assumptions")
        settings = {k: v for k, v in data.items() if k not in skip}
        rows += [(f"setting {key}", value) for key, value in _flatten("", settings)]
    frame = pd.DataFrame(rows, columns=["item", "text"])
    return SheetTable("Assumptions", frame, {"item": "", "text": ""}, 1)


def sources_sheet(layers: Mapping[str, Any]) -> SheetTable:
    """Every feature of the model's layers with its source, year and confidence."""
    columns = ["layer", "id", "name", "source", "source_year", "confidence"]
    parts = []
    for kind, frame in layers.items():
        if kind == "basemap" or "source" not in frame.columns:
            continue
        part = pd.DataFrame(frame)[columns[1:]].assign(layer=kind)[columns]
        parts.append(part.sort_values("id", kind="stable"))
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    units = dict.fromkeys(columns, "")
    units["source_year"] = "year"
    return SheetTable("Sources", table, units, 3)


def files_sheet(result: AllocationResult) -> SheetTable:
    """The layer files the run read: kind, origin (shipped, own, added), path, SHA-256."""
    columns = ["kind", "origin", "path", "sha256"]
    frame = pd.DataFrame(result.meta.get("layer_files", []), columns=columns)
    return SheetTable("Layer files", frame, dict.fromkeys(columns, ""), 1)


def _cell_value(value: object) -> object:
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return clean_float(value)  # the tables' six decimals; NaN as an empty cell
    return str(value)


def _write_sheet(ws: Worksheet, table: SheetTable) -> None:
    frame = table.frame
    ws.append([str(c) for c in frame.columns])
    ws.append([table.units.get(str(c), "") for c in frame.columns])
    for cell in ws[1]:
        cell.font, cell.fill = _BOLD, _HEADER_FILL
    for cell in ws[2]:
        cell.font, cell.fill = _ITALIC, _HEADER_FILL
    for row in frame.itertuples(index=False):
        ws.append([_cell_value(v) for v in row])
    for j, col in enumerate(frame.columns, 1):
        unit = table.units.get(str(col), "")
        fmt = NUMBER_FORMATS.get(unit, DEFAULT_FORMAT)
        letter = get_column_letter(j)
        texts = [str(col), unit, *(str(v) for v in frame[col].head(200))]
        ws.column_dimensions[letter].width = min(max(len(t) for t in texts) + 2, 60)
        if pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col]):
            for (cell,) in ws.iter_rows(min_row=3, min_col=j, max_col=j):
                cell.number_format = fmt
        elif str(col) in ("text", "description"):
            for (cell,) in ws.iter_rows(min_row=3, min_col=j, max_col=j):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    if table.title == "Summary":
        for (cell,) in ws.iter_rows(min_row=3, min_col=2, max_col=2):
            if isinstance(cell.value, float):
                cell.number_format = DEFAULT_FORMAT
    ws.freeze_panes = ws.cell(row=3, column=table.frozen_columns + 1)


def _stamp(timestamp: str) -> dt.datetime:
    return dt.datetime.strptime(timestamp[:19], "%Y-%m-%dT%H:%M:%S")


def workbook_bytes(sheets: Sequence[SheetTable], *, timestamp: str, creator: str) -> bytes:
    """Return the workbook of `sheets` as bytes, every date in it `timestamp`."""
    wb = Workbook()
    first = wb.active
    assert first is not None  # a new workbook has one sheet
    wb.remove(first)
    for table in sheets:
        _write_sheet(wb.create_sheet(table.title), table)
    when = _stamp(timestamp)
    wb.properties.created = wb.properties.modified = when
    wb.properties.creator = wb.properties.lastModifiedBy = creator
    raw = io.BytesIO()
    # ExcelWriter, not save_workbook: that one stamps "modified" with the current time
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return _fixed_zip_dates(raw.getvalue(), when)


def _fixed_zip_dates(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite a zip archive with every entry dated `when` (zipfile dates entries now)."""
    out = io.BytesIO()
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def write_workbook(
    result: AllocationResult,
    layers: Mapping[str, Any],
    path: str | Path,
    *,
    scenario: Scenario | None = None,
    timestamp: str,
    creator: str = "redeploy",
) -> Path:
    """
    Write the run's briefing workbook to `path`, atomically.

    Parameters
    ----------
    result
        The solve.
    layers
        The validated layers (names of fronts and zones, the features' sources).
    path
        The ``.xlsx`` file.
    scenario
        The scenario, for its assumptions and settings; without it the result's
        description stands in.
    timestamp
        Date stored as the workbook's created and modified dates (ISO 8601, UTC).
    creator
        Author stored in the workbook's properties.

    Returns
    -------
    Path
        `path`.
    """
    sheets = [
        summary_sheet(result),
        *result_sheets(result, layers),
        assumptions_sheet(result, scenario),
        sources_sheet(layers),
        files_sheet(result),
    ]
    path = Path(path)
    return write_atomic(path, workbook_bytes(sheets, timestamp=timestamp, creator=creator))
