"""Property-based fuzzing of the parsers that read partner input: registry serial numbers, origin
registry serials in imports, and the contract's Tonnes and Decimal scalars. Whatever the text,
they answer with a value or their documented error (DomainError INVALID_ARGUMENT, SerialError),
never another exception. Derandomized, so a run is repeatable."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import importers.serials as origin
from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.transport.graphql_contract import MAX_TONNES, _parse_tonnes, parse_decimal
from importers.model import OriginRegistry
from services.registry.domain.serials import parse_serial

T = TypeVar("T")
FUZZ = settings(max_examples=400, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALID_SERIAL = "JCREDIT-JP-P0000123-2023-B000001-000000000001-000000000300"
REGISTRY_SERIAL = re.compile(
    r"[A-Z0-9]{1,11}-[A-Z]{1,3}-[A-Z0-9]{0,34}-[0-9]{3,5}-[A-Z0-9]{0,34}-[0-9]{11,13}-[0-9]{11,13}"
)


def _mutations(base: str) -> st.SearchStrategy[str]:
    """A valid text with one span replaced: the inputs most likely to pass early checks."""
    return st.tuples(
        st.integers(0, len(base)), st.integers(0, 8), st.text(alphabet="0123456789-AZaz \x00\u00e9", max_size=6)
    ).map(lambda t: base[: t[0]] + t[2] + base[t[0] + t[1] :])


def _attempt(parse: Callable[..., T], *args: Any) -> T | DomainError:
    """The parsed value, or the DomainError it raised (any other exception propagates: a finding)."""
    try:
        return parse(*args)
    except DomainError as err:
        return err


def _registry_outcome(text: Any) -> None:
    parsed = _attempt(parse_serial, text)
    if isinstance(parsed, DomainError):
        assert parsed.code is ErrorCode.INVALID_ARGUMENT, parsed
        return
    assert parse_serial(parsed.text) == parsed, "a parsed serial prints back to itself"
    assert 1 <= parsed.start_unit <= parsed.end_unit


@FUZZ
@given(st.one_of(st.text(max_size=120), _mutations(VALID_SERIAL), st.from_regex(REGISTRY_SERIAL, fullmatch=True)))
def test_registry_serial_parser_answers_a_serial_or_invalid_argument(text: str) -> None:
    _registry_outcome(text)


@FUZZ
@given(st.one_of(st.none(), st.integers(), st.binary(max_size=20), st.lists(st.text(max_size=3), max_size=3)))
def test_registry_serial_parser_refuses_non_text_as_invalid_argument(value: Any) -> None:
    _registry_outcome(value)


def _origin_texts() -> st.SearchStrategy[str]:
    shapes = [origin._VERRA, origin._GS, origin._CDM, origin._ACR, origin._CAR, origin._ART]
    near_valid = [st.from_regex(pattern, fullmatch=True) for pattern in shapes]
    return st.one_of(st.text(max_size=200), st.text(alphabet="0123456789-VCSUGARTCDM ", max_size=400), *near_valid)


@FUZZ
@given(registry=st.sampled_from(list(OriginRegistry)), text=_origin_texts())
def test_origin_serial_parser_answers_a_serial_or_serial_error(registry: OriginRegistry, text: str) -> None:
    try:
        parsed = origin.parse_serial(registry, text)
    except origin.SerialError:
        return
    assert parsed.quantity >= 1


@FUZZ
@given(
    st.one_of(
        st.integers(min_value=-(2**80), max_value=2**80),
        st.booleans(),
        st.floats(allow_nan=True),
        st.text(max_size=20),
        st.none(),
        st.decimals(allow_nan=True),
    )
)
def test_tonnes_scalar_accepts_only_whole_non_negative_numbers_in_range(value: Any) -> None:
    parsed = _attempt(_parse_tonnes, value)
    if isinstance(parsed, DomainError):
        assert parsed.code is ErrorCode.INVALID_ARGUMENT
        return
    assert isinstance(parsed, int) and not isinstance(parsed, bool) and 0 <= parsed <= MAX_TONNES


@FUZZ
@given(
    st.one_of(
        st.text(max_size=60),
        st.from_regex(r"[-+]?[0-9]{0,30}(\.[0-9]{0,30})?([eE][-+]?[0-9]{1,9})?", fullmatch=True),
        st.sampled_from(["NaN", "sNaN", "-Infinity", "inf", "1e999999999", "0x10", "1_000", "١٢٣", " 1 "]),
    )
)
def test_decimal_scalar_answers_a_finite_decimal_or_invalid_argument(text: str) -> None:
    value = _attempt(parse_decimal, text, "amount")
    if isinstance(value, DomainError):
        assert value.code is ErrorCode.INVALID_ARGUMENT
        return
    assert isinstance(value, Decimal) and value.is_finite()
