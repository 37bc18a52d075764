"""Project a run of events in one transaction (a rebuild or a catch-up from the producers' logs).

One malformed event rolls the whole run back (the bus raises MalformedEventError); the caller then
applies the run one event at a time so only that event is skipped."""

from __future__ import annotations

from services.reporting.domain.commands import ProjectEvents
from services.reporting.service.ports import UnitOfWork
from services.reporting.service.project_event import project


def handle(cmd: ProjectEvents, uow: UnitOfWork) -> int:
    """The number of events applied now (redeliveries excluded)."""
    return sum(project(one, uow.projection) for one in cmd.events)
