"""Demo step: the audit row recording the demo build itself."""

from __future__ import annotations

import numpy as np

from loanpilot.demo.context import DEMO_AUDIT_ACTION, DemoContext, local_to_utc


def add_audit_row(ctx: DemoContext) -> None:
    """One audit_logs row: the CLI built the demo (customers, seed, as-of date)."""
    ctx.add(
        "audit_logs",
        {
            "id": ctx.next_ids("audit_logs", 1),
            "at": local_to_utc(np.array([ctx.as_of64]), np.array([6.0])),
            "actor_staff_id": np.array([None], dtype=object),
            "actor_label": np.array(["cli"], dtype=object),
            "action": np.array([DEMO_AUDIT_ACTION], dtype=object),
            "entity": np.array(["demo"], dtype=object),
            "entity_id": np.array([None], dtype=object),
            "client_address": np.array([None], dtype=object),
            "detail": [
                {"customers": ctx.n_customers, "seed": ctx.seed, "as_of": ctx.as_of.isoformat()}
            ],
            "outcome": np.array(["ok"], dtype=object),
        },
    )
