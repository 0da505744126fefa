"""service: surveys, SLAs, quality reviews

One invitation per survey and loan, and per survey and ticket: the daily close's survey step may run
again for a day (or be run by hand) without surveying a customer twice about the same loan.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("survey_invitations", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_survey_invitations_survey_id_loan_id"), ["survey_id", "loan_id"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_survey_invitations_survey_id_ticket_id"), ["survey_id", "ticket_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("survey_invitations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_survey_invitations_survey_id_ticket_id"), type_="unique"
        )
        batch_op.drop_constraint(
            batch_op.f("uq_survey_invitations_survey_id_loan_id"), type_="unique"
        )
