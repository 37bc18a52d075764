"""The gateway's API schema must be a superset of the public contract (shared/contract)."""

from __future__ import annotations

from tests.unit.contract.support import (
    API_SCHEMA_PATH,
    contract_path,
    contract_v2_path,
    contract_v2_section,
    find_superset_violations,
)


def test_contract_file_is_found() -> None:
    path = contract_path()
    assert path.is_file(), f"contract not found at {path} (set CARBON_CONTRACT_PATH)"


def test_api_schema_is_superset_of_contract() -> None:
    assert API_SCHEMA_PATH.is_file(), (
        f"{API_SCHEMA_PATH} missing: dump the subgraph SDL (scripts/dump_sdl.py) and run `node gateway/compose.mjs`"
    )
    problems = find_superset_violations(
        contract_path().read_text(encoding="utf-8"),
        API_SCHEMA_PATH.read_text(encoding="utf-8"),
    )
    assert not problems, f"{len(problems)} contract items missing or mismatched:\n" + "\n".join(problems)


def test_api_schema_is_superset_of_contract_v2_forwards() -> None:
    """Version 2's forward and offtake contracts (issue 20), on top of version 1 (which it extends)."""
    assert contract_v2_path().is_file(), f"contract version 2 not found at {contract_v2_path()}"
    section = contract_v2_section("Forward and offtake contracts")
    assert "input OfferForwardInput" in section and "cancelForward" in section
    problems = find_superset_violations(
        contract_path().read_text(encoding="utf-8") + "\n" + section,
        API_SCHEMA_PATH.read_text(encoding="utf-8"),
    )
    assert not problems, f"{len(problems)} contract v2 (forwards) items missing or mismatched:\n" + "\n".join(problems)


# The opening section of version 2 also holds `scalar JSON` (for the webhooks section) and trading's
# DepositFundsInput.idempotencyKey; those join the test with their own features. Issue 13 item 7 covers
# the removal-project part: the ReversalRisk enum and the two project inputs that carry it.
_V2_REMOVAL_PROJECT_DEFINITIONS = ("ReversalRisk", "CreateProjectInput", "SubmitMonitoringReportInput")


def test_api_schema_is_superset_of_contract_v2_removal_projects() -> None:
    """Issue 13 item 7: reversalRisk and projectRemovals are described contract fields. 表 1 Permanent:
    「プロジェクトに可逆性リスクがある場合、…反転（漏洩）が発生した場合に備えた保証メカニズムを導入する必要がある。」"""
    from graphql import parse, print_ast
    from graphql.language import DocumentNode, TypeDefinitionNode, TypeExtensionNode

    section = contract_v2_section("Contract version 2")
    document = parse(section)
    picked = tuple(
        d
        for d in document.definitions
        if isinstance(d, TypeDefinitionNode | TypeExtensionNode) and d.name.value in _V2_REMOVAL_PROJECT_DEFINITIONS
    )
    assert sorted({d.name.value for d in picked}) == sorted(_V2_REMOVAL_PROJECT_DEFINITIONS)
    extension = print_ast(DocumentNode(definitions=picked))
    assert "reversalRisk: ReversalRisk" in extension and "projectRemovals: Decimal" in extension
    problems = find_superset_violations(
        contract_path().read_text(encoding="utf-8") + "\n" + extension,
        API_SCHEMA_PATH.read_text(encoding="utf-8"),
    )
    assert not problems, f"{len(problems)} contract v2 (removal projects) items missing or mismatched:\n" + "\n".join(
        problems
    )
    # Described: each field the contract documents carries a description in the public schema too.
    api = parse(API_SCHEMA_PATH.read_text(encoding="utf-8"))
    described = {
        (d.name.value, f.name.value): f.description is not None
        for d in api.definitions
        if isinstance(d, TypeDefinitionNode) and d.name.value in _V2_REMOVAL_PROJECT_DEFINITIONS
        for f in getattr(d, "fields", None) or ()
    }
    assert described[("CreateProjectInput", "reversalRisk")]
    assert described[("SubmitMonitoringReportInput", "projectRemovals")]
    enum = next(d for d in api.definitions if isinstance(d, TypeDefinitionNode) and d.name.value == "ReversalRisk")
    assert enum.description is not None
