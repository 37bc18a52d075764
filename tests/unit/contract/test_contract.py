"""The gateway's API schema must be a superset of the public contract (shared/contract)."""

from __future__ import annotations

from tests.unit.contract.support import API_SCHEMA_PATH, contract_path, find_superset_violations


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
