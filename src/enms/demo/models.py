"""The machines' physical power models (kW per energy type and sensor readings from mode, load and
weather) and the random draws they share with their counterfactual."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from enms.demo.factory import Context
from enms.demo.plant import Machine
from enms.demo.signals import ar1, lag
from enms.units import GAS_KWH_PER_M3, STEAM_KWH_PER_KG

MODES = ("running", "idle", "maintenance", "fault", "offline")
RUN, IDLE, MAINT, FAULT, OFF = range(5)
"""Mode codes: indices into MODES (``mode <= IDLE`` means switched on)."""
STOP_REASONS = (None, "planned_maintenance", "breakdown", "electrical_trip", "sensor_failure",
                "control_fault")
"""downtime_reason labels; index 0 = no downtime."""

OWN_UNITS_H = {"Conveyor-A": (900.0, 700.0), "Injection-Molding-1": (480.0, 360.0),
               "Hydraulic-Pump-1": (150.0, 120.0)}  # nominal rate per product A, B
_IM_KWH_PER_PART = np.array([0.115, 0.17])
_IM_BARREL_C = np.array([225.0, 240.0])
_HVAC_UA = {"HVAC-Main": (27.0, 0.0), "HVAC-EU-North": (30.0, 14.0)}  # kW(th)/K cooling, heating
_BOILER_MAX_KG_H = 1000.0


@dataclass
class Draws:
    """The random draws of one machine's power and sensor models, made once so that the counterfactual
    and the faulty run see exactly the same noise."""

    meas: np.ndarray  # white, measurement noise
    meas2: np.ndarray
    proc: np.ndarray  # AR(1), 10 min: process fluctuation
    slow: np.ndarray  # AR(1), 2 h
    env: np.ndarray  # white, sensor noise
    env2: np.ndarray
    volt: np.ndarray  # AR(1), 30 min: supply voltage
    freq: np.ndarray  # AR(1), 5 min: grid frequency

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int, dt_min: float) -> Draws:
        return cls(rng.standard_normal(n), rng.standard_normal(n), ar1(rng, n, dt_min, 10),
                   ar1(rng, n, dt_min, 120), rng.standard_normal(n), rng.standard_normal(n),
                   ar1(rng, n, dt_min, 30), ar1(rng, n, dt_min, 5))


_Model = Callable[[Machine, Context, np.ndarray, np.ndarray, Draws], tuple[dict, dict]]


def _standby(rated: float, mode: np.ndarray, d: Draws) -> np.ndarray:
    """Near-zero power when off (controls), in a fault stop, or low during maintenance (kW)."""
    level = np.where(mode == MAINT, 0.03, np.where(mode == FAULT, 0.006, 0.004))
    return rated * level * (1 + 0.05 * d.meas)


def _compressor(m: Machine, ctx: Context, mode: np.ndarray, load: np.ndarray, d: Draws) -> tuple[dict, dict]:
    """Load/unload screw compressor: unloaded base ~28 % of rated plus a share proportional to the air
    demand (line activity + leaks)."""
    r, on = m.rated_power_kw, mode <= IDLE
    demand = np.clip(0.15 + 0.68 * load + 0.05 * d.proc, 0.05, 1.0)  # fraction of capacity
    power = np.where(on, r * (0.28 + 0.70 * demand) + 0.006 * r * d.meas, _standby(r, mode, d))
    capacity_m3h = r / 5.8 * 60  # ~5.8 kW per Nm³/min at 7 bar
    env = {
        "pressure_bar": np.where(on, 7.0 + 0.15 * (0.6 - demand) + 0.04 * d.env, 0.3 + 0.05 * np.abs(d.env)),
        "pressure_setpoint_bar": np.full(mode.size, 7.0),
        "flow_rate_m3h": np.where(on, demand * capacity_m3h * (1 + 0.02 * d.env2), 0.0),
        "machine_temp_c": lag(np.where(on, 62 + 22 * demand, ctx.t_in), 20, ctx.grid.dt_min) + 0.3 * d.env,
        "vibration_mm_s": np.where(on, 1.6 + 0.8 * demand + 0.1 * d.env2, 0.05),
    }
    return {"electricity": power}, env


def _hvac(m: Machine, ctx: Context, mode: np.ndarray, load: np.ndarray, d: Draws) -> tuple[dict, dict]:
    """Air handling + chiller (+ heat pump): fans when occupied, cooling above ~18 °C (less below the
    setback), heating below 14 °C, each divided by a COP that worsens with the temperature lift."""
    r, occ, on = m.rated_power_kw, mode == RUN, mode <= IDLE
    ua_cool, ua_heat = (ua * m.scale for ua in _HVAC_UA[m.key])
    t = ctx.t_out
    gains = 1.2 * load  # internal gains of the running line shift the cooling change point (K)
    cool = np.where(occ, ua_cool * np.maximum(0, t - 18 + gains), 0.7 * ua_cool * np.maximum(0, t - 25))
    heat = np.where(occ, ua_heat * np.maximum(0, 14 - t), 0.8 * ua_heat * np.maximum(0, 10 - t))
    cop_cool = np.clip(5.4 - 0.09 * (t - 15), 2.3, 6.0)
    cop_heat = np.clip(3.1 + 0.05 * t, 1.8, 4.5)
    fans = np.where(occ, 0.16, 0.05) * r
    thermal = (cool / cop_cool + heat / cop_heat) * (1 + 0.08 * d.slow)
    power = np.where(on, fans * (1 + 0.02 * d.proc) + thermal + 0.004 * r * d.meas, _standby(r, mode, d))
    cooling, heating = on & (cool > 0) & (cool >= heat), on & (heat > 0) & (heat > cool)
    env = {
        "cop": np.where(cooling, cop_cool, np.where(heating, cop_heat, np.nan)) + 0.05 * d.env,
        "supply_air_temp_c": np.where(on, np.where(cooling, 13.0, np.where(heating, 32.0, 18.0)) + 0.3 * d.env,
                                      np.nan),
        "return_air_temp_c": np.where(on, ctx.t_in + 1.2 + 0.2 * d.env2, np.nan),
        "flow_rate_m3h": np.where(occ, 300.0, np.where(on, 100.0, 0.0)) * r * (1 + 0.02 * d.env2),
        "vibration_mm_s": np.where(on, np.where(occ, 1.4, 0.9) + 0.1 * d.env2, 0.05),
    }
    return {"electricity": power}, env


def _motor(m: Machine, ctx: Context, mode: np.ndarray, load: np.ndarray, d: Draws) -> tuple[dict, dict]:
    """Conveyor drive: base (friction) + a share proportional to the production rate; VFD standby idle."""
    r, run = m.rated_power_kw, mode == RUN
    power = np.where(run, r * (0.30 + 0.55 * load + 0.02 * d.proc + 0.008 * d.meas),
                     np.where(mode == IDLE, 0.04 * r * (1 + 0.05 * d.meas), _standby(r, mode, d)))
    hot = np.where(run, ctx.t_in + 18 + 12 * load, np.where(mode == IDLE, ctx.t_in + 4, ctx.t_in))
    env = {
        "machine_temp_c": lag(hot, 25, ctx.grid.dt_min) + 0.3 * d.env,
        "vibration_mm_s": np.maximum(0.02, np.where(run, 2.0 + 0.6 * load, np.where(mode == IDLE, 0.3, 0.05))
                                     + 0.1 * d.env2),
    }
    return {"electricity": power}, env


def _pump(m: Machine, ctx: Context, mode: np.ndarray, load: np.ndarray, d: Draws) -> tuple[dict, dict]:
    """Hydraulic power unit: loaded at ~180 bar while the press runs, unloaded circulation when idle."""
    r, run, idle = m.rated_power_kw, mode == RUN, mode == IDLE
    power = np.where(run, r * (0.55 + 0.30 * load + 0.02 * d.proc + 0.008 * d.meas),
                     np.where(idle, 0.15 * r * (1 + 0.03 * d.meas), _standby(r, mode, d)))
    setpoint = np.where(run, 180.0, np.where(idle, 25.0, 0.0))
    env = {
        "pressure_bar": np.where(run, 180 - 4 * (1 - load) + 1.5 * d.env, np.where(idle, 25 + 0.5 * d.env, 0.0)),
        "pressure_setpoint_bar": setpoint,
        "flow_rate_m3h": np.where(run, 9.0 * load, np.where(idle, 1.5, 0.0)) * (1 + 0.02 * d.env2),
        "machine_temp_c": lag(np.where(run, 48 + 6 * load, np.where(idle, 38.0, ctx.t_in)), 40, ctx.grid.dt_min)
        + 0.3 * d.env,
        "vibration_mm_s": np.maximum(0.02, np.where(run, 2.2 + 0.5 * load, np.where(idle, 1.2, 0.05))
                                     + 0.1 * d.env2),
    }
    return {"electricity": power}, env


def _injection_molding(m: Machine, ctx: Context, mode: np.ndarray, load: np.ndarray,
                       d: Draws) -> tuple[dict, dict]:
    """Heater bands (on while running or idle, a heat-up surge after a cold start) + hydraulics + cycle
    energy per part (kWh/part depends on the product)."""
    r, run, on = m.rated_power_kw, mode == RUN, mode <= IDLE
    product = ctx.cal.product
    idx = np.arange(mode.size)
    switched_on = on & ~np.concatenate(([True], on[:-1]))  # data starts warm
    last_on = np.maximum.accumulate(np.where(switched_on, idx, -1))
    surge = on & (last_on >= 0) & ((idx - last_on) * ctx.grid.dt_min < 45)
    heaters = np.where(surge, 0.32, 0.17) * r * (1 + 0.04 * d.meas2)
    parts_h = load * (np.array(OWN_UNITS_H[m.key]) * m.scale)[product]
    cycle = np.where(run, _IM_KWH_PER_PART[product] * parts_h + 0.10 * r, 0.03 * r)
    power = np.where(on, heaters + cycle + r * (0.015 * d.proc + 0.006 * d.meas), _standby(r, mode, d))
    barrel = lag(np.where(on, _IM_BARREL_C[product], ctx.t_in), 30, ctx.grid.dt_min)
    return {"electricity": power}, {"machine_temp_c": barrel + 0.5 * d.env}


def _boiler(m: Machine, ctx: Context, mode: np.ndarray, load: np.ndarray, d: Draws) -> tuple[dict, dict]:
    """Process steam (∝ line activity) + distribution losses + some space heating in cold weather;
    gas = steam / efficiency (~0.80-0.86, worse at low fire); electricity = burner fan and feed pumps. Steam,
    capacity and fan power scale with the rating (``m.scale``)."""
    r, run, on, s = m.rated_power_kw, mode == RUN, mode <= IDLE, m.scale
    t = ctx.t_out
    kg_h = np.where(run, 90 + 620 * load + 30 * np.maximum(0, 15 - t),
                    np.where(on, 70 + 20 * np.maximum(0, 12 - t), 0.0)) * (1 + 0.05 * d.proc) * s
    kg_h = np.clip(kg_h, 0, _BOILER_MAX_KG_H * s)
    steam_kw = kg_h * STEAM_KWH_PER_KG
    firing = kg_h / (_BOILER_MAX_KG_H * s)
    efficiency = 0.86 - 0.06 * (1 - firing) ** 2
    gas_kw = steam_kw / efficiency * (1 + 0.01 * d.meas2)
    electricity = np.where(on, (8 + 32 * firing) * s + 0.5 * d.meas, _standby(r, mode, d))
    env = {
        "pressure_bar": np.where(on, 8.0 + 0.08 * d.env, 0.2),
        "pressure_setpoint_bar": np.full(mode.size, 8.0),
        "flow_rate_m3h": gas_kw / GAS_KWH_PER_M3,  # natural gas m³/h
        "machine_temp_c": lag(np.where(on, 175.0, ctx.t_in), 60, ctx.grid.dt_min) + 0.3 * d.env,
    }
    return {"electricity": electricity, "natural_gas": gas_kw, "steam": steam_kw * (1 + 0.01 * d.env2)}, env


MODELS: dict[str, _Model] = {"compressor": _compressor, "hvac": _hvac, "motor": _motor, "pump": _pump,
                             "injection_molding": _injection_molding, "boiler": _boiler}
"""Power model per machine type: (machine, factory context, mode, load, draws) -> (kW per energy type,
sensor columns)."""
