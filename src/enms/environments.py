"""The environments: env.yaml (shared settings, alone the DuckDB demo plant) merged with env.<name>.yaml (only
what differs). Read by the pipeline's entry point and the `enms` command; loads neither Ploomber nor pandas.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ("demo", "pg", "test")
_PATH_KEYS = ("products", "reports")


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


def settings(env: str = "demo", root: Path = ROOT) -> dict:
    """The settings of environment ``env``: env.yaml merged with env.<env>.yaml, paths made absolute, the report
    period resolved. A ``warehouse`` of ``env`` (or none) stays that word: the URL (and its password) is read from
    ENMS_DATABASE_URL only where a connection opens, so no notebook parameter or product holds it. An empty one
    is an error, never PostgreSQL by default."""
    if env not in ENVIRONMENTS:
        raise ValueError(f"unknown environment {env!r}; known: {', '.join(ENVIRONMENTS)}")
    values = yaml.safe_load((root / "env.yaml").read_text(encoding="utf-8"))
    if env != "demo":
        values = _merge(values, yaml.safe_load((root / f"env.{env}.yaml").read_text(encoding="utf-8")))
    for key in _PATH_KEYS:
        values[key] = str((root / values[key]).resolve())
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
