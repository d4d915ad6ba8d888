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
# # KPIs and EnPIs
# The figures energy managers and auditors sign, per machine and per factory, per **local** day, ISO week and
# month of the whole data (each factory in its own time zone, so a spring-forward day has 23 hours):
#
# * **energy** per energy type, in kWh and in its native unit (gas m³, steam kg); energy types are never added;
# * **SEC** (kWh per unit) over the hours with production only, and the **ratio EnPI** against the baseline
#   year's SEC;
# * **peak 15-minute demand** (interval kWh ÷ 0.25 h, never an instantaneous sample) with its local time, and
#   the **load factor** (kWh ÷ (peak kW × hours));
# * **cost** at the time-of-use tariffs in local time (windows wrapping midnight, weekdays, validity dates) plus
#   the **demand charge** on each whole billing month's peak (0 where the tariffs carry none); **carbon** with
#   the factor valid per local date and region (kg CO₂e), the region from the factory's metadata, else its
#   location, else its time zone (else 'default', with a warning);
# * the **regression EnPI** (actual ÷ expected) against the selected baselines' expected energy, the **energy
#   performance improvement** (expected − actual) ÷ expected and the **CUSUM** of expected − actual in kWh,
#   over the reporting period's normal-operation hours (none in the baseline year: the models learn from it).
#
# Energy is counted as the quality step trusts it: an hour with a spike or a negative value counts nothing
# (its 15-minute rows neither), duplicated readings are scaled back to the expected readings, partial hours are
# kept as measured; each such hour is a **data issue**, listed below with what was read and what was used.

# %% tags=["parameters"]
upstream = ["extract", "quality", "baselines"]
product = None
code_version = ""  # fingerprint of the enms code this step imports (set by the pipeline): reruns it on a change

# %%
import time

from matplotlib_inline.backend_inline import set_matplotlib_formats

from enms import __version__, kpis
from enms import report as rp
from enms.io.products import load_frames, save_frames
from enms.report import fmt_number, monthly_cost_figure, styled

set_matplotlib_formats("retina")
print(f"enms {__version__}, source fingerprint {code_version or 'not set'}")
extract = load_frames(upstream["extract"]["data"])
baselines = load_frames(upstream["baselines"]["data"], ["expected_hourly", "candidates"])
unusable = load_frames(upstream["quality"]["data"], ["unusable"])["unusable"]
started = time.perf_counter()
tables = kpis.run(extract, baselines["expected_hourly"], baselines["candidates"], unusable=unusable)
save_frames(tables, product["data"])
print(", ".join(f"{name} {len(table):,} rows" for name, table in tables.items()),
      f"computed in {time.perf_counter() - started:.0f} s")

# %% [markdown]
# ## Data issues
# Untrusted hours per factory, machine, energy type, local month and action, with kWh as read and as counted
# (empty: every hour was counted as read).

# %%
tables["data_issues"][["factory_name", "machine_name", "energy_type", "period", "action", "hours", "kwh_read",
                       "kwh_used", "reasons"]].round(1)

# %% [markdown]
# ## Carbon region of each factory
# The `carbon_factors` region each factory's electricity is counted in, and how it was chosen.

# %%
tables["carbon_regions"][["factory_name", "region", "chosen_by", "note"]]

# %% [markdown]
# ## Factories, month by month
# Whole local months only (the first and last months of the data are partial). Energy in kWh per energy type
# (gas and steam in kWh-equivalent), peak 15-minute demand in kW with its local time, load factor, total cost
# (energy + demand charge) in the factory's currency, carbon in t CO₂e, and the regression EnPI and improvement
# (%) of electricity in the reporting period (– in the baseline year).

# %%
view = rp.factory_month_view(tables["factory_month"])
styled(view, {**{c: fmt_number for c in view.columns if "(kWh)" in c}, "peak (kW)": lambda v: fmt_number(v, 1),
              "load factor": lambda v: fmt_number(v, 3), "total cost": fmt_number,
              "CO₂ (t)": lambda v: fmt_number(v, 1), "EnPI": lambda v: fmt_number(v, 3),
              "improvement (%)": lambda v: fmt_number(v, 2)},
       left=("factory", "period", "peak at (local)", "currency"))

# %% [markdown]
# ## Machines in the last whole month
# SEC in kWh per unit over producing hours; the ratio EnPI is that SEC ÷ the baseline year's; the regression
# EnPI is actual ÷ expected (below 1 is better) and the improvement (expected − actual) ÷ expected; CUSUM is the
# running sum of expected − actual since the baseline year ended (kWh, positive = saved).

# %%
view = rp.latest_machine_month_view(tables["machine_month"])
styled(view, {"kWh": fmt_number, "SEC (kWh/unit)": lambda v: fmt_number(v, 4),
              "ratio EnPI": lambda v: fmt_number(v, 3), "peak (kW)": lambda v: fmt_number(v, 1), "cost": fmt_number,
              "CO₂ (kg)": fmt_number, "EnPI": lambda v: fmt_number(v, 3),
              "improvement (%)": lambda v: fmt_number(v, 2), "CUSUM (kWh)": fmt_number},
       left=("machine", "energy", "period", "currency"))

# %% [markdown]
# ## Cost and peak demand per month
# Total cost per whole local month, stacked by energy type (steam carries no cost of its own: its gas is
# costed), with the month's peak 15-minute demand.

# %%
monthly_cost_figure(tables["factory_month"])
