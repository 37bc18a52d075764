"""Permanent uses checked against eligibility (issue 13 item 6), over the in-memory unit of work:
a refusal is FAILED_PRECONDITION, names the rule that refused, and changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from carbon_runtime.errors import ErrorCode
from carbon_runtime.vocabulary import CancellationPurpose, CreditBasis, CreditCategory, CreditType, RetirementPurpose
from services.registry.domain import commands as c
from tests.unit.registry.support import ISSUANCE, World, holder, keyed, world
from tests.unit.registry.test_registry_handlers import refusal


def mint(w: World, batch_id: str, **attributes: object) -> str:
    fields: dict[str, object] = {
        "project_id": f"P{batch_id}",
        "program_id": "VCS",
        "methodology_id": "VM0007",
        "country": "KE",
        "vintage_start": date(2018, 1, 1),
        "vintage_end": date(2018, 12, 31),
        "credit_type": CreditType.REDUCTION,
        "basis": CreditBasis.NATURE,
        "category": CreditCategory.GLOBAL,
        "issuer_organization_id": w.proponent,
    }
    fields.update(attributes)
    return str(
        w.bus.handle(
            c.MintBatch(
                actor=ISSUANCE,
                issuance_id=f"ISS-{batch_id}",
                batch_id=batch_id,
                attributes=c.CreditAttributes(**fields),  # type: ignore[arg-type]
                issued_quantity_t=100,
                holder_account_id=w.proponent_account,
            )
        ).batch_id
    )


def cancel_for(w: World, batch_id: str, purpose: CancellationPurpose) -> c.CancelCredits:
    return c.CancelCredits(
        account_id=w.proponent_account,
        batch_id=batch_id,
        quantity_t=10,
        purpose=purpose,
        beneficiary="Airline",
        **keyed(holder(w.proponent), None),  # type: ignore[arg-type]
    )


def retire_for(w: World, batch_id: str, purpose: RetirementPurpose) -> c.RetireCredits:
    return c.RetireCredits(
        account_id=w.proponent_account,
        batch_id=batch_id,
        quantity_t=10,
        purpose=purpose,
        beneficiary="Example K.K.",
        retirement_year=2024,
        **keyed(holder(w.proponent), None),  # type: ignore[arg-type]
    )


def test_corsia_cancellation_refuses_a_batch_corsia_does_not_accept() -> None:
    """表 5 第 5 条 2 項三号: 「取消しすることによる、国際的な排出削減制度における活用（ただし、当該制度の実施主体
    により活用が認められた JCM クレジットに限る。…）」; 表 9: J-Credits are not a CORSIA pilot programme, so a
    CORSIA cancellation of them is refused (FAILED_PRECONDITION, naming CORSIA-PILOT-PROGRAM), while the same
    units may be cancelled for another purpose."""
    w = world()
    error = refusal(w, cancel_for(w, w.batch, CancellationPurpose.CORSIA))
    assert error.code is ErrorCode.FAILED_PRECONDITION
    assert error.reason == "USE_NOT_ELIGIBLE"
    assert error.details["rule_id"] == "CORSIA-PILOT-PROGRAM"
    assert "CORSIA-PILOT-PROGRAM" in error.message
    assert w.bus.handle(cancel_for(w, w.batch, CancellationPurpose.VOLUNTARY_OFFSET)).quantity_t == 10


def test_corsia_cancellation_takes_a_pilot_phase_vintage_and_refuses_a_later_one() -> None:
    """表 9: VCS 「2016 年 1 月 1 日登録～2020 年 12 月 31 日までの削減量」: a 2018 VCS vintage is cancelled for
    CORSIA; a 2022 vintage without authorization and CA is refused by CORSIA-PILOT-VINTAGE."""
    w = world()
    eligible = mint(w, "B000002")
    assert w.bus.handle(cancel_for(w, eligible, CancellationPurpose.CORSIA)).quantity_t == 10
    late = mint(w, "B000003", vintage_start=date(2022, 1, 1), vintage_end=date(2022, 12, 31))
    error = refusal(w, cancel_for(w, late, CancellationPurpose.CORSIA))
    assert (error.code, error.details["rule_id"]) == (ErrorCode.FAILED_PRECONDITION, "CORSIA-PILOT-VINTAGE")


def test_net_zero_neutralization_retirement_takes_removals_only() -> None:
    """表 6 (SBTi Net-Zero Standard): 「ネットゼロ時点で評価するクレジットは炭素吸収・炭素除去系のみとしている。」
    A reduction credit retired for NET_ZERO_NEUTRALIZATION is refused (SBTI-NEUTRALIZATION-REMOVALS); a
    removal credit is retired."""
    w = world()
    error = refusal(w, retire_for(w, w.batch, RetirementPurpose.NET_ZERO_NEUTRALIZATION))
    assert (error.code, error.details["rule_id"]) == (ErrorCode.FAILED_PRECONDITION, "SBTI-NEUTRALIZATION-REMOVALS")
    removal = mint(w, "B000004", credit_type=CreditType.REMOVAL)
    assert w.bus.handle(retire_for(w, removal, RetirementPurpose.NET_ZERO_NEUTRALIZATION)).quantity_t == 10


def test_ets_compliance_retirement_names_the_scheme_and_stays_within_its_table_8_limit() -> None:
    """表 8 (California Compliance Offset Program): 「量的制限は 2013 年～2020 年は義務に対し最大 8%、2021 年～
    2025 年は最大 4%、2026 年以降は最大 6%の予定。」 EU-ETS: 「2021 年以降（第４フェーズ）での活用は現時点では
    想定されていない。」 An ETS_COMPLIANCE retirement without a scheme is refused (ETS-SCHEME-REQUIRED); against
    a 1,000 t California obligation in 2024, 40 t (4%) may be retired but 50 t may not (ETS-CA-2021-2025);
    the EU ETS takes none (ETS-EU-PHASE4)."""
    w = world()
    ets = RetirementPurpose.ETS_COMPLIANCE
    error = refusal(w, retire_for(w, w.batch, ets))
    assert (error.code, error.details["rule_id"]) == (ErrorCode.FAILED_PRECONDITION, "ETS-SCHEME-REQUIRED")

    def ets_retire(scheme: str, quantity_t: int) -> c.RetireCredits:
        return replace(retire_for(w, w.batch, ets), quantity_t=quantity_t, ets_scheme=scheme, ets_obligation_t=1000)

    error = refusal(w, ets_retire("CALIFORNIA_CAP_AND_TRADE", 50))
    assert error.details["rule_id"] == "ETS-CA-2021-2025" and "4%" in error.message
    error = refusal(w, ets_retire("EU_ETS", 1))
    assert error.details["rule_id"] == "ETS-EU-PHASE4"
    assert w.bus.handle(ets_retire("CALIFORNIA_CAP_AND_TRADE", 40)).quantity_t == 40


def test_issuer_onset_flags_only_the_proponents_own_domestic_reduction_credits() -> None:
    """図 3: 「カーボン・クレジット発行者が他者にカーボン・クレジットを移転した場合、その移転分の排出削減量は自ら
    主張することが出来ない」; 脚注 8: 「森林の…炭素吸収量として認証された国内認証排出削減量については、この上乗せ報告
    は対象外である。」 The registry's `issuer_onset` flag follows the same rule as the SHK report: a J-Credit
    reduction batch in Japan is onset, the proponent's Kenyan VCS batch and its forest removals are not."""
    w = world()
    kenya = mint(w, "B000005")
    forest = mint(w, "B000006", country="JP", program_id="JCREDIT", credit_type=CreditType.REMOVAL)

    def transfer_of(batch_id: str) -> bool:
        cmd = c.TransferCredits(
            from_account_id=w.proponent_account,
            to_account_id=w.buyer_account,
            batch_id=batch_id,
            quantity_t=1,
            **keyed(holder(w.proponent), None),  # type: ignore[arg-type]
        )
        accounting = w.bus.handle(cmd).accounting
        assert accounting is not None
        return bool(accounting.issuer_onset)

    assert [transfer_of(b) for b in (w.batch, kenya, forest)] == [True, False, False]
