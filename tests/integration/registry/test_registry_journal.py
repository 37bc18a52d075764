"""The journal is a hash chain: any edit of a past entry is detected, and certificates quote it."""

from __future__ import annotations

import json

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
