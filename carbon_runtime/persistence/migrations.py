"""Alembic glue shared by every service's `migrations/env.py`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import context
from sqlalchemy import MetaData

from carbon_runtime.persistence.db import make_engine


def run_env(target_metadata: MetaData) -> None:
    config: Any = context.config
    url = config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things in place; batch mode rebuilds tables for it.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def migrations_dir(service: str) -> str:
    return str(Path(__file__).resolve().parents[2] / "services" / service / "migrations")


def upgrade(service: str, database_url: str) -> None:
    """`python -m services.<svc> migrate`: bring the service's database to head."""
    from carbon_runtime.persistence.db import run_migrations

    run_migrations(database_url, migrations_dir(service))


def autogenerate(service: str, message: str) -> None:
    """Write a new revision for the service by diffing its tables against a scratch database at head."""
    import tempfile

    from alembic import command
    from alembic.config import Config

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/scratch.db"
        cfg = Config()
        cfg.set_main_option("script_location", migrations_dir(service))
        cfg.set_main_option("sqlalchemy.url", url)
        command.upgrade(cfg, "head")
        command.revision(cfg, message=message, autogenerate=True)


@dataclass(frozen=True, slots=True)
class RevisionInfo:
    """One revision of a service's migrations, newest first in `history`."""

    revision: str
    down_revisions: tuple[str, ...]
    message: str
    is_head: bool


def history(service: str) -> list[RevisionInfo]:
    """`python -m services.<svc> history`: the service's revisions, newest first (no database needed)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(migrations_dir(service))
    heads = set(script.get_heads())
    out: list[RevisionInfo] = []
    for rev in script.walk_revisions():
        down = rev.down_revision
        downs = () if down is None else (down,) if isinstance(down, str) else tuple(down)
        out.append(RevisionInfo(rev.revision, downs, (rev.doc or "").strip(), rev.revision in heads))
    return out


def current(service: str, database_url: str) -> tuple[str, ...] | None:
    """`python -m services.<svc> current`: the revisions the database is at (empty when it was never
    migrated), or None when a SQLite database file does not exist (it is not created by asking)."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.engine import make_url

    from carbon_runtime.persistence.db import is_sqlite, make_engine, normalize_url

    url = normalize_url(database_url)
    if is_sqlite(url):
        path = make_url(url).database
        if path and path != ":memory:" and not Path(path).exists():
            return None
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return tuple(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()
