"""the KPI suite: targets; snapshot values may be empty and carry their slice's label

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import loanpilot.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kpi_targets",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("dimension", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("target", sa.Numeric(precision=24, scale=8), nullable=False),
        sa.Column("set_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", loanpilot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["staff.id"], name=op.f("fk_kpi_targets_set_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_targets")),
        sa.UniqueConstraint(
            "code",
            "period",
            "dimension",
            "key",
            name=op.f("uq_kpi_targets_code_period_dimension_key"),
        ),
    )
    with op.batch_alter_table("kpi_targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kpi_targets_period"), ["period"], unique=False)
    with op.batch_alter_table("kpi_snapshots", schema=None) as batch_op:
        batch_op.alter_column(
            "value", existing_type=sa.Numeric(precision=24, scale=8), nullable=True
        )
        batch_op.add_column(sa.Column("label", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kpi_snapshots", schema=None) as batch_op:
        batch_op.drop_column("label")
    op.execute("DELETE FROM kpi_snapshots WHERE value IS NULL")
    with op.batch_alter_table("kpi_snapshots", schema=None) as batch_op:
        batch_op.alter_column(
            "value", existing_type=sa.Numeric(precision=24, scale=8), nullable=False
        )
    with op.batch_alter_table("kpi_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kpi_targets_period"))
    op.drop_table("kpi_targets")
