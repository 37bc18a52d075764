"""The part retirement, cancellation and NDC use share: take HELD units of one batch out of a
holding account into the organization's sink account (RETIREMENT, CANCELLATION or NDC_USE, created
on demand), where they stay in a terminal status for ever."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.registry.domain.blocks import OperationResult, UnitBlock
from services.registry.domain.canonical import canonical_json
from services.registry.domain.certificates import CertificateKind, build_certificate, certificate_id_for
from services.registry.domain.journal import JournalEntry
from services.registry.domain.models import Account, AccountKind, Batch
from services.registry.domain.serials import format_serial_range
from services.registry.service.common import locked_account, locked_batch, require_some_held
from services.registry.service.ports import RegistryUnitOfWork

LedgerUse = Callable[..., OperationResult]


@dataclass(frozen=True)
class PermanentUse:
    batch: Batch
    source: Account
    sink: Account
    result: OperationResult

    @property
    def serial_ranges(self) -> tuple[str, ...]:
        return serial_ranges(self.batch, self.result.affected)


def serial_ranges(batch: Batch, blocks: Sequence[UnitBlock]) -> tuple[str, ...]:
    return tuple(format_serial_range(batch, block.start, block.end) for block in sorted(blocks))


def take_units(
    uow: RegistryUnitOfWork,
    *,
    account_id: str,
    batch_id: str,
    quantity: int,
    sink_kind: AccountKind,
    operation: LedgerUse,
    authorize: Callable[[Account], None],
    check_batch: Callable[[Batch], None] = lambda batch: None,
) -> PermanentUse:
    # One statement: the source row-locked, the sink read with it. Sink ids ("RETIREMENT-<org>")
    # sort after every hex account id, so the lock order holds; the sink row itself is not locked:
    # units only ever arrive there.
    locked_source, sink = uow.accounts.lock_with_sink(account_id, sink_kind)
    source = locked_account({account_id: locked_source} if locked_source is not None else {}, account_id)
    # The batch first: a refusal on an account counts toward its suspension, so it must be about a
    # real request (a made-up batch id is NOT_FOUND, and costs the account holder nothing).
    batch = locked_batch(uow, batch_id)
    authorize(source)
    # The use checked against the batch's eligibility before anything moves: a permanent use of units
    # the purpose does not accept could never be undone (issue 13 item 6).
    check_batch(batch)
    if sink is None:  # the organization's first use of this kind: create the sink account
        sink = uow.accounts.ensure_sink(source.organization_id, sink_kind)
    blocks = uow.batches.blocks(batch.id)
    if source.kind is AccountKind.HOLDING:
        require_some_held(blocks, source, batch.id, quantity)
    result = operation(blocks, source, quantity, into=sink)
    uow.batches.write(result)
    uow.batches.check(batch, result)
    return PermanentUse(batch, source, sink, result)


def record_use(
    uow: RegistryUnitOfWork,
    used: PermanentUse,
    *,
    kind: CertificateKind,
    use_id: str,
    account_id: str,
    quantity: int,
    entry: JournalEntry,
    beneficiary: str,
    purpose: str,
    columns: Mapping[str, object],
    retirement_year: int | None = None,
    offset_emissions_t: Decimal | None = None,
) -> str:
    """Write the use's record (retirement, cancellation or NDC use) and its certificate, which quotes
    the journal entry's hash so anyone can verify it. Returns the certificate id."""
    certificate = build_certificate(
        kind,
        used.batch,
        used.result.affected,
        account_id=account_id,
        beneficiary=beneficiary,
        purpose=purpose,
        journal_entry=entry,
        retirement_year=retirement_year,
        offset_emissions_t=offset_emissions_t,
    )
    certificate_id = certificate_id_for(kind, entry)
    uow.records.add_permanent_use(
        kind.value,
        {
            "id": use_id,
            "batch_id": used.batch.id,
            "account_id": account_id,
            "organization_id": used.source.organization_id,
            "sink_account_id": used.sink.id,
            "quantity": quantity,
            "blocks": used.result.affected,
            "certificate_id": certificate_id,
            "journal_sequence": entry.sequence,
            "occurred_at": entry.occurred_at,
            **columns,
        },
    )
    uow.records.add_certificate(certificate_id, kind.value, use_id, canonical_json(certificate), entry.sequence)
    return certificate_id
