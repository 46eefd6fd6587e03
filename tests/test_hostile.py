"""Hostile input, tried as an attacker would: one case per class of docs/reliability.md.

Every case is generated from the small model fixtures (tests/data/model) into a temporary
folder. Each must end within its deadline with exit 2 (3 when infeasible, 130 on Ctrl-C),
a message naming the file or key, no traceback, and earlier outputs left as they were.
Cases that used to hang run in a daemon thread with a deadline, so a regression fails the
test instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest

from redeploy.cli import app

MODEL_DATA = Path(__file__).resolve().parent / "data" / "model"
SMALL = MODEL_DATA / "scenarios" / "small.toml"
#: Seconds a case that once hung may take before the test fails.
DEADLINE = 30.0


# ----------------------------------------------------------------------------- helpers


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """Return ``call()``, or fail when it takes longer than `seconds` (it once hung)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as err:  # re-raised in the test's thread
            box["error"] = err

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still running after {seconds:g} s (it must fail fast, not hang)")
    if "error" in box:
        raise box["error"]
    return box["value"]


def invoke(runner, *args: str, seconds: float = DEADLINE):
    """Run the CLI in-process within `seconds`."""
    return within(seconds, lambda: runner.invoke(app, [str(a) for a in args]))


def refused(result, *needles: str, code: int = 2) -> str:
    """Assert a clean refusal: the exit code, no traceback, every needle on stderr."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    return str(result.stderr)


def run_args(out: Path, *extra: str) -> list[str]:
    return ["run", "--layers", str(MODEL_DATA), "-s", str(SMALL), "-q", "--out", str(out), *extra]


def geojson(kind: str) -> dict[str, Any]:
    return json.loads((MODEL_DATA / f"{kind}.geojson").read_text(encoding="utf-8"))


def write_layer(folder: Path, kind: str, edit: Callable[[dict[str, Any]], None]) -> Path:
    """Write the model fixture's layer `kind` into `folder`, its first feature edited."""
    data = geojson(kind)
    edit(data["features"][0]["properties"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# ------------------------------------------------------------------- CRS off the Earth

ENGINEERING = (
    'ENGCRS["site grid",EDATUM["site"],CS[Cartesian,2],'
    'AXIS["x",east,ORDER[1],LENGTHUNIT["metre",1]],'
    'AXIS["y",north,ORDER[2],LENGTHUNIT["metre",1]]]'
)
BAD_CRS = {
    "planetary": ("IAU_2015:49900", "another celestial body (Mars vs Earth)"),
    "geocentric": ("EPSG:4978", "is geocentric"),
    "vertical": ("EPSG:5703", "is a vertical CRS"),
    "engineering": (ENGINEERING, "local engineering CRS"),
}


@pytest.mark.parametrize("case", sorted(BAD_CRS))
def test_a_crs_that_cannot_reach_wgs84_is_refused_by_name(runner, tmp_path, case):
    crs, needle = BAD_CRS[case]
    frame = gpd.read_file(MODEL_DATA / "chokepoints.geojson").set_crs(crs, allow_override=True)
    gpkg = tmp_path / "chokepoints.gpkg"
    frame.to_file(gpkg, layer="chokepoints", driver="GPKG")
    refused(invoke(runner, "layers", "validate", gpkg), str(gpkg), "the file's CRS", needle)
    # the same CRS given with --crs (to a CSV, which has none of its own) is refused first
    csv = tmp_path / "chokepoints.csv"
    csv.write_text(
        "id,name,source,source_year,confidence,littoral_iso3,region,importance,lon,lat\n"
        "malacca,Malacca,x,2024,estimate,MYS,Asia,1,101,2.5\n",
        encoding="utf-8",
    )
    refused(invoke(runner, "layers", "validate", csv, "--crs", crs), "--crs", needle)


# --------------------------------------------------------------- numbers without bound


@pytest.mark.parametrize(
    ("column", "allowed"),
    [
        ("us_naval", "a number from 0 to 10,000"),
        ("gdp_usd_bn", "a number from 0 to 200,000"),
        ("us_personnel", "an integer from 0 to 100,000,000"),
    ],
)
def test_a_huge_number_in_a_layer_is_refused(runner, tmp_path, column, allowed):
    path = write_layer(tmp_path, "fronts", lambda p: p.update({column: 1e308}))
    refused(
        invoke(runner, "layers", "validate", path),
        str(path),
        "feature id='alpha'",
        f"column {column!r}",
        f"must be {allowed}, got 1e+308",
    )


def test_a_json_boolean_in_a_number_column_is_refused(runner, tmp_path):
    # GDAL reads true among numbers as 1.0: only the file's JSON tells them apart
    path = write_layer(tmp_path, "fronts", lambda p: p.update({"us_naval": True}))
    refused(
        invoke(runner, "layers", "validate", path),
        "feature id='alpha'",
        "column 'us_naval'",
        "got true (a boolean, not a number)",
    )


def test_every_number_of_every_layer_and_scenario_is_bounded():
    from redeploy.scenario import scenario_json_schema
    from redeploy.scenario.distributions import DistributionTable
    from redeploy.schemas import SCHEMAS

    for schema in SCHEMAS.values():
        for name, spec in schema.columns.items():
            if spec.dtype in ("float", "int"):
                assert spec.minimum is not None and spec.maximum is not None, name

    def numbers(node: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
        out = []
        if isinstance(node, dict):
            if node.get("type") in ("number", "integer"):
                out.append((path, node))
            for key, value in node.items():
                out += numbers(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                out += numbers(value, f"{path}/{i}")
        return out

    found = numbers(scenario_json_schema(), "")
    assert len(found) > 80
    unbounded = [
        p
        for p, n in found
        if "maximum" not in n and "exclusiveMaximum" not in n and "const" not in n
    ]
    # a distribution's low, high, mode, mean and values must lie within the bounds of the
    # key it is drawn for (checked when the scenario is read)
    kinds = typing.get_args(typing.get_args(DistributionTable)[0])
    drawn = tuple(f"/$defs/{kind.__name__}/" for kind in kinds)
    assert unbounded and all(p.startswith(drawn) for p in unbounded), unbounded


def test_a_huge_number_in_a_scenario_is_refused(runner, tmp_path):
    path = tmp_path / "big.toml"
    path.write_text(f'extends = "{SMALL}"\n[fronts.alpha]\ngdp_usd_bn = 1e308\n')
    out = tmp_path / "out"
    refused(
        invoke(runner, "run", "--layers", MODEL_DATA, "-s", path, "-q", "--out", out),
        str(path),
        "'fronts.alpha.gdp_usd_bn' = 1e+308",
        "<= 200000",
    )
    assert not out.exists()


# ------------------------------------------------------- scenario files that blow up


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('description = "x"\nassumptions = ' + "[" * 5000 + "]" * 5000, "nested more than 32"),
        ('description = "x"\nmodel = ' + "{a = " * 500 + "1" + "}" * 500, "nested more than 32"),
        ('description = "x"\nhorizon_year = ' + "9" * 5000, "thousands of digits"),
        ('description = "x"\nhorizon_year = ' + "9" * 4000, "'horizon_year' = 999999999999..."),
        ('description = "' + "x" * 1_100_000 + '"', "more than the 1,000,000 bytes allowed"),
    ],
    ids=["arrays", "inline-tables", "5000-digits", "4000-digits", "big-file"],
)
def test_a_scenario_that_would_blow_the_parser_up_is_refused(runner, tmp_path, text, needle):
    path = tmp_path / "hostile.toml"
    path.write_text(text + "\n", encoding="utf-8")
    message = refused(invoke(runner, "scenarios", "show", path), str(path), needle)
    assert len(message) < 1000


def test_an_extends_chain_1000_files_deep_is_refused(runner, tmp_path):
    for i in range(1000):
        base = f'extends = "s{i + 1}.toml"\n' if i < 999 else ""
        (tmp_path / f"s{i}.toml").write_text(base + 'description = "x"\n', encoding="utf-8")
    refused(
        invoke(runner, "scenarios", "show", tmp_path / "s0.toml"),
        "key 'extends'",
        "more than 16 deep",
        "s0.toml -> s1.toml",
    )


def test_a_lattice_of_extends_is_read_once_per_file(tmp_path):
    # each level extends both files of the level below: 2^15 paths, 32 files
    from redeploy.scenario import load_scenario

    for level in range(15, -1, -1):
        for side in "ab":
            bases = [f"l{level + 1}{s}.toml" for s in "ab"] if level < 15 else []
            text = f"extends = {json.dumps(bases)}\n" if bases else ""
            text += f'description = "level {level}"\nassumptions = ["{level}{side}"]\n'
            (tmp_path / f"l{level}{side}.toml").write_text(text, encoding="utf-8")
    scenario = within(DEADLINE, lambda: load_scenario(tmp_path / "l0a.toml"))
    assert len(scenario.assumptions) == 31


# ------------------------------------------------------------------- special files


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_refused_not_read(runner, tmp_path):
    pipe = tmp_path / "chokepoints.geojson"
    os.mkfifo(pipe)
    refused(invoke(runner, "layers", "validate", pipe), str(pipe), "is a named pipe (FIFO)")
    out = tmp_path / "out"
    result = invoke(runner, *run_args(out, "--layer", f"chokepoints={pipe}"))
    refused(result, str(pipe), "is a named pipe")
    scenario = tmp_path / "scenario.toml"
    os.mkfifo(scenario)
    refused(invoke(runner, "scenarios", "show", scenario), str(scenario), "is a named pipe")
    refused(invoke(runner, "layers", "validate", "/dev/zero", "--kind", "fronts"), "device")


def recursive_view(path: Path) -> None:
    """A GeoPackage whose layer 'chokepoints' is a view that never ends."""
    frame = gpd.read_file(MODEL_DATA / "chokepoints.geojson")
    frame.to_file(path, layer="base", driver="GPKG")
    con = sqlite3.connect(path)
    columns = ", ".join(f"base.{c}" for c in frame.columns if c != "geometry")
    con.execute(
        "CREATE VIEW chokepoints AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL "
        f"SELECT n + 1 FROM r) SELECT base.fid + r.n * 1000 AS fid, base.geom, {columns} "
        "FROM base, r"
    )
    for table in ("gpkg_contents", "gpkg_geometry_columns"):
        cols = [row[1] for row in con.execute(f"PRAGMA table_info({table})")]
        picked = ", ".join(
            "'chokepoints'" if c in ("table_name", "identifier") else c for c in cols
        )
        con.execute(f"INSERT INTO {table} SELECT {picked} FROM {table} WHERE table_name='base'")
    con.commit()
    con.close()


def test_a_geopackage_view_that_never_ends_is_refused_in_time(runner, tmp_path, monkeypatch):
    monkeypatch.setattr("redeploy.io.sources.DATABASE_READ_SECONDS", 1.0)
    gpkg = tmp_path / "view.gpkg"
    recursive_view(gpkg)
    refused(
        invoke(runner, "layers", "validate", gpkg, "--kind", "chokepoints"),
        str(gpkg),
        "table 'chokepoints' could not be read within 1 s",
    )


# -------------------------------------------------- names GeoPackage outputs keep


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"fid": "abc"}, "'fid' is reserved"),
        ({"FID": 7}, "'FID' is reserved"),
        ({"geom": "x"}, "'geom' is reserved"),
        ({"ID": "x"}, "differs from 'id' only in case"),
        ({"note": 1, "NOTE": 2}, "differs from 'note' only in case"),
    ],
    ids=["fid", "FID", "geom", "ID", "note-NOTE"],
)
def test_a_column_the_geopackage_cannot_hold_is_refused_before_solving(
    runner, tmp_path, extra, needle
):
    layer = write_layer(tmp_path / "layers", "chokepoints", lambda p: p.update(extra))
    out = tmp_path / "out"
    result = invoke(runner, *run_args(out, "--layer", f"chokepoints={layer}"))
    message = refused(result, str(layer), needle)
    assert ".redeploy-stage" not in message
    assert not out.exists()
