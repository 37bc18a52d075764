"""`python -m services.issuance [serve|migrate|current|history]`; `--help` lists the commands
(carbon_runtime/ops/cli.py)."""

from __future__ import annotations

import sys

from carbon_runtime.ops.cli import ServiceCli
from carbon_runtime.ops.cli import main as cli_main


def _database_url() -> str:
    from services.issuance.settings import IssuanceSettings

    return IssuanceSettings().database_url


def _serve() -> None:
    from services.issuance.bootstrap import bootstrap

    bootstrap().run()


def main(argv: list[str]) -> int:
    return cli_main(ServiceCli("issuance", _database_url, _serve), argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
