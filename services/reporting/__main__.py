"""`python -m services.reporting [serve|migrate|current|history|rebuild]`; `--help` lists the commands
(carbon_runtime/ops/cli.py). `rebuild` wipes the read models and replays every producer's event log
over gRPC."""

from __future__ import annotations

import sys

from carbon_runtime.ops.cli import ServiceCli
from carbon_runtime.ops.cli import main as cli_main


def _database_url() -> str:
    from services.reporting.settings import ReportingSettings

    return ReportingSettings().database_url


def _serve() -> None:
    from services.reporting.bootstrap import bootstrap

    bootstrap().run()


def _rebuild() -> dict[str, int]:
    from services.reporting.bootstrap import rebuild

    return rebuild()


def main(argv: list[str]) -> int:
    return cli_main(ServiceCli("reporting", _database_url, _serve, _rebuild), argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
