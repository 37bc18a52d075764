"""Issue 13 (PART A) in issuance: the report's rules over the handlers with the in-memory fakes.

The clock of `Handlers` starts at 2025-04-01T09:00Z (tests/unit/issuance/support.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from carbon.issuance.v1 import events_pb2

from carbon_runtime.errors import ErrorCode
from carbon_runtime.vocabulary import Authorization, CreditCategory
from services.issuance.domain import commands
from services.issuance.domain.values import Article6Authorization, AuthorizationPurpose, Permanence, ReversalRisk
from services.issuance.service.ports import MintOrder
from services.issuance.service.results import BatchRef, ReportRef
from tests.unit.issuance.support import ADMIN, PROPONENT, VERIFIER, Handlers

HOLDING = "acct-holding"
LETTER = Article6Authorization(
    "PE-LoA-7", frozenset({AuthorizationPurpose.NDC, AuthorizationPurpose.OIMP}), date(2019, 6, 1)
)


def submit(project_id: str, start: date, end: date) -> commands.SubmitMonitoringReport:
    return commands.SubmitMonitoringReport(
        actor=PROPONENT,
        project_id=project_id,
        period_start=start,
        period_end=end,
        baseline_emissions=Decimal(1000),
        project_emissions=Decimal(400),
    )


def issued_order(h: Handlers, project_id: str, start: date, end: date) -> MintOrder:
    report: ReportRef = h.handle(submit(project_id, start, end))
    h.handle(commands.RecordVerification(actor=VERIFIER, report_id=report.report_id, verified_quantity_t=600))
    batch: BatchRef = h.handle(
        commands.IssueCredits(actor=ADMIN, monitoring_report_id=report.report_id, account_id=HOLDING)
    )
    record = h.uow.batches.batch_for_report(report.report_id)
    assert record is not None and record.batch_id == batch.batch_id
    return record.order


def authorized_redd(h: Handlers, **overrides: object) -> str:
    values: dict[str, object] = {
        "name": "Madre de Dios REDD+",
        "program_id": "VCS",
        "methodology_id": "VCS:VM0015",
        "country": "PE",
        "crediting_period_start": date(2019, 1, 1),
        "crediting_period_end": date(2028, 12, 31),
        "authorization": LETTER,
        "permanence": Permanence(ReversalRisk.HIGH),
    }
    values.update(overrides)
    return h.registered(**values)


def test_monitoring_report_whose_period_ends_after_today_is_invalid_argument() -> None:
    """Report §2.1: credits are certified 「MRV（測定・報告・検証）を経て」; 表 1 Real: 「全ての排出削減・炭素吸収・
    炭素除去活動は、真に行われたことが証明されなければならない。」 A period ending after today (the injected clock)
    has not happened yet."""
    h = Handlers()
    project_id = h.registered()
    h.refused(
        submit(project_id, date(2025, 1, 1), date(2025, 12, 31)),
        ErrorCode.INVALID_ARGUMENT,
        "MONITORING_PERIOD_NOT_ENDED",
    )
    h.refused(
        submit(project_id, date(2025, 1, 1), date(2025, 4, 2)),
        ErrorCode.INVALID_ARGUMENT,
        "MONITORING_PERIOD_NOT_ENDED",
    )
    # A period that ended today (2025-04-01) has been measured.
    assert h.handle(submit(project_id, date(2025, 1, 1), date(2025, 4, 1))).report_id


def test_authorized_batch_straddling_1_january_2021_is_refused_with_a_clear_error() -> None:
    """表 4 (ITMOs の定義): 「2021 年以降の緩和成果」: a batch carries one CA flag, so a monitoring period that
    straddles 1 January 2021 must be split."""
    h = Handlers()
    project_id = authorized_redd(h)
    error = h.refused(
        submit(project_id, date(2020, 7, 1), date(2021, 6, 30)), ErrorCode.INVALID_ARGUMENT, "VINTAGE_STRADDLES_2021"
    )
    assert "split" in error.message and "2021-01-01" in error.message


def test_ca_flag_only_for_vintages_from_2021() -> None:
    """表 4: 「2021 年以降の緩和成果」; 脚注 27: 「対象ビンテージが 2021 年 1 月 1 日以降のクレジットについては、
    …相当調整を行うことが定められている。」 The 2020 half of the split carries no CA and no authorization; the
    2021 half carries both, and its category follows (a VCS credit without CA is not category (1))."""
    h = Handlers()
    project_id = authorized_redd(h)
    before = issued_order(h, project_id, date(2020, 1, 1), date(2020, 12, 31))
    after = issued_order(h, project_id, date(2021, 1, 1), date(2021, 12, 31))
    assert (before.corresponding_adjustment, before.authorization) == (False, Authorization.NONE)
    assert before.category is CreditCategory.GLOBAL
    assert (after.corresponding_adjustment, after.authorization) == (
        True,
        Authorization.NDC_AND_OTHER_INTERNATIONAL_MITIGATION,
    )
    assert after.category is CreditCategory.NDC_CONTRIBUTING


def test_jcm_project_without_a_letter_issues_category_1() -> None:
    """§6.1.1 (１) 「我が国の NDC の達成に資するカーボン・クレジット」（具体例） 「JCM」: a JCM project created through
    the contract has no authorization, and its batches are still category (1)."""
    h = Handlers()
    project_id = h.registered(
        name="High-efficiency boilers, Ulaanbaatar",
        program_id="JCM",
        methodology_id="JCM:MN_AM002",
        country="MN",
    )
    order = issued_order(h, project_id, date(2024, 1, 1), date(2024, 12, 31))
    assert order.category is CreditCategory.NDC_CONTRIBUTING


def test_redd_project_with_reversal_risk_sets_a_buffer_share() -> None:
    """表 1 Permanent: 「プロジェクトに可逆性リスクがある場合、…反転（漏洩）が発生した場合に備えた保証メカニズムを
    導入する必要がある。」; 表 3 「排出回避・削減 自然ベース REDD+」: REDD+ is a reduction whose carbon can be
    released again, so it may state a reversal risk and sets a buffer share aside."""
    h = Handlers()
    project_id = authorized_redd(h, authorization=None)
    order = issued_order(h, project_id, date(2024, 1, 1), date(2024, 12, 31))
    assert order.buffer_quantity_t > 0
    assert order.issued_quantity_t == 600


def test_technology_reduction_still_refuses_a_reversal_risk() -> None:
    """A boiler replacement stores no carbon, so it has no reversal risk to state."""
    h = Handlers()
    h.refused(
        commands.CreateProject(
            actor=PROPONENT,
            name="Boiler replacement, Osaka",
            program_id="JCREDIT",
            methodology_id="JCREDIT:EN-S-001",
            country="JP",
            proponent_id="org-proponent",
            verifier_id="org-verifier",
            permanence=Permanence(ReversalRisk.LOW),
        ),
        ErrorCode.INVALID_ARGUMENT,
        "PERMANENCE_NOT_APPLICABLE",
    )


def test_imported_project_carries_the_origin_registrys_crediting_period() -> None:
    """表 9 「2016 年 1 月 1 日登録～」: CORSIA's cut-off reads the activity's first crediting period. An imported
    project's is the origin registry's (here 2009), never the day of the import (2025), and it travels on
    ProjectCreated to reporting's eligibility."""
    h = Handlers()
    values: dict[str, object] = {
        "actor": ADMIN,
        "origin_registry": "VERRA",
        "program_id": "VCS",
        "origin_project_id": "VCS-674",
        "name": "Rimba Raya",
        "country": "ID",
        "methodology_code": "VM0007",
        "record_key": "verra:project:VCS-674",
        "crediting_period_start": date(2009, 1, 1),
        "crediting_period_end": date(2038, 12, 31),
    }
    h.handle(commands.ImportProject(**values))  # type: ignore[arg-type]
    created = next(m.payload for m in h.uow.messages if isinstance(m.payload, events_pb2.ProjectCreated))
    assert isinstance(created, events_pb2.ProjectCreated)
    assert created.crediting_period_start == "2009-01-01"
    h.refused(
        commands.ImportProject(**{**values, "origin_project_id": "VCS-675", "crediting_period_end": None}),  # type: ignore[arg-type]
        ErrorCode.INVALID_ARGUMENT,
        "CREDITING_PERIOD_INCOMPLETE",
    )
