"""Non-routine baseline adjustments (``baseline_adjustments``, ISO 50015 / IPMVP): a factor on an SEU's expected
energy from a local date on, applied only once approved."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

ADJUSTMENT_COLUMNS = ["id", "seu_id", "seu_name", "adjustment_date", "adjustment_type", "adjustment_reason",
                      "adjustment_factor", "approved_by", "approved_at", "applied", "why"]


def _missing(value: object) -> bool:
    return value is None or bool(pd.isna(value)) or (isinstance(value, str) and not value.strip())


def adjustments_table(adjustments: pd.DataFrame, modelled: Mapping[str, str]) -> pd.DataFrame:
    """Every adjustment with its SEU's name, whether it is applied and why (:data:`ADJUSTMENT_COLUMNS`).

    ``modelled``: seu_id → name of the SEUs with a model in this run. Applied: approved (approved_by and
    approved_at both set), a finite factor > 0, and an SEU modelled here; it then multiplies that SEU's expected
    energy on every local day from adjustment_date on (inclusive).
    """
    rows = []
    for adj in adjustments.itertuples(index=False):
        seu_id = str(adj.seu_id)
        factor = float(adj.adjustment_factor) if not _missing(adj.adjustment_factor) else np.nan
        if _missing(adj.approved_by) or _missing(adj.approved_at):
            why = "not applied: not approved (pending)"
        elif not (np.isfinite(factor) and factor > 0):
            why = f"not applied: factor {adj.adjustment_factor!r} is not a positive number"
        elif seu_id not in modelled:
            why = "not applied: its SEU has no model in this run"
        else:
            why = f"applied from {adj.adjustment_date}: approved by {adj.approved_by}"
        rows.append({"id": str(adj.id), "seu_id": seu_id, "seu_name": modelled.get(seu_id),
                     "adjustment_date": adj.adjustment_date, "adjustment_type": adj.adjustment_type,
                     "adjustment_reason": adj.adjustment_reason, "adjustment_factor": factor,
                     "approved_by": adj.approved_by, "approved_at": adj.approved_at,
                     "applied": why.startswith("applied"), "why": why})
    return pd.DataFrame(rows, columns=ADJUSTMENT_COLUMNS)


def daily_factors(dates: pd.Series, applied: pd.DataFrame) -> np.ndarray:
    """The adjustment factor in force on each local date (naive midnights): the product of the factors of the
    applied adjustments dated on or before it (1.0 where none is)."""
    days = pd.to_datetime(dates).to_numpy(dtype="datetime64[D]")
    out = np.ones(len(days))
    for adj in applied.itertuples(index=False):
        out[days >= np.datetime64(pd.Timestamp(adj.adjustment_date).date(), "D")] *= float(adj.adjustment_factor)
    return out
