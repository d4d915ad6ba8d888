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
# # Publish
# The only step that writes the warehouse, each table in one transaction:
# - the selected baselines to `energy_baselines` (versioned, activated only when their gates pass, exactly one
#   active per machine and energy source);
# - the anomaly incidents to `anomalies` (matched with what is stored: a re-run or an overlapping window
#   inserts nothing, a grown incident updates its row, rows people resolved are never touched);
# - the forecasts to `energy_forecasts` (the newest forecast per hour wins, as the EnMS's key implies) and every
#   forecast ever made to our own `enms_analytics.forecast_vintages`, so past forecasts can be scored later;
# - the ISO 50001 engine's tables: each SEU's daily baseline into its `seus` row (an SEU is never created here),
#   `enpi_baselines` and monthly `enpi_performance`, `model_performance_metrics`, `model_training_history`,
#   `model_alerts` (a drifting baseline's retrained model goes to `energy_baselines`, inactive) and
#   `data_quality_log`.
#
# Only what was modelled is written: a machine or energy source without a fitted baseline, anomaly detection or
# forecast (see each step's status) writes nothing there, and what it had stored before stays as it was.
# Re-running with unchanged inputs writes nothing new.

# %% tags=["parameters"]
upstream = ["baselines", "anomalies", "forecasts", "performance"]
product = None
code_version = ""  # fingerprint of the enms code this step imports (set by the pipeline): reruns it on a change
warehouse = "duckdb:data/enms.duckdb"

# %%
import json
from pathlib import Path

import pandas as pd

from enms import __version__
from enms.io import connect, load_frames
from enms.io.warehouse import ISO50001_FRAMES
from enms.rows import plan_write_back

print(f"enms {__version__}, source fingerprint {code_version or 'not set'}")

baselines = load_frames(upstream["baselines"]["data"], ["energy_baselines_rows"])["energy_baselines_rows"]
anomalies = load_frames(upstream["anomalies"]["data"], ["anomaly_rows"])["anomaly_rows"]
forecasts = load_frames(upstream["forecasts"]["data"], ["energy_forecasts_rows", "vintages"])
performance = load_frames(upstream["performance"]["data"], [*ISO50001_FRAMES, "retrained_baselines"])
retrained = performance.pop("retrained_baselines")  # a drifting baseline refitted: stored inactive
if len(retrained):
    baselines = pd.concat([baselines, retrained], ignore_index=True)
with connect(warehouse) as target:
    written = target.publish(baselines, anomalies, forecasts["energy_forecasts_rows"], forecasts["vintages"],
                             plan_anomalies=plan_write_back, iso50001=performance)
    stored = target.read_baselines()
status = load_frames(upstream["baselines"]["data"], ["status"])["status"]
not_fitted = status.loc[status["status"] != "fitted", ["machine_name", "energy_type", "status", "reason"]]
record = {"published_at": pd.Timestamp.now(tz="UTC").isoformat(), "code_version": code_version, **written,
          "baselines_not_published": not_fitted.to_dict("records")}
Path(product["record"]).write_text(json.dumps(record, indent=2))
record

# %% [markdown]
# The baselines now stored, with their versions and which one is active:

# %%
stored.drop(columns=["id", "machine_id", "fingerprint"])
