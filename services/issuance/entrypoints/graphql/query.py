"""The issuance subgraph's Query fields: read-only, straight from the read model (no bus)."""

from __future__ import annotations

import strawberry

from carbon_runtime.transport.blocking import blocking
from services.issuance.adapters.read_model import ProjectFilterArgs
from services.issuance.entrypoints.graphql.inputs import ProjectFilter
from services.issuance.entrypoints.graphql.types import (
    CreditBatch,
    CreditBatchConnection,
    Info,
    Methodology,
    MonitoringReport,
    Program,
    Project,
    ProjectConnection,
    load_batch,
    load_project,
    load_report,
    reads,
)


@strawberry.type
class Query:
    @strawberry.field
    @blocking
    def programs(self, info: Info) -> list[Program]:
        return [Program.of(p) for p in reads(info).programs()]

    @strawberry.field
    @blocking
    def methodologies(self, info: Info, program_id: strawberry.ID | None = None) -> list[Methodology]:
        return [Methodology.of(m) for m in reads(info).methodologies(str(program_id) if program_id else None)]

    @strawberry.field
    @blocking
    def project(self, info: Info, id: strawberry.ID) -> Project | None:
        return load_project(info, str(id))

    @strawberry.field
    @blocking
    def credit_batch(self, info: Info, id: strawberry.ID) -> CreditBatch | None:
        return load_batch(info, str(id))

    @strawberry.field
    @blocking
    def monitoring_report(self, info: Info, id: strawberry.ID) -> MonitoringReport | None:
        return load_report(info, str(id))

    @strawberry.field(description="Projects in creation order, filtered; cursor pagination (first/after).")
    @blocking
    def projects(
        self,
        info: Info,
        filter: ProjectFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ProjectConnection:
        f = filter or ProjectFilter()
        args = ProjectFilterArgs(
            program_id=str(f.program_id) if f.program_id else None,
            country=f.country,
            status=f.status.value if f.status else None,
            credit_type=f.credit_type.value if f.credit_type else None,
            proponent_org_id=str(f.proponent_id) if f.proponent_id else None,
        )
        page = reads(info).projects(args, first, after)
        return ProjectConnection(
            nodes=[Project.of(p) for p in page.items], end_cursor=page.end_cursor, has_next_page=page.has_next_page
        )

    @strawberry.field(description="Issued batches in issuance order; cursor pagination (first/after).")
    @blocking
    def credit_batches(
        self,
        info: Info,
        project_id: strawberry.ID | None = None,
        program_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> CreditBatchConnection:
        page = reads(info).batches(
            project_id=str(project_id) if project_id else None,
            program_id=str(program_id) if program_id else None,
            first=first,
            after=after,
        )
        return CreditBatchConnection(
            nodes=[CreditBatch.of(b) for b in page.items], end_cursor=page.end_cursor, has_next_page=page.has_next_page
        )
