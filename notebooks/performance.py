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
# # ISO 50001 performance and model health
# What the EnMS's ISO 50001 engine and its model operations read: for every significant energy use (SEU) the
# EnMS declares, its **daily baseline** (ISO 50006 regression over the baseline year), the **EnPI tracking**
# per local month (actual against expected, approved baseline adjustments applied, the deviation's
# uncertainty and an ISO status), progress against the EnMS's **targets**; then **model monitoring** (every
# active model's accuracy on recent data, drift, retraining, alerts) and the **data-quality log**. Publish
# writes all of it back in the same transaction as the models.

# %% tags=["parameters"]
upstream = ["extract", "quality", "baselines", "anomalies", "forecasts", "kpis"]
product = None
code_version = ""  # fingerprint of the enms code this step imports (set by the pipeline): reruns it on a change
trigger = "scheduled"

# %%
import time

from enms import __version__, iso50001, monitoring
from enms.io.products import load_frames, save_frames
from enms.parallel import throughput

print(f"enms {__version__}, source fingerprint {code_version or 'not set'}, trigger {trigger}")
frames = {step: load_frames(upstream[step]["data"]) for step in upstream}
started = time.perf_counter()
performance = iso50001.run(frames["extract"], frames["baselines"], frames["kpis"], quality=frames["quality"])
health = monitoring.run(frames["extract"], frames["quality"], frames["baselines"], frames["anomalies"],
                        frames["forecasts"], trigger=trigger)
save_frames({**performance, **health}, product["data"])
print(f"{len(performance['seu_models'])} SEU models, {len(performance['enpi_performance'])} EnPI months, "
      f"{len(health['model_performance_metrics'])} model evaluations; "
      f"{throughput(len(frames['baselines']['status']), time.perf_counter() - started)}")

# %% [markdown]
# ## Significant energy uses
# An SEU is the EnMS's: this step never creates one (`enms seus --create` does, when the operator asks). Each
# SEU whose machines all have an active baseline gets its daily regression; the others say why not.

# %%
performance["seu_status"]

# %%
performance["seu_models"].drop(columns=["id", "energy_source_id", "machine_ids"], errors="ignore")

# %% [markdown]
# Machines and energy sources with an active baseline that no SEU of the EnMS covers:

# %%
performance["seus_missing"] if len(performance["seus_missing"]) else "none"

# %% [markdown]
# ## EnPI tracking per local month
# Actual against expected (the SEU's baseline on the month's drivers, times the approved adjustments in force),
# the deviation in kWh and %, its 90 % uncertainty, year-to-date savings and the ISO status: **excellent** when
# the saving is larger than the uncertainty, **on track** while any excess is within it, **requires attention**
# when a significant excess is at most 5 %, **critical** above that.

# %%
performance["enpi_performance"].drop(columns=["id", "seu_id", "baseline_id"], errors="ignore")

# %% [markdown]
# ## Baseline adjustments and targets
# Non-routine adjustments count from their date on, approved ones only; targets are the EnMS's.

# %%
performance["adjustments"] if len(performance["adjustments"]) else "no baseline adjustments"

# %%
performance["targets"] if len(performance["targets"]) else "no energy targets"

# %% [markdown]
# ## Model health
# Each active baseline's error on recent normal hours against its validation error: a baseline whose model no
# longer fits (not one whose level moved, which the EnPI reports as savings or excess) is drifting, raises an
# alert and is retrained on the most recent year, stored inactive for a person to approve.

# %%
health["drift"]

# %%
health["model_alerts"] if len(health["model_alerts"]) else "no model alerts"

# %%
health["model_performance_metrics"].drop(columns=["id", "model_id", "metrics", "metadata"], errors="ignore")

# %% [markdown]
# ## Data-quality log
# Per machine and local day: missing data, outliers, the energy-production correlation and an overall score.
# The days scoring below 0.9:

# %%
log = health["data_quality_log"]
log[log["overall_score"] < 0.9].drop(columns=["id", "machine_id"], errors="ignore")
