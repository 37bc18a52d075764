"""gateway/compose.mjs: composition output, failures, URL overrides and the --check mode."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
COMPOSE = REPO_ROOT / "gateway" / "compose.mjs"

LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\n'
REGISTRY = (
    LINK + 'type Account @key(fields: "id") { id: ID! balance: Int! }\ntype Query { account(id: ID!): Account }\n'
)
TRADING = (
    LINK + 'type Account @key(fields: "id", resolvable: false) { id: ID! }\n'
    "type Order { id: ID! account: Account! }\ntype Query { order(id: ID!): Order }\n"
)


def compose(subgraphs: dict[str, str], tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    subgraphs_dir = tmp_path / "subgraphs"
    subgraphs_dir.mkdir(exist_ok=True)
    for name, sdl in subgraphs.items():
        (subgraphs_dir / f"{name}.graphql").write_text(sdl, encoding="utf-8")
    clean_env = {key: value for key, value in os.environ.items() if not key.startswith("GATEWAY_")}
    return subprocess.run(
        [
            "node",
            str(COMPOSE),
            "--subgraphs-dir",
            str(subgraphs_dir),
            "--out-dir",
            str(tmp_path / "out"),
            *args,
        ],
        env=clean_env | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_compose_writes_supergraph_with_urls_and_public_api_schema(tmp_path: Path) -> None:
    result = compose({"registry": REGISTRY, "trading": TRADING}, tmp_path, GATEWAY_TRADING_URL="http://t:1/graphql")
    assert result.returncode == 0, result.stderr
    supergraph = (tmp_path / "out" / "supergraph.graphql").read_text(encoding="utf-8")
    assert 'join__graph(name: "registry", url: "http://127.0.0.1:8102/graphql")' in supergraph
    assert 'join__graph(name: "trading", url: "http://t:1/graphql")' in supergraph
    api = (tmp_path / "out" / "api-schema.graphql").read_text(encoding="utf-8")
    assert "type Order" in api
    assert "balance: Int!" in api
    assert "join__" not in api
    assert "@key" not in api
    assert "_entities" not in api


def test_compose_fails_and_prints_errors_on_conflicting_subgraphs(tmp_path: Path) -> None:
    conflicting = TRADING.replace("type Order {", "type Account2 { x: Int }\ntype Order {").replace(
        "order(id: ID!): Order", "order(id: ID!): Order account(id: ID!): Int"
    )
    result = compose({"registry": REGISTRY, "trading": conflicting}, tmp_path)
    assert result.returncode == 1
    assert "composition FAILED" in result.stderr
    assert "Query.account" in result.stderr
    assert not (tmp_path / "out").exists()


def test_subgraph_without_default_url_needs_env(tmp_path: Path) -> None:
    result = compose({"registry": REGISTRY, "pricing": TRADING}, tmp_path)
    assert result.returncode == 2
    assert "set GATEWAY_PRICING_URL" in result.stderr
    assert (
        compose({"registry": REGISTRY, "pricing": TRADING}, tmp_path, GATEWAY_PRICING_URL="http://p/g").returncode == 0
    )


def test_empty_subgraphs_dir_is_a_usage_error(tmp_path: Path) -> None:
    result = compose({}, tmp_path)
    assert result.returncode == 2
    assert "no *.graphql subgraph SDL" in result.stderr


@pytest.mark.parametrize("stale_file", ["supergraph.graphql", "api-schema.graphql"])
def test_check_passes_when_fresh_and_fails_when_stale(tmp_path: Path, stale_file: str) -> None:
    subgraphs = {"registry": REGISTRY, "trading": TRADING}
    assert compose(subgraphs, tmp_path).returncode == 0
    assert compose(subgraphs, tmp_path, "--check").returncode == 0
    path = tmp_path / "out" / stale_file
    path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    result = compose(subgraphs, tmp_path, "--check")
    assert result.returncode == 1
    assert f"stale: {path}" in result.stderr


def test_check_fails_when_a_subgraph_changed(tmp_path: Path) -> None:
    assert compose({"registry": REGISTRY, "trading": TRADING}, tmp_path).returncode == 0
    changed = REGISTRY.replace("balance: Int!", "balance: Int! kind: String")
    result = compose({"registry": changed, "trading": TRADING}, tmp_path, "--check")
    assert result.returncode == 1
    assert "stale" in result.stderr
