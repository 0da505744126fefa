"""The demo bank in memory as the steps before ``demo.campaign_arms`` leave it, whether or not
``demo build`` already runs that step (shared by the campaign-arms and campaign-results tests)."""

from __future__ import annotations

from datetime import date

from loanpilot.demo import builder
from loanpilot.demo.campaign_arms import campaign_arms
from loanpilot.demo.context import DemoContext
from loanpilot.demo.truth import DemoTruth
from loanpilot.kit.crypto import FieldCipher

KEY = bytes(range(64))


def generate_before_arms(n: int, seed: int, as_of: date) -> DemoContext:
    ctx = DemoContext(
        seed=seed,
        as_of=as_of,
        n_customers=n,
        cipher=FieldCipher(KEY),
        truth=DemoTruth(seed=seed, as_of=as_of.isoformat(), customers=n),
    )
    for _, step in builder._steps():
        if step is not campaign_arms:
            step(ctx)
    return ctx
