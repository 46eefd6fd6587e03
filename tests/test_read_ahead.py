"""`redeploy.io.ahead.read_ahead`: files read on another thread, results and errors in order."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from redeploy.io.ahead import read_ahead


def _files(tmp_path: Path, sizes: dict[str, int]) -> dict[str, Path]:
    paths = {}
    for key, size in sizes.items():
        paths[key] = tmp_path / f"{key}.txt"
        paths[key].write_text("x" * size)
    return paths


def test_results_in_order_largest_read_first_on_another_thread(tmp_path):
    paths = _files(tmp_path, {"a": 10, "b": 300, "c": 20})
    reads, threads = [], set()

    def read(key, path):
        reads.append(key)
        threads.add(threading.get_ident())
        return path.read_text()

    out = read_ahead(paths, read, len)
    assert list(out) == ["a", "b", "c"] and out == {"a": 10, "b": 300, "c": 20}
    assert reads == ["b", "c", "a"]
    assert threading.get_ident() not in threads


def test_the_first_failure_in_order_is_raised_after_every_file(tmp_path):
    paths = _files(tmp_path, {"first": 1, "second": 500, "third": 2})
    finished = []

    def read(key, path):
        if key == "second":  # read first (largest) and fails first in time
            raise ValueError("second is bad")
        return key

    def finish(key):
        finished.append(key)
        if key == "first":
            raise KeyError("first is bad")
        return key

    with pytest.raises(KeyError, match="first is bad"):
        read_ahead(paths, read, finish)
    assert sorted(finished) == ["first", "third"]


def test_one_file_is_read_on_this_thread(tmp_path):
    paths = _files(tmp_path, {"only": 3})
    seen = []
    out = read_ahead(paths, lambda k, p: seen.append(threading.get_ident()) or k, str.upper)
    assert out == {"only": "ONLY"} and seen == [threading.get_ident()]
