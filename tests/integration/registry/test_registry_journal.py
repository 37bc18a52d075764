"""The journal is a hash chain: any edit of a past entry is detected, and certificates quote it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, update

from services.registry.adapters import tables as t
from tests.integration.registry.support import Registry


def test_every_operation_appends_one_linked_journal_entry(registry: Registry, world: dict[str, str]) -> None:
    result = registry.deps.reads.verify_journal()
    # two organizations, two accounts, one mint
    assert result.ok and result.checked == 5


def test_editing_a_past_journal_entry_is_detected(registry: Registry, world: dict[str, str]) -> None:
    retired = registry.retire(Registry.holder(world["proponent"]), world["proponent_account"], world["batch"], 9)
    view = registry.deps.reads.retirement_view(retired.retirement_id)
    assert view is not None
    with registry.deps.engine.begin() as conn:
        row = conn.execute(select(t.journal).where(t.journal.c.sequence == 5)).one()
        entry = json.loads(row.entry)
        entry["payload"]["issued_quantity"] = 2000
        conn.execute(update(t.journal).where(t.journal.c.sequence == 5).values(entry=json.dumps(entry)))
    result = registry.deps.reads.verify_journal()
    assert not result.ok and result.first_broken_sequence == 5
    assert not registry.deps.reads.verify_certificate(view.certificate_id).valid


def test_verify_journal_floods_cost_only_the_new_entries_and_staff_get_a_full_check(
    registry: Registry, world: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14, item 4: verifyJournal is public; recomputing the whole chain on every call let anyone
    keep the registry busy. Between full checks (at most once per TTL, or on a staff request) only
    the entries appended since the verified prefix are checked."""
    from services.registry.adapters import repository

    reads = registry.deps.reads
    assert reads.verify_journal(full=True).ok
    full_reads = 0
    original = repository.journal_entries

    def counting(conn: Any) -> Any:
        nonlocal full_reads
        full_reads += 1
        return original(conn)

    monkeypatch.setattr(repository, "journal_entries", counting)
    registry.retire(Registry.holder(world["proponent"]), world["proponent_account"], world["batch"], 1)
    results = [reads.verify_journal() for _ in range(50)]
    assert all(r.ok for r in results) and results[-1].checked == 6
    assert full_reads == 0
    # Tampering with an old entry is found by the next full check (staff, or after the TTL).
    with registry.deps.engine.begin() as conn:
        row = conn.execute(select(t.journal).where(t.journal.c.sequence == 5)).one()
        entry = json.loads(row.entry)
        entry["payload"]["issued_quantity"] = 2000
        conn.execute(update(t.journal).where(t.journal.c.sequence == 5).values(entry=json.dumps(entry)))
    broken = reads.verify_journal(full=True)
    assert not broken.ok and broken.first_broken_sequence == 5 and full_reads == 1
