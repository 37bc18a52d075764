"""`python -m services.reporting` serves HTTP + gRPC; `... migrate` migrates; `... rebuild` wipes the read
models and replays every producer's event log over gRPC."""

from __future__ import annotations

import json
import sys

from carbon_runtime.persistence.migrations import upgrade
from services.reporting.bootstrap import bootstrap, rebuild
from services.reporting.settings import ReportingSettings


def main(argv: list[str]) -> int:
    if argv[:1] == ["migrate"]:
        upgrade("reporting", ReportingSettings().database_url)
        return 0
    if argv[:1] == ["rebuild"]:
        print(json.dumps({"applied": rebuild()}))
        return 0
    bootstrap().run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
