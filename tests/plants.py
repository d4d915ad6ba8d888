"""A tiny hand-made plant whose aggregates can be computed by hand."""

from __future__ import annotations

import pandas as pd

FACTORY_ID = "00000000-0000-0000-0000-0000000000f1"
PRESS_ID = "00000000-0000-0000-0000-0000000000a1"
BOILER_ID = "00000000-0000-0000-0000-0000000000b1"
START = pd.Timestamp("2026-03-01 00:00", tz="UTC")


def tiny_plant() -> list[tuple[str, pd.DataFrame]]:
    """Two machines, 30 one-minute readings from 00:00 UTC: the press at 6 kW for 15 min then 12 kW (its
    last minute under the legacy type 'energy', which means electricity); the boiler with electricity
    (2 kW) and natural gas (60 kW). The press runs 20 min (3 units/min), idles 5 and is in maintenance 5."""
    minutes = pd.date_range(START, periods=30, freq="1min")
    press_kw = [6.0] * 15 + [12.0] * 15
    press = pd.DataFrame({
        "time": minutes, "machine_id": PRESS_ID,
        "energy_type": ["electricity"] * 29 + ["energy"],
        "power_kw": press_kw, "energy_kwh": [p / 60 for p in press_kw],
    })
    boiler = pd.concat([
        pd.DataFrame({"time": minutes, "machine_id": BOILER_ID, "energy_type": "electricity",
                      "power_kw": 2.0, "energy_kwh": 2.0 / 60}),
        pd.DataFrame({"time": minutes, "machine_id": BOILER_ID, "energy_type": "natural_gas",
                      "power_kw": 60.0, "energy_kwh": 1.0,
                      "metadata": '{"native_amount": 0.094787, "native_unit": "m3"}'}),
    ])
    modes = ["running"] * 20 + ["idle"] * 5 + ["maintenance"] * 5
    production = pd.DataFrame({
        "time": minutes, "machine_id": PRESS_ID, "operating_mode": modes,
        "production_count": [3] * 20 + [0] * 10, "production_count_good": [3] * 20 + [0] * 10,
        "production_count_bad": 0, "downtime_seconds": [0] * 25 + [60] * 5,
    })
    environment = pd.DataFrame({"time": minutes, "machine_id": PRESS_ID,
                                "outdoor_temp_c": [10.0 + i / 10 for i in range(30)]})
    return [
        ("factories", pd.DataFrame({"id": [FACTORY_ID], "name": ["Tiny Works"],
                                    "timezone": ["America/Los_Angeles"]})),
        ("machines", pd.DataFrame({
            "id": [PRESS_ID, BOILER_ID], "factory_id": FACTORY_ID, "name": ["Press", "Boiler"],
            "type": ["injection_molding", "boiler"], "rated_power_kw": [20.0, 10.0],
            "data_interval_seconds": 60,
            "metadata": ['{"energy_types": ["electricity"]}',
                         '{"energy_types": ["electricity", "natural_gas"]}'],
        })),
        ("energy_readings", pd.concat([press, boiler], ignore_index=True)),
        ("production_data", production),
        ("environmental_data", environment),
    ]


ELECTRICITY_ID = "00000000-0000-0000-0000-0000000000e1"


def tiny_sources() -> pd.DataFrame:
    return pd.DataFrame({"id": [ELECTRICITY_ID], "name": ["electricity"], "unit": ["kWh"]})


def baseline_row(fingerprint: str, active: bool, r_squared: float | None = 0.9) -> dict:
    """An energy_baselines row as enms.rows.baseline_rows makes it, for the press's electricity."""
    return {
        "machine_id": PRESS_ID, "energy_source_id": ELECTRICITY_ID, "model_name": "towt:electricity",
        "model_type": "towt", "training_start_date": START, "training_end_date": START + pd.Timedelta(days=365),
        "training_samples": 8000, "coefficients": '{"production": 0.5}', "intercept": None,
        "feature_names": ["production", "outdoor_temp_c"], "r_squared": r_squared, "rmse": 1.5, "mae": 1.0,
        "is_active": active, "trained_by": "tests",
        "metadata": f'{{"energy_type": "electricity", "fingerprint": "{fingerprint}"}}', "fingerprint": fingerprint,
    }


def check_baseline_publishing(warehouse) -> None:
    """Versions, idempotence and activation of energy_baselines, on any dialect with the tiny plant loaded."""
    first = pd.DataFrame([baseline_row("a", active=True)])
    assert warehouse.publish_baselines(first) == {"inserted": 1, "unchanged": 0}
    assert warehouse.publish_baselines(first) == {"inserted": 0, "unchanged": 1}
    warehouse.publish_baselines(pd.DataFrame([baseline_row("b", active=True, r_squared=None)]))
    warehouse.publish_baselines(pd.DataFrame([baseline_row("c", active=False)]))
    stored = warehouse.read_baselines()
    assert stored["model_version"].tolist() == [1, 2, 3]
    assert stored["is_active"].tolist() == [False, True, False]  # a failed model never replaces the active one
    assert stored["r_squared"].isna().tolist() == [False, True, False]


def anomaly_event(start_hour: int, end_hour: int) -> pd.DataFrame:
    """One excess-consumption event of the press, [START + start_hour h, START + end_hour h)."""
    return pd.DataFrame([{
        "machine_id": PRESS_ID, "energy_type": "electricity", "anomaly_type": "excess_consumption",
        "detection_method": "residual_zscore", "start": START + pd.Timedelta(hours=start_hour),
        "end": START + pd.Timedelta(hours=end_hour), "severity": "critical", "metric_name": "energy_kwh",
        "metric_value": 120.0, "expected_value": 80.0, "deviation_percent": 50.0, "z": 4.2, "peak_z": 6.0,
        "confidence": 0.8, "wasted_kwh": 40.0, "wasted_cost": 6.0, "currency": "USD",
        "detectors": "residual_zscore",
    }])


def check_anomaly_publishing(warehouse) -> None:
    """Re-runs, overlapping windows, growing events and resolved rows, on any dialect with the tiny plant."""
    from enms.rows import anomaly_rows, plan_write_back

    def publish(start_hour: int, end_hour: int) -> dict[str, int]:
        return warehouse.publish_anomalies(anomaly_rows(anomaly_event(start_hour, end_hour)), plan=plan_write_back)

    assert publish(10, 14) == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert publish(10, 14) == {"inserted": 0, "updated": 0, "unchanged": 1}
    assert publish(12, 14) == {"inserted": 0, "updated": 0, "unchanged": 1}  # a later window sees it truncated
    assert publish(10, 18) == {"inserted": 0, "updated": 1, "unchanged": 0}  # the event grew
    stored = warehouse.read_anomalies()
    assert len(stored) == 1 and stored["detected_at"].item() == START + pd.Timedelta(hours=10)
    assert '"end": "2026-03-01T18:00:00+00:00"' in stored["metadata"].item()
    warehouse.execute("UPDATE anomalies SET is_resolved = TRUE, resolution_notes = 'valve fixed'")
    assert publish(10, 20) == {"inserted": 0, "updated": 0, "unchanged": 1}  # people resolved it: untouched
    after = warehouse.read_anomalies()
    assert after["metadata"].item() == stored["metadata"].item() and after["is_resolved"].item()


def forecast_frames(origin_hour: int, first_hour: int, hours: int, kw: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """energy_forecasts rows and vintage rows of one forecast of the press made at START + origin_hour h."""
    origin = START + pd.Timedelta(hours=origin_hour)
    times = [START + pd.Timedelta(hours=first_hour + i) for i in range(hours)]
    rows = pd.DataFrame({
        "machine_id": PRESS_ID, "model_type": "Other", "model_version": 1, "horizon": "medium",
        "forecasted_at": origin, "forecast_time": times, "predicted_power_kw": kw, "lower_bound_kw": kw - 1,
        "upper_bound_kw": kw + 1, "confidence_level": 0.9, "training_samples": 100, "rmse": 1.0, "mape": 5.0,
        "r2": 0.8, "metadata": '{"model_name": "gradient_boosting"}',
    })
    vintages = pd.DataFrame({
        "forecasted_at": origin, "forecast_time": times, "machine_id": PRESS_ID, "energy_type": "electricity",
        "model_name": "gradient_boosting", "horizon": "medium", "predicted_kwh": kw, "lower_kwh": kw - 1,
        "upper_kwh": kw + 1, "confidence_level": 0.9,
    })
    return rows, vintages


def check_forecast_publishing(warehouse) -> None:
    """The newest forecast per hour wins in energy_forecasts; every vintage is kept once."""
    first = forecast_frames(0, 1, 3, kw=10.0)
    assert warehouse.publish_forecasts(*first) == {"energy_forecasts": 3, "vintages_added": 3, "vintages_kept": 0}
    assert warehouse.publish_forecasts(*first)["vintages_added"] == 0
    warehouse.publish_forecasts(*forecast_frames(1, 2, 3, kw=20.0))
    warehouse.publish_forecasts(*first)  # an older forecast arriving late never overwrites a newer one
    stored = warehouse.read_forecasts()
    assert stored["predicted_power_kw"].tolist() == [10.0, 20.0, 20.0, 20.0]
    assert warehouse._count("enms_analytics.forecast_vintages") == 6
