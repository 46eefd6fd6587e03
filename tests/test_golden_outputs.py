"""Every output of every shipped scenario is byte-identical to the recorded hashes.

The record (`tests/data/golden_outputs.json`) is regenerated with
``python tools/golden_outputs.py --write`` when a change of the outputs is intended; a
refactor must leave it unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

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


def _simd_above_baseline() -> list[str]:
    """numpy's dispatched SIMD levels this CPU has above its baseline (AVX2, AVX-512), to
    switch off: numpy then runs its baseline kernels, as on a CPU with none of them."""
    from numpy._core import _multiarray_umath as umath

    return [f for f in umath.__cpu_dispatch__ if umath.__cpu_features__.get(f)]


@pytest.mark.parametrize("variant", ["blas", "simd"])
def test_outputs_are_the_same_on_other_cpus(variant):
    # Another machine's BLAS kernel or numpy's SIMD level changes the last digits of the
    # figures (redeploy.model.digits); the files must not change. The scenario and the
    # sweep whose files showed it (AVX-512 against AVX2), run as on such a machine.
    env = dict(os.environ)
    if variant == "blas":
        env["OPENBLAS_CORETYPE"] = "Haswell"
    else:
        features = _simd_above_baseline()
        if not features:
            pytest.skip("numpy dispatches no SIMD level above its baseline on this CPU")
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(features)
    proc = subprocess.run(
        [sys.executable, str(golden.__file__), "--labels", "run all-together,sweep"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
