from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from carbon_runtime.errors import DomainError
from services.registry.domain.blocks import UnitBlock
from services.registry.domain.certificates import CertificateKind, build_certificate, render_certificate_html
from services.registry.domain.journal import append_entry
from services.registry.domain.ledger import mint, retire, transfer
from services.registry.domain.models import Account, Batch, CreditBasis, CreditCategory, CreditType

BATCH = Batch(
    id="B45",
    issuance_id="ISS-1",
    program_id="prog-jcr",
    program_code="JCR",
    host_country="JP",
    project_id="P123",
    vintage_start=date(2023, 4, 1),
    vintage_end=date(2024, 3, 31),
    issued_quantity=100,
    buffer_quantity=0,
    serial_start_unit=1,
    serial_end_unit=100,
    credit_type=CreditType.REDUCTION,
    basis=CreditBasis.TECHNOLOGY,
    category=CreditCategory.NDC_CONTRIBUTING,
    proponent_organization_id="org-p",
)
HOLDER = Account("acc-h", "org-p")
OTHER = Account("acc-o", "org-o")
ENTRY = append_entry(
    None, datetime(2024, 5, 1, tzinfo=UTC), actor="user-1", operation="CreditsRetired", payload={"q": 15}
)


def retired_blocks() -> tuple[UnitBlock, ...]:
    # Units 11..20 stay with another holder, so one retirement of 15 spans two serial ranges.
    blocks = mint(BATCH, HOLDER).blocks
    blocks = transfer(blocks, HOLDER, OTHER, 20).blocks
    blocks = transfer(blocks, OTHER, HOLDER, 10).blocks
    return retire(blocks, HOLDER, 15).affected


def test_certificate_lists_every_serial_range_and_sums_quantity() -> None:
    certificate = build_certificate(
        CertificateKind.RETIREMENT,
        BATCH,
        retired_blocks(),
        account_id="acc-h",
        beneficiary="Acme Corp",
        purpose="SHK_ADJUSTMENT",
        journal_entry=ENTRY,
        retirement_year=2023,
        offset_emissions_t=Decimal("15.0"),
    )
    assert certificate["quantity"] == 15
    assert certificate["serial_ranges"] == [
        "JCR-JP-P123-2023-B45-000000000001-000000000010",
        "JCR-JP-P123-2023-B45-000000000021-000000000025",
    ]
    assert certificate["journal_hash"] == ENTRY.hash
    assert certificate["certificate_id"] == "RC-" + ENTRY.hash[:20].upper()
    assert certificate["offset_emissions_t"] == "15.0"


def test_certificate_refuses_units_not_in_the_matching_terminal_status() -> None:
    with pytest.raises(DomainError) as error:
        build_certificate(
            CertificateKind.CANCELLATION,
            BATCH,
            retired_blocks(),
            account_id="acc-h",
            beneficiary="Acme",
            purpose="CORSIA",
            journal_entry=ENTRY,
        )
    assert error.value.reason == "CERTIFICATE_BLOCKS_INVALID"


def test_certificate_html_escapes_free_text_and_loads_nothing_external() -> None:
    certificate = build_certificate(
        CertificateKind.RETIREMENT,
        BATCH,
        retired_blocks(),
        account_id="acc-h",
        beneficiary='<script>alert("x")</script> & Co',
        purpose="VOLUNTARY_OFFSET",
        journal_entry=ENTRY,
    )
    page = render_certificate_html(certificate)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page
    assert not re.search(r"(src|href)\s*=", page)
    assert "JCR-JP-P123-2023-B45-000000000021-000000000025" in page
    assert ENTRY.hash in page
