"""The documented latent model that decides the demo bank's outcomes.

Every outcome in the demo bank is drawn from the model below, with these parameters, which the
builder writes beside the data (``demo-truth.json``), so that later models can be checked against
the truth that generated the data.

Default (credit risk). A borrower's 12-month probability of default is

    logit(PD12) = intercept
                + income      · ln(monthly income / ¥10,000)
                + dti         · (monthly debt payments incl. the new loan ÷ monthly income)
                + occupation[occupation]
                + delinquent  · (delinquent bureau accounts, capped at 3)
                + serious     · [max DPD in 24 months > 30]
                + inquiries   · (bureau inquiries in 6 months, capped at 6)
                + young       · [age < 25]
                + card_util   · (credit-card utilisation, 0..1)
                + product[product type]

and the loan defaults in month m of its life with monthly hazard 1 − (1 − PD12)^(1/12).

Response (marketing). A targeted customer applies within the campaign window with probability

    logit(p) = response_base[channel] + affinity[segment][product type] + age_band[age band]
             + treated · uplift[age band][channel]

where ``treated`` is 1 for the contacted (treatment) group and 0 for the randomised control group:
``uplift`` is the true treatment effect on the logit scale, by age band (young < 30 ≤ middle < 50 ≤
senior) and channel.

A/B arms (``demo/campaign_arms.py``): a treated target of arm B responds with logit(p) +
``ARM_B_EXTRA_LOGIT[test]`` (+0.35 for AB01, a fee waiver against a rate discount; 0 for AB02, an
SMS wording test that should find nothing); its ``p_treatment`` in
``demo-truth-campaign_targets.csv`` is that of its own arm.

Channel experiments (``demo/channel_tests.py``): twice, every consenting customer aged 20–75 is
randomly given one of the seven channels × one product per product type, 20 % held out as control;
a targeted customer is reached with probability ``channel_tests.REACH`` (0.85 for SMS, app and
WeChat, else 0.7), and only a reached customer is treated.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

AGE_BANDS = ("young", "middle", "senior")


@dataclass(frozen=True)
class DefaultModel:
    intercept: float = -4.5
    income: float = -0.55
    dti: float = 2.2
    occupation: dict[str, float] = field(
        default_factory=lambda: {
            "civil_servant": -0.9,
            "company_employee": 0.0,
            "freelancer": 0.45,
            "self_employed": 0.35,
            "student": 0.6,
            "retired": -0.2,
        }
    )
    delinquent: float = 0.55
    serious: float = 0.9
    inquiries: float = 0.12
    young: float = 0.3
    card_util: float = 0.8
    product: dict[str, float] = field(
        default_factory=lambda: {
            "housing": -1.1,
            "consumer": 0.25,
            "business": 0.35,
            "private_banking": -1.5,
        }
    )
    lgd: dict[str, float] = field(
        default_factory=lambda: {
            "housing": 0.20,
            "consumer": 0.70,
            "business": 0.45,
            "private_banking": 0.15,
        }
    )
    cure_share: float = 0.35  # defaulters who miss 1–2 payments and then pay again


@dataclass(frozen=True)
class ResponseModel:
    response_base: dict[str, float] = field(
        default_factory=lambda: {
            "sms": -5.0,
            "call_center": -4.0,
            "branch": -3.3,
            "mobile": -4.4,
            "online": -4.6,
            "wechat": -4.3,
            "partner": -3.6,
        }
    )
    age_band: dict[str, float] = field(
        default_factory=lambda: {"young": 0.1, "middle": 0.2, "senior": -0.3}
    )
    affinity: dict[str, dict[str, float]] = field(
        default_factory=lambda: {
            "civil_servant": {
                "housing": 0.6,
                "consumer": 0.3,
                "business": -1.5,
                "private_banking": -0.5,
            },
            "company_employee": {
                "housing": 0.5,
                "consumer": 0.5,
                "business": -1.2,
                "private_banking": -0.8,
            },
            "freelancer": {
                "housing": -0.2,
                "consumer": 0.6,
                "business": 0.3,
                "private_banking": -0.8,
            },
            "self_employed": {
                "housing": 0.0,
                "consumer": 0.1,
                "business": 1.0,
                "private_banking": 0.0,
            },
            "student": {
                "housing": -2.0,
                "consumer": 0.4,
                "business": -2.0,
                "private_banking": -3.0,
            },
            "retired": {
                "housing": -0.8,
                "consumer": -0.2,
                "business": -1.5,
                "private_banking": 0.2,
            },
        }
    )
    uplift: dict[str, dict[str, float]] = field(
        default_factory=lambda: {
            "young": {
                "sms": 0.15,
                "call_center": 0.20,
                "branch": 0.35,
                "mobile": 0.90,
                "online": 0.75,
                "wechat": 0.85,
                "partner": 0.40,
            },
            "middle": {
                "sms": 0.25,
                "call_center": 0.55,
                "branch": 0.70,
                "mobile": 0.50,
                "online": 0.40,
                "wechat": 0.45,
                "partner": 0.60,
            },
            "senior": {
                "sms": 0.05,
                "call_center": 0.45,
                "branch": 0.95,
                "mobile": 0.10,
                "online": 0.05,
                "wechat": 0.15,
                "partner": 0.30,
            },
        }
    )


@dataclass(frozen=True)
class DemoTruth:
    """All parameters of the latent model, plus the build's seed and as-of date."""

    seed: int
    as_of: str
    customers: int
    default: DefaultModel = field(default_factory=DefaultModel)
    response: ResponseModel = field(default_factory=ResponseModel)
    version: str = "demo-truth@1"

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")


def age_band(age: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """young < 30 ≤ middle < 50 ≤ senior."""
    return np.where(age < 30, "young", np.where(age < 50, "middle", "senior"))


def sigmoid(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def _lookup(table: dict[str, float], keys: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    names = np.array(list(table))
    values = np.array(list(table.values()), dtype=float)
    order = np.argsort(names)
    pos = np.searchsorted(names[order], keys)
    return values[order][np.clip(pos, 0, len(names) - 1)]


def pd12(
    model: DefaultModel,
    *,
    monthly_income_fen: np.ndarray[Any, Any],
    dti: np.ndarray[Any, Any],
    occupation: np.ndarray[Any, Any],
    delinquent_accounts: np.ndarray[Any, Any],
    max_dpd_24m: np.ndarray[Any, Any],
    inquiries_6m: np.ndarray[Any, Any],
    age: np.ndarray[Any, Any],
    card_utilisation: np.ndarray[Any, Any],
    product_type: np.ndarray[Any, Any],
) -> np.ndarray[Any, Any]:
    """The true 12-month probability of default of each borrower (vectorised)."""
    income_10k = np.maximum(monthly_income_fen, 100_000) / 1_000_000.0
    z = (
        model.intercept
        + model.income * np.log(income_10k)
        + model.dti * np.clip(dti, 0.0, 2.0)
        + _lookup(model.occupation, occupation)
        + model.delinquent * np.minimum(delinquent_accounts, 3)
        + model.serious * (max_dpd_24m > 30)
        + model.inquiries * np.minimum(inquiries_6m, 6)
        + model.young * (age < 25)
        + model.card_util * np.clip(card_utilisation, 0.0, 1.0)
        + _lookup(model.product, product_type)
    )
    return sigmoid(z)


def response_probability(
    model: ResponseModel,
    *,
    channel: np.ndarray[Any, Any],
    occupation: np.ndarray[Any, Any],
    product_type: np.ndarray[Any, Any],
    age: np.ndarray[Any, Any],
    treated: np.ndarray[Any, Any],
) -> np.ndarray[Any, Any]:
    """The true probability that a targeted customer applies (vectorised)."""
    band = age_band(age)
    z = _lookup(model.response_base, channel) + _lookup(model.age_band, band)
    affinity = np.zeros(len(channel))
    for occ, row in model.affinity.items():
        mask = occupation == occ
        if mask.any():
            affinity[mask] = _lookup(row, product_type[mask])
    uplift = np.zeros(len(channel))
    for name, row in model.uplift.items():
        mask = band == name
        if mask.any():
            uplift[mask] = _lookup(row, channel[mask])
    return sigmoid(z + affinity + treated * uplift)
