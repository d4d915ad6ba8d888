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
# # Extract
# Everything the analytics need from the EnMS warehouse (DuckDB demo plant or the PostgreSQL EnMS),
# read once and saved as parquet so the later steps never hold the database: machines and factories with
# their time zones, tariffs, carbon factors, hourly and 15-minute energy **per machine and energy type**,
# production, environment, and the hourly operating-mode history. Times are UTC; buckets are half-open.

# %% tags=["parameters"]
upstream = None
product = None
code_version = ""  # fingerprint of the enms code this step imports (set by the pipeline): reruns it on a change
warehouse = "duckdb:data/enms.duckdb"
start = ""
end = ""
machines = ""
factories = ""
baseline_start = ""  # local date YYYY-MM-DD the baseline period begins (empty: the data's start)
baseline_end = ""  # local date, exclusive (empty: 12 months after the baseline start)
data_state = ""  # what the warehouse held when the pipeline was made (set by it): new readings rerun this step

# %%
from enms import __version__
from enms.io.extract import run

print(f"enms {__version__}, source fingerprint {code_version or 'not set'}, warehouse {data_state or 'not stated'}")

frames = run(warehouse, product["data"], start, end, machines, factories, baseline_start=baseline_start,
             baseline_end=baseline_end)

# %% [markdown]
# The window read, and its baseline period (the first twelve months, or the `baseline_start` / `baseline_end`
# local dates of the settings, recorded as that date's midnight at UTC+14 so each factory's zone finds the date),
# in UTC:

# %%
frames["window"]

# %% [markdown]
# The machines, their factories and time zones, and the energy types each one meters:

# %%
frames["machines"][["factory_name", "timezone", "machine_name", "machine_type", "rated_power_kw",
                    "data_interval_seconds", "energy_types"]]

# %% [markdown]
# Rows per extracted table:

# %%
{name: len(frame) for name, frame in frames.items()}
