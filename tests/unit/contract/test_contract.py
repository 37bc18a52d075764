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
