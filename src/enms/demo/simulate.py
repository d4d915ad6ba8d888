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
from enms.demo.tables import closing_frames, dimension_frames, machine_frames


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
        yield from machine_frames(run)
        statuses.append(run.status)
        fault_rows += run.fault_rows
        measure_rows += run.measure_rows
        drift_rows += run.drift_rows
        run = None
    ctx = None
    yield from closing_frames(statuses, fault_rows, measure_rows,
                              [(names[o.machine].id, o.start, o.end) for o in plan.outages], drift_rows)
