"""The Chinese text templates of the demo's tickets, resolutions and survey comments."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from loanpilot.demo.after_text_slots import fill, make_slots, manager_title, slot_names
from loanpilot.demo.after_text_surveys import COMMENT_ASPECTS, COMMENTS, comment_texts
from loanpilot.demo.after_text_tickets import (
    CHANNEL_PREFIX,
    CROSS,
    DETAILS,
    RESOLUTIONS,
    VAGUE,
    resolution_texts,
    ticket_texts,
)
from loanpilot.demo.after_text_topics import (
    BODIES,
    GENERIC_SUBJECTS,
    SUBJECTS,
    TICKET_TOPICS,
    TICKET_TYPES,
)

PRODUCTS = ["薪享消费贷", "商业性个人住房贷款", "个人经营贷", "家装分期贷"]
SUBTYPES = ["general_consumer", "commercial_mortgage", "operating", "renovation"]
BRANCHES = ["杭州西湖区支行", "宁波鄞州区支行", "苏州姑苏区支行"]


def _slots(rng: np.random.Generator, n: int) -> dict[str, Any]:
    product = rng.integers(0, len(PRODUCTS), n)
    return make_slots(
        rng,
        product=np.array(PRODUCTS, dtype=object)[product],
        product2=np.array(PRODUCTS, dtype=object)[(product + 1) % len(PRODUCTS)],
        subtype=np.array(SUBTYPES, dtype=object)[product],
        branch=np.array(BRANCHES, dtype=object)[rng.integers(0, len(BRANCHES), n)],
        staff=np.array(["王芳", "欧阳明", None], dtype=object)[rng.integers(0, 3, n)],
        amount_fen=rng.integers(5_000, 5_000_000, n) * 100,
        term_months=rng.choice([12, 24, 36, 360], n),
        rate=rng.uniform(0.03, 0.08, n),
        apr=rng.uniform(0.03, 0.12, n),
        day=np.datetime64("2026-11-29") - rng.integers(0, 700, n).astype("m8[D]"),
        occupation=np.array(["company_employee", "self_employed", "retired"], dtype=object)[
            rng.integers(0, 3, n)
        ],
        income_fen=rng.integers(300_000, 3_000_000, n),
    )


def _tickets(seed: int, n: int = 3000) -> tuple[np.ndarray[Any, Any], ...]:
    rng = np.random.default_rng(seed)
    topic = np.array(list(TICKET_TOPICS), dtype=object)[rng.integers(0, 10, n)]
    ttype = np.array(TICKET_TYPES, dtype=object)[rng.integers(0, 3, n)]
    channel = np.array(list(CHANNEL_PREFIX), dtype=object)[rng.integers(0, 6, n)]
    slots = _slots(rng, n)
    subject, body = ticket_texts(rng, topic, ttype, channel, slots)
    return topic, ttype, subject, body, resolution_texts(rng, topic, slots)


def _all_templates() -> list[str]:
    out: list[str] = []
    for by_type in (SUBJECTS, BODIES):
        for per_type in by_type.values():
            for templates in per_type.values():
                out += templates
    for groups in (GENERIC_SUBJECTS, DETAILS, CROSS, VAGUE, RESOLUTIONS):
        for templates in groups.values():
            out += templates
    for by_aspect in COMMENTS.values():
        for templates in by_aspect.values():
            out += templates
    return out


def test_fill_replaces_each_slot_per_row() -> None:
    slots = {"a": np.array(["甲", "乙"], dtype=object), "b": np.array(["1", "2"], dtype=object)}
    out = fill(["你好{a}，{b}号", "{b}"], np.array([0, 1]), slots)
    assert out.tolist() == ["你好甲，1号", "2"]


def test_manager_title_keeps_compound_surnames_and_falls_back() -> None:
    names = np.array(["王芳", "欧阳明", None, ""], dtype=object)
    assert manager_title(names).tolist() == ["王经理", "欧阳经理", "客户经理", "客户经理"]


def test_every_template_slot_is_provided() -> None:
    provided = set(_slots(np.random.default_rng(0), 3)) | {"fast", "slow"}
    for template in _all_templates():
        assert slot_names(template) <= provided, template


def test_subjects_are_aligned_with_bodies() -> None:
    for topic in TICKET_TOPICS:
        for ttype in TICKET_TYPES:
            assert len(SUBJECTS[topic][ttype]) == len(BODIES[topic][ttype]) > 0


def test_no_slot_left_unfilled() -> None:
    _, _, subject, body, resolution = _tickets(1)
    for text in (*subject, *body, *resolution):
        assert text
        assert "{" not in text
        assert "}" not in text
    assert max(len(s) for s in subject) <= 200


@pytest.mark.parametrize("topic", list(TICKET_TOPICS))
def test_every_topic_yields_varied_texts(topic: str) -> None:
    topics, ttype, subject, body, _ = _tickets(2)
    mine = topics == topic
    assert len(set(body[mine])) >= 0.8 * mine.sum()  # bodies almost never repeat
    assert len(set(subject[mine])) >= 5
    for kind in TICKET_TYPES:
        assert (mine & (ttype == kind)).any()


def test_topics_share_vocabulary() -> None:
    # the topic is recoverable, but not from a single giveaway word
    _, _, _, body, _ = _tickets(3)
    topics = _tickets(3)[0]
    for word in ("利息", "逾期", "客户经理", "手机银行"):
        assert len({t for t, b in zip(topics, body, strict=True) if word in b}) >= 3, word


def test_same_seed_same_texts() -> None:
    first, second = _tickets(4, 200), _tickets(4, 200)
    assert all((a == b).all() for a, b in zip(first, second, strict=True))


def test_comments_follow_sentiment_and_aspect() -> None:
    rng = np.random.default_rng(5)
    n = 600
    sentiment = np.array(list(COMMENTS), dtype=object)[rng.integers(0, 3, n)]
    aspect = np.array(COMMENT_ASPECTS, dtype=object)[rng.integers(0, 4, n)]
    slots = {
        "product": np.full(n, "薪享消费贷", dtype=object),
        "staff": manager_title(np.full(n, "李娜", dtype=object)),
        "fast": np.full(n, "当天", dtype=object),
        "slow": np.full(n, "半个月", dtype=object),
    }
    comments = comment_texts(rng, sentiment, aspect, slots)
    assert all(c and "{" not in c for c in comments)
    praise = set(comments[sentiment == "praise"])
    complaint = set(comments[sentiment == "complaint"])
    assert praise
    assert complaint
    assert not praise & complaint
