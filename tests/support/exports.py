"""Fixtures for the importer tests: the shared real registry exports and writable copies of them.

tests/unit/importers/conftest.py and tests/integration/importers/conftest.py register them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def exports_root() -> Path:
    override = os.environ.get("CARBON_REGISTRY_EXPORTS")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "data" / "registry-exports"


@pytest.fixture(scope="session")
def exports_dir() -> Path:
    root = exports_root()
    if not (root / "verra" / "transactions.csv").is_file():
        pytest.fail(f"registry exports not found at {root}; set CARBON_REGISTRY_EXPORTS")
    return root


@pytest.fixture
def exports_copy(exports_dir: Path, tmp_path: Path) -> Path:
    """A writable copy (the shared files are read-only and must never be edited)."""
    target = tmp_path / "exports"
    for source in exports_dir.rglob("*.csv"):
        destination = target / source.relative_to(exports_dir)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
    return target
