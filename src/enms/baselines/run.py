"""Baselines for every machine and energy source: candidates, out-of-sample validation, gates, selection,
and M&V savings over the reporting period.

Per series (machine, energy type):

* **Training rows**: the baseline period (the extract's first 12 months, ended at the first local midnight
  of the factory's zone: :func:`enms.localtime.baseline_boundary`), normal-operation hours (or whole normal
  local days) only, from the mode history.
  The simulator's truth is never read here.
* **Candidates**: hourly TOWT and gradient boosting, daily ISO 50006 regression and change-point models,
  and the hour-of-week mean as the naive reference (reported, never selected).
* **Validation**: leave-one-month-out blocked cross-validation over the baseline (the selection score), and a
  held-out final block of ``holdout_weeks`` weeks (reported). Every model is also scored on local days
  (hourly predictions summed), so hourly and daily models compete on one scale: out-of-sample daily
  CV(RMSE).
* **Gates**: ASHRAE Guideline 14 on the out-of-sample figures at the model's resolution; DOE EnPI Lite on the
  OLS inference (where the model has p-values); NMEC with its fit criteria (CV(RMSE) < 25 %,
  |NMBE| < 0.5 %) on the in-sample figures as the NMEC rulebook applies them, and FSU < 50 % computed with
  the out-of-sample CV(RMSE); CalTRACK sufficiency from the quality step. A failed gate stores the model
  without activating it.
* **Savings**: expected (selected model on the reporting drivers) vs actual over the reporting period's
  normal rows, with the FSU interval at 90 % using the out-of-sample CV(RMSE).
* **Isolation**: each series is fitted on its own. One that quality calls not fittable (``fittable`` /
  ``fit_reason`` of its ``sufficiency``: no readings, too short a history, no normal hours) is not fitted; a
  candidate that raises gets a candidates row with its ``error`` and is never selected; a series whose
  selectable candidates all fail, or that raises anyway, is ``failed``. Every series gets a row in
  :attr:`FleetResult.status` (:data:`STATUS_COLUMNS`) and the others go on.

Pure core: frames in, frames and fitted estimators out; :func:`run` is the step the notebook calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from enms import metrics as mx
from enms import settings
from enms.baselines.base import Baseline
from enms.baselines.changepoint import ChangePointBaseline
from enms.baselines.features import daily_drivers, hourly_drivers
from enms.baselines.gbm import GradientBoostingBaseline
from enms.baselines.naive import HourOfWeekMeanBaseline
from enms.baselines.regression import RegressionBaseline
from enms.baselines.savings import savings
from enms.baselines.towt import TOWTBaseline
from enms.baselines.validation import blocked_cv, check_gates, evaluate, holdout_split, nmec_fsu
from enms.frames import Rows, stacked
from enms.localtime import HOUR, baseline_begin, baseline_boundary
from enms.parallel import run_each

GATES = ("ashrae14", "enpi_lite", "nmec", "caltrack_sufficiency")
NAIVE = "hour_of_week_mean"
KEYS = ["machine_id", "energy_type"]
STATUS_COLUMNS = ["machine_id", "machine_name", "energy_type", "status", "reason", "n_usable_hours"]
"""The baselines step's ``status`` product: one row per series; status 'fitted', 'not fitted' (quality's
verdict, nothing tried) or 'failed' (tried and raised, or no selectable candidate succeeded); n_usable_hours:
the baseline period's normal hours with an energy value (what the fit trains on)."""
CANDIDATE_COLUMNS = ["machine_id", "machine_name", "energy_type", "model", "resolution", "reference_only",
                     "cv_rmse_oos", "selected", "is_active", "activation_reason", "best_hourly", "error"]
"""The columns every candidates table has, empty or not (a fitted candidate adds its figures and gates)."""
EXPECTED_COLUMNS = ["bucket", "machine_id", "energy_type", "actual_kwh", "expected_kwh", "is_normal", "period",
                    "prediction", "model"]
CUSUM_COLUMNS = ["time", "machine_id", "energy_type", "actual_kwh", "expected_kwh", "cusum_kwh"]
_DTYPES = {"bucket": "datetime64[us, UTC]", "time": "datetime64[us, UTC]", "actual_kwh": float, "expected_kwh": float,
           "cusum_kwh": float, "cv_rmse_oos": float, "is_normal": bool, "reference_only": bool, "selected": bool,
           "is_active": bool, "best_hourly": bool}


def _empty(columns: list[str]) -> pd.DataFrame:
    """An empty product with ``columns``, typed as a full one (so filters and joins on it behave the same)."""
    return pd.DataFrame(columns=columns).astype({c: t for c, t in _DTYPES.items() if c in columns})


@dataclass
class Series:
    """One machine's energy type: its hourly and daily driver frames and its baseline/reporting boundary."""

    machine_id: str
    machine_name: str
    energy_type: str
    timezone: str
    hourly: pd.DataFrame
    daily: pd.DataFrame
    baseline_start: pd.Timestamp
    baseline_end: pd.Timestamp
    sufficiency: mx.GateResult
    fittable: bool = True
    fit_reason: str = ""

    @property
    def label(self) -> str:
        """'<machine name> (<energy type>)', as messages name a series."""
        return f"{self.machine_name} ({self.energy_type})"

    def usable_hours(self) -> int:
        """Hours of the baseline period in normal operation with an energy value: what a fit trains on."""
        rows = _baseline_rows(self, self.hourly, "bucket")
        return int((rows & self.hourly["energy_kwh"].notna().to_numpy()).sum())

    def status(self, status: str, reason: str) -> dict[str, object]:
        """Its row of the step's ``status`` product (:data:`STATUS_COLUMNS`)."""
        return {"machine_id": self.machine_id, "machine_name": self.machine_name, "energy_type": self.energy_type,
                "status": status, "reason": reason, "n_usable_hours": self.usable_hours()}


@dataclass
class SeriesResult:
    """Candidates with their figures, the fitted models, expected energy, the savings and the status of one
    series (empty frames for a series not fitted)."""

    candidates: pd.DataFrame
    models: dict[str, Baseline]
    expected_hourly: pd.DataFrame
    cv_folds: pd.DataFrame
    status: dict[str, object]
    savings: dict[str, object] = field(default_factory=dict)
    cusum: pd.DataFrame = field(default_factory=lambda: _empty(CUSUM_COLUMNS))

    @classmethod
    def without_fit(cls, series: Series, status: str, reason: str,
                    candidates: pd.DataFrame | None = None) -> SeriesResult:
        """The result of a series not fitted, or failed: its status row and no model."""
        return cls(candidates if candidates is not None else _empty(CANDIDATE_COLUMNS), {}, _empty(EXPECTED_COLUMNS),
                   pd.DataFrame(), series.status(status, reason))


def _weather_free(hourly: pd.DataFrame, sufficient: bool, reasons: str) -> tuple[bool, str]:
    """CalTRACK sufficiency without its temperature criterion for a series that has no outdoor temperature at all
    (imported meters without weather): its models are weather-independent (:func:`candidates_for`), so the
    temperature's gaps do not bear on them."""
    if "outdoor_temp_c" in hourly and hourly["outdoor_temp_c"].notna().any():
        return sufficient, reasons
    kept = [r for r in reasons.split("; ") if r and not r.startswith("outdoor temperature")]
    return sufficient or not kept, "; ".join(kept)


def prepare_series(extract: Mapping[str, pd.DataFrame], quality: Mapping[str, pd.DataFrame]) -> list[Series]:
    """Hourly and daily drivers per series, from the extract and quality products, with quality's verdict on
    whether it can be fitted (``sufficiency``: fittable, fit_reason)."""
    machines = extract["machines"]
    window = extract["window"].iloc[0]
    hourly = hourly_drivers(
        extract["energy_hourly"], machines, production_hourly=extract["production_hourly"],
        mode_hourly=extract["mode_hourly"], temperature=quality["temperature_hourly"],
        normal_mask=quality["normal_mask"], closures=quality.get("closures"),
    )
    daily = daily_drivers(hourly, machines, temperature=quality["temperature_hourly"])
    sufficiency = quality["sufficiency"].set_index(KEYS)
    hourly_rows, daily_rows = Rows(hourly, KEYS), Rows(daily, KEYS)
    out = []
    for machine in machines.itertuples():
        boundary = baseline_boundary(window, machine.timezone)
        for energy_type in machine.energy_types:
            h = hourly_rows[(machine.machine_id, energy_type)]
            d = daily_rows[(machine.machine_id, energy_type)]
            row = sufficiency.loc[(machine.machine_id, energy_type)]
            sufficient, reasons = _weather_free(h, bool(row["sufficient"]), str(row["reasons"]))
            gate = mx.caltrack_sufficiency_gate(
                sufficient, reasons,
                {"hours_present_pct": float(row["hours_present_pct"]),
                 "days_present_pct": float(row["days_present_pct"])},
            )
            out.append(Series(machine.machine_id, machine.machine_name, energy_type, machine.timezone,
                              h.reset_index(drop=True),
                              d.reset_index(drop=True), baseline_begin(window, machine.timezone), boundary, gate,
                              fittable=bool(row["fittable"]), fit_reason=str(row["fit_reason"])))
    return out


@dataclass(frozen=True)
class Candidate:
    name: str
    resolution: str  # "hourly" | "daily"
    make: Callable[[], Baseline]


NO_TEMPERATURE = "no outdoor temperature: weather-independent models only"
"""Why the change-point model is skipped where the baseline has no outdoor temperature."""


def _needs_temperature() -> Baseline:
    raise ValueError(NO_TEMPERATURE)


def candidates_for(series: Series) -> list[Candidate]:
    """The candidate models of a series. Drivers that never vary in the baseline (HVAC makes nothing; imported
    meters have no production) are left out; production is the machine's own count (utilities report the line
    they serve). A machine without a mode history gets its closure days (quality's ``closures``) as a day-type
    driver where the baseline has some. TOWT's occupancy is the mode history's (running hours) where the machine has
    one, CalTRACK's estimate from the energy where it has none. Without an outdoor temperature in the baseline the
    temperature drivers (outdoor_temp_c, hdd, cdd) are left out, TOWT becomes the time-of-week model and the
    change-point model is skipped, its candidates row saying so (:data:`NO_TEMPERATURE`)."""
    base = series.hourly[_baseline_rows(series, series.hourly, "bucket")]
    varying = [c for c in ("production", "operating_hours", "closure") if c in base
               and base[c].nunique(dropna=True) > 1]
    weather = "outdoor_temp_c" in base and bool(base["outdoor_temp_c"].notna().any())
    temperature, degrees = (["outdoor_temp_c"], ["hdd", "cdd"]) if weather else ([], [])
    # TOWT's occupied hours: those the mode history says the machine ran, where it has one (a Saturday shift in
    # some weeks, a night shift skipped before a holiday); CalTRACK's estimate from the energy where it has none.
    occupancy = "column" if "operating_hours" in varying else "caltrack"
    return [
        Candidate(NAIVE, "hourly", lambda: HourOfWeekMeanBaseline()),
        Candidate("towt", "hourly",  # without weather: the time-of-week model
                  lambda: TOWTBaseline(drivers=varying, temperature=temperature[0] if weather else None,
                                       occupancy=occupancy)),
        # 100 rounds at rate 0.1 fit as well as 200 at 0.05 here, in half the time (13 CV fits per series).
        Candidate("gradient_boosting", "hourly",
                  lambda: GradientBoostingBaseline(drivers=[*varying, *temperature], max_iter=100,
                                                      learning_rate=0.1)),
        Candidate("regression_ols", "daily", lambda: RegressionBaseline(drivers=[*varying, *degrees])),
        Candidate("change_point", "daily",
                  (lambda: ChangePointBaseline(drivers=varying)) if weather else _needs_temperature),
    ]


def _baseline_rows(series: Series, frame: pd.DataFrame, time_col: str) -> np.ndarray:
    t = frame[time_col]
    return ((t >= series.baseline_start) & (t < series.baseline_end) & frame["is_normal"]).to_numpy()


def _reporting_rows(series: Series, frame: pd.DataFrame, time_col: str) -> np.ndarray:
    return ((frame[time_col] >= series.baseline_end) & frame["is_normal"]).to_numpy()


def _frame_of(series: Series, resolution: str) -> tuple[pd.DataFrame, str]:
    return (series.hourly, "bucket") if resolution == "hourly" else (series.daily, "day_start")


def _daily_totals(series: Series, frame: pd.DataFrame, values: pd.Series) -> pd.Series:
    """Sum hourly values to local days, keeping only the normal days of the daily frame (others NaN)."""
    daily = values.groupby(frame["date"].to_numpy()).sum(min_count=1)
    normal_days = series.daily.loc[series.daily["is_normal"], "date"]
    return daily.reindex(normal_days.to_numpy())


def _daily_scale(series: Series, candidate: Candidate, X: pd.DataFrame, y: pd.Series,
                 predicted: pd.Series) -> dict[str, float]:
    """Out-of-sample metrics on local days: for hourly models the normal days' hourly predictions summed."""
    if candidate.resolution == "daily":
        return mx.regression_metrics(y.to_numpy(), predicted.to_numpy(), 0)
    actual = _daily_totals(series, X, y)
    expected = _daily_totals(series, X, predicted)
    both = actual.notna() & expected.notna()
    return mx.regression_metrics(actual[both].to_numpy(), expected[both].to_numpy(), 0)


def _nmec_gate(model: Baseline, oos_cv_rmse: float) -> mx.GateResult:
    """NMEC on the in-sample figures as its rulebook applies them, with the FSU from the out-of-sample CV(RMSE)."""
    stats = model.fit_stats_
    value, m = nmec_fsu(model, oos_cv_rmse)
    gate = mx.nmec_gate(stats["cv_rmse"], stats["nmbe"], value)
    gate.figures |= {"cv_rmse_basis": "in-sample", "fsu_cv_rmse_basis": "out-of-sample (blocked CV)",
                     "oos_cv_rmse": oos_cv_rmse, "m": m}
    return gate


def evaluate_candidate(series: Series, candidate: Candidate, holdout_weeks: int = settings.HOLDOUT_WEEKS,
                       cv_by: str = settings.CV_BY) -> tuple[dict[str, object], Baseline, pd.Series, pd.DataFrame]:
    """Blocked CV, hold-out block and the final fit on the whole baseline of one candidate.

    Returns its row of figures, the model fitted on all baseline rows, its out-of-fold predictions on the
    training rows, and the CV folds.
    """
    frame, time_col = _frame_of(series, candidate.resolution)
    rows = _baseline_rows(series, frame, time_col)
    X, y = frame.loc[rows], frame.loc[rows, "energy_kwh"]
    cv = blocked_cv(candidate.make, X, y, by=cv_by)
    X_train, X_test, y_train, y_test = holdout_split(X, y, weeks=holdout_weeks)
    holdout = evaluate(candidate.make(), X_train, y_train, X_test, y_test)["out_of_sample"]
    model = candidate.make().fit(X, y)
    oos = cv.metrics
    reporting = frame.loc[_reporting_rows(series, frame, time_col)]
    gates = check_gates(model, oos, X_reporting=reporting if len(reporting) else None)
    gates["nmec"] = _nmec_gate(model, oos["cv_rmse"])
    gates["caltrack_sufficiency"] = series.sufficiency
    daily = _daily_scale(series, candidate, X, y, cv.predictions)
    record: dict[str, object] = {
        "machine_id": series.machine_id, "machine_name": series.machine_name, "energy_type": series.energy_type,
        "model": candidate.name, "model_type": model.model_type, "resolution": candidate.resolution,
        "reference_only": candidate.name == NAIVE,
        "training_start": model.training_start_, "training_end": model.training_end_,
        "training_samples": model.n_obs_, "n_outliers": model.n_outliers_, "n_params": model.n_params_,
        "feature_names": list(model.feature_names_in_),
        **{f"{k}_in": v for k, v in model.fit_stats_.items() if k in _METRICS}, "nmbe_all_in": model.nmbe_all_,
        **{f"{k}_oos": v for k, v in oos.items() if k in _METRICS},
        **{f"{k}_holdout": v for k, v in holdout.items() if k in _METRICS},
        "cv_rmse_daily_oos": daily["cv_rmse"], "nmbe_daily_oos": daily["nmbe"],
        **mx.gate_columns(gates.values()), "error": "",
    }
    folds = cv.folds.assign(machine_id=series.machine_id, energy_type=series.energy_type, model=candidate.name)
    return record, model, cv.predictions, folds


_METRICS = ("cv_rmse", "nmbe", "r2", "adj_r2", "rmse", "mae", "pnrmse", "rho", "n", "y_mean")


def fit_series(series: Series, holdout_weeks: int = settings.HOLDOUT_WEEKS,
               cv_by: str = settings.CV_BY) -> SeriesResult:
    """Evaluate every candidate of a series, select by out-of-sample daily CV(RMSE), compute the savings.

    A candidate that raises gets a row with its ``error`` (no figures) and is never selected; the others go on.
    When no selectable candidate succeeds the series is 'failed' (its candidates rows kept, no model); when no
    hourly one does, it has no expected hourly energy (the anomalies step skips it) but keeps its selection.
    """
    records, models, oof, folds = [], {}, {}, []
    for candidate in candidates_for(series):
        try:
            record, model, predictions, cand_folds = evaluate_candidate(series, candidate, holdout_weeks, cv_by)
        except Exception as exc:  # noqa: BLE001 - a candidate that cannot be fitted never stops the others
            records.append(_failed_candidate(series, candidate, exc))
            continue
        records.append(record)
        models[candidate.name] = model
        oof[candidate.name] = predictions
        folds.append(cand_folds)
    table = pd.DataFrame(records)
    ok = (table["error"] == "").to_numpy()
    selectable = table[ok & ~table["reference_only"].to_numpy(bool)]
    if selectable.empty:
        table = table.assign(selected=False, is_active=False, best_hourly=False,
                             activation_reason=_never_selected(table, ok, pd.Series(np.nan, index=table.index)))
        return SeriesResult.without_fit(series, "failed", _failure_reason(series, table), table)
    chosen = _select(selectable)
    table = table.merge(chosen[["model", "selected", "is_active", "activation_reason"]], on="model", how="left")
    table["selected"] = table["selected"].astype("boolean").fillna(False).astype(bool)
    table["is_active"] = table["is_active"].astype("boolean").fillna(False).astype(bool)
    table["activation_reason"] = _never_selected(table, ok, table["activation_reason"])
    selected = table.loc[table["selected"], "model"].item()
    hourly = table[ok & (table["resolution"] == "hourly").to_numpy() & ~table["reference_only"].to_numpy(bool)]
    best_hourly = hourly.sort_values("cv_rmse_oos").iloc[0]["model"] if len(hourly) else None
    table["best_hourly"] = table["model"] == best_hourly
    expected = (_expected_hourly(series, models[best_hourly], oof[best_hourly]) if best_hourly is not None
                else _empty(EXPECTED_COLUMNS))
    notes = [] if best_hourly is not None else ["no hourly model: no expected hourly energy"]
    if not ok.all():
        notes.append(_failure_reason(series, table[~ok]))
    result = SeriesResult(table, models, expected, pd.concat(folds, ignore_index=True),
                          series.status("fitted", "; ".join(notes)))
    _add_savings(series, result, selected)
    return result


def _failed_candidate(series: Series, candidate: Candidate, exc: Exception) -> dict[str, object]:
    """The candidates row of a candidate that raised: its keys and the error (no figures)."""
    return {"machine_id": series.machine_id, "machine_name": series.machine_name, "energy_type": series.energy_type,
            "model": candidate.name, "resolution": candidate.resolution, "reference_only": candidate.name == NAIVE,
            "error": f"{type(exc).__name__}: {exc}"}


def _never_selected(table: pd.DataFrame, ok: np.ndarray, reasons: pd.Series) -> pd.Series:
    """The activation reasons of a series' candidates: the selection's, else why a candidate is never selected
    (it failed, with its error, or it is the reference)."""
    other = np.where(ok, "reference model: never selected", "failed: " + table["error"].astype(str))
    return pd.Series(np.where(reasons.isna(), other, reasons.astype(object)), index=reasons.index, dtype=str)


def _failure_reason(series: Series, failed: pd.DataFrame) -> str:
    """'<machine> (<energy type>): <candidates> failed: <error>', candidates with the same error together."""
    failed = failed[failed["error"] != ""]
    parts = [f"{', '.join(group['model'])} failed: {error}" for error, group in failed.groupby("error", sort=False)]
    return f"{series.label}: {'; '.join(parts) or 'no candidate model'}"


def fit_isolated(series: Series, holdout_weeks: int = settings.HOLDOUT_WEEKS,
                 cv_by: str = settings.CV_BY) -> SeriesResult:
    """:func:`fit_series` when quality calls the series fittable, else its 'not fitted' status with quality's
    reason; anything that raises outside a candidate makes it 'failed' with the error, never stops the fleet."""
    if not series.fittable:
        return SeriesResult.without_fit(series, "not fitted", series.fit_reason)
    try:
        return fit_series(series, holdout_weeks, cv_by)
    except Exception as exc:  # noqa: BLE001 - one series failing never stops the others
        return SeriesResult.without_fit(series, "failed", f"{series.label}: {type(exc).__name__}: {exc}")


def _select(candidates: pd.DataFrame) -> pd.DataFrame:
    """Selection among the non-reference candidates of one series (see :func:`enms.metrics.select_baseline`)."""
    return mx.select_baseline(candidates, score="cv_rmse_daily_oos", gates=list(GATES))


def _expected_hourly(series: Series, model: Baseline, out_of_fold: pd.Series) -> pd.DataFrame:
    """Expected hourly energy for every hour of the window from the best hourly model: out-of-fold
    predictions on the baseline's training hours (never in-sample), the fitted model elsewhere."""
    frame = series.hourly
    expected = model.predict(frame)
    kind = pd.Series("model", index=frame.index)
    fold_rows = out_of_fold.dropna().index
    expected.loc[fold_rows] = out_of_fold.loc[fold_rows]
    kind.loc[fold_rows] = "out_of_fold"
    return pd.DataFrame({
        "bucket": frame["bucket"], "machine_id": series.machine_id, "energy_type": series.energy_type,
        "actual_kwh": frame["energy_kwh"], "expected_kwh": expected, "is_normal": frame["is_normal"],
        "period": np.where(frame["bucket"] < series.baseline_end, "baseline", "reporting"),
        "prediction": kind, "model": type(model).__name__,
    })


def _add_savings(series: Series, result: SeriesResult, selected: str) -> None:
    row = result.candidates.set_index("model").loc[selected]
    model = result.models[selected]
    frame, time_col = _frame_of(series, row["resolution"])
    reporting = frame.loc[_reporting_rows(series, frame, time_col)]
    if reporting.empty:
        return
    expected = model.predict(reporting)
    outcome = savings(reporting["energy_kwh"], expected, baseline=model, cv_rmse=row["cv_rmse_oos"])
    result.savings = {"machine_id": series.machine_id, "machine_name": series.machine_name,
                      "energy_type": series.energy_type, "model": selected,
                      "reporting_start": series.baseline_end, "reporting_end": frame[time_col].max(),
                      **outcome.to_dict()}
    result.cusum = pd.DataFrame({
        "time": reporting[time_col].to_numpy(), "machine_id": series.machine_id, "energy_type": series.energy_type,
        "actual_kwh": reporting["energy_kwh"].to_numpy(), "expected_kwh": expected.to_numpy(),
        "cusum_kwh": outcome.cusum.to_numpy(),
    })


@dataclass
class FleetResult:
    """Everything the baselines step produces for the fleet; ``status`` has one row per series
    (:data:`STATUS_COLUMNS`), the other frames only the series fitted."""

    candidates: pd.DataFrame
    cv_folds: pd.DataFrame
    expected_hourly: pd.DataFrame
    savings: pd.DataFrame
    cusum: pd.DataFrame
    models: dict[tuple[str, str, str], Baseline]
    status: pd.DataFrame = field(default_factory=lambda: _empty(STATUS_COLUMNS))

    def of(self, machine_id: str, energy_type: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The expected-hourly and CUSUM frames of one series."""
        def pick(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[(frame["machine_id"] == machine_id) & (frame["energy_type"] == energy_type)]

        return pick(self.expected_hourly), pick(self.cusum)

    def not_fitted(self) -> pd.DataFrame:
        """The status rows of the series not fitted or failed (machine name, energy type, status, reason, usable
        hours)."""
        return self.status[self.status["status"] != "fitted"].drop(columns="machine_id").reset_index(drop=True)


def fit_fleet(series: list[Series], holdout_weeks: int = settings.HOLDOUT_WEEKS, cv_by: str = settings.CV_BY,
              n_jobs: int = settings.N_JOBS, scheduler: str = "",
              progress: Callable[[str], None] | None = None) -> FleetResult:
    """:func:`fit_isolated` for every series, in parallel over ``n_jobs`` processes, or on the Dask cluster of
    ``scheduler``, telling ``progress`` as they finish (:func:`enms.parallel.run_each`)."""
    results = run_each(fit_isolated, [(s, holdout_weeks, cv_by) for s in series], n_jobs=n_jobs, scheduler=scheduler,
                       progress=progress)
    return FleetResult(
        candidates=stacked([r.candidates for r in results], _empty(CANDIDATE_COLUMNS)),
        cv_folds=stacked([r.cv_folds for r in results], _empty([*KEYS, "model"])),
        expected_hourly=stacked([r.expected_hourly for r in results], _empty(EXPECTED_COLUMNS)),
        savings=pd.DataFrame([r.savings for r in results if r.savings]),
        cusum=stacked([r.cusum for r in results], _empty(CUSUM_COLUMNS)),
        models={(s.machine_id, s.energy_type, name): model
                for s, r in zip(series, results, strict=True) for name, model in r.models.items()},
        status=pd.DataFrame([r.status for r in results], columns=STATUS_COLUMNS),
    )


def naive_comparison(candidates: pd.DataFrame) -> pd.DataFrame:
    """Per series: out-of-sample hourly CV(RMSE) of the best hourly model against the hour-of-week mean."""
    hourly = candidates[candidates["resolution"] == "hourly"]
    naive = hourly[hourly["model"] == NAIVE].set_index(KEYS)["cv_rmse_oos"].rename("naive_cv_rmse_oos")
    best = hourly[hourly["best_hourly"].astype(bool)].set_index(KEYS)[["machine_name", "model", "cv_rmse_oos"]]
    table = best.join(naive).reset_index()
    table["beats_naive"] = table["cv_rmse_oos"] < table["naive_cv_rmse_oos"]
    return table


def truth_check(fleet: FleetResult, series: list[Series], measures: pd.DataFrame,
                faults: pd.DataFrame, drifts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Savings against the simulator's truth (evaluation only: truth never reaches a fit).

    Per series: the estimated saving (% of expected, with its 90 % interval), the recorded saving of an
    efficiency measure and of a permanent change of behaviour (``drifts``: the drift truth; 0 where none),
    whether the estimate is within ±2 percentage points and the truth
    inside the interval; and, as a diagnostic, the same estimate with the injected-fault hours of the
    reporting period left out (faults are real waste, so they belong in the M&V result itself).
    """
    rows = []
    by_key = {(s.machine_id, s.energy_type): s for s in series}
    for saving in fleet.savings.to_dict("records"):
        key = (saving["machine_id"], saving["energy_type"])
        s = by_key[key]
        truths = [t for t in (measures, drifts) if t is not None and len(t)]
        truth_pct = 100 * sum(float(t.loc[(t["machine_id"] == key[0]) & (t["energy_type"] == key[1]),
                                          "saving_fraction"].sum()) for t in truths)
        model = fleet.models[(*key, saving["model"])]
        frame, time_col = _frame_of(s, model.resolution)
        reporting = frame.loc[_reporting_rows(s, frame, time_col)]
        start, end = reporting[time_col], reporting[time_col] + (
            HOUR if model.resolution == "hourly" else pd.Timedelta(days=1))
        hit = np.zeros(len(reporting), dtype=bool)
        for fault in faults[(faults["machine_id"] == key[0]) & (faults["energy_type"] == key[1])].itertuples():
            hit |= ((start < fault.end_time) & (end > fault.start_time)).to_numpy()
        clean = reporting.loc[~hit]
        without = savings(clean["energy_kwh"], model.predict(clean), baseline=model,
                             cv_rmse=saving["cv_rmse"]) if len(clean) else None
        rows.append({
            "machine_name": saving["machine_name"], "energy_type": key[1], "model": saving["model"],
            "estimate_pct": saving["avoided_pct"], "lower_pct": saving["lower_pct"],
            "upper_pct": saving["upper_pct"], "truth_pct": truth_pct,
            "error_pp": saving["avoided_pct"] - truth_pct,
            "within_2pp": abs(saving["avoided_pct"] - truth_pct) <= 2,
            "truth_in_interval": saving["lower_pct"] <= truth_pct <= saving["upper_pct"],
            "fault_hours_in_reporting": int(hit.sum()) if model.resolution == "hourly" else int(hit.sum()) * 24,
            "estimate_without_faults_pct": without.avoided_pct if without else np.nan,
            "interval_without_faults": (f"[{without.lower_pct:.2f}, {without.upper_pct:.2f}]" if without else ""),
            "truth_in_interval_without_faults": (without.lower_pct <= truth_pct <= without.upper_pct)
            if without else None,
        })
    return pd.DataFrame(rows)


@dataclass
class BaselinesResult:
    """What the baselines step shows and saves: the fleet's fit, its series, the comparison with the naive
    reference and the check against the demo plant's truth."""

    series: list[Series]
    fleet: FleetResult
    naive_comparison: pd.DataFrame
    truth_check: pd.DataFrame

    def products(self) -> dict[str, pd.DataFrame]:
        """The step's tables by product name."""
        fleet = self.fleet
        return {"candidates": fleet.candidates, "cv_folds": fleet.cv_folds, "expected_hourly": fleet.expected_hourly,
                "savings": fleet.savings, "cusum": fleet.cusum, "naive_comparison": self.naive_comparison,
                "truth_check": self.truth_check, "status": fleet.status}

    def figure_panels(self) -> list[dict[str, object]]:
        """Per series with expected hourly energy, the arguments of :func:`enms.plots.baseline_figure` (name,
        zone, expected hourly energy, CUSUM and the start of the reporting period); a series not fitted has
        none (its status row says why)."""
        panels = []
        for s in self.series:
            expected, cusum = self.fleet.of(s.machine_id, s.energy_type)
            if expected.empty:
                continue
            panels.append({"series_name": f"{s.machine_name} ({s.energy_type})", "timezone": s.timezone,
                           "expected_hourly": expected, "cusum": cusum, "reporting_start": s.baseline_end})
        return panels


def run(extract: Mapping[str, pd.DataFrame], quality: Mapping[str, pd.DataFrame], *,
        holdout_weeks: int = settings.HOLDOUT_WEEKS, cv_by: str = settings.CV_BY,
        n_jobs: int = settings.N_JOBS, scheduler: str = "",
        progress: Callable[[str], None] | None = None) -> BaselinesResult:
    """The baselines step: drivers per series from the extract and quality products, every candidate fitted,
    validated and gated, one selected per series, expected hourly energy, savings over the reporting period,
    the naive comparison and the truth check (the simulator's truth is read only there, never by a fit). Each
    series on its own: one that cannot be fitted gets its status row (``fleet.status``), the others go on."""
    series = prepare_series(extract, quality)
    fleet = fit_fleet(series, holdout_weeks=holdout_weeks, cv_by=cv_by, n_jobs=n_jobs, scheduler=scheduler,
                      progress=progress)
    check = truth_check(fleet, series, extract["efficiency_measures"], extract["fault_truth"],
                        extract.get("drift_truth"))
    return BaselinesResult(series, fleet, naive_comparison(fleet.candidates), check)
