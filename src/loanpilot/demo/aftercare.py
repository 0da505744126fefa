"""Demo steps: after-sales service and feedback (feedback tickets, surveys and their answers, stage
SLAs, service-quality reviews, improvement actions), then the team and the market (training,
certificates, mentoring, job rotation, appraisal, competitors, market sizes) and the build's audit row.

This module only orchestrates; each part lives in its own ``after_*`` module:

- ``after_tickets``: feedback tickets (topics: ``after_text_topics.TICKET_TOPICS``);
- ``after_surveys``: surveys, invitations, responses and answers (latent ``SATISFACTION``);
- ``after_quality``: stage SLAs and service-quality reviews;
- ``after_improvements``: improvement actions from complaints and risk alerts;
- ``after_team``: training, certificates, mentor pairs, job rotations;
- ``after_appraisal``: appraisal plans, runs and scores (actuals from the generated data);
- ``after_market``: competitors, their products, market sizes;
- ``after_audit``: the audit row of the build;
- ``after_common`` and the ``after_text_*`` modules: shared helpers and the Chinese texts.

The order of the calls below fixes the random streams: keep it.
"""

from __future__ import annotations

from loanpilot.demo import (
    after_appraisal,
    after_audit,
    after_improvements,
    after_market,
    after_quality,
    after_surveys,
    after_team,
    after_tickets,
)
from loanpilot.demo.after_common import loan_view
from loanpilot.demo.context import DemoContext


def service(ctx: DemoContext) -> None:
    """Feedback tickets, surveys with invitations, responses and answers, SLAs, quality reviews,
    improvement actions."""
    rng = ctx.rng("service")
    loans = loan_view(ctx)
    tickets = after_tickets.add_tickets(ctx, rng, loans)
    after_surveys.add_surveys(ctx, rng, loans, tickets)
    after_quality.add_slas(ctx)
    after_quality.add_quality_reviews(ctx, rng)
    after_improvements.add_improvement_actions(ctx, rng, tickets)


def team_and_market(ctx: DemoContext) -> None:
    """Training, certificates, mentoring, rotation, appraisal; competitors and market sizes; audit."""
    rng = ctx.rng("team_and_market")
    after_team.add_training(ctx, rng)
    after_team.add_people_development(ctx, rng)
    after_appraisal.add_appraisal(ctx, rng)
    after_market.add_market(ctx, rng)
    after_audit.add_audit_row(ctx)
