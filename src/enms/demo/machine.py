"""One machine's run on the grid: its modes, production, counterfactual power, a permanent change of behaviour
(drift), the faults and the measure applied on top, and the truth they measurably made.

Randomness is seeded per machine (``SeedSequence([seed, machine_index, stream])``), so a subset of machines
reproduces the same data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from enms.demo.factory import LINE_MEAN, Context
from enms.demo.models import FAULT, IDLE, MAINT, MODELS, MODES, OFF, OWN_UNITS_H, RUN, STOP_REASONS, Draws
from enms.demo.plan import (
    FINAL_MAINTENANCE_H,
    VSD_IDLE,
    VSD_RUNNING,
    DemoPlan,
    PlannedDrift,
    PlannedFault,
    PlannedMeasure,
)
from enms.demo.plant import Machine
from enms.demo.signals import ar1, slowdowns

_PRODUCTION_TYPES = ("motor", "pump", "injection_molding")
_TARGET_SPEED = np.array([100.0, 90.0])  # % per product


@dataclass
class MachineRun:
    """One simulated machine: its arrays on the full grid and the rows kept (outages removed)."""

    machine: Machine
    ctx: Context
    keep: np.ndarray
    estimated: np.ndarray
    mode: np.ndarray
    reason: np.ndarray
    count: np.ndarray
    bad: np.ndarray
    speed: np.ndarray
    target: np.ndarray
    power: dict[str, np.ndarray]  # rounded kW per energy type, as written
    env: dict[str, np.ndarray]
    draws: Draws
    fault_rows: list[dict]
    measure_rows: list[dict]
    drift_rows: list[dict]
    status: dict


def _modes(m: Machine, ctx: Context, rng: np.random.Generator,
           keep_clear: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Mode per interval (RUN..OFF) and downtime reason index (into STOP_REASONS). Stops and maintenance
    stay out of the ``keep_clear`` windows (short faults, whose effect a stop would wipe out)."""
    cal, grid = ctx.cal, ctx.grid

    def clear(s: int, length: int) -> bool:
        return not any(s < b and a < s + length for a, b in keep_clear)

    if m.type in _PRODUCTION_TYPES:
        mode = np.where(cal.in_shift & ~cal.in_break, RUN, IDLE)
    elif m.type == "hvac":
        mode = np.where(cal.occupied, RUN, IDLE)
    else:
        mode = np.where(cal.in_shift, RUN, IDLE)
    mode = np.where(cal.offline, OFF, mode).astype(np.int8)
    reason = np.zeros(grid.n, dtype=np.int8)
    shifts = np.flatnonzero(cal.in_shift)
    # Unplanned stops: a few per quarter, 1-6 h, starting while the factory works.
    n_stops = max(1, int(rng.poisson(3.0 * grid.n * grid.dt_h / (91 * 24))))
    starts = rng.choice(shifts, n_stops) if shifts.size else np.zeros(0, dtype=np.int64)
    lengths = [grid.intervals(h) for h in rng.uniform(1, 6, n_stops)]
    causes = rng.integers(2, len(STOP_REASONS), n_stops)
    for s, length, cause in zip(starts, lengths, causes, strict=False):
        if clear(s, length):
            mode[s:s + length], reason[s:s + length] = FAULT, cause
    # Planned maintenance: one 4-8 h block per 30 days, starting 06:00-10:00 local on a working day.
    cand = np.flatnonzero(cal.in_shift & (cal.weekday < 5) & (cal.local_min % 60 == 0)
                          & (cal.local_min >= 360) & (cal.local_min <= 600))
    block = grid.intervals(30 * 24)
    for b0 in range(0, grid.n, block):
        u, hours = rng.random(), rng.integers(4, 9)
        here = cand[(cand >= b0) & (cand < b0 + block)]
        s, length = int(here[int(u * here.size)]) if here.size else 0, grid.intervals(hours)
        if here.size and clear(s, length):
            mode[s:s + length], reason[s:s + length] = MAINT, 1
    if m.name in FINAL_MAINTENANCE_H:
        k = grid.intervals(FINAL_MAINTENANCE_H[m.name])
        mode[-k:], reason[-k:] = MAINT, 1
    return mode, reason


def _production(m: Machine, ctx: Context, mode: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Units per interval (int64), bad units, speed and target speed (%), and the model load: the
    machine's own rate fraction (production machines) or the factory's line activity (utilities)."""
    cal, n, dt = ctx.cal, ctx.grid.n, ctx.grid.dt_min
    run = mode == RUN
    nan = np.full(n, np.nan)
    if m.production_basis == "none":
        return np.zeros(n, np.int64), np.zeros(n, np.int64), nan, nan, ctx.activity
    if m.production_basis == "own output":
        rate = ctx.line_rate * (1 + 0.03 * ar1(rng, n, dt, 20)) * slowdowns(rng, n, dt, 2, (10, 60), (0.5, 0.85))
        rate = np.where(run, np.clip(rate, 0, 1.08), 0.0)
        units_h = (np.array(OWN_UNITS_H[m.key]) * m.scale)[cal.product]
        target = np.where(run, _TARGET_SPEED[cal.product], 0.0)
        speed, load = np.round(target * rate, 1), rate
    else:  # a utility reports the output of the line it serves
        rate = np.where(run & ~cal.in_break, ctx.line_rate, 0.0)
        units_h = np.array(ctx.site.line_units_h)[cal.product]
        speed, target, load = nan, nan, ctx.activity
    count = rng.poisson(rate * units_h * ctx.grid.dt_h).astype(np.int64)
    scrap = np.clip(0.03 + 0.008 * ar1(rng, n, dt, 1440), 0.012, 0.06)
    bad = rng.binomial(count, scrap).astype(np.int64)
    return count, bad, speed, target, load


def _inject(m: Machine, ctx: Context, mode: np.ndarray, load: np.ndarray, draws: Draws, cf: dict,
            env: dict, faults: list[PlannedFault], measure: PlannedMeasure | None) -> dict:
    """Power with the faults and the measure applied on top of the counterfactual ``cf`` (kW per energy
    type); ``env`` is changed in place to show their side effects."""
    grid = ctx.grid
    power = {k: v.copy() for k, v in cf.items()}
    on = mode <= IDLE
    if any(f.fault_type == "left_running" for f in faults):
        # Running-level power with no production: the model re-run as if running (same draws).
        alt_load = load if m.type == "hvac" else np.full(grid.n, LINE_MEAN)
        alt = MODELS[m.type](m, ctx, np.where(mode == IDLE, RUN, mode).astype(np.int8), alt_load, draws)[0]
    for f in faults:
        i0, i1 = grid.index(f.start), grid.index(f.end)
        w = slice(i0, i1)
        p = power[f.energy_type]
        if f.fault_type == "left_running":
            p[w] = np.where(mode[w] == IDLE, alt[f.energy_type][w], p[w])
            continue
        ramp = np.arange(1, i1 - i0 + 1) / (i1 - i0)
        grow = ramp if f.fault_type in ("bearing_wear", "slow_drift") else np.ones(i1 - i0)
        hit = mode[w] == RUN if f.fault_type == "overload" else on[w]
        factor = np.where(hit, 1 + f.size * grow, 1.0)
        p[w] *= factor
        e = {k: v[w] for k, v in env.items()}  # views: edits land in env
        match f.fault_type:
            case "air_leak" | "seal_leak":
                e["flow_rate_m3h"] *= factor
                if f.fault_type == "seal_leak":
                    e["pressure_bar"] *= np.where(hit, 0.95, 1.0)
                    e["machine_temp_c"] += 4 * hit
            case "fouling" | "refrigerant_leak":
                if m.type == "boiler":
                    e["flow_rate_m3h"] *= factor
                else:
                    e["cop"] /= factor
            case "bearing_wear":
                e["vibration_mm_s"] *= np.where(hit, 1 + 2.5 * grow, 1.0)
                e["machine_temp_c"] += 6 * grow * hit
            case "heater_fault":
                e["machine_temp_c"] += 15 * hit
            case "overload":
                e["machine_temp_c"] += 12 * hit
                e["vibration_mm_s"] *= np.where(hit, 1.3, 1.0)
    if measure is not None:
        w = slice(grid.index(measure.start), grid.n)
        factor = np.where(on[w], 1 - measure.design_saving_fraction, 1.0)
        power[measure.energy_type][w] *= factor
        env["flow_rate_m3h"][w] *= factor
        env["pressure_bar"][w] -= 0.5 * on[w]
        env["pressure_setpoint_bar"][w] = 6.5
    return power


# The load/unload compressor's power while on, rated x (_UNLOADED + _LOADED_SHARE x demand): enms.demo.models.
_UNLOADED, _LOADED_SHARE = 0.28, 0.70


def _drift(power: dict[str, np.ndarray], m: Machine, mode: np.ndarray, i0: int) -> dict[str, np.ndarray]:
    """``power`` (kW per energy type) with the compressor's VSD drift from interval ``i0`` on: the air demand the
    load/unload power implies, served at rated x (base + slope x demand) of VSD_RUNNING while running and of
    VSD_IDLE while idle. Derived from the power itself (no new random draws): every other series stays as it was."""
    p = power["electricity"].copy()
    for modes, (base, slope) in ((RUN, VSD_RUNNING), (IDLE, VSD_IDLE)):
        rows = np.flatnonzero(mode[i0:] == modes) + i0
        demand = (p[rows] / m.rated_power_kw - _UNLOADED) / _LOADED_SHARE
        p[rows] = m.rated_power_kw * (base + slope * demand)
    return {**power, "electricity": p}


def _finish(power: dict[str, np.ndarray], rated_kw: float) -> dict[str, np.ndarray]:
    """Clip (electricity to 1.1 x rated) and round to the 3 decimals power_kw is stored with."""
    return {k: np.round(np.clip(v, 0, 1.1 * rated_kw if k == "electricity" else None), 3)
            for k, v in power.items()}


def simulate_machine(idx: int, m: Machine, ctx: Context, plan: DemoPlan, seed: int, inject: bool) -> MachineRun:
    """Simulate one machine; with ``inject`` the faults and the measure are applied and measured."""
    grid = ctx.grid
    rng = np.random.default_rng(np.random.SeedSequence([seed, idx, 2]))
    faults = [f for f in plan.faults if f.machine == m.name]
    short = [(grid.index(f.start), grid.index(f.end)) for f in faults if f.end - f.start < pd.Timedelta(days=3)]
    mode, reason = _modes(m, ctx, rng, short)
    count, bad, speed, target, load = _production(m, ctx, mode, rng)
    draws = Draws.draw(rng, grid.n, grid.dt_min)
    health = 100 - rng.uniform(1, 8)
    cf_raw, env = MODELS[m.type](m, ctx, mode, load, draws)
    drifts: list[PlannedDrift] = [x for x in plan.drifts if x.machine == m.name] if inject else []

    def changed(kw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        # The drift is the machine's new normal: the counterfactual (no faults) and the faulty run both have it.
        for x in drifts:
            kw = _drift(kw, m, mode, grid.index(x.start))
        return kw

    cf = _finish(changed(cf_raw), m.rated_power_kw)
    measures = [x for x in plan.measures if x.machine == m.name]
    fault_rows: list[dict] = []
    measure_rows: list[dict] = []
    power = cf
    if inject:
        power = _finish(changed(_inject(m, ctx, mode, load, draws, cf_raw, env, faults,
                                        measures[0] if measures else None)), m.rated_power_kw)
        for f in faults:
            w = slice(grid.index(f.start), grid.index(f.end))
            pw, pcf = power[f.energy_type][w], cf[f.energy_type][w]
            extra = np.round(pw * grid.dt_h, 6) - np.round(pcf * grid.dt_h, 6)
            if not extra.any() or not pcf.any():
                continue  # it changed nothing (e.g. the machine stood still throughout): no truth to find
            fault_rows.append({
                "fault_id": f.fault_id, "machine_id": m.id, "machine_name": m.name, "energy_type": f.energy_type,
                "fault_type": f.fault_type, "start_time": f.start, "end_time": f.end,
                "description": f.description, "expected_effect": f.expected_effect,
                "power_change_pct": 100 * float(np.mean(pw - pcf)) / float(np.mean(pcf)),
                "extra_energy_kwh": float(extra.sum()), "in_baseline_period": bool(f.start < plan.baseline_end),
            })
    keep = np.ones(grid.n, dtype=bool)
    estimated = np.zeros(grid.n, dtype=bool)
    for o in plan.outages:
        if o.machine == m.name:
            i0, i1 = grid.index(o.start), grid.index(o.end)
            keep[i0:i1] = False
            estimated[i1:i1 + grid.intervals(0.25)] = True  # the gateway's back-filled first readings
    drift_rows = []
    for x in drifts:  # its energy effect against the machine as it was (no faults on either side)
        w = (np.arange(grid.n) >= grid.index(x.start)) & keep
        before = float(np.round(_finish(cf_raw, m.rated_power_kw)[x.energy_type][w] * grid.dt_h, 6).sum())
        after = float(np.round(cf[x.energy_type][w] * grid.dt_h, 6).sum())
        drift_rows.append({
            "drift_id": x.drift_id, "machine_id": m.id, "machine_name": m.name, "energy_type": x.energy_type,
            "start_time": x.start, "description": x.description, "expected_effect": x.expected_effect,
            "counterfactual_kwh": before, "actual_kwh": after, "saving_kwh": before - after,
            "saving_fraction": (before - after) / before if before else np.nan,
        })
    if inject:
        for x in measures:
            w = np.arange(grid.n) >= grid.index(x.start)
            w &= keep
            cf_kwh = float(np.round(cf[x.energy_type][w] * grid.dt_h, 6).sum())
            actual = float(np.round(power[x.energy_type][w] * grid.dt_h, 6).sum())
            measure_rows.append({
                "measure_id": x.measure_id, "machine_id": m.id, "machine_name": m.name,
                "energy_type": x.energy_type, "name": x.name, "description": x.description,
                "start_time": x.start, "end_time": pd.NaT, "design_saving_fraction": x.design_saving_fraction,
                "counterfactual_kwh": cf_kwh, "actual_kwh": actual, "saving_kwh": cf_kwh - actual,
                "saving_fraction": (cf_kwh - actual) / cf_kwh if cf_kwh else np.nan,
            })
    last = int(np.flatnonzero(keep)[-1])
    t_last = grid.time(last)
    active = inject and any(f.start <= t_last < f.end for f in faults)
    status = {"machine_id": m.id, "is_running": bool(mode[last] == RUN), "current_mode": MODES[mode[last]],
              "current_power_kw": float(power["electricity"][last]), "last_reading_time": t_last,
              "alert_level": "normal", "health_score": round(health - 30 * active, 2),
              "last_updated": t_last + pd.Timedelta(seconds=grid.step_s)}
    return MachineRun(m, ctx, keep, estimated, mode, reason, count, bad, speed, target, power, env, draws,
                fault_rows, measure_rows, drift_rows, status)
