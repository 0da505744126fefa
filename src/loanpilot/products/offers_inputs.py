"""What an offer run reads once (products and their typical loans, models, policy) and per chunk
(the customers' arrays, approval, take-up and uplift bound to the chunk), for ``offer_kernel``.

P(approve) estimates the active credit policy's decision on the application the customer would
make. The amount is not known yet, so it is the mean over five amount scenarios, the 10/30/50/70/90 %
quantiles of the amounts applied for the product (``AMOUNT_QUANTILES``; the typical amount without
applications), each with the product's typical term and rate, of: 0 when a hard rule of the policy
(tightened by the product's own eligibility) fails for that amount: age, age at maturity, income,
occupation, provident fund, DTI after the new instalment, the bureau's current overdue
(``current_overdue``) and the blacklist; else the decision on the champion application
scorecard's score of that pre-screen row (``offer_kernel.card_approval``: approve 1, manual review
``REFER_APPROVAL``, decline 0), or without a champion card the documented pre-screen
(``offer_kernel.prescreen_approval``, a sigmoid of the bureau score). PD12 and the value are those
of the typical loan.
The typical loan of a product is the median amount and term of its applications (the middle of its
range and 12 months, or the nearest allowed term, without any), priced at the basis rate in force
plus the middle of its spread band.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from loanpilot.analytics.propensity import PropensityModel
from loanpilot.analytics.scorecard_kernel import CompiledCard
from loanpilot.config import Settings
from loanpilot.customers.features import marketing_frame
from loanpilot.customers.models import Occupation
from loanpilot.kit.errors import NotFoundError
from loanpilot.products import offer_kernel as kernel
from loanpilot.products import offer_rules as rules
from loanpilot.products import repository_offers as repo
from loanpilot.products.models import LoanProduct
from loanpilot.products.offers_takeup import CUSTOMER_COLUMNS, active_take_up
from loanpilot.products.rules import sample_amount, sample_term
from loanpilot.products.service import RateBook
from loanpilot.risk import policy_store, registry
from loanpilot.risk.features import application_features
from loanpilot.risk.rules import HardRules
from loanpilot.risk.service_offer import effective_hard_rules

OCCUPATIONS: tuple[str, ...] = tuple(o.value for o in Occupation)
#: The quantiles of a product's applied amounts P(approve) averages the decision over.
AMOUNT_QUANTILES: tuple[float, ...] = (0.1, 0.3, 0.5, 0.7, 0.9)


def contact_policy(settings: Settings) -> rules.ContactPolicy:
    return rules.ContactPolicy(
        cooloff_days=settings.marketing_cooloff_days,
        contact_cap=settings.marketing_contact_cap,
        window_days=settings.marketing_contact_window_days,
    )


@dataclass(frozen=True)
class RunInputs:
    """Everything an offer run fixes at its start."""

    products: tuple[LoanProduct, ...]
    arrays: kernel.ProductArrays
    policy_table: rules.EligibilityTable  # the credit policy's hard rules per product
    scenario_amounts: np.ndarray[Any, Any]  # K × P amounts P(approve) averages over
    scenario_policy: tuple[rules.EligibilityTable, ...]  # the hard rules at those amounts
    decline_overdue: bool  # the policy declines a current bureau arrear
    decline_blacklisted: bool
    cities: tuple[str, ...]
    channels: tuple[str, ...]
    cost_fen: np.ndarray[Any, Any]
    take: PropensityModel | None
    take_label: str | None
    uplift: Any  # the active uplift learner (campaigns.uplift), or None
    uplift_label: str | None
    card: CompiledCard | None
    card_label: str | None
    cutoffs: tuple[float, float]
    policy: rules.ContactPolicy
    funding_rate: float

    def params(self) -> dict[str, Any]:
        """The run's parameters as recorded on it."""
        return {
            "approval": "scorecard" if self.card is not None else "prescreen",
            "approval_amount_quantiles": list(AMOUNT_QUANTILES),
            "refer_approval": kernel.REFER_APPROVAL,
            "uplift": "model" if self.uplift is not None else "default_share",
            "incremental_share": rules.DEFAULT_INCREMENTAL_SHARE,
            "funding_rate": self.funding_rate,
            "channels": list(self.channels),
            "contact_cost_fen": dict(zip(self.channels, self.cost_fen.tolist(), strict=True)),
            "contact_policy": {
                "cooloff_days": self.policy.cooloff_days,
                "contact_cap": self.policy.contact_cap,
                "window_days": self.policy.window_days,
            },
            "products": [
                {"id": p.id, "code": p.code, "amount_fen": int(a), "term_months": int(t),
                 "annual_rate": round(float(r), 6)}
                for p, a, t, r in zip(self.products, self.arrays.amount_fen,
                                      self.arrays.term_months, self.arrays.annual_rate, strict=True)
            ],
        }  # fmt: skip


def _rate(book: RateBook, product: LoanProduct, term: int) -> float | None:
    base = book.rate(product.rate_basis, term)
    if base is None:
        return None
    return float(base + (product.min_spread + product.max_spread) / 2)


def _policy_rules(hard: HardRules, product: LoanProduct) -> rules.Eligibility:
    eff = effective_hard_rules(hard, product)
    occ = eff.occupations.get(product.code)
    return rules.Eligibility(
        min_age=eff.min_age,
        max_age=eff.max_age,
        max_age_at_maturity=eff.max_age_at_maturity,
        requires_provident_fund=product.code in eff.provident_fund_required,
        occupations=frozenset(occ) if occ else None,
        min_monthly_income_fen=eff.min_monthly_income_fen,
        max_dti=eff.max_dti,
    )


def run_inputs(
    session: Session,
    as_of: date,
    settings: Settings,
    *,
    funding_rate: Decimal = rules.DEFAULT_FUNDING_RATE,
    channels: tuple[str, ...] = rules.OFFER_CHANNELS,
) -> RunInputs:
    """Products (active and priceable), their typical loans, the models and the policy."""
    book = RateBook(session, as_of)
    typical = repo.typical_loans(session)
    chosen: list[tuple[LoanProduct, int, int, float]] = []
    for product in repo.active_products(session):
        amount, months = typical.get(product.id, (0, 0))
        if not amount:
            amount = sample_amount(product.min_amount_fen, product.max_amount_fen)
            months = sample_term(product.min_term_months, product.max_term_months)
        amount = min(max(amount, product.min_amount_fen), product.max_amount_fen)
        months = min(max(months, product.min_term_months), product.max_term_months)
        priced = _rate(book, product, months)
        if priced is not None:
            chosen.append((product, amount, months, priced))
    products = tuple(c[0] for c in chosen)
    types = tuple(sorted({p.product_type.value for p in products}))
    amounts = np.array([c[1] for c in chosen], dtype=float)
    term = np.array([c[2] for c in chosen], dtype=float)
    rate = np.array([c[3] for c in chosen], dtype=float)
    own = [rules.Eligibility.from_json(p.eligibility) for p in products]
    cities = tuple(sorted({c for e in own if e.cities for c in e.cities}))
    instalment = rules.instalment_fen(amounts, rate, term)
    applied = repo.amount_quantiles(session, AMOUNT_QUANTILES)
    scenarios = np.array(
        [
            np.clip(applied.get(p.id, [a] * len(AMOUNT_QUANTILES)), p.min_amount_fen, p.max_amount_fen)
            for p, a in zip(products, amounts, strict=True)
        ],
        dtype=float,
    ).reshape(len(products), len(AMOUNT_QUANTILES)).T  # fmt: skip

    def table(
        of: list[rules.Eligibility], pay: np.ndarray[Any, Any] = instalment
    ) -> rules.EligibilityTable:
        return rules.EligibilityTable.build(
            of, term_months=term, instalment_fen=pay, occupations=OCCUPATIONS, cities=cities
        )

    stored = policy_store.active_policy(session)
    hard = stored.policy.hard if stored is not None else HardRules()
    card, card_label, cutoffs = None, None, (620.0, 560.0)
    if stored is not None:
        champion = registry.champion(session, stored.model_name)
        cutoffs = (
            float(stored.policy.cutoffs.approve_from),
            float(stored.policy.cutoffs.decline_below),
        )
        if champion is not None:
            card, card_label = registry.load_scorecard(champion.artefact).card_, champion.label
    policy = [_policy_rules(hard, p) for p in products]
    loaded = active_take_up(session)
    learner, learner_label = _active_uplift(session)
    return RunInputs(
        products=products,
        arrays=kernel.ProductArrays(
            type_code=np.array([types.index(p.product_type.value) for p in products], np.int64),
            type_names=types,
            amount_fen=amounts,
            annual_rate=rate,
            term_months=term,
            monthly_fee_rate=np.array([float(p.monthly_fee_rate) for p in products], dtype=float),
            upfront_fee_rate=np.array([float(p.upfront_fee_rate) for p in products], dtype=float),
            lgd=np.array([rules.LGD_BY_TYPE.get(p.product_type.value, 0.7) for p in products]),
            eligibility=table(own),
        ),
        policy_table=table(policy),
        scenario_amounts=scenarios,
        scenario_policy=tuple(
            table(policy, rules.instalment_fen(row, rate, term)) for row in scenarios
        ),
        decline_overdue=hard.decline_current_delinquency,
        decline_blacklisted=hard.decline_blacklisted,
        cities=cities,
        channels=channels,
        cost_fen=np.array([rules.CONTACT_COST_FEN[c] for c in channels], dtype=float),
        take=None if loaded is None else loaded[0],
        take_label=None if loaded is None else loaded[1],
        uplift=learner,
        uplift_label=learner_label,
        card=card,
        card_label=card_label,
        cutoffs=cutoffs,
        policy=contact_policy(settings),
        funding_rate=float(funding_rate),
    )


@dataclass(frozen=True)
class ChunkInputs:
    """One chunk's frame, customer arrays and the models bound to it."""

    ids: np.ndarray[Any, Any]
    frame: pd.DataFrame
    customers: kernel.CustomerArrays
    take: kernel.TakeModel
    approve: kernel.ApprovalModel
    uplift: kernel.UpliftModel | None = None


def _codes(values: pd.Series, vocabulary: tuple[str, ...]) -> np.ndarray[Any, Any]:
    lookup = {v: i for i, v in enumerate(vocabulary)}
    return np.array([lookup.get(str(v), len(vocabulary)) for v in values], dtype=np.int64)


def _application_raw(frame: pd.DataFrame) -> dict[str, Any]:
    """The customer fields of ``risk.features.application_features`` from a marketing frame."""

    def text(column: str) -> np.ndarray[Any, Any]:
        values = frame[column].to_numpy(dtype=object).copy()
        values[values == "unknown"] = None
        return values

    yuan = 100.0
    return {
        "age": frame["age"].to_numpy(), "monthly_income_fen": frame["monthly_income_yuan"].to_numpy() * yuan,
        "occupation": text("occupation"), "education": text("education"),
        "marital_status": text("marital_status"), "owns_home": frame["owns_home"].to_numpy() > 0,
        "has_provident_fund": frame["has_provident_fund"].to_numpy() > 0,
        "bureau_score": frame["bureau_score"].to_numpy(),
        "credit_history_months": frame["credit_history_months"].to_numpy(),
        "open_accounts": frame["open_accounts"].to_numpy(),
        "total_debt_fen": frame["total_debt_yuan"].to_numpy() * yuan,
        "monthly_debt_payment_fen": frame["monthly_debt_payment_yuan"].to_numpy() * yuan,
        "delinquent_accounts": frame["delinquent_accounts"].to_numpy(),
        "max_dpd_24m": frame["max_dpd_24m"].to_numpy(),
        "inquiries_6m": frame["inquiries_6m"].to_numpy(),
        "card_utilisation": frame["card_utilisation"].to_numpy(),
        "card_late_payments_12m": frame["card_late_payments_12m"].to_numpy(),
    }  # fmt: skip


def customer_arrays(
    frame: pd.DataFrame, facts: pd.DataFrame, inputs: RunInputs
) -> kernel.CustomerArrays:
    yuan = 100.0
    assets = frame["deposit_balance_yuan"].fillna(0.0) + frame["wealth_balance_yuan"].fillna(0.0)
    return kernel.CustomerArrays(
        age=frame["age"].to_numpy(dtype=float),
        monthly_income_fen=frame["monthly_income_yuan"].to_numpy(dtype=float) * yuan,
        monthly_debt_fen=frame["monthly_debt_payment_yuan"].fillna(0.0).to_numpy(float) * yuan,
        financial_assets_fen=assets.to_numpy(dtype=float) * yuan,
        occupation_code=_codes(frame["occupation"], OCCUPATIONS),
        city_code=_codes(frame["city"], inputs.cities),
        has_provident_fund=frame["has_provident_fund"].to_numpy() > 0,
        owns_home=frame["owns_home"].to_numpy() > 0,
        suppressed=rules.suppression(
            consent=frame["marketing_consent"].to_numpy(dtype=bool),
            opted_out=frame["opted_out"].to_numpy(dtype=bool),
            blacklisted=frame["is_blacklisted"].to_numpy(dtype=bool),
            days_since_decline=facts["days_since_decline"].to_numpy(dtype=float),
            contacts_in_window=facts["contacts_in_window"].to_numpy(dtype=float),
            policy=inputs.policy,
        ),
    )


def _active_uplift(session: Session) -> tuple[Any, str | None]:
    """The active uplift learner of ``campaigns.uplift`` and its label, or (None, None)."""
    try:
        from loanpilot.campaigns.uplift import active_learner
    except ImportError:  # the uplift area is not installed
        return None, None
    try:
        row, learner = active_learner(session)
    except NotFoundError:
        return None, None
    return learner, f"{row.name}@{row.version}"


def uplift_model(
    learner: Any, features: pd.DataFrame, type_names: tuple[str, ...], channels: tuple[str, ...]
) -> kernel.UpliftModel:
    """An ``UpliftModel`` of an uplift learner fitted on the marketing features plus
    ``product_type`` and ``channel``: one predict per chunk; where it has no arm for a channel,
    ``p_take × DEFAULT_INCREMENTAL_SHARE``."""
    from loanpilot.analytics.uplift import arm_column
    from loanpilot.campaigns.uplift import CROSS_FEATURES

    types = np.array(type_names, dtype=object)
    chans = np.array(channels, dtype=object)
    col = arm_column(learner, list(channels))
    # the learner's customer × product-type crosses ("<category>*<type>"), built from codes: a
    # chunk's grid has ~800,000 rows but only a few dozen distinct crosses per column
    n_types = len(types)
    crosses: dict[str, tuple[Any, Any]] = {}  # column → (code of each customer, label of each key)
    for cross in CROSS_FEATURES:
        name = cross.split("*")[0]
        if name in features.columns:
            # a missing category gets a code of its own (its label "nan*<type>" is no column of
            # the model, as in training) rather than the sentinel -1 that would pick another's
            codes, uniques = pd.factorize(features[name].astype(str), use_na_sentinel=False)
            keys = range(len(uniques) * n_types)
            labels = np.array(
                [f"{uniques[k // n_types]}*{types[k % n_types]}" for k in keys], dtype=object
            )
            crosses[cross] = (codes, labels)

    # a learner that can score a factored grid (``predict_uplift_factored``: each column given
    # as its distinct values and an index per row) never sees the grid's ~800,000-row frame
    factored = getattr(learner, "predict_uplift_factored", None)

    def uplift(rows: Any, type_code: Any, channel_code: Any, p_take: Any) -> Any:
        if factored is not None:
            rows, type_code = np.asarray(rows), np.asarray(type_code)
            columns: dict[str, tuple[Any, Any]] = {n: (features[n], rows) for n in features.columns}
            columns["product_type"] = (types, type_code)
            columns["channel"] = (chans, np.asarray(channel_code))
            for cross, (codes, labels) in crosses.items():
                columns[cross] = (labels, codes[rows] * n_types + type_code)
            scores = np.asarray(factored(columns, len(rows)), dtype=float)
        else:
            frame = features.iloc[rows].reset_index(drop=True)
            frame["product_type"] = types[type_code]
            frame["channel"] = chans[channel_code]
            for cross, (codes, labels) in crosses.items():
                frame[cross] = labels[codes[rows] * n_types + np.asarray(type_code)]
            scores = np.asarray(learner.predict_uplift(frame), dtype=float)
        arm = col[channel_code]
        picked = scores[np.arange(len(rows)), np.maximum(arm, 0)] if scores.shape[1] else 0.0
        return np.where(arm >= 0, picked, p_take * rules.DEFAULT_INCREMENTAL_SHARE)

    return uplift


def _no_model(rows: Any, type_code: Any, channel_code: Any) -> np.ndarray[Any, Any]:
    raise AssertionError("no take-up model")  # run_offers refuses to start without one


def chunk_inputs(session: Session, as_of: date, ids: list[int], inputs: RunInputs) -> ChunkInputs:
    """Read one chunk of customers and bind the models to it."""
    frame = marketing_frame(session, as_of, ids)
    facts = repo.policy_facts(session, ids, as_of, inputs.policy.window_days).reindex(frame.index)
    return bind_chunk(frame, facts, inputs)


def bind_chunk(frame: pd.DataFrame, facts: pd.DataFrame, inputs: RunInputs) -> ChunkInputs:
    """Bind the models to a chunk already read: its marketing frame and its contact-policy facts
    (``days_since_decline``, ``contacts_in_window``), row for row (no database)."""
    customers = customer_arrays(frame, facts, inputs)
    blocked = np.zeros(len(frame), dtype=bool)
    if inputs.decline_overdue:
        blocked |= frame["current_overdue"].to_numpy(dtype=float) > 0
    if inputs.decline_blacklisted:
        blocked |= frame["is_blacklisted"].to_numpy(dtype=bool)
    card = inputs.card
    features = application_features(_application_raw(frame)) if card is not None else frame
    scenarios: list[kernel.ApprovalModel] = []
    for table in inputs.scenario_policy:
        policy_ok = (_ineligible(table, customers) == 0) & ~blocked[:, None]
        if card is not None:
            scenarios.append(kernel.card_approval(
                card, features, monthly_income_fen=customers.monthly_income_fen,
                monthly_debt_fen=customers.monthly_debt_fen, approve_from=inputs.cutoffs[0],
                decline_below=inputs.cutoffs[1], policy_ok=policy_ok,
            ))  # fmt: skip
        else:
            scenarios.append(
                kernel.prescreen_approval(frame["bureau_score"].to_numpy(float), policy_ok)
            )
    approve = kernel.averaged_approval(scenarios, inputs.scenario_amounts)
    take: kernel.TakeModel = _no_model
    if inputs.take is not None:
        take = kernel.frame_take(
            inputs.take.predict_proba, frame[list(CUSTOMER_COLUMNS)],
            inputs.arrays.type_names, inputs.channels,
        )  # fmt: skip
    uplift = None
    if inputs.uplift is not None:
        uplift = uplift_model(
            inputs.uplift, frame[list(CUSTOMER_COLUMNS)], inputs.arrays.type_names, inputs.channels
        )
    return ChunkInputs(frame.index.to_numpy(), frame, customers, take, approve, uplift)


def _ineligible(table: rules.EligibilityTable, c: kernel.CustomerArrays) -> np.ndarray[Any, Any]:
    return rules.ineligibility(
        table, age=c.age, has_provident_fund=c.has_provident_fund,
        occupation_code=c.occupation_code, monthly_income_fen=c.monthly_income_fen,
        financial_assets_fen=c.financial_assets_fen, owns_home=c.owns_home,
        city_code=c.city_code, monthly_debt_fen=c.monthly_debt_fen,
    )  # fmt: skip


def with_policy(inputs: RunInputs, policy: rules.ContactPolicy) -> RunInputs:
    return replace(inputs, policy=policy)
