"""What an import writes, derived from the checked readings: the factory, one machine per meter, and the rows.

What the EnMS requires and a meter file does not say is derived, and recorded in the machine's metadata:

* ids: ``uuid5`` of the factory name (and meter name), so a re-import finds the same rows; a factory or machine
  that exists under that name (an EnMS's own, say) keeps its id;
* ``type``: ``other`` unless ``--machine-type`` says;
* ``rated_power_kw``: the data's peak interval-average power, rounded up to a whole kW (at least 1 kW); a later
  electricity import may raise it, never lower it. A machine first made by a gas or steam import is rated at
  that kWh-equivalent power (the column is NOT NULL), which a later electricity import does not lower either;
* ``data_interval_seconds``: the detected interval;
* ``power_kw`` of a reading: its energy / interval (kWh / h), ``energy_kwh``: the energy of its interval.

Natural gas in m³ and steam in kg are stored as kWh equivalents (:data:`enms.units.NATIVE_UNITS`) with the
native amount in the reading's metadata, as the EnMS stores them.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd

from enms.frames import parse_metadata
from enms.io.warehouse.schema import DECIMALS
from enms.units import ELECTRIC_TYPES, NATIVE_UNITS

SOURCE = "import"
"""``source`` of imported readings and ``metadata.source`` of imported factories and machines."""
ENERGY_UNITS: dict[str, float] = {"wh": 1e-3, "kwh": 1.0, "mwh": 1e3}
"""Energy per interval: kWh per unit."""
POWER_UNITS: dict[str, float] = {"w": 1e-3, "kw": 1.0, "mw": 1e3}
"""Average power over the interval: kW per unit (energy = power × interval)."""
NATIVE_SPELLINGS: dict[str, str] = {"m3": "m³", "m³": "m³", "kg": "kg"}
"""Native units of gas (m³) and steam (kg), as written on the command line."""
_NATIVE_TAGS = {"m³": "m3", "kg": "kg"}  # the demo plant's and the EnMS's metadata spelling


@dataclass(frozen=True)
class Unit:
    """How a meter's values become kWh: ``kind`` energy (per interval), power (average kW) or native (m³, kg)."""

    label: str
    kind: str
    kwh_per_unit: float

    def to_kwh(self, values: np.ndarray, interval_s: np.ndarray) -> np.ndarray:
        """Energy of each interval (kWh)."""
        if self.kind == "power":
            return values * self.kwh_per_unit * interval_s / 3600.0
        return values * self.kwh_per_unit

    @property
    def quantity(self) -> str:
        return "power" if self.kind == "power" else "energy"


def meter_unit(text: str, energy_type: str) -> Unit:
    """The unit of ``--unit`` for ``energy_type``: Wh/kWh/MWh, W/kW/MW, or m³ (natural gas) / kg (steam)."""
    if energy_type not in NATIVE_UNITS:
        raise ValueError(f"unknown energy type {energy_type!r}: one of {', '.join(NATIVE_UNITS)}")
    key = text.strip().lower()
    if key in ENERGY_UNITS:
        return Unit(text.strip(), "energy", ENERGY_UNITS[key])
    if key in POWER_UNITS:
        return Unit(text.strip(), "power", POWER_UNITS[key])
    native, factor = NATIVE_UNITS[energy_type]
    if NATIVE_SPELLINGS.get(key) == native and native != "kWh":
        return Unit(native, "native", factor)
    natives = [u for u, _ in NATIVE_UNITS.values() if u != "kWh"]
    raise ValueError(f"unknown unit {text!r} for {energy_type}: Wh, kWh or MWh per interval, W, kW or MW average "
                     f"power{f', or {native}' if native != 'kWh' else ''} "
                     f"({' and '.join(natives)} only for the energy type they measure)")


def temperature_c(values: np.ndarray, unit: str) -> np.ndarray:
    """Outdoor temperature in °C from ``unit`` C or F."""
    key = unit.strip().upper().removeprefix("°")
    if key == "C":
        return values
    if key == "F":
        return (values - 32.0) * 5.0 / 9.0
    raise ValueError(f"unknown temperature unit {unit!r}: C or F")


def factory_id(name: str) -> str:
    """Deterministic id (str UUID) of an imported factory."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"enms-import/factory/{name}"))


def machine_id(factory: str, meter: str) -> str:
    """Deterministic id (str UUID) of the machine of an imported meter."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"enms-import/machine/{factory}/{meter}"))


def energy_source_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"enms-import/energy_source/{name}"))


def column_limit(table: str, column: str) -> float:
    """The largest magnitude a DECIMAL column holds (exclusive)."""
    precision, scale = DECIMALS[table][column]
    return 10.0 ** (precision - scale)


def factory_row(name: str, timezone: str, location: str | None) -> pd.DataFrame:
    return pd.DataFrame([{"id": factory_id(name), "name": name, "location": location, "timezone": timezone,
                          "is_active": True, "metadata": json.dumps({"source": SOURCE})}])


def rated_power_kw(peak_kw: float) -> float:
    """The rating recorded for a meter: its peak average power rounded up to a whole kW, at least 1 kW."""
    return float(max(1, math.ceil(round(peak_kw, 6))))


def machine_rows(factory: str, factory_uuid: str, readings: pd.DataFrame, interval_s: dict[str, int],
                 energy_type: str, machine_type: str, stored: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                                      list[str]]:
    """The machines of the meters in ``readings`` (meter, power_kw): (new rows, changed rows of machines this
    import made before, meters matched to a machine it did not make).

    ``stored``: the factory's machines (machine_id, machine_name, rated_power_kw, data_interval_seconds,
    metadata as JSON text). Changed rows hold id, rated_power_kw, data_interval_seconds and metadata.
    """
    peaks = readings.groupby("meter", sort=True)["power_kw"].max()
    known = {row.machine_name: row for row in stored.itertuples()}
    new, changed, foreign = [], [], []
    for meter, peak in peaks.items():
        rated = rated_power_kw(peak)
        row = known.get(meter)
        if row is None:
            meta = {"energy_types": [energy_type], "source": SOURCE, "rated_power_basis": "peak of imported data"}
            new.append({"id": machine_id(factory, meter), "factory_id": factory_uuid, "name": meter,
                        "description": "meter imported by enms import", "type": machine_type,
                        "rated_power_kw": rated, "data_interval_seconds": interval_s[meter], "is_active": True,
                        "metadata": json.dumps(meta)})
            continue
        meta = parse_metadata(row.metadata)
        if meta.get("source") != SOURCE:
            foreign.append(meter)
            continue
        types = list(dict.fromkeys([*meta.get("energy_types", []), energy_type]))
        stored_kw = float(row.rated_power_kw)
        update = {"rated_power_kw": max(rated, stored_kw) if energy_type in ELECTRIC_TYPES else stored_kw,
                  "data_interval_seconds": interval_s[meter], "metadata": {**meta, "energy_types": types}}
        if (update["rated_power_kw"], update["data_interval_seconds"], update["metadata"]) != (
                stored_kw, int(row.data_interval_seconds), meta):
            changed.append({"id": row.machine_id, **update, "metadata": json.dumps(update["metadata"])})
    return pd.DataFrame(new), pd.DataFrame(changed), foreign


def energy_rows(readings: pd.DataFrame, ids: dict[str, str], energy_type: str, unit: Unit) -> pd.DataFrame:
    """``energy_readings`` rows from readings (meter, time, value, interval_s, energy_kwh, power_kw)."""
    metadata: object = None
    if unit.kind == "native":
        tag = _NATIVE_TAGS[unit.label]
        metadata = [json.dumps({"native_amount": round(float(v), 6), "native_unit": tag}) for v in readings["value"]]
    n = len(readings)
    return pd.DataFrame({
        "time": readings["time"].reset_index(drop=True),
        "machine_id": readings["meter"].map(ids).to_numpy(dtype=object),
        "energy_type": np.full(n, energy_type, dtype=object),
        "power_kw": np.round(readings["power_kw"].to_numpy(), 3),
        "energy_kwh": np.round(readings["energy_kwh"].to_numpy(), 6),
        "is_estimated": np.zeros(n, bool),
        "quality_score": np.ones(n),
        "source": np.full(n, SOURCE, dtype=object),
        "metadata": pd.Series(metadata if metadata is not None else [None] * n, dtype=object),
    })


def spans(readings: pd.DataFrame, ids: dict[str, str], energy_type: str) -> pd.DataFrame:
    """Per machine the span the file covers, [first reading, last reading + interval) UTC: an import replaces
    what the warehouse holds for that machine and energy type there."""
    grouped = readings.groupby("meter", sort=True).agg(start=("time", "min"), last=("time", "max"),
                                                      interval_s=("interval_s", "first"))
    return pd.DataFrame({
        "machine_id": [ids[m] for m in grouped.index],
        "energy_type": energy_type,
        "start": grouped["start"].reset_index(drop=True),
        "end": (grouped["last"] + pd.to_timedelta(grouped["interval_s"], unit="s")).reset_index(drop=True),
    })
