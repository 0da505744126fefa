"""appraisal: ratings and runs

Plans gain their previous version and author; runs their period, who ran them, the grouping rule
and the rules applied; scores their comparable group and branch at the run; score lines where
their actual came from and whether it was missing. Managers' ratings of the qualitative indicators
get their own table (one per period, staff member and indicator code).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import loanpilot.db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("appraisal_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("created_by_id", _ID, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_appraisal_plans_previous_id_appraisal_plans"),
            "appraisal_plans",
            ["previous_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_appraisal_plans_created_by_id_staff"),
            "staff",
            ["created_by_id"],
            ["id"],
        )
    with op.batch_alter_table("appraisal_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("period", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("run_by_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("group_rule", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("rules", _JSON, nullable=True))
        batch_op.create_index(batch_op.f("ix_appraisal_runs_period"), ["period"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_appraisal_runs_run_by_id_staff"), "staff", ["run_by_id"], ["id"]
        )
    with op.batch_alter_table("appraisal_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_key", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("branch_id", _ID, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_appraisal_scores_branch_id_branches"), "branches", ["branch_id"], ["id"]
        )
    with op.batch_alter_table("appraisal_score_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("missing", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "appraisal_ratings",
        sa.Column("plan_id", _ID, nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("staff_id", _ID, nullable=False),
        sa.Column("indicator_code", sa.String(length=32), nullable=False),
        sa.Column("rating", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column("rated_by_id", _ID, nullable=False),
        sa.Column("rated_at", loanpilot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["appraisal_plans.id"],
            name=op.f("fk_appraisal_ratings_plan_id_appraisal_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["rated_by_id"], ["staff.id"], name=op.f("fk_appraisal_ratings_rated_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_appraisal_ratings_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_ratings")),
        sa.UniqueConstraint(
            "period",
            "staff_id",
            "indicator_code",
            name=op.f("uq_appraisal_ratings_period_staff_id_indicator_code"),
        ),
    )
    with op.batch_alter_table("appraisal_ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appraisal_ratings_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_appraisal_ratings_staff_id"), ["staff_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("appraisal_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_ratings_staff_id"))
        batch_op.drop_index(batch_op.f("ix_appraisal_ratings_plan_id"))
    op.drop_table("appraisal_ratings")
    with op.batch_alter_table("appraisal_score_lines", schema=None) as batch_op:
        batch_op.drop_column("missing")
        batch_op.drop_column("source")
    with op.batch_alter_table("appraisal_scores", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_appraisal_scores_branch_id_branches"), type_="foreignkey"
        )
        batch_op.drop_column("branch_id")
        batch_op.drop_column("group_key")
    with op.batch_alter_table("appraisal_runs", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_appraisal_runs_run_by_id_staff"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_appraisal_runs_period"))
        batch_op.drop_column("rules")
        batch_op.drop_column("group_rule")
        batch_op.drop_column("run_by_id")
        batch_op.drop_column("period")
    with op.batch_alter_table("appraisal_plans", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_appraisal_plans_created_by_id_staff"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_appraisal_plans_previous_id_appraisal_plans"), type_="foreignkey"
        )
        batch_op.drop_column("created_by_id")
        batch_op.drop_column("previous_id")
