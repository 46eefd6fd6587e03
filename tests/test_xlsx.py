"""The briefing workbook (`redeploy.export.xlsx`, ``--format xlsx``)."""

from __future__ import annotations

import hashlib
import zipfile

import openpyxl
import pytest

from redeploy.cli import app
from redeploy.export import write_results
from redeploy.export.xlsx import SHEETS
from redeploy.model.result import HOME_ID
from redeploy.scenario import load_scenario
from tests.conftest import load_data_module

fixtures = load_data_module("export/fixtures.py", "export_fixtures")


@pytest.fixture
def workbook(tmp_path):
    layers, result = fixtures.make_layers(), fixtures.make_result()
    written = write_results(
        layers, result, tmp_path, formats="xlsx", scenario=load_scenario("baseline")
    )
    assert written == [tmp_path / "test_scenario.xlsx"]
    return openpyxl.load_workbook(written[0]), layers, result


def _rows(ws):
    return list(ws.iter_rows(values_only=True))


def test_a_sheet_per_table_with_units_row_and_frozen_headers(workbook):
    wb, _, result = workbook
    assert wb.sheetnames == [
        "Summary",
        *SHEETS.values(),
        "Assumptions",
        "Sources",
        "Layer files",
    ]
    flows = wb["Flows"]
    header, units, *rows = _rows(flows)
    assert header[:7] == (
        "front_id",
        "front_name",
        "zone_id",
        "zone_name",
        "asset",
        "unit",
        "amount",
    )
    assert units[header.index("distance_km")] == "km"
    assert units[header.index("cost")] == "$bn-eq/yr"
    assert units[header.index("amount")] == "see unit"
    assert len(rows) == len(result.flows)
    assert flows.freeze_panes == "E3"  # headers and ids/names stay in view
    for ws in wb:
        assert ws.freeze_panes is not None and ws.freeze_panes[1:] == "3", ws.title


def test_names_beside_ids_and_a_unit_per_row(workbook):
    wb, layers, _ = workbook
    header, _, *rows = _rows(wb["Flows"])
    front_names = dict(zip(layers["fronts"]["id"], layers["fronts"]["name"], strict=True))
    for row in rows:
        record = dict(zip(header, row, strict=True))
        if record["front_id"] == HOME_ID:
            assert record["front_name"] == "United States (home pool)"
        else:
            assert record["front_name"] == front_names[record["front_id"]]
        assert record["unit"] == ("$bn/yr" if record["asset"] == "engagement" else "kpe")


def test_number_formats(workbook):
    wb, _, _ = workbook
    ws = wb["Flows"]
    header = [c.value for c in ws[1]]
    col = {name: i + 1 for i, name in enumerate(header)}
    assert ws.cell(3, col["distance_km"]).number_format == "#,##0"
    assert ws.cell(3, col["amount"]).number_format == "#,##0.000"
    ledger = wb["Ledger"]
    header = [c.value for c in ledger[1]]
    share = header.index("double_burden_share") + 1
    assert ledger.cell(3, share).number_format == "0.0%"


def test_zones_sheet_marks_floors_and_summary_has_the_double_burden(workbook):
    wb, _, result = workbook
    header, units, *rows = _rows(wb["Zones"])
    assert units[header.index("added_bn")] == "$bn/yr"
    held = {
        (r[header.index("zone_id")], r[header.index("asset")])
        for r in rows
        if r[header.index("floor_held")] is True
    }
    zones = result.zones
    assert held == set(map(tuple, zones.loc[zones["floor_held"], ["zone_id", "asset"]].values))
    assert held and all(zone == "cod" for zone, _ in held)
    summary = {row[0]: row[1:] for row in _rows(wb["Summary"])[2:]}
    share = result.totals["double_burden_share"]
    assert summary["double burden, all fronts together"] == (
        pytest.approx(share, abs=1e-6),
        "share",
    )


def test_assumptions_and_sources(workbook):
    wb, layers, _ = workbook
    items = {row[0]: row[1] for row in _rows(wb["Assumptions"])[2:]}
    baseline = load_scenario("baseline")
    assert items["description"] == baseline.description
    assert items["assumption 1"] == baseline.assumptions[0]
    assert any(key.startswith("setting fronts.") for key in items)
    header, _, *rows = _rows(wb["Sources"])
    assert header == ("layer", "id", "name", "source", "source_year", "confidence")
    expected = sum(len(f) for k, f in layers.items() if k != "basemap")
    assert len(rows) == expected


def test_same_inputs_same_bytes(tmp_path, monkeypatch):
    layers, result = fixtures.make_layers(), fixtures.make_result()
    digests = []
    for folder in ("a", "b"):
        (path,) = write_results(layers, result, tmp_path / folder, formats="xlsx")
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    with zipfile.ZipFile(path) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2024, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2024-01-01T00:00:00Z" in core
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")  # 2025-01-01
    (later,) = write_results(layers, result, tmp_path / "c", formats="xlsx")
    assert openpyxl.load_workbook(later).properties.modified.year == 2025


def test_cli_format_xlsx(runner, tmp_path):
    result = runner.invoke(app, ["run", "--format", "xlsx", "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(tmp_path / "baseline.xlsx")
    summary = {row[0]: row[1] for row in wb["Summary"].iter_rows(min_row=3, values_only=True)}
    assert summary["scenario"] == "baseline"
    files = list(wb["Layer files"].iter_rows(min_row=3, values_only=True))
    assert {row[0] for row in files} >= {"fronts", "supply_nodes"}
