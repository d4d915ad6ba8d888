"""Deterministic row ids for the EnMS tables this package writes.

A re-run must upsert the same rows instead of duplicating them, so every id is a
UUID5 of the table name and the row's natural key.
"""

from __future__ import annotations

import uuid

ROWS_NAMESPACE = uuid.UUID("3d0c5a52-9a3e-4d55-8f61-2f4b1c7e6a90")


def row_id(table: str, *parts: object) -> str:
    """UUID5 (as str) of "<table>|<part>|<part>…" in the enms rows namespace."""
    return str(uuid.uuid5(ROWS_NAMESPACE, "|".join([table, *map(str, parts)])))
