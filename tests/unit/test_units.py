"""Energy type names: every spelling of electricity the EnMS writes reads as electricity."""

from __future__ import annotations

import pandas as pd

from enms.units import ELECTRIC_TYPES, canonical_energy_types


def test_electrical_and_energy_read_as_electricity():
    names = pd.Series(["electrical", "energy", "electricity", "natural_gas", "steam"])
    assert canonical_energy_types(names).tolist() == [
        "electricity", "electricity", "electricity", "natural_gas", "steam"]
    assert {"electrical", "energy", "electricity"} <= ELECTRIC_TYPES
    assert "natural_gas" not in ELECTRIC_TYPES
