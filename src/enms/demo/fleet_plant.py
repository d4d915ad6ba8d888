"""The fleet's static part: its factories (modelled on the two seed factories, each with its own zone, country,
climate and random streams), their tariffs and carbon factors, and the machines (the eight seed machines as
prototypes, rated power scaled).

Deterministic: names, ids and parameters follow from the fleet's size and seed only.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from enms.demo import plant
from enms.demo.factory import Site, seed_site
from enms.demo.plant import CarbonFactor, Factory, Machine, Tariff

# (city, location, IANA zone, ISO country, shift of the yearly mean temperature K, factor on the seasonal swing)
_PLACES: tuple[tuple[str, str, str, str, float, float], ...] = (
    ("Los Angeles", "Los Angeles, CA, USA", "America/Los_Angeles", "US", 0.0, 1.0),
    ("Berlin", "Berlin, Germany", "Europe/Berlin", "DE", 0.0, 1.0),
    ("Chicago", "Chicago, IL, USA", "America/Chicago", "US", -8.5, 2.6),
    ("Paris", "Paris, France", "Europe/Paris", "FR", 2.0, 0.85),
    ("New York", "New York, NY, USA", "America/New_York", "US", -5.5, 2.3),
    ("Madrid", "Madrid, Spain", "Europe/Madrid", "ES", 5.0, 1.1),
    ("Denver", "Denver, CO, USA", "America/Denver", "US", -8.0, 2.3),
    ("Warsaw", "Warsaw, Poland", "Europe/Warsaw", "PL", -1.5, 1.1),
    ("Houston", "Houston, TX, USA", "America/Chicago", "US", 2.5, 1.7),
    ("Tokyo", "Tokyo, Japan", "Asia/Tokyo", "JP", 6.0, 1.1),
    ("Atlanta", "Atlanta, GA, USA", "America/New_York", "US", -1.5, 2.0),
    ("Milan", "Milan, Italy", "Europe/Rome", "IT", 3.5, 1.1),
    ("Phoenix", "Phoenix, AZ, USA", "America/Phoenix", "US", 5.5, 2.3),
    ("Stockholm", "Stockholm, Sweden", "Europe/Stockholm", "SE", -3.5, 1.0),
    ("Detroit", "Detroit, MI, USA", "America/Detroit", "US", -8.5, 2.5),
    ("Prague", "Prague, Czechia", "Europe/Prague", "CZ", -1.5, 1.0),
)
"""Where fleet factories stand, in turn (a US plant works like Los Angeles, any other like Berlin); past the end
the list repeats, each round 0.7 K warmer."""
_CARBON_KG_PER_KWH = {"US": 0.37, "DE": 0.35, "FR": 0.06, "ES": 0.15, "PL": 0.66, "JP": 0.45, "IT": 0.26,
                      "SE": 0.04, "CZ": 0.43}
_NAME_PREFIX = {"compressor": "Compressor", "hvac": "HVAC", "motor": "Conveyor", "pump": "Hydraulic-Pump",
                "injection_molding": "Injection-Molding", "boiler": "Boiler"}
_SOURCE = "fleet seed (grid average, illustrative)"
_RATING = (0.6, 1.8)  # range of the rated-power factor against the prototype
MACHINE_STREAM = 3
"""The random stream (``SeedSequence([seed, machine_index, 3])``) of a fleet machine's rating and fault choice;
1 and 2 are the demo's plan and run streams."""


@dataclass(frozen=True)
class FleetFactory:
    """A fleet factory: the warehouse row's fields, how it is simulated, its seed-plant prototype's name."""

    factory: Factory
    site: Site
    prototype: str


def n_factories(n_machines: int) -> int:
    """max(2, ceil(N / 100)) factories."""
    return max(2, math.ceil(n_machines / 100))


def fleet_factories(n_machines: int) -> list[FleetFactory]:
    """The fleet's factories, ``Fleet Plant 01 Los Angeles``, ``Fleet Plant 02 Berlin``, …"""
    count = n_factories(n_machines)
    width = max(2, len(str(count)))
    out = []
    for k in range(count):
        city, location, zone, country, shift, swing = _PLACES[k % len(_PLACES)]
        proto = plant.factory(plant.LA if country == "US" else plant.BERLIN)
        base = seed_site(proto)
        climate = dataclasses.replace(base.climate, mean_c=base.climate.mean_c + shift + 0.7 * (k // len(_PLACES)),
                                      seasonal_c=base.climate.seasonal_c * swing)
        name = f"Fleet Plant {k + 1:0{width}d} {city}"
        slug = f"fleet-plant-{k + 1:0{width}d}"
        f = dataclasses.replace(
            proto, name=name, timezone=zone, carbon_region=f"{country} grid ({city})", country=country,
            location=location, address=f"{k + 1} Fleet Road, {location}", contact_email=f"energy@{slug}.example",
            contact_phone=f"{proto.contact_phone[:-4]}{k + 1:04d}",
            voltage_v=480.0 if country == "US" else 400.0, frequency_hz=60.0 if country == "US" else 50.0)
        out.append(FleetFactory(f, dataclasses.replace(base, index=len(plant.FACTORIES) + k, climate=climate),
                                proto.name))
    return out


def fleet_tariffs(factories: list[FleetFactory]) -> list[Tariff]:
    """Every factory's tariffs: its prototype's (rates, hours, validity and currency)."""
    return [dataclasses.replace(t, factory=ff.factory.name)
            for ff in factories for t in plant.TARIFFS if t.factory == ff.prototype]


def fleet_carbon_factors(factories: list[FleetFactory]) -> list[CarbonFactor]:
    """One open-ended factor per factory's carbon region (kg CO2e/kWh by country) and the demo's fallback."""
    early = date(2020, 1, 1)
    rows = [CarbonFactor(ff.factory.carbon_region, f"{ff.factory.country} grid",
                         _CARBON_KG_PER_KWH.get(ff.factory.country, 0.45), _SOURCE, early, None)
            for ff in factories]
    return [*rows, *(c for c in plant.CARBON_FACTORS if c.region == "default")]


def fleet_machines(n_machines: int, factories: list[FleetFactory], seed: int) -> list[Machine]:
    """N machines in contiguous blocks per factory. Within a factory the prototypes cycle through the seed
    plant's eight, from its prototype factory's first compressor (so every factory has one), named
    ``<Type>-<position>`` (``Compressor-001``); rated power = the prototype's x a factor in [0.6, 1.8]."""
    machines = []
    for k, ff in enumerate(factories):
        first = next(i for i, m in enumerate(plant.MACHINES) if m.factory == ff.prototype)
        lo, hi = k * n_machines // len(factories), (k + 1) * n_machines // len(factories)
        for j, g in enumerate(range(lo, hi)):
            proto = plant.MACHINES[(first + j) % len(plant.MACHINES)]
            u = np.random.default_rng(np.random.SeedSequence([seed, g, MACHINE_STREAM])).random()
            factor = _RATING[0] + (_RATING[1] - _RATING[0]) * u
            machines.append(dataclasses.replace(
                proto, name=f"{_NAME_PREFIX[proto.type]}-{j + 1:03d}", factory=ff.factory.name,
                rated_power_kw=round(proto.rated_power_kw * factor, 1),
                serial_number=f"{proto.serial_number}-{k + 1:02d}{j + 1:03d}", prototype=proto.name))
    return machines
