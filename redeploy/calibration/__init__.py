"""Calibration and validation: fit the assumption-only coefficients to the observed U.S.
peripheral posture and engagement, and measure how well any set of coefficients
reproduces them (docs/validation.md)."""
