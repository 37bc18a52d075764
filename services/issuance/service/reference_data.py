"""Reference data edits by a PROGRAM_ADMIN: programs and their methodologies."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypeVar

from carbon_runtime.errors import conflict, invalid, precondition
from carbon_runtime.transport.auth import Principal
from services.issuance.domain.actor import Role, require_role
from services.issuance.domain.countries import validate_country
from services.issuance.domain.reference_data import (
    CreditBasis,
    CreditType,
    ExchangeCategory,
    Methodology,
    MethodologyFamily,
    Program,
    ProgramScope,
    Sector,
)
from services.issuance.domain.values import require_text
from services.issuance.service.common import Deps, actor_of
from services.issuance.service.ports import ProgramSettings

V = TypeVar("V")


@dataclass(frozen=True)
class ProgramChange:
    """For updates, None leaves a field as it is."""

    program_id: str
    name: str | None = None
    operator: str | None = None
    scope: ProgramScope | None = None
    japanese: bool | None = None
    icroa_endorsed: bool | None = None
    corresponding_adjustment_possible: bool | None = None
    allowed_host_countries: tuple[str, ...] | None = None
    #: Empty string clears it.
    buffer_account_id: str | None = None


@dataclass(frozen=True)
class MethodologyChange:
    methodology_id: str
    program_id: str | None = None
    code: str | None = None
    title: str | None = None
    credit_type: CreditType | None = None
    basis: CreditBasis | None = None
    sector: Sector | None = None
    family: MethodologyFamily | None = None
    exchange_category: ExchangeCategory | None = None


def _countries(codes: tuple[str, ...] | None) -> frozenset[str] | None:
    if codes is None:
        return None
    return frozenset(validate_country(c, "allowedHostCountries") for c in codes)


def _required(value: V | None, field: str) -> V:
    if value is None:
        raise invalid("REQUIRED_FIELD", f"{field} is required", field=field)
    return value


def create_program(deps: Deps, principal: Principal, change: ProgramChange) -> str:
    require_role(actor_of(principal), Role.PROGRAM_ADMIN, "createProgram")
    require_text(change.program_id, "id")
    program = Program(
        change.program_id,
        require_text(_required(change.name, "name"), "name"),
        require_text(_required(change.operator, "operator"), "operator"),
        _required(change.scope, "scope"),
        japanese=bool(change.japanese),
        icroa_endorsed=bool(change.icroa_endorsed),
        corresponding_adjustment_possible=bool(change.corresponding_adjustment_possible),
        allowed_host_countries=_countries(change.allowed_host_countries),
    )
    with deps.uow() as uow:
        if uow.program_exists(change.program_id):
            raise conflict("PROGRAM_EXISTS", f"program {change.program_id} already exists")
        uow.save_program(ProgramSettings(program, change.buffer_account_id or None), new=True)
    return change.program_id


def update_program(deps: Deps, principal: Principal, change: ProgramChange) -> str:
    require_role(actor_of(principal), Role.PROGRAM_ADMIN, "updateProgram")
    with deps.uow() as uow:
        current = uow.get_program(change.program_id)
        p = current.program
        updated = replace(
            p,
            name=require_text(change.name, "name") if change.name is not None else p.name,
            operator=require_text(change.operator, "operator") if change.operator is not None else p.operator,
            scope=change.scope or p.scope,
            japanese=p.japanese if change.japanese is None else change.japanese,
            icroa_endorsed=p.icroa_endorsed if change.icroa_endorsed is None else change.icroa_endorsed,
            corresponding_adjustment_possible=(
                p.corresponding_adjustment_possible
                if change.corresponding_adjustment_possible is None
                else change.corresponding_adjustment_possible
            ),
            allowed_host_countries=(
                p.allowed_host_countries
                if change.allowed_host_countries is None
                else _countries(change.allowed_host_countries)
            ),
        )
        buffer = current.buffer_account_id if change.buffer_account_id is None else (change.buffer_account_id or None)
        uow.save_program(ProgramSettings(updated, buffer), new=False)
    return change.program_id


def create_methodology(deps: Deps, principal: Principal, change: MethodologyChange) -> str:
    require_role(actor_of(principal), Role.PROGRAM_ADMIN, "createMethodology")
    program_id = _required(change.program_id, "programId")
    code = require_text(_required(change.code, "code"), "code")
    methodology_id = f"{program_id}:{code}"
    methodology = Methodology(
        methodology_id,
        program_id,
        code,
        require_text(_required(change.title, "title"), "title"),
        _required(change.credit_type, "creditType"),
        _required(change.basis, "basis"),
        _required(change.sector, "sector"),
        _required(change.family, "family"),
        change.exchange_category,
    )
    with deps.uow() as uow:
        uow.get_program(program_id)  # NOT_FOUND for an unknown program
        if uow.methodology_exists(methodology_id):
            raise conflict("METHODOLOGY_EXISTS", f"methodology {methodology_id} already exists")
        uow.save_methodology(methodology, new=True)
    return methodology_id


def update_methodology(deps: Deps, principal: Principal, change: MethodologyChange) -> str:
    require_role(actor_of(principal), Role.PROGRAM_ADMIN, "updateMethodology")
    if change.program_id is not None or change.code is not None:
        raise invalid("IMMUTABLE_FIELD", "a methodology's program and code identify it and cannot change")
    with deps.uow() as uow:
        m = uow.get_methodology(change.methodology_id)
        retyped = (change.credit_type not in (None, m.credit_type)) or (change.basis not in (None, m.basis))
        if retyped and uow.methodology_in_use(m.methodology_id):
            # Projects' credit type and basis come from their methodology; changing it would rewrite them.
            raise precondition("METHODOLOGY_IN_USE", "credit type and basis cannot change once projects use it")
        updated = replace(
            m,
            title=require_text(change.title, "title") if change.title is not None else m.title,
            credit_type=change.credit_type or m.credit_type,
            basis=change.basis or m.basis,
            sector=change.sector or m.sector,
            family=change.family or m.family,
            exchange_category=change.exchange_category or m.exchange_category,
        )
        uow.save_methodology(updated, new=False)
    return change.methodology_id
