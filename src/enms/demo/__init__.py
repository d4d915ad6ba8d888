"""The demo plant: the EnMS seed plant (`enms.demo.plant`) as seeded, realistic time series with known truth.

`simulate(DemoConfig())` yields ``(table, frame)`` chunks in load order: the dimension tables, then per
machine its ``energy_readings``, ``production_data`` and ``environmental_data``, then ``machine_status`` and
our truth tables (``enms_analytics.fault_truth``, ``.efficiency_measures``, ``.outage_truth``).

How the data is made, in causal order (all vectorised numpy; one machine's arrays alive at a time):

1. **Calendar** in each factory's local time (zoneinfo, so DST days have 23 or 25 hours): shifts (Los Angeles
   A 06-14, B 14-22 Mon-Fri plus a Saturday morning on some weeks; Berlin A/B/C around the clock from
   Sunday 22:00 to Saturday 06:00), short breaks, public holidays and a Christmas-New-Year shutdown.
2. **Weather** per factory: seasonal and daily cycles plus multi-day AR(1) anomalies, hourly, interpolated.
3. **Modes** per machine: running/idle from the calendar, `offline` on holidays, monthly planned
   `maintenance` blocks, a few unplanned `fault` stops per quarter.
4. **Production** from the schedule (product per shift, line-rate variation, slowdowns, 1-4 % scrap);
   units are made only in `running` intervals. Utilities report the output of the line they serve.
5. **Power** (kW) computed from mode, production and weather with a physical model per machine type.
6. **Faults and the efficiency measure** are applied on top of that counterfactual power; the truth
   tables hold what they *measurably* changed (same random draws with and without them).
7. **Communication outages** remove rows from all three time-series tables.

Randomness is seeded per factory (``SeedSequence([seed, 1000 + factory_index, stream])``) and per machine
(``SeedSequence([seed, machine_index, stream])``), so a subset of machines reproduces the same data.

The fault plan (`demo_plan`) is hand-made for 400 days and scaled to the configured period; a planned
fault that changed nothing measurable (say, its machine stood still throughout) is left out of the truth.

Modules: ``plant`` (the seed plant), ``config`` (DemoConfig, the time grid), ``signals`` (AR(1), lags,
slowdowns), ``factory`` (calendar, weather, line), ``plan`` (faults, measure, outages), ``models`` (power
models per machine type), ``machine`` (one machine's run and truth), ``tables`` (warehouse frames),
``simulate`` (all of it in load order); ``fleet`` and ``fleet_plant`` (`enms demo --fleet N`: the same machine types
over many factories and zones, to benchmark on).
"""

from enms.demo import plant
from enms.demo.config import DemoConfig
from enms.demo.models import MODES
from enms.demo.plan import FAULT_TYPES, DemoPlan, PlannedFault, PlannedMeasure, PlannedOutage, demo_plan
from enms.demo.simulate import simulate
from enms.demo.tables import SOURCE

__all__ = [
    "FAULT_TYPES",
    "MODES",
    "SOURCE",
    "DemoConfig",
    "DemoPlan",
    "PlannedFault",
    "PlannedMeasure",
    "PlannedOutage",
    "demo_plan",
    "plant",
    "simulate",
]
