"""Every output of every shipped scenario is byte-identical to the recorded hashes.

The record (`tests/data/golden_outputs.json`) is regenerated with
``python tools/golden_outputs.py --write`` when a change of the outputs is intended; a
refactor must leave it unchanged.
"""

from __future__ import annotations

import json

from tests.conftest import ROOT, load_data_module

golden = load_data_module("../../tools/golden_outputs.py", "golden_outputs")


def test_every_shipped_output_matches_its_recorded_hash():
    recorded = json.loads(golden.RECORD.read_text())
    fresh = golden.compute()
    assert set(fresh) == set(recorded)
    for label, files in recorded.items():
        assert fresh[label] == files, (
            f"{label}: outputs changed; if intended, run `python tools/golden_outputs.py "
            f"--write` (from {ROOT})"
        )
