"""What "first transfer" of an ITMO means, once for the registry (which records the ranges first
transferred and flags the transfer) and for reporting's Article 6 report (which writes the AEF
"First transfer" action), so the two can never disagree (issue 13 item 10).

Report §3.1.1 表 4 (ITMOs の定義): 「パリ協定６条２項の協力的アプローチに基づき国際的に移転される緩和成果」;
the corresponding adjustment (相当調整) follows the international transfer. Decision 2/CMA.3 annex para 2(b):
for outcomes authorized for use toward an NDC, the first transfer is the first INTERNATIONAL transfer, the
unit leaving the host Party; for outcomes authorized only for other international mitigation purposes
(OIMP, e.g. CORSIA) the host defines it as the authorization, the issuance or the use or cancellation, so a
transfer between accounts is never the first transfer of an OIMP-only unit.

A unit is first transferred at most once: the registry subtracts the ranges it recorded earlier, so units
that come back to the host Party and leave again are not first transferred twice.
"""

from __future__ import annotations


def is_first_transfer_at_transfer(*, authorized_for_ndc: bool, host_party: str, from_party: str, to_party: str) -> bool:
    """Whether moving NDC-authorized units from an organization of `from_party` to one of `to_party` is
    their first transfer: they leave the host Party. Transfers inside one Party, transfers between other
    Parties, and any transfer of units not authorized for NDC use are not."""
    return authorized_for_ndc and from_party == host_party and to_party != host_party
