"""The environments: env.yaml (shared settings, alone the DuckDB demo plant) merged with env.<name>.yaml (only
what differs). Read by the pipeline's entry point and the `enms` command; loads neither Ploomber nor pandas.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from enms.settings import TRAINING_TRIGGERS

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ("demo", "pg", "test")
_PATH_KEYS = ("products", "reports")
LAST_MONTH = "last"
"""A report period resolved by the pipeline from the data: the last local calendar month the readings cover."""
WAREHOUSE_VARIABLE = "ENMS_WAREHOUSE"
"""Names a warehouse (a duckdb: path or a postgresql:// URL) the pipeline runs on instead of the environment's:
``make run WAREHOUSE=duckdb:data/mine.duckdb`` sets it."""


DASK_VARIABLE = "ENMS_DASK_SCHEDULER"
"""The address of a dask.distributed scheduler the per-machine work runs on, when not the environment's
``dask_scheduler``."""
TRIGGER_VARIABLE = "ENMS_TRIGGER"
"""What started a run (scheduled or manual) when it is not the environment's ``monitoring.trigger``:
``make run TRIGGER=manual`` sets it."""


def _merge(base: Mapping, override: Mapping) -> dict:
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def previous_month(today: datetime | None = None) -> str:
    """The calendar month before ``today`` (UTC), as YYYY-MM."""
    today = today or datetime.now(UTC)
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def warehouse_name(url: str) -> str:
    """A short, file-safe name of a warehouse for its products' and reports' folders: a DuckDB file's stem
    (``duckdb:data/mine.duckdb`` → ``mine``), a PostgreSQL URL's host and database without user or password
    (``pg-db.example.com-enms``), ``env`` for the URL of ENMS_DATABASE_URL."""
    url = url.strip()
    if url.startswith("duckdb:"):
        name = Path(url.removeprefix("duckdb:")).stem
    elif "://" in url:
        parts = urlsplit(url)
        name = f"pg-{parts.hostname or 'local'}-{parts.path.strip('/') or 'postgres'}"
    else:
        name = url
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")
    if not safe:
        raise ValueError("the warehouse names no file or database: give a duckdb: path or a postgresql:// URL")
    return safe


def _override_warehouse(values: dict, warehouse: str) -> None:
    """Point ``values`` at another warehouse: its own products and reports, every machine and factory (the
    environment's selection names its own plant's), the last full month of its data reported. A password in a
    URL is refused: it would be written into the extract's parameters; PGPASSWORD, ~/.pgpass or
    ``WAREHOUSE=env`` (ENMS_DATABASE_URL) keep it out."""
    try:
        password = urlsplit(warehouse).password if "://" in warehouse else None
    except ValueError as error:
        raise ValueError(f"the warehouse URL cannot be read: {error}") from None
    if password:
        raise ValueError("the warehouse URL holds a password, which would be written into the run's products: "
                         "use PGPASSWORD, ~/.pgpass, or WAREHOUSE=env with the URL in ENMS_DATABASE_URL")
    name = warehouse_name(warehouse)
    values.update(warehouse=warehouse, machines="", factories="",
                  products=str(Path(values["products"]).parent / name), reports=str(Path(values["reports"]) / name))
    values["report"] = {**values["report"], "period": LAST_MONTH}


def settings(env: str = "demo", root: Path = ROOT, *, warehouse: str | None = None) -> dict:
    """The settings of environment ``env``: env.yaml merged with env.<env>.yaml, paths made absolute, the report
    period resolved. A ``warehouse`` of ``env`` (or none) stays that word: the URL (and its password) is read from
    ENMS_DATABASE_URL only where a connection opens, so no notebook parameter or product holds it. An empty one
    is an error, never PostgreSQL by default.

    ``warehouse`` (default: the ENMS_WAREHOUSE variable; '' or blank: none) replaces the environment's
    warehouse, keeping its other settings; products and reports then go to a folder of the warehouse's name
    (:func:`warehouse_name`) under the environment's, so runs on different warehouses never share products."""
    if env not in ENVIRONMENTS:
        raise ValueError(f"unknown environment {env!r}; known: {', '.join(ENVIRONMENTS)}")
    values = yaml.safe_load((root / "env.yaml").read_text(encoding="utf-8"))
    if env != "demo":
        values = _merge(values, yaml.safe_load((root / f"env.{env}.yaml").read_text(encoding="utf-8")))
    warehouse = (os.environ.get(WAREHOUSE_VARIABLE, "") if warehouse is None else warehouse).strip()
    if warehouse:  # '' (given or the variable's): the environment's own
        _override_warehouse(values, warehouse)
    values["dask_scheduler"] = (os.environ.get(DASK_VARIABLE, "").strip() or values.get("dask_scheduler") or "")
    monitoring = values.get("monitoring") or {}
    trigger = os.environ.get(TRIGGER_VARIABLE, "").strip() or monitoring.get("trigger", TRAINING_TRIGGERS[0])
    if trigger not in TRAINING_TRIGGERS:
        raise ValueError(f"the run's trigger is {trigger!r}: give one of {', '.join(TRAINING_TRIGGERS)} "
                         f"({TRIGGER_VARIABLE} or monitoring.trigger)")
    values["monitoring"] = {**monitoring, "trigger": trigger}
    for key in _PATH_KEYS:
        values[key] = str((root / values[key]).resolve())
    if values.get("calendar"):  # a closure calendar (CSV), like the other paths relative to this folder
        values["calendar"] = str((root / values["calendar"]).resolve())
    warehouse = values.get("warehouse")
    if warehouse is None:  # absent or left blank in YAML (`warehouse:`): the variable, as `env` says
        warehouse = values["warehouse"] = "env"
    if not isinstance(warehouse, str) or not warehouse.strip():
        files = "env.yaml" if env == "demo" else f"env.yaml or env.{env}.yaml"
        what = "empty" if isinstance(warehouse, str) else f"{warehouse!r}, not text,"
        raise ValueError(f"warehouse is {what} in {files}: give a duckdb: path, a postgresql:// URL or env "
                         "(which reads ENMS_DATABASE_URL)")
    if warehouse.startswith("duckdb:") and not Path(warehouse.removeprefix("duckdb:")).is_absolute():
        values["warehouse"] = f"duckdb:{(root / warehouse.removeprefix('duckdb:')).resolve()}"
    if values["report"]["period"] == "previous":
        values["report"]["period"] = previous_month()
    return values
