"""The ticket-topic model registry: fit a new version on the staff-labelled tickets (with
stratified cross-validation), load the latest, classify a text.

Version N is ``topics@N``; tickets classified by it store that label and the probability. Staff
corrections set ``topic_source='staff'``, so the next fit learns from them. The artefact is JSON
(``analytics.text_topics``), never a pickle; the loaded classifiers are kept per version.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from loanpilot.analytics.text_topics import TopicClassifier, cross_validate
from loanpilot.audit.service import record
from loanpilot.evaluation import repository_feedback as repo
from loanpilot.evaluation.models import TopicModel
from loanpilot.kit.errors import FieldProblem as Problem
from loanpilot.kit.errors import NotFoundError, ValidationError

#: The topic codes with their labels (the demo bank's list; a fitted model may add codes).
TOPIC_LABELS: dict[str, tuple[str, str]] = {
    "rate_fee": ("利率费用", "Rates and fees"),
    "approval_speed": ("审批时效", "Approval speed"),
    "repayment": ("还款扣款", "Repayment and debits"),
    "prepayment": ("提前还款", "Prepayment"),
    "collection": ("催收方式", "Collection conduct"),
    "staff_attitude": ("服务态度", "Staff attitude"),
    "app_experience": ("手机银行体验", "Mobile banking"),
    "product_info": ("产品咨询", "Product information"),
    "privacy": ("个人信息", "Personal information"),
    "credit_report": ("征信异议", "Credit report"),
}
#: The fewest labelled tickets a fit accepts, and the fewest per topic (for the CV folds).
MIN_TEXTS = 20
MIN_PER_TOPIC = 2
#: The classifier's parameters (measured on the demo bank: docs/feedback.md).
PARAMS: dict[str, Any] = {"use_words": True, "char_ngrams": (0, 0), "C": 10.0}

_cache: dict[tuple[int, str], TopicClassifier] = {}
_lock = threading.Lock()


def topic_label(code: str | None, lang: str = "zh") -> str:
    if not code:
        return "—"
    zh, en = TOPIC_LABELS.get(code, (code, code))
    return zh if lang == "zh" else en


def text_of(subject: str, body: str) -> str:
    """What the model reads of a ticket: its subject, then its body."""
    return f"{subject}。{body}"


def model_label(version: int) -> str:
    return f"topics@{version}"


@dataclass(frozen=True)
class Classified:
    topic: str
    probability: float
    version: int
    ranked: tuple[tuple[str, float], ...]  # the three likeliest topics

    @property
    def label(self) -> str:
        return model_label(self.version)


def classifier(row: TopicModel) -> TopicClassifier:
    with _lock:
        key = (row.version, row.data_sha256)  # ids repeat across databases; the data does not
        found = _cache.get(key)
        if found is None:
            found = TopicClassifier.from_dict(row.artefact)
            _cache[key] = found
        return found


def classify(session: Session, text: str) -> Classified | None:
    """The latest model's topic of ``text``; None when no model has been fitted yet."""
    row = repo.latest_topic_model(session)
    if row is None:
        return None
    model = classifier(row)
    proba = model.predict_proba([text])[0]
    order = proba.argsort()[::-1][:3]
    ranked = tuple((str(model.classes_[i]), float(proba[i])) for i in order)
    return Classified(ranked[0][0], ranked[0][1], row.version, ranked)


def known_topics(session: Session) -> list[str]:
    """Topic codes staff may choose: the list above, the latest model's, and those in use."""
    codes = set(TOPIC_LABELS) | set(repo.topics_in_use(session))
    row = repo.latest_topic_model(session)
    if row is not None:
        codes |= set(row.artefact.get("classes", []))
    ordered = [c for c in TOPIC_LABELS if c in codes]
    return ordered + sorted(codes - set(TOPIC_LABELS))


def fit(
    session: Session,
    *,
    now: datetime,
    by_id: int | None = None,
    actor_label: str = "system",
    folds: int = 5,
    seed: int = 0,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> TopicModel:
    """Fit version N+1 on every staff-labelled ticket: ``folds``-fold stratified CV first (its
    accuracy, macro-F1 and confusion are the version's metrics), then the model on all texts."""
    rows = repo.labelled_texts(session)
    texts = [text_of(s, b) for s, b, _ in rows]
    labels = [t for _, _, t in rows]
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    problems: list[Problem] = []
    if len(texts) < MIN_TEXTS:
        problems.append(
            Problem(
                "tickets", f"needs at least {MIN_TEXTS} staff-labelled tickets; found {len(texts)}"
            )
        )
    rare = sorted(t for t, n in counts.items() if n < MIN_PER_TOPIC)
    if rare or len(counts) < 2:
        problems.append(
            Problem(
                "tickets",
                f"needs at least 2 topics with {MIN_PER_TOPIC}+ labelled tickets each; "
                f"too few: {', '.join(rare) or 'only one topic'}",
            )
        )
    if problems:
        raise ValidationError("topics.too_few", "Not enough labelled tickets to fit", problems)

    def fold_done(i: int, k: int) -> None:
        if on_progress is not None:
            on_progress("cv", i, k + 1)

    report = cross_validate(texts, labels, folds=folds, seed=seed, params=PARAMS, on_fold=fold_done)
    model = TopicClassifier(**PARAMS).fit(texts, labels)
    if on_progress is not None:
        on_progress("fit", report.folds + 1, report.folds + 1)
    latest = repo.latest_topic_model(session)
    version = (latest.version if latest else 0) + 1
    metrics = report.as_dict() | {"support": {t: counts[t] for t in report.labels},
                                  "top_terms": model.top_terms(8)}  # fmt: skip
    row = TopicModel(
        version=version,
        artefact=model.to_dict(),
        metrics=metrics,
        n_train=len(texts),
        data_sha256=model.data_sha256_,
        trained_at=now,
        trained_by_id=by_id,
    )
    session.add(row)
    session.flush()
    record(
        session,
        action="feedback.topics.fit",
        actor_label=actor_label,
        actor_staff_id=by_id,
        entity="feedback_topic_model",
        entity_id=str(row.id),
        detail={"version": version, "n": len(texts), "accuracy": round(report.accuracy, 4),
                "macro_f1": round(report.macro_f1, 4)},
        at=now,
    )  # fmt: skip
    return row


def get_model(session: Session, version: int | None = None) -> TopicModel:
    row = (
        repo.latest_topic_model(session) if version is None else repo.topic_model(session, version)
    )
    if row is None:
        what = "no topic model has been fitted yet" if version is None else f"no topics@{version}"
        raise NotFoundError("topics.not_found", what)
    return row


def export(row: TopicModel, out_dir: Path) -> Path:
    """Write ``topics@N.json`` (the artefact and metrics) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"topics@{row.version}.json"
    payload = {"version": row.version, "trained_at": row.trained_at.isoformat(),
               "metrics": row.metrics, "artefact": row.artefact}  # fmt: skip
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
