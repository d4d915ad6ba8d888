"""Issue 10 at the warehouse's edge: two publishes at once, a URL or search_path that is wrong, values that hold SQL
or shell code. Each case ends green, or with one line naming the setting and what to do.

PostgreSQL cases need the server of tests/pgserver.py (skipped without one, failed under ENMS_REQUIRE_PG=1).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from pgserver import fresh_database
from plants import (
    ELECTRICITY_ID,
    PRESS_ID,
    anomaly_event,
    baseline_row,
    forecast_frames,
    tiny_plant,
    tiny_sources,
)

from enms.cli import main
from enms.environments import ROOT
from enms.io import WarehouseError, connect, load_frames
from enms.rows import anomaly_rows, plan_write_back

TESTS = Path(__file__).resolve().parents[1]
EVIL = "x'); SELECT version(); --"
"""A value that is SQL: stored, it must come back as data."""
PUBLISHED = ("energy_baselines", "anomalies", "energy_forecasts", "enms_analytics.forecast_vintages")


def _counts(url: str) -> dict[str, int]:
    with connect(url) as warehouse:
        return {table: warehouse._count(table) for table in PUBLISHED}


def _at_once(work, n: int = 2, meanwhile=lambda: None) -> list[object]:
    """Run ``work(i, barrier)`` in ``n`` threads (they pass the barrier together) and ``meanwhile()`` in this one;
    each thread's result, or the exception it raised."""
    barrier, results = threading.Barrier(n), [None] * n

    def run(i: int) -> None:
        try:
            results[i] = work(i, barrier)
        except Exception as error:  # the test asserts on it
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    meanwhile()
    for thread in threads:
        thread.join()
    return results


# ------------------------------------------------------------------------------------------------ concurrency
@pytest.fixture(scope="module")
def real_products(test_products) -> dict[str, pd.DataFrame]:
    """The test run's publish input (parquet, as the pipeline leaves it) and the dimension rows it refers to."""
    frames = load_frames(test_products / "extract", ["factories", "machines", "energy_sources"])
    frames |= load_frames(test_products / "baselines", ["energy_baselines_rows"])
    frames |= load_frames(test_products / "anomalies", ["anomaly_rows"])
    frames |= load_frames(test_products / "forecasts", ["energy_forecasts_rows", "vintages"])
    return frames


def _empty_warehouse_for(url: str, frames: dict[str, pd.DataFrame]) -> None:
    """The EnMS schema with the products' factories, machines and energy sources (their ids), nothing else."""
    factories = frames["factories"].rename(columns={"factory_id": "id", "factory_name": "name"})
    machines = frames["machines"].rename(columns={"machine_id": "id", "machine_name": "name", "machine_type": "type"})
    sources = frames["energy_sources"].rename(columns={"energy_source_id": "id"})
    with connect(url) as warehouse:
        warehouse.load([("factories", factories[["id", "name", "timezone"]]),
                        ("machines", machines[["id", "factory_id", "name", "type", "rated_power_kw",
                                               "data_interval_seconds"]]),
                        ("energy_sources", sources[["id", "name", "unit"]])], progress=lambda _: None)


def _publish(url: str, frames: dict[str, pd.DataFrame], barrier: threading.Barrier | None = None) -> dict:
    with connect(url) as warehouse:
        if barrier is not None:
            barrier.wait()
        return warehouse.publish(frames["energy_baselines_rows"], frames["anomaly_rows"],
                                 frames["energy_forecasts_rows"], frames["vintages"], plan_anomalies=plan_write_back)


def _hold_until_both_wait(blocker: psycopg.Connection) -> None:
    """Keep ``blocker``'s lock until two other sessions wait for a lock (the publishes), then release it."""
    deadline = time.monotonic() + 30
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    while blocker.execute(waiting).fetchone()[0] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    blocker.rollback()


@pytest.mark.pg
@pytest.mark.pipeline
def test_two_publishes_at_once_into_postgresql_serialize_and_both_end_green(real_products):
    """The same products published twice at the same moment leave the rows of one publish; the second finds the
    first's and adds nothing. (They once died with UniqueViolation, or doubled the anomalies.)

    A third session holds energy_baselines in SHARE mode (reads pass, writes wait) until both publishes wait:
    without the publish lock both have read "no baselines yet" by then, every time."""
    with fresh_database("enms_publish_once") as once, fresh_database("enms_publish_twice") as twice:
        for url in (once, twice):
            _empty_warehouse_for(url, real_products)
        alone = _publish(once, real_products)
        with psycopg.connect(twice) as blocker:
            blocker.execute("LOCK TABLE energy_baselines IN SHARE MODE")
            results = _at_once(lambda i, barrier: _publish(twice, real_products, barrier),
                               meanwhile=lambda: _hold_until_both_wait(blocker))
        assert all(isinstance(r, dict) for r in results), results
        assert _counts(twice) == _counts(once)
        assert _counts(once)["anomalies"] == alone["anomalies"]["inserted"] > 0
        first, second = sorted(results, key=lambda r: r["energy_baselines"]["inserted"], reverse=True)
        assert first["energy_baselines"] == alone["energy_baselines"]
        assert second["energy_baselines"] == {"inserted": 0, "unchanged": len(real_products["energy_baselines_rows"])}
        assert second["anomalies"] == {"inserted": 0, "updated": 0, "unchanged": alone["anomalies"]["inserted"]}
        assert second["energy_forecasts"]["vintages_added"] == 0


def _tiny_rows(run: int = 0) -> dict[str, pd.DataFrame]:
    """What the ``run``-th pipeline run over the tiny plant publishes: a new baseline, two events, a forecast."""
    rows, vintages = forecast_frames(run, run + 1, 3, kw=10.0 + run)
    events = pd.concat([anomaly_event(10 + 48 * run, 14 + 48 * run), anomaly_event(30 + 48 * run, 34 + 48 * run)],
                       ignore_index=True)
    return {"energy_baselines_rows": pd.DataFrame([baseline_row(f"run {run}", active=True)]),
            "anomaly_rows": anomaly_rows(events), "energy_forecasts_rows": rows, "vintages": vintages}


def _tiny_duckdb(path: Path) -> str:
    url = f"duckdb:{path}"
    with connect(url, create=True) as warehouse:
        warehouse.load([*tiny_plant(), ("energy_sources", tiny_sources())], progress=lambda _: None)
    return url


@pytest.fixture
def tiny_duckdb(tmp_path) -> str:
    return _tiny_duckdb(tmp_path / "tiny.duckdb")


ONE_PUBLISH = {"energy_baselines": 1, "anomalies": 2, "energy_forecasts": 3, "enms_analytics.forecast_vintages": 3}


def test_two_threads_publishing_into_one_duckdb_file_serialize(tmp_path):
    """The threads of one process share the file's database: a lock per file serializes their publishes. Five
    runs, each published by two threads at once, leave what five runs published once each leave."""
    once, twice = _tiny_duckdb(tmp_path / "once.duckdb"), _tiny_duckdb(tmp_path / "twice.duckdb")
    for run in range(5):
        rows = _tiny_rows(run)
        alone = _publish(once, rows)
        results = _at_once(lambda i, barrier, rows=rows: _publish(twice, rows, barrier))
        assert all(isinstance(r, dict) for r in results), (run, results)
        assert sorted(r["energy_baselines"]["inserted"] for r in results) == [0, 1] == [
            0, alone["energy_baselines"]["inserted"]]
    assert _counts(twice) == _counts(once)
    with connect(twice) as warehouse:
        assert warehouse.read_baselines()["model_version"].tolist() == [1, 2, 3, 4, 5]


def _run_publisher(url: str, go: Path, hold_s: float) -> subprocess.Popen:
    """A process that waits for ``go``, opens the warehouse, holds it ``hold_s`` (a long publish), publishes."""
    code = f"""
import sys, time
from pathlib import Path
sys.path.insert(0, {str(TESTS)!r})
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_warehouse import _publish_tiny_after
_publish_tiny_after({url!r}, Path({str(go)!r}), {hold_s})
"""
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT)


def _publish_tiny_after(url: str, go: Path, hold_s: float) -> None:
    """(In a subprocess.) Publish the tiny rows once ``go`` exists, holding the open file ``hold_s`` first."""
    while not go.exists():
        time.sleep(0.01)
    with connect(url) as warehouse:  # the default wait
        time.sleep(hold_s)
        written = warehouse.publish(*(_tiny_rows()[name] for name in
                                      ("energy_baselines_rows", "anomaly_rows", "energy_forecasts_rows", "vintages")),
                                    plan_anomalies=plan_write_back)
    print(json.dumps(written))


def test_two_processes_publishing_into_one_duckdb_file_take_turns(tiny_duckdb, tmp_path):
    """DuckDB lets one process open a file for writing: the second waits for the first to close it (it once
    failed at once with 'Could not set lock on file'), then finds the first's rows and adds nothing."""
    go = tmp_path / "go"
    procs = [_run_publisher(tiny_duckdb, go, hold_s=1.0) for _ in range(2)]
    time.sleep(0.5)
    go.touch()
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], [err[-600:] for _, err in outputs]
    written = [json.loads(out.splitlines()[-1]) for out, _ in outputs]
    assert sorted(w["energy_baselines"]["inserted"] for w in written) == [0, 1]
    assert _counts(tiny_duckdb) == ONE_PUBLISH


def test_a_duckdb_file_held_longer_than_the_wait_is_one_clear_line(tiny_duckdb, tmp_path):
    path = tiny_duckdb.removeprefix("duckdb:")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({path!r}); print('open', flush=True); "
                               "time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        started = time.perf_counter()
        with pytest.raises(WarehouseError) as raised:
            connect(tiny_duckdb, wait=0.5)
        assert 0.5 <= time.perf_counter() - started < 5
    finally:
        holder.kill()
        holder.wait()
    assert str(raised.value) == (
        f"DuckDB warehouse file {path} is still held by another process (PID {holder.pid}) after 0.5 s: DuckDB "
        "lets one process at a time open it for writing; wait until that run or `enms` command ends, or stop it, "
        "then retry")
    with connect(tiny_duckdb, wait=0.5) as warehouse:  # released: opens at once
        assert warehouse.relation_exists("machines")


# ------------------------------------------------------------------------------------------------ search_path
@pytest.mark.pg
def test_a_search_path_that_hides_the_enms_tables_names_them_and_the_cause(capsys):
    with fresh_database("enms_search_path") as url:
        with connect(url) as warehouse:
            warehouse.init_schema()
        hidden = f"{url}?options=-csearch_path%3Dnowhere"
        expected = (f"the EnMS tables factories, machines, energy_sources, energy_tariffs, carbon_factors, "
                    f"energy_readings, production_data, environmental_data, machine_status, energy_baselines, "
                    f"anomalies, energy_forecasts, seus, baseline_adjustments, data_quality_log, "
                    f"model_performance_metrics, model_training_history, model_alerts, enpi_baselines, "
                    f"enpi_performance, energy_targets of {hidden} are not visible: they are in schema public, which "
                    f"the search_path (nowhere) leaves out: remove the search_path option from the URL, or name that "
                    f"schema in it (options=-csearch_path%3Dpublic)")
        with connect(hidden) as warehouse:
            with pytest.raises(WarehouseError) as raised:
                warehouse.require_schema()
            assert str(raised.value) == expected
            with pytest.raises(WarehouseError, match="are not visible: they are in schema public"):
                warehouse.init_schema()  # never a second set of tables beside the hidden ones
        assert main(["info", "--warehouse", hidden]) == 2
        assert capsys.readouterr().err == f"enms info: error: {expected}\n"


@pytest.mark.pg
def test_db_init_with_a_search_path_naming_no_schema_is_one_line(capsys):
    with fresh_database("enms_search_nowhere") as url:
        assert main(["db", "init", "--url", f"{url}?options=-csearch_path%3Dnowhere"]) == 2
    assert capsys.readouterr().err == (
        "enms db init: error: PostgreSQL: no schema has been selected to create in: the URL's search_path names no "
        "schema that exists: remove the search_path option from the URL or name the schema holding the EnMS tables "
        "in it\n")


@pytest.mark.pg
def test_the_enms_tables_in_a_schema_of_their_own_are_found_through_the_search_path():
    with fresh_database("enms_own_schema") as url:
        with psycopg.connect(url, autocommit=True) as con:
            con.execute("CREATE SCHEMA plant")
        in_plant = f"{url}?options=-csearch_path%3Dplant"
        with connect(in_plant) as warehouse:
            created = warehouse.init_schema()
            assert "machines" in created and warehouse.init_schema() == []  # idempotent there too
            warehouse.require_schema()
            assert "energy_source_id" in warehouse.columns_of("energy_baselines")
        with connect(url) as warehouse, pytest.raises(WarehouseError, match=r"they are in schema plant, which the "
                                                                             r'search_path \("\$user", public\)'):
            warehouse.require_schema()


# ------------------------------------------------------------------------------------------------ injection
@pytest.mark.pg
def test_quoted_names_and_sql_values_round_trip_on_postgresql():
    table, column = 'odd"table', "we'ird \"col\""
    with fresh_database("enms_quotes") as url, connect(url) as warehouse:
        warehouse.load([*tiny_plant(), ("energy_sources", tiny_sources())], progress=lambda _: None)
        warehouse.execute(f"CREATE TABLE {warehouse.ident(table)} (id INTEGER PRIMARY KEY, "
                          f"{warehouse.ident(column)} TEXT, tags TEXT[])")
        assert warehouse.relation_exists(table) and warehouse.columns_of(table) == ["id", column, "tags"]
        tags = ["a,b", 'q"uote', "back\\slash", "{brace}", EVIL, "NULL"]
        with warehouse.transaction():
            warehouse.write_frame(table, pd.DataFrame({"id": [1], column: [EVIL], "tags": [tags]}))
            warehouse.upsert_frame(table, pd.DataFrame({"id": [1, 2], column: ["y", EVIL], "tags": [tags, tags]}),
                                   ["id"])
        stored = warehouse.query(f"SELECT * FROM {warehouse.ident(table)} ORDER BY id")
        assert stored[column].tolist() == ["y", EVIL] and [list(t) for t in stored["tags"]] == [tags, tags]

        baseline = baseline_row("f", active=True) | {"feature_names": ["production", "temp, outdoor", 'x"y']}
        warehouse.publish_baselines(pd.DataFrame([baseline]))
        names = warehouse.query("SELECT feature_names FROM energy_baselines").iat[0, 0]
        assert list(names) == ["production", "temp, outdoor", 'x"y']

        hour = pd.Timestamp("2026-03-01 05:00", tz="UTC")
        with warehouse.transaction():
            warehouse.write_frame("energy_readings", pd.DataFrame({
                "time": [hour], "machine_id": PRESS_ID, "energy_type": [EVIL], "power_kw": [1.0], "energy_kwh": [1.0]}))
        frame = warehouse.read_energy("1 hour", hour, hour + pd.Timedelta(hours=1), [PRESS_ID])
        assert frame["energy_type"].tolist() == [EVIL]
        rows, vintages = forecast_frames(0, 1, 3, kw=10.0)
        warehouse.publish_forecasts(rows, vintages.assign(energy_type=EVIL))
        assert warehouse.query("SELECT DISTINCT energy_type FROM enms_analytics.forecast_vintages"
                               )["energy_type"].tolist() == [EVIL]
        # Nothing ran: no table or row appeared besides these.
        assert warehouse._count("energy_baselines") == 1 and ELECTRICITY_ID in set(
            warehouse.query("SELECT CAST(id AS TEXT) AS id FROM energy_sources")["id"])


@pytest.mark.pg
def test_array_elements_with_commas_and_quotes_survive_the_copy(tmp_path):
    """`enms db copy` writes arrays as PostgreSQL literals: an element holding a comma once became two."""
    tags = ["a,b", 'q"uote', "back\\slash", "{brace}", "it's"]
    with connect(f"duckdb:{tmp_path / 'source.duckdb'}", create=True) as source, \
            fresh_database("enms_copy_arrays") as url, connect(url) as target:
        for warehouse in (source, target):
            warehouse.execute("CREATE TABLE tagged (id INTEGER, feature_names TEXT[], applicable_days INTEGER[])")
        source.execute("INSERT INTO tagged VALUES (1, ?, ?)", [tags, [1, 7]])
        with target.transaction():
            assert source._copy_table("tagged", target, tmp_path / "t.csv") == 1
        stored = target.query("SELECT feature_names, applicable_days FROM tagged")
        assert list(stored.iat[0, 0]) == tags and list(stored.iat[0, 1]) == [1, 7]


@pytest.fixture
def make_folder(tmp_path) -> Path:
    """The Makefile in a folder of its own, with stand-ins for .venv/bin/enms and ploomber that print each
    argument they get on a line of its own: what a recipe passes, and whether a shell ran anything else."""
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    bin_ = tmp_path / ".venv" / "bin"
    bin_.mkdir(parents=True)
    for name in ("enms", "ploomber"):
        (bin_ / name).write_text('#!/bin/sh\nfor a in "$@"; do printf "[%s]\\n" "$a"; done\n')
        (bin_ / name).chmod(0o755)
    for name in ("requirements.lock", "pyproject.toml"):  # older than the stamp: `setup` has nothing to do
        (tmp_path / name).touch()
        os.utime(tmp_path / name, (0, 0))
    (bin_.parent / ".installed").touch()
    return tmp_path


def _make(folder: Path, *args: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("ENV", "FACTORY", "PERIOD", "PERIOD_END", "MAKEFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=folder, capture_output=True, text=True,
                          env=environment, timeout=60)


@pytest.mark.parametrize("args", [
    ("report", "PERIOD=2025-10", 'FACTORY=x"; touch pwned'),
    ("report", "PERIOD=2025-10", "FACTORY=$(shell touch pwned)"),
    ("report", "PERIOD=`touch pwned`"),
    ("report", "PERIOD=2025-10-01", "PERIOD_END=$$(touch pwned)"),
    ("data", "ENV=test && touch pwned"),
    ("pipeline", "ENV=$(shell touch pwned)"),
    ("report", "ENV=`touch pwned`", "PERIOD=2025-10"),
])
def test_make_passes_user_values_as_data_never_as_code(make_folder, args):
    """`make report FACTORY='x"; touch pwned'` and its kin: make expands nothing in them and no shell runs them;
    the `enms` command gets each as one argument, or make refuses a bad ENV."""
    done = _make(make_folder, *args)
    assert not (make_folder / "pwned").exists(), done.stdout + done.stderr
    values = dict(arg.split("=", 1) for arg in args[1:])
    if "ENV" in values:
        assert done.returncode == 2
        assert f'ENV must be demo, pg or test (got "{values["ENV"]}")' in done.stderr
    else:
        assert done.returncode == 0, done.stderr
        printed = done.stdout.splitlines()
        for option, name in (("--factory", "FACTORY"), ("--period", "PERIOD"), ("--period-end", "PERIOD_END")):
            if name in values:
                assert printed[printed.index(f"[{option}]") + 1] == f"[{values[name]}]"


def test_make_report_without_a_period_prints_its_usage(make_folder):
    done = _make(make_folder, "report", "ENV=test")
    assert done.returncode == 2 and done.stdout.startswith("usage: make report FACTORY=<slug or name> PERIOD=YYYY-MM")
