"""UpdateMethodology (PROGRAM_ADMIN): change a methodology's title or attributes; its program and code
identify it and never change, and its credit type and basis only while no project uses it."""

from __future__ import annotations

from dataclasses import replace

from carbon_runtime.errors import invalid, precondition
from services.issuance.domain.actor import Role, require_role
from services.issuance.domain.commands import UpdateMethodology
from services.issuance.domain.values import require_text
from services.issuance.service.ports import UnitOfWork
from services.issuance.service.results import MethodologyRef


def handle(cmd: UpdateMethodology, uow: UnitOfWork) -> MethodologyRef:
    require_role(cmd.actor, Role.PROGRAM_ADMIN, "updateMethodology")
    if cmd.program_id is not None or cmd.code is not None:
        raise invalid("IMMUTABLE_FIELD", "a methodology's program and code identify it and cannot change")
    m = uow.reference.get_methodology(cmd.methodology_id)
    retyped = (cmd.credit_type not in (None, m.credit_type)) or (cmd.basis not in (None, m.basis))
    if retyped and uow.reference.methodology_in_use(m.methodology_id):
        # Projects' credit type and basis come from their methodology; changing it would rewrite them.
        raise precondition("METHODOLOGY_IN_USE", "credit type and basis cannot change once projects use it")
    updated = replace(
        m,
        title=require_text(cmd.title, "title") if cmd.title is not None else m.title,
        credit_type=cmd.credit_type or m.credit_type,
        basis=cmd.basis or m.basis,
        sector=cmd.sector or m.sector,
        family=cmd.family or m.family,
        exchange_category=cmd.exchange_category or m.exchange_category,
    )
    uow.reference.save_methodology(updated, new=False)
    return MethodologyRef(cmd.methodology_id)
