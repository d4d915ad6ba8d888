"""Energy units and the names of energy types, once for the analytics and the demo plant."""

from __future__ import annotations

import pandas as pd

GAS_KWH_PER_M3 = 10.55
"""kWh of natural gas per m³ (gross calorific value the EnMS uses for gas rows)."""
STEAM_KWH_PER_KG = 2.26
"""kWh per kg of steam (latent heat, the EnMS's steam conversion)."""

NATIVE_UNITS: dict[str, tuple[str, float]] = {
    "electricity": ("kWh", 1.0),
    "natural_gas": ("m³", GAS_KWH_PER_M3),
    "steam": ("kg", STEAM_KWH_PER_KG),
}
"""Energy type → (native unit, kWh per native unit)."""

LEGACY_ENERGY_TYPES = {"energy": "electricity", "electrical": "electricity"}
"""Other spellings of electricity in EnMS rows: older rows say ``'energy'``, and ``'electrical'`` is the default
of ``energy_readings.energy_type`` in the EnMS schema (02-schema.sql)."""
ELECTRIC_TYPES = frozenset({"electricity", *LEGACY_ENERGY_TYPES})
"""Energy types whose power is electric (so comparable with ``rated_power_kw``)."""


def canonical_energy_types(values: pd.Series) -> pd.Series:
    """Energy type names with the legacy spellings replaced (``'energy'``, ``'electrical'`` → ``'electricity'``)."""
    return values.replace(LEGACY_ENERGY_TYPES)
