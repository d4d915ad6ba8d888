"""The extract step on the tiny plant: selection by name, clear errors for unknown names."""

from __future__ import annotations

import pytest
from plants import BOILER_ID

from enms.io import UnknownNameError, extract


def test_extract_selects_by_name_and_rejects_unknown_names(warehouse):
    frames = extract(warehouse, machines="Boiler")
    assert frames["machines"]["machine_name"].tolist() == ["Boiler"]
    assert list(frames["machines"]["energy_types"].item()) == ["electricity", "natural_gas"]
    assert set(frames["energy_hourly"]["machine_id"]) == {BOILER_ID}
    with pytest.raises(UnknownNameError, match="unknown machine 'Boyler'; known: Boiler, Press"):
        extract(warehouse, machines="Boyler")
    with pytest.raises(UnknownNameError, match="unknown factory 'Nowhere'"):
        extract(warehouse, factories="Nowhere")
