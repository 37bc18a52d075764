"""Checks that a served GraphQL API schema is a superset of the public contract.

Rules (from the header of shared/contract/credit-graph.graphql):
- every type, field, argument, input field, enum value, union member and implemented interface of
  the contract exists in the API schema, with the same kind;
- output field types are the same, except that a nullable position in the contract may be non-null
  in the API (clients that handle null also handle a value);
- argument and input field types are exactly the same (making one non-null would make it required,
  making one nullable changes what the contract promises), and a default value declared by the
  contract is kept;
- the API may add anything, except a *required* argument or input field (non-null without default)
  where the contract has none: contract-conforming clients would not send it.

`find_superset_violations` returns human-readable violations, empty when the API conforms.
`contract_path()` and `API_SCHEMA_PATH` locate the contract and the gateway's composed API schema.
"""

from __future__ import annotations

import os
from pathlib import Path

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLType,
    GraphQLUnionType,
    build_schema,
    print_ast,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
API_SCHEMA_PATH = REPO_ROOT / "gateway" / "api-schema.graphql"


def contract_path() -> Path:
    """`<repo>/../shared/contract/credit-graph.graphql`, or $CARBON_CONTRACT_PATH."""
    override = os.environ.get("CARBON_CONTRACT_PATH")
    if override:
        return Path(override)
    return REPO_ROOT.parent / "shared" / "contract" / "credit-graph.graphql"


def contract_v2_path() -> Path:
    """Version 2 of the contract (additions only), next to version 1."""
    return contract_path().with_name("credit-graph-2.graphql")


_V2_SECTION_RULE = "# " + "-" * 20


def contract_v2_section(heading: str) -> str:
    """One section of credit-graph-2.graphql: from the comment line starting with `heading` up to the
    next section rule. Version 2 joins the superset test section by section, as each is built."""
    lines = contract_v2_path().read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"# {heading}"))
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith(_V2_SECTION_RULE)),
        len(lines),
    )
    return "\n".join(lines[start:end]) + "\n"


_BUILTIN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})


def find_superset_violations(contract: str | GraphQLSchema, api: str | GraphQLSchema) -> list[str]:
    """Everything the contract declares that `api` lacks or serves with an incompatible type."""
    contract_schema = _as_schema(contract)
    api_schema = _as_schema(api)
    problems: list[str] = []
    _check_root_types(contract_schema, api_schema, problems)
    for name, contract_type in sorted(contract_schema.type_map.items()):
        if name.startswith("__") or name in _BUILTIN_SCALARS:
            continue
        api_type = api_schema.type_map.get(name)
        if api_type is None:
            problems.append(f"type {name}: missing ({_kind(contract_type)} in the contract)")
            continue
        if _kind(api_type) != _kind(contract_type):
            problems.append(f"type {name}: is {_kind(api_type)}, the contract declares {_kind(contract_type)}")
            continue
        _check_named_type(contract_type, api_type, problems)
    return problems


def _as_schema(schema: str | GraphQLSchema) -> GraphQLSchema:
    return build_schema(schema) if isinstance(schema, str) else schema


def _kind(named_type: GraphQLNamedType) -> str:
    kinds: list[tuple[type[GraphQLNamedType], str]] = [
        (GraphQLScalarType, "scalar"),
        (GraphQLObjectType, "object type"),
        (GraphQLInterfaceType, "interface"),
        (GraphQLUnionType, "union"),
        (GraphQLEnumType, "enum"),
        (GraphQLInputObjectType, "input type"),
    ]
    for cls, label in kinds:
        if isinstance(named_type, cls):
            return label
    return type(named_type).__name__


def _check_root_types(contract: GraphQLSchema, api: GraphQLSchema, problems: list[str]) -> None:
    roots = {
        "query": (contract.query_type, api.query_type),
        "mutation": (contract.mutation_type, api.mutation_type),
        "subscription": (contract.subscription_type, api.subscription_type),
    }
    for operation, (contract_root, api_root) in roots.items():
        if contract_root is None:
            continue
        if api_root is None:
            problems.append(f"schema: no {operation} root type (the contract's is {contract_root.name})")
        elif api_root.name != contract_root.name:
            problems.append(f"schema: {operation} root type is {api_root.name}, the contract's is {contract_root.name}")


def _check_named_type(contract_type: GraphQLNamedType, api_type: GraphQLNamedType, problems: list[str]) -> None:
    name = contract_type.name
    if isinstance(contract_type, GraphQLObjectType | GraphQLInterfaceType):
        assert isinstance(api_type, GraphQLObjectType | GraphQLInterfaceType)
        api_interfaces = {i.name for i in api_type.interfaces}
        for interface in contract_type.interfaces:
            if interface.name not in api_interfaces:
                problems.append(f"type {name}: does not implement {interface.name}")
        for field_name, contract_field in contract_type.fields.items():
            api_field = api_type.fields.get(field_name)
            if api_field is None:
                problems.append(f"field {name}.{field_name}: missing")
                continue
            _check_field(f"{name}.{field_name}", contract_field, api_field, problems)
    elif isinstance(contract_type, GraphQLInputObjectType):
        assert isinstance(api_type, GraphQLInputObjectType)
        _check_inputs("input field", name, contract_type.fields, api_type.fields, problems)
    elif isinstance(contract_type, GraphQLEnumType):
        assert isinstance(api_type, GraphQLEnumType)
        for value_name in contract_type.values:
            if value_name not in api_type.values:
                problems.append(f"enum value {name}.{value_name}: missing")
    elif isinstance(contract_type, GraphQLUnionType):
        assert isinstance(api_type, GraphQLUnionType)
        api_members = {t.name for t in api_type.types}
        for member in contract_type.types:
            if member.name not in api_members:
                problems.append(f"union {name}: member {member.name} missing")
    # Scalars: existing with the same kind is all that can be checked from SDL.


def _check_field(path: str, contract_field: GraphQLField, api_field: GraphQLField, problems: list[str]) -> None:
    if not _output_compatible(contract_field.type, api_field.type):
        problems.append(f"field {path}: type is {api_field.type}, the contract declares {contract_field.type}")
    _check_inputs("argument", path, contract_field.args, api_field.args, problems)


def _check_inputs(
    label: str,
    owner: str,
    contract_inputs: dict[str, GraphQLArgument] | dict[str, GraphQLInputField],
    api_inputs: dict[str, GraphQLArgument] | dict[str, GraphQLInputField],
    problems: list[str],
) -> None:
    """Arguments of one field (label "argument") or fields of one input type: names, types, defaults."""

    def where(input_name: str) -> str:
        return f"{label} {owner}({input_name})" if label == "argument" else f"{label} {owner}.{input_name}"

    for input_name, contract_input in contract_inputs.items():
        api_input = api_inputs.get(input_name)
        if api_input is None:
            problems.append(f"{where(input_name)}: missing")
            continue
        if not _same_type(contract_input.type, api_input.type):
            problems.append(
                f"{where(input_name)}: type is {api_input.type}, the contract declares {contract_input.type}"
            )
            continue
        contract_default = _default_literal(contract_input)
        api_default = _default_literal(api_input)
        if contract_default is not None and api_default != contract_default:
            problems.append(
                f"{where(input_name)}: default is {api_default or 'absent'}, the contract declares {contract_default}"
            )
    for input_name, api_input in api_inputs.items():
        if input_name not in contract_inputs and _is_required(api_input):
            problems.append(
                f"{where(input_name)}: added as required ({api_input.type} without default); "
                "contract clients do not send it"
            )


def _default_literal(value: GraphQLArgument | GraphQLInputField) -> str | None:
    """The default as written in SDL (normalized through the AST), or None when there is none."""
    node = value.ast_node
    if node is not None and node.default_value is not None:
        return print_ast(node.default_value)
    return None


def _is_required(value: GraphQLArgument | GraphQLInputField) -> bool:
    return isinstance(value.type, GraphQLNonNull) and _default_literal(value) is None


def _same_type(contract_type: GraphQLType, api_type: GraphQLType) -> bool:
    if isinstance(contract_type, GraphQLNonNull):
        return isinstance(api_type, GraphQLNonNull) and _same_type(contract_type.of_type, api_type.of_type)
    if isinstance(contract_type, GraphQLList):
        return isinstance(api_type, GraphQLList) and _same_type(contract_type.of_type, api_type.of_type)
    return _same_named_type(contract_type, api_type)


def _same_named_type(contract_type: GraphQLType, api_type: GraphQLType) -> bool:
    return (
        isinstance(contract_type, GraphQLNamedType)
        and isinstance(api_type, GraphQLNamedType)
        and api_type.name == contract_type.name
    )


def _output_compatible(contract_type: GraphQLType, api_type: GraphQLType) -> bool:
    """API output type is the contract's, possibly with nullable positions made non-null."""
    if isinstance(contract_type, GraphQLNonNull):
        return isinstance(api_type, GraphQLNonNull) and _output_compatible(contract_type.of_type, api_type.of_type)
    if isinstance(api_type, GraphQLNonNull):
        return _output_compatible(contract_type, api_type.of_type)
    if isinstance(contract_type, GraphQLList):
        return isinstance(api_type, GraphQLList) and _output_compatible(contract_type.of_type, api_type.of_type)
    return _same_named_type(contract_type, api_type)
