"""The quality step: every check over the extract's window, in one call (`run`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from enms import settings
from enms.calendars import factory_holidays
from enms.localtime import baseline_begin, baseline_boundary
from enms.quality.closures import closure_days, machines_without_modes
from enms.quality.coverage import find_gaps, hourly_coverage
from enms.quality.hours import machine_table
from enms.quality.intervals import reading_intervals, with_intervals
from enms.quality.operation import interpolate_temperature, normal_operation_mask
from enms.quality.outliers import find_outliers
from enms.quality.sufficiency import caltrack_sufficiency, fit_readiness
from enms.quality.summary import quality_summary
from enms.quality.unusable import unusable_hours


@dataclass(frozen=True)
class QualityResult:
    """The quality step's tables (see the functions that make them) and the extract frames they describe."""

    window: pd.Series  # the extract's window: start, end, baseline_start, baseline_end (UTC)
    baseline_periods: pd.DataFrame  # per factory zone: timezone, baseline_start, baseline_end (UTC)
    machines: pd.DataFrame
    energy_hourly: pd.DataFrame
    summary: pd.DataFrame
    coverage: pd.DataFrame
    gaps: pd.DataFrame
    outliers: pd.DataFrame
    sufficiency: pd.DataFrame
    normal_mask: pd.DataFrame
    temperature_hourly: pd.DataFrame
    intervals: pd.DataFrame  # per machine: declared and measured reading interval, the one used (s), a note
    unusable: pd.DataFrame  # machine-type-hours whose energy value is not trusted, and what is used instead
    closures: pd.DataFrame  # closure days of machines without a mode history (enms.quality.closures)

    def products(self) -> dict[str, pd.DataFrame]:
        """The tables the step saves, by product name."""
        return {"summary": self.summary, "coverage": self.coverage, "gaps": self.gaps, "outliers": self.outliers,
                "sufficiency": self.sufficiency, "normal_mask": self.normal_mask,
                "temperature_hourly": self.temperature_hourly, "intervals": self.intervals,
                "unusable": self.unusable, "closures": self.closures}

    def longest_gaps(self, n: int = 20) -> pd.DataFrame:
        """The ``n`` longest runs of missing hours, longest first."""
        return self.gaps.sort_values("hours", ascending=False).drop(columns=["machine_id"]).head(n)

    def outlier_counts(self) -> pd.DataFrame:
        """Flagged hours per machine, energy type and reason."""
        return self.outliers.groupby(["machine_name", "energy_type", "reason"]).size().rename("hours").reset_index()

    def exclusions(self) -> pd.DataFrame:
        """Machine-hours kept out of baseline training, per machine (rows) and reason (columns)."""
        excluded = self.normal_mask[~self.normal_mask["is_normal"]].merge(
            self.machines[["machine_id", "machine_name"]], on="machine_id")
        return excluded.groupby(["machine_name", "reason"]).size().rename("hours").unstack(fill_value=0)


def baseline_periods(machines: pd.DataFrame, window: pd.Series) -> pd.DataFrame:
    """The baseline period of each factory zone of ``machines``: from the window's baseline start (its local
    midnight when given as a date, :func:`enms.localtime.baseline_begin`) to the
    local midnight at or after its ``baseline_end`` (where the baselines step splits), not past the window's
    end. Columns: timezone, baseline_start, baseline_end (UTC)."""
    zones = machine_table(machines, ("timezone",))["timezone"].unique()
    ends = [min(baseline_boundary(window, zone), window["end"]) for zone in zones]
    return pd.DataFrame({"timezone": zones, "baseline_start": [baseline_begin(window, zone) for zone in zones],
                         "baseline_end": ends})


def _sufficiency(energy: pd.DataFrame, environment: pd.DataFrame, machines: pd.DataFrame, window: pd.Series,
                 periods: pd.DataFrame) -> pd.DataFrame:
    """CalTRACK sufficiency of each machine over its zone's baseline period, in the order of ``machines``."""
    if periods.empty:  # no machines: the empty table
        return caltrack_sufficiency(energy, environment, machines, window["baseline_start"], window["baseline_end"])
    parts = [caltrack_sufficiency(energy, environment, machines[machines["timezone"] == p.timezone],
                                  p.baseline_start, p.baseline_end) for p in periods.itertuples()]
    position = {machine_id: i for i, machine_id in enumerate(machines["machine_id"].astype(str))}
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values("machine_id", key=lambda ids: ids.map(position), kind="stable", ignore_index=True)


def _with_operation(summary: pd.DataFrame, inferred: list[str], closures: pd.DataFrame) -> pd.DataFrame:
    """The summary with ``operation``: how normal operation is known, 'mode history' or, for a machine without
    one, 'inferred from energy' and its count of closure days."""
    days = closures.groupby("machine_id").size()
    inferred_text = {m: f"inferred from energy (no mode history), {int(days.get(m, 0))} closure days"
                     for m in inferred}
    return summary.assign(operation=summary["machine_id"].map(inferred_text).fillna("mode history"))


def _closures(extract_frames: Mapping[str, pd.DataFrame], machines: pd.DataFrame, window: pd.Series,
              inferred: list[str], calendar: Iterable[date] | None) -> pd.DataFrame:
    energy = extract_frames["energy_hourly"]
    factories = extract_frames.get("factories")
    years = range(window["start"].year, window["end"].year + 1)
    holidays = factory_holidays(factories, years) if factories is not None and inferred else {}
    return closure_days(energy, machines, inferred, holidays=holidays, calendar=calendar)


def run(extract_frames: Mapping[str, pd.DataFrame], *, spike_factor: float = settings.SPIKE_FACTOR,
        min_baseline_days: int = settings.MIN_BASELINE_DAYS, now: pd.Timestamp | None = None,
        calendar: Iterable[date] | None = None) -> QualityResult:
    """Coverage, gaps, outliers, the normal-operation mask and the interpolated outdoor temperature of the
    extract's products (``machines``, ``window``, ``energy_hourly``, ``environment_hourly``, ``mode_hourly``)
    over its window, and CalTRACK sufficiency over each factory's baseline period (:func:`baseline_periods`).
    Expected readings per hour follow each machine's reading interval as measured from its data where it
    disagrees with ``data_interval_seconds`` (:func:`enms.quality.intervals.reading_intervals`).

    The normal-operation mask is the usable hour every later step obeys (normal operation, complete, no
    duplicate readings, spike or negative value, over before ``now``, default the current time, UTC);
    ``unusable`` lists the hours whose energy value is not trusted (:func:`enms.quality.unusable_hours`) and
    ``sufficiency`` says whether each series can be fitted (:func:`enms.quality.fit_readiness`, at least
    ``min_baseline_days`` local days with a usable hour).

    A machine without a mode history has its normal operation inferred from its energy and its closure days
    listed in ``closures`` (:mod:`enms.quality.closures`; ``calendar``: local closure dates replacing the
    inference); the summary's ``operation`` says which machines."""
    machines = extract_frames["machines"]
    window = extract_frames["window"].iloc[0]
    energy, environment = extract_frames["energy_hourly"], extract_frames["environment_hourly"]
    start, end = window["start"], window["end"]
    intervals = reading_intervals(energy, machines)
    measured = with_intervals(machines, intervals)  # completeness against the interval the data show
    coverage = hourly_coverage(energy, measured, start, end)
    outliers = find_outliers(energy, measured, spike_factor=spike_factor)
    periods = baseline_periods(machines, window)
    sufficiency = _sufficiency(energy, environment, measured, window, periods)
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    mask = normal_operation_mask(extract_frames["mode_hourly"], energy, measured, start, end, outliers=outliers,
                                 now=now)
    sufficiency = fit_readiness(sufficiency, mask, periods, min_days=min_baseline_days)
    inferred = machines_without_modes(extract_frames["mode_hourly"], machines["machine_id"])
    closures = _closures(extract_frames, machines, window, inferred, calendar)
    return QualityResult(
        window=window,
        baseline_periods=periods,
        machines=machines,
        energy_hourly=energy,
        summary=_with_operation(quality_summary(coverage, outliers, sufficiency, mask, intervals), inferred,
                                closures),
        coverage=coverage,
        gaps=find_gaps(energy, measured, start, end),
        outliers=outliers,
        sufficiency=sufficiency,
        normal_mask=mask,
        temperature_hourly=interpolate_temperature(environment, start, end, machine_ids=machines["machine_id"]),
        intervals=intervals,
        unusable=unusable_hours(energy, measured, outliers, start, end),
        closures=closures,
    )
