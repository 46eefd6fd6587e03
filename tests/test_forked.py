"""A function run in a forked child while the parent goes on (redeploy.io.forked)."""

from __future__ import annotations

import os
import signal
import sys
import threading

import pytest

from redeploy.errors import LayerValidationError, OutputError, Problem
from redeploy.io.forked import can_fork, in_child

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork: Linux")


@pytest.fixture
def one_thread(monkeypatch):
    """Earlier tests may leave threads behind (Dask's); the child does not use them."""
    import redeploy.io.forked

    monkeypatch.setattr(redeploy.io.forked.threading, "active_count", lambda: 1)


def test_the_function_runs_in_a_child_and_its_value_comes_back(one_thread):
    assert can_fork()
    with in_child(lambda: (os.getpid(), [1.5, "x"])) as pending:
        assert pending.forked
        pid, value = pending.result()
    assert pid != os.getpid() and value == [1.5, "x"]


def test_the_childs_error_is_raised_in_the_parent(one_thread):
    def fail() -> None:
        raise OutputError("out.gpkg: disk full")

    with pytest.raises(OutputError, match=r"out\.gpkg: disk full"), in_child(fail) as pending:
        pending.result()


def test_an_error_that_does_not_pickle_back_keeps_its_class_and_text(one_thread):
    class Unpicklable(Exception):  # a local class: pickle cannot find it by name
        pass

    def fail() -> None:
        raise Unpicklable("held a lock")

    with pytest.raises(RuntimeError, match="Unpicklable: held a lock"), in_child(fail) as p:
        p.result()


def test_a_layer_error_comes_back_whole_or_as_its_text(one_thread):
    # Its class takes (source, kind, problems), not its message: plain pickle cannot build
    # it again, so its text comes back (Dask's tblib, once imported, pickles it whole).
    def fail() -> None:
        raise LayerValidationError("x.geojson", "sites", [Problem("bad importance")])

    expected = r"x\.geojson: 1 problem in layer 'sites'"
    with pytest.raises(Exception, match=expected), in_child(fail) as p:
        p.result()


def test_a_child_killed_is_an_output_error_not_a_hang(one_thread):
    parent = os.getpid()

    def die() -> None:
        if os.getpid() != parent:  # never the test process itself
            os.kill(os.getpid(), signal.SIGKILL)

    with in_child(die) as pending:
        assert pending.forked
        with pytest.raises(OutputError, match="killed by signal 9"):
            pending.result()


def test_a_failure_in_the_parent_stops_the_child(one_thread):
    import time

    started = time.monotonic()
    with pytest.raises(KeyError), in_child(lambda: time.sleep(60)) as pending:
        assert pending.forked
        pid = pending._pid
        raise KeyError("map")
    assert time.monotonic() - started < 10
    with pytest.raises(ChildProcessError):  # reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)


def test_no_fork_when_asked_or_with_other_threads(monkeypatch):
    monkeypatch.setenv("REDEPLOY_FORK", "0")
    with in_child(os.getpid) as pending:
        assert not pending.forked and pending.result() == os.getpid()
    monkeypatch.delenv("REDEPLOY_FORK")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert threading.active_count() > 1
        with in_child(os.getpid) as pending:
            assert not pending.forked and pending.result() == os.getpid()
    finally:
        stop.set()
        thread.join()
    with in_child(os.getpid, fork=False) as pending:
        assert not pending.forked
