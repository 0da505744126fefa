"""Round trips, refusals and the data hash of ``analytics.scorecard_artefact``."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from loanpilot.analytics.binning import NumericBinner
from loanpilot.analytics.binning_categorical import CategoricalBinner
from loanpilot.analytics.scorecard import Scorecard
from loanpilot.analytics.scorecard_artefact import (
    FORMAT,
    FORMAT_VERSION,
    ArtefactError,
    content_sha256,
    data_sha256,
    from_artefact,
    load,
    save,
    to_artefact,
)

GERMAN = Path("/work/shared/data/german_credit.csv")
MANUAL: dict[str, Any] = {
    "age": [25.0, 35.5, 60.0],
    "job": [["owner", "it"], ["clerk", "pilot"], ["farmer", "artist", "monk"]],
}
JOBS = ("clerk", "owner", "it", "farmer", "pilot", "artist", "monk")
JOB_P = (0.40, 0.25, 0.20, 0.09, 0.03, 0.02, 0.01)
JOB_RISK = {"clerk": 0.0, "owner": -0.6, "it": -0.3, "farmer": 0.7, "pilot": -0.2}


def synthetic(seed: int = 0, n: int = 3000) -> tuple[pd.DataFrame, np.ndarray]:
    """Ages (5 % missing), incomes, jobs (rare ones, 3 % missing), a region and pure noise."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 71, n).astype(float)
    income = np.round(rng.lognormal(9.0, 0.5, n), -2)
    job = rng.choice(np.array(JOBS, dtype=object), n, p=JOB_P)
    region = rng.choice(np.array(["north", "south", "east", "west"], dtype=object), n)
    logit = (
        -1.2
        - 0.04 * (age - 40)
        - 0.9 * (np.log(income) - 9.0)
        + np.array([JOB_RISK.get(j, 0.3) for j in job])
        + 0.4 * (region == "west")
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    age[rng.random(n) < 0.05] = np.nan
    job[rng.random(n) < 0.03] = None
    noise = rng.normal(size=n).round(3)
    frame = pd.DataFrame(
        {"age": age, "income": income, "job": job, "region": region, "noise": noise}
    )
    return frame, y


@functools.cache
def fitted() -> Scorecard:
    frame, y = synthetic()
    return Scorecard(manual_bins=MANUAL).fit(frame.assign(empty=np.nan), y)


def artefact(**kw: Any) -> dict[str, Any]:
    frame, y = synthetic()
    args: dict[str, Any] = {
        "name": "retail-pd",
        "version": "3",
        "trained_at": "2026-11-29T12:00:00+08:00",
        "data_hash": data_sha256(frame, y),
        "target": "default_flag",
        "bad_value": "Y",
        "metrics": {"auc": 0.75, "ks": 0.4},
        "metadata": {"source": "demo bank", "rows_used": 3000},
    }
    return to_artefact(fitted(), **{**args, **kw})


def scoring_rows() -> pd.DataFrame:
    """Training rows plus the awkward ones: missing, unseen, out of range, exact edges, text."""
    frame, _ = synthetic()
    odd = pd.DataFrame(
        {
            "age": [np.nan, 25.0, 35.5, 60.0, -5.0, 200.0, 17.999],
            "income": [1e9, -1.0, np.nan, 0.0, 5000.0, 2300.0, 1e-9],
            "job": ["astronaut", None, "monk", "", "clerk", "it", "owner"],
            "region": ["south", "north", None, "mars", "west", "east", "west"],
            "noise": 0.0,
        }
    )
    return pd.concat([frame, odd], ignore_index=True)


def same_scores(a: Scorecard, b: Scorecard) -> None:
    """Scores, PDs, grades, points, bins and reasons bit for bit equal."""
    rows = scoring_rows()
    ra, rb = a.card_.score(rows), b.card_.score(rows)
    assert ra.score.tobytes() == rb.score.tobytes()
    assert ra.points.tobytes() == rb.points.tobytes()
    assert ra.bins.tobytes() == rb.bins.tobytes()
    assert (ra.missing_counts, ra.unseen_counts, ra.out_of_range_counts) == (
        rb.missing_counts,
        rb.unseen_counts,
        rb.out_of_range_counts,
    )
    assert a.predict_proba(rows).tobytes() == b.predict_proba(rows).tobytes()
    assert a.grade(rows).tolist() == b.grade(rows).tolist()
    reasons_a, reasons_b = a.card_.reasons(ra), b.card_.reasons(rb)
    assert reasons_a.variables.tolist() == reasons_b.variables.tolist()
    assert reasons_a.lost.tobytes() == reasons_b.lost.tobytes()
    for i in (0, 5, len(rows) - 1):
        row = {name: rows[name].iloc[i] for name in a.variables_}
        assert a.score(row).tobytes() == b.score(row).tobytes()


def rehash(data: dict[str, Any]) -> dict[str, Any]:
    data["content_sha256"] = content_sha256(data)
    return data


# ============================================================================ layout


def test_artefact_layout() -> None:
    art = artefact()
    sc = fitted()
    assert art["format"] == FORMAT == "loanpilot.scorecard"
    assert art["format_version"] == FORMAT_VERSION == 1
    assert art["model"] == {"name": "retail-pd", "version": "3"}
    frame, y = synthetic()
    training = art["training"]
    assert training["rows"] == 3000
    assert training["bads"] == int(y.sum())
    assert (training["target"], training["bad_value"]) == ("default_flag", "Y")
    assert training["data_sha256"] == data_sha256(frame, y)
    assert training["trained_at"] == "2026-11-29T12:00:00+08:00"
    assert training["metadata"]["source"] == "demo bank"
    assert art["selected"] == list(sc.variables_)
    assert art["regression"] == {"intercept": sc.intercept_, "coef": sc.coef_}
    assert art["dropped"]["empty"] == "all missing"
    assert "noise" in art["dropped"]
    assert art["warnings"] == sc.warnings_
    assert art["metrics"] == {"auc": 0.75, "ks": 0.4}
    assert set(art["variables"]) == set(sc.binners_)
    assert art["kinds"]["job"] == "categorical"
    assert art["kinds"]["age"] == "numeric"
    assert art["content_sha256"] == content_sha256(art)
    assert len(art["content_sha256"]) == 64


def test_artefact_is_strict_json() -> None:
    text = json.dumps(artefact(), allow_nan=False)  # no NaN / Infinity tokens
    assert json.loads(text) == artefact()


def test_artefact_needs_a_fitted_card_and_a_name_and_version() -> None:
    with pytest.raises(ValueError, match="not fitted"):
        to_artefact(Scorecard(), name="m", version="1", trained_at="t", data_hash="h")
    with pytest.raises(ValueError, match="non-empty name and version"):
        artefact(name=" ")
    with pytest.raises(ValueError, match="non-empty name and version"):
        artefact(version="")


@pytest.mark.parametrize("key", ["rows", "bads", "data_sha256", "target"])
def test_metadata_cannot_overwrite_the_training_record(key: str) -> None:
    honest = artefact()["training"]
    refusal: ValueError | None = None
    try:
        art = artefact(metadata={key: "forged"})
    except ValueError as exc:  # refusing the key by name is fine
        refusal = exc
    if refusal is not None:
        assert key in str(refusal)
    else:  # or keeping the true value
        assert art["training"][key] == honest[key]


# ============================================================================ round trips


def test_json_round_trip_scores_bit_for_bit() -> None:
    art = artefact()
    loaded = from_artefact(json.loads(json.dumps(art)))
    same_scores(fitted(), loaded)


def test_save_and_load_round_trip_scores_bit_for_bit(tmp_path: Path) -> None:
    art = artefact()
    path = tmp_path / "card.json"
    save(art, path)
    assert not (tmp_path / "card.json.tmp").exists()
    loaded, raw = load(path)
    assert raw == art
    same_scores(fitted(), loaded)
    # saving again over the same file works (atomic replace) and loads the same
    save(art, path)
    again, _ = load(path)
    same_scores(loaded, again)


def test_loaded_card_keeps_its_fitted_state() -> None:
    sc = fitted()
    loaded = from_artefact(json.loads(json.dumps(artefact())))
    assert loaded.variables_ == sc.variables_
    assert loaded.coef_ == sc.coef_
    assert loaded.intercept_ == sc.intercept_
    assert loaded.kinds_ == sc.kinds_
    assert loaded.ranges_ == sc.ranges_
    assert loaded.iv_ == sc.iv_
    assert loaded.dropped_ == sc.dropped_
    assert loaded.warnings_ == sc.warnings_
    assert (loaded.n_rows_, loaded.n_bad_) == (sc.n_rows_, sc.n_bad_)
    assert loaded.grades_ == sc.grades_
    assert loaded.get_params() == sc.get_params()
    for name, b in sc.binners_.items():
        assert loaded.binners_[name].to_dict() == b.to_dict()
    assert loaded.card_.to_dict() == sc.card_.to_dict()
    # the WoE transform of the binners survives too
    frame, _ = synthetic()
    pd.testing.assert_frame_equal(loaded.woe_frame(frame), sc.woe_frame(frame))


def test_reexported_artefact_has_the_same_content_hash() -> None:
    art = artefact()
    loaded = from_artefact(json.loads(json.dumps(art)))
    frame, y = synthetic()
    again = to_artefact(
        loaded,
        name="retail-pd",
        version="3",
        trained_at="2026-11-29T12:00:00+08:00",
        data_hash=data_sha256(frame, y),
        target="default_flag",
        bad_value="Y",
        metrics={"auc": 0.75, "ks": 0.4},
        metadata={"source": "demo bank", "rows_used": 3000},
    )
    assert again == art
    assert again["content_sha256"] == art["content_sha256"]


def test_manual_bins_are_kept_through_the_artefact(tmp_path: Path) -> None:
    art = artefact()
    assert art["params"]["manual_bins"] == MANUAL
    assert art["variables"]["age"]["edges"] == MANUAL["age"]
    assert art["variables"]["age"]["manual"] is True
    assert art["variables"]["job"]["groups"] == MANUAL["job"]
    assert art["variables"]["job"]["manual"] is True
    assert art["variables"]["income"]["manual"] is False
    save(art, tmp_path / "m.json")
    loaded, _ = load(tmp_path / "m.json")
    age, job = loaded.binners_["age"], loaded.binners_["job"]
    assert isinstance(age, NumericBinner)
    assert isinstance(job, CategoricalBinner)
    assert age.manual_
    assert job.manual_
    assert age.edges_.tolist() == MANUAL["age"]
    assert job.groups_ == MANUAL["job"]
    age_var = loaded.card_.variables[loaded.variables_.index("age")]
    assert age_var.edges.tolist() == MANUAL["age"]  # type: ignore[union-attr]
    # refitting with the parameters of the artefact reproduces the card exactly
    frame, y = synthetic()
    refit = Scorecard(**loaded.get_params()).fit(frame.assign(empty=np.nan), y)
    same_scores(refit, loaded)


def test_chinese_names_and_categories_round_trip(tmp_path: Path) -> None:
    frame, y = synthetic()
    jobs = {"clerk": "职员", "owner": "个体户", "it": "程序员", "farmer": "农民"}
    cn = pd.DataFrame(
        {
            "年龄": frame["age"],
            "职业": frame["job"].map(lambda j: None if j is None else jobs.get(j, "其他")),
        }
    )
    sc = Scorecard().fit(cn, y)
    assert sc.variables_ == ("年龄", "职业")
    art = to_artefact(sc, name="个贷评分卡", version="1", trained_at="t", data_hash="h")
    save(art, tmp_path / "卡.json")
    assert "职员" in (tmp_path / "卡.json").read_text(encoding="utf-8")  # readable, not \u escapes
    loaded, _ = load(tmp_path / "卡.json")
    assert loaded.score(cn).tobytes() == sc.score(cn).tobytes()
    assert loaded.score({"年龄": 30.0, "职业": "农民"}) == sc.score({"年龄": 30.0, "职业": "农民"})


def test_manual_bins_given_as_numpy_arrays_make_a_json_artefact() -> None:
    frame, y = synthetic()
    manual: dict[str, Any] = {
        "age": np.array([25.0, 35.5, 60.0]),
        "income": [np.int64(5000), np.int64(9000)],
    }
    sc = Scorecard(manual_bins=manual).fit(frame, y)
    art = to_artefact(sc, name="m", version="1", trained_at="t", data_hash="h")
    loaded = from_artefact(json.loads(json.dumps(art)))
    assert loaded.binners_["age"].to_dict()["edges"] == [25.0, 35.5, 60.0]
    same_scores(sc, loaded)


# ============================================================================ refusals


def test_newer_format_version_is_refused_naming_both_versions() -> None:
    art = artefact()
    art["format_version"] = FORMAT_VERSION + 1
    with pytest.raises(ArtefactError, match=r"format_version 2 is newer than .*\(1\)"):
        from_artefact(art)
    rehash(art)  # a correct hash does not make a newer artefact readable
    with pytest.raises(ArtefactError, match="format_version 2 is newer"):
        from_artefact(art)


@pytest.mark.parametrize("version", [0, -1, "1", 1.0, None])
def test_format_version_must_be_a_positive_integer(version: Any) -> None:
    art = rehash({**artefact(), "format_version": version})
    with pytest.raises(ArtefactError, match="format_version must be a positive integer"):
        from_artefact(art)


@pytest.mark.parametrize("name", ["loanpilot.compiled_scorecard", "optbinning", None])
def test_wrong_format_name_is_refused(name: Any) -> None:
    art = rehash({**artefact(), "format": name})
    with pytest.raises(ArtefactError, match="not a LoanPilot scorecard artefact"):
        from_artefact(art)
    no_format = artefact()
    del no_format["format"]
    with pytest.raises(ArtefactError, match="format is None"):
        from_artefact(no_format)


def _points(art: dict[str, Any]) -> None:
    art["card"]["variables"][0]["points"][0] += 1.0


def _missing_points(art: dict[str, Any]) -> None:
    art["card"]["variables"][0]["missing_points"] = 0.0


def _woe(art: dict[str, Any]) -> None:
    art["variables"]["age"]["woe"][1] *= 1.0000001


def _coef(art: dict[str, Any]) -> None:
    art["regression"]["coef"]["age"] = -0.1


def _grade(art: dict[str, Any]) -> None:
    art["grades"][0]["min_score"] = 0.0


def _offset(art: dict[str, Any]) -> None:
    art["card"]["offset"] = 500.0


def _hash_removed(art: dict[str, Any]) -> None:
    del art["content_sha256"]


def _added_key(art: dict[str, Any]) -> None:
    art["note"] = "approved"


@pytest.mark.parametrize(
    "tamper",
    [_points, _missing_points, _woe, _coef, _grade, _offset, _hash_removed, _added_key],
)
def test_tampered_artefact_is_refused(tamper: Any, tmp_path: Path) -> None:
    art = copy.deepcopy(artefact())
    tamper(art)
    with pytest.raises(ArtefactError, match="content does not match its hash"):
        from_artefact(art)
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(art), encoding="utf-8")
    with pytest.raises(ArtefactError, match=rf"^{path}: artefact content does not match its hash"):
        load(path)


def test_hash_ignores_key_order_and_whitespace(tmp_path: Path) -> None:
    art = artefact()
    shuffled = dict(reversed(list(art.items())))
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(shuffled, indent=4, sort_keys=False), encoding="utf-8")
    loaded, _ = load(path)
    same_scores(fitted(), loaded)


@pytest.mark.parametrize("key", ["params", "variables", "kinds", "regression", "card", "grades"])
def test_missing_key_is_refused_as_malformed(key: str) -> None:
    art = copy.deepcopy(artefact())
    del art[key]
    rehash(art)
    with pytest.raises(ArtefactError, match="incomplete or malformed"):
        from_artefact(art)


def _drop_card_points(art: dict[str, Any]) -> None:
    del art["card"]["variables"][0]["points"]


def _shorten_woe(art: dict[str, Any]) -> None:
    art["variables"]["age"]["woe"].pop()


def _variables_as_list(art: dict[str, Any]) -> None:
    art["variables"] = list(art["variables"].values())


def _bad_edges(art: dict[str, Any]) -> None:
    art["card"]["variables"][0]["edges"] = [3.0, 1.0]


@pytest.mark.parametrize(
    "damage", [_drop_card_points, _shorten_woe, _variables_as_list, _bad_edges]
)
def test_malformed_nested_content_is_an_artefact_error(damage: Any, tmp_path: Path) -> None:
    art = copy.deepcopy(artefact())
    damage(art)
    rehash(art)
    with pytest.raises(ArtefactError):
        from_artefact(art)
    path = tmp_path / "damaged.json"
    path.write_text(json.dumps(art), encoding="utf-8")
    with pytest.raises(ArtefactError, match=str(path)):
        load(path)


def test_card_and_selected_must_agree() -> None:
    art = copy.deepcopy(artefact())
    art["selected"] = list(reversed(art["selected"]))
    rehash(art)
    with pytest.raises(ArtefactError, match="the card's variables differ from 'selected'"):
        from_artefact(art)


def test_unknown_variable_kind_is_refused() -> None:
    art = copy.deepcopy(artefact())
    art["kinds"]["age"] = "ordinal"
    rehash(art)
    with pytest.raises(
        ArtefactError, match="kind must be 'numeric' or 'categorical'; got 'ordinal'"
    ):
        from_artefact(art)


# ============================================================================ files


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "card.json"
    with pytest.raises(ArtefactError, match=rf"^{path}: no such artefact file"):
        load(path)


@pytest.mark.parametrize(
    "content",
    [b"not json at all", b'{"format": "loanpilot.scorecard",', b"", b"\xff\xfe\x00garbage"],
    ids=["text", "truncated", "empty", "binary"],
)
def test_non_json_file_names_the_file(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    path.write_bytes(content)
    with pytest.raises(ArtefactError, match=rf"^{path}: not valid JSON"):
        load(path)


@pytest.mark.parametrize("content", ["[1, 2]", '"card"', "null", "3"])
def test_json_that_is_not_an_object_names_the_file(content: str, tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ArtefactError, match=rf"^{path}: an artefact is a JSON object"):
        load(path)


def test_newer_version_on_disk_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "future.json"
    save(rehash({**artefact(), "format_version": 7}), path)
    with pytest.raises(ArtefactError, match=rf"^{path}: artefact format_version 7 is newer"):
        load(path)


def test_artefact_error_is_a_value_error() -> None:
    assert issubclass(ArtefactError, ValueError)


# ============================================================================ data hash


def test_data_hash_is_stable_and_64_hex_digits() -> None:
    frame, y = synthetic()
    digest = data_sha256(frame, y)
    assert digest == data_sha256(frame.copy(), y.copy())
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    frame2, y2 = synthetic()
    assert data_sha256(frame2, y2) == digest  # same generator, same data


def test_data_hash_changes_with_the_data() -> None:
    frame, y = synthetic()
    digest = data_sha256(frame, y)
    income = frame["income"].to_numpy().copy()
    income[17] += 100.0
    one_value = frame.assign(income=income)
    y_flipped = y.copy()
    y_flipped[3] = 1 - y_flipped[3]
    one_missing = frame.copy()
    one_missing.loc[4, "job"] = None
    renamed = frame.rename(columns={"income": "salary"})
    digests = {
        digest,
        data_sha256(one_value, y),
        data_sha256(frame, y_flipped),
        data_sha256(one_missing, y),
        data_sha256(renamed, y),
        data_sha256(frame.iloc[::-1].reset_index(drop=True), y[::-1]),  # row order
        data_sha256(frame.drop(columns="noise"), y),
        data_sha256(frame.head(2999), y[:2999]),
    }
    assert len(digests) == 8


def test_data_hash_missing_is_not_the_text_nan_or_empty() -> None:
    y = [0, 1, 0]
    missing = data_sha256(pd.DataFrame({"a": ["x", None, "z"]}), y)
    assert missing != data_sha256(pd.DataFrame({"a": ["x", "nan", "z"]}), y)
    assert missing != data_sha256(pd.DataFrame({"a": ["x", "", "z"]}), y)
    assert missing != data_sha256(pd.DataFrame({"a": ["x", "None", "z"]}), y)


def test_data_hash_does_not_depend_on_how_missing_or_text_is_stored() -> None:
    y = np.array([0, 1, 0, 1])
    values = ["a", "b", None, "d"]
    digest = data_sha256(pd.DataFrame({"c": pd.Series(values, dtype=object)}), y)
    assert data_sha256(pd.DataFrame({"c": pd.Series(values)}), y) == digest  # pandas' text dtype
    with_nan = pd.Series(["a", "b", np.nan, "d"], dtype=object)
    assert data_sha256(pd.DataFrame({"c": with_nan}), y) == digest
    floats = pd.DataFrame({"v": [1.5, np.nan, 2.5, 3.0]})
    nullable = pd.DataFrame({"v": pd.array([1.5, None, 2.5, 3.0], dtype="Float64")})
    assert data_sha256(floats, y) == data_sha256(nullable, y)


def test_data_hash_does_not_depend_on_the_dtype_of_y() -> None:
    frame, y = synthetic()
    digest = data_sha256(frame, y)
    assert data_sha256(frame, y.astype(float)) == digest
    assert data_sha256(frame, y.astype(bool)) == digest
    assert data_sha256(frame, y.tolist()) == digest
    assert data_sha256(frame, pd.Series(y, index=frame.index + 10)) == digest


# Decision: the data hash identifies the training data as the bank handed it over, not the
# dtypes a CSV reader happened to infer. The module docstring promises exactly that ("does not
# depend ... on the dtype a reader inferred"), and the fitted card cannot tell them apart either
# (``column_kind`` reads numeric text as numbers, so both give the same card). So the integers
# 1, 2, 3 and the texts "1", "2", "3" must hash the same; reading the same CSV with and without
# ``dtype=str`` must give the same hash. (Floats are another matter: 1.0 and "1" are different
# spellings in the file and may hash differently.)
def test_data_hash_same_for_integers_read_as_int64_or_as_text() -> None:
    y = [0, 1, 0]
    ints = pd.DataFrame({"n": pd.Series([1, 2, 30], dtype="int64"), "c": ["a", "b", "c"]})
    text = pd.DataFrame({"n": pd.Series(["1", "2", "30"], dtype=object), "c": ["a", "b", "c"]})
    assert data_sha256(ints, y) == data_sha256(text, y)
    # and both give the same card
    frame, yy = synthetic()
    as_int = frame[["age"]].fillna(40).astype("int64")
    as_text = as_int.astype(str)
    card_int = Scorecard().fit(as_int, yy)
    card_text = Scorecard().fit(as_text, yy)
    assert card_int.score(as_int).tobytes() == card_text.score(as_text).tobytes()


@pytest.mark.skipif(not GERMAN.exists(), reason="German Credit CSV not available")
def test_data_hash_of_german_credit_read_with_and_without_dtype_inference() -> None:
    inferred = pd.read_csv(GERMAN)
    as_text = pd.read_csv(GERMAN, dtype=str)
    y = (inferred["creditability"] == "bad").to_numpy().astype(int)
    assert (inferred.dtypes == "int64").sum() >= 5
    assert data_sha256(inferred, y) == data_sha256(as_text, y)


@pytest.mark.skipif(not GERMAN.exists(), reason="German Credit CSV not available")
def test_german_credit_artefact_round_trip(tmp_path: Path) -> None:
    df = pd.read_csv(GERMAN)
    y = (df.pop("creditability") == "bad").to_numpy().astype(np.int64)
    sc = Scorecard().fit(df, y)
    art = to_artefact(
        sc,
        name="german",
        version="1",
        trained_at="2026-11-29",
        data_hash=data_sha256(df, y),
        target="creditability",
        bad_value="bad",
    )
    save(art, tmp_path / "german.json")
    loaded, raw = load(tmp_path / "german.json")
    assert raw["training"]["data_sha256"] == data_sha256(
        pd.read_csv(GERMAN).drop(columns=["creditability"]), y
    )
    assert loaded.score(df).tobytes() == sc.score(df).tobytes()
    assert loaded.grade(df).tolist() == sc.grade(df).tolist()
    row = {str(k): v for k, v in df.iloc[7].items()}
    assert loaded.score(row).tobytes() == sc.score(row).tobytes()
