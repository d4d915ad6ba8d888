# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Forecasts
# Tomorrow's and next week's consumption per machine and energy source, hourly, with a 90 % interval, and
# tomorrow's peak 15-minute demand per factory. Models: seasonal naive (24 h and 168 h), an STL +
# exponential-smoothing decomposition, SARIMAX with exogenous drivers, and gradient boosting on calendar,
# plan and lagged energy (lags no shorter than the horizon).
#
# Inputs are only what is known in advance: the production plan (shifts, planned maintenance, holidays; an
# unplanned fault is not known, so it counts as planned running) and outdoor temperature. In the backtest the
# measured temperature stands in for a weather forecast, which flatters every model a little; future
# production and energy are never inputs. The model of each series is chosen by its **rolling-origin
# backtest**: a 24-h forecast from every local midnight of the last 28 days and a 168-h forecast weekly,
# each using only the data before its origin. MASE below 1 beats the seasonal naive forecast (same hour last
# week).

# %% tags=["parameters"]
from enms.settings import N_JOBS

upstream = ["extract", "quality"]
product = None
code_version = ""  # fingerprint of the code this step imports (set by the pipeline): reruns it when that changes
n_jobs = N_JOBS
dask_scheduler = ""  # a dask.distributed scheduler address: the per-machine work runs on that cluster

# %%
import matplotlib.pyplot as plt
import pandas as pd

from enms import __version__, forecasts, kpis, plots
from enms.io.products import load_frames, save_frames
from enms.parallel import throughput
from enms.quality import with_intervals
from enms.quality.closures import closure_dates
from enms.rows import forecast_rows, vintage_rows

print(f"enms {__version__}, source fingerprint {code_version or 'not set'}")
extract = load_frames(upstream["extract"]["data"], ["machines", "factories", "energy_hourly", "energy_15min",
                                                    "mode_hourly"])
checked = load_frames(upstream["quality"]["data"], ["temperature_hourly", "intervals", "unusable", "closures"])
machines = with_intervals(extract["machines"], checked["intervals"])  # the reading interval quality measured
history = kpis.usable_energy(extract, checked["unusable"])  # spikes, negative values: NaN; duplicates scaled
run = forecasts.run(history["energy_hourly"], machines, extract["mode_hourly"], checked["temperature_hourly"],
                    factories=extract["factories"], energy_15min=history["energy_15min"],
                    closures=closure_dates(checked["closures"]), n_jobs=n_jobs, scheduler=dask_scheduler,
                    progress=print)
rows = forecast_rows(run.forecasts, run.metrics, model_version=f"enms-{__version__}")
vintages = vintage_rows(run.forecasts)
save_frames({"backtest": run.backtest, "metrics": run.metrics, "selection": run.selection,
             "forecasts": run.forecasts, "energy_forecasts_rows": rows, "vintages": vintages, "status": run.status,
             "peak_demand": run.peak_demand if run.peak_demand is not None else pd.DataFrame()}, product["data"])
print(f"forecasts from {run.summary['end']}: "
      f"{throughput(len(run.status), run.summary['seconds'], n_jobs=n_jobs, scheduler=dask_scheduler)}")

# %% [markdown]
# Each machine and energy source is forecast on its own: one without readings, with a history shorter than the
# backtest needs, or whose backtest fails is listed here with its reason, and the others go on.

# %%
skipped = run.status[run.status["status"] != "forecast"]
skipped.drop(columns="machine_id") if len(skipped) else "all forecast"

# %% [markdown]
# ## Backtest
# Per series and model: MASE (scaled by the in-sample MAE of the 168-h seasonal naive before the first
# origin), NRMSE (RMSE / mean), bias (forecast − actual) and the share of actual hours inside the 90 %
# interval; `chosen` marks the model with the best day-ahead score (the mean of MASE ÷ best MASE and
# NRMSE ÷ best NRMSE).

# %%
names = extract["machines"].set_index("machine_id")["machine_name"]
metrics = run.metrics.assign(machine=run.metrics["machine_id"].map(names))
metrics.pivot_table(index=["machine", "energy_type", "model_name"], columns="kind",
                    values=["mase", "nrmse", "bias_pct", "coverage"]).round(3)

# %% [markdown]
# The chosen model per series, and the plant-level figures against the targets (median day-ahead MASE
# ≤ 0.85; 90 % interval coverage between 85 % and 95 %):

# %%
chosen = metrics[metrics["chosen"] & (metrics["kind"] == "day_ahead")]
display_columns = ["machine", "energy_type", "model_name", "mase", "nrmse", "bias_pct", "coverage"]
summary = {key: run.summary[key] for key in ("median_day_ahead_mase", "day_ahead_coverage", "week_ahead_coverage",
                                              "meets_targets")}
print(summary)
chosen[display_columns].round(3)

# %% [markdown]
# ## Tomorrow's peak 15-minute demand per factory (electricity)

# %%
peak = run.peak_demand
peak[peak["origin"] == peak["origin"].max()].round(1) if peak is not None and not peak.empty else None

# %% [markdown]
# ## Next week, per machine and per factory
# The chosen model's 168-hour forecast with its 90 % interval, after the last two weeks of actual energy.
# Factory totals add the machines' electricity forecasts; their band adds the machines' bounds, which
# overstates the uncertainty of the sum (errors of different machines partly cancel). A fleet's page draws
# the first twelve series and factories; every forecast is in the step's products.

# %%
figures = plots.forecast_figures(run, extract["machines"], extract["factories"], history["energy_hourly"])
plt.show()
