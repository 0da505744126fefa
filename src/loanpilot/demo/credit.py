"""The demo bank's credit set-up: a champion application scorecard fitted on a development sample
from the generator (``demo.development_sample``) and the default credit policy, active. The sample
and the model directory are written beside the demo truth, so a risk officer can refit, score and
report on them with ``loanpilot scorecard``."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from loanpilot.demo.development_sample import development_sample
from loanpilot.risk import modelling, policy_store, registry

SAMPLE_ROWS = 30_000
SAMPLE_FILE = "demo-scorecard-sample.csv"
MODEL_DIR = "demo-scorecard"
POLICY_VERSION = "2026.1"


def install_credit(
    session: Session, *, seed: int, as_of: date, now: datetime, directory: Path
) -> str:
    """Fit, register and promote the demo champion and activate the default policy; returns the
    champion's ``name@version``."""
    features, bad = development_sample(SAMPLE_ROWS, seed=seed, as_of=as_of)
    directory.mkdir(parents=True, exist_ok=True)
    sample = features.assign(bad=bad)
    sample.to_csv(directory / SAMPLE_FILE, index=False, encoding="utf-8")
    data = modelling.Dataset(
        source=SAMPLE_FILE,
        sha256="",
        X=features.astype(object)
        .where(features.notna(), None)
        .set_axis(pd.RangeIndex(2, len(features) + 2, name="row")),
        y=bad,
        target="bad",
        bad_value="1",
    )
    fitted = modelling.fit_dataset(
        data,
        directory / MODEL_DIR,
        name=policy_store.APPLICATION_MODEL,
        version=f"demo-{seed}",
        trained_at=now.isoformat(timespec="seconds"),
    )
    row = registry.register(
        session, fitted.artefact, by_id=None, actor_label="demo", now=now,
        note="demo development sample (generator truth model)", report_html=fitted.report_html,
    )  # fmt: skip
    registry.promote(session, row.id, by_id=None, actor_label="demo", now=now, note="demo champion")
    draft = policy_store.create_draft(
        session, version=POLICY_VERSION, body=policy_store.DEFAULT_BODY, note="demo default policy",
        by_id=None, actor_label="demo", now=now,
    )  # fmt: skip
    policy_store.activate(session, draft.id, by_id=None, actor_label="demo", now=now)
    return row.label
