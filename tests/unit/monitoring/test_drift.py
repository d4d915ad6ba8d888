"""The drift rule on planted series: a profile change is drift; a level shift and a fault of a few days are not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from enms.monitoring import DRIFT_MARGIN, drift_verdict, robust_cv

DAYS = 31
VALIDATION_CV = 0.05


def planted() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A month of hours: expected 80 kWh from 08:00 to 20:00, 40 kWh otherwise; actual = expected with 1 % noise."""
    hours = pd.date_range("2026-10-01", periods=DAYS * 24, freq="h")
    expected = np.where((hours.hour >= 8) & (hours.hour < 20), 80.0, 40.0)
    noise = np.random.default_rng(3).normal(0, 0.01, hours.size)
    return expected * (1 + noise), expected, hours.date


def test_robust_cv_hand_computed() -> None:
    expected = np.full(10, 10.0)
    day = np.zeros(10)
    # residuals ±1 around a median of 0: the 8 kept all deviate by 1 -> 1.511 x 1 / mean 10
    alternating = expected + np.tile([1.0, -1.0], 5)
    assert robust_cv(alternating, expected, day) == pytest.approx(0.1511)
    # two large errors in ten rows are the trimmed 20 %: nothing is left
    two_bad = expected.copy()
    two_bad[[3, 7]] = [12.0, 8.0]
    assert robust_cv(two_bad, expected, day) == 0.0
    # a level change alone is removed: actual = 0.5 x expected exactly
    assert robust_cv(0.5 * expected, expected, day) == 0.0


def test_a_profile_change_is_drift() -> None:
    _, expected, day = planted()
    flat = np.full(expected.size, 60.0)  # same mean, no longer follows the day/night profile
    verdict = drift_verdict(flat, expected, day, VALIDATION_CV)
    # residual ±20 kWh around mean 60 on every row: robust CV 1.511 x RMS(20) x ... = 20/60 after the trim's scale
    assert verdict.recent_cv_rmse == pytest.approx(1.511 * 20 / 60, rel=1e-6)
    assert verdict.drifting
    assert verdict.drift_score > DRIFT_MARGIN


def test_a_level_shift_is_not_drift() -> None:
    actual, expected, day = planted()
    verdict = drift_verdict(0.88 * actual, expected, day, VALIDATION_CV)  # an efficiency measure's -12 %
    assert not verdict.drifting
    assert verdict.drift_score < 0.5


def test_a_five_day_fault_is_not_drift() -> None:
    actual, expected, day = planted()
    faulty = actual.copy()
    faulty[10 * 24:15 * 24] *= 1.25  # +25 % for five days
    verdict = drift_verdict(faulty, expected, day, VALIDATION_CV)
    assert not verdict.drifting
    assert verdict.drift_score < 0.5
    assert "within" in verdict.reason


def test_too_few_days_give_no_verdict() -> None:
    actual, expected, day = planted()
    verdict = drift_verdict(actual[:24 * 10], expected[:24 * 10], day[:24 * 10], VALIDATION_CV)
    assert not verdict.drifting
    assert np.isnan(verdict.drift_score)
    assert verdict.reason.startswith("not evaluated: 10 local days")
