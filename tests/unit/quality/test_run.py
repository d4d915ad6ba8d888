"""enms.quality.run: every check of the quality step in one call, over the extract's window."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from unit.quality.hourly import END, START, N, full_energy, full_environment, hours, make_machines, mode_rows

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
    result = q.run(frames, spike_factor=3.0)
    machines, energy = frames["machines"], frames["energy_hourly"]
    assert list(result.products()) == ["summary", "coverage", "gaps", "outliers", "sufficiency", "normal_mask",
                                       "temperature_hourly"]
    pd.testing.assert_frame_equal(result.coverage, q.hourly_coverage(energy, machines, START, END))
    pd.testing.assert_frame_equal(result.outliers, q.find_outliers(energy, machines, spike_factor=3.0))
    assert len(result.normal_mask) == 2 * N and result.normal_mask["is_normal"].all()
    assert len(result.temperature_hourly) == 2 * N
    assert result.summary["sufficient"].all() and len(result.summary) == 3
    assert result.longest_gaps().empty and result.outlier_counts().empty and result.exclusions().empty
    figures = plots.quality_figures(result)
    assert len(figures) == len(machines)
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
