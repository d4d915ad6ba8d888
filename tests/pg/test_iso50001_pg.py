"""The ISO 50001 write-back on the EnMS's own schema in PostgreSQL (tests/enms/enms_schema.py installed on a fresh
database, then `enms db init`): the rows DuckDB writes (tests/unit/io/test_iso50001_write.py) are accepted by the
EnMS's constraints, read back as written, and a rerun adds nothing; a row its CHECKs refuse fails the publish
whole."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from unit.io.test_iso50001_write import check_iso50001_publishing, count, iso50001_frames, seu_rows, store_baseline

from enms.io import WarehouseError, connect

pytestmark = pytest.mark.pg


def _enms_schema() -> ModuleType:
    # tests/enms cannot be imported as a package (``enms`` is the project's own): loaded as tests/enms/conftest.py
    # loads it, under the same name.
    name = "enms_conformance_schema"
    if name not in sys.modules:
        path = Path(__file__).parents[1] / "enms" / "enms_schema.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture
def enms(pg_url):
    """The EnMS installed and seeded on a fresh database, then ``enms db init``: an open warehouse."""
    schema = _enms_schema()
    assert schema.install(pg_url) == []
    with connect(pg_url) as warehouse:
        warehouse.init_schema()
        yield warehouse


def _boiler_gas(warehouse) -> tuple[str, str, str]:
    """(SEU id, machine id, energy source id) of the seed's 'Boiler gas' SEU."""
    seu = warehouse.read_seus().set_index("name").loc["Boiler gas"]
    return seu["id"], seu["machine_ids"][0], seu["energy_source_id"]


def test_the_enms_accepts_every_table_and_a_rerun_adds_nothing(enms, tmp_path):
    seu_id, machine_id, source_id = _boiler_gas(enms)
    assert machine_id == _enms_schema().MACHINE_IDS["Boiler-1"]
    check_iso50001_publishing(enms, seu_id, machine_id, source_id, tmp_path)


def test_the_seed_target_and_an_adjustment_read_back(enms):
    seu_id, _, _ = _boiler_gas(enms)
    enms.execute(
        "INSERT INTO baseline_adjustments (seu_id, adjustment_date, adjustment_type, adjustment_reason, "
        "adjustment_factor, approved_by, approved_at) VALUES (%s, DATE '2026-02-01', 'equipment_upgrade', "
        "'new burner', 0.85, 'energy manager', TIMESTAMPTZ '2026-01-20 09:00:00+00')", [seu_id])
    target = enms.read_energy_targets().iloc[0]
    assert (target["seu_id"], target["target_year"], target["target_reduction_percent"], target["status"]) == (
        seu_id, 2026, 5.0, "active")
    adjustment = enms.read_baseline_adjustments().iloc[0]
    assert (adjustment["seu_id"], adjustment["adjustment_factor"], adjustment["adjustment_type"]) == (
        seu_id, 0.85, "equipment_upgrade")


def test_create_seus_on_the_enms(enms):
    rows = seu_rows("5e000000-0000-0000-0000-0000000000c1", _enms_schema().MACHINE_IDS["Conveyor-A"],
                    enms.read_energy_sources().set_index("name").at["electricity", "energy_source_id"])
    assert enms.create_seus(rows) == 1
    assert enms.create_seus(rows) == 0
    assert len(enms.read_seus()) == 3  # the seed's two and ours


def test_a_row_the_enms_refuses_fails_the_publish_whole(enms):
    seu_id, machine_id, source_id = _boiler_gas(enms)
    store_baseline(enms, machine_id, source_id)
    frames = iso50001_frames(seu_id, machine_id, source_id)
    frames["enpi_performance"] = frames["enpi_performance"].assign(iso_status="fine")  # not in its CHECK
    with pytest.raises(WarehouseError, match="enpi_performance"):
        enms.publish_iso50001(frames)
    assert count(enms, "enpi_baselines") == count(enms, "enpi_performance") == 0
    assert enms.query("SELECT r_squared FROM seus")["r_squared"].isna().all()
    assert enms.publish_iso50001({"enpi_baselines": frames["enpi_baselines"]})["enpi_baselines"]["inserted"] == 1
