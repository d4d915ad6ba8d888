"""Unit tests of enms.report.run: the whole report of a hand-made factory-month in one call (frames: conftest)."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from enms import report
from enms.report import run


def test_build_returns_every_part_in_order_with_text_where_nothing_is_to_show(frames, hourly, baselines,
                                                                              plant_incidents) -> None:
    gaps = pd.DataFrame({"machine_id": ["m1"], "energy_type": ["electricity"],
                         "gap_start": [pd.Timestamp("2026-06-30 00:00", tz="UTC")],
                         "gap_end": [pd.Timestamp("2026-07-02 00:00", tz="UTC")]})  # 31 h inside June (local)
    built = report.build(frames, "demo-manufacturing-plant", "2026-06", gaps=gaps, expected_hourly=hourly,
                         candidates=baselines, incidents=plant_incidents, code_version="abc")
    assert built.scope.label == "June 2026" and built.scope.filename == "demo-manufacturing-plant-2026-06.html"
    assert built.title.startswith("# Energy report: Demo Manufacturing Plant")
    assert "**saved 700 kWh**" in built.summary_text and "3 incidents" in built.summary_text
    assert isinstance(built.energy_table, Styler) and isinstance(built.performance_table, Styler)
    assert built.forecast == []  # no forecasts given
    assert built.trend_figure == run.NO_TREND  # no monthly KPI table given
    assert isinstance(built.daily_figure, Figure) and isinstance(built.demand_figure, Figure)
    headings = [item for item in built.machines if isinstance(item, str) and item.startswith("### ")]
    assert headings == ["### Boiler-1\nBoiler · rated 45 kW", "### Compressor-1\nCompressor · rated 55 kW"]
    assert "abc" in built.footer and "demo-manufacturing-plant-2026-06.html" in built.footer
    html = built.completeness_table.to_html()
    assert "Compressor-1" in html and ">31<" in html  # the longest gap, clipped to the period (hours)


def test_data_completeness_counts_hours_and_clipped_gaps(frames) -> None:
    scope = report.report_scope(frames, "demo-manufacturing-plant", "2026-06-01", "2026-06-11")
    gaps = pd.DataFrame({"machine_id": ["m1", "m1"], "energy_type": ["electricity"] * 2,
                         "gap_start": pd.to_datetime(["2026-06-02 07:00", "2026-06-10 17:00"], utc=True),
                         "gap_end": pd.to_datetime(["2026-06-02 10:00", "2026-06-20 00:00"], utc=True)})
    table = report.data_completeness(frames, scope, gaps).set_index(["Machine", "Energy type"])
    assert table.loc[("Compressor-1", "Electricity"), "Hours with data (%)"] == pytest.approx(100.0)
    assert table.loc[("Compressor-1", "Electricity"), "Gaps"] == 2
    # the second gap ends after the period (11 June, 07:00 UTC): 14 h of it are inside
    assert table.loc[("Compressor-1", "Electricity"), "Longest gap (h)"] == pytest.approx(14.0)
    assert table.loc[("Boiler-1", "Steam"), "Gaps"] == 0


def test_an_enms_factory_without_demand_charge_or_carbon_region(frames) -> None:
    # The EnMS's own rows: tariffs with demand_charge_per_kw NULL, a factory without metadata.carbon_region
    frames["tariffs"] = frames["tariffs"].assign(demand_charge_per_kw=None)
    frames["factories"] = frames["factories"].assign(location=["Los Angeles, CA, USA", "Düsseldorf, Germany"],
                                                     metadata=['{"currency": "USD"}', '{"currency": "EUR"}'])
    built = report.build(frames, "demo-manufacturing-plant", "2026-06")
    assert not built.scope.has_demand_charge
    elec = built.period["factory"].set_index("energy_type").loc["electricity"]
    # 264 h x 10 kWh x 0.25 + 456 h x 10 kWh x 0.10 = 1116 USD, with no demand charge on top
    assert elec["demand_charge"] == 0.0 and elec["total_cost"] == pytest.approx(1116.0)
    assert "no demand charge in this tariff" in built.summary_text
    assert "There is no demand charge in this tariff" in built.energy_note
    tariff_html, appendix_html = built.tariff_table.to_html(), built.tariffs_table.to_html()
    assert "no demand charge in this tariff" in tariff_html and ">1,116<" in tariff_html  # the total
    assert appendix_html.count("no demand charge in this tariff") == 2  # Peak and Off-Peak
    assert "no demand charge in this tariff" in built.demand_table.to_html()
    carbon_html = built.carbon_table.to_html()
    assert ">0.220<" in carbon_html  # US-California's factor, not the 0.45 default
    assert ("grid factor of region 'US-California' valid on each local date (the region chosen from the factory's "
            "location 'Los Angeles, CA, USA')") in carbon_html
