"""The demo plant's fault plan: enough faults of enough types, none overlapping, outages clear of them."""

from __future__ import annotations

import pandas as pd

from enms.demo import FAULT_TYPES, DemoConfig, demo_plan, plant


def test_default_plan_has_enough_faults_of_enough_types():
    config = DemoConfig()
    plan = demo_plan(config)
    assert len(plan.faults) >= 20
    assert len({f.fault_type for f in plan.faults}) >= 6
    assert {f.fault_type for f in plan.faults} <= set(FAULT_TYPES)
    assert len(plan.measures) == 1 and plan.measures[0].machine == "Compressor-1"
    assert plan.baseline_end == pd.Timestamp("2026-09-28 07:00", tz="UTC")  # local midnight in Los Angeles
    reporting = [f for f in plan.faults if f.start >= plan.baseline_end]
    assert len(reporting) >= 5
    assert len(plan.faults) - len(reporting) >= len(plan.faults) // 3
    for machine in {f.machine for f in plan.faults}:
        mine = sorted((f.start, f.end) for f in plan.faults if f.machine == machine)
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(mine, mine[1:], strict=False))
        for o in plan.outages:
            if o.machine == machine:
                assert all(o.end <= s or e <= o.start for s, e in mine)
    measured = [f for f in plan.faults if f.machine == "Compressor-1"]
    assert all(f.end <= plan.measures[0].start for f in measured)
    for machine in (m.name for m in plant.MACHINES):
        assert 2 <= sum(o.machine == machine for o in plan.outages) <= 4
