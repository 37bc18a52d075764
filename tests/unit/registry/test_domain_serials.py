from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbon_runtime.errors import DomainError, ErrorCode
from services.registry.domain.models import Batch, CreditBasis, CreditCategory, CreditType
from services.registry.domain.serials import (
    ParsedSerial,
    format_serial,
    format_serial_range,
    parse_serial,
    parse_serial_for_batch,
    unit_serial,
)

BATCH = Batch(
    id="B000045",
    issuance_id="ISS-1",
    program_id="prog-jcr",
    program_code="JCR",
    host_country="JP",
    project_id="P0000123",
    vintage_start=date(2023, 4, 1),
    vintage_end=date(2024, 3, 31),
    issued_quantity=1000,
    buffer_quantity=0,
    serial_start_unit=1,
    serial_end_unit=1000,
    credit_type=CreditType.REDUCTION,
    basis=CreditBasis.TECHNOLOGY,
    category=CreditCategory.NDC_CONTRIBUTING,
    proponent_organization_id="org-proponent",
)


def parse_outcome(text: object) -> ParsedSerial | DomainError:
    """The parse result or the DomainError; any other exception propagates and fails the test."""
    try:
        return parse_serial(text)
    except DomainError as error:
        return error


GOOD = "JCR-JP-P0000123-2023-B000045-000000000001-000000001000"


def test_format_serial_prints_every_component_with_fixed_width_units() -> None:
    assert format_serial(BATCH, 1, 1000) == GOOD


def test_unit_serial_is_a_range_of_one() -> None:
    assert unit_serial(BATCH, 7) == "JCR-JP-P0000123-2023-B000045-000000000007-000000000007"


def test_serial_range_for_contract_ends_with_start_dash_end() -> None:
    text = format_serial_range(BATCH, 11, 20)
    assert text.endswith("-000000000011-000000000020")
    assert parse_serial(text).quantity == 10


def test_parse_serial_reads_back_all_components() -> None:
    parsed = parse_serial(GOOD)
    assert parsed == ParsedSerial("JCR", "JP", "P0000123", 2023, "B000045", 1, 1000)
    assert parsed.quantity == 1000
    assert parsed.text == GOOD
    assert parsed.belongs_to(BATCH)


def test_format_serial_refuses_units_outside_the_batch() -> None:
    with pytest.raises(DomainError) as error:
        format_serial(BATCH, 0, 10)
    assert error.value.reason == "SERIAL_OUT_OF_BATCH"
    with pytest.raises(DomainError):
        format_serial(BATCH, 10, 9)
    with pytest.raises(DomainError):
        format_serial(BATCH, 1, 1001)


def test_parse_serial_for_batch_refuses_serial_of_another_batch() -> None:
    other = GOOD.replace("B000045", "B000046")
    with pytest.raises(DomainError) as error:
        parse_serial_for_batch(other, BATCH)
    assert error.value.reason == "SERIAL_NOT_IN_BATCH"
    assert parse_serial_for_batch(GOOD, BATCH).batch_id == "B000045"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "components"),
        ("JCR-JP-P0000123-2023-B000045-000000000001", "components"),
        (GOOD + "\n", "end unit"),
        ("jcr-JP-P0000123-2023-B000045-000000000001-000000001000", "program code"),
        ("JCR-XX-P0000123-2023-B000045-000000000001-000000001000", "host country"),
        ("JCR-JP-p0000123-2023-B000045-000000000001-000000001000", "project"),
        ("JCR-JP-P0000123-23-B000045-000000000001-000000001000", "vintage"),
        ("JCR-JP-P0000123-0999-B000045-000000000001-000000001000", "vintage"),
        ("JCR-JP-P0000123-2023--000000000001-000000001000", "batch"),
        ("JCR-JP-P0000123-2023-B000045-1-000000001000", "start unit"),
        ("JCR-JP-P0000123-2023-B000045-00000000000١-000000001000", "start unit"),
        ("JCR-JP-P0000123-2023-B000045-000000000000-000000001000", "start at"),
        ("JCR-JP-P0000123-2023-B000045-000000001001-000000001000", "after end"),
        ("X" * 500, "longer than"),
    ],
)
def test_parse_serial_rejects_malformed_text_with_reason_and_explanation(text: str, fragment: str) -> None:
    with pytest.raises(DomainError) as error:
        parse_serial(text)
    assert error.value.code is ErrorCode.INVALID_ARGUMENT
    assert error.value.reason == "SERIAL_MALFORMED"
    assert fragment in error.value.message


@pytest.mark.parametrize("value", [None, 123, b"JCR", ["JCR"]])
def test_parse_serial_rejects_non_text_as_malformed(value: object) -> None:
    with pytest.raises(DomainError) as error:
        parse_serial(value)
    assert error.value.reason == "SERIAL_MALFORMED"


@settings(max_examples=200)
@given(st.text())
def test_parse_serial_raises_only_domain_error_on_arbitrary_text(text: str) -> None:
    outcome = parse_outcome(text)
    if isinstance(outcome, DomainError):
        assert outcome.reason == "SERIAL_MALFORMED"
    else:
        assert outcome.text == text


_token = st.from_regex(r"[A-Z0-9]{1,32}", fullmatch=True)


@settings(max_examples=100)
@given(
    program=st.from_regex(r"[A-Z][A-Z0-9]{1,9}", fullmatch=True),
    country=st.sampled_from(["JP", "MN", "VN", "ID", "US"]),
    project=_token,
    vintage=st.integers(1000, 9999),
    batch=_token,
    units=st.tuples(st.integers(1, 999_999_999_999), st.integers(0, 10**6)),
)
def test_parse_serial_inverts_canonical_text(
    program: str, country: str, project: str, vintage: int, batch: str, units: tuple[int, int]
) -> None:
    start = units[0]
    end = min(start + units[1], 999_999_999_999)
    parsed = ParsedSerial(program, country, project, vintage, batch, start, end)
    assert parse_serial(parsed.text) == parsed


@settings(max_examples=200)
@given(st.text(alphabet="JCRPB0123456789-ABXYZ\n ١", max_size=80))
def test_parse_serial_near_miss_text_raises_only_domain_error(text: str) -> None:
    outcome = parse_outcome(text)
    if isinstance(outcome, DomainError):
        assert outcome.reason == "SERIAL_MALFORMED"
    else:
        assert outcome.text == text
