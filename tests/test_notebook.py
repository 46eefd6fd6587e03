"""Notebooks: docs/notebook.md runs in a Jupyter kernel (jupytext + nbclient), results and
inputs display as short tables, and the model's reprs never load the renderer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

from redeploy.model.result import HOME_ID

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "notebook.md"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """docs/notebook.md, executed in a kernel working in a temporary folder."""
    folder = tmp_path_factory.mktemp("notebook")
    nb = jupytext.read(DOC, fmt="md")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) >= 7
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), old]))
    try:
        client = NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(folder)}},
        )
        client.execute()
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH")
        else:
            os.environ["PYTHONPATH"] = old
    return [c for c in nb.cells if c.cell_type == "code"], folder


def _html(cell) -> str:
    for output in cell.outputs:
        data = output.get("data", {})
        if "text/html" in data:
            return data["text/html"]
    return ""


def _cell(cells, text):
    return next(c for c in cells if text in c.source)


def test_every_cell_runs_without_error(executed):
    cells, _ = executed
    for cell in cells:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, (cell.source, errors)


def test_inputs_display_as_a_summary_not_a_dump(executed):
    html = _html(_cell(executed[0], "inputs = redeploy.build_inputs"))
    assert "redeploy model inputs" in html and "<table>" in html
    assert len(html) < 5_000  # the dataclass repr was 44 KB


def test_a_result_displays_as_a_table(executed):
    html = _html(_cell(executed[0], "result = redeploy.solve_allocation"))
    assert "redeploy allocation" in html
    assert "<caption>objective ($bn-eq/yr)</caption>" in html
    assert "<td>Southeast Asia</td>" in html


def test_the_map_and_explore_display_inline(executed):
    cells, _ = executed
    assert "leaflet" in _html(_cell(cells, "output.map()")).lower()
    assert "leaflet" in _html(_cell(cells, ".explore(")).lower()


def test_own_features_and_briefing_files(executed):
    cells, folder = executed
    own = _cell(cells, "layer_additions=")
    text = "".join(o.get("text", "") for o in own.outputs)
    assert "baseline_with_my_ports" in text and "port_durban" in text and "swapped" in text
    assert (folder / "briefing" / "baseline.xlsx").is_file()
    assert (folder / "briefing" / "baseline-summary.json").is_file()


def test_reprs_are_short_and_load_no_renderer():
    code = (
        "import sys\n"
        "from redeploy.workflows.run import run_scenario\n"
        "out = run_scenario(out_dir=None)\n"
        "texts = [repr(out.result), repr(out.inputs), out.result._repr_html_(),\n"
        "         out.inputs._repr_html_()]\n"
        "assert all(len(t) < 5000 for t in texts), [len(t) for t in texts]\n"
        "assert repr(out.result).startswith(\"AllocationResult(scenario='baseline'\")\n"
        "bad = [m for m in ('folium', 'branca', 'redeploy.render') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_result_html_escapes_text():
    from redeploy.model.summary_html import result_html
    from tests.conftest import load_data_module

    fixtures = load_data_module("export/fixtures.py", "export_fixtures")
    import dataclasses

    result = dataclasses.replace(fixtures.make_result(), scenario="<b>x</b>")
    html = result_html(result)
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert HOME_ID not in html
