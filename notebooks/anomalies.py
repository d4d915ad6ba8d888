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
# # Anomalies
# An anomaly is energy a machine used beyond what its baseline expects, in an hour when it was operating
# normally. Hours in maintenance, fault or offline (from the mode history) are never flagged, and a machine
# that is in maintenance *now* gets no new alert. Every detector is **fitted on a clean reference window**
# (the baseline year's normal hours) and applied to all data; none is fitted and scored on the same window.
#
# Detectors: a robust z-score of the baseline residual (median/MAD), CUSUM for slow drift, an Isolation
# Forest on power, residual, temperatures, pressure, vibration and production, and two rules a plant
# manager reads directly: consumption while not producing (left running) and base-load creep. Flagged hours
# merge into incidents with severity, confidence, wasted energy and its cost at the local tariff.

# %% tags=["parameters"]
upstream = ["extract", "quality", "baselines"]
product = None
code_version = ""  # fingerprint of the enms code this step imports (set by the pipeline): reruns it on a change
dask_scheduler = ""  # a dask.distributed scheduler address: the per-machine work runs on that cluster

# %%
import time

import matplotlib.pyplot as plt
from IPython.display import display

from enms import __version__, anomalies, plots
from enms.io.products import load_frames, save_frames
from enms.parallel import throughput
from enms.rows import anomaly_rows

print(f"enms {__version__}, source fingerprint {code_version or 'not set'}")
extract = load_frames(upstream["extract"]["data"])
quality = load_frames(upstream["quality"]["data"], ["normal_mask", "unusable"])
baselines = load_frames(upstream["baselines"]["data"], ["expected_hourly", "status"])
started = time.perf_counter()
detection = anomalies.run(extract, quality, baselines["expected_hourly"], baseline_status=baselines["status"],
                          scheduler=dask_scheduler, progress=print)
print(f"{len(detection.incidents)} incidents ({len(detection.suppressed)} withheld: machine in maintenance now); "
      f"{throughput(len(detection.status), time.perf_counter() - started, scheduler=dask_scheduler)}")
save_frames({"incidents": detection.incidents, "suppressed": detection.suppressed,
             "anomaly_rows": anomaly_rows(detection.incidents),
             "evaluation": detection.evaluation, "status": detection.status,
             **{f"events_{name}": events for name, events in detection.events.items()}}, product["data"])

# %% [markdown]
# Each machine and energy source is detected on its own: one without a baseline (no expected energy) or without
# reference hours is skipped, one on which a detector fails is reported with the error, and the others go on.
# Steam raises no consumption alert (it is the boiler's output; its gas and electricity carry its faults).

# %%
skipped = detection.status[~detection.status["status"].isin(["detected", "excluded"])]
skipped.drop(columns="machine_id") if len(skipped) else "all detected"

# %% [markdown]
# ## Measured against the injected faults
# Event-level scores (domain.md): recall = injected faults overlapped by a detection; precision = detections
# overlapping a fault; delay = first detection − fault start; false alarms per machine-month. `target` rows
# count only faults with ≥ 10 % power effect lasting ≥ 2 h. Windows: the whole data, and the reporting period
# (from the local midnight that ends each factory's baseline year). The EnMS's old method (Isolation Forest,
# contamination 0.1, fitted and scored on the same window) is in the table to show what it flags.
# A machine whose behaviour changed for good (the drift truth: Compressor-EU-1 from the reporting period on) is
# scored up to the change: after it, its deviation from the old baseline is the change itself, which model
# monitoring reports as drift (performance step), neither a fault nor a false alarm.

# %%
if detection.evaluation.empty:
    print("this warehouse holds no fault truth: nothing to evaluate against")
else:
    columns = ["window", "subset", "detector", "n_truth", "detected", "recall", "n_detections", "precision", "f1",
               "false_alarms_per_machine_month", "median_delay_h"]
    overall = detection.evaluation[detection.evaluation["subset"].isin(["all", "target"])]
    display(overall[columns].round(3))

# %% [markdown]
# The targets of the combined alert list (recall ≥ 0.9, precision ≥ 0.8, ≤ 1 false alarm per machine-month):

# %%
anomalies.targets_table(detection.evaluation).round(3) if not detection.evaluation.empty else None

# %% [markdown]
# Recall by fault type (detected of injected, per detector):

# %%
if not detection.evaluation.empty:
    by_type = detection.evaluation[~detection.evaluation["subset"].isin(["all", "target"])]
    display(by_type.assign(found=by_type["detected"].astype(str) + "/" + by_type["n_truth"].astype(str))
            .pivot_table(index=["window", "subset"], columns="detector", values="found", aggfunc="first"))

# %% [markdown]
# ## Top incidents by cost
# Wasted energy is the excess over the baseline in the incident's normal hours; its cost is at the factory's
# local time-of-use tariff (gas at its price per m³; steam is not costed again, its fuel is).

# %%
names = extract["machines"].set_index("machine_id")["machine_name"]
top = detection.incidents.sort_values("wasted_cost", ascending=False).head(15)
top.assign(machine=top["machine_id"].map(names))[
    ["machine", "energy_type", "start", "end", "anomaly_type", "severity", "deviation_percent", "z", "confidence",
     "wasted_kwh", "wasted_cost", "currency", "detectors"]].round(2)

# %% [markdown]
# ## Timeline per machine
# Daily actual and expected energy; detected incidents shaded red; the injected faults, where the warehouse
# records them, as orange bars below. A fleet's page draws the first twelve series; every incident is in
# the tables above.

# %%
figures = plots.anomaly_figures(detection, extract["machines"], extract["fault_truth"])
plt.show()
