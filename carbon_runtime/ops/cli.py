"""The command line of every service process: `python -m services.<svc> [COMMAND]`.

    serve      run the HTTP (GraphQL, probes, metrics) and gRPC servers and the background workers
    migrate    upgrade the service's database to the newest migration (Alembic head)
    current    print the revision the database is at; `--check` exits 1 unless it is at head
    history    list the service's migrations, newest first (no database needed)
    rebuild    reporting only: wipe the read models and replay every producer's event log over gRPC

Nothing starts unless the command line is understood: `--help` prints this and exits 0; an unknown
command or argument prints the usage and the error on stderr and exits 2, and opens no port (a typo
in a Kubernetes manifest must not start a second server next to the real one). With no command at
all the process serves, because the dev stack (tooling/devstack.py) and manifests written before the
command line existed start it that way; the images and the Helm chart pass `serve`.

Settings come from the environment only (`<SVC>_DATABASE_URL`, ...), as for the server. Each command
imports what it needs when it runs, so `--help` answers at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

# What `python -m services.<svc>` does without a command. The dev stack still starts servers that way
# (the Dockerfiles' CMD and the Helm chart pass `serve`); once it passes `serve` too, set this to None
# and a bare invocation prints the usage and exits 2 instead.
DEFAULT_COMMAND: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceCli:
    """What one service plugs into the shared command line. Every callable is called only for its
    own command, so `--help` and a typo import no server and read no settings."""

    service: str
    database_url: Callable[[], str]
    serve: Callable[[], None]
    # Reporting only: clear the read models and replay the producers' logs; events applied per producer.
    rebuild: Callable[[], Mapping[str, int]] | None = None


def build_parser(cli: ServiceCli) -> argparse.ArgumentParser:
    svc = cli.service
    parser = argparse.ArgumentParser(
        prog=f"python -m services.{svc}",
        description=f"The {svc} service: its servers and its database migrations.",
        epilog=(f"Without a command: {DEFAULT_COMMAND}." if DEFAULT_COMMAND else "A command is required.")
        + f" Configuration comes from the environment ({svc.upper()}_DATABASE_URL, {svc.upper()}_HTTP_PORT, ...).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=DEFAULT_COMMAND is None)
    commands.add_parser("serve", help="run the HTTP and gRPC servers and the background workers")
    commands.add_parser("migrate", help="upgrade the database to the newest migration (Alembic head)")
    current = commands.add_parser("current", help="print the revision the database is at")
    current.add_argument("--check", action="store_true", help="exit 1 unless the database is at head")
    commands.add_parser("history", help="list the migrations, newest first (no database needed)")
    if cli.rebuild is not None:
        commands.add_parser(
            "rebuild",
            help="wipe the read models and replay every producer's event log over gRPC; prints events applied",
        )
    return parser


def _current(cli: ServiceCli, check: bool) -> int:
    from carbon_runtime.persistence import migrations

    heads = {r.revision for r in migrations.history(cli.service) if r.is_head}
    at = migrations.current(cli.service, cli.database_url())
    if at is None:
        print("no database (the SQLite file does not exist); run `migrate`")
        return 1 if check else 0
    if not at:
        print(f"not migrated (head: {', '.join(sorted(heads))})")
        return 1 if check else 0
    at_head = set(at) == heads
    for revision in at:
        print(f"{revision} (head)" if revision in heads else f"{revision} (head is {', '.join(sorted(heads))})")
    return 0 if at_head or not check else 1


def _history(cli: ServiceCli) -> int:
    from carbon_runtime.persistence import migrations

    for r in migrations.history(cli.service):
        down = ", ".join(r.down_revisions) or "<base>"
        print(f"{down} -> {r.revision}{' (head)' if r.is_head else ''}, {r.message}")
    return 0


def main(cli: ServiceCli, argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the command; argparse exits 2 on anything it does not know."""
    args = build_parser(cli).parse_args(sys.argv[1:] if argv is None else list(argv))
    command = args.command or DEFAULT_COMMAND
    if command == "serve":
        cli.serve()
        return 0
    if command == "migrate":
        from carbon_runtime.persistence import migrations

        migrations.upgrade(cli.service, cli.database_url())
        return 0
    if command == "current":
        return _current(cli, args.check)
    if command == "history":
        return _history(cli)
    if command == "rebuild" and cli.rebuild is not None:
        print(json.dumps({"applied": dict(cli.rebuild())}))
        return 0
    raise AssertionError(f"unhandled command {command!r}")  # the parser only accepts the ones above
