"""CreateMethodology (PROGRAM_ADMIN): a methodology of a program, identified by program and code."""

from __future__ import annotations

from carbon_runtime.errors import conflict
from services.issuance.domain.actor import Role, require_role
from services.issuance.domain.commands import CreateMethodology
from services.issuance.domain.reference_data import Methodology
from services.issuance.domain.values import require_text
from services.issuance.service.ports import UnitOfWork
from services.issuance.service.reference_data import required
from services.issuance.service.results import MethodologyRef


def handle(cmd: CreateMethodology, uow: UnitOfWork) -> MethodologyRef:
    require_role(cmd.actor, Role.PROGRAM_ADMIN, "createMethodology")
    program_id = required(cmd.program_id, "programId")
    code = require_text(required(cmd.code, "code"), "code")
    methodology_id = f"{program_id}:{code}"
    methodology = Methodology(
        methodology_id,
        program_id,
        code,
        require_text(required(cmd.title, "title"), "title"),
        required(cmd.credit_type, "creditType"),
        required(cmd.basis, "basis"),
        required(cmd.sector, "sector"),
        required(cmd.family, "family"),
        cmd.exchange_category,
    )
    uow.reference.get_program(program_id)  # NOT_FOUND for an unknown program
    if uow.reference.methodology_exists(methodology_id):
        raise conflict("METHODOLOGY_EXISTS", f"methodology {methodology_id} already exists")
    uow.reference.save_methodology(methodology, new=True)
    return MethodologyRef(methodology_id)
