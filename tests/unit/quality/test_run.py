"""enms.quality.run: every check of the quality step in one call, over the extract's window."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from unit.quality.hourly import (
    END,
    START,
    N,
    energy_rows,
    full_energy,
    full_environment,
    hours,
    make_machines,
    mode_rows,
)

from enms import plots
from enms import quality as q


def extract_frames() -> dict[str, pd.DataFrame]:
    grid = hours(START, N)
    return {
        "machines": make_machines(),
        "window": pd.DataFrame({"start": [START], "end": [END], "baseline_start": [START],
                                "baseline_end": [START + pd.Timedelta(hours=24)]}),
        "energy_hourly": full_energy(),
        "environment_hourly": full_environment(),
        "mode_hourly": pd.concat([mode_rows("m1", grid), mode_rows("m2", grid)], ignore_index=True),
    }


def test_run_makes_every_table_of_the_step() -> None:
    frames = extract_frames()
    result = q.run(frames, spike_factor=3.0, min_baseline_days=1)
    machines, energy = frames["machines"], frames["energy_hourly"]
    assert list(result.products()) == ["summary", "coverage", "gaps", "outliers", "sufficiency", "normal_mask",
                                       "temperature_hourly", "intervals", "unusable", "closures"]
    assert result.closures.empty  # every machine has a mode history
    assert (result.summary["operation"] == "mode history").all()
    pd.testing.assert_frame_equal(result.coverage, q.hourly_coverage(energy, machines, START, END))
    pd.testing.assert_frame_equal(result.outliers, q.find_outliers(energy, machines, spike_factor=3.0))
    assert len(result.normal_mask) == 2 * N and result.normal_mask["is_normal"].all()
    assert len(result.temperature_hourly) == 2 * N
    assert result.summary["sufficient"].all() and len(result.summary) == 3
    assert result.unusable.empty and list(result.unusable.columns) == list(q.UNUSABLE_COLUMNS)
    assert result.longest_gaps().empty and result.outlier_counts().empty and result.exclusions().empty
    figures = plots.quality_figures(result)
    assert len(figures) == len(machines)
    assert len(plots.quality_figures(result, limit=1)) == 1  # a fleet's page draws the first machines only
    plt.close("all")


def test_sufficiency_runs_to_each_factory_s_local_midnight_in_machine_order() -> None:
    frames = extract_frames()
    frames["machines"] = make_machines(timezone=["Europe/Berlin", "America/Los_Angeles"])
    result = q.run(frames)
    periods = result.baseline_periods.set_index("timezone")["baseline_end"]
    assert periods["Europe/Berlin"] == pd.Timestamp("2024-01-09 23:00", tz="UTC")  # midnight CET
    assert periods["America/Los_Angeles"] == pd.Timestamp("2024-01-09 08:00", tz="UTC")  # midnight PST
    assert result.sufficiency["machine_id"].tolist() == ["m1", "m2", "m2"]
    assert result.sufficiency["baseline_hours"].tolist() == [47, 32, 32]

    frames["window"]["baseline_end"] = END - pd.Timedelta(minutes=30)  # the next local midnights: past the data
    assert (q.run(frames).baseline_periods["baseline_end"] == END).all()


def test_completeness_follows_the_reading_interval_the_data_show() -> None:
    # Declared every 10 s (360 readings an hour), but the meters send every 60 s (60 an hour): before, every hour
    # was incomplete (60 / 360 = 16.7 %) and no hour was normal; now 60 s is used, and the summary says so.
    frames = extract_frames()
    frames["machines"] = make_machines(data_interval_seconds=[10, 60])
    result = q.run(frames, min_baseline_days=1)
    intervals = result.intervals.set_index("machine_id")
    assert intervals.loc["m1", ["declared_interval_s", "measured_interval_s", "interval_s"]].tolist() == [10, 60, 60]
    assert intervals.loc["m2", "interval_s"] == 60 and intervals.loc["m2", "interval_note"] == ""
    summary = result.summary.set_index(["machine_id", "energy_type"])
    m1 = summary.loc[("m1", "electricity")]
    assert m1["completeness_pct"] == 100.0 and m1["declared_interval_s"] == 10 and m1["measured_interval_s"] == 60
    assert m1["interval_note"] == "declared 10 s, data every 60 s: completeness uses 60 s"
    assert (result.coverage["complete_hours"] == N).all() and result.normal_mask["is_normal"].all()
    assert result.sufficiency["sufficient"].all()


def test_measured_interval_is_the_typical_hour_of_the_data() -> None:
    # Hours with 360 readings (10 s), a few partial ones (a gap, the last hour): the median hour decides.
    grid = hours(START, 10)
    readings = np.array([360] * 7 + [12, 180, 359])
    energy = pd.concat([energy_rows("m1", "electricity", grid, readings=readings),
                        energy_rows("m2", "electricity", grid, readings=0)], ignore_index=True)
    intervals = q.reading_intervals(energy, make_machines(data_interval_seconds=[10, 30]))
    assert intervals["measured_interval_s"].iloc[0] == 10 and intervals["interval_note"].iloc[0] == ""
    assert np.isnan(intervals["measured_interval_s"].iloc[1]) and intervals["interval_s"].iloc[1] == 30
    undeclared = q.reading_intervals(energy, make_machines(data_interval_seconds=[None, None]))
    assert undeclared["interval_s"].iloc[0] == 10  # nothing declared: the data tell
    assert undeclared["interval_note"].iloc[0] == "no interval declared, data every 10 s: completeness uses 10 s"
