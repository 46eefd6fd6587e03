"""Monte Carlo sweeps: sample inputs equal build_inputs, warm re-solves equal cold solves,
results independent of workers and batches, retries, dead workers, interrupts, outputs."""

from __future__ import annotations

import contextlib
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from redeploy.cli import app
from redeploy.errors import InfeasibleAllocationError, RedeployError
from redeploy.layers import read_layers
from redeploy.model.allocation import solve_allocation
from redeploy.model.inputs import build_inputs
from redeploy.model.sweep import (
    Fault,
    SampleSolver,
    prepare_sweep,
    run_batch,
    sample_arrays,
    sample_columns,
    sample_scenario,
    summarize,
)
from redeploy.scenario import load_scenario, sample_parameters
from redeploy.workflows.cluster import sweep_client
from redeploy.workflows.run import MODEL_LAYERS
from redeploy.workflows.sweep import (
    SweepInterrupted,
    default_batch_size,
    read_sweep,
    run_sweep,
    summary_csv,
)
from tests.conftest import require_browser

# Every kind of parameter the model reads: spending, support, threat, coefficients, zone
# overrides (absorb down to 0 closes flows), region floors and multipliers, conversion.
TINY = """\
name = "tiny-uncertain"
description = "Tiny <b>test</b> scenario & its uncertainty"
[fronts.korea]
defense_pct_gdp = 3.0
[fronts.poland]
defense_pct_gdp = 4.5
[regions.Africa]
floor = 0.1
[uncertain]
"fronts.korea.defense_pct_gdp" = {dist = "uniform", low = 2.6, high = 3.6}
"fronts.poland.hns_change_pct" = {dist = "triangular", low = 0, mode = 10, high = 50}
"fronts.korea.threat_level" = {dist = "choice", values = [3, 4, 5]}
"model.decay_km" = {dist = "triangular", low = 200, mode = 500, high = 1500}
"model.risk_lambda" = {dist = "truncnormal", mean = 1, sd = 1, low = 0, high = 4}
"model.conversion_cap" = {dist = "uniform", low = 0, high = 0.4}
"zones.ago.absorb.naval" = {dist = "uniform", low = 0, high = 2}
"zones.bra.us_influence" = {dist = "uniform", low = 0.3, high = 1}
"regions.Africa.floor" = {dist = "uniform", low = 0, high = 0.5}
"regions.Africa.absorb_multiplier" = {dist = "uniform", low = 0.5, high = 1.5}
"assets.air.transit_cost_bn_per_1000km" = {dist = "uniform", low = 0.001, high = 0.01}
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, layers_dir):
    path = tmp_path_factory.mktemp("tiny") / "tiny-uncertain.toml"
    path.write_text(TINY, encoding="utf-8")
    layers = read_layers(layers_dir, kinds=MODEL_LAYERS)
    scenario = load_scenario(path)
    plan = prepare_sweep(layers, scenario)
    return SimpleNamespace(
        path=path, layers=layers, layers_dir=layers_dir, plan=plan, scenario=scenario
    )


def _draws(plan, seed, indices):
    drawn = sample_parameters({p: (a, d) for p, a, d in plan.params}, seed, list(indices))
    return [{p: v[k] for p, v in drawn.items()} for k in range(len(indices))]


#: The `AllocationInputs` array fields a sample computes (the risk terms compared apart).
SAMPLE_FIELDS = (
    "baseline",
    "floor",
    "hard_floor",
    "freed",
    "extra_spending",
    "expected_spending",
    "conversion_cap",
    "value",
    "seg_length",
    "seg_value",
    "absorb",
    "existing",
)


def test_sample_inputs_equal_build_inputs(tiny):
    plan = tiny.plan
    for values in _draws(plan, 11, range(30)):
        sc = sample_scenario(plan, values)
        arrays = sample_arrays(plan, sc)
        mine = arrays.inputs(plan.inputs)
        ref = build_inputs(tiny.layers, sc)
        for name in SAMPLE_FIELDS:
            np.testing.assert_allclose(getattr(mine, name), getattr(ref, name), rtol=1e-12)
        for name, value in vars(ref.risk).items():
            np.testing.assert_allclose(getattr(mine.risk, name), value, rtol=1e-12)
        np.testing.assert_allclose(mine.risk_weights, ref.risk_weights, rtol=1e-12)
        assert mine.risk_lambda == ref.risk_lambda
        # the sweep's flows are a superset; those build_inputs creates are exactly the open ones
        inp = plan.inputs
        key = lambda f, z, a: (f * 1000 + z) * 10 + a  # noqa: E731
        all_flows = key(inp.flow_front, inp.flow_zone, inp.flow_asset)
        theirs = key(ref.flow_front, ref.flow_zone, ref.flow_asset)
        assert set(all_flows[arrays.flow_open].tolist()) == set(theirs.tolist())
        pos = {k: i for i, k in enumerate(all_flows.tolist())}
        idx = [pos[k] for k in theirs.tolist()]
        np.testing.assert_allclose(mine.flow_transit_cost[idx], ref.flow_transit_cost, rtol=1e-12)


def test_warm_resolves_equal_cold_solves(tiny):
    plan = tiny.plan
    warm, cold = SampleSolver(plan), SampleSolver(plan, warm=False)
    statuses = set()
    for values in _draws(plan, 3, range(40)):
        row = warm.solve(values)
        assert cold.solve(values)["status"] == row["status"]
        statuses.add(row["status"])
        sc = sample_scenario(plan, values)
        try:
            ref = solve_allocation(build_inputs(tiny.layers, sc))
        except InfeasibleAllocationError:
            assert row["status"] == "infeasible"
            continue
        assert row["status"] == "optimal"
        assert row["objective:total"] == pytest.approx(ref.objective["total"], abs=1e-9)
        assert row["objective:value"] - row["objective:transit_cost"] == pytest.approx(
            ref.objective["value"] - ref.objective["transit_cost"], abs=1e-7
        )
        by_region = sum(row[f"region:{r}:military_kpe"] for r in plan.inputs.regions)
        assert by_region == pytest.approx(sum(ref.totals["by_region"].values()), abs=1e-7)
    assert "optimal" in statuses


def test_shipped_baseline_uncertain_matches_cold_solves():
    layers = read_layers(None, kinds=MODEL_LAYERS)
    plan = prepare_sweep(layers, load_scenario("baseline-uncertain"))
    assert plan.keep.sum() < plan.inputs.n_flows  # the warm model holds fewer flows
    solver = SampleSolver(plan)
    hows = set()
    for values in _draws(plan, 0, range(4)):
        row = solver.solve(values)
        hows.add(row["solve"])
        ref = solve_allocation(build_inputs(layers, sample_scenario(plan, values)))
        assert row["objective:total"] == pytest.approx(ref.objective["total"], abs=1e-9)
    assert "warm" in hows


def test_a_sample_does_not_depend_on_its_batch(tiny):
    a = run_batch(tiny.plan, 0, 30, 9)
    b = run_batch(tiny.plan, 17, 30, 9)
    c = run_batch(tiny.plan, 29, 30, 9)
    pd.testing.assert_frame_equal(a.iloc[17:].reset_index(drop=True), b)
    pd.testing.assert_frame_equal(a.iloc[29:].reset_index(drop=True), c)
    assert list(a.columns) == sample_columns(tiny.plan)
    assert a["sample"].tolist() == list(range(30))


def _raw_bits(solver, arrays):
    try:
        raw, _, how = solver.solve_arrays(arrays)
    except InfeasibleAllocationError:
        return b"infeasible"
    return how.encode() + raw.x.tobytes() + raw.duals.tobytes() + np.int64(raw.iterations).tobytes()


def test_a_sample_does_not_depend_on_the_samples_solved_before(tiny):
    # Each sample reloads the LP and starts from the central basis: its columns, duals and
    # iteration count are the same bits whichever samples the solver saw before.
    plan = tiny.plan
    arrays = []
    for values in _draws(plan, 11, range(24)):
        try:
            arrays.append(sample_arrays(plan, sample_scenario(plan, values)))
        except RedeployError:  # an invalid draw: not solved
            continue
    alone = [_raw_bits(SampleSolver(plan), a) for a in arrays]
    order = list(range(len(arrays)))
    shuffled = np.random.default_rng(1).permutation(len(arrays)).tolist()
    for sequence in (order, order[::-1], shuffled, order + order):
        solver = SampleSolver(plan)
        for k in sequence:
            assert _raw_bits(solver, arrays[k]) == alone[k], k


def test_warm_model_optimum_is_the_optimum_on_every_flow(tiny):
    # The warm model holds the flows the probes use: a sample that could use a flow left
    # out is solved alone on its full structure; either way the optimum is the cold one.
    plan = tiny.plan
    solver, cold = SampleSolver(plan), SampleSolver(plan, warm=False)
    hows = []
    for values in _draws(plan, 1, range(100)):
        row, ref = solver.solve(values), cold.solve(values)
        assert row["status"] == ref["status"]
        if row["status"] != "optimal":
            continue
        hows.append(row["solve"])
        assert row["objective:total"] == pytest.approx(ref["objective:total"], abs=1e-9)
        for r in plan.inputs.regions:
            key = f"region:{r}:military_kpe"
            assert row[key] == pytest.approx(ref[key], abs=1e-7)
    assert "warm" in hows


def test_summary_table_and_csv():
    table = pd.DataFrame(
        {
            "sample": [0, 1, 2, 3],
            "status": ["optimal", "optimal", "optimal", "infeasible"],
            "param:model.decay_km": [400.0, 500.0, 600.0, 700.0],
            "objective:total": [1.0, 2.0, 3.0, np.nan],
            "zone:b:military_kpe": [0.0, 0.5, 1.0, np.nan],
            "zone:a:military_kpe": [0.0, 0.0, 1e-9, np.nan],
        }
    )
    summary = summarize(table)
    assert list(summary["kind"]) == ["objective", "zone", "zone", "param"]
    assert list(summary["id"]) == ["", "a", "b", "model.decay_km"]
    assert summary["samples"].tolist() == [3, 3, 3, 3]
    text = summary_csv(summary)
    lines = text.splitlines()
    assert lines[0] == "kind,id,metric,unit,samples,mean,sd,p5,p50,p95,p_positive"
    assert lines[1] == "objective,,total,$bn-eq/yr,3,2.000000,1.000000,1.100000,2.000000,2.900000,"
    assert lines[2].endswith(",0.000000")  # 1e-9 is below EPSILON
    assert lines[3].endswith(",0.666667")
    assert text.endswith("\n") and "\r" not in text


def test_batches_are_never_larger_than_the_sweep(tiny, cluster, tmp_path, layers_dir):
    out = run_sweep(
        tiny.path,
        samples=3,
        seed=1,
        client=cluster,
        layers_dir=layers_dir,
        out_dir=tmp_path,
        progress=False,
        write_map=False,
    )
    assert out.batch_size == 3 and out.completed == 3


def test_default_batch_size():
    assert default_batch_size(10_000, 2) == 512
    assert default_batch_size(1000, 2) == 125
    assert default_batch_size(100, 8) == 16


# ---------------------------------------------------------------- on Dask


@pytest.fixture(scope="module")
def cluster():
    with sweep_client(2, processes=True) as client:
        yield client


def test_a_local_cluster_listens_on_this_machine_only(cluster):
    """The scheduler, the workers and the dashboard bind to 127.0.0.1, never to every
    interface of the machine."""
    info = cluster.scheduler_info()
    assert cluster.scheduler.address.startswith("tcp://127.0.0.1:")
    assert info["workers"] and all(w.startswith("tcp://127.0.0.1:") for w in info["workers"])
    assert cluster.dashboard_link.startswith("http://127.0.0.1:")


@pytest.fixture(scope="module")
def two_workers(tiny, cluster, tmp_path_factory):
    out = tmp_path_factory.mktemp("two")
    return run_sweep(
        tiny.path,
        samples=150,
        seed=5,
        client=cluster,
        batch_size=23,
        layers_dir=tiny.layers_dir,
        out_dir=out,
        progress=False,
    )


def test_one_and_two_workers_give_identical_outputs(
    tiny, two_workers, layers_dir, tmp_path, runner
):
    result = runner.invoke(
        app,
        [
            "sweep",
            "--scenario",
            str(tiny.path),
            "--samples",
            "150",
            "--seed",
            "5",
            "--workers",
            "1",
            "--layers",
            str(layers_dir),
            "--out",
            str(tmp_path),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert two_workers.workers == 2 and two_workers.batch_size == 23
    for key in ("summary", "map"):
        one = (tmp_path / two_workers.files[key].name).read_bytes()
        assert one == two_workers.files[key].read_bytes(), key
    a, meta = read_sweep(tmp_path / "tiny-uncertain-sweep.parquet")
    b, _ = read_sweep(two_workers.files["parquet"])
    pd.testing.assert_frame_equal(a, b)
    assert meta["seed"] == 5 and meta["samples"] == 150 and meta["completed"] == 150
    assert a["sample"].tolist() == list(range(150))
    assert not (tmp_path / "tiny-uncertain-sweep.parts").exists()


def test_outputs(two_workers):
    table, _ = read_sweep(two_workers.files["parquet"])
    assert {"optimal"} <= set(table["status"])
    assert "param:model.decay_km" in table and "zone:ago:military_kpe" in table
    assert "front:korea:engagement_bn" in table and "objective:risk" in table
    summary = pd.read_csv(two_workers.files["summary"], keep_default_na=False)
    zones = summary[(summary["kind"] == "zone") & (summary["metric"] == "military_kpe")]
    assert set(zones["id"]) == {"idn", "ago", "bra"}
    p = pd.to_numeric(zones["p_positive"])
    assert ((p >= 0) & (p <= 1)).all()
    html = two_workers.files["map"].read_text(encoding="utf-8")
    assert "Peripheral zones: how often they receive" in html
    assert "of samples" in html and "Spread p5–p95" in html
    assert "<b>test</b>" not in html and "Tiny &lt;b&gt;test&lt;/b&gt;" in html
    assert 'src="http' not in html and "<link" not in html  # offline: nothing fetched


def test_workers_do_not_import_folium(cluster, two_workers):
    loaded = cluster.run(lambda: "folium" in sys.modules or "redeploy.render" in sys.modules)
    assert loaded and not any(loaded.values())
    assert all(cluster.run(lambda: "redeploy.model.sweep" in sys.modules).values())


def test_a_failing_batch_is_retried(tiny, cluster, two_workers, tmp_path, layers_dir):
    marker = tmp_path / "failed-once"
    output = run_sweep(
        tiny.path,
        samples=150,
        seed=5,
        client=cluster,
        batch_size=23,
        layers_dir=layers_dir,
        out_dir=tmp_path,
        progress=False,
        _fault=Fault(sample=60, marker=str(marker)),
    )
    assert marker.exists()
    assert output.files["summary"].read_bytes() == two_workers.files["summary"].read_bytes()


def test_a_dead_worker_costs_a_retry_not_the_sweep(tiny, two_workers, tmp_path, layers_dir):
    marker = tmp_path / "died-once"
    with sweep_client(2, processes=True) as client:
        output = run_sweep(
            tiny.path,
            samples=150,
            seed=5,
            client=client,
            batch_size=23,
            layers_dir=layers_dir,
            out_dir=tmp_path,
            progress=False,
            _fault=Fault(sample=100, marker=str(marker), exit_process=True),
        )
    assert marker.exists()
    assert output.files["summary"].read_bytes() == two_workers.files["summary"].read_bytes()


def test_interrupt_keeps_completed_batches(tiny, cluster, tmp_path, layers_dir):
    def stop(done, total):
        raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted) as info:
        run_sweep(
            tiny.path,
            samples=200,
            seed=2,
            client=cluster,
            batch_size=16,
            layers_dir=layers_dir,
            out_dir=tmp_path,
            progress=False,
            on_batch=stop,
        )
    out = info.value.output
    assert out.interrupted and 0 < out.completed < 200
    table, meta = read_sweep(out.files["parquet"])
    assert len(table) == out.completed == meta["completed"]
    assert table["sample"].is_monotonic_increasing
    assert (tmp_path / "tiny-uncertain-sweep.parts").is_dir()
    assert not (tmp_path / "tiny-uncertain-sweep-summary.csv").exists()


def test_an_interrupted_sweep_leaves_an_earlier_complete_sweep_whole(
    tiny, cluster, tmp_path, layers_dir
):
    from redeploy.io import check_sets

    common = {"client": cluster, "layers_dir": layers_dir, "out_dir": tmp_path, "progress": False}
    whole = run_sweep(tiny.path, samples=32, seed=3, batch_size=16, write_map=False, **common)
    before = {key: path.read_bytes() for key, path in whole.files.items()}

    def stop(done, total):
        raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted) as info:
        run_sweep(tiny.path, samples=200, seed=4, batch_size=16, on_batch=stop, **common)
    assert {key: path.read_bytes() for key, path in whole.files.items()} == before
    partial = info.value.output.files["parquet"]
    assert partial.name == "tiny-uncertain-sweep-partial.parquet"
    assert read_sweep(partial)[1]["seed"] == 4
    sets = {c.name: c for c in check_sets(tmp_path)}
    assert sets["tiny-uncertain-sweep"].ok and sets["tiny-uncertain-sweep-partial"].ok
    assert sets["tiny-uncertain-sweep"].files == (
        "tiny-uncertain-sweep-summary.csv",
        "tiny-uncertain-sweep.parquet",
    )


def test_ctrl_c_in_a_terminal_stops_workers_quietly(tiny, tmp_path, layers_dir):
    # A terminal's Ctrl-C reaches the whole process group: client and worker processes.
    # The client keeps the completed batches; the workers must not print tracebacks.
    import os
    import signal
    import subprocess
    import time

    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from redeploy.cli import main; main()",
            "sweep",
            "--scenario",
            str(tiny.path),
            "--layers",
            str(layers_dir),
            "--samples",
            "200000",
            "--batch-size",
            "64",
            "--workers",
            "2",
            "--out",
            str(out),
            "--quiet",
        ],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    parts = out / "tiny-uncertain-sweep.parts"
    deadline = time.monotonic() + 180
    while not list(parts.glob("batch-*.parquet")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=180)  # generous: a loaded machine is slow
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "interrupted:" in err and "samples kept" in err
    table, meta = read_sweep(out / "tiny-uncertain-sweep-partial.parquet")
    assert 0 < len(table) == meta["completed"] < 200000
    assert not (out / "tiny-uncertain-sweep.parquet").exists()  # only a whole sweep's name


def _worker_processes(pid: int) -> list[int]:
    """The Dask worker processes a `redeploy sweep` process started (Linux /proc)."""
    from pathlib import Path

    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and b"spawn_main" in cmdline:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_sweep_whose_workers_are_all_killed_exits_2_and_keeps_its_samples(
    tiny, tmp_path, layers_dir
):
    import os
    import signal
    import subprocess
    import time

    out = tmp_path / "out"
    args = ["--scenario", tiny.path, "--layers", layers_dir, "--samples", 200000]
    args += ["--batch-size", 64, "--workers", 2, "--out", out, "--quiet"]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from redeploy.cli import main; main()", "sweep", *map(str, args)],
        start_new_session=True,
        stderr=subprocess.PIPE,
        text=True,
    )
    parts = out / "tiny-uncertain-sweep.parts"
    deadline = time.monotonic() + 90
    while not list(parts.glob("batch-*.parquet")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    while proc.poll() is None and time.monotonic() < deadline:  # kill -9 every worker
        for pid in _worker_processes(proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(1)
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 2, err
    assert "Traceback" not in err and "the sweep lost its Dask workers after" in err, err
    table, meta = read_sweep(out / "tiny-uncertain-sweep-partial.parquet")
    assert 0 < len(table) == meta["completed"] < 200000
    assert not (out / "tiny-uncertain-sweep.parquet").exists()


def test_the_summary_line_counts_samples_not_solved(tiny, tmp_path, layers_dir, runner):
    # A floor that is usually met and sometimes far above what Africa can absorb.
    text = tiny.path.read_text(encoding="utf-8").replace(
        '"regions.Africa.floor" = {dist = "uniform", low = 0, high = 0.5}',
        '"regions.Africa.floor" = {dist = "choice", values = [0.1, 1000], weights = [0.7, 0.3]}',
    )
    path = tmp_path / "tiny-uncertain.toml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "sweep",
            "--scenario",
            str(path),
            "--samples",
            "40",
            "--workers",
            "1",
            "--layers",
            str(layers_dir),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    table, _ = read_sweep(tmp_path / "tiny-uncertain-sweep.parquet")
    counts = table["status"].value_counts()
    assert counts["infeasible"] > 0
    line = " ".join(result.output.split())
    assert (
        f"{counts['optimal']} of 40 samples solved, {counts['infeasible']} infeasible "
        "(see the parquet's status column)"
    ) in line
    assert "in batches of 16" in line
    infeasible = table[table["status"] == "infeasible"]
    assert set(infeasible["solve"]) <= {"core", "warm", "cold"}  # the model that said so


@pytest.mark.browser
def test_robustness_map_opens_offline(two_workers):
    from redeploy.render.png import chromium_driver, open_map

    require_browser()
    with chromium_driver(width=1600, height=900, logging=True) as page:
        open_map(page, two_workers.files["map"])
        bad = [e for e in page.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert not bad, bad
        labels = page.execute_script(
            "return Array.from(document.querySelectorAll('.leaflet-control-layers label'))"
            ".map(function (l) { return l.textContent.trim(); });"
        )
        assert "Peripheral zones: how often they receive" in labels
        assert "Peripheral zones: spread p5–p95" in labels


@contextlib.contextmanager
def _listener(greeting: bytes | None):
    """Yield the address of a TCP service on localhost that is not Dask: it accepts and,
    with a `greeting`, sends it to each connection."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    held = []

    def accept() -> None:
        while True:
            try:
                conn = server.accept()[0]
            except OSError:
                return
            held.append(conn)
            if greeting is not None:
                conn.sendall(greeting)

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()
        for conn in held:
            conn.close()


def test_a_listener_that_is_not_dask_fails_within_the_deadline():
    """Something answers on the port but never speaks Dask: a clear error, not a hang."""
    import time

    from distributed import Client

    from redeploy.errors import RedeployError
    from redeploy.workflows.cluster import _connect

    start = time.monotonic()
    with (
        _listener(None) as address,
        pytest.raises(RedeployError, match="cannot connect to a Dask scheduler"),
    ):
        _connect(Client, address, timeout=1.0)
    assert time.monotonic() - start < 10


def test_a_listener_that_answers_garbage_is_named_as_not_dask():
    """A service that sends bytes Dask cannot frame (it read '3 EiB' once): a clear error."""
    from distributed import Client

    from redeploy.errors import RedeployError
    from redeploy.workflows.cluster import _connect

    with (
        _listener(b"\xff" * 64) as address,
        pytest.raises(RedeployError, match="does not speak Dask's protocol"),
    ):
        _connect(Client, address, timeout=2.0)


def test_an_infeasible_central_run_names_the_central_value(tiny, tmp_path, layers_dir, runner):
    text = tiny.path.read_text(encoding="utf-8").replace(
        '"regions.Africa.floor" = {dist = "uniform", low = 0, high = 0.5}',
        '"regions.Africa.floor" = {dist = "uniform", low = 0, high = 1000}',
    )
    path = tmp_path / "tiny-uncertain.toml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "sweep",
            "--scenario",
            str(path),
            "--samples",
            "10",
            "--layers",
            str(layers_dir),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert "(the sweep starts from its central run: " in result.stderr
    assert (
        "`regions.Africa.floor` = 500 is the central value of uniform(low = 0.0, high = 1000.0)"
    ) in result.stderr


def test_a_sweep_that_cannot_reach_its_cluster_writes_nothing(
    tiny, tmp_path, layers_dir, monkeypatch
):
    import socket

    import redeploy.workflows.cluster
    from redeploy.errors import RedeployError

    connect = redeploy.workflows.cluster._connect
    monkeypatch.setattr(
        redeploy.workflows.cluster,
        "_connect",
        lambda cls, address: connect(cls, address, timeout=1.0),
    )
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RedeployError):
        run_sweep(
            tiny.path,
            samples=10,
            scheduler=f"tcp://127.0.0.1:{port}",
            layers_dir=layers_dir,
            out_dir=tmp_path,
            progress=False,
        )
    assert list(tmp_path.iterdir()) == []
