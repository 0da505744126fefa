"""generated work plans: as-of date, status, chapters, summary figures and sources

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("work_plan_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("as_of", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="done", nullable=False)
        )
        batch_op.add_column(sa.Column("chapters", _json(), nullable=True))
        batch_op.add_column(sa.Column("summary", _json(), nullable=True))
        batch_op.add_column(sa.Column("sources", _json(), nullable=True))
        batch_op.add_column(sa.Column("duration_ms", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("work_plan_reports", schema=None) as batch_op:
        batch_op.drop_column("duration_ms")
        batch_op.drop_column("sources")
        batch_op.drop_column("summary")
        batch_op.drop_column("chapters")
        batch_op.drop_column("status")
        batch_op.drop_column("as_of")
