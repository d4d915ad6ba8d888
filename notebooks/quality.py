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
# We also build the **mask of normal-operation hours** from the operating-mode history
# (`production_data.operating_mode`, never the current machine status): hours with any maintenance, fault or
# offline reading, or incomplete energy data, are kept out of baseline training.

# %% tags=["parameters"]
upstream = ["extract"]
product = None
code_version = ""  # fingerprint of src/enms (set by make): reruns this step when the package changes
spike_factor = 2

# %%
import matplotlib.pyplot as plt

from enms import __version__, quality
from enms.plots import machine_quality_figure
from enms.products import load_frames, save_frames

print(f"enms {__version__}, source fingerprint {code_version or 'not set'}")

data = load_frames(upstream["extract"]["data"])
machines = data["machines"]
window = data["window"].iloc[0]
start, end = window["start"], window["end"]
baseline_start, baseline_end = window["baseline_start"], window["baseline_end"]
print(f"window {start} to {end} (UTC, half-open); baseline period {baseline_start} to {baseline_end}")

# %%
coverage = quality.hourly_coverage(data["energy_hourly"], machines, start, end)
gaps = quality.find_gaps(data["energy_hourly"], machines, start, end)
outliers = quality.find_outliers(data["energy_hourly"], machines, spike_factor=spike_factor)
sufficiency = quality.caltrack_sufficiency(data["energy_hourly"], data["environment_hourly"], machines,
                                           baseline_start, baseline_end)
mask = quality.normal_operation_mask(data["mode_hourly"], data["energy_hourly"], machines, start, end)
temperature = quality.interpolate_temperature(data["environment_hourly"], start, end,
                                              machine_ids=machines["machine_id"])
summary = quality.quality_summary(coverage, outliers, sufficiency, mask)
save_frames({"summary": summary, "coverage": coverage, "gaps": gaps, "outliers": outliers,
             "sufficiency": sufficiency, "normal_mask": mask, "temperature_hourly": temperature},
            product["data"])

# %% [markdown]
# ## Headline, per machine and energy type
# Coverage and completeness in % of the window's hours and readings; gaps in hours; outlier hours from the
# screening; `sufficient` is the CalTRACK verdict over the baseline period; normal hours are the share of
# the window the baselines may train on.

# %%
summary.drop(columns=["machine_id"]).round(2)

# %% [markdown]
# ## CalTRACK sufficiency over the baseline period
# Each check with its figure and verdict; `reasons` names what failed.

# %%
sufficiency.drop(columns=["machine_id"]).round(2)

# %% [markdown]
# ## Gaps
# Runs of missing hours, longest first (communication outages, meters down).

# %%
gaps.sort_values("hours", ascending=False).drop(columns=["machine_id"]).head(20)

# %% [markdown]
# ## Outlier screening
# Hours that are physically implausible: negative power, electric power above 1.1 × rated, or a spike
# above `spike_factor` × the machine's 99.5th-percentile hourly energy (unit errors, meter glitches).
# Unusual but plausible hours (left running at night) are the anomaly step's business, not this screen's.
# Counts by machine and reason (an empty table means nothing implausible was found):

# %%
outliers.groupby(["machine_name", "energy_type", "reason"]).size().rename("hours").reset_index()

# %% [markdown]
# ## Normal operation
# Why hours are excluded from baseline training, in machine-hours:

# %%
excluded = mask[~mask["is_normal"]].merge(machines[["machine_id", "machine_name"]], on="machine_id")
excluded.groupby(["machine_name", "reason"]).size().rename("hours").unstack(fill_value=0)

# %% [markdown]
# ## Per machine
# Daily energy in the factory's local days, data gaps shaded red; below, the share of each day's hours
# in normal operation (holidays, maintenance, faults and outages show as dips).

# %%
for _, machine in machines.iterrows():
    machine_quality_figure(machine, data["energy_hourly"], mask, gaps)
    plt.show()
