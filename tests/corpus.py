"""The bad-input corpus of tests/robustness: the small test plant with one planted defect per machine.

Each defect lives on its own clone of Compressor-1 (same readings, production and weather under a new id), so
the clean original, run in the same pipeline, is the clean figure every defect is compared with, and one run
covers every case. The pipeline is the user's: ``enms demo --env test``, a copy of its warehouse, the test
environment's settings with that warehouse and a temporary products folder, ``Ploomber`` building every step
through publish.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

SOURCE = "Compressor-1"
"""The machine every defect is planted on a copy of: electricity only, with production and an efficiency
measure in the reporting period."""
REPORT_MONTH = "2026-10"
"""The local month the test environment reports on (inside the reporting period)."""
SPIKE_HOURS = ("2026-03-17 17:00", "2026-10-14 17:00")
"""The UTC hours Spike-1 reads 1000 times too much: one in the baseline period, one in the reporting month."""


@dataclass(frozen=True)
class Defect:
    """A defect planted on one clone: its name, what it is (as issue 10 names it) and the statements that plant
    it (``{id}`` is the clone's machine id, ``{source}`` Compressor-1's)."""

    machine: str
    what: str
    statements: tuple[str, ...] = ()
    copy_readings: bool = True

    @property
    def machine_id(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"enms-robustness/{self.machine}"))


DEFECTS = (
    Defect("Spike-1", "one hour at 1000x (a unit error) in a baseline month and one in the reporting month",
           tuple("UPDATE energy_readings SET energy_kwh = energy_kwh * 1000, power_kw = power_kw * 1000 "
                 f"WHERE machine_id = '{{id}}' AND time >= '{hour}+00' AND time < TIMESTAMPTZ '{hour}+00' + "
                 "INTERVAL 1 HOUR" for hour in SPIKE_HOURS)),
    Defect("Negative-1", "two days of negative energy in the baseline period",
           ("UPDATE energy_readings SET energy_kwh = -energy_kwh WHERE machine_id = '{id}' "
            "AND time >= '2026-03-10 00:00+00' AND time < '2026-03-12 00:00+00'",)),
    Defect("Partial-1", "a week in the reporting period where every other reading carries no energy (0 kWh, "
           "the column's default when a meter sends power only)",
           ("UPDATE energy_readings SET energy_kwh = 0 WHERE machine_id = '{id}' "
            "AND time >= '2026-10-05 00:00+00' AND time < '2026-10-12 00:00+00' "
            "AND extract(minute FROM time) IN (15, 45)",)),
    Defect("Duplicate-1", "a day of readings stored twice in the reporting month",
           ("INSERT INTO energy_readings SELECT * FROM energy_readings WHERE machine_id = '{id}' "
            "AND time >= '2026-10-20 00:00+00' AND time < '2026-10-21 00:00+00'",)),
    Defect("Future-1", "a day of readings ten years in the future",
           ("INSERT INTO energy_readings SELECT * REPLACE (time + INTERVAL 3650 DAY AS time) FROM energy_readings "
            "WHERE machine_id = '{id}' AND time >= '2026-10-31 00:00+00' AND time < '2026-11-01 00:00+00'",)),
    Defect("Ghost-1", "no readings at all", copy_readings=False),
    Defect("Young-1", "10 days of history",
           tuple(f"DELETE FROM {table} WHERE machine_id = '{{id}}' AND time < '2026-10-23 00:00+00'"
                 for table in ("energy_readings", "production_data", "environmental_data"))),
    Defect("NoProduction-1", "no production data (so no operating-mode history)",
           ("DELETE FROM production_data WHERE machine_id = '{id}'",)),
    Defect("Faulty-1", "in fault mode all year",
           ("UPDATE production_data SET operating_mode = 'fault' WHERE machine_id = '{id}'",)),
)

_CLONED = ("energy_readings", "production_data", "environmental_data")


def plant_defects(path: Path) -> None:
    """Clone Compressor-1 once per defect into the DuckDB warehouse at ``path`` and plant the defects."""
    with duckdb.connect(str(path)) as con:
        (source,) = con.execute("SELECT id::VARCHAR FROM machines WHERE name = ?", [SOURCE]).fetchone()
        for defect in DEFECTS:
            con.execute("INSERT INTO machines SELECT * REPLACE (CAST(? AS UUID) AS id, ? AS name) FROM machines "
                        "WHERE id = CAST(? AS UUID)", [defect.machine_id, defect.machine, source])
            if defect.copy_readings:
                for table in _CLONED:
                    con.execute(f"INSERT INTO {table} SELECT * REPLACE (CAST(? AS UUID) AS machine_id) FROM {table} "
                                "WHERE machine_id = CAST(? AS UUID)", [defect.machine_id, source])
            for statement in defect.statements:
                con.execute(statement.format(id=defect.machine_id, source=source))


def product(products: Path, step: str, name: str) -> pd.DataFrame:
    """One table a step of the corpus run saved."""
    return pd.read_parquet(products / step / f"{name}.parquet")
