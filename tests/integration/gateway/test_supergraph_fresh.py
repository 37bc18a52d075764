"""The committed gateway/supergraph.graphql and api-schema.graphql match gateway/subgraphs/*.graphql."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_committed_supergraph_is_fresh_and_composes() -> None:
    # The committed files carry the dev default URLs, so URL overrides must not leak in.
    env = {key: value for key, value in os.environ.items() if not key.startswith("GATEWAY_")}
    result = subprocess.run(
        ["node", "gateway/compose.mjs", "--check"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        "gateway/supergraph.graphql is stale or does not compose; run scripts/dump_sdl.py and "
        f"`node gateway/compose.mjs`, then commit:\n{result.stdout}{result.stderr}"
    )


def test_committed_subgraph_sdl_matches_the_services_code(tmp_path: Path) -> None:
    """The SDL files the supergraph is composed from are what the four services serve today."""
    result = subprocess.run(
        [sys.executable, "scripts/dump_sdl.py", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    stale = [
        sdl.name
        for sdl in sorted(tmp_path.glob("*.graphql"))
        if (REPO_ROOT / "gateway" / "subgraphs" / sdl.name).read_text() != sdl.read_text()
    ]
    assert stale == [], f"re-run `make supergraph` and commit: {stale} changed"
