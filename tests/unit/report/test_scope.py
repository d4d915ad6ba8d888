"""Unit tests of enms.report.scope: periods in local time, factory names and file names (frames: conftest)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from enms import report

LA = "America/Los_Angeles"
PLANT, OTHER = "Demo Manufacturing Plant", "Werk Düsseldorf"


# ------------------------------------------------------------------------------------------- periods and names
def test_last_full_month_is_taken_in_local_time_across_a_dst_month() -> None:
    # March 2026 in Los Angeles: DST starts on the 8th, so the month has 743 h and ends at 07:00 UTC (PDT).
    assert report.last_full_month(pd.Timestamp("2026-04-01 07:00", tz="UTC"), LA) == (date(2026, 3, 1),
                                                                                     date(2026, 4, 1))
    # Half an hour earlier it is still 31 March, 23:30 local: March is not over (a UTC calendar would say it is).
    assert report.last_full_month(pd.Timestamp("2026-04-01 06:30", tz="UTC"), LA) == (date(2026, 2, 1),
                                                                                     date(2026, 3, 1))
    # November (fall back on the 1st) ends at 08:00 UTC (PST).
    assert report.last_full_month(pd.Timestamp("2026-12-01 08:00", tz="UTC"), LA) == (date(2026, 11, 1),
                                                                                     date(2026, 12, 1))
    assert report.last_full_month(pd.Timestamp("2026-12-01 07:59", tz="UTC"), LA)[0] == date(2026, 10, 1)
    # The demo plant: data to 2026-11-02 00:00 UTC = 1 Nov 17:00 PDT -> October 2026.
    assert report.last_full_month(pd.Timestamp("2026-11-02", tz="UTC"), LA) == (date(2026, 10, 1), date(2026, 11, 1))
    with pytest.raises(ValueError, match="no full local month"):
        report.last_full_month(pd.Timestamp("2026-04-01 07:00", tz="UTC"), LA,
                               window_start_utc=pd.Timestamp("2026-03-05", tz="UTC"))
    with pytest.raises(ValueError, match="tz-aware"):
        report.last_full_month(pd.Timestamp("2026-04-01"), LA)


def test_a_report_period_has_its_real_length_in_hours(frames) -> None:
    frames["window"] = pd.DataFrame({"start": [pd.Timestamp("2026-01-01", tz="UTC")],
                                     "end": [pd.Timestamp("2026-12-15", tz="UTC")],
                                     "baseline_start": [pd.Timestamp("2026-01-01", tz="UTC")],
                                     "baseline_end": [pd.Timestamp("2026-05-15 12:00", tz="UTC")]})
    assert report.report_scope(frames, "demo-manufacturing-plant", "2026-03").hours == 743.0
    november = report.report_scope(frames, PLANT, "2026-11-01", "2026-12-01")
    assert november.hours == 721.0 and november.label == "November 2026"
    assert november.start_utc == pd.Timestamp("2026-11-01 07:00", tz="UTC")  # local midnight, PDT
    assert november.end_utc == pd.Timestamp("2026-12-01 08:00", tz="UTC")  # local midnight, PST
    assert report.report_scope(frames, PLANT).start == date(2026, 11, 1)  # default: the last full month
    # the baseline year ends on 15 May, 05:00 local: the reporting period starts at the next local midnight
    may = report.report_scope(frames, PLANT, "2026-05")
    assert may.mv_status == "mixed" and may.reporting_start_local == date(2026, 5, 16)
    assert report.report_scope(frames, PLANT, "2026-04").mv_status == "baseline"
    assert report.report_scope(frames, PLANT, "2026-06").mv_status == "reporting"
    with pytest.raises(ValueError, match="no data in"):
        report.report_scope(frames, PLANT, "2027-01")


def test_resolve_period_forms_and_errors() -> None:
    end = pd.Timestamp("2026-11-02", tz="UTC")
    assert report.resolve_period("", "", end, LA) == (date(2026, 10, 1), date(2026, 11, 1))
    assert report.resolve_period(None, None, end, LA) == (date(2026, 10, 1), date(2026, 11, 1))
    assert report.resolve_period("2025-10", "", end, LA) == (date(2025, 10, 1), date(2025, 11, 1))
    assert report.resolve_period("2026-10-05", "2026-10-20", end, LA) == (date(2026, 10, 5), date(2026, 10, 20))
    with pytest.raises(ValueError, match="not after"):
        report.resolve_period("2026-10-05", "2026-10-05", end, LA)
    with pytest.raises(ValueError, match="give both"):
        report.resolve_period("2026-10-05", "", end, LA)
    with pytest.raises(ValueError, match="local date"):
        report.resolve_period("October", "2026-11-01", end, LA)


def test_resolve_factory_by_slug_name_or_id_and_errors_name_the_known_factories(frames) -> None:
    assert report.resolve_factory(frames, "demo-manufacturing-plant")["factory_id"] == "f1"
    assert report.resolve_factory(frames, PLANT)["factory_id"] == "f1"
    assert report.resolve_factory(frames, "demo manufacturing PLANT")["factory_id"] == "f1"
    assert report.resolve_factory(frames, "f2")["factory_name"] == OTHER
    assert report.resolve_factory(frames, "werk-dusseldorf")["timezone"] == "Europe/Berlin"
    with pytest.raises(ValueError) as error:
        report.resolve_factory(frames, "Springfield Plant")
    message = str(error.value)
    assert "unknown factory 'Springfield Plant'" in message
    assert PLANT in message and "demo-manufacturing-plant" in message and "werk-dusseldorf" in message
    with pytest.raises(ValueError, match="no factory given"):
        report.resolve_factory(frames, "")


def test_report_filename() -> None:
    assert report.slug("Demo Manufacturing Plant") == "demo-manufacturing-plant"
    assert report.slug(" Werk Düsseldorf (Nord) ") == "werk-dusseldorf-nord"
    assert report.report_filename(PLANT, "2026-10") == "demo-manufacturing-plant-2026-10.html"
    assert report.report_filename(PLANT, "2026-10-01") == "demo-manufacturing-plant-2026-10.html"
    month = report.report_filename(PLANT, date(2026, 10, 1), date(2026, 11, 1))
    assert month == "demo-manufacturing-plant-2026-10.html"
    assert report.report_filename(PLANT, "2026-10-05", "2026-10-20") == \
        "demo-manufacturing-plant-2026-10-05_2026-10-20.html"
    assert report.report_filename(PLANT, "2026-10-01", "2026-12-01") == \
        "demo-manufacturing-plant-2026-10-01_2026-12-01.html"
