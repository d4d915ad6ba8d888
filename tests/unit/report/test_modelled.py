"""The report's list of machines and energy types a step could not model (frames: conftest)."""

from __future__ import annotations

import pandas as pd

from enms import report


def status(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["machine_id", "energy_type", "status", "reason"])


def all_modelled() -> dict[str, pd.DataFrame]:
    series = [("m1", "electricity"), ("m2", "natural_gas"), ("m2", "steam"), ("m3", "electricity")]
    return {"baselines": status([(m, e, "fitted", "") for m, e in series]),
            "anomalies": status([(m, e, "excluded" if e == "steam" else "detected",
                                  "steam raises no consumption alert" if e == "steam" else "") for m, e in series]),
            "forecasts": status([(m, e, "forecast", "") for m, e in series])}


def test_nothing_is_listed_when_every_series_was_modelled(frames) -> None:
    built = report.build(frames, "demo-manufacturing-plant", "2026-06", status=all_modelled())
    assert built.not_modelled == []  # steam's exclusion from alerts is a rule, not a gap
    assert report.build(frames, "demo-manufacturing-plant", "2026-06").not_modelled == []  # no status given


def test_a_series_without_baseline_is_listed_once_with_its_root_reason(frames) -> None:
    steps = all_modelled()
    steps["baselines"].loc[0, ["status", "reason"]] = ["not fitted", "no readings"]
    steps["anomalies"].loc[0, ["status", "reason"]] = ["not detected",
                                                       "no expected energy: baseline not fitted (no readings)"]
    steps["forecasts"].loc[0, ["status", "reason"]] = ["not forecast", "no readings"]
    steps["forecasts"].loc[1, ["status", "reason"]] = [
        "failed", "Boiler-1 (natural_gas): no model gave a scored day-ahead forecast"]
    steps["forecasts"].loc[3, ["status", "reason"]] = ["not forecast", "no readings"]  # m3: another factory
    scope = report.report_scope(frames, "demo-manufacturing-plant", "2026-06")
    table = report.not_modelled(steps, frames, scope)
    assert table.values.tolist() == [
        ["Boiler-1", "natural_gas", "forecast", "no model gave a scored day-ahead forecast"],
        ["Compressor-1", "electricity", "baseline, anomaly detection, forecast", "no readings"]]
    built = report.build(frames, "demo-manufacturing-plant", "2026-06", status=steps)
    heading, shown = built.not_modelled
    assert heading.startswith("### Machines not modelled\n")
    html = shown.to_html()
    assert "Compressor-1" in html and "Natural gas" in html and "Compressor-EU-1" not in html


def test_different_reasons_of_one_series_are_each_named_by_what_they_concern(frames) -> None:
    steps = all_modelled()
    steps["baselines"].loc[0, ["status", "reason"]] = [
        "failed", "Compressor-1 (electricity): towt failed: ValueError: a 8-week hold-out leaves no test rows"]
    steps["anomalies"].loc[0, ["status", "reason"]] = ["not detected", "no expected energy: baseline failed"]
    steps["forecasts"].loc[0, ["status", "reason"]] = ["not forecast", "10.0 days of history < 71 needed"]
    scope = report.report_scope(frames, "demo-manufacturing-plant", "2026-06")
    row = report.not_modelled(steps, frames, scope).iloc[0]
    assert row["missing"] == "baseline, anomaly detection, forecast"
    assert row["reason"] == ("baseline: towt failed: ValueError: a 8-week hold-out leaves no test rows; "
                             "forecast: 10.0 days of history < 71 needed")


def test_the_report_says_which_inputs_the_factory_lacks(frames) -> None:
    scope = report.report_scope(frames, "demo-manufacturing-plant", "2026-06")
    assert report.absent_inputs(frames, scope) == []  # production and a tariff; modes and weather not given
    hours = frames["energy_hourly"]["bucket"].unique()
    frames = {**frames, "mode_hourly": pd.DataFrame({"bucket": hours, "machine_id": "m3", "total_readings": 60}),
              "environment_hourly": pd.DataFrame({"bucket": hours, "machine_id": "m1",
                                                  "avg_outdoor_temp_c": float("nan")}),
              "production_hourly": frames["production_hourly"].iloc[:0],
              "tariffs": frames["tariffs"][frames["tariffs"]["factory_id"] != "f1"]}
    notes = report.absent_inputs(frames, scope)
    assert [note.split(":")[0] for note in notes] == ["No operating-mode history", "No production data",
                                                      "No outdoor temperature", "No tariff"]
    built = report.build(frames, "demo-manufacturing-plant", "2026-06")
    assert built.absent_inputs.startswith("### Inputs this factory's data lack\n- No operating-mode history")
