"""The superset comparator itself, proven on small inline SDLs."""

from __future__ import annotations

import pytest

from tests.unit.contract.support import contract_path, find_superset_violations

CONTRACT = """
scalar Tonnes
enum Side { BUY SELL }
interface Node { id: ID! }
type Account implements Node { id: ID! balance: Tonnes! note: String tags: [String] }
type Order implements Node { id: ID! side: Side! }
union Thing = Account | Order
input PlaceInput { side: Side! quantity: Tonnes! memo: String kind: Side = BUY }
type Query {
  account(id: ID!): Account
  trades(instrumentId: ID!, limit: Int = 100): [Order!]!
  thing: Thing
}
type Mutation { place(input: PlaceInput!): Order! }
"""


def violations(api: str) -> list[str]:
    return find_superset_violations(CONTRACT, api)


def test_identical_schema_is_a_superset() -> None:
    assert violations(CONTRACT) == []


def test_additions_that_clients_never_see_are_allowed() -> None:
    api = (
        CONTRACT.replace("enum Side { BUY SELL }", "enum Side { BUY SELL CROSS }")
        .replace("note: String tags", "note: String extra: Int tags")
        .replace("memo: String kind", "memo: String venue: String priority: Int! = 1 kind")
        .replace("limit: Int = 100)", "limit: Int = 100, after: ID)")
        + "type Extra { x: Int }\n"
    )
    assert violations(api) == []


def test_output_may_become_non_null_at_any_depth() -> None:
    api = CONTRACT.replace("note: String tags: [String]", "note: String! tags: [String!]!").replace(
        "account(id: ID!): Account", "account(id: ID!): Account!"
    )
    assert violations(api) == []


def test_output_may_not_become_nullable() -> None:
    api = CONTRACT.replace("balance: Tonnes!", "balance: Tonnes")
    assert violations(api) == ["field Account.balance: type is Tonnes, the contract declares Tonnes!"]


def test_output_list_and_named_type_must_match() -> None:
    api = CONTRACT.replace("tags: [String]", "tags: String").replace("side: Side! }", "side: String! }")
    assert violations(api) == [
        "field Account.tags: type is String, the contract declares [String]",
        "field Order.side: type is String!, the contract declares Side!",
    ]


def test_missing_type_field_enum_value_and_union_member_are_reported() -> None:
    api = (
        CONTRACT.replace("enum Side { BUY SELL }", "enum Side { BUY }")
        .replace(" note: String", "")
        .replace("union Thing = Account | Order", "union Thing = Account")
        .replace("scalar Tonnes", "scalar Tonnes\nscalar Unused")
    )
    assert violations(api) == [
        "field Account.note: missing",
        "enum value Side.SELL: missing",
        "union Thing: member Order missing",
    ]


def test_missing_scalar_and_kind_change_are_reported() -> None:
    api = CONTRACT.replace("scalar Tonnes", "enum Tonnes { T }").replace(
        "interface Node { id: ID! }", "interface Node { id: ID! }\nscalar Extra"
    )
    assert violations(api) == ["type Tonnes: is enum, the contract declares scalar"]
    without_scalar = "scalar Other\n" + CONTRACT.replace("scalar Tonnes", "").replace("Tonnes", "Other")
    assert "type Tonnes: missing (scalar in the contract)" in violations(without_scalar)


def test_interface_implementation_must_be_kept() -> None:
    api = CONTRACT.replace("type Account implements Node", "type Account")
    assert violations(api) == ["type Account: does not implement Node"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("memo: String kind", "memo: String! kind"),
            "input field PlaceInput.memo: type is String!, the contract declares String",
        ),
        (
            ("side: Side! quantity", "side: Side quantity"),
            "input field PlaceInput.side: type is Side, the contract declares Side!",
        ),
        (
            ("memo: String kind", "kind"),
            "input field PlaceInput.memo: missing",
        ),
        (
            ("kind: Side = BUY", "kind: Side = SELL"),
            "input field PlaceInput.kind: default is SELL, the contract declares BUY",
        ),
        (
            ("kind: Side = BUY", "kind: Side"),
            "input field PlaceInput.kind: default is absent, the contract declares BUY",
        ),
        (
            ("memo: String kind", "memo: String venue: String! kind"),
            "input field PlaceInput.venue: added as required (String! without default); "
            "contract clients do not send it",
        ),
    ],
)
def test_input_fields_keep_type_and_default_and_gain_nothing_required(change: tuple[str, str], expected: str) -> None:
    assert violations(CONTRACT.replace(*change)) == [expected]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("limit: Int = 100", "limit: Int! = 100"),
            "argument Query.trades(limit): type is Int!, the contract declares Int",
        ),
        (
            ("limit: Int = 100", "limit: Int = 50"),
            "argument Query.trades(limit): default is 50, the contract declares 100",
        ),
        (
            ("trades(instrumentId: ID!, limit: Int = 100)", "trades(limit: Int = 100)"),
            "argument Query.trades(instrumentId): missing",
        ),
        (
            ("account(id: ID!)", "account(id: ID!, asOf: String!)"),
            "argument Query.account(asOf): added as required (String! without default); "
            "contract clients do not send it",
        ),
    ],
)
def test_arguments_keep_type_and_default_and_gain_nothing_required(change: tuple[str, str], expected: str) -> None:
    assert violations(CONTRACT.replace(*change)) == [expected]


def test_missing_mutation_root_and_renamed_root_are_reported() -> None:
    no_mutation = CONTRACT.replace("type Mutation { place(input: PlaceInput!): Order! }", "")
    assert violations(no_mutation) == [
        "schema: no mutation root type (the contract's is Mutation)",
        "type Mutation: missing (object type in the contract)",
    ]
    renamed = CONTRACT.replace("type Query {", "schema { query: Root mutation: Mutation }\ntype Root {")
    assert "schema: query root type is Root, the contract's is Query" in violations(renamed)


def test_real_contract_against_itself_has_no_violations() -> None:
    sdl = contract_path().read_text(encoding="utf-8")
    assert find_superset_violations(sdl, sdl) == []
