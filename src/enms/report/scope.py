"""The factory and the local period a report covers: names and slugs, periods in local dates, file names.

The period is a half-open range of LOCAL calendar dates ``[start, end)`` in the factory's IANA zone (default: the
last full local month of the data); :class:`Scope` carries its bounds as UTC instants and where the reporting
period (after the baseline year) begins.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from enms import kpis
from enms.frames import parse_metadata
from enms.localtime import baseline_boundary, local_date_start, wall_clock

_FRAMES = ("machines", "factories", "window")


def slug(name: str) -> str:
    """A file-name slug: ``"Demo Manufacturing Plant"`` → ``"demo-manufacturing-plant"`` (ASCII, lower case)."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def factory_table(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The factories with their ``slug``, ``timezone``, ``location``, ``currency`` and ``carbon_region`` (from the
    ``factories`` frame's metadata; the machines frame fills in a factory the factories frame lacks)."""
    factories = frames["factories"].copy() if "factories" in frames else pd.DataFrame()
    machines = frames["machines"].drop_duplicates("factory_id")[["factory_id", "factory_name", "timezone"]]
    if factories.empty:
        factories = machines.assign(location="", metadata=None)
    else:
        missing = machines[~machines["factory_id"].isin(factories["factory_id"])]
        factories = pd.concat([factories, missing.assign(location="", metadata=None)], ignore_index=True)
    meta = [parse_metadata(m) for m in factories.get("metadata", pd.Series([None] * len(factories)))]
    out = pd.DataFrame({
        "factory_id": factories["factory_id"].astype(str).to_numpy(),
        "factory_name": factories["factory_name"].astype(str).to_numpy(),
        "slug": [slug(n) for n in factories["factory_name"]],
        "timezone": factories["timezone"].astype(str).to_numpy(),
        "location": factories.get("location", pd.Series([""] * len(factories))).fillna("").astype(str).to_numpy(),
        "currency": [m.get("currency") for m in meta],
        "carbon_region": [m.get("carbon_region") for m in meta],
    })
    return out.sort_values("factory_name", ignore_index=True)


def resolve_factory(frames: Mapping[str, pd.DataFrame], slug_or_name: str) -> pd.Series:
    """The factory named by a slug (``demo-manufacturing-plant``), its exact name (case-insensitive) or its id.

    Returns a row of :func:`factory_table`. An empty or unknown value is a ValueError listing the known factories.
    """
    table = factory_table(frames)
    known = "; ".join(f"{r.factory_name!r} (slug {r.slug!r})" for r in table.itertuples())
    wanted = str(slug_or_name or "").strip()
    if not wanted:
        raise ValueError(f"no factory given: pass a slug or a name; known factories: {known}")
    hit = table[(table["slug"] == wanted.lower()) | (table["factory_name"].str.lower() == wanted.lower())
                | (table["factory_id"] == wanted)]
    if hit.empty:
        hit = table[table["slug"] == slug(wanted)]
    if hit.empty:
        raise ValueError(f"unknown factory {slug_or_name!r}; known factories: {known}")
    return hit.iloc[0]


def last_full_month(window_end_utc: object, timezone: str, window_start_utc: object | None = None
                    ) -> tuple[date, date]:
    """The last local calendar month that ends at or before ``window_end_utc`` (exclusive end of the data, UTC)
    in ``timezone``: ``(first day, first day of the next month)`` as local dates.

    The month boundary is the factory's local midnight, so the answer can differ from the UTC calendar (data
    ending at 2026-04-01 06:00 UTC end on 31 March, 23:00 in Los Angeles: March is not full yet). Given
    ``window_start_utc``, a month starting before the data is a ValueError.
    """
    local_end = wall_clock(window_end_utc, timezone)
    end = local_end.normalize().replace(day=1)
    start = end - pd.DateOffset(months=1)
    if window_start_utc is not None and start < wall_clock(window_start_utc, timezone):
        raise ValueError(f"the data ({window_start_utc} to {window_end_utc} UTC) hold no full local month in "
                         f"{timezone}")
    return start.date(), end.date()


def _parse_date(value: object, name: str) -> date:
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as error:
        raise ValueError(f"{name} must be a local date 'YYYY-MM-DD' (or a month 'YYYY-MM'), got {value!r}") from error


def resolve_period(period_start: object, period_end: object, window_end_utc: object, timezone: str,
                   window_start_utc: object | None = None) -> tuple[date, date]:
    """The report period ``[start, end)`` in local dates.

    * both empty: the last full local month of the data (:func:`last_full_month`);
    * ``period_start`` a month ``"YYYY-MM"`` and ``period_end`` empty: that month;
    * otherwise two local dates ``"YYYY-MM-DD"``, end exclusive.
    """
    start_text = "" if period_start is None else str(period_start).strip()
    end_text = "" if period_end is None else str(period_end).strip()
    if not start_text and not end_text:
        return last_full_month(window_end_utc, timezone, window_start_utc)
    if re.fullmatch(r"\d{4}-\d{2}", start_text) and not end_text:
        first = _parse_date(start_text + "-01", "period_start")
        return first, (pd.Timestamp(first) + pd.DateOffset(months=1)).date()
    if not start_text or not end_text:
        raise ValueError("give both period_start and period_end (local dates, end exclusive), a month as "
                         f"period_start 'YYYY-MM' alone, or neither; got {period_start!r} and {period_end!r}")
    start, end = _parse_date(start_text, "period_start"), _parse_date(end_text, "period_end")
    if end <= start:
        raise ValueError(f"empty period: period_end {end} is not after period_start {start} (end is exclusive)")
    return start, end


def _is_month(start: date, end: date) -> bool:
    return start.day == 1 and (pd.Timestamp(start) + pd.DateOffset(months=1)).date() == end


def report_filename(factory_name: str, period_start: object, period_end: object | None = None) -> str:
    """``<slug>-YYYY-MM.html`` for a calendar month (``period_end`` empty or one month after a first day),
    else ``<slug>-<start>_<end>.html`` (local dates, end exclusive)."""
    start = _parse_date(period_start if not re.fullmatch(r"\d{4}-\d{2}", str(period_start)) else
                        f"{period_start}-01", "period_start")
    end = (pd.Timestamp(start) + pd.DateOffset(months=1)).date() if period_end in (None, "") else _parse_date(
        period_end, "period_end")
    if _is_month(start, end):
        return f"{slug(factory_name)}-{start:%Y-%m}.html"
    return f"{slug(factory_name)}-{start:%Y-%m-%d}_{end:%Y-%m-%d}.html"


def period_label(start: date, end: date) -> str:
    """``October 2026`` for a calendar month, ``5 October 2026`` for a day, else ``5 October – 19 October 2026``
    (last day included)."""
    if _is_month(start, end):
        return f"{start:%B %Y}"
    last = (pd.Timestamp(end) - pd.Timedelta(days=1)).date()
    if last == start:
        return f"{start.day} {start:%B %Y}"
    return f"{start.day} {start:%B %Y} – {last.day} {last:%B %Y}"


@dataclass(frozen=True)
class Scope:
    """The factory and period of a report, with the period's bounds as UTC instants."""

    factory_id: str
    factory_name: str
    slug: str
    location: str
    timezone: str
    currency: str
    start: date
    end: date
    start_utc: pd.Timestamp
    end_utc: pd.Timestamp
    data_start_utc: pd.Timestamp
    data_end_utc: pd.Timestamp
    reporting_start_utc: pd.Timestamp
    has_demand_charge: bool = True  # False: no tariff of the period carries one (the EnMS leaves it NULL)

    @property
    def label(self) -> str:
        return period_label(self.start, self.end)

    @property
    def hours(self) -> float:
        return (self.end_utc - self.start_utc) / pd.Timedelta(hours=1)

    @property
    def coverage(self) -> float:
        """Share of the period's hours inside the data window."""
        lo, hi = max(self.start_utc, self.data_start_utc), min(self.end_utc, self.data_end_utc)
        return max(0.0, (hi - lo) / pd.Timedelta(hours=1)) / self.hours

    @property
    def reporting_start_local(self) -> date:
        return wall_clock(self.reporting_start_utc, self.timezone).date()

    @property
    def mv_status(self) -> str:
        """``baseline`` (the period lies in the baseline year), ``reporting`` (after it) or ``mixed``."""
        if self.end_utc <= self.reporting_start_utc:
            return "baseline"
        if self.start_utc >= self.reporting_start_utc:
            return "reporting"
        return "mixed"

    @property
    def filename(self) -> str:
        return report_filename(self.factory_name, self.start, self.end)


def report_scope(frames: Mapping[str, pd.DataFrame], factory: str, period_start: object = "",
                 period_end: object = "") -> Scope:
    """Resolve the factory (slug, name or id) and the period (see :func:`resolve_period`) against the data.

    ``frames``: the extract step's products (``machines``, ``factories``, ``window``). A period entirely outside
    the data is a ValueError naming the local dates the data cover.
    """
    absent = [name for name in _FRAMES if name not in frames]
    if absent:
        raise ValueError(f"the report needs frames {', '.join(absent)}")
    row = resolve_factory(frames, factory)
    zone = row["timezone"]
    window = frames["window"].iloc[0]
    start, end = resolve_period(period_start, period_end, window["end"], zone, window["start"])
    start_utc, end_utc = local_date_start(start, zone), local_date_start(end, zone)
    if end_utc <= window["start"] or start_utc >= window["end"]:
        first = wall_clock(window["start"], zone)
        last = wall_clock(window["end"], zone)
        raise ValueError(f"{row['factory_name']}: no data in {start} .. {end} (local); the data cover "
                         f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} local time ({zone})")
    currency = row["currency"]
    charged = True
    if "tariffs" in frames:
        charged = kpis.has_demand_charge(tariffs_in_period(frames["tariffs"], row["factory_id"], start, end))
    if not currency and "tariffs" in frames:
        own = frames["tariffs"][frames["tariffs"]["factory_id"] == row["factory_id"]]["currency"].dropna()
        currency = own.iloc[0] if len(own) else ""
    return Scope(factory_id=row["factory_id"], factory_name=row["factory_name"], slug=row["slug"],
                 location=row["location"], timezone=zone, currency=currency or "", start=start, end=end,
                 start_utc=start_utc, end_utc=end_utc, data_start_utc=window["start"], data_end_utc=window["end"],
                 reporting_start_utc=baseline_boundary(window, zone), has_demand_charge=charged)


def tariffs_in_period(tariffs: pd.DataFrame, factory_id: str, start: date, end: date) -> pd.DataFrame:
    """The factory's active tariffs valid on any local date of ``[start, end)``."""
    own = tariffs[tariffs["factory_id"] == factory_id]
    if "is_active" in own.columns:
        own = own[own["is_active"].fillna(True).astype(bool)]
    first, last = pd.Timestamp(start), pd.Timestamp(end) - pd.Timedelta(days=1)
    valid_from = pd.to_datetime(own["valid_from"])
    valid_to = pd.to_datetime(own["valid_to"])
    keep = (valid_from.isna() | (valid_from <= last)) & (valid_to.isna() | (valid_to >= first))
    return own[keep.to_numpy()]


def factory_machines(frames: Mapping[str, pd.DataFrame], scope: Scope) -> pd.DataFrame:
    """The machines of the scope's factory, in name order."""
    machines = frames["machines"]
    return machines[machines["factory_id"] == scope.factory_id].sort_values("machine_name", ignore_index=True)
