"""Figures rounded to significant digits, the same on every CPU (redeploy.model.digits)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from redeploy.model.digits import RESULT_DIGITS, rounded_frame, significant


def test_significant_rounds_to_digits_and_keeps_special_values():
    x = np.array([0.051909355264228935, -1234.56789012345, 0.0, np.nan, np.inf, 1e-300, 5e300])
    out = significant(x)
    assert out[0] == 0.0519093553
    assert out[1] == -1234.56789
    assert out[2] == 0.0 and math.isnan(out[3]) and out[4] == np.inf
    assert out[5] == 1e-300 and out[6] == 5e300  # beyond 1e±280: as they are


def test_last_digit_noise_gives_the_same_figure():
    # The noise measured between AVX-512 and AVX2 machines: a few units in the last place.
    rng = np.random.default_rng(0)
    x = rng.uniform(-10, 10, 10_000) * 10.0 ** rng.integers(-8, 8, 10_000)
    noisy = x * (1 + rng.choice([-4, -2, 2, 4], x.size) * np.finfo(float).eps)
    same = significant(x) == significant(noisy)
    assert same.mean() > 0.999  # only figures within the noise of a rounding boundary move
    assert np.all(np.abs(significant(x) - x) <= 0.5 * 10.0 ** (1 - RESULT_DIGITS) * np.abs(x))


def test_rounded_frame_rounds_float_columns_only():
    frame = pd.DataFrame({"a": [1.0000000001234], "n": [3], "s": ["x"]})
    out = rounded_frame(frame)
    assert out["a"].iloc[0] == 1.0 and out["n"].iloc[0] == 3 and out["s"].iloc[0] == "x"
    assert frame["a"].iloc[0] == 1.0000000001234  # the input is left as it was
