"""seed programs and methodologies

Revision ID: 8f1d2c3b4a50
Revises: 7263ceee612b
Create Date: 2026-11-29 11:30:00

Inserts the crediting programs and methodologies of services/issuance/domain/reference_data.py.
Later edits are made by PROGRAM_ADMINs through the API, so this runs once and never overwrites.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.issuance.adapters.repository import methodology_values, program_values
from services.issuance.domain.reference_data import METHODOLOGIES, PROGRAMS

revision: str = "8f1d2c3b4a50"
down_revision: str | None = "7263ceee612b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_programs = sa.table(
    "programs",
    sa.column("program_id", sa.String),
    sa.column("name", sa.String),
    sa.column("operator", sa.String),
    sa.column("scope", sa.String),
    sa.column("japanese", sa.Boolean),
    sa.column("icroa_endorsed", sa.Boolean),
    sa.column("corresponding_adjustment_possible", sa.Boolean),
    sa.column("allowed_host_countries", sa.JSON),
    sa.column("buffer_account_id", sa.String),
)
_methodologies = sa.table(
    "methodologies",
    sa.column("methodology_id", sa.String),
    sa.column("program_id", sa.String),
    sa.column("code", sa.String),
    sa.column("title", sa.String),
    sa.column("credit_type", sa.String),
    sa.column("basis", sa.String),
    sa.column("sector", sa.String),
    sa.column("family", sa.String),
    sa.column("exchange_category", sa.String),
)


def upgrade() -> None:
    op.bulk_insert(_programs, [{**program_values(p), "buffer_account_id": None} for p in PROGRAMS])
    op.bulk_insert(_methodologies, [methodology_values(m) for m in METHODOLOGIES])


def downgrade() -> None:
    ids = [m.methodology_id for m in METHODOLOGIES]
    op.execute(_methodologies.delete().where(_methodologies.c.methodology_id.in_(ids)))
    op.execute(_programs.delete().where(_programs.c.program_id.in_([p.program_id for p in PROGRAMS])))
