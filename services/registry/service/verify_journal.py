"""Verify the journal's hash chain, and a certificate against the journal entry it quotes."""

from __future__ import annotations

from dataclasses import dataclass

from services.registry.adapters import repository as repo
from services.registry.domain.certificates import CertificateKind, certificate_id_for
from services.registry.domain.journal import ChainVerification, verify_chain
from services.registry.service.common import RegistryDeps
from services.registry.service.queries import certificate


def verify_journal(deps: RegistryDeps) -> ChainVerification:
    with deps.engine.connect() as conn:
        return verify_chain(repo.journal_entries(conn))


@dataclass(frozen=True)
class CertificateVerification:
    certificate_id: str
    valid: bool
    journal_sequence: int | None
    journal_hash: str | None
    problem: str | None


def verify_certificate(deps: RegistryDeps, certificate_id: str) -> CertificateVerification:
    """Valid when the certificate exists, the journal chain up to it is intact, and the entry it
    quotes still has the hash the certificate id was derived from."""
    body = certificate(deps, certificate_id)
    if body is None:
        return CertificateVerification(certificate_id, False, None, None, "no such certificate")
    sequence = int(body["journal_sequence"])
    with deps.engine.connect() as conn:
        entries = [e for e in repo.journal_entries(conn) if e.sequence <= sequence]
    chain = verify_chain(entries)
    if not chain.ok:
        return CertificateVerification(certificate_id, False, sequence, body["journal_hash"], chain.problem)
    entry = entries[-1] if entries else None
    if entry is None or entry.sequence != sequence or entry.hash != body["journal_hash"]:
        return CertificateVerification(certificate_id, False, sequence, body["journal_hash"], "journal entry differs")
    if certificate_id_for(CertificateKind(body["kind"]), entry) != certificate_id:
        return CertificateVerification(certificate_id, False, sequence, entry.hash, "certificate id does not match")
    return CertificateVerification(certificate_id, True, sequence, entry.hash, None)
