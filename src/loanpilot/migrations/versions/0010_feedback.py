"""feedback tickets, topics and improvement actions

The history of tickets and actions (feedback_events), the registry of the ticket-topic classifier
(feedback_topic_models), and on the existing tables: the topic's probability, a complaint's
first-response due time and response, the survey response a ticket came from (feedback_tickets);
the source reference, raised/done dates, measured periods, direction and slice of an action's
metric (improvement_actions). New columns are nullable and carry no foreign key, so SQLite adds
them in place.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import loanpilot.db.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_AT = loanpilot.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "feedback_events",
        sa.Column("ticket_id", _ID, nullable=True),
        sa.Column("action_id", _ID, nullable=True),
        sa.Column("at", _AT, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("from_value", sa.String(length=64), nullable=True),
        sa.Column("to_value", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by_staff_id", _ID, nullable=True),
        sa.Column("actor_label", sa.String(length=64), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["improvement_actions.id"],
            name=op.f("fk_feedback_events_action_id_improvement_actions"),
        ),
        sa.ForeignKeyConstraint(
            ["by_staff_id"], ["staff.id"], name=op.f("fk_feedback_events_by_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["feedback_tickets.id"],
            name=op.f("fk_feedback_events_ticket_id_feedback_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_events")),
    )
    with op.batch_alter_table("feedback_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_events_action_id"), ["action_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_events_ticket_id"), ["ticket_id"], unique=False
        )

    op.create_table(
        "feedback_topic_models",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("artefact", _JSON, nullable=False),
        sa.Column("metrics", _JSON, nullable=False),
        sa.Column("n_train", sa.Integer(), nullable=False),
        sa.Column("data_sha256", sa.String(length=64), nullable=False),
        sa.Column("trained_at", _AT, nullable=False),
        sa.Column("trained_by_id", _ID, nullable=True),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["trained_by_id"],
            ["staff.id"],
            name=op.f("fk_feedback_topic_models_trained_by_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_topic_models")),
        sa.UniqueConstraint("version", name=op.f("uq_feedback_topic_models_version")),
    )

    with op.batch_alter_table("feedback_tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("topic_probability", sa.Numeric(precision=6, scale=4), nullable=True)
        )
        batch_op.add_column(sa.Column("first_response_due_at", _AT, nullable=True))
        batch_op.add_column(sa.Column("first_response_at", _AT, nullable=True))
        batch_op.add_column(sa.Column("survey_response_id", _ID, nullable=True))
        batch_op.create_index(
            batch_op.f("ix_feedback_tickets_survey_response_id"),
            ["survey_response_id"],
            unique=True,
        )

    with op.batch_alter_table("improvement_actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_ref", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("raised_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("done_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("baseline_period", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("after_period", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("higher_is_better", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("metric_dimension", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("metric_key", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("improvement_actions", schema=None) as batch_op:
        for name in (
            "metric_key",
            "metric_dimension",
            "higher_is_better",
            "after_period",
            "baseline_period",
            "done_on",
            "raised_on",
            "source_ref",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("feedback_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_tickets_survey_response_id"))
        for name in (
            "survey_response_id",
            "first_response_at",
            "first_response_due_at",
            "topic_probability",
        ):
            batch_op.drop_column(name)
    op.drop_table("feedback_topic_models")
    with op.batch_alter_table("feedback_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_events_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_events_action_id"))
    op.drop_table("feedback_events")
