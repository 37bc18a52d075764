"""UpdateProgram (PROGRAM_ADMIN): change a program's attributes; None leaves a field as it is."""

from __future__ import annotations

from dataclasses import replace

from services.issuance.domain.actor import Role, require_role
from services.issuance.domain.commands import UpdateProgram
from services.issuance.domain.values import require_text
from services.issuance.service.ports import ProgramSettings, UnitOfWork
from services.issuance.service.reference_data import countries
from services.issuance.service.results import ProgramRef


def handle(cmd: UpdateProgram, uow: UnitOfWork) -> ProgramRef:
    require_role(cmd.actor, Role.PROGRAM_ADMIN, "updateProgram")
    current = uow.reference.get_program(cmd.program_id)
    p = current.program
    updated = replace(
        p,
        name=require_text(cmd.name, "name") if cmd.name is not None else p.name,
        operator=require_text(cmd.operator, "operator") if cmd.operator is not None else p.operator,
        scope=cmd.scope or p.scope,
        japanese=p.japanese if cmd.japanese is None else cmd.japanese,
        icroa_endorsed=p.icroa_endorsed if cmd.icroa_endorsed is None else cmd.icroa_endorsed,
        corresponding_adjustment_possible=(
            p.corresponding_adjustment_possible
            if cmd.corresponding_adjustment_possible is None
            else cmd.corresponding_adjustment_possible
        ),
        allowed_host_countries=(
            p.allowed_host_countries if cmd.allowed_host_countries is None else countries(cmd.allowed_host_countries)
        ),
    )
    buffer = current.buffer_account_id if cmd.buffer_account_id is None else (cmd.buffer_account_id or None)
    uow.reference.save_program(ProgramSettings(updated, buffer), new=False)
    return ProgramRef(cmd.program_id)
