"""Carbon: emissions (kg CO₂e) per local period, with the electricity factor of the factory's region valid on
each local date; gas by its source factor per m³; steam 0 (its gas is already counted)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from enms.frames import metadata_by_id
from enms.kpis.energy import _energy, _per_row
from enms.kpis.periods import Freq, Level, LocalBound, _check_level, _factory_names, _finish, _keys, _prepare
from enms.kpis.validity import _active, _dates, _valid_on

# ------------------------------------------------------------------------------------------ carbon regions
# Region names are those of ``carbon_factors.region``: the EnMS seed (database/init/06-seed-data.sql) and the demo
# plant (enms.demo.plant.CARBON_FACTORS) name a US state's grid 'US-<state name>' ('US-California'), a country's
# grid by its English name ('Germany'), and the fallback 'default'. The tables below map what a factory row
# carries (its ``location`` text, its IANA ``timezone``) to such names; a name found here is used only when
# ``carbon_factors`` holds it (where they are given), else the next clue is tried, and at the end 'default'.
US_STATES: dict[str, str] = dict(zip(
    ["AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
     "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK",
     "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC"],
    ["Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware", "Florida",
     "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine",
     "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska",
     "Nevada", "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota", "Ohio",
     "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota", "Tennessee", "Texas",
     "Utah", "Vermont", "Virginia", "Washington", "West Virginia", "Wisconsin", "Wyoming", "District of Columbia"],
    strict=True))
"""US state code → state name; a US location's region is 'US-<state name>'."""
US_NAMES = frozenset({"usa", "us", "u.s.", "u.s.a.", "united states", "united states of america"})
"""How a location's last part names the United States."""
COUNTRY_REGIONS: dict[str, str] = {
    "germany": "Germany", "deutschland": "Germany", "de": "Germany", "france": "France", "fr": "France",
    "united kingdom": "United Kingdom", "uk": "United Kingdom", "england": "United Kingdom", "italy": "Italy",
    "italia": "Italy", "spain": "Spain", "españa": "Spain", "netherlands": "Netherlands", "austria": "Austria",
    "österreich": "Austria", "switzerland": "Switzerland", "schweiz": "Switzerland", "belgium": "Belgium",
    "poland": "Poland", "polska": "Poland", "czechia": "Czechia", "czech republic": "Czechia", "sweden": "Sweden",
    "turkey": "Turkey", "türkiye": "Turkey", "canada": "Canada", "mexico": "Mexico", "china": "China",
    "japan": "Japan", "india": "India",
}
"""A location's country (its last comma-separated part, lower case) → region."""
TIMEZONE_REGIONS: dict[str, str] = {
    # a zone spanning several US states is mapped to its most populous one (Los Angeles: California)
    "America/Los_Angeles": "US-California", "America/New_York": "US-New York", "America/Chicago": "US-Illinois",
    "America/Denver": "US-Colorado", "America/Phoenix": "US-Arizona", "Europe/Berlin": "Germany",
    "Europe/Paris": "France", "Europe/London": "United Kingdom", "Europe/Rome": "Italy", "Europe/Madrid": "Spain",
    "Europe/Amsterdam": "Netherlands", "Europe/Vienna": "Austria", "Europe/Zurich": "Switzerland",
    "Europe/Brussels": "Belgium", "Europe/Warsaw": "Poland", "Europe/Prague": "Czechia",
    "Europe/Stockholm": "Sweden", "Europe/Istanbul": "Turkey", "America/Toronto": "Canada",
    "America/Mexico_City": "Mexico", "Asia/Shanghai": "China", "Asia/Tokyo": "Japan", "Asia/Kolkata": "India",
}
"""IANA zone → region, the last clue (after metadata and location)."""


@dataclass(frozen=True)
class RegionChoice:
    """A factory's carbon region and how it was chosen: ``chosen_by`` is 'metadata', 'location', 'timezone' or
    'default'; ``source`` names the clue ("the factory's location 'Munich, Germany'"); ``note`` says it all in
    words (for the report and the warnings)."""

    region: str
    chosen_by: str
    source: str

    @property
    def note(self) -> str:
        if self.chosen_by == "default":
            return f"{self.source}: the 'default' factor is used"
        return f"region {self.region!r} from {self.source}"


def location_regions(location: object) -> list[str]:
    """Region names a location text points to, best first: "Los Angeles, CA, USA" → ['US-California', 'US'],
    "Munich, Germany" → ['Germany']; an unknown country's text as written (it may be a carbon_factors region)."""
    parts = [p.strip() for p in str(location or "").split(",") if p.strip()]
    if not parts:
        return []
    country = parts[-1]
    if country.lower() in US_NAMES:
        if len(parts) < 2:
            return ["US"]
        state = re.sub(r"[\s\d-]+$", "", parts[-2]).strip()  # "CA 95131" → "CA"
        return [f"US-{US_STATES.get(state.upper(), state.title())}", "US"]
    return list(dict.fromkeys([COUNTRY_REGIONS.get(country.lower(), country), country]))


def _factory_row(factories: pd.DataFrame | None, factory_id: str) -> pd.Series:
    if factories is None or factories.empty:
        return pd.Series(dtype=object)
    hit = factories[factories["factory_id"].astype(str) == str(factory_id)]
    return hit.iloc[0] if len(hit) else pd.Series(dtype=object)


def choose_carbon_region(factories: pd.DataFrame | None, factory_id: str,
                         carbon_factors: pd.DataFrame | None = None) -> RegionChoice:
    """The factory's carbon region: its metadata ``carbon_region`` if set, else the region its ``location``
    names (:func:`location_regions`), else its ``timezone``'s (:data:`TIMEZONE_REGIONS`), else 'default'. With
    ``carbon_factors``, a region from location or time zone counts only when a factor row names it (any case);
    without, only a mapped name (the first of :func:`location_regions`) counts."""
    declared = metadata_by_id(factories, "factory_id").get(str(factory_id), {}).get("carbon_region")
    if declared:
        return RegionChoice(str(declared), "metadata", "the factory's metadata")
    known = None if carbon_factors is None else {str(r).lower(): str(r) for r in carbon_factors["region"].dropna()}
    row = _factory_row(factories, factory_id)
    location, zone = row.get("location"), row.get("timezone")
    clues = (("location", "location", location, location_regions(location)),
             ("timezone", "time zone", zone, [TIMEZONE_REGIONS[zone]] if zone in TIMEZONE_REGIONS else []))
    for chosen_by, word, clue, names in clues:
        for i, name in enumerate(names):
            if (known is None and i == 0) or (known is not None and name.lower() in known):
                region = name if known is None else known[name.lower()]
                return RegionChoice(region, chosen_by, f"the factory's {word} {clue!r}")
    return RegionChoice("default", "default",
                        f"no carbon region found for location {location or '–'!r} and time zone {zone or '–'!r}")


def carbon_region(factories: pd.DataFrame | None, factory_id: str,
                  carbon_factors: pd.DataFrame | None = None) -> str:
    """The factory's carbon region (:func:`choose_carbon_region`)."""
    return choose_carbon_region(factories, factory_id, carbon_factors).region


def carbon_regions(factories: pd.DataFrame | None, carbon_factors: pd.DataFrame,
                   factory_ids: list[str]) -> pd.DataFrame:
    """One row per factory: ``factory_id``, ``region``, ``chosen_by``, ``note``; warns for each factory that
    falls back to 'default' (so a missing region is never silent)."""
    choices = [choose_carbon_region(factories, f, carbon_factors) for f in factory_ids]
    for factory_id, choice in zip(factory_ids, choices, strict=True):
        if choice.chosen_by == "default":
            warnings.warn(f"factory {factory_id}: {choice.note}", stacklevel=2)
    return pd.DataFrame({"factory_id": list(factory_ids), "region": [c.region for c in choices],
                         "chosen_by": [c.chosen_by for c in choices], "note": [c.note for c in choices]})


def _factor_per_day(days: np.ndarray, region: str, factors: pd.DataFrame, factory_name: str) -> np.ndarray:
    """Electricity emission factor (kg/kWh) per local date: the region's factor valid that date, else the
    'default' region's; none or several valid factors is a ValueError. Without any factor of either region
    (imported meters, no carbon factors loaded) the carbon is unknown: NaN."""
    result = np.full(len(days), np.nan)
    if not factors["region"].isin([region, "default"]).any():
        return result
    for name in dict.fromkeys([region, "default"]):
        own = factors[factors["region"] == name].reset_index(drop=True)
        todo = np.isnan(result)
        if own.empty or not todo.any():
            continue
        starts, ends = _dates(own["valid_from"]), _dates(own["valid_to"])
        valid = np.column_stack([_valid_on(days, starts[j], ends[j]) for j in range(len(own))])
        count = valid.sum(axis=1)
        overlap = np.flatnonzero(todo & (count > 1))
        if len(overlap):
            raise ValueError(f"factory {factory_name!r}: {count[overlap[0]]} carbon factors of region {name!r} "
                             f"overlap on {pd.Timestamp(days[overlap[0]]):%Y-%m-%d}")
        hit = todo & (count == 1)
        result[hit] = own["emission_factor_kg_co2_per_kwh"].to_numpy(dtype="float64")[valid[hit].argmax(axis=1)]
    if np.isnan(result).any():
        raise ValueError(f"factory {factory_name!r}: no carbon factor for region {region!r} nor 'default' on "
                         f"{pd.Timestamp(days[np.isnan(result)][0]):%Y-%m-%d}")
    return result


def electricity_carbon_factors(rows: pd.DataFrame, factories: pd.DataFrame | None,
                               carbon_factors: pd.DataFrame, names: Mapping[str, str] | None = None) -> np.ndarray:
    """kg CO₂e/kWh per row (``factory_id``, ``local_time``): the factor of the factory's region
    (:func:`choose_carbon_region`) valid on the row's LOCAL date (``valid_from``..``valid_to`` inclusive),
    falling back to region 'default'."""
    factors = _active(carbon_factors)
    names = names or {}
    result = np.full(len(rows), np.nan)
    for factory, positions in rows.groupby("factory_id", sort=False).indices.items():
        days = rows["local_time"].iloc[positions].dt.normalize().to_numpy(dtype="datetime64[us]")
        unique, inverse = np.unique(days, return_inverse=True)
        region = carbon_region(factories, factory, factors)
        per_day = _factor_per_day(unique, region, factors, names.get(factory, factory))
        result[positions] = per_day[inverse]
    return result


def _carbon_from_rows(rows: pd.DataFrame, periods: pd.DataFrame, machines: pd.DataFrame,
                      factories: pd.DataFrame | None, carbon_factors: pd.DataFrame, energy_sources: pd.DataFrame,
                      level: Level) -> pd.DataFrame:
    def factor(electric: pd.DataFrame) -> np.ndarray:
        return electricity_carbon_factors(electric, factories, carbon_factors, _factory_names(machines))

    kg = _per_row(rows, factor, energy_sources, "carbon_factor")
    keys = _keys(level)
    grouped = rows[keys + ["total_energy_kwh"]].assign(kg=kg).groupby(keys, sort=False)
    out = grouped["total_energy_kwh"].sum().rename("energy_kwh").to_frame()
    out["carbon_kg"] = grouped["kg"].sum(min_count=1)
    return _finish(out.reset_index(), periods, machines, level, ["energy_kwh", "carbon_kg"])


def carbon(energy_hourly: pd.DataFrame, machines: pd.DataFrame, factories: pd.DataFrame | None,
           carbon_factors: pd.DataFrame, energy_sources: pd.DataFrame, freq: Freq = "month", *,
           level: Level = "machine", start: LocalBound = None, end: LocalBound = None) -> pd.DataFrame:
    """Emissions (kg CO₂e) per machine (or factory) × energy type × local period.

    * electricity: kWh × the factor (kg/kWh) of the factory's region valid on each bucket's LOCAL date
      (``carbon_factors``; region from the factory's metadata ``carbon_region``, location or time zone, see
      :func:`choose_carbon_region`, else / on dates it lacks a factor: region 'default'); overlapping factors
      of a region are a ValueError;
    * natural gas: m³ (kWh / 10.55) × ``energy_sources`` natural_gas ``carbon_factor`` (kg/m³);
    * steam: 0 by design (its gas is already counted);
    * other energy types: NaN.

    Columns: ``energy_kwh``, ``carbon_kg``.
    """
    _check_level(level)
    rows, periods = _prepare(_energy(energy_hourly), machines, freq, start, end)
    return _carbon_from_rows(rows, periods, machines, factories, carbon_factors, energy_sources, level)
