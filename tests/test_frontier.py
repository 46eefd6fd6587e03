"""The value-risk frontier: grid, monotonicity, warm re-solves, dominance, CSV/PNG/HTML, CLI."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from redeploy.cli import app
from redeploy.io.text import csv_text
from redeploy.layers import read_layers
from redeploy.model.allocation import solve_allocation
from redeploy.model.frontier import (
    DEFAULT_POINTS,
    channel_rates,
    dominated,
    lambda_grid,
    lambda_top,
    trace_frontier,
    unweighted_risk,
)
from redeploy.render.chart import plot_frontier
from redeploy.render.frontier import build_frontier_map
from redeploy.render.maps import render_html
from redeploy.schemas import RISK_CHANNELS
from redeploy.workflows.run import run_scenario
from tests.conftest import require_browser


@pytest.fixture(scope="module")
def baseline():
    return run_scenario("baseline", out_dir=None)


@pytest.fixture(scope="module")
def frontier(baseline):
    return trace_frontier(baseline.inputs, points=9)


def test_grid_is_zero_then_geometric(baseline):
    grid = lambda_grid(baseline.inputs, 9)
    assert grid[0] == 0 and len(grid) == 9
    ratios = grid[2:] / grid[1:-1]
    np.testing.assert_allclose(ratios, ratios[0])
    assert grid[-1] == lambda_top(baseline.inputs)
    assert grid[1] == pytest.approx(grid[-1] / 1000)
    np.testing.assert_array_equal(grid, lambda_grid(baseline.inputs, 9))
    assert len(lambda_grid(baseline.inputs)) == DEFAULT_POINTS
    with pytest.raises(ValueError, match="at least 2"):
        lambda_grid(baseline.inputs, 1)


def test_nothing_pays_above_the_top(baseline, frontier):
    inp = baseline.inputs
    top = lambda_top(inp)
    f, z, a = inp.flow_front, inp.flow_zone, inp.flow_asset
    # a flow's first unit earns the zone's steepest segment (home: its value)
    best = np.where(z == inp.home_zone, inp.value[z, a], inp.seg_value.max(axis=2)[z, a])
    rho = channel_rates(inp, None)
    margin = best - inp.flow_transit_cost - top * rho
    priced = (f != inp.home_front) & (inp.freed[f, a] > 0) & (rho > 0)
    assert priced.any() and (margin[priced] <= 0).all()
    # at the top only the scenario's floors are served: Central America 0.5 kpe, and
    # South America's 0.1 $bn/yr of engagement, bought by converting forces
    last = frontier.table.iloc[-1]
    assert last["released_kpe"] == pytest.approx(0.5)
    # what is converted at the top only buys the South America floor ($0.1bn/yr)
    cheapest = inp.us_unit_cost[inp.military].min()
    assert last["converted_kpe"] <= 0.1 / cheapest + 1e-9


def test_more_risk_accepted_never_lowers_the_value(frontier):
    t = frontier.table.sort_values("lambda", ascending=False)
    assert np.all(np.diff(t["risk"]) >= -1e-9)
    assert np.all(np.diff(t["net_value"]) >= -1e-9)
    assert not t["dominated"].any()
    assert t["risk"].iloc[-1] > t["risk"].iloc[0]  # the frontier is not a single point


def test_warm_resolves_equal_cold_solves(baseline, frontier):
    import dataclasses

    for row, res in list(zip(frontier.table.to_dict("records"), frontier.results, strict=True))[
        ::3
    ]:
        inp = dataclasses.replace(baseline.inputs, risk_lambda=row["lambda"])
        cold = solve_allocation(inp)
        assert res.objective["total"] == pytest.approx(cold.objective["total"], abs=1e-9)
        assert row["risk"] == pytest.approx(unweighted_risk(inp, res))
    assert frontier.scenario_result.objective["total"] == pytest.approx(
        baseline.result.objective["total"], abs=1e-9
    )


@pytest.mark.parametrize("channel", RISK_CHANNELS)
def test_every_channel_has_a_frontier_on_the_shipped_data(baseline, channel):
    """Sweeping one channel's weight (the others at the scenario's values) never raises
    that channel's unweighted cost, and never names backlash or trade as binding."""
    fr = trace_frontier(baseline.inputs, points=4, channel=channel)
    assert fr.channel == channel
    t = fr.table.sort_values("lambda")
    assert np.all(np.diff(t["risk"]) <= 1e-9)
    assert not set(t["top_channel"]) & {"backlash", "trade"}
    assert t["lambda"].iloc[-1] == lambda_top(baseline.inputs, channel)


def test_frontier_channel_option_names_its_files(tmp_path, runner):
    res = runner.invoke(
        app, ["frontier", "--channel", "opportunism", "-n", "3", "--out", str(tmp_path), "-q"]
    )
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".redeploy",  # the lock and the set's manifest
        *(f"baseline-frontier-opportunism.{k}" for k in ("csv", "html", "png")),
    ]
    from redeploy.io import check_sets

    [published] = check_sets(tmp_path)  # the three files are one set
    assert published.name == "baseline-frontier-opportunism" and published.ok
    bad = runner.invoke(app, ["frontier", "--channel", "oportunism", "--out", str(tmp_path)])
    assert bad.exit_code == 2
    assert "Did you mean 'opportunism'?" in bad.output


def test_dominated():
    # b dominates a (more value, same risk); c and d are on the frontier; e equals d
    value = [1.0, 2.0, 3.0, 0.5, 0.5]
    risk = [1.0, 1.0, 2.0, 0.1, 0.1]
    assert dominated(value, risk).tolist() == [True, False, False, False, False]


def test_csv_columns_and_determinism(frontier):
    text = csv_text(frontier.table)
    assert text == csv_text(frontier.table)
    head = text.splitlines()[0].split(",")
    assert head[: 13 + len(RISK_CHANNELS)] == [
        "point",
        "lambda",
        "value",
        "transit_cost",
        "net_value",
        "risk",
        "total",
        "released_kpe",
        "converted_kpe",
        "to_home_kpe",
        "released_engagement_bn",
        "dominated",
        "top_channel",
        *(f"risk_{c}" for c in RISK_CHANNELS),
    ]
    assert "southeast_asia_kpe" in head and "africa_engagement_bn" in head
    back = pd.read_csv(pd.io.common.StringIO(text))
    assert len(back) == 9 and back["lambda"].is_monotonic_increasing


def test_png(frontier, tmp_path):
    path = plot_frontier(frontier, tmp_path / "f.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert plot_frontier(frontier, tmp_path / "g.png").read_bytes() == data


def test_html_points_switch_the_map_and_are_deterministic(frontier):
    layers = read_layers(None)
    html = render_html(build_frontier_map(layers, frontier))
    assert html == render_html(build_frontier_map(layers, frontier))
    keys = re.findall(r'class="rdf-pt" data-k="([^"]+)"', html)
    assert keys == [str(i) for i in range(9)] + ["s"]
    assert html.count('class="rdf-detail"') == 10
    assert "RDF = { show: show }" in html
    data = json.loads(re.search(r"var D = (\{.*?\});\n", html).group(1))
    assert set(data["points"]) == {*(str(i) for i in range(9)), "s"}
    # the top λ allocates least, λ = 0 most
    assert len(data["points"]["0"]["f"]) > len(data["points"]["8"]["f"])
    assert 'src="http' not in html and "<link" not in html


def test_html_escapes_text(baseline, tmp_path):
    path = tmp_path / "xss.toml"
    path.write_text(
        'extends = "baseline"\ndescription = "<img src=x onerror=alert(1)>"\n', encoding="utf-8"
    )
    out = run_scenario(path, out_dir=None)
    fr = trace_frontier(out.inputs, points=3)
    html = render_html(build_frontier_map(read_layers(None), fr))
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_cli_frontier(runner, tmp_path):
    result = runner.invoke(app, ["frontier", "--points", "5", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for suffix in ("csv", "png", "html"):
        assert (tmp_path / f"baseline-frontier.{suffix}").is_file()
    assert "scenario's own λ = 1" in result.output
    text = (tmp_path / "baseline-frontier.csv").read_text(encoding="utf-8")
    assert len(text.splitlines()) == 6
    bad = runner.invoke(app, ["frontier", "--points", "1", "--out", str(tmp_path)])
    assert bad.exit_code == 2


@pytest.mark.browser
def test_clicking_a_point_switches_the_map(frontier, tmp_path):
    """In headless Chromium: no console errors, a click shows that point's flows and table."""
    from redeploy.render.frontier import write_frontier_map
    from redeploy.render.png import chromium_driver, open_map

    require_browser()
    path = write_frontier_map(read_layers(None), frontier, tmp_path / "f.html")
    with chromium_driver(width=1600, height=900, logging=True) as page:
        open_map(page, path)
        bad = [e for e in page.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert not bad, bad

        def state():
            return page.execute_script(
                "var fl = Object.values(document.querySelectorAll('path.leaflet-interactive'));"
                "return [document.documentElement.getAttribute('data-rdf-point'),"
                " document.querySelectorAll('.rdf-detail:not([hidden])').length,"
                " document.querySelector('.rdf-detail:not([hidden]) .rd-h3').textContent,"
                " fl.length];"
            )

        first = state()
        assert first[0] == "s" and first[1] == 1 and "own λ = 1" in first[2]
        for key in ("0", "8"):
            page.execute_script(
                f"document.querySelector('.rdf-pt[data-k=\"{key}\"]')"
                ".dispatchEvent(new MouseEvent('click', {bubbles: true}));"
            )
            now = state()
            assert now[0] == key and now[1] == 1
            assert now[2].startswith("λ = ")
        # λ = 0 draws more flows than the top λ; the page drew fewer paths after the last click
        page.execute_script("RDF.show('0');")
        zero_paths = state()[3]
        page.execute_script("RDF.show('8');")
        assert state()[3] < zero_paths
