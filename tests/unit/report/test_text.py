"""Unit tests of enms.report.text: sentences and number formats."""

from __future__ import annotations

from enms import report


def test_an_interval_holding_zero_is_no_significant_change() -> None:
    row = {"avoided_kwh": -10.0, "avoided_pct": -0.2, "lower_pct": -0.7, "upper_pct": 0.3, "contains_zero": True}
    text = report.performance_sentence(row)
    assert "no significant change" in text and "includes zero" in text
