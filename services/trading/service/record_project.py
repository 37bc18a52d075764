"""RecordProject (issuance.v1.ProjectCreated, consumed): remember the project's proponent, the one
organization whose traders may offer forwards on it. Applied once per event id."""

from __future__ import annotations

from services.trading.domain.commands import RecordProject
from services.trading.domain.session import Clock
from services.trading.service.ports import UnitOfWork


def handle(cmd: RecordProject, uow: UnitOfWork, *, clock: Clock) -> bool:
    if not uow.forwards.claim(f"event:{cmd.event_id}", clock.now()):
        return False
    uow.forwards.record_project(cmd.project_id, cmd.proponent_organization_id)
    return True
