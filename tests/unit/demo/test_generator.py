"""The demo generator in memory: deterministic, realistic, and faithful to its latent model."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from loanpilot.demo.builder import generate
from loanpilot.kit.crypto import FieldCipher
from loanpilot.kit.errors import ValidationError

KEY = bytes(range(64))


@pytest.fixture(scope="module")
def ctx():
    return generate(3_000, 11, date(2026, 11, 29), FieldCipher(KEY))


def _same(a, b) -> bool:
    if isinstance(a, list):
        return a == b
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "fM":
        return bool(np.array_equal(a, b, equal_nan=True))
    return a.tolist() == b.tolist()


def test_same_seed_same_bank(ctx) -> None:
    again = generate(3_000, 11, date(2026, 11, 29), FieldCipher(KEY))
    assert set(again.tables) == set(ctx.tables)
    for table, columns in ctx.tables.items():
        for name, values in columns.items():
            assert _same(values, again.tables[table][name]), f"{table}.{name} differs"


def test_other_seed_other_bank(ctx) -> None:
    other = generate(3_000, 12, date(2026, 11, 29), FieldCipher(KEY))
    assert not _same(
        ctx.tables["customers"]["monthly_income_fen"],
        other.tables["customers"]["monthly_income_fen"],
    )


def test_income_depends_on_occupation(ctx) -> None:
    cust = ctx.tables["customers"]
    median = {
        occ: np.median(cust["monthly_income_fen"][cust["occupation"] == occ])
        for occ in ("civil_servant", "student", "self_employed", "retired")
    }
    assert median["student"] < median["retired"] < median["civil_servant"]
    assert median["self_employed"] > median["retired"]


def test_treatment_responds_more_than_control(ctx) -> None:
    t = ctx.tables["campaign_targets"]
    treated = t["group"] == "treatment"
    assert t["responded"][treated].mean() > t["responded"][~treated].mean()


def test_default_follows_the_latent_model(ctx) -> None:
    truth = ctx.latent["truth_tables"]["loans"]
    seasoned = truth["months_observed"] >= 12
    pd12 = truth["true_pd12"][seasoned]
    defaulted = truth["default_12m"][seasoned]
    high = pd12 > np.quantile(pd12, 0.8)
    assert defaulted[high].mean() > defaulted[~high].mean()
    # a default is only ever a missed instalment that has already fallen due
    assert (truth["first_missed_period"] <= truth["months_observed"]).all()


def test_too_few_customers_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 100"):
        generate(10, 1, date(2026, 11, 29), FieldCipher(KEY))


def test_security_is_consistent(ctx) -> None:
    loans = ctx.tables["loans"]
    apps = ctx.tables["applications"]
    col = ctx.tables["collaterals"]
    submitted = (apps["submitted_at"] + np.timedelta64(8, "h")).astype("M8[D]")
    applied = submitted[loans["application_id"][col["loan_id"] - 1] - 1]
    assert (col["appraised_on"] >= applied).all(), "appraised after the application"
    assert (col["appraised_on"] <= loans["disbursed_on"][col["loan_id"] - 1]).all()
    guarantor_hashes = list(ctx.tables["guarantors"]["id_number_hash"])
    assert len(set(guarantor_hashes)) == len(guarantor_hashes)
    assert not set(guarantor_hashes) & set(ctx.tables["customers"]["id_number_hash"])


def test_managers_handle_applications_only_after_they_were_hired(ctx) -> None:
    apps = ctx.tables["applications"]
    hired = ctx.tables["staff"]["hired_on"]
    for manager, submitted in zip(apps["manager_id"], apps["submitted_at"], strict=True):
        if manager is not None and not np.isnat(submitted):
            assert hired[manager - 1] <= (submitted + np.timedelta64(8, "h")).astype("M8[D]")


def test_an_early_as_of_date_books_nothing_before_the_lpr_existed() -> None:
    with pytest.raises(ValidationError, match="LPR reform"):
        generate(600, 5, date(2021, 6, 30), FieldCipher(KEY))
    early = generate(600, 5, date(2021, 8, 1), FieldCipher(KEY))
    loans = early.tables["loans"]
    assert (loans["disbursed_on"] >= np.datetime64("2019-08-20")).all()
    assert (loans["disbursed_on"] >= early.start64).all(), "no back book reaches before the reform"
