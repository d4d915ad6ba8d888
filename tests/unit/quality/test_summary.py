"""The headline quality table of enms.quality."""

from __future__ import annotations

import pandas as pd
from unit.quality.hourly import (
    END,
    START,
    N,
    full_energy,
    full_environment,
    hours,
    make_machines,
    mode_rows,
    row,
)

from enms import quality as q


def test_quality_summary_joins_the_tables() -> None:
    energy = full_energy()
    energy.loc[energy.index[energy["machine_id"] == "m1"][3], "avg_power_kw"] = 100.0
    machines = make_machines()
    grid = hours(START, N)
    mode = pd.concat([mode_rows("m1", grid), mode_rows("m2", grid)], ignore_index=True)
    mode.loc[mode.index[mode["machine_id"] == "m2"][:12], "n_offline"] = 60
    summary = q.quality_summary(
        q.hourly_coverage(energy, machines, START, END),
        q.find_outliers(energy, machines),
        q.caltrack_sufficiency(energy, full_environment(), machines, START, END),
        q.normal_operation_mask(mode, energy, machines, START, END),
    )
    assert len(summary) == 3
    assert row(summary, "m1")["outlier_hours"] == 1 and row(summary, "m2")["outlier_hours"] == 0
    assert summary["sufficient"].all() and (summary["coverage_pct"] == 100.0).all()
    assert row(summary, "m1")["normal_hours_pct"] == 100.0
    assert row(summary, "m2", "natural_gas")["normal_hours_pct"] == 100.0 * (N - 12) / N
