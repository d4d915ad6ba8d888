"""The EnMS seed plant: two factories, eight machines, tariffs, carbon factors and energy sources.

Static definitions only (no I/O, no randomness); `enms.demo.simulate` turns them into warehouse rows. Ids are
deterministic UUIDs (uuid5 on a URL-like name), so every build of the demo plant has the same keys.
Tariff hours are the factory's *local* hours, ``applicable_days`` counts 0 = Sunday, validity dates are
inclusive local dates (``valid_to`` None = still valid).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date


def _demo_id(*parts: object) -> str:
    """Deterministic id (str UUID) of the demo object named by ``parts``."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(["enms-demo", *map(str, parts)])))


def factory_id(factory: str) -> str:
    """Deterministic id of a factory (str UUID)."""
    return _demo_id("factory", factory)


def machine_id(factory: str, machine: str) -> str:
    """Deterministic id of a machine of a factory (str UUID)."""
    return _demo_id("machine", factory, machine)


@dataclass(frozen=True)
class Factory:
    name: str
    timezone: str  # IANA zone: shifts, holidays and tariffs follow its local time
    currency: str
    carbon_region: str
    country: str  # ISO 3166 code; selects the public holidays
    location: str
    address: str
    contact_email: str
    contact_phone: str
    voltage_v: float  # nominal line-to-line supply voltage
    frequency_hz: float
    closed_on: tuple[str, ...] | None = None  # public holidays it closes on (None: all; see enms.calendars)
    shutdown: tuple[str, str] = ("12-24", "01-01")  # annual shutdown, first and last local day (MM-DD)

    @property
    def id(self) -> str:
        return factory_id(self.name)

    @property
    def metadata(self) -> dict[str, object]:
        """The factory's ``metadata`` in the warehouse; its calendar keys are those of ``enms.calendars``."""
        calendar = {"closed_on": list(self.closed_on)} if self.closed_on is not None else {}
        return {"currency": self.currency, "carbon_region": self.carbon_region, "country": self.country,
                **calendar, "shutdown": list(self.shutdown)}


@dataclass(frozen=True)
class Machine:
    name: str
    factory: str
    type: str  # the EnMS machine_type enum
    rated_power_kw: float  # electrical rating
    energy_types: tuple[str, ...]
    description: str
    manufacturer: str
    model: str
    serial_number: str
    installation_date: date
    location_in_factory: str
    is_critical: bool
    production_unit: str | None  # what production_count counts; None = the machine reports no production
    production_basis: str  # "own output", "served line output" (utilities) or "none"
    prototype: str | None = None  # the seed machine whose model parameters it takes (None: itself)

    @property
    def id(self) -> str:
        return machine_id(self.factory, self.name)

    @property
    def key(self) -> str:
        """Name of the seed machine whose model parameters (rates, heat transfer) this machine takes."""
        return self.prototype or self.name

    @property
    def scale(self) -> float:
        """Rated power relative to the prototype's (1.0 for a seed machine): its rates and loads scale with it."""
        return self.rated_power_kw / machine(self.key).rated_power_kw


@dataclass(frozen=True)
class Tariff:
    factory: str
    name: str
    rate_per_kwh: float
    currency: str
    is_time_of_use: bool
    start_hour: int  # local hour, inclusive
    end_hour: int  # local hour, exclusive; a window may wrap midnight (21 -> 9)
    applicable_days: tuple[int, ...]  # 0 = Sunday
    demand_charge_per_kw: float  # per kW of the billing period's peak 15-min demand
    valid_from: date
    valid_to: date | None  # inclusive; None = open-ended

    @property
    def id(self) -> str:
        return _demo_id("tariff", self.factory, self.name, self.valid_from)


@dataclass(frozen=True)
class CarbonFactor:
    region: str
    grid_name: str
    kg_co2_per_kwh: float
    source: str
    valid_from: date
    valid_to: date | None

    @property
    def id(self) -> str:
        return _demo_id("carbon", self.region, self.valid_from)


@dataclass(frozen=True)
class EnergySource:
    name: str
    unit: str
    cost_per_unit: float  # currency units per native unit
    carbon_factor: float  # kg CO2e per native unit

    @property
    def id(self) -> str:
        return _demo_id("energy_source", self.name)


LA = "Demo Manufacturing Plant"
BERLIN = "European Production Facility"

FACTORIES: tuple[Factory, ...] = (
    Factory(LA, "America/Los_Angeles", "USD", "US-California", "US", "Los Angeles, CA, USA",
            "1200 Industrial Way, Los Angeles, CA 90058, USA", "energy@demo-plant.example",
            "+1-213-555-0100", 480.0, 60.0,
            # The plant works through the other federal and California holidays (MLK Day, Juneteenth, …).
            closed_on=("New Year's Day", "Memorial Day", "Independence Day", "Labor Day", "Thanksgiving Day",
                       "Christmas Day")),
    Factory(BERLIN, "Europe/Berlin", "EUR", "Germany", "DE", "Berlin, Germany",
            "Industriestrasse 12, 12099 Berlin, Germany", "energie@eu-facility.example",
            "+49-30-5550-0100", 400.0, 50.0),
)

_E = ("electricity",)
# Order matters: the position of a machine seeds its random stream (see enms.demo.simulate).
MACHINES: tuple[Machine, ...] = (
    Machine("Compressor-1", LA, "compressor", 55.0, _E, "Oil-injected screw compressor, load/unload, 7 bar",
            "Atlas Copco", "GA 55", "AC-GA55-10231", date(2019, 4, 15), "Utility room", True,
            "units", "served line output"),
    Machine("HVAC-Main", LA, "hvac", 150.0, _E, "Rooftop air handling with chiller for the main hall",
            "Carrier", "50XC-150", "CR-50XC-88412", date(2017, 8, 1), "Roof, main hall", False,
            None, "none"),
    Machine("Conveyor-A", LA, "motor", 22.0, _E, "Main assembly line conveyor drive (VFD)",
            "Siemens", "SIMOTICS 1LE1-22", "SI-1LE1-55310", date(2020, 2, 3), "Line A", False,
            "units", "own output"),
    Machine("Hydraulic-Pump-1", LA, "pump", 45.0, _E, "Hydraulic power unit for the forming press",
            "Bosch Rexroth", "A10VSO 100", "BR-A10-77120", date(2018, 11, 20), "Press bay", False,
            "strokes", "own output"),
    Machine("Injection-Molding-1", LA, "injection_molding", 120.0, _E,
            "Hydraulic injection moulding machine, 4-cavity mould", "Engel", "victory 330", "EN-V330-20457",
            date(2021, 6, 7), "Moulding bay", True, "parts", "own output"),
    Machine("Boiler-1", LA, "boiler", 45.0, ("electricity", "natural_gas", "steam"),
            "Gas-fired process steam boiler, 8 bar (electricity = burner fan and feed pumps)",
            "Cleaver-Brooks", "CBEX 100", "CB-EX-31877", date(2016, 9, 12), "Boiler house", True,
            "units", "served line output"),
    Machine("Compressor-EU-1", BERLIN, "compressor", 90.0, _E, "Oil-injected screw compressor, 7 bar",
            "Kaeser", "DSD 90", "KA-DSD-60935", date(2020, 9, 28), "Kompressorraum", True,
            "units", "served line output"),
    Machine("HVAC-EU-North", BERLIN, "hvac", 200.0, _E,
            "Reversible heat pump and air handling, north hall", "Trane", "CGAX 200", "TR-CGAX-41208",
            date(2019, 3, 4), "Roof, north hall", False, None, "none"),
)

_ALL_DAYS = (0, 1, 2, 3, 4, 5, 6)
_WEEKDAYS = (1, 2, 3, 4, 5)
_EARLY = date(2020, 1, 1)
_SPLIT = date(2026, 7, 1)  # a rate change, so the KPIs must honour tariff validity dates
_BEFORE_SPLIT = date(2026, 6, 30)

TARIFFS: tuple[Tariff, ...] = (
    Tariff(LA, "Peak", 0.23, "USD", True, 9, 21, _WEEKDAYS, 18.50, _EARLY, _BEFORE_SPLIT),
    Tariff(LA, "Off-Peak", 0.09, "USD", True, 21, 9, _ALL_DAYS, 0.0, _EARLY, _BEFORE_SPLIT),
    Tariff(LA, "Peak", 0.25, "USD", True, 9, 21, _WEEKDAYS, 18.50, _SPLIT, None),
    Tariff(LA, "Off-Peak", 0.10, "USD", True, 21, 9, _ALL_DAYS, 0.0, _SPLIT, None),
    Tariff(BERLIN, "Flat", 0.18, "EUR", False, 0, 24, _ALL_DAYS, 9.80, _EARLY, None),
)

CARBON_FACTORS: tuple[CarbonFactor, ...] = (
    CarbonFactor("US-California", "CAISO", 0.22, "demo seed (CARB/eGRID-like)", _EARLY, None),
    CarbonFactor("Germany", "DE grid", 0.38, "demo seed (UBA-like)", date(2025, 1, 1), date(2025, 12, 31)),
    CarbonFactor("Germany", "DE grid", 0.35, "demo seed (UBA-like)", date(2026, 1, 1), None),
    CarbonFactor("default", "default", 0.45, "demo seed (fallback)", _EARLY, None),
)

ENERGY_SOURCES: tuple[EnergySource, ...] = (
    EnergySource("electricity", "kWh", 0.15, 0.45),
    EnergySource("natural_gas", "m³", 0.45, 1.90),
    # Steam is made from the gas above: its emissions are counted at the gas, so 0 here.
    EnergySource("steam", "kg", 0.03, 0.0),
    EnergySource("compressed_air", "Nm³", 0.02, 0.0),
)


def factory(name: str) -> Factory:
    """The factory called ``name`` (KeyError if none)."""
    for f in FACTORIES:
        if f.name == name:
            return f
    raise KeyError(name)


def machine(name: str) -> Machine:
    """The seed machine called ``name`` (KeyError if none)."""
    for m in MACHINES:
        if m.name == name:
            return m
    raise KeyError(name)
