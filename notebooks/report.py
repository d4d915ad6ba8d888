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

# %% tags=["parameters"]
# The stakeholder report of one factory and one local period, rendered to HTML with the code hidden.
# factory: a slug (demo-manufacturing-plant) or the exact name; period_start / period_end: local dates
# 'YYYY-MM-DD', end exclusive, or period_start 'YYYY-MM' alone for a month; both empty = the last full
# local month of the data.
upstream = ["extract", "quality", "baselines", "anomalies", "forecasts", "kpis", "performance"]
product = None
code_version = ""  # fingerprint of src/enms (set by make): reruns this step when the package changes
factory = "demo-manufacturing-plant"
period_start = ""
period_end = ""

# %%
from IPython.display import Markdown, display
from matplotlib_inline.backend_inline import set_matplotlib_formats

from enms import report as rp
from enms.io.products import load_frames

set_matplotlib_formats("retina")  # the report's figures are matplotlib Figure objects, shown as sharp PNGs


def show(item):
    """A report part: Markdown text, a table or a figure."""
    display(Markdown(item) if isinstance(item, str) else item)


baselines = load_frames(upstream["baselines"]["data"], ["expected_hourly", "candidates"])
report = rp.build(
    load_frames(upstream["extract"]["data"]), factory, period_start, period_end,
    gaps=load_frames(upstream["quality"]["data"], ["gaps"])["gaps"],
    expected_hourly=baselines["expected_hourly"], candidates=baselines["candidates"],
    incidents=load_frames(upstream["anomalies"]["data"], ["incidents"])["incidents"],
    forecasts=load_frames(upstream["forecasts"]["data"], ["forecasts"])["forecasts"],
    factory_month=load_frames(upstream["kpis"]["data"], ["factory_month"])["factory_month"],
    unusable=load_frames(upstream["quality"]["data"], ["unusable"])["unusable"],
    status={step: load_frames(upstream[step]["data"], ["status"])["status"]
            for step in ("baselines", "anomalies", "forecasts")},
    performance=load_frames(upstream["performance"]["data"]), code_version=code_version)
Markdown(report.title)

# %% [markdown]
# ## Executive summary

# %%
Markdown(report.summary_text)

# %%
show(report.energy_note)
report.energy_table

# %%
if report.data_issues:  # hours whose energy was not counted as stored (none: nothing shown)
    show(report.data_issues)

# %% [markdown]
# ### Performance against the baseline
# The baseline of each machine predicts the energy it *would* have used this period given its production, the
# weather and its schedule. **Avoided energy** = expected − actual: positive means energy saved, negative
# means more energy used than expected. The **EnPI** is actual ÷ expected (below 1 is better). Only hours in
# normal operation after the baseline year count; the 90 % interval is the statistical uncertainty of the
# baseline (ASHRAE Guideline 14). When it includes zero, the change cannot be told apart from noise.

# %%
show(report.performance_table)

# %%
for item in report.iso50001:  # the significant energy uses against their baseline, targets, adjustments, models
    show(item)

# %% [markdown]
# ### Top 5 anomalies by cost
# Incidents where a machine used clearly more than its baseline expects while operating normally. Cost is the
# wasted energy at the local tariff, for the whole incident.

# %%
show(report.anomalies_table)

# %%
for item in report.forecast:  # heading, table and figure of next week's forecast, when there is one
    show(item)

# %%
for item in report.not_modelled:  # heading and table of the machines a step could not model, when there are any
    show(item)

# %%
if report.absent_inputs:  # the inputs the factory's data lack (imported meters) and what was done instead
    show(report.absent_inputs)

# %% [markdown]
# ## The factory
# ### Energy and cost per day
# Each energy type in its own unit (never added together), then the day's energy cost at the time-of-use
# tariff. The monthly demand charge is not in the daily bars.

# %%
report.daily_figure

# %% [markdown]
# ### Month by month
# The report's month and up to twelve whole months before it.

# %%
show(report.trend_figure)

# %% [markdown]
# ### Peak demand and load factor
# Demand is the average power over a 15-minute interval, as the utility bills it. The load factor compares
# the average power with that peak: a low load factor means short peaks drive the demand charge.

# %%
show(report.demand_table)
report.demand_figure

# %% [markdown]
# ### Tariff split
# Electricity and its cost per tariff period, in the factory's local time.

# %%
report.tariff_table

# %% [markdown]
# ## Machines
# Each machine's share of the factory's energy, cost and CO₂, its specific energy consumption (SEC: kWh per
# unit produced, over the hours it produced), its EnPI and avoided energy against its baseline, and the
# anomalies detected in the period.

# %%
report.machines_overview

# %% [markdown]
# For each machine below: its KPIs, then its daily energy against what its baseline expects (hours in normal
# operation only; grey shading marks days in the baseline year, where the comparison only checks the model).

# %%
for item in report.machines:  # per machine: heading, KPI table, figure, anomalies
    show(item)

# %% [markdown]
# ## Methods
# **Time.** Every figure uses the factory's local time (IANA time zone in the title): days, months, tariff
# hours and weekdays, carbon-factor dates. A day with a daylight-saving change has 23 or 25 hours. Periods are
# half-open: a period includes its start and excludes its end.
#
# **Energy.** Summed per machine and energy type from the hourly meter data. Electricity, natural gas and steam
# are never added together: natural gas is reported in m³ (1 m³ = 10.55 kWh) and steam in kg (1 kg = 2.26 kWh).
# The boiler's gas (its fuel) and its steam (its output) are different things; adding them would count the
# same energy twice.
#
# **SEC** (specific energy consumption, a ratio EnPI) = energy ÷ units produced, over the hours with
# production only: an idle hour counts on neither side.
#
# **Peak demand** = the highest 15-minute demand, demand = energy in the 15-minute interval ÷ 0.25 h, from the
# machines' summed energy in each interval (the factory's coincident peak). A single high instantaneous
# reading is not demand.
#
# **Load factor** = energy (kWh) ÷ (peak demand (kW) × hours in the period).
#
# **Energy cost** = Σ over hours of kWh × the rate of the tariff in force at that *local* hour and weekday
# (Σ kWh × rate). Windows that cross midnight (21:00–09:00) wrap; a tariff that is the only one applying on a
# day (Off-Peak on weekends) covers the whole day; tariffs change on their validity dates. Natural gas costs
# its price per m³; steam costs nothing extra (its gas and electricity are already costed).
#
# **Demand charge** = the billing month's peak 15-minute demand × the demand-charge rate (the highest rate
# among the tariffs valid on the peak's date). It is billed only for whole local calendar months; a machine's
# share is its own demand in the factory's peak interval. A tariff whose demand charge is not set has none.
#
# **Carbon** = electricity kWh × the grid factor of the factory's region valid on each local date, plus gas m³
# × the gas factor per m³; steam adds nothing (its gas is counted). The region is the factory's own setting,
# else the one its location or time zone names; the table of emission factors below says which.
#
# **Baseline and EnPI.** The baseline of a machine and energy type is fitted on the baseline year (12 months)
# on normal-operation hours only, with production, outdoor temperature, the operating schedule and the time of
# week as drivers; nothing derived from energy is a driver. Expected energy = the baseline on this period's
# drivers. **Regression EnPI** = actual ÷ expected; **energy performance improvement** = (expected − actual) ÷
# expected; **avoided energy** = expected − actual (kWh); **CUSUM** = the running sum of expected − actual in
# kWh (a kink marks a change in performance). Hours in maintenance, fault or offline are left out on both sides.
#
# **Uncertainty (FSU).** ASHRAE Guideline 14: the 90 % half-width of the avoided energy is
# 1.26 × t × CV(RMSE) × √((n ÷ n′) × (1 + 2 ÷ n) ÷ m) × expected, with CV(RMSE) measured **out of sample**
# (blocked cross-validation over the baseline year), n the baseline hours, n′ = n × (1 − ρ) ÷ (1 + ρ) for the
# residuals' lag-1 autocorrelation ρ, m the hours compared and t Student's t at 90 %. FSU = half-width ÷ avoided
# energy. A factory total combines the machines' half-widths as the root of the sum of squares (errors taken
# as independent). When the interval includes zero, no saving or loss is claimed.
#
# **Baseline gates.** A model is activated only if it passes: ASHRAE Guideline 14 (hourly CV(RMSE) ≤ 30 % and
# |NMBE| ≤ 10 %; monthly ≤ 15 % and ≤ 5 %), DOE EnPI Lite for regression models (R² ≥ 0.5, F-test p < 0.10,
# every driver p < 0.20 and one < 0.10, reporting drivers inside the baseline range), NMEC practice (CV(RMSE)
# < 25 %, |NMBE| < 0.5 %, FSU < 50 % for a 10 % saving) and CalTRACK data sufficiency (≥ 90 % of hours and days
# present). Accuracy is always judged out of sample, never on the rows a model was fitted on. The baselines of
# this factory:

# %%
show(report.gates_table)

# %% [markdown]
# **Tariffs in force during the period** (local time):

# %%
report.tariffs_table

# %% [markdown]
# **Emission factors used:**

# %%
report.carbon_table

# %% [markdown]
# **Anomalies.** Detectors are fitted on the clean baseline year and applied to new data: a robust z-score of
# the deviation from the baseline, a CUSUM for slow drifts, an Isolation Forest on the machine's sensors, a
# rule for machines left running without production, and a base-load creep check. Hours in maintenance, fault
# or offline are never flagged. Severity: critical when the deviation averages at least 3 robust standard
# deviations, warning from 1.5.
#
# **How these figures differ from the EnMS's built-in SQL functions.** Earlier analytics in the EnMS made
# mistakes this report does not repeat: tariffs were applied in **UTC** instead of the plant's local time (for
# Los Angeles, every tariff hour shifted by 7–8 hours); the **21:00 → 09:00 off-peak window never matched**
# (a window crossing midnight was compared as start ≤ hour < end); **peak demand came from 1-second samples**
# instead of 15-minute averages; the **boiler's gas and steam were summed** as one "energy" with its
# electricity; baseline accuracy was the **in-sample R²** (a model graded on its own training rows) and models
# were activated whatever their quality; degree-days were summed per sample; anomaly detection was fitted and
# scored on the same window (10 % always flagged); inclusive `BETWEEN` boundaries counted edge hours twice;
# training data were filtered by the machine's *current* status instead of its status at the time. Expect this
# report's costs and peaks to differ from the EnMS dashboard for those reasons.
#
# **Data completeness in the period** (hours with energy data, and data gaps found by the quality step):

# %%
report.completeness_table

# %%
Markdown(report.footer)
