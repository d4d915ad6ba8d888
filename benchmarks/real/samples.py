"""The benchmark's meters: eemeter 4.1.1's bundled hourly samples, unpacked from its wheel, written as a meter CSV
and a temperature CSV each, and imported through ``enms import`` into one DuckDB per meter (data/bench-real/).

eemeter stores its samples as gzipped CSVs in ``eemeter/eemeter/samples/`` with a ``metadata.json`` naming each
sample's meter file, temperature file and unit (``load_sample`` reads them the same way). The UK files are
half-hourly with naive timestamps that are UTC (both days of a DST change have 48 readings, no gap and no
repeat); the Illinois files are hourly with a -06:00 offset. Both are written here as UTC with an explicit offset,
so the factory's zone (Europe/London, America/Chicago) only sets the local calendar the models use.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
OUT = DATA / "bench-real"
WHEEL = DATA / "eemeter-4.1.1-py3-none-any.whl"
SAMPLES_DIR = "eemeter/eemeter/samples/"
KWH_PER_THERM = 29.3071
BASELINE_DAYS = 365
TEST_DAYS = 90


@dataclass(frozen=True)
class Meter:
    """One benchmark meter: its eemeter sample id, site zone, temperature column and unit."""

    sample: str
    timezone: str
    temp_col: str  # tempC or tempF
    energy_type: str

    @property
    def slug(self) -> str:
        """Its file and database name."""
        return self.sample

    @property
    def warehouse(self) -> Path:
        """Its own DuckDB."""
        return OUT / f"{self.slug}.duckdb"


METERS = (
    Meter("uk-electricity-hdd-only-hourly-sample-1", "Europe/London", "tempC", "electricity"),
    Meter("uk-electricity-hdd-only-hourly-sample-2", "Europe/London", "tempC", "electricity"),
    Meter("il-electricity-cdd-only-hourly", "America/Chicago", "tempF", "electricity"),
    Meter("il-gas-hdd-only-hourly", "America/Chicago", "tempF", "natural_gas"),
)


def fetch_wheel() -> Path:
    """eemeter 4.1.1's wheel in data/ (``pip download --no-deps``; kept once downloaded)."""
    if not WHEEL.is_file():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "eemeter==4.1.1",
                        "-d", str(DATA)], check=True)
    return WHEEL


def _read(wheel: zipfile.ZipFile, name: str) -> pd.DataFrame:
    with wheel.open(SAMPLES_DIR + name) as f:
        return pd.read_csv(f, compression="gzip")


def _utc(stamps: pd.Series) -> pd.Series:
    """Naive stamps are UTC in these files; offset stamps are converted."""
    return pd.to_datetime(stamps, utc=True, format="ISO8601")


def window(meter: pd.Series, temperature: pd.Series, timezone: str) -> tuple[pd.Timestamp, ...]:
    """Baseline start, its end (= test start) and test end (UTC instants of local midnights): the first local
    midnight from which both the meter and the temperature have data, then 365 and 90 local days."""
    first = max(meter.index.min(), temperature.index.min()).tz_convert(timezone)
    start = first.tz_localize(None).ceil("D").tz_localize(timezone)
    mid = (start.tz_localize(None) + pd.Timedelta(days=BASELINE_DAYS)).tz_localize(timezone)
    end = (mid.tz_localize(None) + pd.Timedelta(days=TEST_DAYS)).tz_localize(timezone)
    start, mid, end = (t.tz_convert("UTC") for t in (start, mid, end))
    if end > min(meter.index.max(), temperature.index.max()):
        raise ValueError(f"{BASELINE_DAYS + TEST_DAYS} days from {start} run past the data")
    return start, mid, end


def convert(meter: Meter, wheel: zipfile.ZipFile, metadata: dict) -> dict[str, object]:
    """Write ``<slug>-meter.csv`` (timestamp, value in kWh, interval start) and ``<slug>-temperature.csv``
    (timestamp, temperature in the file's unit) cut to the benchmark window; return the window."""
    info = metadata[meter.sample]
    energy = _read(wheel, info["meter_data_filename"])
    energy = pd.Series(energy["value"].to_numpy(float), index=_utc(energy["start"])).sort_index()
    if info["unit"] == "therm":
        energy = energy * KWH_PER_THERM
    temp = _read(wheel, info["temperature_filename"])
    temp = pd.Series(temp[meter.temp_col].to_numpy(float), index=_utc(temp["dt"])).sort_index()
    start, mid, end = window(energy.dropna(), temp.dropna(), meter.timezone)
    energy = energy[(energy.index >= start) & (energy.index < end)]
    temp = temp[(temp.index >= start) & (temp.index < end)]
    iso = "%Y-%m-%dT%H:%M:%S+00:00"
    pd.DataFrame({"timestamp": energy.index.strftime(iso), "value": energy.to_numpy()}).to_csv(
        OUT / f"{meter.slug}-meter.csv", index=False)
    pd.DataFrame({"timestamp": temp.index.strftime(iso), "temperature": temp.to_numpy()}).dropna().to_csv(
        OUT / f"{meter.slug}-temperature.csv", index=False)
    return {"start": start.isoformat(), "mid": mid.isoformat(), "end": end.isoformat(), "unit": info["unit"]}


def _enms(*args: str) -> None:
    subprocess.run([str(ROOT / ".venv" / "bin" / "enms"), "import", *args], check=True, stdout=subprocess.DEVNULL)


def import_meter(meter: Meter) -> None:
    """A fresh warehouse per meter, filled by ``enms import meters`` and ``enms import weather``."""
    for path in (meter.warehouse, meter.warehouse.with_suffix(".duckdb.wal")):
        path.unlink(missing_ok=True)
    url = f"duckdb:{meter.warehouse}"
    _enms("meters", str(OUT / f"{meter.slug}-meter.csv"), "--factory", meter.slug, "--tz", meter.timezone,
          "--unit", "kWh", "--meter", meter.slug, "--energy-type", meter.energy_type, "--warehouse", url)
    _enms("weather", str(OUT / f"{meter.slug}-temperature.csv"), "--factory", meter.slug, "--tz", meter.timezone,
          "--unit", meter.temp_col[-1], "--warehouse", url)


def prepare() -> dict[str, dict[str, object]]:
    """Wheel, CSVs and warehouses of every meter; the windows, also saved as data/bench-real/windows.json."""
    OUT.mkdir(parents=True, exist_ok=True)
    windows = {}
    with zipfile.ZipFile(fetch_wheel()) as wheel:
        metadata = json.loads(wheel.read(SAMPLES_DIR + "metadata.json"))
        for meter in METERS:
            windows[meter.slug] = {**convert(meter, wheel, metadata), "timezone": meter.timezone}
            import_meter(meter)
    (OUT / "windows.json").write_text(json.dumps(windows, indent=1))
    return windows


if __name__ == "__main__":
    print(json.dumps(prepare(), indent=1))
