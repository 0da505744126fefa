"""Segmentation service (客群细分): the band edges (defaults from ``customers.rules`` until edited;
edits audited), building a rule run and a cluster run, and the lookups other areas use.

Each build is a new version of its kind in ``segment_runs``; the previous run of that kind stops
being current but is kept, so a campaign that stored its run keeps meaning the same customers.
Every customer's segment is written in bulk; each segment gets a profile
(``customers.segment_profiles``) and a generated zh/en name and description
(``customers.segment_rules``). Services only flush; the entry point commits.

Cluster runs use ``analytics.segmentation.SegmentClusterer`` on the behaviour and bureau features of
``customers.features.marketing_frame`` (``CLUSTER_NUMERIC``, money amounts log-scaled, and the
occupation and preferred channel as categories); ``k="auto"`` picks the number of clusters in
``CLUSTER_K_RANGE`` by the silhouette of a fixed-seed sample, each cluster holding at least
``CLUSTER_MIN_SHARE`` of customers. The fitted model is kept in the run's ``params["model"]``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from loanpilot.analytics.segmentation import SegmentClusterer
from loanpilot.audit.service import record
from loanpilot.customers import repository_segments as repo
from loanpilot.customers import segment_rules as sr
from loanpilot.customers.features import marketing_frame
from loanpilot.customers.models import Occupation
from loanpilot.customers.models_segments import (
    BandDimension,
    RunStatus,
    Segment,
    SegmentBand,
    SegmentKind,
    SegmentRun,
)
from loanpilot.customers.rules import AGE_BAND_EDGES, INCOME_BAND_EDGES_FEN
from loanpilot.customers.segment_profiles import profiles
from loanpilot.kit.errors import ConflictError, FieldProblem, NotFoundError, ValidationError

CLUSTER_NUMERIC: tuple[str, ...] = (
    "age", "monthly_income_yuan", "tenure_months", "bureau_score", "inquiries_6m",
    "delinquent_accounts", "total_debt_yuan", "deposit_balance_yuan", "wealth_balance_yuan",
    "card_limit_yuan", "card_utilisation", "card_spend_monthly_yuan", "open_loans",
    "loan_balance_yuan", "responses_365d", "owns_home", "has_provident_fund", "salary_account",
)  # fmt: skip
CLUSTER_LOG: tuple[str, ...] = (
    "monthly_income_yuan", "total_debt_yuan", "deposit_balance_yuan", "wealth_balance_yuan",
    "card_limit_yuan", "card_spend_monthly_yuan", "loan_balance_yuan",
)  # fmt: skip
CLUSTER_CATEGORICAL: tuple[str, ...] = ("occupation", "preferred_channel")
CLUSTER_K_RANGE = (4, 8)
CLUSTER_MIN_SHARE = 0.03
CLUSTER_SEED = 0
KINDS = ("rules", "clusters", "all")

Progress = Callable[[str], None]


# --- bands ---------------------------------------------------------------------------------------


def _band(row: SegmentBand) -> sr.Band:
    return sr.Band(row.code, row.lower, row.upper, row.label_zh, row.label_en)


def band_table(session: Session) -> dict[str, list[sr.Band]]:
    """The bands of each dimension: as stored, or the defaults of ``customers.rules`` when none
    are stored (read-only: nothing is written)."""
    stored: dict[str, list[sr.Band]] = {d: [] for d in sr.DIMENSIONS}
    for row in repo.bands(session):
        stored[row.dimension.value].append(_band(row))
    defaults = sr.default_bands(AGE_BAND_EDGES, INCOME_BAND_EDGES_FEN)
    return {d: stored[d] or defaults[d] for d in sr.DIMENSIONS}


def _store(session: Session, dimension: str, bands: Sequence[sr.Band]) -> None:
    rows = [SegmentBand(code=b.code, lower=b.lower, upper=b.upper, label_zh=b.label_zh,
                        label_en=b.label_en) for b in bands]  # fmt: skip
    repo.replace_bands(session, BandDimension(dimension), rows)


def ensure_bands(session: Session) -> dict[str, list[sr.Band]]:
    """The bands, storing the defaults of a dimension that has none (flushes)."""
    stored = {row.dimension.value for row in repo.bands(session)}
    table = band_table(session)
    for dimension in sr.DIMENSIONS:
        if dimension not in stored:
            _store(session, dimension, table[dimension])
    return table


def save_bands(
    session: Session,
    data: Mapping[str, Sequence[Mapping[str, object]]],
    *,
    now: datetime,
    staff_id: int | None = None,
    actor_label: str = "system",
) -> dict[str, list[sr.Band]]:
    """Replace the bands of the dimensions in ``data`` (``{"age": [rows], "income": [rows]}``).
    Every problem of every dimension is collected, then one ``ValidationError`` lists them all;
    nothing is written unless both are valid. Audited with the new edges."""
    problems: list[FieldProblem] = []
    unknown = [d for d in data if d not in sr.DIMENSIONS]
    problems += [sr.problem(d, "required") for d in unknown]
    valid: dict[str, list[sr.Band]] = {}
    for dimension in sr.DIMENSIONS:
        if dimension in data:
            try:
                valid[dimension] = sr.validate_bands(dimension, data[dimension])
            except ValidationError as exc:
                problems += exc.problems
    if problems or not valid:
        raise ValidationError("segment_bands.invalid", "The bands are not valid", problems)
    ensure_bands(session)
    for dimension, bands in valid.items():
        _store(session, dimension, bands)
    record(session, action="segment_bands.update", actor_label=actor_label, actor_staff_id=staff_id,
           entity="segment_bands", entity_id=",".join(valid),
           detail={d: [[b.code, None if b.lower is None else str(b.lower),
                        None if b.upper is None else str(b.upper)] for b in bands]
                   for d, bands in valid.items()}, at=now)  # fmt: skip
    return band_table(session)


# --- building ------------------------------------------------------------------------------------


def _parse_k(k: int | str) -> int | str:
    if k == "auto":
        return "auto"
    try:
        value = int(k)
    except (TypeError, ValueError):
        value = 0
    if not 2 <= value <= 20:
        raise ValidationError("segments.invalid", "Invalid segmentation request",
                              [FieldProblem("k", f"must be 'auto' or a whole number from 2 to 20; got {k!r}")])  # fmt: skip
    return value


def build_segments(
    session: Session,
    *,
    as_of: date,
    now: datetime,
    kind: str = "all",
    k: int | str = "auto",
    staff_id: int | None = None,
    actor_label: str = "system",
    progress: Progress | None = None,
) -> list[SegmentRun]:
    """Build the rule run, the cluster run or both (``kind``) on the customers as of ``as_of``;
    each becomes the current run of its kind. Returns the new runs (rules first)."""
    if kind not in KINDS:
        raise ValidationError("segments.invalid", "Invalid segmentation request",
                              [FieldProblem("kind", f"must be one of {list(KINDS)}; got {kind!r}")])  # fmt: skip
    k_value = _parse_k(k)
    step = progress or (lambda _name: None)
    bands = ensure_bands(session)
    step("features")
    frame = marketing_frame(session, as_of)
    if frame.empty:
        raise ConflictError("segments.no_customers", "There are no customers to segment")
    activity = {
        "responses": repo.responses(session, as_of), "decisions": repo.decisions(session, as_of),
        "uptake": repo.product_uptake(session, as_of), "products": repo.products(session),
    }  # fmt: skip
    step("activity")
    built: list[SegmentRun] = []
    who: dict[str, Any] = {"now": now, "staff_id": staff_id, "actor_label": actor_label}
    if kind in ("rules", "all"):
        built.append(_rules_run(session, frame, activity, bands, as_of=as_of, **who))
        step("rules")
    if kind in ("clusters", "all"):
        built.append(_clusters_run(session, frame, activity, bands, as_of=as_of, k=k_value, **who))
        step("clusters")
    return built


def _profiles(frame: pd.DataFrame, codes: pd.Series, activity: dict[str, pd.DataFrame],
              bands: dict[str, list[sr.Band]]) -> dict[str, dict[str, Any]]:  # fmt: skip
    return profiles(frame, codes, responses=activity["responses"], decisions=activity["decisions"],
                    uptake=activity["uptake"], products=activity["products"], age_bands=bands["age"])  # fmt: skip


def _rules_run(session: Session, frame: pd.DataFrame, activity: dict[str, pd.DataFrame],
               bands: dict[str, list[sr.Band]], *, as_of: date, now: datetime,
               staff_id: int | None, actor_label: str) -> SegmentRun:  # fmt: skip
    started = time.perf_counter()
    age_i = sr.assign_bands(frame["age"].to_numpy(dtype=float), bands["age"])
    income_i = sr.assign_bands(frame["monthly_income_yuan"].to_numpy(dtype=float), bands["income"])
    codes = sr.rule_codes(age_i, frame["occupation"].to_numpy(dtype=object), income_i,
                          bands["age"], bands["income"], [o.value for o in Occupation])  # fmt: skip
    series = pd.Series(codes, index=frame.index)
    found = _profiles(frame, series, activity, bands)
    age = {b.code: b for b in bands["age"]}
    income = {b.code: b for b in bands["income"]}
    segments = []
    for code, profile in found.items():
        a, o, i = code.split(".")
        profile["bands"] = {"age": a, "occupation": o, "income": i}
        zh, en = sr.rule_segment_name(code, age, income)
        intro_zh = "、".join(x for x in (
            f"年龄{sr.band_text(age[a], '岁', 'years', 'zh')}" if a in age else "",
            f"月收入{sr.band_text(income[i], '', '', 'zh', money=True)}" if i in income else "")
            if x)  # fmt: skip
        intro_en = ", ".join(x for x in (
            f"aged {sr.band_text(age[a], '岁', 'years', 'en')}" if a in age else "",
            f"monthly income {sr.band_text(income[i], '', '', 'en', money=True)}" if i in income else "")
            if x)  # fmt: skip
        segments.append(_segment(code, zh, en, profile, intro_zh, intro_en))
    params = {"bands": {d: [[b.code, None if b.lower is None else str(b.lower),
                             None if b.upper is None else str(b.upper)] for b in bs]
                        for d, bs in bands.items()},
              "dimensions": ["age", "occupation", "income"]}  # fmt: skip
    return _write_run(session, SegmentKind.RULES, series, segments, params, started,
                      as_of=as_of, now=now, staff_id=staff_id, actor_label=actor_label)  # fmt: skip


def _clusters_run(session: Session, frame: pd.DataFrame, activity: dict[str, pd.DataFrame],
                  bands: dict[str, list[sr.Band]], *, as_of: date, k: int | str, now: datetime,
                  staff_id: int | None, actor_label: str) -> SegmentRun:  # fmt: skip
    started = time.perf_counter()
    if len(frame) < 50:
        raise ConflictError("segments.too_few_customers",
                            f"Clustering needs at least 50 customers; there are {len(frame)}")  # fmt: skip
    numeric = [
        c for c in CLUSTER_NUMERIC if frame[c].notna().any()
    ]  # none of a source yet: left out
    logged = [c for c in CLUSTER_LOG if c in numeric]
    model = SegmentClusterer(numeric=numeric, categorical=CLUSTER_CATEGORICAL,
                             log_features=logged, k=k, k_range=CLUSTER_K_RANGE,
                             min_share=CLUSTER_MIN_SHARE, random_state=CLUSTER_SEED)  # fmt: skip
    labels = model.fit(frame).predict(frame)
    codes_of = np.array([f"c{i + 1:02d}" for i in range(model.k_)])
    series = pd.Series(codes_of[labels], index=frame.index)
    found = _profiles(frame, series, activity, bands)
    taken: set[str] = set()
    segments = []
    for i, code in enumerate(codes_of):
        profile = found.get(str(code))
        if profile is None:  # no customer nearest to this centre
            continue
        named = sr.cluster_name(model.contrasts_[i], taken, i + 1)
        traits = sr.distinctions(model.contrasts_[i])[:4]
        profile["traits"] = [{"feature": d.feature, "direction": d.direction,
                              "value": round(d.value, 4)} for d in traits]  # fmt: skip
        segments.append(_segment(str(code), named.name_zh, named.name_en, profile, "", "", traits))
    params = {"k": model.k_, "k_requested": k, "criterion": "silhouette (fixed-seed sample), "
              f"smallest cluster >= {CLUSTER_MIN_SHARE:.0%}",
              # the screens translate segments.criterion.<code> (older runs: the text above)
              "criterion_code": f"silhouette_min{round(CLUSTER_MIN_SHARE * 100)}",
              "k_range": list(CLUSTER_K_RANGE),
              "k_scores": {str(kk): v for kk, v in model.k_scores_.items()},
              "features": {"numeric": numeric, "categorical": list(CLUSTER_CATEGORICAL),
                           "log": logged},
              "model": model.to_dict()}  # fmt: skip
    return _write_run(session, SegmentKind.CLUSTERS, series, segments, params, started,
                      as_of=as_of, now=now, staff_id=staff_id, actor_label=actor_label)  # fmt: skip


def _segment(code: str, zh: str, en: str, profile: dict[str, Any], intro_zh: str, intro_en: str,
             traits: Sequence[sr.Distinction] = ()) -> Segment:  # fmt: skip
    return Segment(
        code=code, name_zh=zh[:100], name_en=en[:100], size=int(profile["size"]), profile=profile,
        description_zh=sr.describe(profile, "zh", intro=intro_zh, traits=traits),
        description_en=sr.describe(profile, "en", intro=intro_en, traits=traits),
    )  # fmt: skip


def _write_run(session: Session, kind: SegmentKind, codes: pd.Series, segments: list[Segment],
               params: dict[str, Any], started: float, *, as_of: date, now: datetime,
               staff_id: int | None, actor_label: str) -> SegmentRun:  # fmt: skip
    repo.retire_current(session, kind)
    version = repo.next_version(session, kind)
    params["seconds"] = round(time.perf_counter() - started, 3)
    run = SegmentRun(kind=kind, version=version, as_of=as_of, status=RunStatus.DONE, is_current=True,
                     started_at=now, finished_at=now, started_by_id=staff_id, params=params,
                     customers=len(codes))  # fmt: skip
    session.add(run)
    session.flush()
    for segment in segments:
        segment.run_id = run.id
        session.add(segment)
    repo.add_customer_segments(
        session, run.id, codes.index.to_numpy(), codes.to_numpy(dtype=object)
    )
    session.flush()
    record(session, action="segments.build", actor_label=actor_label, actor_staff_id=staff_id,
           entity="segment_run", entity_id=str(run.id),
           detail={"kind": kind.value, "version": version, "as_of": as_of.isoformat(),
                   "customers": len(codes), "segments": len(segments)}, at=now)  # fmt: skip
    return run


# --- lookups -------------------------------------------------------------------------------------


def current_run(session: Session, kind: str | SegmentKind) -> SegmentRun | None:
    """The current run of ``kind`` (``rules`` or ``clusters``), if one was built."""
    return repo.current_run(session, SegmentKind(kind))


def get_run(session: Session, run_id: int) -> SegmentRun:
    run = session.get(SegmentRun, run_id)
    if run is None:
        raise NotFoundError("segment_run.not_found", f"No segmentation run {run_id}")
    return run


def list_runs(session: Session, kind: str | None = None, limit: int = 100) -> list[SegmentRun]:
    return repo.runs(session, SegmentKind(kind) if kind else None, limit)


def run_segments(session: Session, run_id: int) -> list[Segment]:
    """The segments of a run, largest first (404 for an unknown run)."""
    get_run(session, run_id)
    return repo.segments(session, run_id)


def segment_of(session: Session, run_id: int, customer_ids: Sequence[int]) -> dict[int, str]:
    """Each customer's segment code in the run (customers not in it are left out)."""
    return repo.segment_of(session, run_id, customer_ids)


def customers_in_segments(session: Session, run_id: int, codes: Sequence[str]) -> list[int]:
    """The ids of the run's customers in any of the segments ``codes``."""
    return repo.customers_in(session, run_id, codes)
