"""Wasted energy costed at the factory's local tariff."""

from __future__ import annotations

import pandas as pd
import pytest
from anomaly_series import T0, H

from enms import anomalies as an

LA = "America/Los_Angeles"



def test_wasted_energy_is_costed_at_the_local_tariff():
    machines = pd.DataFrame({"machine_id": ["m1"], "machine_name": ["Boiler-1"], "factory_id": ["f1"],
                             "factory_name": ["Plant"], "timezone": [LA]})
    tariffs = pd.DataFrame({"tariff_id": ["p", "o"], "factory_id": ["f1", "f1"], "name": ["Peak", "Off-Peak"],
                            "rate_per_kwh": [0.25, 0.10], "currency": ["USD", "USD"], "start_hour": [9, 21],
                            "end_hour": [21, 9], "applicable_days": [[1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5, 6]],
                            "demand_charge_per_kw": [0.0, 0.0], "valid_from": [None, None],
                            "valid_to": [None, None], "is_active": [True, True]})
    sources = pd.DataFrame({"name": ["natural_gas", "steam"], "cost_per_unit": [0.45, 0.03]})
    # Monday 2026-01-05 16:00 and 17:00 UTC = 08:00 and 09:00 PST: off-peak then peak
    b = pd.DatetimeIndex([T0 + 16 * H, T0 + 17 * H] * 3)
    frame = pd.DataFrame({"bucket": b, "machine_id": "m1",
                          "energy_type": ["electricity"] * 2 + ["natural_gas"] * 2 + ["steam"] * 2,
                          "actual_kwh": [12.0, 12.0, 31.1, 31.1, 9.0, 9.0],
                          "expected_kwh": [10.0, 10.0, 20.55, 20.55, 5.0, 5.0], "eligible": True})
    frame["residual_kwh"] = frame["actual_kwh"] - frame["expected_kwh"]
    frame = frame.sort_values(["machine_id", "energy_type", "bucket"], ignore_index=True)
    events = pd.DataFrame({"machine_id": "m1", "energy_type": ["electricity", "natural_gas", "steam"],
                           "start": T0 + 16 * H, "end": T0 + 18 * H})
    out = an.add_costs(events, frame, machines, None, tariffs, sources)
    # electricity: 2 kWh × 0.10 + 2 kWh × 0.25 = 0.70; gas: 2 × 10.55 kWh = 2 m³ × 0.45 = 0.90; steam: 0
    assert out["wasted_cost"].tolist() == pytest.approx([0.70, 0.90, 0.0])
    assert set(out["currency"]) == {"USD"}
