"""Empty every read model and forget which events were applied, in one transaction: a rebuild then
replays the producers' logs from position 0 through the same projections the consumer uses."""

from __future__ import annotations

from services.reporting.domain.commands import ClearReadModel
from services.reporting.service.ports import UnitOfWork


def handle(cmd: ClearReadModel, uow: UnitOfWork) -> None:
    uow.projection.clear()
