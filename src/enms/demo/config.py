"""What to simulate (`DemoConfig`) and the UTC time grid it is simulated on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from enms.demo import plant
from enms.demo.plant import Machine


@dataclass(frozen=True)
class DemoConfig:
    """What to simulate. Data covers [end - days, end) UTC at ``resolution`` (a pandas frequency dividing
    an hour: "1min", "5min", "15min"). ``machines`` selects by name (None = all eight). The efficiency
    measure starts at the first local midnight (first factory's zone) at or after start + baseline_days.
    ``inject_faults=False`` gives the counterfactual: same random draws, same outages, no faults, no measure.
    """

    days: int = 400
    seed: int = 7
    resolution: str = "1min"
    end: pd.Timestamp = pd.Timestamp("2026-11-02 00:00", tz="UTC")
    machines: tuple[str, ...] | None = None
    baseline_days: int = 365
    inject_faults: bool = True


@dataclass(frozen=True)
class Grid:
    """The simulation's time grid: ``n`` intervals of ``step_s`` seconds from ``start`` (UTC) to ``end``."""

    start: pd.Timestamp
    end: pd.Timestamp
    step_s: int
    n: int

    @property
    def dt_h(self) -> float:
        return self.step_s / 3600

    @property
    def dt_min(self) -> float:
        return self.step_s / 60

    def times(self) -> pd.DatetimeIndex:
        us = self.start.value // 1000 + np.arange(self.n, dtype=np.int64) * (self.step_s * 1_000_000)
        return pd.DatetimeIndex(us.view("datetime64[us]")).tz_localize("UTC")

    def index(self, t: pd.Timestamp) -> int:
        """Index of the first interval starting at or after ``t``, clipped to [0, n]."""
        i = -(-(t - self.start).total_seconds() // self.step_s)
        return int(min(max(i, 0), self.n))

    def time(self, i: int) -> pd.Timestamp:
        return self.start + pd.Timedelta(seconds=i * self.step_s)

    def intervals(self, hours: float) -> int:
        return max(1, round(hours * 3600 / self.step_s))


def selected_machines(config: DemoConfig) -> list[tuple[int, Machine]]:
    """(position in the seed plant, machine) of the configured machines; an unknown name is a ValueError."""
    if config.machines is None:
        return list(enumerate(plant.MACHINES))
    known = {m.name for m in plant.MACHINES}
    unknown = [name for name in config.machines if name not in known]
    if unknown:
        raise ValueError(f"unknown machine name(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    wanted = set(config.machines)
    return [(i, m) for i, m in enumerate(plant.MACHINES) if m.name in wanted]


def config_grid(config: DemoConfig) -> Grid:
    """The grid of ``config``; a resolution not dividing an hour, or a naive or misaligned end, is a ValueError."""
    try:
        step = pd.Timedelta(config.resolution)
    except ValueError as exc:
        raise ValueError(f"resolution {config.resolution!r} is not a pandas frequency") from exc
    step_s = int(step.total_seconds())
    if step_s <= 0 or step_s != step.total_seconds() or 3600 % step_s:
        raise ValueError(f"resolution {config.resolution!r} must divide an hour (e.g. 1min, 5min, 15min)")
    if config.days < 1:
        raise ValueError(f"days must be >= 1, got {config.days}")
    end = pd.Timestamp(config.end)
    if end.tz is None:
        raise ValueError("end must be a tz-aware timestamp (UTC)")
    end = end.tz_convert("UTC")
    if end.value % (step_s * 1_000_000_000):
        raise ValueError(f"end {end} is not aligned to the resolution {config.resolution}")
    start = end - pd.Timedelta(days=config.days)
    return Grid(start, end, step_s, config.days * 86400 // step_s)
