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
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import pytest

from redeploy.cli import app

MODEL_DATA = Path(__file__).resolve().parent / "data" / "model"
#: A basemap of a few polygons: maps drawn over it take a fraction of the shipped one's time.
TINY_BASEMAP = Path(__file__).resolve().parent / "data" / "layers" / "basemap.geojson"
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
    layers = ["--layers", str(MODEL_DATA), "--layer", f"basemap={TINY_BASEMAP}"]
    return ["run", *layers, "-s", str(SMALL), "-q", "--out", str(out), *extra]


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


# ----------------------------------------------------------------------- disk full


def changed_small(tmp_path: Path) -> Path:
    """small.toml with other figures and the same name, so the same output files."""
    text = SMALL.read_text(encoding="utf-8").replace(
        "defense_pct_gdp = 3.0", "defense_pct_gdp = 4.0"
    )
    path = tmp_path / "changed.toml"
    path.write_text('name = "small"\n' + text, encoding="utf-8")
    return path


def xss(where: str) -> str:
    """A payload that runs script if a page ever shows it as HTML; `where` names the field."""
    return f"<script>alert('{where}')</script><img src=x onerror=alert('{where}')>"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> SimpleNamespace:
    """The model fixtures with a script in every text field of every layer and in the
    scenario's description and assumptions (ids, codes and enums cannot hold one)."""
    from redeploy.schemas import SCHEMAS

    folder = tmp_path_factory.mktemp("hostile")
    shipped = Path(__file__).resolve().parent.parent / "geodata"
    for kind in ("fronts", "chokepoints", "mineral_zones", "supply_nodes", "peripheral_zones"):
        data = geojson(kind)
        if kind == "peripheral_zones":  # and a tiny basemap, whose names hold one too
            base = json.loads(TINY_BASEMAP.read_text(encoding="utf-8"))
            for feature in base["features"]:
                feature["properties"]["name"] = xss("basemap.name")
            (folder / "basemap.geojson").write_text(json.dumps(base), encoding="utf-8")
        text = [c for c, spec in SCHEMAS[kind].columns.items() if spec.dtype in ("str", "str_list")]
        for feature in data["features"]:
            feature["properties"].update({c: xss(f"{kind}.{c}") for c in text})
        (folder / f"{kind}.geojson").write_text(json.dumps(data), encoding="utf-8")
    for kind in ("sites", "posture"):  # the model fixtures have none: the shipped ones
        data = json.loads((shipped / f"{kind}.geojson").read_text(encoding="utf-8"))
        text = [c for c, spec in SCHEMAS[kind].columns.items() if spec.dtype == "str"]
        for feature in data["features"]:
            feature["properties"].update({c: xss(f"{kind}.{c}") for c in text})
        (folder / f"{kind}.geojson").write_text(json.dumps(data), encoding="utf-8")
    scenario = folder / "small.toml"
    scenario.write_text(
        f'extends = {json.dumps(str(SMALL))}\ndescription = "{xss("description")}"\n'
        f'assumptions = ["{xss("assumption")}"]\n',
        encoding="utf-8",
    )
    return SimpleNamespace(layers=folder, scenario=scenario)


@pytest.fixture(scope="module")
def earlier(tmp_path_factory, hostile) -> Path:
    """A complete earlier run (map, tables, summary) of the hostile data, to copy and try
    to spoil."""
    from typer.testing import CliRunner

    out = tmp_path_factory.mktemp("earlier") / "out"
    args = ["run", "--layers", hostile.layers, "-s", hostile.scenario, "-q", "--out", out]
    assert CliRunner().invoke(app, [*map(str, args), "--format", "csv"]).exit_code == 0
    return out


def earlier_copy(earlier: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(earlier, tmp_path / "out"))


@pytest.mark.parametrize("where", ["gpkg", "html"])
def test_a_full_disk_names_the_target_says_so_and_keeps_earlier_outputs(
    runner, tmp_path, monkeypatch, earlier, where
):
    import errno

    import pyogrio

    out = earlier_copy(earlier, tmp_path)
    before = snapshot(out)
    real_text = Path.write_text

    def full_gpkg(frame, path, *args, **kwargs):
        raise pyogrio.errors.DataSourceError(f"{path}: database or disk is full")

    def full_html(self, *args, **kwargs):
        if self.suffix == ".html":
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_text(self, *args, **kwargs)

    if where == "gpkg":
        monkeypatch.setattr(pyogrio, "write_dataframe", full_gpkg)
    else:
        monkeypatch.setattr(Path, "write_text", full_html)
    formats = "gpkg" if where == "gpkg" else "csv"  # the map is always written
    result = invoke(runner, *run_args(out, "-s", changed_small(tmp_path), "--format", formats))
    target = out / f"small.{where}"
    message = refused(result, f"{target}: could not write the file: the disk is full")
    assert ".redeploy-stage" not in message and ".tmp" not in message
    assert snapshot(out) == before


def test_a_vague_write_error_on_a_nearly_full_disk_says_the_disk_is_nearly_full(
    tmp_path, monkeypatch
):
    import shutil

    from redeploy.errors import OutputError
    from redeploy.io.atomic import atomic_path

    # GDAL says only "Failed to commit transaction" when SQLite lacks room for its journal
    usage = shutil._ntuple_diskusage(10**9, 10**9 - 300_000, 300_000)
    monkeypatch.setattr("redeploy.io.atomic.shutil.disk_usage", lambda _path: usage)
    target = tmp_path / "small.gpkg"
    with pytest.raises(OutputError) as err, atomic_path(target, catch=(RuntimeError,)) as tmp:
        raise RuntimeError(f"{tmp}: Failed to commit transaction")
    assert str(err.value).startswith(f"{target}: could not write the file: the disk is nearly")
    assert "0.3 MB free" in str(err.value) and ".tmp" not in str(err.value)


# -------------------------------------------------------------------------- sweeps

UNCERTAIN = f"""\
name = "small-uncertain"
extends = "{SMALL}"
description = "{xss("sweep description")}"
[uncertain]
"fronts.alpha.defense_pct_gdp" = {{dist = "uniform", low = 2.6, high = 3.6}}
"model.decay_km" = {{dist = "triangular", low = 200, mode = 500, high = 1500}}
"""


@pytest.fixture(scope="module")
def threads():
    """A Dask cluster of threads in this process: quick to start for the sweep cases."""
    from redeploy.workflows.cluster import sweep_client

    with sweep_client(2, processes=False) as client:
        yield client


@pytest.fixture(scope="module")
def earlier_sweep(tmp_path_factory, threads, hostile):
    """A complete sweep of 32 samples of the hostile data: parquet, summary and map."""
    from redeploy.workflows.sweep import run_sweep

    folder = tmp_path_factory.mktemp("sweep")
    scenario = folder / "small-uncertain.toml"
    scenario.write_text(UNCERTAIN, encoding="utf-8")
    out = folder / "out"
    output = run_sweep(
        scenario,
        samples=32,
        batch_size=8,
        client=threads,
        layers_dir=hostile.layers,
        out_dir=out,
        progress=False,
    )
    assert sorted(output.files) == ["map", "parquet", "summary"]
    return scenario, out


def sweep_copy(earlier_sweep, tmp_path: Path) -> tuple[Path, Path]:
    import shutil

    scenario, out = earlier_sweep
    return scenario, Path(shutil.copytree(out, tmp_path / "out"))


def test_an_interrupted_sweep_leaves_the_earlier_sweep_whole(tmp_path, threads, earlier_sweep):
    from redeploy.workflows.sweep import SweepInterrupted, read_sweep, run_sweep

    scenario, out = sweep_copy(earlier_sweep, tmp_path)
    before = snapshot(out)

    def stop(done, total):
        if done >= 16:
            raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted) as info:
        run_sweep(
            scenario,
            samples=256,
            batch_size=8,
            client=threads,
            layers_dir=MODEL_DATA,
            out_dir=out,
            progress=False,
            on_batch=stop,
        )
    partial = out / "small-uncertain-sweep-partial.parquet"
    assert info.value.output.files["parquet"] == partial
    assert snapshot(out) == {**before, partial.name: partial.read_bytes()}
    table, meta = read_sweep(partial)
    assert 16 <= len(table) == meta["completed"] < 256 and meta["samples"] == 256
    assert len(read_sweep(out / "small-uncertain-sweep.parquet")[0]) == 32


def test_a_sweep_that_loses_its_workers_says_so_and_keeps_its_samples(
    runner, tmp_path, threads, earlier_sweep, monkeypatch
):
    from distributed import KilledWorker

    from redeploy.model.sweep import run_batch
    from redeploy.workflows.sweep import read_sweep

    scenario, out = sweep_copy(earlier_sweep, tmp_path)
    before = snapshot(out)

    def dying(plan, start, stop, *args):
        # what Dask raises for a batch once the workers running it have died
        if start >= 16:
            worker = SimpleNamespace(address="tcp://127.0.0.1:1")
            raise KilledWorker(f"batch {start}", worker, allowed_failures=3)
        return run_batch(plan, start, stop, *args)

    monkeypatch.setattr("redeploy.workflows.samples.run_batch", dying)
    monkeypatch.setattr(
        "redeploy.workflows.samples.sweep_client", lambda *a, **k: contextlib_nullcontext(threads)
    )
    args = ["sweep", "-s", scenario, "--layers", MODEL_DATA, "-n", 64, "--batch-size", 8]
    message = refused(
        invoke(runner, *args, "--out", out, "-q"),
        "the sweep lost its Dask workers after 16 of 64 samples (KilledWorker",
        "small-uncertain-sweep-partial.parquet",
    )
    assert "Traceback" not in message
    partial = out / "small-uncertain-sweep-partial.parquet"
    assert snapshot(out) == {**before, partial.name: partial.read_bytes()}
    assert list(read_sweep(partial)[0]["sample"]) == list(range(16))


def contextlib_nullcontext(value):
    import contextlib

    return contextlib.nullcontext(value)


def test_a_parts_folder_that_is_a_symlink_is_refused_not_followed(runner, tmp_path, earlier_sweep):
    scenario, out = sweep_copy(earlier_sweep, tmp_path)
    elsewhere = tmp_path / "precious"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    (out / "small-uncertain-sweep.parts").symlink_to(elsewhere)
    before = snapshot(out)
    args = ["sweep", "-s", scenario, "--layers", MODEL_DATA, "-n", 8, "-w", 1, "--out", out]
    refused(
        invoke(runner, *args),
        "small-uncertain-sweep.parts: is a symbolic link",
        "never follows a link",
    )
    assert (elsewhere / "keep.txt").read_text() == "mine"
    assert snapshot(out) == before


# ------------------------------------------------------------ a missing or broken browser


def test_png_without_a_working_browser_exits_2_and_writes_the_rest(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("REDEPLOY_CHROMEDRIVER", "/bin/false")  # a driver that exits at once
    out = tmp_path / "out"
    refused(
        invoke(runner, *run_args(out, "--format", "csv", "--png")),
        f"{out / 'small.png'}: not written: headless Chromium did not start",
        "driver /bin/false",
        "REDEPLOY_CHROMIUM and REDEPLOY_CHROMEDRIVER",
        "apt-get install chromium chromium-driver",
        f"the map and tables were written to {out}",
    )
    assert {"small.html", "small-flows.csv", "small-summary.json"} <= set(snapshot(out))
    assert not (out / "small.png").exists()


def test_png_without_selenium_exits_2_and_writes_the_rest(runner, tmp_path, monkeypatch):
    """selenium is a test extra, not a runtime dependency: `--png` without it is refused."""
    from tests.conftest import require_browser

    require_browser()
    monkeypatch.setitem(__import__("sys").modules, "selenium", None)  # import fails
    out = tmp_path / "out"
    refused(
        invoke(runner, *run_args(out, "--format", "csv", "--png")),
        "PNG export needs selenium: pip install selenium",
        f"the map and tables were written to {out}",
    )
    assert {"small.html", "small-flows.csv", "small-summary.json"} <= set(snapshot(out))
    assert not (out / "small.png").exists()


@pytest.mark.parametrize("driver", ["hangs", "missing"])
def test_a_browser_that_hangs_or_is_missing_is_named_in_time(tmp_path, monkeypatch, driver):
    from redeploy.render.png import BrowserError, chromium_driver

    fake = tmp_path / "fake-chromedriver"
    fake.write_text("#!/bin/sh\nsleep 60\n")
    fake.chmod(0o755)
    path = str(fake if driver == "hangs" else tmp_path / "nowhere")
    monkeypatch.setenv("REDEPLOY_CHROMEDRIVER", path)
    monkeypatch.setattr("redeploy.render.png.START_SECONDS", 1.0)

    def start() -> None:
        with chromium_driver():
            pass

    with pytest.raises(BrowserError) as err:
        within(DEADLINE, start)
    needle = "no answer within 1 s" if driver == "hangs" else "is not an executable file"
    assert path in str(err.value) and needle in str(err.value)
    assert "REDEPLOY_CHROMIUM and REDEPLOY_CHROMEDRIVER" in str(err.value)


# ------------------------------------------------------------- text from files on a terminal

#: Retitle the terminal, hide text, clear the screen, reverse the line, overwrite it.
ESCAPES = "\x1b]0;PWNED\x07 \x1b[8mhidden\x1b[0m \x1b[2J \u202egnp.exe \rover \x9b31m"


def steering(text: str) -> list[str]:
    """The characters of `text` that can steer a terminal (newlines and tabs aside)."""
    return [
        c
        for c in text
        if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E
    ]


def test_scenarios_show_prints_no_control_character(runner, tmp_path):
    path = tmp_path / "evil.toml"
    text = json.dumps(ESCAPES)  # a TOML basic string is a JSON string
    path.write_text(
        f"extends = {json.dumps(str(SMALL))}\ndescription = {text}\nassumptions = [{text}]\n",
        encoding="utf-8",
    )
    result = invoke(runner, "scenarios", "show", path)
    assert result.exit_code == 0, result.output
    assert not steering(result.output), steering(result.output)
    assert "\\x1b]0;PWNED\\x07" in result.output and "\\u202egnp.exe" in result.output
    assert "[8mhidden" in result.output  # shown, escaped: nothing is hidden


def test_paths_and_names_with_escapes_or_markup_are_shown_as_text(runner, tmp_path):
    bad = tmp_path / "chokepoints\x1b]0;x\x07.geojson"
    bad.write_text("{}", encoding="utf-8")
    result = invoke(runner, "layers", "validate", bad, "--kind", "chokepoints")
    assert result.exit_code == 2 and not steering(result.output), result.output
    assert "chokepoints\\x1b]0;x\\x07.geojson" in result.stderr
    # rich markup in a path would style the text or end in a MarkupError
    folder = tmp_path / "[/bold][red]in\x1b[31m"
    folder.mkdir(parents=True)
    layer = folder / "chokepoints.geojson"
    layer.write_bytes((MODEL_DATA / "chokepoints.geojson").read_bytes())
    result = invoke(runner, "layers", "validate", layer)
    assert result.exit_code == 0 and not steering(result.output), result.output
    assert "[/bold][red]in\\x1b[31m/chokepoints.geojson" in result.stdout.replace("\n", "")


def test_an_empty_scenario_name_is_refused_as_empty(runner, tmp_path):
    result = invoke(runner, "run", "--layers", MODEL_DATA, "--scenario", "", "--out", tmp_path)
    message = refused(result, "the scenario name is empty ('')", "baseline")
    assert "is a directory" not in message


# ------------------------------------------------ pages, kills, Ctrl-C and determinism


def test_no_page_runs_a_script_from_a_file(runner, tmp_path, hostile, earlier, earlier_sweep):
    other = tmp_path / "other.toml"
    other.write_text(
        f"extends = {json.dumps(str(hostile.scenario))}\n[fronts.alpha]\ndefense_pct_gdp = 4.5\n"
    )
    out = tmp_path / "out"
    common = ["--layers", hostile.layers, "--out", out, "-q"]
    assert invoke(runner, "compare", hostile.scenario, other, *common).exit_code == 0
    args = ["frontier", "-s", hostile.scenario, "--points", 2]
    assert invoke(runner, *args, *common).exit_code == 0
    pages = {
        "run": earlier / "small.html",
        "compare": out / "small-vs-other.html",
        "frontier": out / "small-frontier.html",
        "sweep": earlier_sweep[1] / "small-uncertain-sweep.html",
    }
    for kind, page in pages.items():
        html = page.read_text(encoding="utf-8")
        assert "onerror=alert(" in html, kind  # the payloads reached the page ...
        assert "<script>alert(" not in html, kind  # ... and stay text
        assert "<img src=x onerror" not in html, kind
    shown = pages["run"].read_text(encoding="utf-8")
    fields = ("fronts.name", "fronts.source", "peripheral_zones.name", "sites.name", "description")
    for field in fields:  # as HTML text, in a script, or in the JSON text a script reads
        forms = (f"alert(&#x27;{field}&#x27;)", f"alert('{field}')", f"alert(\\'{field}\\')")
        assert any(form in shown for form in forms), field


def test_the_same_hostile_inputs_give_the_same_bytes(runner, tmp_path, hostile, earlier):
    out = tmp_path / "again"
    args = ["run", "--layers", hostile.layers, "-s", hostile.scenario, "-q", "--out", out]
    assert invoke(runner, *args, "--format", "csv").exit_code == 0
    assert len(snapshot(out)) == 7 and snapshot(out) == snapshot(earlier)


def writing(out: Path) -> bool:
    """Whether a run has begun writing into `out` (its staging folder is there)."""
    return any(p.name.startswith(".redeploy-stage-") for p in out.iterdir())


def test_kill_9_and_ctrl_c_at_any_moment_leave_earlier_outputs_whole(tmp_path, hostile, earlier):
    """Runs of other figures over copies of an earlier run, started together and stopped
    at several moments: SIGKILL while loading and as writing begins; SIGINT
    as writing begins. Every file left is whole: the earlier one or the new one."""
    import shutil
    import signal
    import subprocess
    import sys
    import time

    from typer.testing import CliRunner

    changed = tmp_path / "small.toml"
    changed.write_text(
        hostile.scenario.read_text(encoding="utf-8") + "[fronts.bravo]\nhns_usd_bn = 3.0\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    # (signal, seconds after start, or after writing began when the second is None)
    when = {
        "kill-loading": (signal.SIGKILL, 0.5, None),
        "kill-writing": (signal.SIGKILL, None, 0.05),
        "int-writing": (signal.SIGINT, None, 0.05),
    }
    procs, began = {}, {}
    for label in when:
        out = Path(shutil.copytree(earlier, tmp_path / label))
        args = ["run", "--layers", hostile.layers, "-s", changed, "-q", "--out", out]
        cmd = [sys.executable, "-m", "redeploy", *map(str, args), "--format", "csv"]
        procs[label] = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    start, pending = time.monotonic(), set(when)
    while pending and time.monotonic() < start + 2 * DEADLINE:  # a busy machine is slow
        now = time.monotonic()
        for label in sorted(pending):
            sig, after_start, after_writing = when[label]
            if label not in began and after_writing is not None and writing(tmp_path / label):
                began[label] = now
            due = (after_start is not None and now >= start + after_start) or (
                label in began and now >= began[label] + after_writing
            )
            if due or procs[label].poll() is not None:
                if procs[label].poll() is None:
                    procs[label].send_signal(sig)
                pending.discard(label)
        time.sleep(0.01)
    assert not pending, f"no moment reached for {pending}"
    old, new = snapshot(earlier), {}
    for label, proc in procs.items():
        _, err = proc.communicate(timeout=DEADLINE)
        assert "Traceback" not in err, (label, err)
        if label.startswith("int"):
            assert proc.returncode == 130, (label, proc.returncode, err)
        files = snapshot(tmp_path / label)
        changed_files = {name for name in files if files[name] != old.get(name)}
        if changed_files and not new:  # a signal that came as the files were moved in
            out = tmp_path / "reference"
            args = ["run", "--layers", hostile.layers, "-s", changed, "-q", "--out", out]
            args += ["--format", "csv"]
            assert CliRunner().invoke(app, [str(a) for a in args]).exit_code == 0
            new = snapshot(out)
        assert all(files[name] == new[name] for name in changed_files), label
        assert set(files) == set(old), label
    assert set(began) == {"kill-writing", "int-writing"}


def test_ctrl_c_while_the_cli_loads_exits_130_quietly(monkeypatch, capsys):
    import signal
    import sys
    import time
    import types

    import redeploy.__main__ as entry

    class Loading(types.ModuleType):
        def __getattr__(self, name: str) -> Any:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the CLI's modules load
            time.sleep(5)
            raise AssertionError("Ctrl-C did not end the loading")

    before = signal.getsignal(signal.SIGINT)
    monkeypatch.setitem(sys.modules, "redeploy.cli", Loading("redeploy.cli"))
    with pytest.raises(SystemExit) as stop:
        entry.main()
    assert stop.value.code == 130
    assert capsys.readouterr().err == "interrupted: nothing was done.\n"
    assert signal.getsignal(signal.SIGINT) is before


# ------------------------------------------------------------------ too large for memory


def test_a_layer_too_large_for_memory_is_refused_before_allocating(runner, tmp_path, monkeypatch):
    data = geojson("supply_nodes")
    first = data["features"][0]
    data["features"] = [
        {**first, "properties": {**first["properties"], "id": f"n{i}"}} for i in range(2000)
    ]
    path = tmp_path / "supply_nodes.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")

    def allocated(*_args, **_kwargs):
        raise AssertionError("the pairs of the 2,000 nodes were computed")

    # this machine as if it had 10 kB free: the check must stop the run before the pairs
    monkeypatch.setattr("redeploy.model.memory.available_bytes", lambda: 10_000)
    monkeypatch.setattr("redeploy.model.value.pairs_within", allocated)
    out = tmp_path / "out"
    refused(
        invoke(runner, *run_args(out, "--layer", f"supply_nodes={path}")),
        "the 2,000 features of layer 'supply_nodes'",
        "GB of memory, more than the 0.0 GB this machine has available",
        "use fewer supply_nodes features",
    )
    assert not out.exists()


def test_a_memory_error_anywhere_ends_in_a_message_not_a_traceback(runner, tmp_path, monkeypatch):
    def exhausted(*_args, **_kwargs):
        raise MemoryError

    monkeypatch.setattr("redeploy.workflows.run.solve_allocation", exhausted)
    refused(invoke(runner, *run_args(tmp_path / "out")), "error: not enough memory")


def test_a_json_boolean_is_found_whatever_the_file_spells(tmp_path):
    # The file is parsed only when it may hold a true or false under a name looked for;
    # a name spelled with escapes is looked for by parsing.
    from redeploy.io.sources import json_boolean_properties

    def found(props: str, names: set[str] | None) -> dict[str, set[int]]:
        path = tmp_path / "layer.geojson"
        path.write_text(
            '{"type": "FeatureCollection", "features": [{"type": "Feature", '
            f'"properties": {props}, "geometry": null}}]}}'
        )
        return json_boolean_properties(path, names)

    assert found('{"us_naval" :\n false, "notes": "x: true"}', {"us_naval"}) == {"us_naval": {0}}
    assert found('{"\\u0075s_naval": true}', {"us_naval"}) == {"us_naval": {0}}
    assert found('{"us_naval": 1, "notes": "\\"us_naval\\": true"}', {"us_naval"}) == {}
    assert found('{"flag": true, "us_naval": 1}', {"us_naval"}) == {}
    assert found('{"flag": true, "us_naval": 1}', None) == {"flag": {0}}
