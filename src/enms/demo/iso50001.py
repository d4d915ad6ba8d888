"""The demo plant's ISO 50001 rows, as a real EnMS has them in its first phase: per-equipment electricity SEUs
(its ``08-production-seus.sql``), two energy targets and one pending baseline adjustment."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd

SEUS = (
    ("aaaaaaaa-1111-1111-1111-111111111111", "Compressor-1", "Rotary screw air compressor, 55 kW: electricity"),
    ("aaaaaaaa-2222-2222-2222-222222222222", "Compressor-EU-1", "Rotary screw air compressor, 90 kW: electricity"),
    ("aaaaaaaa-3333-3333-3333-333333333333", "HVAC-Main", "Rooftop packaged HVAC unit, 150 kW: electricity"),
    ("aaaaaaaa-4444-4444-4444-444444444444", "HVAC-EU-North", "Rooftop packaged HVAC unit, 200 kW: electricity"),
    ("aaaaaaaa-5555-5555-5555-555555555555", "Conveyor-A", "VFD conveyor motor, 22 kW: electricity"),
    ("aaaaaaaa-6666-6666-6666-666666666666", "Hydraulic-Pump-1", "Hydraulic power unit, 45 kW: electricity"),
    ("aaaaaaaa-7777-7777-7777-777777777777", "Injection-Molding-1", "Injection molding machine, 120 kW: electricity"),
)
"""(id, name = machine name, description) of the EnMS's phase-1 electricity SEUs; Boiler-1 has none."""
# (id, whose, year or kind, percent or factor): fixed ids, as an EnMS seed script would give them.
FACTORY_TARGET = ("bbbbbbbb-1111-1111-1111-111111111111", "Demo Manufacturing Plant", 2026, 5.0)
SEU_TARGET = ("bbbbbbbb-2222-2222-2222-222222222222", "Compressor-1", 2026, 10.0)
PENDING_ADJUSTMENT = ("cccccccc-1111-1111-1111-111111111111", "HVAC-Main", "operating_schedule_change", 1.05)
CREATED_BY = "demo-simulator"


def seed_frames(machine_ids_by_name: Mapping[str, str], energy_source_ids: Mapping[str, str],
                factory_ids: Mapping[str, str], *,
                adjustment_date: date) -> list[tuple[str, pd.DataFrame]]:
    """(table, rows) of the demo's ``seus``, ``energy_targets`` and ``baseline_adjustments``, for the machines and
    factories present (names → ids; ``energy_source_ids``: energy source name → id).

    * one electricity SEU per machine of :data:`SEUS` present (none for Boiler-1, so its baselines show up as
      SEUs missing, as in a real EnMS's phase 1), without a model (the pipeline writes it);
    * a 5 % factory target for 2026 (Demo Manufacturing Plant) and a 10 % SEU target for Compressor-1;
    * a PENDING (not approved) 'operating_schedule_change' of HVAC-Main, factor 1.05 from ``adjustment_date``
      (local date), which the report lists as not applied.
    """
    electricity = energy_source_ids["electricity"]
    seus = pd.DataFrame(
        [{"id": seu_id, "name": name, "description": text, "energy_source_id": electricity,
          "machine_ids": [machine_ids_by_name[name]], "is_active": True}
         for seu_id, name, text in SEUS if name in machine_ids_by_name],
        columns=["id", "name", "description", "energy_source_id", "machine_ids", "is_active"])
    seu_of = dict(zip(seus["name"], seus["id"], strict=True))
    targets = []
    target_id, factory, year, pct = FACTORY_TARGET
    if factory in factory_ids:
        targets.append({"id": target_id, "seu_id": None,
                        "factory_id": factory_ids[factory], "target_type": "factory", "target_year": year,
                        "target_description": f"{pct:g} % less energy in {year} than expected from the baseline",
                        "target_reduction_percent": pct, "status": "active", "deadline": date(year, 12, 31),
                        "created_by": CREATED_BY})
    target_id, name, year, pct = SEU_TARGET
    if name in seu_of:
        targets.append({"id": target_id, "seu_id": seu_of[name],
                        "factory_id": None, "target_type": "seu", "target_year": year,
                        "target_description": f"{name}: {pct:g} % less electricity in {year} (leak repair "
                                              "programme)",
                        "target_reduction_percent": pct, "status": "active", "deadline": date(year, 12, 31),
                        "created_by": CREATED_BY})
    adjustments = []
    adjustment_id, name, kind, factor = PENDING_ADJUSTMENT
    if name in seu_of:
        adjustments.append({"id": adjustment_id,
                            "seu_id": seu_of[name], "adjustment_date": adjustment_date, "adjustment_type": kind,
                            "adjustment_reason": "second shift added on Saturdays (awaiting the energy team's "
                                                 "approval)",
                            "adjustment_factor": factor, "approved_by": None, "approved_at": None})
    target_columns = ["id", "seu_id", "factory_id", "target_type", "target_year", "target_description",
                      "target_reduction_percent", "status", "deadline", "created_by"]
    adjustment_columns = ["id", "seu_id", "adjustment_date", "adjustment_type", "adjustment_reason",
                          "adjustment_factor", "approved_by", "approved_at"]
    return [("seus", seus), ("energy_targets", _frame(targets, target_columns)),
            ("baseline_adjustments", _frame(adjustments, adjustment_columns))]


def _frame(rows: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
    """Rows as a frame whose columns holding a None keep it (object dtype): a NULL id or approval must reach the
    warehouse as NULL, not as a NaN a string column would make of it."""
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object)
                         if any(r[c] is None for r in rows) else [r[c] for r in rows] for c in columns},
                        columns=columns)
