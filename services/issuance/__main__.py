"""`python -m services.issuance` serves HTTP + gRPC; `python -m services.issuance migrate` migrates."""

from __future__ import annotations

import sys

from carbon_runtime.persistence.migrations import upgrade
from services.issuance.bootstrap import bootstrap
from services.issuance.settings import IssuanceSettings


def main(argv: list[str]) -> int:
    if argv[:1] == ["migrate"]:
        upgrade("issuance", IssuanceSettings().database_url)
        return 0
    bootstrap().run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
