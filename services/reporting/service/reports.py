"""Use cases of the reporting service: eligibility, disclosure, SHK, Article 6, market statistics and
reconciliation, each a pure domain computation over facts read from the read models.

Who may read what (shared/contract/README.md): eligibility, statistics and price indexes are public
registry data; a disclosure or SHK report only for members of the organization, AUDITOR or
REGISTRY_ADMIN; Article 6 and reconciliation reports only for AUDITOR or REGISTRY_ADMIN.
Generated disclosure/SHK reports and reconciliations are recorded as events (an audit trail).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from carbon.reporting.v1 import events_pb2 as reporting_events
from sqlalchemy import Engine

from carbon_runtime.errors import DomainError, ErrorCode, not_found
from carbon_runtime.persistence.uow import UnitOfWork
from carbon_runtime.transport.auth import Principal, require_authenticated, require_role
from services.reporting.domain import article6, disclosure, permanence, reconciliation, shk, statistics
from services.reporting.domain import eligibility as eligibility_rules
from services.reporting.domain.facts import BatchFacts, CreditCategory, InstitutionalUse, UnitStatus
from services.reporting.service import read_model

STAFF_READERS = ("AUDITOR", "REGISTRY_ADMIN")


def authorize_organization_report(principal: Principal, organization_id: str) -> None:
    """Members of the organization, AUDITOR and REGISTRY_ADMIN; anonymous callers are UNAUTHENTICATED."""
    require_authenticated(principal)
    if principal.member_of(organization_id) or principal.has_role(*STAFF_READERS):
        return
    raise DomainError(
        ErrorCode.FORBIDDEN,
        "NOT_MEMBER_OF_ORGANIZATION",
        "only members of the organization, auditors and registry administrators may read its reports",
    )


class IssuedTotalsPort(Protocol):
    def issued_totals(self, batch_ids: Sequence[str]) -> dict[str, int]:
        """Whole tonnes issued per batch (buffer included), from the issuance service."""


class RegistryTotalsPort(Protocol):
    def batch_totals(self, batch_ids: Sequence[str]) -> dict[str, dict[UnitStatus, int]]:
        """Units per batch and status, from the registry."""


@dataclass(frozen=True, slots=True)
class ReconciliationResult:
    reconciliation_id: str
    batches_checked: int
    discrepancies: tuple[reconciliation.Discrepancy, ...]
    issued_by_batch_t: Mapping[str, int]
    registry_by_batch_t: Mapping[str, Mapping[UnitStatus, int]]
    read_model_by_batch: Mapping[str, reconciliation.ReadModelTotals]


@dataclass(frozen=True, slots=True)
class MarketStatistics:
    issuance: tuple[statistics.VolumeRow, ...]
    retirements: tuple[statistics.VolumeRow, ...]
    prices: tuple[statistics.PricePoint, ...]


class ReportingHandlers:
    def __init__(
        self,
        engine: Engine,
        uow: Callable[[], UnitOfWork],
        *,
        issuance: IssuedTotalsPort | None = None,
        registry: RegistryTotalsPort | None = None,
    ) -> None:
        self.engine = engine
        self.uow = uow
        self.issuance = issuance
        self.registry = registry

    # --- eligibility (public) ---------------------------------------------------------------------------

    def batch(self, batch_id: str) -> read_model.BatchRecord | None:
        with self.engine.connect() as conn:
            return read_model.load_batches(conn, [batch_id]).get(batch_id)

    def eligibility(self, batch_id: str) -> tuple[eligibility_rules.EligibilityDecision, ...]:
        """Every use's decision; empty while the read model does not know the batch yet."""
        record = self.batch(batch_id)
        return () if record is None else eligibility_rules.decide_all(record.facts)

    def explain(self, batch_id: str, use: InstitutionalUse) -> eligibility_rules.EligibilityDecision:
        record = self.batch(batch_id)
        if record is None:
            raise not_found("BATCH_NOT_FOUND", f"the reporting read model does not know batch {batch_id} (yet)")
        return eligibility_rules.explain(record.facts, use)

    # --- organization reports -----------------------------------------------------------------------------

    def disclosure_report(self, principal: Principal, organization_id: str, year: int) -> disclosure.DisclosureReport:
        authorize_organization_report(principal, organization_id)
        with self.engine.connect() as conn:
            retirements = read_model.load_retirements(conn, organization_id)
            batches = read_model.batch_facts(read_model.load_batches(conn, sorted({r.batch_id for r in retirements})))
            org = read_model.load_organizations(conn).get(organization_id)
        report = disclosure.build_disclosure_report(
            organization_id, year, retirements, batches, organization_name=org.name if org else ""
        )
        self._record_report(principal, "DISCLOSURE", organization_id, year, report.total_quantity_t)
        return report

    def shk_report(self, principal: Principal, shk_input: shk.ShkInput) -> shk.ShkReport:
        authorize_organization_report(principal, shk_input.organization_id)
        with self.engine.connect() as conn:
            retirements = read_model.load_retirements(conn, shk_input.organization_id)
            transfers = read_model.load_transfers(conn, shk_input.organization_id)
            batch_ids = sorted({r.batch_id for r in retirements} | {t.batch_id for t in transfers})
            batches = read_model.batch_facts(read_model.load_batches(conn, batch_ids))
        report = shk.compute_shk_report(shk_input, retirements, transfers, batches)
        total = sum(line.quantity_t for line in report.deducted_credits)
        self._record_report(principal, "SHK", shk_input.organization_id, shk_input.fiscal_year, total)
        return report

    def _record_report(self, principal: Principal, kind: str, organization_id: str, year: int, total_t: int) -> None:
        with self.uow() as uow:
            uow.add_event(
                "organization",
                organization_id,
                reporting_events.ReportGenerated(
                    report_id=str(uuid.uuid4()),
                    report_kind=kind,
                    organization_id=organization_id,
                    year=year,
                    total_quantity_t=total_t,
                    actor_user_id=principal.user_id or "",
                    actor_organization_id=principal.organization_id or "",
                ),
            )

    # --- Article 6 ------------------------------------------------------------------------------------------

    def article6_report(self, principal: Principal, party: str, year: int) -> article6.Article6Report:
        require_role(principal, *STAFF_READERS)
        with self.engine.connect() as conn:
            records = read_model.load_batches(conn)
            batches = read_model.batch_facts(records)
            organizations = read_model.load_organizations(conn)
            transfers = read_model.load_transfers(conn)
            retirements = read_model.load_retirements(conn)
            cancellations = read_model.load_cancellations(conn)
            ndc_uses = read_model.load_ndc_uses(conn)
        authorizations = [
            authorization for record in records.values() if (authorization := _authorization_of(record)) is not None
        ]
        return article6.build_article6_report(
            party,
            year,
            batches,
            authorizations,
            {org_id: org.country for org_id, org in organizations.items()},
            transfers=transfers,
            retirements=retirements,
            cancellations=cancellations,
            ndc_uses=ndc_uses,
        )

    # --- buffer pool (public) --------------------------------------------------------------------------------

    def buffer_pool(self, program_id: str) -> permanence.BufferPool:
        """Public registry data: the program's buffer, what reversals took from it and what is still owed."""
        with self.engine.connect() as conn:
            batches = read_model.batch_facts(read_model.load_batches(conn))
            reversals = read_model.load_reversals(conn)
            cancellations = read_model.load_buffer_cancellations(conn)
        return permanence.build_buffer_pool(program_id, batches, reversals, cancellations)

    # --- market statistics (public) ------------------------------------------------------------------------

    def market_statistics(self) -> MarketStatistics:
        with self.engine.connect() as conn:
            batches = read_model.batch_facts(read_model.load_batches(conn))
            retirements = read_model.load_retirements(conn)
            trades = read_model.load_trades(conn)
        # Facts whose batch has not arrived yet are left out until it does: a public page should lag,
        # not fail.
        known_retirements = [r for r in retirements if r.batch_id in batches]
        known_trades = [t for t in trades if t.batch_id is None or t.batch_id in batches]
        return MarketStatistics(
            issuance=statistics.issuance_volumes(batches.values()),
            retirements=statistics.retirement_volumes(known_retirements, batches),
            prices=statistics.daily_vwap_index(known_trades, batches),
        )

    def price_index(self, category: CreditCategory) -> tuple[statistics.PricePoint, ...]:
        return tuple(point for point in self.market_statistics().prices if point.category is category)

    def statistics_html(self) -> str:
        stats = self.market_statistics()
        return statistics.statistics_page_html(
            "Carbon credit market statistics", stats.issuance, stats.retirements, stats.prices
        )

    # --- reconciliation --------------------------------------------------------------------------------------

    def reconcile(self, principal: Principal, batch_ids: Sequence[str] = ()) -> ReconciliationResult:
        if not principal.has_role("SERVICE"):
            require_role(principal, *STAFF_READERS)
        if self.issuance is None or self.registry is None:
            raise DomainError(ErrorCode.UNAVAILABLE, "PEERS_NOT_CONFIGURED", "issuance or registry is not configured")
        issued = self.issuance.issued_totals(batch_ids)
        registry_totals = self.registry.batch_totals(batch_ids)
        with self.engine.connect() as conn:
            records = read_model.load_batches(conn, list(batch_ids) or None)
            out = read_model.out_of_circulation_by_batch(conn)
        read_totals = {
            batch_id: reconciliation.ReadModelTotals(record.facts.issued_quantity_t, out.get(batch_id, 0))
            for batch_id, record in records.items()
        }
        found = reconciliation.reconcile(issued, registry_totals, read_totals)
        checked = len(set(issued) | set(registry_totals) | set(read_totals))
        run_id = str(uuid.uuid4())
        with self.uow() as uow:
            uow.add_event(
                "reconciliation",
                run_id,
                reporting_events.ReconciliationCompleted(
                    reconciliation_id=run_id,
                    batches_checked=checked,
                    discrepant_batch_ids=sorted({d.batch_id for d in found}),
                ),
            )
        return ReconciliationResult(run_id, checked, found, issued, registry_totals, read_totals)


def _authorization_of(record: read_model.BatchRecord) -> article6.AuthorizationFacts | None:
    """The host-country authorization a batch carries (CreditAttributes.authorization), as Article 6 facts.

    The platform records the authorization with the batch at issuance, so its date is the issuance date;
    OIMP-only authorizations are taken as first-transferred at use or cancellation (CORSIA practice).
    """
    purposes = {
        "NDC": article6.AuthorizedPurpose.NDC,
        "OTHER_INTERNATIONAL_MITIGATION": article6.AuthorizedPurpose.OIMP,
        "NDC_AND_OTHER_INTERNATIONAL_MITIGATION": article6.AuthorizedPurpose.NDC_AND_OIMP,
    }.get(record.authorization)
    facts: BatchFacts = record.facts
    if purposes is None or facts.issued_on is None:
        return None
    oimp = purposes is not article6.AuthorizedPurpose.NDC
    return article6.AuthorizationFacts(
        authorization_id=f"{facts.batch_id}:authorization",
        batch_id=facts.batch_id,
        cooperative_approach_id=f"{facts.program_id.value}-{facts.host_country}",
        host_party=facts.host_country,
        authorized_on=facts.issued_on,
        purposes=purposes,
        oimp="CORSIA" if oimp else "",
        first_transfer_definition=article6.FirstTransferDefinition.USE_OR_CANCELLATION if oimp else None,
    )
