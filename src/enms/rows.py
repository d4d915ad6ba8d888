"""Rows for the EnMS tables the analytics write back: pure builders (the warehouse writes them, :mod:`enms.io`).

* ``energy_baselines``: :func:`baseline_rows` (versioned by :func:`fingerprint`);
* ``anomalies``: :func:`anomaly_rows`, keyed by :func:`event_key`; :func:`plan_write_back` decides what an
  idempotent write inserts and updates (the warehouse is given it as its planner);
* ``energy_forecasts`` and our ``forecast_vintages``: :func:`forecast_rows`, :func:`vintage_rows`.

Every DECIMAL column goes through :func:`fit_decimal`, with the column's (precision, scale) from the schema
(:data:`enms.io.warehouse.schema.DECIMALS`): a value that does not fit is stored as NULL (or clipped where the column is
NOT NULL) and the reason goes into the row's metadata, so a write never crashes on an overflow.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from enms import __version__
from enms.frames import parse_metadata, require_columns
from enms.io.warehouse.schema import DECIMALS, ENUMS
from enms.localtime import HOUR, parse_utc
from enms.settings import CONFIDENCE, INCIDENT_GAP_HOURS

if TYPE_CHECKING:
    from enms.baselines import Baseline

TRAINED_BY = f"enms-analytics {__version__}"


# ------------------------------------------------------------------------------------------------ DECIMAL
def decimal_limit(table: str, column: str) -> float:
    """The largest magnitude DECIMAL(precision, scale) column ``table.column`` holds, e.g. 999,999.99 for (8, 2)."""
    precision, scale = DECIMALS[table][column]
    return 10 ** (precision - scale) - 10 ** (-scale)


def fit_decimal(table: str, column: str, value: object) -> tuple[float | None, str | None]:
    """``value`` as DECIMAL column ``table.column`` stores it → (stored value, reason it is None).

    The value is rounded to the column's scale, as the database rounds it; one beyond the column's limit after
    rounding, NaN or infinite is None with the reason; None (no value at all) is None without a reason.
    """
    if value is None:
        return None, None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, f"{value!r} is not a number"
    if not math.isfinite(number):
        return None, f"{number} is not finite"
    precision, scale = DECIMALS[table][column]
    stored = round(number, scale)
    limit = decimal_limit(table, column)
    if abs(stored) > limit:
        return None, f"{number:.6g} exceeds DECIMAL({precision},{scale}) ±{limit:,.{scale}f}"
    return stored, None


def _fit_noted(table: str, column: str, notes: dict[str, str], value: object,
               note: str = "{}: stored as NULL") -> float | None:
    """:func:`fit_decimal`, with the reason a value is None written into ``notes[column]`` (``note`` formats it)."""
    stored, reason = fit_decimal(table, column, value)
    if reason:
        notes[column] = note.format(reason)
    return stored


def _finite(value: object) -> object:
    """A JSON-able figure: a non-finite float becomes None (JSON has no NaN), anything else stays as it is."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _json_float(value: object) -> float | None:
    """A figure for metadata JSON: a float rounded to 6 decimals, None when missing, not numeric or not finite."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return round(number, 6) if math.isfinite(number) else None


# ------------------------------------------------------------------------------------------------ energy_baselines
def fingerprint(payload: Mapping[str, object]) -> str:
    """A stable hash of what defines a stored model: unchanged inputs give the same fingerprint."""
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _gates(row: pd.Series) -> dict[str, dict[str, object]]:
    names = [c.removesuffix("_passed") for c in row.index if c.endswith("_passed")]
    return {name: {"passed": None if pd.isna(row[f"{name}_passed"]) else bool(row[f"{name}_passed"]),
                   "reason": row[f"{name}_reason"], "figures": json.loads(row[f"{name}_figures"])}
            for name in names}


def _figures(row: pd.Series, suffix: str) -> dict[str, float]:
    return {c.removesuffix(suffix): _finite(row[c]) for c in row.index if c.endswith(suffix)}


def baseline_rows(candidates: pd.DataFrame, models: Mapping[tuple[str, str, str], Baseline],
                  energy_sources: pd.DataFrame, artefacts: Mapping[tuple[str, str], str] | None = None) -> pd.DataFrame:
    """One ``energy_baselines`` row per machine and energy source: its selected model (active only when
    every gate passed).

    The r_squared / rmse / mae columns hold the **out-of-sample** (blocked cross-validation) figures at the
    model's resolution; metadata holds in-sample, out-of-sample, hold-out and daily figures, every gate with
    its figures and reason, the other candidates, and the fingerprint that makes re-publishing idempotent.
    """
    source_ids = dict(zip(energy_sources["name"], energy_sources["energy_source_id"], strict=True))
    rows = []
    for _, row in candidates[candidates["selected"]].iterrows():
        key = (row["machine_id"], row["energy_type"])
        model = models[(*key, row["model"])]
        notes: dict[str, str] = {}
        others = candidates[(candidates["machine_id"] == key[0]) & (candidates["energy_type"] == key[1])]
        identity = {
            "machine_id": key[0], "energy_type": key[1], "model": row["model"],
            "coefficients": model.coefficients(), "intercept": getattr(model, "intercept_", None),
            "feature_names": list(model.feature_names_in_), "training_start": model.training_start_,
            "training_end": model.training_end_, "training_samples": model.n_obs_,
        }
        metadata = {
            "energy_type": key[1], "machine_name": row["machine_name"], "resolution": row["resolution"],
            "fingerprint": fingerprint(identity), "columns_basis": "out-of-sample (leave-one-month-out CV)",
            "in_sample": _figures(row, "_in"), "out_of_sample": _figures(row, "_oos"),
            "holdout": _figures(row, "_holdout"), "gates": _gates(row),
            "activation_reason": row["activation_reason"], "selection_score": "cv_rmse_daily_oos",
            "candidates": others[["model", "cv_rmse_oos", "cv_rmse_daily_oos", "is_active", "activation_reason"]]
            .assign(cv_rmse_oos=lambda f: f["cv_rmse_oos"].map(_finite),
                    cv_rmse_daily_oos=lambda f: f["cv_rmse_daily_oos"].map(_finite)).to_dict("records"),
            "artefact": (artefacts or {}).get(key),
        }
        rows.append({
            "machine_id": key[0],
            "energy_source_id": source_ids.get(key[1]),
            "model_name": f"{row['model']}:{key[1]}"[:100],
            "model_type": model.model_type[:50],
            "training_start_date": pd.Timestamp(model.training_start_),
            "training_end_date": pd.Timestamp(model.training_end_),
            "training_samples": int(model.n_obs_),
            "coefficients": json.dumps({k: _finite(v) for k, v in model.coefficients().items()}),
            "intercept": _fit_noted("energy_baselines", "intercept", notes, getattr(model, "intercept_", None)),
            "feature_names": list(model.feature_names_in_),
            "r_squared": _fit_noted("energy_baselines", "r_squared", notes, row["r2_oos"]),
            "rmse": _fit_noted("energy_baselines", "rmse", notes, row["rmse_oos"]),
            "mae": _fit_noted("energy_baselines", "mae", notes, row["mae_oos"]),
            "is_active": bool(row["is_active"]),
            "trained_by": TRAINED_BY,
            "metadata": json.dumps(metadata | {"decimal_notes": notes}, default=str),
            "fingerprint": metadata["fingerprint"],
        })
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------ anomalies
_KEY_NAMESPACE = uuid.UUID("6f1c1f0e-5d1a-4c57-9a4e-0e6a2b7c9d11")


def event_key(machine_id: str, energy_type: str, anomaly_type: str, detection_method: str,
              start: pd.Timestamp | str) -> str:
    """Stable idempotence key: UUID5 of machine_id | energy_type | anomaly_type | detection_method | start (UTC,
    ISO 8601, hour resolution). The end is not part of it, so an event that grows in a later run keeps its key;
    being a UUID it can also serve as the row's ``id``."""
    stamp = parse_utc(start)
    text = "|".join([str(machine_id), str(energy_type), str(anomaly_type), str(detection_method),
                     stamp.floor("h").strftime("%Y-%m-%dT%H:%M:%SZ")])
    return str(uuid.uuid5(_KEY_NAMESPACE, text))


def _anomaly_decimal(values: pd.Series, column: str, reasons: list[list[str]]) -> pd.Series:
    """:func:`fit_decimal` over an ``anomalies`` column, reasons per row. NaN (a deviation that is undefined, e.g.
    expected ≤ 0) is NULL without a reason: nothing overflowed."""
    out = []
    for i, value in enumerate(values.to_numpy(dtype="float64")):
        stored, reason = fit_decimal("anomalies", column, value)
        if reason and not math.isnan(value):
            reasons[i].append(f"{column} {reason}; stored as NULL")
        out.append(stored)
    return pd.Series(out, index=values.index, dtype=object)


def anomaly_rows(events: pd.DataFrame, *, run_id: str | None = None, created_at: pd.Timestamp | None = None
                 ) -> pd.DataFrame:
    """Rows for the EnMS ``anomalies`` table from events (one row per event), DECIMAL limits respected.

    ``id`` = ``event_key`` (a UUID5: a rerun yields the same id); ``detected_at`` = event start (UTC);
    ``deviation_percent`` / ``deviation_std_dev`` are DECIMAL(8,2): rounded to 2 decimals, beyond ±999,999.99
    (or not finite) stored as NULL with the reason in ``metadata.null_reasons``; ``confidence_score`` is
    clipped to [0, 1] and rounded to 4 decimals (DECIMAL(5,4)); ``is_resolved`` False. ``metadata`` (JSON
    text) holds energy_type, start, end (UTC ISO, half-open), hours, wasted_kwh, wasted_cost, currency,
    event_key, detectors, peak_z and run_id.
    """
    ev = events.reset_index(drop=True)
    reasons: list[list[str]] = [[] for _ in range(len(ev))]
    keys = [event_key(m, e, a, d, s) for m, e, a, d, s in zip(ev["machine_id"], ev["energy_type"],
                                                               ev["anomaly_type"], ev["detection_method"],
                                                               ev["start"], strict=True)]
    confidence_scale = DECIMALS["anomalies"]["confidence_score"][1]
    rows = pd.DataFrame({
        "id": keys,
        "machine_id": ev["machine_id"].astype(str),
        "detected_at": ev["start"],
        "anomaly_type": ev["anomaly_type"].astype(str).str.slice(0, 100),
        "severity": ev["severity"].astype(str),
        "metric_name": ev["metric_name"].astype(str),
        "metric_value": ev["metric_value"].astype("float64"),
        "expected_value": ev["expected_value"].astype("float64"),
        "deviation_percent": _anomaly_decimal(ev["deviation_percent"], "deviation_percent", reasons),
        "deviation_std_dev": _anomaly_decimal(ev["z"], "deviation_std_dev", reasons),
        "detection_method": ev["detection_method"].astype(str).str.slice(0, 100),
        "confidence_score": np.round(np.clip(np.nan_to_num(ev["confidence"].to_numpy(dtype="float64")), 0, 1),
                                     confidence_scale),
        "is_resolved": False,
    })
    bad_sev = ~rows["severity"].isin(ENUMS["alert_level"])
    if bad_sev.any():
        wrong = sorted(set(rows["severity"][bad_sev]))
        raise ValueError(f"severity must be one of {ENUMS['alert_level']}, got {wrong}")
    meta = []
    for i, r in ev.iterrows():
        m = {"energy_type": r["energy_type"], "start": pd.Timestamp(r["start"]).isoformat(),
             "end": pd.Timestamp(r["end"]).isoformat(), "hours": float((r["end"] - r["start"]) / HOUR),
             "wasted_kwh": _json_float(r.get("wasted_kwh")), "wasted_cost": _json_float(r.get("wasted_cost")),
             "currency": r.get("currency") if isinstance(r.get("currency"), str) else None,
             "event_key": keys[i], "peak_z": _json_float(r.get("peak_z")),
             "detectors": r.get("detectors") if isinstance(r.get("detectors"), str) else r["detection_method"]}
        if run_id is not None:
            m["run_id"] = run_id
        if reasons[i]:
            m["null_reasons"] = reasons[i]
        meta.append(json.dumps(m, sort_keys=True))
    rows["metadata"] = meta
    if created_at is not None:
        rows["created_at"] = created_at
    return rows


def plan_write_back(new_rows: pd.DataFrame, existing: pd.DataFrame, *, gap_hours: int = INCIDENT_GAP_HOURS
                    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Decide, without touching a database, what an idempotent write does → (insert, update, skip).

    ``existing``: the ``anomalies`` rows already stored for these machines (``id``, ``machine_id``,
    ``anomaly_type``, ``detection_method``, ``detected_at``, ``is_resolved``, ``metadata`` with energy_type, end
    and event_key). A new row is the SAME event as a stored one when its event key equals the stored key, or
    when machine, energy type, anomaly type and method are equal and the intervals overlap or lie ≤
    ``gap_hours`` apart (a window that starts inside an event sees a truncated start). Then:
    stored row resolved → skip (rows people resolved are never touched); the new end is later → update the
    stored row (same id, same detected_at and key; end, hours and the metrics from the longer view); else skip
    (a rerun inserts nothing). Anything else is inserted. ``update`` carries the stored ``id``.
    """
    if existing is None or existing.empty:
        return new_rows.copy(), new_rows.iloc[0:0].copy(), new_rows.iloc[0:0].copy()
    ex = existing.reset_index(drop=True).copy()
    meta = [parse_metadata(v) for v in ex["metadata"]]
    ex["_key"] = [m.get("event_key") for m in meta]
    ex["_energy"] = [m.get("energy_type") for m in meta]
    ex["_start"] = pd.to_datetime(ex["detected_at"], utc=True)
    ex["_end"] = pd.to_datetime([m.get("end") for m in meta], utc=True)
    gap = pd.Timedelta(hours=gap_hours)
    inserts, updates, skips = [], [], []
    for _, row in new_rows.iterrows():
        m = parse_metadata(row["metadata"])
        start, end = pd.Timestamp(m["start"]), pd.Timestamp(m["end"])
        same = ex["_key"] == m.get("event_key")
        if not same.any():
            same = ((ex["machine_id"].astype(str) == str(row["machine_id"])) & (ex["_energy"] == m["energy_type"])
                    & (ex["anomaly_type"] == row["anomaly_type"]) & (ex["detection_method"] == row["detection_method"])
                    & (ex["_start"] <= end + gap) & (ex["_end"].isna() | (start <= ex["_end"] + gap)))
        if not same.any():
            inserts.append(row)
            continue
        stored = ex[same].sort_values("_start").iloc[0]
        if bool(stored["is_resolved"]):
            skips.append(row)
            continue
        if pd.isna(stored["_end"]) or end > stored["_end"]:
            upd = row.copy()
            upd["id"] = stored["id"]
            upd["detected_at"] = stored["detected_at"]
            new_meta = dict(m, event_key=stored["_key"] or m.get("event_key"))
            if start > stored["_start"]:  # a truncated view: keep the stored start
                new_meta["start"] = pd.Timestamp(stored["_start"]).isoformat()
                new_meta["hours"] = float((end - stored["_start"]) / HOUR)
            upd["metadata"] = json.dumps(new_meta, sort_keys=True)
            updates.append(upd)
        else:
            skips.append(row)
    cols = list(new_rows.columns)
    return (pd.DataFrame(inserts, columns=cols).reset_index(drop=True),
            pd.DataFrame(updates, columns=cols).reset_index(drop=True),
            pd.DataFrame(skips, columns=cols).reset_index(drop=True))


# ------------------------------------------------------------------------------------------------ energy_forecasts
MODEL_TYPES = {"sarimax": "ARIMA"}
"""Our forecasters' names → ``energy_forecasts.model_type`` (the EnMS's enum); any other model is 'Other'."""


def horizon_label(step: object) -> np.ndarray:
    """``energy_forecasts.horizon`` from the lead time in hours: 1-4 'short', 5-24 'medium', 25 and more 'long'."""
    s = np.asarray(step, dtype=np.int64)
    return np.where(s <= 4, "short", np.where(s <= 24, "medium", "long"))


FORECAST_ROW_COLUMNS = ["machine_id", "model_type", "model_version", "horizon", "forecasted_at", "forecast_time",
                        "predicted_power_kw", "lower_bound_kw", "upper_bound_kw", "confidence_level",
                        "training_samples", "rmse", "mape", "r2", "metadata"]
VINTAGE_COLUMNS = ["forecasted_at", "forecast_time", "machine_id", "energy_type", "model_name", "horizon",
                   "predicted_kwh", "lower_kwh", "upper_kwh", "confidence_level"]
#: Natural key of a vintage row (one forecast of one hour by one model for one series, made at one time).
VINTAGE_KEY = ["forecasted_at", "forecast_time", "machine_id", "energy_type", "model_name"]
_FORECAST_COLUMNS = ("machine_id", "energy_type", "model_name", "origin", "bucket", "step", "predicted_kwh",
                     "lower_kwh", "upper_kwh")


def _backtest_meta(m: object) -> dict[str, object]:
    out: dict[str, object] = {x: _json_float(getattr(m, x, None))
                              for x in ("mase", "nrmse", "rmse", "bias_kwh", "bias_pct", "coverage", "mape", "r2")}
    n = getattr(m, "n", None)
    out["hours"] = None if n is None or pd.isna(n) else int(n)
    return out


def _chosen_series(forecasts: pd.DataFrame, energy_types: Sequence[str]) -> pd.DataFrame:
    """The chosen model's forecasts of the first energy type of ``energy_types`` each machine has."""
    f = forecasts
    if "chosen" in f.columns:
        f = f[f["chosen"].astype(bool)]
    rank = {e: i for i, e in enumerate(energy_types)}
    f = f[f["energy_type"].isin(rank)]
    if f.empty:
        return f
    first = f.assign(_r=f["energy_type"].map(rank)).groupby("machine_id")["_r"].transform("min")
    f = f[f["energy_type"].map(rank) == first]
    dupes = f.groupby(["machine_id", "bucket"])["model_name"].nunique()
    if (dupes > 1).any():
        raise ValueError("more than one model per machine and hour: pass one (chosen) model per series")
    return f


FORECAST_MODEL_VERSION = 1
"""energy_forecasts.model_version (INTEGER, the EnMS's default 1): the layout of our forecast rows; it changes only
when what a row means changes. The software version is in metadata.model_version."""


def forecast_rows(
    forecasts: pd.DataFrame,
    metrics: pd.DataFrame,
    *,
    model_version: str,
    energy_types: Sequence[str] = ("electricity",),
    level: float = CONFIDENCE,
) -> pd.DataFrame:
    """``energy_forecasts`` rows (seed-schema.md) from the forecasts from the end of the data.

    ``forecasts``: :attr:`ForecastRun.forecasts` (machine_id, energy_type, model_name, origin, bucket, step,
    predicted_kwh, lower_kwh, upper_kwh, chosen, training_samples); ``metrics``: :attr:`ForecastRun.metrics`.
    The table's key is (forecast_time, machine_id, model_type), with no energy type: one series per machine
    goes there, the chosen model of the first energy type of ``energy_types`` the machine has (electricity:
    every machine has it, and it is what demand and cost are managed on); every series and model is kept in
    the vintage table (:func:`vintage_rows`). One row per forecast hour of the 168-h forecast; horizon from
    the lead time (1-4 h short, 5-24 h medium, 25-168 h long); predicted_power_kw = predicted kWh / 1 h.
    ``model_version`` (our version string, e.g. ``enms-0.1.0``) goes to metadata.model_version: the EnMS's column is
    INTEGER (12-forecast-predictions.sql), which gets :data:`FORECAST_MODEL_VERSION`.
    rmse / mape / r2 are the chosen model's backtest figures of the matching kind (day-ahead for short and
    medium, week-ahead for long) in kW; a value outside its DECIMAL is NULL with the reason in metadata
    (predicted_power_kw, NOT NULL, is clipped instead).
    """
    require_columns(forecasts, _FORECAST_COLUMNS, "forecasts")
    f = _chosen_series(forecasts, energy_types)
    if f.empty:
        return pd.DataFrame(columns=FORECAST_ROW_COLUMNS)
    met = {(r.machine_id, r.energy_type, r.model_name, r.kind): r for r in metrics.itertuples(index=False)}
    table = "energy_forecasts"
    rows = []
    for r in f.itertuples(index=False):
        horizon = str(horizon_label([r.step])[0])
        kind = "week_ahead" if horizon == "long" else "day_ahead"
        m = met.get((r.machine_id, r.energy_type, r.model_name, kind))
        notes: dict[str, str] = {}
        pred, why = fit_decimal(table, "predicted_power_kw", r.predicted_kwh)
        if pred is None:
            limit = decimal_limit(table, "predicted_power_kw")
            pred = float(np.clip(np.nan_to_num(float(r.predicted_kwh)), -limit, limit))
            notes["predicted_power_kw"] = f"clipped: {why}"
        ts = getattr(r, "training_samples", None)
        meta = {
            "model_name": r.model_name,
            "energy_type": r.energy_type,
            "unit": "kW (hourly average = kWh per hour)",
            "lead_hours": int(r.step),
            "metrics_kind": kind,
            "backtest": {k: _backtest_meta(met.get((r.machine_id, r.energy_type, r.model_name, k)))
                         for k in ("day_ahead", "week_ahead")},
            "interval": "empirical quantiles of out-of-sample backtest residuals by lead bucket and planned state",
            "model_version": str(model_version),
        }
        rows.append({
            "machine_id": r.machine_id,
            "model_type": MODEL_TYPES.get(r.model_name, "Other"),
            "model_version": FORECAST_MODEL_VERSION,
            "horizon": horizon,
            "forecasted_at": r.origin,
            "forecast_time": r.bucket,
            "predicted_power_kw": pred,
            "lower_bound_kw": _fit_noted(table, "lower_bound_kw", notes, r.lower_kwh, "NULL: {}"),
            "upper_bound_kw": _fit_noted(table, "upper_bound_kw", notes, r.upper_kwh, "NULL: {}"),
            "confidence_level": fit_decimal(table, "confidence_level", level)[0],
            "training_samples": None if ts is None or pd.isna(ts) else int(ts),
            "rmse": _fit_noted(table, "rmse", notes, getattr(m, "rmse", None), "NULL: {}"),
            "mape": _fit_noted(table, "mape", notes, getattr(m, "mape", None), "NULL: {}"),
            "r2": _fit_noted(table, "r2", notes, getattr(m, "r2", None), "NULL: {}"),
            "metadata": json.dumps(meta | ({"decimal_limits": notes} if notes else {}), sort_keys=True),
        })
    out = pd.DataFrame(rows, columns=FORECAST_ROW_COLUMNS)
    if out.duplicated(["forecast_time", "machine_id", "model_type"]).any():
        raise ValueError("energy_forecasts rows repeat (forecast_time, machine_id, model_type)")
    return out


def vintage_rows(forecasts: pd.DataFrame, *, models: str = "all", level: float = CONFIDENCE) -> pd.DataFrame:
    """Rows of our own vintage table: every forecast kept, keyed by :data:`VINTAGE_KEY` (so a re-run of the same
    origin replaces its rows and a later origin adds new ones). ``forecasts``: :attr:`ForecastRun.forecasts`
    (or any frame of forecasts with origin; backtest forecasts too); ``models``: 'all' or 'chosen'.
    horizon from the lead time as in :func:`forecast_rows`."""
    require_columns(forecasts, _FORECAST_COLUMNS, "forecasts")
    f = forecasts
    if models == "chosen":
        f = f[f["chosen"].astype(bool)]
    elif models != "all":
        raise ValueError("models must be 'all' or 'chosen'")
    out = pd.DataFrame({
        "forecasted_at": f["origin"].to_numpy(),
        "forecast_time": f["bucket"].to_numpy(),
        "machine_id": f["machine_id"].astype(str).to_numpy(),
        "energy_type": f["energy_type"].astype(str).to_numpy(),
        "model_name": f["model_name"].astype(str).to_numpy(),
        "horizon": horizon_label(f["step"]),
        "predicted_kwh": f["predicted_kwh"].to_numpy(dtype=float),
        "lower_kwh": f["lower_kwh"].to_numpy(dtype=float),
        "upper_kwh": f["upper_kwh"].to_numpy(dtype=float),
        "confidence_level": level,
    })
    return out.drop_duplicates(VINTAGE_KEY, keep="last").reset_index(drop=True)[VINTAGE_COLUMNS]
