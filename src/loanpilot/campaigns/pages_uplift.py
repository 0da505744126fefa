"""The uplift page (增益模型, issue 6): who is moved by a contact.

``/console/campaigns/uplift`` shows the active ``contact-uplift`` model (name@version, when it was
fitted, its treatments = the contact channels, its training rows), its learners side by side
(Qini coefficient on our scale and causalml's, AUUC, uplift at 10/20/30 %, the chosen one marked),
each learner's Qini curve with the random and the perfect line, the uplift curves, and "target by
uplift, not by response": of the treated responses in the top 10/20/30 % of the hold-out, the share
the contact caused when ranked by predicted uplift vs by predicted response. The normalisation is
explained in words (docs/uplift.md). Without a model the page says how to fit one and, for
``segments:write`` holders, offers a "fit now" button (POST with CSRF) that calls
``campaigns.uplift.fit_uplift``; the request's session commits, and a refusal (no experiments, too
few rows) is shown on the page with nothing saved.

Viewing needs ``marketing:read``. Every figure is read from the registered model's ``metrics``
through ``products.marketing_models.active``; a key a writer did not store shows as a dash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import SessionDep
from loanpilot.config import Settings
from loanpilot.kit.clock import to_business_date
from loanpilot.kit.errors import ConflictError, NotFoundError, ValidationError
from loanpilot.products import marketing_models
from loanpilot.products.models_offers import MarketingModel
from loanpilot.web.auth import clock, require
from loanpilot.web.i18n import MESSAGES, Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, require(Permission.MARKETING_READ)]
Fitter = Annotated[Principal, require(Permission.SEGMENTS_WRITE)]

PATH = "/console/campaigns/uplift"
MODEL_NAME = "contact-uplift"  # = campaigns.uplift.MODEL_NAME (not imported: it loads sklearn)
LEARNERS = ("sparse_effect", "two_model", "class_transformation", "interaction")  # this order
BASES = ("logistic", "lightgbm")
TOP = ("10", "20", "30")
TABLE_STEPS = tuple(range(0, 101, 10))  # the curve table: every 10 % of the hold-out


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _floats(value: object) -> list[float | None] | None:
    if not isinstance(value, list) or not value:
        return None
    return [_number(v) for v in value]


def learner_label(name: str, lang: Lang) -> str:
    key = f"uplift.learner.{name}"
    return translate(key, lang) if key in MESSAGES else name


def _learners(metrics: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    stored = _map(metrics.get("learners"))
    order = [n for n in LEARNERS if n in stored] + sorted(n for n in stored if n not in LEARNERS)
    return [(str(n), _map(stored[n])) for n in order]


def learner_rows(metrics: Mapping[str, Any], lang: Lang) -> list[dict[str, Any]]:
    """One row per learner: Qini (ours, causalml's scale), AUUC, uplift at k, chosen or not."""
    chosen = metrics.get("chosen")
    rows = []
    for name, m in _learners(metrics):
        qini, gain = _number(m.get("qini")), _number(m.get("qini_gain"))
        at = _map(m.get("uplift_at"))
        rows.append(
            {
                "name": name,
                "label": learner_label(name, lang),
                "chosen": name == chosen,
                "qini": qini,
                "qini_gain": gain,
                "auuc": _number(m.get("auuc")),
                "uplift_at": {k: _number(at.get(k)) for k in TOP},
                "factor": gain / qini if qini and gain is not None else None,
            }
        )
    return rows


def _curve(raw: object, with_perfect: bool) -> dict[str, Any] | None:
    curve = _map(raw)
    share, value = _floats(curve.get("share")), _floats(curve.get("value"))
    if share is None or value is None or len(share) != len(value):
        return None
    n = len(share)
    last = value[-1] or 0.0
    random = _floats(curve.get("random"))
    out: dict[str, Any] = {
        "share": [round(100.0 * (s or 0.0), 2) for s in share],
        "value": value,
        "random": random if random and len(random) == n else [(s or 0.0) * last for s in share],
    }
    perfect = _floats(curve.get("perfect")) if with_perfect else None
    if perfect is not None and len(perfect) == n:
        out["perfect"] = perfect
    return out


def chart_data(metrics: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    """The JSON island of ``uplift.js``: each learner's Qini and uplift curve (share in %)."""
    learners = []
    for name, m in _learners(metrics):
        qini, uplift = _curve(m.get("qini_curve"), True), _curve(m.get("uplift_curve"), False)
        if qini or uplift:
            learners.append(
                {"name": name, "label": learner_label(name, lang), "qini": qini, "uplift": uplift}
            )
    words = ("x", "qini_y", "uplift_y", "model", "random", "perfect")
    return {
        "learners": learners,
        "labels": {w: translate(f"uplift.chart.{w}", lang) for w in words},
    }


def curve_table(chart: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Qini curves at every 10 % of the hold-out (the figures behind the charts)."""
    rows = []
    for pct in TABLE_STEPS:
        values: dict[str, float | None] = {}
        for learner in chart["learners"]:
            qini = learner["qini"]
            if qini is None:
                continue
            at = round(pct / 100 * (len(qini["share"]) - 1))  # the curves are even shares
            values[learner["name"]] = qini["value"][at]
            values.setdefault("_random", qini["random"][at])
            if "perfect" in qini:
                values.setdefault("_perfect", qini["perfect"][at])
        rows.append({"pct": pct, "values": values})
    return rows


def targeting_rows(metrics: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per top k: the caused share of treated responses ranked by response vs by each learner."""
    learners = _learners(metrics)
    response: Mapping[str, Any] = {}
    for _, m in learners:
        response = response or _map(_map(m.get("response_targeting")).get("caused_share"))
    chosen = metrics.get("chosen")
    rows = []
    for k in TOP:
        by_uplift = {n: _number(_map(m.get("caused_share")).get(k)) for n, m in learners}
        best = by_uplift.get(str(chosen)) if chosen in by_uplift else None
        by_response = _number(response.get(k))
        gap = best - by_response if best is not None and by_response is not None else None
        rows.append({"k": k, "response": by_response, "uplift": by_uplift, "gap": gap})
    return rows


def response_qini(metrics: Mapping[str, Any]) -> float | None:
    """The Qini coefficient of ranking the hold-out by predicted response (for comparison)."""
    for _, m in _learners(metrics):
        value = _number(_map(m.get("response_targeting")).get("qini"))
        if value is not None:
            return value
    return None


def facts(row: MarketingModel) -> dict[str, Any]:
    metrics, artefact = _map(row.metrics), _map(row.artefact)
    arms = metrics.get("arms")
    if not isinstance(arms, list):
        arms = _map(artefact.get("learner")).get("treatments_") or []
    counts = ("rows", "train_rows", "test_rows", "treated_rows", "campaigns")
    return {
        "label": f"{row.name}@{row.version}",
        "arms": [str(a) for a in arms] if isinstance(arms, list) else [],
        "base": metrics.get("base") if isinstance(metrics.get("base"), str) else None,
        "as_of": metrics.get("as_of") or artefact.get("as_of"),
        **{c: _number(metrics.get(c)) for c in counts},
    }


def _page(
    request: Request,
    principal: Principal,
    row: MarketingModel | None,
    *,
    error: dict[str, Any] | None = None,
    status_code: int = 200,
    fitted: str = "",
) -> Response:
    lang = request_lang(request)
    context: dict[str, Any] = {
        "model": row,
        "can_fit": principal.can(Permission.SEGMENTS_WRITE),
        "bases": BASES,
        "error": error,
        "fitted": fitted if row is not None and fitted == str(row.version) else "",
        "top": TOP,
    }
    if row is not None:
        metrics = _map(row.metrics)
        chart = chart_data(metrics, lang)
        context |= {
            "facts": facts(row),
            "learners": learner_rows(metrics, lang),
            "chart": chart,
            "curve_table": curve_table(chart),
            "targeting": targeting_rows(metrics),
            "response_qini": response_qini(metrics),
        }
    return render(request, "console/uplift/index.html", context, status_code=status_code)


@router.get(PATH)
def uplift_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    fitted: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    """The active uplift model's learners, curves and targeting figures, or how to fit one."""
    return _page(request, principal, marketing_models.active(session, MODEL_NAME), fitted=fitted)


@router.post(f"{PATH}/fit")
def fit_now(
    request: Request,
    session: SessionDep,
    principal: Fitter,
    base: Annotated[str, Form(max_length=16)] = "logistic",
) -> Response:
    """Fit both learners on every experiment up to today and register the better one."""
    from loanpilot.campaigns import uplift

    lang = request_lang(request)
    if base not in BASES:
        error = {
            "title": translate("uplift.error.title", lang),
            "message": translate("uplift.error.base", lang, allowed=", ".join(BASES), given=base),
            "problems": [],
        }
        return _page(request, principal, marketing_models.active(session, MODEL_NAME),
                     error=error, status_code=422)  # fmt: skip
    settings: Settings = request.app.state.settings
    now = clock(request)
    try:
        result = uplift.fit_uplift(
            session,
            as_of=to_business_date(now, settings.tz),
            now=now,
            staff_id=principal.staff_id,
            base=base,
        )
    except (ValidationError, NotFoundError, ConflictError) as exc:
        session.rollback()
        key = f"uplift.error.{exc.code}"
        error = {
            "title": translate(key if key in MESSAGES else "uplift.error.title", lang),
            "message": exc.message,
            "problems": [p.message for p in exc.problems],
        }
        return _page(request, principal, marketing_models.active(session, MODEL_NAME),
                     error=error, status_code=409 if isinstance(exc, ConflictError) else 422)  # fmt: skip
    version = result.model.version
    return RedirectResponse(f"{PATH}?fitted={version}", status_code=303)
