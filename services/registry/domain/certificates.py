"""Retirement / cancellation / NDC-use certificates.

A certificate is built from the units an operation acted on (OperationResult.affected) and the
journal entry that recorded it, so every certificate names the exact serial ranges and a journal
hash that anyone can check against the registry's chain. The HTML form is a single self-contained
page (inline CSS, no scripts, no external resources) so that it prints and archives as is; every
value is HTML-escaped because beneficiaries are free text typed by holders.
"""

from __future__ import annotations

import enum
import html
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from carbon_runtime.errors import invalid

from .blocks import UnitBlock, UnitStatus
from .canonical import JsonValue
from .journal import JournalEntry
from .models import Batch
from .serials import format_serial_range


class CertificateKind(enum.StrEnum):
    RETIREMENT = "RETIREMENT"
    CANCELLATION = "CANCELLATION"
    NDC_USE = "NDC_USE"


_STATUS_OF_KIND = {
    CertificateKind.RETIREMENT: UnitStatus.RETIRED,
    CertificateKind.CANCELLATION: UnitStatus.CANCELLED,
    CertificateKind.NDC_USE: UnitStatus.NDC_USED,
}
_ID_PREFIX = {
    CertificateKind.RETIREMENT: "RC",
    CertificateKind.CANCELLATION: "CC",
    CertificateKind.NDC_USE: "NC",
}
_TITLE = {
    CertificateKind.RETIREMENT: "Retirement certificate",
    CertificateKind.CANCELLATION: "Cancellation certificate",
    CertificateKind.NDC_USE: "NDC use certificate",
}


def certificate_id_for(kind: CertificateKind, journal_entry: JournalEntry) -> str:
    """Derived from the journal hash: one certificate per recorded operation, and the id alone
    leads a reader to the journal entry that proves it."""
    return f"{_ID_PREFIX[kind]}-{journal_entry.hash[:20].upper()}"


def build_certificate(
    kind: CertificateKind,
    batch: Batch,
    blocks: Sequence[UnitBlock],
    *,
    account_id: str,
    beneficiary: str,
    purpose: str,
    journal_entry: JournalEntry,
    retirement_year: int | None = None,
    offset_emissions_t: Decimal | None = None,
) -> dict[str, JsonValue]:
    """The certificate as a JSON-ready dict. `blocks` are the units the operation made terminal."""
    if not blocks:
        raise invalid("CERTIFICATE_EMPTY", "a certificate needs at least one block of units")
    expected = _STATUS_OF_KIND[kind]
    for block in blocks:
        if block.batch_id != batch.id or block.status is not expected:
            raise invalid(
                "CERTIFICATE_BLOCKS_INVALID",
                f"a {kind.value} certificate covers {expected.value} units of batch {batch.id} only",
            )
    if not beneficiary.strip():
        raise invalid("FIELD_REQUIRED", "a certificate names its beneficiary")
    ordered = sorted(blocks)
    batch_view: dict[str, JsonValue] = {
        "id": batch.id,
        "issuance_id": batch.issuance_id,
        "program_id": batch.program_id,
        "program_code": batch.program_code,
        "project_id": batch.project_id,
        "host_country": batch.host_country,
        "vintage_start": batch.vintage_start.isoformat(),
        "vintage_end": batch.vintage_end.isoformat(),
        "credit_type": batch.credit_type.value,
        "basis": batch.basis.value,
        "category": batch.category.value,
        "corresponding_adjustment": batch.corresponding_adjustment,
        "authorization_purpose": None if batch.authorization_purpose is None else batch.authorization_purpose.value,
        "authorization_id": batch.authorization_id,
    }
    return {
        "certificate_id": certificate_id_for(kind, journal_entry),
        "kind": kind.value,
        "quantity": sum(block.quantity for block in ordered),
        "serial_ranges": [format_serial_range(batch, block.start, block.end) for block in ordered],
        "beneficiary": beneficiary,
        "purpose": purpose,
        "retirement_year": retirement_year,
        "offset_emissions_t": None if offset_emissions_t is None else str(offset_emissions_t),
        "account_id": account_id,
        "batch": batch_view,
        "occurred_at": journal_entry.occurred_at.isoformat(),
        "journal_sequence": journal_entry.sequence,
        "journal_hash": journal_entry.hash,
    }


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return html.escape(str(value), quote=True)


def _row(label: str, value: Any) -> str:
    return f"<tr><th>{html.escape(label)}</th><td>{_text(value)}</td></tr>"


_STYLE = """
body{font-family:Georgia,serif;margin:2cm;color:#111}
h1{font-size:1.6em;border-bottom:2px solid #1d5c3a;padding-bottom:.3em}
table{border-collapse:collapse;width:100%;margin:1em 0}
th{text-align:left;width:14em;vertical-align:top;padding:.25em .5em;color:#444}
td{padding:.25em .5em;font-family:Menlo,Consolas,monospace;word-break:break-all}
.permanent{border:1px solid #1d5c3a;padding:.5em 1em;background:#f3f8f4}
@media print{body{margin:1cm}}
"""


def render_certificate_html(certificate: Mapping[str, Any]) -> str:
    """A printable page for a dict made by build_certificate."""
    kind = CertificateKind(certificate["kind"])
    batch = certificate["batch"]
    ranges = "".join(f"<li>{_text(serial)}</li>" for serial in certificate["serial_ranges"])
    rows = "".join(
        [
            _row("Certificate", certificate["certificate_id"]),
            _row("Quantity (tCO2e)", certificate["quantity"]),
            _row("Beneficiary", certificate["beneficiary"]),
            _row("Purpose", certificate["purpose"]),
            _row("Retirement year", certificate.get("retirement_year")),
            _row("Emissions offset (tCO2e)", certificate.get("offset_emissions_t")),
            _row("Account", certificate["account_id"]),
            _row("Date", certificate["occurred_at"]),
        ]
    )
    batch_rows = "".join(
        [
            _row("Batch", batch["id"]),
            _row("Program", batch["program_code"]),
            _row("Project", batch["project_id"]),
            _row("Host country", batch["host_country"]),
            _row("Vintage", f"{batch['vintage_start']} to {batch['vintage_end']}"),
            _row("Type", f"{batch['credit_type']} / {batch['basis']}"),
            _row("Category", batch["category"]),
            _row("Corresponding adjustment", batch["corresponding_adjustment"]),
            _row("Article 6 authorization", batch.get("authorization_purpose")),
            _row("Authorization id", batch.get("authorization_id")),
        ]
    )
    journal_rows = _row("Journal entry", certificate["journal_sequence"]) + _row(
        "Journal hash (sha256)", certificate["journal_hash"]
    )
    title = _TITLE[kind]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} {_text(certificate['certificate_id'])}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        '<p class="permanent">The credits listed below are permanently out of circulation: '
        "they can never be transferred, sold or used again.</p>"
        f"<table>{rows}</table>"
        f"<h2>Serial ranges</h2><ul>{ranges}</ul>"
        f"<h2>Credits</h2><table>{batch_rows}</table>"
        f"<h2>Registry record</h2><table>{journal_rows}</table>"
        "</body></html>\n"
    )
