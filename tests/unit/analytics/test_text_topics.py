"""The ticket-topic estimator: parameter checks, a tiny corpus where the topic is obvious, the
JSON artefact's round trip (identical probabilities), cross-validation figures, and no noise on
stdout from jieba."""

from __future__ import annotations

import json

import numpy as np
import pytest

from loanpilot.analytics.text_topics import TopicClassifier, cross_validate, tokens

CORPUS = [
    ("催收电话每天打好几次，还打到我单位", "collection"),
    ("催收人员态度恶劣，半夜打电话催收", "collection"),
    ("已经还清了还在催收，短信不停", "collection"),
    ("催收短信发到我家人那里了", "collection"),
    ("提前还款要收违约金，不合理", "prepayment"),
    ("想提前还款，怎么预约提前还款", "prepayment"),
    ("提前还款以后月供没有变化", "prepayment"),
    ("部分提前还款需要什么手续", "prepayment"),
    ("手机银行申请贷款一直闪退", "app_experience"),
    ("手机银行人脸识别总是失败", "app_experience"),
    ("手机银行页面字太小，找不到贷款入口", "app_experience"),
    ("手机银行登录后贷款页面打不开", "app_experience"),
]
TEXTS = [t for t, _ in CORPUS]
LABELS = [y for _, y in CORPUS]


def test_parameters_are_checked_by_name() -> None:
    for params, name in (
        ({"C": 0}, "C"),
        ({"C": True}, "C"),
        ({"min_df": 0}, "min_df"),
        ({"char_ngrams": (3, 2)}, "char_ngrams"),
        ({"char_ngrams": (1, 9)}, "char_ngrams"),
        ({"class_weight": "auto"}, "class_weight"),
        ({"max_iter": 0}, "max_iter"),
        ({"use_words": False, "char_ngrams": (0, 0)}, "use_words"),
    ):
        with pytest.raises(ValueError, match=f"^{name} must be"):
            TopicClassifier(**params).fit(TEXTS, LABELS)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 2 topics"):
        TopicClassifier().fit(TEXTS[:3], LABELS[:3])
    with pytest.raises(ValueError, match="differ in length"):
        TopicClassifier().fit(TEXTS, LABELS[:-1])
    with pytest.raises(ValueError, match="not fitted"):
        TopicClassifier().predict(["x"])


def test_words_come_from_jieba_without_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    found = tokens("提前还款违约金3000元！", use_words=True, char_ngrams=(0, 0))
    assert "w:提前" in found
    assert "w:还款" in found
    assert found == ["w:提前", "w:还款", "w:违约金", "w:元"]  # numbers and punctuation dropped
    chars = tokens("催收电话", use_words=False, char_ngrams=(2, 2))
    assert chars == ["c:催收", "c:收电", "c:电话"]
    assert capsys.readouterr().out == ""  # jieba's loading messages never reach stdout


def test_obvious_topics_are_found() -> None:
    model = TopicClassifier().fit(TEXTS, LABELS)
    assert list(model.classes_) == ["app_experience", "collection", "prepayment"]
    new = ["又接到催收电话了", "提前还款违约金太高", "手机银行又闪退"]
    assert list(model.predict(new)) == ["collection", "prepayment", "app_experience"]
    proba = model.predict_proba(new)
    assert proba.shape == (3, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (proba.max(axis=1) > 0.5).all()
    assert "w:催收" in model.top_terms(3)["collection"]


def test_the_json_artefact_reloads_to_identical_predictions() -> None:
    for params in ({}, {"char_ngrams": (1, 2)}, {"use_words": False, "char_ngrams": (2, 3)}):
        model = TopicClassifier(**params).fit(TEXTS, LABELS)  # type: ignore[arg-type]
        text = json.dumps(model.to_dict(), ensure_ascii=False)
        again = TopicClassifier.from_dict(json.loads(text))
        probe = [*TEXTS, "完全无关的一句话", ""]
        assert np.array_equal(model.predict_proba(probe), again.predict_proba(probe))
        assert again.data_sha256_ == model.data_sha256_
    with pytest.raises(ValueError, match=r"not a loanpilot\.text_topics"):
        TopicClassifier.from_dict({"format": "pickle"})


def test_two_topics_work_as_a_softmax_of_two() -> None:
    model = TopicClassifier().fit(TEXTS[:8], LABELS[:8])
    assert model.coef_.shape[0] == 2
    assert list(model.predict(["催收电话太多"])) == ["collection"]


def test_cross_validation_reports_accuracy_f1_and_confusion() -> None:
    report = cross_validate(TEXTS, LABELS, folds=4, seed=1)
    assert report.folds == 4
    assert report.n == 12
    assert report.labels == ("app_experience", "collection", "prepayment")
    assert sum(map(sum, report.confusion)) == 12
    assert report.accuracy >= 0.75
    assert 0 <= report.macro_f1 <= 1
    assert cross_validate(TEXTS, LABELS, folds=10).folds == 4  # lowered to the smallest topic
    with pytest.raises(ValueError, match="folds must be"):
        cross_validate(TEXTS, LABELS, folds=1)
