"""`python -m services.registry` serves HTTP + gRPC; `python -m services.registry migrate` migrates."""

from __future__ import annotations

import sys

from carbon_runtime.persistence.migrations import upgrade
from services.registry.bootstrap import bootstrap
from services.registry.settings import RegistrySettings


def main(argv: list[str]) -> int:
    if argv[:1] == ["migrate"]:
        upgrade("registry", RegistrySettings().database_url)
        return 0
    bootstrap().run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
