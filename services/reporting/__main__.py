"""`python -m services.reporting` serves HTTP + gRPC; `python -m services.reporting migrate` migrates."""

from __future__ import annotations

import sys

from carbon_runtime.migrations import upgrade
from services.reporting.bootstrap import bootstrap
from services.reporting.settings import ReportingSettings


def main(argv: list[str]) -> int:
    if argv[:1] == ["migrate"]:
        upgrade("reporting", ReportingSettings().database_url)
        return 0
    bootstrap().run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
