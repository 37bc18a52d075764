"""Autogenerate an Alembic revision for one service: `python scripts/new_migration.py registry "add x"`."""

from __future__ import annotations

import sys

from carbon_runtime.persistence.migrations import autogenerate

if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    autogenerate(sys.argv[1], sys.argv[2])
