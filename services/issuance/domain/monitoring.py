"""Monitoring reports, their verification and the issuance decision (certification steps 4-6).

Quantities: the emission and removal figures are exact Decimals in tCO2e; credits are whole tonnes,
so the net result is rounded DOWN (one never issues a fraction of a tonne that was not achieved).

Negative net result: the report is accepted with a claim of 0 t and its exact net recorded. Refusing
it would leave a gap in the monitoring record (the next report could then cover the same period
again), and a period in which the project did worse than its baseline is a fact the registry keeps.
A zero claim can be verified but never issued (NOTHING_TO_ISSUE). A net loss of stored carbon on a
removal project is a reversal and must also be reported through Project.report_reversal.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal

from carbon_runtime.errors import conflict, invalid, precondition
from carbon_runtime.rules.article6 import ARTICLE6_FROM, is_article6_vintage, straddles_article6_start
from carbon_runtime.rules.categories import JCM

from .actor import Actor, Role, require_role, require_role_for
from .category import derive_category, has_corresponding_adjustment
from .events import DomainEvent, IssuanceDecided, MonitoringReportSubmitted, VerificationRecorded
from .periods import Period
from .plan import IssuancePlan
from .project import Project, ProjectStatus
from .reference_data import CreditType
from .values import require_aware, require_text, require_tonnes


def _require_amount(value: Decimal, field_name: str) -> Decimal:
    # Floats are refused outright: 0.1 t as a float is not 0.1 t.
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise invalid("INVALID_QUANTITY", f"{field_name} must be a finite, non-negative Decimal (tCO2e)")
    return value


@dataclass(frozen=True, slots=True)
class ReductionQuantification:
    """net = baseline emissions - project emissions - leakage (DOMAIN.md section 1)."""

    baseline_emissions_t: Decimal
    project_emissions_t: Decimal
    leakage_emissions_t: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        _require_amount(self.baseline_emissions_t, "baseline_emissions_t")
        _require_amount(self.project_emissions_t, "project_emissions_t")
        _require_amount(self.leakage_emissions_t, "leakage_emissions_t")

    @property
    def credit_type(self) -> CreditType:
        return CreditType.REDUCTION

    @property
    def net_t(self) -> Decimal:
        return self.baseline_emissions_t - self.project_emissions_t - self.leakage_emissions_t


@dataclass(frozen=True, slots=True)
class RemovalQuantification:
    """net = project removals - baseline removals - leakage (DOMAIN.md section 1)."""

    project_removals_t: Decimal
    baseline_removals_t: Decimal
    leakage_emissions_t: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        _require_amount(self.project_removals_t, "project_removals_t")
        _require_amount(self.baseline_removals_t, "baseline_removals_t")
        _require_amount(self.leakage_emissions_t, "leakage_emissions_t")

    @property
    def credit_type(self) -> CreditType:
        return CreditType.REMOVAL

    @property
    def net_t(self) -> Decimal:
        return self.project_removals_t - self.baseline_removals_t - self.leakage_emissions_t


Quantification = ReductionQuantification | RemovalQuantification


def claimable_tonnes(net_t: Decimal) -> int:
    """Whole tonnes: floor of the exact net result, and 0 when it is negative."""
    if net_t <= 0:
        return 0
    return int(net_t.to_integral_value(rounding=ROUND_FLOOR))


def buffer_tonnes(issued_quantity_t: int, buffer_percent: int) -> int:
    """The buffer share rounds UP so the pool is never short of the stated percentage: 10 % of 95 t
    is 9.5 t, and 10 t go to the buffer."""
    return -(-issued_quantity_t * buffer_percent // 100)


def require_period_ended(period: Period, at: datetime) -> None:
    """Credits certify what has happened, never what is expected to. Report §2.1: the difference is
    certified 「MRV（測定・報告・検証）を経て」, and 表 1 (ICROA) Real: 「全ての排出削減・炭素吸収・炭素除去活動は、
    真に行われたことが証明されなければならない。」 A monitoring period that ends after today (the injected
    clock, in UTC) has not been measured yet, so it is INVALID_ARGUMENT."""
    today = at.astimezone(UTC).date()
    if period.end > today:
        raise invalid(
            "MONITORING_PERIOD_NOT_ENDED",
            f"monitoring period ends {period.end.isoformat()}, after today ({today.isoformat()}): "
            "only reductions or removals that have happened can be reported",
            period_end=period.end.isoformat(),
            today=today.isoformat(),
        )


def require_one_side_of_article6_start(project: Project, period: Period) -> None:
    """Report 表 4 (ITMOs の定義): 「2021 年以降の緩和成果」, and 表 5 第 6 条 「2021 年 1 月 1 日以降に実現した
    排出削減・吸収・除去に対して発行された JCM クレジット」: a corresponding adjustment, and Japan's NDC
    counting of JCM, apply to outcomes from 1 January 2021 only. A batch carries one CA flag, so for an
    authorized project (or a JCM project, which Japan counts) a monitoring period straddling that date is
    refused: submit it as two reports, one ending 2020-12-31 and one starting 2021-01-01."""
    if not (project.authorization is not None or project.program.program_id == JCM):
        return
    if straddles_article6_start(period.start, period.end):
        raise invalid(
            "VINTAGE_STRADDLES_2021",
            f"monitoring period {period.start}..{period.end} straddles {ARTICLE6_FROM}: corresponding "
            "adjustments apply only from 2021, so split it into a period ending 2020-12-31 and one "
            "starting 2021-01-01",
            period_start=period.start.isoformat(),
            period_end=period.end.isoformat(),
        )


class MonitoringReportStatus(enum.StrEnum):
    SUBMITTED = "SUBMITTED"
    VERIFIED = "VERIFIED"
    ISSUED = "ISSUED"


@dataclass(eq=True)
class MonitoringReport:
    report_id: str
    project_id: str
    period: Period
    quantification: Quantification
    #: Exact net result, may be negative.
    net_quantity_t: Decimal
    claimed_quantity_t: int
    submitted_by: str
    submitted_at: datetime
    status: MonitoringReportStatus = MonitoringReportStatus.SUBMITTED
    verified_quantity_t: int | None = None
    verifier_org_id: str | None = None
    verified_at: datetime | None = None
    issuance: IssuancePlan | None = None
    events: list[DomainEvent] = field(default_factory=list)

    @classmethod
    def submit(
        cls,
        *,
        report_id: str,
        project: Project,
        actor: Actor,
        period: Period,
        quantification: Quantification,
        earlier_reports: Iterable[MonitoringReport],
        at: datetime,
        emissions_as_submitted: tuple[Decimal, Decimal, Decimal] | None = None,
        idempotency_key: str | None = None,
    ) -> MonitoringReport:
        """`earlier_reports` are the project's reports so far; monitoring periods never overlap, so a
        tonne is claimed for one period only. `emissions_as_submitted` (baseline, project, leakage) and
        `idempotency_key` only travel on the event."""
        require_role_for(actor, Role.PROPONENT, project.proponent_org_id, "submitMonitoringReport")
        require_aware(at)
        require_text(report_id, "report_id")
        if project.status is not ProjectStatus.REGISTERED:
            raise precondition(
                "PROJECT_NOT_REGISTERED",
                f"monitoring reports need a REGISTERED project, this one is {project.status.value}",
            )
        if project.crediting_period is None:
            raise precondition("CREDITING_PERIOD_NOT_SET", "the project has no crediting period")
        if not project.crediting_period.contains(period):
            raise invalid(
                "PERIOD_OUTSIDE_CREDITING_PERIOD",
                f"monitoring period {period.start}..{period.end} is outside the crediting period "
                f"{project.crediting_period.start}..{project.crediting_period.end}",
            )
        require_period_ended(period, at)
        require_one_side_of_article6_start(project, period)
        if quantification.credit_type is not project.credit_type:
            raise invalid(
                "QUANTIFICATION_TYPE_MISMATCH",
                f"the methodology credits {project.credit_type.value}s; quantify accordingly",
            )
        for earlier in earlier_reports:
            if earlier.project_id == project.project_id and earlier.period.overlaps(period):
                raise precondition(
                    "MONITORING_PERIOD_OVERLAPS",
                    f"monitoring period overlaps report {earlier.report_id} "
                    f"({earlier.period.start}..{earlier.period.end})",
                    report_id=earlier.report_id,
                )
        net_t = quantification.net_t
        report = cls(
            report_id=report_id,
            project_id=project.project_id,
            period=period,
            quantification=quantification,
            net_quantity_t=net_t,
            claimed_quantity_t=claimable_tonnes(net_t),
            submitted_by=actor.user_id,
            submitted_at=at,
        )
        report.events.append(
            MonitoringReportSubmitted(
                aggregate_id=report_id,
                actor_user_id=actor.user_id,
                actor_org_id=actor.organization_id,
                occurred_at=at,
                project_id=project.project_id,
                period=period,
                net_quantity_t=net_t,
                claimed_quantity_t=report.claimed_quantity_t,
                emissions_as_submitted=emissions_as_submitted or (Decimal(0), Decimal(0), Decimal(0)),
                idempotency_key=idempotency_key,
            )
        )
        return report

    def record_verification(
        self,
        *,
        actor: Actor,
        project: Project,
        verified_quantity_t: int,
        verifier_accredited: bool,
        at: datetime,
    ) -> VerificationRecorded:
        self._require_project(project)
        verifier_org_id = project.require_engaged_verifier(actor, verifier_accredited, "recordVerification")
        require_aware(at)
        if self.status is not MonitoringReportStatus.SUBMITTED:
            raise precondition("ALREADY_VERIFIED", f"report {self.report_id} is already {self.status.value}")
        require_tonnes(verified_quantity_t, "verified_quantity_t")
        if verified_quantity_t > self.claimed_quantity_t:
            # A verifier may cut the claim but never add to it: issuance rests on the proponent's claim.
            raise invalid(
                "VERIFIED_EXCEEDS_CLAIMED",
                f"verified {verified_quantity_t} t exceeds the claimed {self.claimed_quantity_t} t",
            )
        self.status = MonitoringReportStatus.VERIFIED
        self.verified_quantity_t = verified_quantity_t
        self.verifier_org_id = verifier_org_id
        self.verified_at = at
        event = VerificationRecorded(
            aggregate_id=self.report_id,
            actor_user_id=actor.user_id,
            actor_org_id=actor.organization_id,
            occurred_at=at,
            project_id=self.project_id,
            verifier_org_id=verifier_org_id,
            verified_quantity_t=verified_quantity_t,
        )
        self.events.append(event)
        return event

    def issue(self, *, actor: Actor, project: Project, at: datetime) -> IssuancePlan:
        """Decide the issuance for this report: all verified tonnes, of which the buffer share for
        removals. One issuance per report, so retrying a completed issuance is a CONFLICT."""
        require_role(actor, Role.PROGRAM_ADMIN, "issueCredits")
        require_aware(at)
        self._require_project(project)
        if self.status is MonitoringReportStatus.ISSUED:
            raise conflict("ALREADY_ISSUED", f"credits were already issued for report {self.report_id}")
        if self.status is not MonitoringReportStatus.VERIFIED or self.verified_quantity_t is None:
            raise precondition("NOT_VERIFIED", f"report {self.report_id} has not been verified")
        project.ensure_can_issue()
        if self.verified_quantity_t == 0:
            raise precondition("NOTHING_TO_ISSUE", f"report {self.report_id} verified 0 t")
        issued_t = self.verified_quantity_t
        # Any project that stated a reversal risk sets its buffer share aside: removals, and nature-based
        # reductions such as REDD+ (表 1 Permanent 「プロジェクトに可逆性リスクがある場合」).
        buffer_t = buffer_tonnes(issued_t, project.buffer_percent)
        # A report accepted before the Article 6 split rule could still straddle 2021: refuse it here too.
        require_one_side_of_article6_start(project, self.period)
        authorization = project.authorization if is_article6_vintage(self.period.start) else None
        corresponding_adjustment = has_corresponding_adjustment(project.program, authorization)
        plan = IssuancePlan(
            project_id=project.project_id,
            monitoring_report_id=self.report_id,
            program_id=project.program.program_id,
            methodology_id=project.methodology.methodology_id,
            host_country=project.host_country,
            issued_quantity_t=issued_t,
            buffer_quantity_t=buffer_t,
            vintage=self.period,
            credit_type=project.credit_type,
            basis=project.basis,
            # A pre-2021 batch of an authorized project carries no CA, so its category is derived
            # without the authorization (a JCM or J-Credit batch stays category (1) either way).
            category=derive_category(
                program=project.program,
                host_country=project.host_country,
                credit_type=project.credit_type,
                authorization=authorization,
                japan_ties=project.japan_ties,
            ),
            exchange_category=project.methodology.exchange_category,
            corresponding_adjustment=corresponding_adjustment,
            authorization=authorization,
        )
        self.status = MonitoringReportStatus.ISSUED
        self.issuance = plan
        self.events.append(
            IssuanceDecided(
                aggregate_id=self.report_id,
                actor_user_id=actor.user_id,
                actor_org_id=actor.organization_id,
                occurred_at=at,
                plan=plan,
            )
        )
        return plan

    def _require_project(self, project: Project) -> None:
        if project.project_id != self.project_id:
            raise invalid("WRONG_PROJECT", f"report {self.report_id} belongs to project {self.project_id}")
