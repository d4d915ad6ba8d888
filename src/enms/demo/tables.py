"""The simulated plant as warehouse rows: the dimension tables, a machine's time-series frames and our
truth tables, typed as the schema holds them."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from enms.demo import plant
from enms.demo.machine import MachineRun
from enms.demo.models import FAULT, MAINT, MODES, STOP_REASONS
from enms.demo.plant import CarbonFactor, Factory, Machine, Tariff
from enms.io.warehouse.schema import OWN_SCHEMA
from enms.units import GAS_KWH_PER_M3, STEAM_KWH_PER_KG

SOURCE = "demo-simulator"
"""The ``source`` of every simulated energy reading and machine."""
_ENV_COLUMNS = ("machine_temp_c", "pressure_bar", "pressure_setpoint_bar", "flow_rate_m3h",
                "supply_air_temp_c", "return_air_temp_c", "cop", "vibration_mm_s")


def _const(value: str, n: int) -> pd.api.extensions.ExtensionArray:
    """A str column of one repeated value, built in Arrow (no n Python objects)."""
    return pd.array(pa.repeat(pa.scalar(value, pa.large_string()), n), dtype="str")


def _labels(labels: tuple[str, ...], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    return pd.array(pa.array(labels, pa.large_string()).take(pa.array(codes)), dtype="str")


def _nullable(labels: tuple[str | None, ...], codes: np.ndarray) -> pd.Series:
    """An object column of str or None (None stays None, not NaN)."""
    return pd.Series(np.array(labels, dtype=object)[codes], dtype=object)


def _json_amounts(amount: np.ndarray, unit: str) -> np.ndarray:
    text = pc.cast(pa.array(amount), pa.string())
    return pc.binary_join_element_wise('{"native_amount": ', text, f', "native_unit": "{unit}"}}',
                                       "").to_numpy(zero_copy_only=False)


_NATIVE = {"natural_gas": (GAS_KWH_PER_M3, "m3"), "steam": (STEAM_KWH_PER_KG, "kg")}


def energy_frames(run: MachineRun) -> Iterator[pd.DataFrame]:
    """energy_readings rows, one frame per energy type (so a boiler never holds 3 x n rows at once)."""
    m, f, keep, d = run.machine, run.ctx.factory, run.keep, run.draws
    nk = int(keep.sum())
    estimated = run.estimated[keep]
    nan = np.full(nk, np.nan)
    for t in m.energy_types:
        power = run.power[t][keep]
        energy = np.round(power * run.ctx.grid.dt_h, 6)  # from the rounded power: exactly its integral
        if t == "electricity":
            volts = f.voltage_v * (1 + 0.006 * d.volt[keep])
            pf = np.clip(0.55 + 0.37 * np.sqrt(np.clip(power / m.rated_power_kw, 0, 1.2)) + 0.004 * d.env2[keep],
                         0.3, 0.99)
            electric = {"voltage_v": np.round(volts, 2),
                        "current_a": np.round(power * 1000 / (np.sqrt(3) * volts * pf), 3),
                        "power_factor": np.round(pf, 3),
                        "frequency_hz": np.round(f.frequency_hz + 0.012 * d.freq[keep], 3)}
            meta = np.full(nk, None, dtype=object)
        else:
            electric = dict.fromkeys(("voltage_v", "current_a", "power_factor", "frequency_hz"), nan)
            factor, unit = _NATIVE[t]
            meta = _json_amounts(np.round(energy / factor, 6), unit)
        yield pd.DataFrame({
            "time": run.ctx.times[keep],
            "machine_id": _const(m.id, nk),
            "energy_type": _const(t, nk),
            "power_kw": power,
            "energy_kwh": energy,
            **electric,
            "is_estimated": estimated,
            "quality_score": np.where(estimated, 0.8, 1.0),
            "source": _const(SOURCE, nk),
            "metadata": pd.Series(meta, dtype=object, copy=False),
        })


def production_frame(run: MachineRun) -> pd.DataFrame:
    keep, grid = run.keep, run.ctx.grid
    mode, count, bad = run.mode[keep], run.count[keep], run.bad[keep]
    nk = mode.size
    return pd.DataFrame({
        "time": run.ctx.times[keep],
        "machine_id": _const(run.machine.id, nk),
        "production_count": count,
        "production_count_good": count - bad,
        "production_count_bad": bad,
        "throughput_units_per_hour": np.round(count / grid.dt_h, 2),
        "operating_mode": _labels(MODES, mode),
        "speed_percent": run.speed[keep],
        "target_speed_percent": run.target[keep],
        "downtime_seconds": np.where((mode == MAINT) | (mode == FAULT), grid.step_s, 0).astype(np.int64),
        "downtime_reason": _nullable(STOP_REASONS, run.reason[keep]),
        "shift": _nullable((None, "A", "B", "C"), run.ctx.cal.shift[keep]),
    })


def environmental_frame(run: MachineRun) -> pd.DataFrame:
    keep, ctx, nk = run.keep, run.ctx, int(run.keep.sum())
    nan = np.full(nk, np.nan)
    decimals = {"pressure_bar": 3, "pressure_setpoint_bar": 3, "flow_rate_m3h": 3, "vibration_mm_s": 3}
    frame = {
        "time": ctx.times[keep],
        "machine_id": _const(run.machine.id, nk),
        "outdoor_temp_c": np.round(ctx.t_out[keep], 2),
        "indoor_temp_c": np.round(ctx.t_in[keep], 2),
        "machine_temp_c": nan,
        "outdoor_humidity_percent": np.round(ctx.rh_out[keep], 2),
        "indoor_humidity_percent": np.round(ctx.rh_in[keep], 2),
    }
    for column in _ENV_COLUMNS:
        values = run.env.get(column)
        frame[column] = nan if values is None else np.round(values[keep], decimals.get(column, 2))
    return pd.DataFrame(frame)


def _slug(text: str) -> str:
    return text.lower().replace(" ", "-")


def dimension_frames(selected: list[tuple[int, Machine]], step_s: int | Mapping[str, int], *,
                     factories: Sequence[Factory] = plant.FACTORIES, tariffs: Sequence[Tariff] = plant.TARIFFS,
                     carbon_factors: Sequence[CarbonFactor] = plant.CARBON_FACTORS,
                     ) -> Iterator[tuple[str, pd.DataFrame]]:
    """factories, machines, energy_sources, energy_tariffs and carbon_factors rows: the factories (and their
    tariffs) of the selected machines, every carbon factor. ``step_s``: the reading interval (s) of every
    machine, or per machine id."""
    machines = [m for _, m in selected]
    names = {m.factory for m in machines}
    by_name = {f.name: f for f in factories}
    factories = [f for f in factories if f.name in names]
    steps = step_s if isinstance(step_s, Mapping) else dict.fromkeys((m.id for m in machines), step_s)
    yield "factories", pd.DataFrame([{
        "id": f.id, "name": f.name, "location": f.location, "address": f.address, "timezone": f.timezone,
        "contact_email": f.contact_email, "contact_phone": f.contact_phone, "is_active": True,
        "metadata": json.dumps(f.metadata),
    } for f in factories])
    rows = []
    for m in machines:
        f = by_name[m.factory]
        rows.append({
            "id": m.id, "factory_id": f.id, "name": m.name, "description": m.description, "type": m.type,
            "manufacturer": m.manufacturer, "model": m.model, "serial_number": m.serial_number,
            "installation_date": m.installation_date, "rated_power_kw": m.rated_power_kw,
            "rated_voltage_v": f.voltage_v,
            "rated_current_a": round(m.rated_power_kw * 1000 / (np.sqrt(3) * f.voltage_v * 0.85), 2),
            "rated_frequency_hz": f.frequency_hz, "location_in_factory": m.location_in_factory,
            "data_interval_seconds": steps[m.id], "mqtt_topic": f"enms/{_slug(f.name)}/{_slug(m.name)}/telemetry",
            "is_active": True, "is_critical": m.is_critical,
            "metadata": json.dumps({"energy_types": list(m.energy_types), "production_unit": m.production_unit,
                                    "production_basis": m.production_basis, "source": SOURCE}),
        })
    yield "machines", pd.DataFrame(rows)
    yield "energy_sources", pd.DataFrame([{
        "id": s.id, "name": s.name, "unit": s.unit, "cost_per_unit": s.cost_per_unit,
        "carbon_factor": s.carbon_factor, "is_active": True} for s in plant.ENERGY_SOURCES])
    yield "energy_tariffs", pd.DataFrame([{
        "id": t.id, "factory_id": plant.factory_id(t.factory), "name": t.name, "rate_per_kwh": t.rate_per_kwh,
        "currency": t.currency, "is_time_of_use": t.is_time_of_use, "start_hour": t.start_hour,
        "end_hour": t.end_hour, "applicable_days": list(t.applicable_days),
        "demand_charge_per_kw": t.demand_charge_per_kw, "valid_from": t.valid_from, "valid_to": t.valid_to,
        "is_active": True} for t in tariffs if t.factory in names])
    yield "carbon_factors", pd.DataFrame([{
        "id": c.id, "region": c.region, "grid_name": c.grid_name,
        "emission_factor_kg_co2_per_kwh": c.kg_co2_per_kwh, "source": c.source, "valid_from": c.valid_from,
        "valid_to": c.valid_to, "is_active": True} for c in carbon_factors])


_UTC = "datetime64[us, UTC]"
_TRUTH_COLUMNS: dict[str, dict[str, str]] = {
    "machine_status": {
        "machine_id": "str", "is_running": "bool", "current_mode": "str", "current_power_kw": "float64",
        "last_reading_time": _UTC, "alert_level": "str", "health_score": "float64", "last_updated": _UTC},
    f"{OWN_SCHEMA}.fault_truth": {
        "fault_id": "int64", "machine_id": "str", "machine_name": "str", "energy_type": "str",
        "fault_type": "str", "start_time": _UTC, "end_time": _UTC, "description": "str",
        "expected_effect": "str", "power_change_pct": "float64", "extra_energy_kwh": "float64",
        "in_baseline_period": "bool"},
    f"{OWN_SCHEMA}.efficiency_measures": {
        "measure_id": "int64", "machine_id": "str", "machine_name": "str", "energy_type": "str", "name": "str",
        "description": "str", "start_time": _UTC, "end_time": _UTC, "design_saving_fraction": "float64",
        "counterfactual_kwh": "float64", "actual_kwh": "float64", "saving_kwh": "float64",
        "saving_fraction": "float64"},
    f"{OWN_SCHEMA}.outage_truth": {"machine_id": "str", "start_time": _UTC, "end_time": _UTC, "description": "str"},
    f"{OWN_SCHEMA}.drift_truth": {
        "drift_id": "int64", "machine_id": "str", "machine_name": "str", "energy_type": "str",
        "start_time": _UTC, "description": "str", "expected_effect": "str", "counterfactual_kwh": "float64",
        "actual_kwh": "float64", "saving_kwh": "float64", "saving_fraction": "float64"},
}


def truth_frame(table: str, rows: list[dict]) -> pd.DataFrame:
    columns = _TRUTH_COLUMNS[table]
    frame = pd.DataFrame(rows, columns=list(columns))
    for column, dtype in columns.items():  # an all-NaT column would come out tz-naive: localize it
        frame[column] = (pd.to_datetime(frame[column], utc=True).dt.as_unit("us") if dtype == _UTC
                         else frame[column].astype(dtype))
    return frame


def machine_frames(run: MachineRun) -> Iterator[tuple[str, pd.DataFrame]]:
    """One simulated machine's time-series chunks in load order: energy_readings (one per energy type),
    production_data, environmental_data."""
    for frame in energy_frames(run):
        yield "energy_readings", frame
    yield "production_data", production_frame(run)
    yield "environmental_data", environmental_frame(run)


def closing_frames(statuses: list[dict], fault_rows: list[dict], measure_rows: list[dict],
                   outages: list[tuple[str, pd.Timestamp, pd.Timestamp]],
                   drift_rows: list[dict]) -> Iterator[tuple[str, pd.DataFrame]]:
    """What a simulation loads after its machines: machine_status and our truth tables (faults by id, measures,
    outages as (machine id, start, end) UTC, drifts)."""
    yield "machine_status", truth_frame("machine_status", statuses)
    yield f"{OWN_SCHEMA}.fault_truth", truth_frame(f"{OWN_SCHEMA}.fault_truth",
                                                   sorted(fault_rows, key=lambda r: r["fault_id"]))
    yield f"{OWN_SCHEMA}.efficiency_measures", truth_frame(f"{OWN_SCHEMA}.efficiency_measures", measure_rows)
    yield f"{OWN_SCHEMA}.outage_truth", truth_frame(f"{OWN_SCHEMA}.outage_truth", [
        {"machine_id": machine_id, "start_time": start, "end_time": end,
         "description": "communication outage: the gateway sent no readings"} for machine_id, start, end in outages])
    yield f"{OWN_SCHEMA}.drift_truth", truth_frame(f"{OWN_SCHEMA}.drift_truth", drift_rows)
