"""What an issuance decision produces; the registry turns it into a credit batch with serials."""

from __future__ import annotations

from dataclasses import dataclass

from .category import CreditCategory
from .periods import Period
from .reference_data import CreditBasis, CreditType, ExchangeCategory
from .values import Article6Authorization


@dataclass(frozen=True, slots=True)
class IssuancePlan:
    project_id: str
    monitoring_report_id: str
    program_id: str
    methodology_id: str
    host_country: str
    #: All credits of the batch, buffer included (contract: CreditBatch.issuedQuantity).
    issued_quantity_t: int
    #: Set aside in the program's buffer pool against reversal; 0 for reductions.
    buffer_quantity_t: int
    #: The monitoring period the tonnes were achieved in.
    vintage: Period
    credit_type: CreditType
    basis: CreditBasis
    category: CreditCategory
    exchange_category: ExchangeCategory | None
    corresponding_adjustment: bool
    authorization: Article6Authorization | None

    @property
    def proponent_quantity_t(self) -> int:
        """What the proponent's holding account receives."""
        return self.issued_quantity_t - self.buffer_quantity_t
