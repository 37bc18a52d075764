"""The shared vocabulary and the protos name the same members: a new proto value without its Python
twin (or the reverse) fails here, not in production."""

from __future__ import annotations

import enum
import importlib

import pytest

from carbon_runtime.vocabulary import PROTO_ENUMS, proto_prefix


@pytest.mark.parametrize("shared", list(PROTO_ENUMS), ids=lambda e: e.__name__)
def test_shared_enum_matches_its_proto_enum_member_for_member(shared: type[enum.StrEnum]) -> None:
    module_name, enum_name = PROTO_ENUMS[shared]
    proto_enum = getattr(importlib.import_module(module_name), enum_name)
    prefix = proto_prefix(enum_name)
    names = proto_enum.DESCRIPTOR.values_by_name
    proto_members = {name.removeprefix(prefix) for name in names if not name.endswith("_UNSPECIFIED")}
    assert proto_members == {m.value for m in shared}
    assert all(m.name == m.value for m in shared)


def test_proto_prefix_follows_the_style_guide() -> None:
    assert proto_prefix("CreditCategory") == "CREDIT_CATEGORY_"
    assert proto_prefix("Authorization") == "AUTHORIZATION_"
