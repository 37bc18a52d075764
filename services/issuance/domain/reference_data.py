"""Crediting programs and their methodologies: seed data for the issuance service.

The lead inserts these rows via a migration; domain code also reads them directly so rules (which host
countries a program accepts, whether a corresponding adjustment is possible, a methodology's credit
type) do not depend on a database being present.

Sources: METI "Carbon Credit Report" (June 2022) Table 2/3 and the programs' public methodology lists.
Titles are abbreviated; codes are the programs' own where they publish one. `family` groups equivalent
methodologies across programs (e.g. VCS VM0047, CDM AR-ACM0003 and J-Credit FO-002 are all
afforestation/reforestation) so that double-registration screening can compare projects that are
registered under different programs with different codes for the same activity.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from carbon_runtime.errors import not_found

# The shared vocabulary, re-exported: issuance domain modules import the credit type and basis from here.
from carbon_runtime.vocabulary import CreditBasis as CreditBasis
from carbon_runtime.vocabulary import CreditType as CreditType

from .countries import JAPAN


class ProgramScope(enum.StrEnum):
    """Where a program credits activities: one country only, two governments, or anywhere."""

    DOMESTIC = "DOMESTIC"
    BILATERAL = "BILATERAL"
    INTERNATIONAL = "INTERNATIONAL"


class Sector(enum.StrEnum):
    ENERGY_SUPPLY = "ENERGY_SUPPLY"
    ENERGY_DEMAND = "ENERGY_DEMAND"
    TRANSPORT = "TRANSPORT"
    WASTE = "WASTE"
    AGRICULTURE = "AGRICULTURE"
    FORESTRY_AND_LAND_USE = "FORESTRY_AND_LAND_USE"
    BLUE_CARBON = "BLUE_CARBON"
    HOUSEHOLD = "HOUSEHOLD"
    CARBON_DIOXIDE_REMOVAL = "CARBON_DIOXIDE_REMOVAL"


class ExchangeCategory(enum.StrEnum):
    """The J-Credit market categories used by the Tokyo Stock Exchange carbon credit market.

    Only J-Credit methodologies carry one; buyers price renewable-electricity J-Credits apart from
    energy-saving ones because only the former count toward RE100-style claims."""

    ENERGY_SAVING = "ENERGY_SAVING"
    RENEWABLE_ELECTRICITY = "RENEWABLE_ELECTRICITY"
    RENEWABLE_HEAT = "RENEWABLE_HEAT"
    RENEWABLE_MIXED = "RENEWABLE_MIXED"
    FOREST = "FOREST"
    OTHER = "OTHER"


class MethodologyFamily(enum.StrEnum):
    """Activity families for cross-program duplicate detection (section 2.2, "Unique")."""

    RENEWABLE_ELECTRICITY = "RENEWABLE_ELECTRICITY"
    BIOMASS_ENERGY = "BIOMASS_ENERGY"
    BOILER_EFFICIENCY = "BOILER_EFFICIENCY"
    HEAT_PUMP = "HEAT_PUMP"
    WASTE_HEAT_RECOVERY = "WASTE_HEAT_RECOVERY"
    GRID_EFFICIENCY = "GRID_EFFICIENCY"
    TRANSPORT_EFFICIENCY = "TRANSPORT_EFFICIENCY"
    COOKSTOVES = "COOKSTOVES"
    LANDFILL_GAS = "LANDFILL_GAS"
    MANURE_MANAGEMENT = "MANURE_MANAGEMENT"
    RICE_CULTIVATION = "RICE_CULTIVATION"
    AGRICULTURAL_LAND_MANAGEMENT = "AGRICULTURAL_LAND_MANAGEMENT"
    REDD = "REDD"
    AFFORESTATION_REFORESTATION = "AFFORESTATION_REFORESTATION"
    FOREST_MANAGEMENT = "FOREST_MANAGEMENT"
    BLUE_CARBON = "BLUE_CARBON"
    BIOCHAR = "BIOCHAR"
    DIRECT_AIR_CAPTURE = "DIRECT_AIR_CAPTURE"


@dataclass(frozen=True, slots=True)
class Program:
    program_id: str
    name: str
    operator: str
    scope: ProgramScope
    #: A program run in or by Japan (section 3: J-Credit, J-Blue Credit, JCM).
    japanese: bool
    icroa_endorsed: bool
    #: Whether the program can label units as authorized under Article 6 with a corresponding
    #: adjustment; projects under other programs cannot carry an authorization.
    corresponding_adjustment_possible: bool
    #: None means any country; otherwise the only host countries the program credits.
    allowed_host_countries: frozenset[str] | None = None

    def accepts_host_country(self, country: str) -> bool:
        return self.allowed_host_countries is None or country in self.allowed_host_countries


@dataclass(frozen=True, slots=True)
class Methodology:
    #: Globally unique: "<program_id>:<code>".
    methodology_id: str
    program_id: str
    code: str
    title: str
    credit_type: CreditType
    basis: CreditBasis
    sector: Sector
    family: MethodologyFamily
    #: Set for J-Credit methodologies only.
    exchange_category: ExchangeCategory | None = None


# JCM partner countries as of January 2022 (DOMAIN.md section 3).
JCM_PARTNER_COUNTRIES: frozenset[str] = frozenset(
    {"MN", "BD", "ET", "KE", "MV", "VN", "LA", "ID", "CR", "PW", "KH", "MX", "SA", "CL", "MM", "TH", "PH"}
)

PROGRAMS: tuple[Program, ...] = (
    Program(
        "JCREDIT",
        "J-Credit Scheme",
        "Government of Japan (METI, MOE, MAFF)",
        ProgramScope.DOMESTIC,
        japanese=True,
        icroa_endorsed=False,
        # J-Credits are already reflected in Japan's inventory; they are not exported as ITMOs.
        corresponding_adjustment_possible=False,
        allowed_host_countries=frozenset({JAPAN}),
    ),
    Program(
        "JBLUE",
        "J-Blue Credit",
        "Japan Blue Economy Association (JBE)",
        ProgramScope.DOMESTIC,
        japanese=True,
        icroa_endorsed=False,
        corresponding_adjustment_possible=False,
        allowed_host_countries=frozenset({JAPAN}),
    ),
    Program(
        "JCM",
        "Joint Crediting Mechanism",
        "Government of Japan and partner-country Joint Committees",
        ProgramScope.BILATERAL,
        japanese=True,
        icroa_endorsed=False,
        corresponding_adjustment_possible=True,
        allowed_host_countries=JCM_PARTNER_COUNTRIES,
    ),
    Program(
        "CDM",
        "Clean Development Mechanism",
        "UNFCCC CDM Executive Board",
        ProgramScope.INTERNATIONAL,
        japanese=False,
        icroa_endorsed=True,
        corresponding_adjustment_possible=False,
    ),
    Program(
        "VCS",
        "Verified Carbon Standard",
        "Verra",
        ProgramScope.INTERNATIONAL,
        japanese=False,
        icroa_endorsed=True,
        corresponding_adjustment_possible=True,
    ),
    Program(
        "GS",
        "Gold Standard for the Global Goals",
        "Gold Standard Foundation",
        ProgramScope.INTERNATIONAL,
        japanese=False,
        icroa_endorsed=True,
        corresponding_adjustment_possible=True,
    ),
    Program(
        "ACR",
        "American Carbon Registry",
        "Winrock International",
        ProgramScope.INTERNATIONAL,
        japanese=False,
        icroa_endorsed=True,
        corresponding_adjustment_possible=True,
    ),
    Program(
        "CAR",
        "Climate Action Reserve",
        "Climate Action Reserve",
        ProgramScope.INTERNATIONAL,
        japanese=False,
        icroa_endorsed=True,
        corresponding_adjustment_possible=False,
        allowed_host_countries=frozenset({"US", "MX"}),
    ),
    Program(
        "GCC",
        "Global Carbon Council",
        "Gulf Organisation for Research and Development",
        ProgramScope.INTERNATIONAL,
        japanese=False,
        icroa_endorsed=True,
        corresponding_adjustment_possible=True,
    ),
    Program(
        "ART",
        "Architecture for REDD+ Transactions (TREES)",
        "ART Secretariat (Winrock International)",
        ProgramScope.INTERNATIONAL,
        japanese=False,
        icroa_endorsed=True,
        corresponding_adjustment_possible=True,
    ),
    Program(
        "ERF",
        "Emissions Reduction Fund (ACCU Scheme)",
        "Clean Energy Regulator (Australia)",
        ProgramScope.DOMESTIC,
        japanese=False,
        icroa_endorsed=True,
        corresponding_adjustment_possible=False,
        allowed_host_countries=frozenset({"AU"}),
    ),
    Program(
        "WCC",
        "UK Woodland Carbon Code",
        "Scottish Forestry on behalf of the UK forestry authorities",
        ProgramScope.DOMESTIC,
        japanese=False,
        icroa_endorsed=True,
        corresponding_adjustment_possible=False,
        allowed_host_countries=frozenset({"GB"}),
    ),
)

_R, _V = CreditType.REDUCTION, CreditType.REMOVAL
_N, _T = CreditBasis.NATURE, CreditBasis.TECHNOLOGY
_S, _F, _X = Sector, MethodologyFamily, ExchangeCategory


def _m(
    program_id: str,
    code: str,
    title: str,
    credit_type: CreditType,
    basis: CreditBasis,
    sector: Sector,
    family: MethodologyFamily,
    exchange_category: ExchangeCategory | None = None,
) -> Methodology:
    return Methodology(
        f"{program_id}:{code}", program_id, code, title, credit_type, basis, sector, family, exchange_category
    )


METHODOLOGIES: tuple[Methodology, ...] = (
    # J-Credit (methodology list: EN-S energy saving, EN-R renewables, FO forest, AG agriculture).
    _m(
        "JCREDIT",
        "EN-S-001",
        "Installation of boilers",
        _R,
        _T,
        _S.ENERGY_DEMAND,
        _F.BOILER_EFFICIENCY,
        _X.ENERGY_SAVING,
    ),
    _m(
        "JCREDIT",
        "EN-S-002",
        "Installation of heat pumps",
        _R,
        _T,
        _S.ENERGY_DEMAND,
        _F.HEAT_PUMP,
        _X.ENERGY_SAVING,
    ),
    _m(
        "JCREDIT",
        "EN-R-001",
        "Substitution of fossil fuel or grid electricity by woody biomass solid fuel",
        _R,
        _T,
        _S.ENERGY_SUPPLY,
        _F.BIOMASS_ENERGY,
        _X.RENEWABLE_MIXED,
    ),
    _m(
        "JCREDIT",
        "EN-R-002",
        "Installation of solar photovoltaic power generation",
        _R,
        _T,
        _S.ENERGY_SUPPLY,
        _F.RENEWABLE_ELECTRICITY,
        _X.RENEWABLE_ELECTRICITY,
    ),
    _m(
        "JCREDIT",
        "FO-001",
        "Forest management activities",
        _V,
        _N,
        _S.FORESTRY_AND_LAND_USE,
        _F.FOREST_MANAGEMENT,
        _X.FOREST,
    ),
    _m(
        "JCREDIT",
        "FO-002",
        "Afforestation activities",
        _V,
        _N,
        _S.FORESTRY_AND_LAND_USE,
        _F.AFFORESTATION_REFORESTATION,
        _X.FOREST,
    ),
    _m(
        "JCREDIT",
        "AG-004",
        "Application of biochar to agricultural land",
        _V,
        _T,
        _S.AGRICULTURE,
        _F.BIOCHAR,
        _X.OTHER,
    ),
    _m(
        "JCREDIT",
        "AG-005",
        "Extension of mid-season drainage in paddy rice cultivation",
        _R,
        _N,
        _S.AGRICULTURE,
        _F.RICE_CULTIVATION,
        _X.OTHER,
    ),
    # J-Blue Credit (JBE certifies blue-carbon removals by seagrass, seaweed and tidal flats).
    _m(
        "JBLUE",
        "JBE-BC",
        "Blue carbon removals by seagrass and seaweed beds",
        _V,
        _N,
        _S.BLUE_CARBON,
        _F.BLUE_CARBON,
    ),
    # JCM (codes are <partner country>_AM<nnn>).
    _m(
        "JCM",
        "MN_AM002",
        "Replacement and installation of high-efficiency heat-only boilers",
        _R,
        _T,
        _S.ENERGY_DEMAND,
        _F.BOILER_EFFICIENCY,
    ),
    _m(
        "JCM",
        "ID_AM001",
        "Power generation by waste heat recovery in cement industry",
        _R,
        _T,
        _S.ENERGY_SUPPLY,
        _F.WASTE_HEAT_RECOVERY,
    ),
    _m(
        "JCM",
        "VN_AM001",
        "Transportation energy efficiency by installing digital tachograph systems",
        _R,
        _T,
        _S.TRANSPORT,
        _F.TRANSPORT_EFFICIENCY,
    ),
    _m(
        "JCM",
        "PW_AM001",
        "Displacement of grid and captive genset electricity by small-scale solar PV",
        _R,
        _T,
        _S.ENERGY_SUPPLY,
        _F.RENEWABLE_ELECTRICITY,
    ),
    # CDM.
    _m(
        "CDM",
        "ACM0002",
        "Grid-connected electricity generation from renewable sources",
        _R,
        _T,
        _S.ENERGY_SUPPLY,
        _F.RENEWABLE_ELECTRICITY,
    ),
    _m("CDM", "ACM0001", "Flaring or use of landfill gas", _R, _T, _S.WASTE, _F.LANDFILL_GAS),
    _m(
        "CDM",
        "AR-ACM0003",
        "Afforestation and reforestation of lands except wetlands",
        _V,
        _N,
        _S.FORESTRY_AND_LAND_USE,
        _F.AFFORESTATION_REFORESTATION,
    ),
    # VCS (Verra); VCS also accepts CDM methodologies such as ACM0010.
    _m("VCS", "VM0015", "Avoided unplanned deforestation", _R, _N, _S.FORESTRY_AND_LAND_USE, _F.REDD),
    _m("VCS", "VM0007", "REDD+ methodology framework (REDD-MF)", _R, _N, _S.FORESTRY_AND_LAND_USE, _F.REDD),
    _m(
        "VCS",
        "VM0047",
        "Afforestation, reforestation and revegetation",
        _V,
        _N,
        _S.FORESTRY_AND_LAND_USE,
        _F.AFFORESTATION_REFORESTATION,
    ),
    _m("VCS", "VM0033", "Tidal wetland and seagrass restoration", _V, _N, _S.BLUE_CARBON, _F.BLUE_CARBON),
    _m(
        "VCS",
        "VM0042",
        "Improved agricultural land management",
        _V,
        _N,
        _S.AGRICULTURE,
        _F.AGRICULTURAL_LAND_MANAGEMENT,
    ),
    _m(
        "VCS",
        "VM0044",
        "Biochar utilization in soil and non-soil applications",
        _V,
        _T,
        _S.CARBON_DIOXIDE_REMOVAL,
        _F.BIOCHAR,
    ),
    _m(
        "VCS",
        "ACM0010",
        "GHG emission reductions from manure management systems",
        _R,
        _T,
        _S.AGRICULTURE,
        _F.MANURE_MANAGEMENT,
    ),
    _m(
        "VCS",
        "ACM0002",
        "Grid-connected electricity generation from renewable sources",
        _R,
        _T,
        _S.ENERGY_SUPPLY,
        _F.RENEWABLE_ELECTRICITY,
    ),
    # Gold Standard.
    _m(
        "GS",
        "TPDDTEC",
        "Technologies and practices to displace decentralized thermal energy consumption",
        _R,
        _T,
        _S.HOUSEHOLD,
        _F.COOKSTOVES,
    ),
    _m("GS", "MMECD", "Metered and measured energy cooking devices", _R, _T, _S.HOUSEHOLD, _F.COOKSTOVES),
    _m(
        "GS",
        "AMS-I.D",
        "Grid-connected renewable electricity generation (small scale)",
        _R,
        _T,
        _S.ENERGY_SUPPLY,
        _F.RENEWABLE_ELECTRICITY,
    ),
    _m(
        "GS",
        "AR-GHG",
        "Afforestation/reforestation GHG emissions reduction and sequestration",
        _V,
        _N,
        _S.FORESTRY_AND_LAND_USE,
        _F.AFFORESTATION_REFORESTATION,
    ),
    # ACR.
    _m(
        "ACR",
        "IFM-NF",
        "Improved forest management on non-federal U.S. forestlands",
        _V,
        _N,
        _S.FORESTRY_AND_LAND_USE,
        _F.FOREST_MANAGEMENT,
    ),
    _m(
        "ACR",
        "DAC-GS",
        "Direct air capture with geologic storage",
        _V,
        _T,
        _S.CARBON_DIOXIDE_REMOVAL,
        _F.DIRECT_AIR_CAPTURE,
    ),
    # Climate Action Reserve.
    _m("CAR", "US-FOREST", "U.S. Forest Protocol", _V, _N, _S.FORESTRY_AND_LAND_USE, _F.FOREST_MANAGEMENT),
    _m("CAR", "US-LANDFILL", "U.S. Landfill Project Protocol", _R, _T, _S.WASTE, _F.LANDFILL_GAS),
    # Global Carbon Council.
    _m(
        "GCC",
        "GCCM001",
        "Renewable energy generation supplying electricity to grid or captive consumers",
        _R,
        _T,
        _S.ENERGY_SUPPLY,
        _F.RENEWABLE_ELECTRICITY,
    ),
    # ART TREES (jurisdictional REDD+).
    _m(
        "ART",
        "TREES",
        "The REDD+ Environmental Excellence Standard (jurisdictional)",
        _R,
        _N,
        _S.FORESTRY_AND_LAND_USE,
        _F.REDD,
    ),
    # Australia's ERF / ACCU Scheme.
    _m(
        "ERF",
        "HIR",
        "Human-induced regeneration of a permanent even-aged native forest",
        _V,
        _N,
        _S.FORESTRY_AND_LAND_USE,
        _F.AFFORESTATION_REFORESTATION,
    ),
    _m("ERF", "LFG", "Landfill gas", _R, _T, _S.WASTE, _F.LANDFILL_GAS),
    # UK Woodland Carbon Code.
    _m(
        "WCC",
        "WOODLAND-CREATION",
        "Woodland creation",
        _V,
        _N,
        _S.FORESTRY_AND_LAND_USE,
        _F.AFFORESTATION_REFORESTATION,
    ),
)

PROGRAMS_BY_ID: Mapping[str, Program] = {p.program_id: p for p in PROGRAMS}
METHODOLOGIES_BY_ID: Mapping[str, Methodology] = {m.methodology_id: m for m in METHODOLOGIES}


def get_program(program_id: str) -> Program:
    try:
        return PROGRAMS_BY_ID[program_id]
    except KeyError:
        raise not_found("PROGRAM_NOT_FOUND", f"no program with id {program_id!r}") from None


def get_methodology(methodology_id: str) -> Methodology:
    try:
        return METHODOLOGIES_BY_ID[methodology_id]
    except KeyError:
        raise not_found("METHODOLOGY_NOT_FOUND", f"no methodology with id {methodology_id!r}") from None


def methodologies_of(program_id: str) -> tuple[Methodology, ...]:
    return tuple(m for m in METHODOLOGIES if m.program_id == program_id)
