"""Read-only reports, each a pure domain computation over facts read from the read models: eligibility,
Article 6, buffer pools and market statistics. Queries never write, so they do not go through the bus;
they read one consistent view of the read model (`ReadModel.read()`).

Who may read what: eligibility, statistics, price indexes and buffer pools are public registry data;
Article 6 reports only for AUDITOR or REGISTRY_ADMIN (domain/actor.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from carbon_runtime.errors import not_found
from carbon_runtime.vocabulary import CreditCategory
from services.reporting.domain import article6, permanence, statistics
from services.reporting.domain import eligibility as eligibility_rules
from services.reporting.domain.actor import Actor, authorize_staff_report
from services.reporting.domain.facts import BatchFacts, BatchRecord, InstitutionalUse
from services.reporting.service.ports import ReadModel


@dataclass(frozen=True, slots=True)
class MarketStatistics:
    issuance: tuple[statistics.VolumeRow, ...]
    retirements: tuple[statistics.VolumeRow, ...]
    prices: tuple[statistics.PricePoint, ...]


class ReportQueries:
    def __init__(self, read_model: ReadModel) -> None:
        self.read_model = read_model

    # --- eligibility (public) ---------------------------------------------------------------------------

    def batch(self, batch_id: str) -> BatchRecord | None:
        with self.read_model.read() as facts:
            return facts.batches([batch_id]).get(batch_id)

    def eligibility(self, batch_id: str) -> tuple[eligibility_rules.EligibilityDecision, ...]:
        """Every use's decision; empty while the read model does not know the batch yet."""
        record = self.batch(batch_id)
        return () if record is None else eligibility_rules.decide_all(record.facts)

    def explain(self, batch_id: str, use: InstitutionalUse) -> eligibility_rules.EligibilityDecision:
        record = self.batch(batch_id)
        if record is None:
            raise not_found("BATCH_NOT_FOUND", f"the reporting read model does not know batch {batch_id} (yet)")
        return eligibility_rules.explain(record.facts, use)

    # --- Article 6 ------------------------------------------------------------------------------------------

    def article6_report(self, actor: Actor, party: str, year: int) -> article6.Article6Report:
        authorize_staff_report(actor)
        with self.read_model.read() as facts:
            records = facts.batches()
            organizations = facts.organizations()
            transfers = facts.transfers()
            retirements = facts.retirements()
            cancellations = facts.cancellations()
            ndc_uses = facts.ndc_uses()
        authorizations = [
            authorization for record in records.values() if (authorization := _authorization_of(record)) is not None
        ]
        return article6.build_article6_report(
            party,
            year,
            {batch_id: record.facts for batch_id, record in records.items()},
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
        with self.read_model.read() as facts:
            batches = {batch_id: record.facts for batch_id, record in facts.batches().items()}
            reversals = facts.reversals()
            cancellations = facts.buffer_cancellations()
        return permanence.build_buffer_pool(program_id, batches, reversals, cancellations)

    # --- market statistics (public) ------------------------------------------------------------------------

    def market_statistics(self) -> MarketStatistics:
        with self.read_model.read() as facts:
            batches = {batch_id: record.facts for batch_id, record in facts.batches().items()}
            retirements = facts.retirements()
            trades = facts.trades()
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


def _authorization_of(record: BatchRecord) -> article6.AuthorizationFacts | None:
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
