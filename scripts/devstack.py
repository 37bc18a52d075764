"""`make dev`: the whole platform on this machine (see tooling/devstack.py)."""

from __future__ import annotations

import sys

from tooling.devstack import run_forever

if __name__ == "__main__":
    sys.exit(run_forever())
