"""No public name in the composed schema may be hazardous to JavaScript clients (issue 22).

A JavaScript object with a `then` property is taken for a promise: `await`ing it (as the Hive Gateway
does with the variables of a request) calls `value.then`, and an input field named `then` made the
gateway fail with "Unexpected error." while the subgraph alone accepted the same input. `constructor`,
`__proto__` and `prototype` shadow or rewrite an object's prototype chain in the same way. The rule
covers every name a client puts into or reads out of a JavaScript object: fields of object and
interface types, their arguments, input-object fields and directive arguments.
"""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
)

ROOT = Path(__file__).resolve().parents[3]
SUPERGRAPH = ROOT / "gateway" / "supergraph.graphql"

HAZARDOUS_NAMES = frozenset({"then", "constructor", "__proto__", "prototype"})


def hazardous_names(schema: GraphQLSchema) -> list[str]:
    """Every field, argument and input field of the schema named like a JavaScript hazard, as
    `Type.field`, `Type.field(arg:)`, `@directive(arg:)`."""
    offenders: list[str] = []
    for type_name, named_type in sorted(schema.type_map.items()):
        if type_name.startswith("__"):
            continue  # introspection types are GraphQL's own, not ours
        if isinstance(named_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in named_type.fields.items():
                if field_name in HAZARDOUS_NAMES:
                    offenders.append(f"{type_name}.{field_name}")
                offenders.extend(f"{type_name}.{field_name}({arg}:)" for arg in field.args if arg in HAZARDOUS_NAMES)
        elif isinstance(named_type, GraphQLInputObjectType):
            offenders.extend(f"{type_name}.{name}" for name in named_type.fields if name in HAZARDOUS_NAMES)
    for directive in schema.directives:
        offenders.extend(f"@{directive.name}({arg}:)" for arg in directive.args if arg in HAZARDOUS_NAMES)
    return offenders


def test_hazard_rule_finds_fields_arguments_input_fields_and_directive_arguments() -> None:
    schema = build_schema(
        """
        directive @tag(prototype: String) on FIELD_DEFINITION
        interface Node { constructor: String }
        type Query implements Node {
          constructor: String
          ok(then: Int, fine: Int): String
        }
        input StepInput { at: String!, then: String, __proto__x: String }
        type Mutation { step(input: StepInput): String }
        """
    )

    assert hazardous_names(schema) == [
        "Node.constructor",
        "Query.constructor",
        "Query.ok(then:)",
        "StepInput.then",
        "@tag(prototype:)",
    ]


def test_composed_schema_has_no_field_argument_or_input_field_named_like_a_javascript_hazard() -> None:
    schema = build_schema(SUPERGRAPH.read_text(encoding="utf-8"), assume_valid_sdl=True)

    offenders = hazardous_names(schema)

    assert not offenders, (
        "names JavaScript clients (and the Hive Gateway) mistake for promise or prototype machinery: "
        + ", ".join(offenders)
        + f"; rename them (forbidden: {', '.join(sorted(HAZARDOUS_NAMES))})"
    )
