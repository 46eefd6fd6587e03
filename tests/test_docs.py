"""Generated blocks of the docs match the code (tools/sync_docs.py)."""

from __future__ import annotations

from tests.conftest import load_data_module

sync = load_data_module("../../tools/sync_docs.py", "sync_docs")


def test_generated_doc_blocks_are_up_to_date():
    assert sync.main(["--check"]) == 0, "run python tools/sync_docs.py"
