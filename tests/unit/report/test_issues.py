"""The report's data issues (enms.report.issues): a spike hour of June is excluded from the figures and said."""

from __future__ import annotations

import pandas as pd
import pytest
from unit.report.conftest import LA

from enms import quality, report
from enms.report.issues import data_issues_in_period, data_issues_markdown

SPIKE = pd.Timestamp("2026-06-10 14:00", tz=LA).tz_convert("UTC")  # a Wednesday, Peak tariff (0.25 USD/kWh)


def spiked(frames: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The compressor's 14:00 hour on 10 June read 1000× (10,000 kWh, its quarters 2,500 kWh), and quality's
    ``unusable`` row for it."""
    for name in ("energy_hourly", "energy_15min"):
        frame = frames[name].copy()
        hit = (frame["machine_id"] == "m1") & (frame["bucket"].dt.floor("h") == SPIKE)
        frame.loc[hit, "total_energy_kwh"] *= 1000
        frames[name] = frame
    unusable = pd.DataFrame([{"bucket": SPIKE, "machine_id": "m1", "machine_name": "Compressor-1",
                              "energy_type": "electricity", "reason": "spike",
                              "detail": "1,000 × its 99.5th-percentile hour",
                              "readings": 15.0, "expected_readings": 60.0, "total_energy_kwh": 10_000.0,
                              "used_kwh": 0.0, "action": quality.EXCLUDED}])
    return frames, unusable


def test_a_spike_is_excluded_from_the_report_and_listed_under_energy(frames) -> None:
    clean = report.build(dict(frames), "demo-manufacturing-plant", "2026-06")
    data, unusable = spiked(dict(frames))
    raw = report.build(data, "demo-manufacturing-plant", "2026-06")
    built = report.build(data, "demo-manufacturing-plant", "2026-06", unusable=unusable)

    def electricity(made: report.Report) -> pd.Series:
        return made.period["factory"].set_index("energy_type").loc["electricity"]

    assert electricity(raw)["energy_cost"] == pytest.approx(electricity(clean)["energy_cost"] + 9_990 * 0.25)
    assert electricity(built)["energy_cost"] == pytest.approx(electricity(clean)["energy_cost"] - 10 * 0.25)
    assert electricity(built)["peak_kw"] == pytest.approx(electricity(clean)["peak_kw"])
    assert clean.data_issues == "" and raw.data_issues == ""
    assert built.data_issues.startswith("**Data issues.**")
    assert ("- 1 hour of Compressor-1 electricity excluded (spike ×1): 10,000 kWh read, 0 kWh counted; "
            "2026-06-10 14:00 1,000 × its 99.5th-percentile hour (local time).") in built.data_issues


def test_issues_outside_the_period_or_the_factory_are_not_listed(frames) -> None:
    _, unusable = spiked(dict(frames))
    scope = report.report_scope(frames, "demo-manufacturing-plant", "2026-06-11", "2026-06-20")
    assert data_issues_in_period(unusable, frames, scope).empty
    scope = report.report_scope(frames, "Werk Düsseldorf", "2026-06")
    assert data_issues_in_period(unusable, frames, scope).empty
    partial = unusable.assign(reason="partial hour", action=quality.PARTIAL, total_energy_kwh=5.0, used_kwh=5.0,
                              detail="30 of 60 readings")
    june = report.report_scope(frames, "demo-manufacturing-plant", "2026-06")
    text = data_issues_markdown(data_issues_in_period(partial, frames, june))
    assert ("- 1 hour of Compressor-1 electricity kept as measured (partial hour ×1): 5 kWh read and counted; "
            "2026-06-10 14:00 30 of 60 readings (local time).") in text
