"""`python -m services.trading` serves HTTP + gRPC; `python -m services.trading migrate` migrates."""

from __future__ import annotations

import sys

from carbon_runtime.persistence.migrations import upgrade
from services.trading.bootstrap import bootstrap
from services.trading.settings import TradingSettings


def main(argv: list[str]) -> int:
    if argv[:1] == ["migrate"]:
        upgrade("trading", TradingSettings().database_url)
        return 0
    bootstrap().run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
