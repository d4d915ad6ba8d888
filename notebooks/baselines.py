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
# # Energy baselines
# An energy baseline predicts what a machine *would* have used given its drivers (production, operating
# hours, outdoor temperature, time of week). We fit one per machine and energy source on the **baseline
# period** (the first twelve months, ended at a local midnight), on **normal-operation hours only** (from the
# mode history, never the current status), with outlier handling inside each fit so faults hidden in the
# baseline do not bend it. No driver is derived from energy: the leak guard refuses load factor, power and
# the like by name.
#
# Candidates: TOWT and gradient boosting (hourly), ISO 50006 OLS regression and change-point models (daily),
# and the hour-of-week mean as the naive reference. Every figure that decides anything is **out of
# sample**: leave-one-month-out blocked cross-validation (the selection score, on local days so hourly and
# daily models compare), plus a held-out final block of the baseline. A model that fails a gate (ASHRAE
# Guideline 14, DOE EnPI Lite, NMEC, CalTRACK sufficiency) is stored but not activated.

# %% tags=["parameters"]
from enms import settings

upstream = ["extract", "quality"]
product = None
code_version = ""  # fingerprint of the enms code this step imports (set by the pipeline): reruns it on a change
holdout_weeks = settings.HOLDOUT_WEEKS
cv_by = settings.CV_BY
n_jobs = settings.N_JOBS
dask_scheduler = ""  # a dask.distributed scheduler address: the per-machine work runs on that cluster

# %%
import time

import matplotlib.pyplot as plt

from enms import __version__, baselines, plots
from enms.io.products import load_frames, save_frames
from enms.parallel import throughput
from enms.rows import baseline_rows

print(f"enms {__version__}, source fingerprint {code_version or 'not set'}")

extract = load_frames(upstream["extract"]["data"])
quality = load_frames(upstream["quality"]["data"])
started = time.perf_counter()
result = baselines.run(extract, quality, holdout_weeks=holdout_weeks, cv_by=cv_by, n_jobs=n_jobs,
                        scheduler=dask_scheduler, progress=print)
fleet = result.fleet
print(f"{len(fleet.candidates)} candidates fitted and validated: "
      f"{throughput(len(result.series), time.perf_counter() - started, n_jobs=n_jobs, scheduler=dask_scheduler)}")

# %%
artefacts = baselines.save_models(fleet.candidates, fleet.models, product["data"])
rows = baseline_rows(fleet.candidates, fleet.models, extract["energy_sources"], artefacts)
save_frames({**result.products(), "energy_baselines_rows": rows}, product["data"])

# %% [markdown]
# ## Series not modelled
# Each machine and energy source is fitted on its own. One that quality finds unfit for a baseline (no
# readings, too short a history, no normal-operation hours) is not fitted; one whose fit fails is reported with
# the model and the error. Neither stops the others; their reasons are listed here and in the factory report.

# %%
not_fitted = fleet.not_fitted()
print(f"{len(fleet.status) - len(not_fitted)} of {len(fleet.status)} series fitted")
not_fitted if len(not_fitted) else "all fitted"

# %% [markdown]
# ## Candidates, out-of-sample figures and gates
# CV(RMSE) and NMBE in % at the model's resolution: in sample (training rows), out of sample (blocked CV by
# month) and on the held-out final weeks; `daily CV oos` is the selection score. `NMBE all training rows` is the
# in-sample bias over every baseline row, the dropped outliers included (trimming that biases a model shows there).
# Gates are pass/fail (None: not applicable, e.g. EnPI Lite needs OLS p-values); the reason names the failed rule
# with its figure.

# %%
pct = ["cv_rmse_in", "cv_rmse_oos", "cv_rmse_holdout", "cv_rmse_daily_oos", "nmbe_all_in", "nmbe_oos"]
table = fleet.candidates.reindex(columns=["machine_name", "energy_type", "model", "resolution", *pct, "r2_oos",
                                          "ashrae14_passed", "enpi_lite_passed", "nmec_passed",
                                          "caltrack_sufficiency_passed", "selected", "is_active",
                                          "activation_reason"])
table[pct] = (100 * table[pct]).round(2)
table.rename(columns={"cv_rmse_in": "CV in %", "cv_rmse_oos": "CV oos %", "cv_rmse_holdout": "CV hold-out %",
                      "cv_rmse_daily_oos": "daily CV oos %", "nmbe_all_in": "NMBE all training rows %",
                      "nmbe_oos": "NMBE oos %", "r2_oos": "R² oos"}).round(3)

# %% [markdown]
# ## Against the naive reference
# Out-of-sample hourly CV(RMSE) of the best hourly model of each series against the hour-of-week mean:

# %%
naive = result.naive_comparison
machines_beating = naive.groupby("machine_name")["beats_naive"].all()
print(f"best hourly model beats the hour-of-week mean on {machines_beating.sum()} of {len(machines_beating)} machines")
naive.drop(columns="machine_id").round(4)

# %% [markdown]
# ## Savings over the reporting period (M&V)
# Expected (the selected baseline on the reporting period's drivers) against actual, over normal-operation
# hours (or days) after the baseline period: avoided energy in kWh and %, with its 90 % interval from the
# ASHRAE 14 fractional savings uncertainty (out-of-sample CV(RMSE), residual autocorrelation). Negative
# savings mean the machine used more than its baseline predicts.

# %%
fleet.savings.reindex(columns=["machine_name", "energy_type", "model", "expected_kwh", "actual_kwh", "avoided_kwh",
                               "avoided_pct", "lower_pct", "upper_pct", "fsu", "m", "contains_zero"]).round(2)

# %% [markdown]
# ## Checked against the demo plant's truth
# The simulator recorded the efficiency measure's real saving, the energy effect of the machine whose behaviour
# changed for good (Compressor-EU-1's drift) and every injected fault; they are used here
# to check the estimate, never to fit. Faults in the reporting period are real waste and stay in the M&V
# result above; the last columns leave their hours out only to show what the baseline says about the rest.

# %%
result.truth_check.round(2)

# %% [markdown]
# ## Per machine and energy source
# Daily actual vs expected energy (out-of-fold in the baseline year, so the fit never grades itself),
# the daily residual, and the CUSUM of expected − actual in kWh over the reporting period: a rising CUSUM
# is saving, a falling one waste, and a kink marks when performance changed. A fleet's page draws the first
# twelve series; every series is in the tables above and the step's products.

# %%
figures = plots.baseline_figures(result)
plt.show()
