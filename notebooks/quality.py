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
# # Data quality
# Before any baseline is fitted we check what the data can carry, per machine and energy type:
# **coverage** (hours present), **gaps**, **duplicates**, **outliers** (a screening, not the anomaly
# detector), and **CalTRACK data sufficiency** over the baseline period (≥ 90 % of hours and days present,
# outdoor-temperature gaps of at most 6 h, no duplicate timestamps, time-zone-aware data).
# We also build the **mask of usable hours**, the one notion every later step obeys (baselines train on it,
# anomalies are looked for in it, forecasts learn from it): an hour is usable when the operating-mode history
# (`production_data.operating_mode`, never the current machine status) has no maintenance, fault or offline
# reading in it and every energy type of the machine is complete (non-NULL readings against the measured
# interval), not duplicated, not a spike, not negative and not in the future. The hours whose energy *value*
# is not trusted are listed with what the KPIs and reports count instead.

# %% tags=["parameters"]
from enms import settings

upstream = ["extract"]
product = None
code_version = ""  # fingerprint of the enms code this step imports (set by the pipeline): reruns it on a change
spike_factor = settings.SPIKE_FACTOR
calendar = ""  # a CSV of local closure dates for machines without a mode history (empty: inferred)

# %%
import matplotlib.pyplot as plt

from enms import __version__, plots, quality
from enms.io.products import load_frames, save_frames
from enms.quality.closures import RULE, read_calendar

print(f"enms {__version__}, source fingerprint {code_version or 'not set'}")
result = quality.run(load_frames(upstream["extract"]["data"]), spike_factor=spike_factor,
                     calendar=read_calendar(calendar) if calendar else None)
save_frames(result.products(), product["data"])
print(f"window {result.window['start']} to {result.window['end']} (UTC, half-open)")
if result.window.get("future_readings", 0):
    print(f"{result.window['future_readings']:,} readings timestamped after the extract ran were left out "
          "(check the meters' clocks)")

# %% [markdown]
# ## Headline, per machine and energy type
# Coverage and completeness in % of the window's hours and readings; gaps in hours; outlier hours from the
# screening; `sufficient` is the CalTRACK verdict over the baseline period; normal hours are the share of
# the window the baselines may train on. Completeness counts readings against the machine's reading interval:
# the declared `data_interval_seconds`, or the interval measured from its data (3600 s ÷ the typical hour's
# readings) where the two disagree; `interval_note` says where that happened.

# %%
result.summary.drop(columns=["machine_id"]).round(2)

# %% [markdown]
# Reading intervals per machine (seconds): declared, measured from the data, and the one the checks used.

# %%
result.intervals.merge(result.machines[["machine_id", "machine_name"]], on="machine_id").drop(columns="machine_id")

# %% [markdown]
# ## CalTRACK sufficiency over the baseline period
# Each factory's baseline period ends at its local midnight, where the baselines step splits baseline and
# reporting periods (UTC):

# %%
result.baseline_periods

# %% [markdown]
# Each check with its figure and verdict; `reasons` names what failed. `usable_hours` and `usable_days` (local
# days with at least one usable hour) decide `fittable`: a baseline needs at least
# `settings.MIN_BASELINE_DAYS` such days (the 8-week hold-out and the monthly cross-validation need them), and
# `fit_reason` says why a series cannot be fitted (the baselines step reads it).

# %%
result.sufficiency.drop(columns=["machine_id"]).round(2)

# %% [markdown]
# ## Gaps
# Runs of missing hours, longest first (communication outages, meters down).

# %%
result.longest_gaps(20)

# %% [markdown]
# ## Outlier screening
# Hours that are physically implausible: negative power, electric power above 1.1 × rated, or a spike
# above `spike_factor` × the machine's 99.5th-percentile hourly energy (unit errors, meter glitches).
# Unusual but plausible hours (left running at night) are the anomaly step's business, not this screen's.
# Counts by machine and reason (an empty table means nothing implausible was found):

# %%
result.outlier_counts()

# %% [markdown]
# ## Untrusted energy values
# Hours whose energy is not counted as read, per machine, energy type, reason and action: spikes and negative
# values are excluded (they count nothing), duplicated readings are scaled back to the expected readings,
# partial hours (fewer non-NULL readings than the interval allows) are kept as measured. kWh as read and as
# the KPIs use them:

# %%
result.unusable.groupby(["machine_name", "energy_type", "reason", "action"]).agg(
    hours=("bucket", "size"), kwh_read=("total_energy_kwh", "sum"), kwh_used=("used_kwh", "sum")).round(1)

# %% [markdown]
# ## Usable hours
# Why hours are not usable (kept out of baseline training, anomaly detection and forecast training), in
# machine-hours:

# %%
result.exclusions()

# %% [markdown]
# ## Machines without a mode history
# Imported meters have no operating-mode history: their normal operation is **inferred** from the energy
# alone, and their closure days (a driver of the baselines and the forecasters' plan) found by the rule below,
# or read from the `calendar` file when the settings name one. `operation` in the headline table says which
# machines.

# %%
inferred = result.summary.loc[result.summary["operation"] != "mode history", ["machine_name", "operation"]]
print(RULE if len(inferred) else "every machine has a mode history: no operation inferred")
inferred.drop_duplicates()

# %%
result.closures.merge(result.machines[["machine_id", "machine_name"]], on="machine_id").drop(
    columns="machine_id").round(1)

# %% [markdown]
# ## Per machine
# Daily energy in the factory's local days, data gaps shaded red; below, the share of each day's hours
# in normal operation (holidays, maintenance, faults and outages show as dips). A fleet's page draws the
# first twelve machines; every machine is in the tables above.

# %%
figures = plots.quality_figures(result)
plt.show()
