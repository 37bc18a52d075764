from __future__ import annotations

from datetime import date

import pytest

from carbon_runtime.errors import DomainError, ErrorCode
from services.registry.domain.models import (
    Account,
    AccountKind,
    AccountStatus,
    AuthorizationPurpose,
    Batch,
    CreditBasis,
    CreditCategory,
    CreditType,
    KycStatus,
    Organization,
    id_sort_key,
)


def make_batch(**overrides: object) -> Batch:
    fields: dict[str, object] = {
        "id": "B000045",
        "issuance_id": "ISS-1",
        "program_id": "prog-jcr",
        "program_code": "JCR",
        "host_country": "JP",
        "project_id": "P0000123",
        "vintage_start": date(2023, 4, 1),
        "vintage_end": date(2024, 3, 31),
        "issued_quantity": 1000,
        "buffer_quantity": 100,
        "serial_start_unit": 1,
        "serial_end_unit": 1000,
        "credit_type": CreditType.REDUCTION,
        "basis": CreditBasis.TECHNOLOGY,
        "category": CreditCategory.NDC_CONTRIBUTING,
        "proponent_organization_id": "org-proponent",
    }
    fields.update(overrides)
    return Batch(**fields)  # type: ignore[arg-type]


def reason_of(error: pytest.ExceptionInfo[DomainError]) -> str:
    return error.value.reason


def test_organization_accepts_iso_country_and_defaults_kyc_to_pending() -> None:
    org = Organization(id="o1", name="Acme", country="JP")
    assert org.kyc_status is KycStatus.PENDING
    assert org.accredited_verifier is False


@pytest.mark.parametrize("country", ["jp", "JPN", "XX", "", "J", "ZZ"])
def test_organization_rejects_country_that_is_not_iso_alpha2(country: str) -> None:
    with pytest.raises(DomainError) as error:
        Organization(id="o1", name="Acme", country=country)
    assert error.value.code is ErrorCode.INVALID_ARGUMENT
    assert reason_of(error) == "COUNTRY_INVALID"


def test_buffer_account_requires_program_and_other_kinds_refuse_one() -> None:
    with pytest.raises(DomainError) as error:
        Account(id="a1", organization_id="o1", kind=AccountKind.BUFFER)
    assert reason_of(error) == "BUFFER_PROGRAM_REQUIRED"
    with pytest.raises(DomainError) as error:
        Account(id="a1", organization_id="o1", kind=AccountKind.HOLDING, program_id="p")
    assert reason_of(error) == "PROGRAM_ONLY_FOR_BUFFER"
    buffer = Account(id="a1", organization_id="o1", kind=AccountKind.BUFFER, program_id="p")
    assert buffer.is_open
    assert not Account(id="a2", organization_id="o1", status=AccountStatus.SUSPENDED).is_open


def test_batch_serial_range_must_hold_exactly_issued_quantity() -> None:
    with pytest.raises(DomainError) as error:
        make_batch(serial_end_unit=999)
    assert reason_of(error) == "SERIAL_RANGE_INVALID"
    assert make_batch(serial_start_unit=5001, serial_end_unit=6000).holder_quantity == 900


def test_batch_buffer_cannot_exceed_issued_quantity() -> None:
    with pytest.raises(DomainError) as error:
        make_batch(buffer_quantity=1001)
    assert reason_of(error) == "BUFFER_QUANTITY_INVALID"


@pytest.mark.parametrize("quantity", [0, -1, True])
def test_batch_issued_quantity_must_be_positive_integer(quantity: object) -> None:
    with pytest.raises(DomainError) as error:
        make_batch(issued_quantity=quantity, buffer_quantity=0)
    assert reason_of(error) == "QUANTITY_NOT_POSITIVE_INTEGER"


def test_batch_vintage_start_must_not_follow_end() -> None:
    with pytest.raises(DomainError) as error:
        make_batch(vintage_start=date(2024, 1, 1), vintage_end=date(2023, 1, 1))
    assert reason_of(error) == "VINTAGE_INVALID"


@pytest.mark.parametrize("batch_id", ["b000045", "B-45", "", "B" * 33])
def test_batch_id_must_be_printable_in_serials(batch_id: str) -> None:
    with pytest.raises(DomainError) as error:
        make_batch(id=batch_id)
    assert reason_of(error) == "SERIAL_TOKEN_INVALID"


def test_corresponding_adjustment_requires_authorization() -> None:
    with pytest.raises(DomainError) as error:
        make_batch(corresponding_adjustment=True)
    assert reason_of(error) == "ADJUSTMENT_WITHOUT_AUTHORIZATION"
    authorized = make_batch(
        corresponding_adjustment=True,
        authorization_purpose=AuthorizationPurpose.NDC,
        authorization_id="MN-JP-2023-01",
    )
    assert authorized.is_authorized


def test_authorization_needs_purpose_and_id_together() -> None:
    with pytest.raises(DomainError) as error:
        make_batch(authorization_purpose=AuthorizationPurpose.OIMP)
    assert reason_of(error) == "AUTHORIZATION_INCOMPLETE"


def test_id_sort_key_orders_numeric_suffixes_numerically() -> None:
    assert sorted(["B10", "B9", "B100", "B11"], key=id_sort_key) == ["B9", "B10", "B11", "B100"]
