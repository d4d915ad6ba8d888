"""The drifting demo machine: Compressor-EU-1's VSD from the start of the reporting period, recorded in drift_truth."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from enms.demo import DemoConfig, demo_plan, plant, simulate
from enms.demo.plan import VSD_IDLE, VSD_RUNNING

CONFIG = DemoConfig(machines=("Compressor-EU-1",), days=60, resolution="15min", baseline_days=30)
RATED = next(m.rated_power_kw for m in plant.MACHINES if m.name == "Compressor-EU-1")


def tables(config: DemoConfig) -> dict[str, pd.DataFrame]:
    out: dict[str, pd.DataFrame] = {}
    for name, frame in simulate(config):
        out[name.split(".")[-1]] = frame
    return out


@pytest.fixture(scope="module")
def runs() -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    return tables(CONFIG), tables(dataclasses.replace(CONFIG, inject_faults=False))


def test_the_truth_row(runs) -> None:
    drifted, counterfactual = runs
    plan = demo_plan(CONFIG)
    (row,) = drifted["drift_truth"].to_dict("records")
    assert row["machine_name"] == "Compressor-EU-1" and row["energy_type"] == "electricity"
    assert row["start_time"] == plan.baseline_end
    assert "VSD" in row["description"] and "profile" in row["expected_effect"]
    assert counterfactual["drift_truth"].empty  # no faults, no measure, no drift


def test_behaviour_changes_after_baseline_end_only(runs) -> None:
    drifted, counterfactual = runs
    plan = demo_plan(CONFIG)
    power = pd.DataFrame({"new": drifted["energy_readings"].set_index("time")["power_kw"],
                          "old": counterfactual["energy_readings"].set_index("time")["power_kw"],
                          "mode": drifted["production_data"].set_index("time")["operating_mode"]})
    in_fault = np.zeros(len(power), dtype=bool)
    for f in drifted["fault_truth"].itertuples():
        in_fault |= (power.index >= f.start_time) & (power.index < f.end_time)
    before = (power.index < plan.baseline_end) & ~in_fault
    after = (power.index >= plan.baseline_end) & ~in_fault
    assert before.sum() > 1000 and after.sum() > 1000
    np.testing.assert_array_equal(power.loc[before, "new"], power.loc[before, "old"])
    # after: the load/unload power's air demand served by the VSD, running and idle (3-decimal rounding)
    for mode, (base, slope) in (("running", VSD_RUNNING), ("idle", VSD_IDLE)):
        rows = power[after & (power["mode"] == mode).to_numpy()]
        demand = (rows["old"] / RATED - 0.28) / 0.70
        np.testing.assert_allclose(rows["new"], RATED * (base + slope * demand), atol=0.01)
    idle = power[after & (power["mode"] == "idle").to_numpy()]
    assert idle["new"].mean() < 0.5 * idle["old"].mean()  # unloaded far lower
    running = power[after & (power["mode"] == "running").to_numpy()]
    assert running["new"].std() < 0.2 * running["old"].std()  # no longer follows the air demand
