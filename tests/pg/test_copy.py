"""`enms db copy` against an EnMS that already has its factories and machines: --attach adds the demo plant's
time series by factory and machine name and nothing else; a plain copy and --replace refuse the EnMS's rows in
one line; --replace deletes only what a copy created; database errors are one line with exit code 2."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from enms.cli import main
from enms.io import connect

pytestmark = pytest.mark.pg

DEMO_PLANT = "Demo Manufacturing Plant"
EXTRA = (DEMO_PLANT, "Chiller-9")  # the EnMS's machine the demo lacks
MISSING = ("European Production Facility", "HVAC-EU-North")  # the demo's machine the EnMS lacks
DIMENSIONS = ("factories", "machines", "energy_sources", "energy_tariffs", "carbon_factors", "seus")
SERIES = ("energy_readings", "production_data", "environmental_data")
# The EnMS's SEU table as far as this test needs it (07-iso50001-schema.sql): the RESTRICT foreign key that
# made a plain copy fail with a traceback.
SEUS = """CREATE TABLE IF NOT EXISTS seus (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(255) NOT NULL,
    energy_source_id UUID REFERENCES energy_sources(id) ON DELETE RESTRICT NOT NULL,
    machine_ids UUID[] NOT NULL)"""
PER_MACHINE = """SELECT f.name AS factory, m.name AS machine, count(*) AS n
    FROM {table} t JOIN machines m ON m.id = t.machine_id JOIN factories f ON f.id = m.factory_id
    GROUP BY 1, 2 ORDER BY 1, 2"""


def _demo_machines(demo_url: str) -> list[tuple]:
    with connect(demo_url, read_only=True) as duck:
        frame = duck.query(
            "SELECT f.name AS factory, m.name AS machine, CAST(m.type AS VARCHAR) AS type, m.rated_power_kw "
            "FROM machines m JOIN factories f ON f.id = m.factory_id ORDER BY 1, 2"
        )
        factories = duck.query("SELECT name, timezone FROM factories ORDER BY 1")
    return list(factories.itertuples(index=False)), list(frame.itertuples(index=False))


@pytest.fixture
def enms_url(pg_url, small_demo):
    """An EnMS: `enms db init`, the demo's factories and machines under ids of its own (without one demo
    machine, with one machine of its own), an energy source and an SEU referencing it."""
    assert main(["db", "init", "--url", pg_url]) == 0
    factories, machines = _demo_machines(small_demo)
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(SEUS)
        for name, timezone in factories:
            con.execute("INSERT INTO factories (name, timezone) VALUES (%s, %s)", [name, timezone])
        rows = [(f, m, kind, power) for f, m, kind, power in machines if (f, m) != MISSING]
        for factory, machine, kind, power in [*rows, (*EXTRA, "other", 30)]:
            con.execute(
                "INSERT INTO machines (factory_id, name, type, rated_power_kw) "
                "SELECT id, %s, %s::machine_type, %s FROM factories WHERE name = %s",
                [machine, kind, power, factory],
            )
        con.execute("INSERT INTO energy_sources (name, unit) VALUES ('electricity', 'kWh')")
        con.execute(
            "INSERT INTO seus (name, energy_source_id, machine_ids) SELECT 'Compressed air', e.id, "
            "ARRAY(SELECT id FROM machines WHERE name = 'Compressor-1') FROM energy_sources e"
        )
    return pg_url


def _snapshot(url: str) -> dict[str, list[str]]:
    """Every dimension row as text, per table."""
    with psycopg.connect(url) as con:
        return {table: sorted(row[0] for row in con.execute(f"SELECT t::text FROM {table} t"))
                for table in DIMENSIONS}


def _per_machine(url: str, table: str) -> dict[tuple[str, str], int]:
    with connect(url, read_only=True) as warehouse:
        frame = warehouse.query(PER_MACHINE.format(table=table))
    return {(f, m): int(n) for f, m, n in frame.itertuples(index=False)}


def _one_error_line(capsys, command: str) -> str:
    err = capsys.readouterr().err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith(f"enms {command}: error: ") and "Traceback" not in err
    return err


def test_attach_copies_the_matched_machines_series_by_name_once(enms_url, small_demo, capsys):
    before = _snapshot(enms_url)
    assert main(["db", "copy", "--source", small_demo, "--target", enms_url, "--attach"]) == 0
    out = capsys.readouterr().out
    assert "not in the EnMS, not copied: HVAC-EU-North (European Production Facility)" in out
    assert "the EnMS's machines the demo lacks (no rows added): Chiller-9 (Demo Manufacturing Plant)" in out
    assert "matched 7 machines" in out
    assert _snapshot(enms_url) == before  # no factory, machine, source, tariff, carbon factor or SEU touched

    for table in SERIES:
        source, target = _per_machine(small_demo, table), _per_machine(enms_url, table)
        expected = {key: n for key, n in source.items() if key != MISSING}
        assert target == expected and len(expected) >= 6, table
    with connect(enms_url) as pg, connect(small_demo, read_only=True) as duck:
        demo_ids = set(duck.query("SELECT CAST(id AS VARCHAR) AS id FROM machines")["id"])
        readings_ids = set(pg.query("SELECT DISTINCT machine_id::text AS id FROM energy_readings")["id"])
        assert readings_ids and not readings_ids & demo_ids  # the EnMS's ids, not the demo's
        faults = pg.query("SELECT m.name FROM enms_analytics.fault_truth t JOIN machines m ON m.id = t.machine_id")
        source_faults = duck.query("SELECT machine_name FROM enms_analytics.fault_truth WHERE machine_name <> %s",
                                   [MISSING[1]])
        assert sorted(faults["name"]) == sorted(source_faults["machine_name"]) and len(faults) > 0
        totals = {table: pg._count(table) for table in (*SERIES, "enms_analytics.outage_truth")}

    assert main(["db", "copy", "--source", small_demo, "--target", enms_url, "--attach"]) == 0
    assert "attached 0 rows" in capsys.readouterr().out
    with connect(enms_url) as pg:
        assert {table: pg._count(table) for table in totals} == totals
    assert _snapshot(enms_url) == before


def test_plain_copy_into_an_enms_refuses_in_one_line(enms_url, small_demo, capsys):
    before = _snapshot(enms_url)
    assert main(["db", "copy", "--source", small_demo, "--target", enms_url]) == 2
    err = _one_error_line(capsys, "db copy")
    assert "already holds an EnMS's own rows" in err and "use --attach" in err and "an empty database" in err
    assert _snapshot(enms_url) == before and _per_machine(enms_url, "energy_readings") == {}


def test_replace_refuses_rows_it_did_not_create(enms_url, small_demo, capsys):
    before = _snapshot(enms_url)
    assert main(["db", "copy", "--source", small_demo, "--target", enms_url, "--replace"]) == 2
    err = _one_error_line(capsys, "db copy")
    assert "--replace deletes only what `enms db copy` created" in err
    assert "Chiller-9 (Demo Manufacturing Plant)" in err and "energy_sources: electricity" in err
    assert _snapshot(enms_url) == before


def test_replace_deletes_only_what_the_copy_created(pg_url, small_demo, capsys):
    assert main(["db", "copy", "--source", small_demo, "--target", pg_url]) == 0
    first = _snapshot_of_copy(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as con:  # a pipeline run wrote an anomaly on a copied machine
        con.execute("INSERT INTO anomalies (machine_id, detected_at, anomaly_type, severity) "
                    "SELECT id, now(), 'spike', 'warning' FROM machines WHERE name = 'Boiler-1'")
    assert main(["db", "copy", "--source", small_demo, "--target", pg_url]) == 2
    assert "pass --replace" in _one_error_line(capsys, "db copy")
    assert main(["db", "copy", "--source", small_demo, "--target", pg_url, "--replace"]) == 0
    assert _snapshot_of_copy(pg_url) == first
    with psycopg.connect(pg_url, autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM anomalies").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM enms_analytics.copies WHERE mode = 'copy'").fetchone()[0] == 1
        # Someone adds a machine of their own to the copied plant: --replace now refuses and deletes nothing.
        con.execute("INSERT INTO machines (factory_id, name, type, rated_power_kw) "
                    "SELECT id, 'Chiller-9', 'other', 30 FROM factories WHERE name = %s", [DEMO_PLANT])
    capsys.readouterr()
    assert main(["db", "copy", "--source", small_demo, "--target", pg_url, "--replace"]) == 2
    assert "machines: Chiller-9 (Demo Manufacturing Plant)" in _one_error_line(capsys, "db copy")
    assert _snapshot_of_copy(pg_url)["machines"] == first["machines"] + 1


def _snapshot_of_copy(url: str) -> dict[str, int]:
    with connect(url) as pg:
        return {table: pg._count(table) for table in (*DIMENSIONS[:-1], *SERIES, "enms_analytics.fault_truth")}


def test_cli_reports_a_hidden_table_in_one_line(pg_url, capsys):
    """A search_path without the EnMS's schema: one line naming the hidden tables, their schema and the fix."""
    assert main(["db", "init", "--url", pg_url]) == 0
    hidden = f"{pg_url}?options=-csearch_path%3Dnowhere"
    assert main(["info", "--warehouse", hidden]) == 2
    err = _one_error_line(capsys, "info")
    assert "energy_readings" in err and "are not visible: they are in schema public, which the search_path " \
        "(nowhere) leaves out: remove the search_path option from the URL" in err


def test_copy_leaves_the_pipeline_output_behind(pg_url, small_demo, tmp_path, capsys):
    """A demo warehouse the pipeline has published into (an older schema's energy_forecasts.model_version was
    text) copies without its output: the run on PostgreSQL writes its own."""
    path = tmp_path / "published.duckdb"
    path.write_bytes(Path(small_demo.removeprefix("duckdb:")).read_bytes())
    with connect(f"duckdb:{path}") as duck:
        duck.execute("INSERT INTO anomalies (machine_id, detected_at, anomaly_type, severity) "
                     "SELECT id, TIMESTAMPTZ '2025-01-01 00:00:00+00', 'spike', 'warning' FROM machines")
    assert main(["db", "copy", "--source", f"duckdb:{path}", "--target", pg_url]) == 0
    assert "anomalies                            not copied (pipeline output)" in capsys.readouterr().out
    with connect(pg_url) as pg:
        assert pg._count("anomalies") == 0 and pg._count("machines") == 8
