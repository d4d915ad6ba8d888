"""`simulate`: the demo plant, table by table, in load order (see the package docstring for how)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from enms.demo import plant
from enms.demo.config import DemoConfig, config_grid, selected_machines
from enms.demo.factory import Context, factory_context
from enms.demo.iso50001 import seed_frames
from enms.demo.machine import simulate_machine
from enms.demo.plan import demo_plan
from enms.demo.tables import (
    dimension_frames,
    energy_frames,
    environmental_frame,
    production_frame,
    truth_frame,
)
from enms.io.warehouse.schema import OWN_SCHEMA


def simulate(config: DemoConfig) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield (table_name, frame) chunks in load order: the dimension tables, then per machine its
    energy_readings, production_data and environmental_data, then machine_status and our truth tables (faults,
    measures, outages, then the permanent changes of behaviour: drift_truth).

    A machine's energy_readings come as one chunk per energy type (the boiler: electricity, natural_gas,
    steam). Times are UTC (``datetime64[us, UTC]``), a reading at ``time`` covering [time, time + resolution);
    power in kW, energy in kWh (gas and steam as kWh-equivalents, native m³ / kg in metadata).
    Raises ValueError for an unknown machine name or an unusable resolution or end.
    """
    selected = selected_machines(config)
    grid = config_grid(config)
    plan = demo_plan(config)
    yield from dimension_frames(selected, grid.step_s)
    # The EnMS's ISO 50001 rows (its SEUs, targets, an adjustment): reference data, like the machines.
    yield from seed_frames({m.name: m.id for _, m in selected}, {s.name: s.id for s in plant.ENERGY_SOURCES},
                           {f.name: f.id for f in plant.FACTORIES},
                           adjustment_date=(plan.baseline_end + pd.Timedelta(days=17)).date())
    names = {m.name: m for _, m in selected}
    statuses: list[dict] = []
    fault_rows: list[dict] = []
    measure_rows: list[dict] = []
    drift_rows: list[dict] = []
    ctx: Context | None = None
    for idx, m in selected:
        if ctx is None or ctx.factory.name != m.factory:
            ctx = None  # free the previous factory's arrays before building the next
            ctx = factory_context(plant.factory(m.factory), grid, config.seed)
        run = simulate_machine(idx, m, ctx, plan, config.seed, config.inject_faults)
        for frame in energy_frames(run):
            yield "energy_readings", frame
        yield "production_data", production_frame(run)
        yield "environmental_data", environmental_frame(run)
        statuses.append(run.status)
        fault_rows += run.fault_rows
        measure_rows += run.measure_rows
        drift_rows += run.drift_rows
        run = None
    ctx = None
    yield "machine_status", truth_frame("machine_status", statuses)
    yield f"{OWN_SCHEMA}.fault_truth", truth_frame(f"{OWN_SCHEMA}.fault_truth",
                                                   sorted(fault_rows, key=lambda r: r["fault_id"]))
    yield f"{OWN_SCHEMA}.efficiency_measures", truth_frame(f"{OWN_SCHEMA}.efficiency_measures", measure_rows)
    yield f"{OWN_SCHEMA}.outage_truth", truth_frame(f"{OWN_SCHEMA}.outage_truth", [
        {"machine_id": names[o.machine].id, "start_time": o.start, "end_time": o.end,
         "description": "communication outage: the gateway sent no readings"} for o in plan.outages])
    yield f"{OWN_SCHEMA}.drift_truth", truth_frame(f"{OWN_SCHEMA}.drift_truth", drift_rows)
