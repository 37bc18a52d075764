"""The registry's side of permanent uses checked against eligibility (issue 13 item 6): the pure rules
live in carbon_runtime.rules.permanent_uses, shared with reporting's eligibility; this module reads the
batch attributes the registry stores and turns a refusal into FAILED_PRECONDITION naming the rule."""

from __future__ import annotations

from carbon_runtime.errors import precondition
from carbon_runtime.rules.permanent_uses import (
    UsedBatch,
    UseRefusal,
    corsia_cancellation_refusal,
    ets_compliance_refusal,
    neutralization_refusal,
)
from carbon_runtime.vocabulary import Authorization, CancellationPurpose, RetirementPurpose

from .models import AuthorizationPurpose, Batch

_AUTHORIZATIONS = {
    None: Authorization.NONE,
    AuthorizationPurpose.NDC: Authorization.NDC,
    AuthorizationPurpose.OIMP: Authorization.OTHER_INTERNATIONAL_MITIGATION,
}


def used_batch(batch: Batch) -> UsedBatch:
    return UsedBatch(
        batch_id=batch.id,
        program_id=batch.program_id,
        credit_type=batch.credit_type,
        vintage_start=batch.vintage_start,
        vintage_end=batch.vintage_end,
        corresponding_adjustment=batch.corresponding_adjustment,
        authorization=_AUTHORIZATIONS[batch.authorization_purpose],
    )


def _refuse(refusal: UseRefusal, batch: Batch, use: str) -> None:
    raise precondition(
        "USE_NOT_ELIGIBLE",
        f"batch {batch.id} cannot be used for {use}: {refusal.reason}",
        batch_id=batch.id,
        use=use,
        rule_id=refusal.rule_id,
        source=refusal.source,
    )


def check_retirement(
    batch: Batch,
    purpose: RetirementPurpose,
    *,
    quantity_t: int,
    retirement_year: int,
    ets_scheme: str | None = None,
    ets_obligation_t: int | None = None,
) -> None:
    """Refuse a retirement whose purpose does not accept the batch: NET_ZERO_NEUTRALIZATION takes
    removals only; ETS_COMPLIANCE names its scheme and stays within that scheme's 表 8 limit for the
    compliance year (the retirement year)."""
    refusal: UseRefusal | None = None
    if purpose is RetirementPurpose.NET_ZERO_NEUTRALIZATION:
        refusal = neutralization_refusal(used_batch(batch))
    elif purpose is RetirementPurpose.ETS_COMPLIANCE:
        refusal = ets_compliance_refusal(used_batch(batch), ets_scheme, retirement_year, ets_obligation_t, quantity_t)
    if refusal is not None:
        _refuse(refusal, batch, purpose.value)


def check_cancellation(batch: Batch, purpose: CancellationPurpose) -> None:
    """Refuse a CORSIA cancellation (第 5 条 2 項三号) of units CORSIA does not accept."""
    if purpose is CancellationPurpose.CORSIA:
        refusal = corsia_cancellation_refusal(used_batch(batch))
        if refusal is not None:
            _refuse(refusal, batch, purpose.value)
