"""Publishing the pipeline's real products (parquet, as a run leaves them) into the EnMS's own schema: every row
satisfies its constraints, its views show them, and a second publish adds nothing.

The products carry the DuckDB test plant's machine and energy-source ids; the EnMS has its own, so they are
mapped by factory and machine name (and energy-source name), as ``enms db copy --attach`` maps them.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import psycopg
import pytest

from enms.io import connect, load_frames
from enms.rows import FORECAST_MODEL_VERSION, plan_write_back

pytestmark = pytest.mark.pg

NEEDED = {"baselines": ["energy_baselines_rows"], "anomalies": ["anomaly_rows"],
          "forecasts": ["energy_forecasts_rows", "vintages"], "extract": ["machines", "energy_sources"]}


@pytest.fixture(scope="module")
def products(test_products) -> dict[str, pd.DataFrame]:
    """The test environment's products, read back from parquet after an up-to-date build."""
    frames: dict[str, pd.DataFrame] = {}
    for step, names in NEEDED.items():
        frames |= load_frames(test_products / step, names)
    return frames


def _for_the_enms(products: dict[str, pd.DataFrame], url: str) -> dict[str, pd.DataFrame]:
    """The products with the EnMS's machine and energy-source ids (matched by name)."""
    ours = products["machines"].set_index("machine_id")[["factory_name", "machine_name"]].apply(tuple, axis=1)
    with connect(url) as warehouse:
        theirs = warehouse.read_machines().set_index(["factory_name", "machine_name"])["machine_id"]
        sources = warehouse.read_energy_sources().set_index("name")["energy_source_id"]
    machine = ours.map(theirs.to_dict())
    assert machine.notna().all(), f"machines without a match in the EnMS: {ours[machine.isna()].tolist()}"
    source = products["energy_sources"].set_index("energy_source_id")["name"].map(sources.to_dict())
    out = {}
    for name in ("energy_baselines_rows", "anomaly_rows", "energy_forecasts_rows", "vintages"):
        frame = products[name].copy()
        frame["machine_id"] = frame["machine_id"].map(machine.to_dict())
        if "energy_source_id" in frame:
            frame["energy_source_id"] = frame["energy_source_id"].map(source.to_dict())
        out[name] = frame
    return out


def _publish(url: str, rows: dict[str, pd.DataFrame]) -> dict[str, dict[str, int]]:
    with connect(url) as warehouse:
        return warehouse.publish(rows["energy_baselines_rows"], rows["anomaly_rows"], rows["energy_forecasts_rows"],
                                 rows["vintages"], plan_anomalies=plan_write_back)


def _count(con: psycopg.Connection, statement: str) -> int:
    return con.execute(statement).fetchone()[0]


def test_real_products_publish_into_the_enms_schema_and_its_views_show_them(products, fresh_enms_database):
    # The parquet round trip is what broke publish: TEXT[] comes back as a numpy array, not a list.
    assert isinstance(products["energy_baselines_rows"]["feature_names"].iloc[0], np.ndarray)
    rows = _for_the_enms(products, fresh_enms_database)
    first = _publish(fresh_enms_database, rows)
    assert first["energy_baselines"]["inserted"] == len(rows["energy_baselines_rows"]) > 0
    assert first["anomalies"]["inserted"] > 0
    assert first["energy_forecasts"]["energy_forecasts"] == len(rows["energy_forecasts_rows"]) > 0

    with psycopg.connect(fresh_enms_database) as con:
        counts = {t: _count(con, f"SELECT count(*) FROM {t}") for t in
                  ("energy_baselines", "anomalies", "energy_forecasts", "enms_analytics.forecast_vintages")}
        assert counts["energy_baselines"] == len(rows["energy_baselines_rows"])
        assert counts["anomalies"] == first["anomalies"]["inserted"]
        assert counts["energy_forecasts"] == len(rows["energy_forecasts_rows"])
        # energy_forecasts as the EnMS defines it: INTEGER model_version, our version string in metadata
        versions = con.execute("SELECT DISTINCT model_version, metadata->>'model_version' FROM energy_forecasts")
        assert versions.fetchall() == [(FORECAST_MODEL_VERSION, rows["energy_forecasts_rows"]["metadata"]
                                        .map(lambda m: json.loads(m)["model_version"]).iloc[0])]
        assert _count(con, "SELECT count(*) FROM energy_forecasts WHERE metadata->>'model_version' "
                           "NOT LIKE 'enms-%'") == 0
        # one active model per machine and energy source (the EnMS's partial index assumes it)
        assert _count(con, "SELECT count(*) FROM (SELECT machine_id, energy_source_id FROM energy_baselines "
                           "WHERE is_active GROUP BY 1, 2 HAVING count(*) > 1) AS d") == 0
        # the EnMS's own views over what we write
        assert _count(con, "SELECT count(*) FROM v_active_anomalies") == counts["anomalies"]
        assert _count(con, "SELECT count(*) FROM v_active_anomalies WHERE factory_name IS NULL") == 0
        active = _count(con, "SELECT count(*) FROM energy_baselines WHERE is_active")
        assert _count(con, "SELECT count(*) FROM v_baseline_compliance WHERE model_name IS NOT NULL") == active > 0
        latest = con.execute("SELECT machine_name, model_type::TEXT FROM latest_forecasts").fetchall()
        forecast_machines = rows["energy_forecasts_rows"]["machine_id"].nunique()
        assert len({name for name, _ in latest}) == forecast_machines
        assert {name for name, _ in latest} <= set(products["machines"]["machine_name"])

    second = _publish(fresh_enms_database, rows)
    assert second["energy_baselines"] == {"inserted": 0, "unchanged": len(rows["energy_baselines_rows"])}
    assert second["anomalies"]["inserted"] == 0
    assert second["energy_forecasts"]["vintages_added"] == 0
    with psycopg.connect(fresh_enms_database) as con:
        again = {t: _count(con, f"SELECT count(*) FROM {t}") for t in counts}
    assert again == counts
