"""Alembic glue shared by every service's `migrations/env.py`."""

from __future__ import annotations

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
    from pathlib import Path

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
