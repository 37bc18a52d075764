"""CreateProgram (PROGRAM_ADMIN): a new crediting program in the reference data."""

from __future__ import annotations

from carbon_runtime.errors import conflict
from services.issuance.domain.actor import Role, require_role
from services.issuance.domain.commands import CreateProgram
from services.issuance.domain.reference_data import Program
from services.issuance.domain.values import require_text
from services.issuance.service.ports import ProgramSettings, UnitOfWork
from services.issuance.service.reference_data import countries, required
from services.issuance.service.results import ProgramRef


def handle(cmd: CreateProgram, uow: UnitOfWork) -> ProgramRef:
    require_role(cmd.actor, Role.PROGRAM_ADMIN, "createProgram")
    require_text(cmd.program_id, "id")
    program = Program(
        cmd.program_id,
        require_text(required(cmd.name, "name"), "name"),
        require_text(required(cmd.operator, "operator"), "operator"),
        required(cmd.scope, "scope"),
        japanese=bool(cmd.japanese),
        icroa_endorsed=bool(cmd.icroa_endorsed),
        corresponding_adjustment_possible=bool(cmd.corresponding_adjustment_possible),
        allowed_host_countries=countries(cmd.allowed_host_countries),
    )
    if uow.reference.program_exists(cmd.program_id):
        raise conflict("PROGRAM_EXISTS", f"program {cmd.program_id} already exists")
    uow.reference.save_program(ProgramSettings(program, cmd.buffer_account_id or None), new=True)
    return ProgramRef(cmd.program_id)
