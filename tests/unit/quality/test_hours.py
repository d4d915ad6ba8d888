"""Input checks shared by every enms.quality function (enms.quality.hours): missing columns are named."""

from __future__ import annotations

import pytest
from unit.quality.hourly import (
    END,
    START,
    N,
    full_energy,
    full_environment,
    hours,
    make_machines,
    mode_rows,
)

from enms import quality as q


def test_missing_columns_are_named() -> None:
    machines = make_machines()
    with pytest.raises(ValueError, match="total_readings"):
        q.hourly_coverage(full_energy().drop(columns="total_readings"), machines, START, END)
    with pytest.raises(ValueError, match="timezone"):
        q.caltrack_sufficiency(full_energy(), full_environment(), machines.drop(columns="timezone"), START, END)
    with pytest.raises(ValueError, match="avg_outdoor_temp_c"):
        q.interpolate_temperature(full_environment().drop(columns="avg_outdoor_temp_c"), START, END)
    mode = mode_rows("m1", hours(START, N)).drop(columns="n_fault")
    with pytest.raises(ValueError, match="n_fault"):
        q.normal_operation_mask(mode, full_energy(), machines, START, END)
    with pytest.raises(ValueError, match="rated_power_kw"):
        q.find_outliers(full_energy(), machines.drop(columns="rated_power_kw"))
    with pytest.raises(ValueError, match="data_interval_seconds"):
        q.find_gaps(full_energy(), make_machines(data_interval_seconds=[60, None]), START, END)
    with pytest.raises(ValueError, match="timezone"):
        q.daily_presence(full_energy(), make_machines(timezone=["America/Los_Angeles", None]), START, END)
