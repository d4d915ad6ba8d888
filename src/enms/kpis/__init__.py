"""KPIs and EnPIs: energy, SEC, 15-minute peak demand, load factor, time-of-use cost, carbon, EnPI, CUSUM.

Pure functions: frames in, frames out (the extract step's products). Nothing here reads the warehouse.
:func:`run` is the step (every factory, per local day, week and month); :func:`kpi_table` one factory's window.

Conventions every function follows
----------------------------------
* ``bucket`` is the bucket **start**, tz-aware UTC; intervals are half-open ``[start, end)``.
* Periods (``freq`` = ``"day"``, ``"week"`` (ISO, Monday start) or ``"month"``) are **local** calendar periods
  in each factory's IANA zone, so a spring-forward day has 23 h and a fall-back day 25 h. A bucket belongs to
  the period holding its local start. ``freq=None`` makes one period of the window ``[start, end)``.
* ``start`` / ``end`` are **local wall-clock** dates (naive: ``"2026-10-01"``), read in each factory's zone.
* Every period table carries ``period`` (label: ``2026-03-08``, ``2026-W10``, ``2026-03``, or
  ``2026-03-01/2026-04-01`` for a free window), ``period_start`` / ``period_end`` (naive local wall-clock,
  end exclusive, clipped to the window), ``hours`` (the real elapsed hours of the period),
  ``start_utc`` / ``end_utc`` (the same bounds as UTC instants) and ``timezone``.
* Energy types are never summed together: every result is per ``energy_type`` (``electricity``,
  ``natural_gas``, ``steam``); a factory total is a total per energy type. kWh of gas and steam are
  kWh-equivalents; native units are m³ of gas (kWh / 10.55) and kg of steam (kWh / 2.26).
* Steam is an internal product of the boiler: its fuel (natural gas) and the boiler's electricity are already
  costed and carbon-counted, so steam rows get cost 0 and carbon 0 by design (never counted twice).
* Money is in the factory's currency (``factories.metadata`` ``currency``, else its tariffs' currency).
* Tariffs are matched in LOCAL time: validity dates, ``applicable_days`` (0 = Sunday) and half-open windows
  ``[start_hour, end_hour)`` that wrap midnight when start > end. A tariff that is the only one applying on a
  local date covers all of it (Off-Peak 21→9 "all days" is all of Sunday when Peak is Mon–Fri); otherwise
  exactly one window must hold each hour, and a gap or an overlap is a ValueError naming factory and time.
* Demand charges are per billing month (local calendar month): the factory's coincident peak 15-minute
  demand × the highest ``demand_charge_per_kw`` among its tariffs valid on the peak's local date; a missing
  (NULL) demand charge means the tariff has none (0).

Modules: ``periods`` (local periods), ``energy`` (energy, production, SEC), ``demand`` (15-minute demand, peak,
load factor), ``cost`` (tariffs, energy cost, demand charges), ``carbon``, ``enpi`` (ratio and regression EnPI,
CUSUM, M&V hours, baseline SEC), ``validity`` (active rows, validity dates), ``tables`` (one factory's KPI table),
``issues`` (the energy counted where quality distrusts a value, and the data issues listed), ``run`` (the step).
"""

from enms.kpis.carbon import (
    RegionChoice,
    carbon,
    carbon_region,
    carbon_regions,
    choose_carbon_region,
    electricity_carbon_factors,
)
from enms.kpis.cost import demand_charges, energy_cost, has_demand_charge, tariff_rates
from enms.kpis.demand import DEMAND_INTERVAL_HOURS, demand_energy, demand_profile, load_factor, peak_demand
from enms.kpis.energy import energy_by_period, native_quantity, production_by_period, sec
from enms.kpis.enpi import baseline_sec_table, cusum, mv_expected, ratio_enpi, regression_enpi
from enms.kpis.issues import DATA_ISSUE_COLUMNS, data_issues, usable_energy
from enms.kpis.periods import FREQS, PERIOD_COLUMNS, Freq, Level, LocalBound
from enms.kpis.run import KPI_TABLE_FRAMES, run
from enms.kpis.tables import kpi_table
from enms.units import NATIVE_UNITS

__all__ = [
    "DATA_ISSUE_COLUMNS",
    "DEMAND_INTERVAL_HOURS",
    "FREQS",
    "KPI_TABLE_FRAMES",
    "NATIVE_UNITS",
    "PERIOD_COLUMNS",
    "Freq",
    "Level",
    "LocalBound",
    "RegionChoice",
    "baseline_sec_table",
    "carbon",
    "carbon_region",
    "carbon_regions",
    "choose_carbon_region",
    "cusum",
    "data_issues",
    "demand_charges",
    "demand_energy",
    "demand_profile",
    "electricity_carbon_factors",
    "energy_by_period",
    "energy_cost",
    "has_demand_charge",
    "kpi_table",
    "load_factor",
    "mv_expected",
    "native_quantity",
    "peak_demand",
    "production_by_period",
    "ratio_enpi",
    "regression_enpi",
    "run",
    "sec",
    "tariff_rates",
    "usable_energy",
]
