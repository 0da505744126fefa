"""Pure rules of a loan application made by the applicant: checking the form, numbering, the
query code and the stages shown when the applicant tracks it.

No session, clock or randomness here: ``today`` and random numbers are passed in. Every problem
with a form is collected and reported at once, each with a stable ``code`` (translated by the
pages) and an English text (the JSON API). Texts never repeat an ID or phone number (JR/T 0171 C2).
"""

from __future__ import annotations

import dataclasses
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from loanpilot.kit.errors import DomainError, FieldProblem, ValidationError
from loanpilot.kit.ids import (
    REASON_FUTURE,
    REASON_NOT_A_DATE,
    REASON_NOT_PROVINCE,
    REASON_TOO_EARLY,
    mobile_reason,
    normalise_resident_id,
    resident_id_reason,
)
from loanpilot.kit.money import yuan_to_fen

MIN_AGE = 18
NAME_MAX = 50
PURPOSE_MAX = 100
IDEMPOTENCY_KEY_MIN = 8
IDEMPOTENCY_KEY_MAX = 64
QUERY_CODE_DIGITS = 6
APPLICATION_PREFIX = "WA"
CUSTOMER_PREFIX = "CW"
RANDOM_DIGITS = 8
MAX_INCOME_FEN = 10**12  # ¥10 bn a month: beyond it the number is a typing error


@dataclass(frozen=True)
class ProductTerms:
    """What a product accepts: amount and term bounds (fen, months) and repayment methods."""

    min_amount_fen: int
    max_amount_fen: int
    min_term_months: int
    max_term_months: int
    methods: tuple[str, ...]


@dataclass(frozen=True)
class ApplicationForm:
    """The applicant's form as typed (strings), before any check."""

    name: str = ""
    id_number: str = ""
    phone: str = ""
    amount_yuan: str = ""
    term_months: str = ""
    method: str = ""
    purpose: str = ""
    monthly_income_yuan: str = ""
    occupation: str = ""
    branch_id: str = ""
    consent_data: bool = False
    consent_marketing: bool = False


@dataclass(frozen=True)
class Issue:
    """One problem with one field: ``code`` for translation, ``params`` to fill it, English text."""

    field: str
    code: str
    text: str
    params: dict[str, str] = dataclasses.field(default_factory=dict)

    def problem(self) -> FieldProblem:
        return FieldProblem(self.field, self.text)


@dataclass(frozen=True)
class CheckedApplication:
    """A form that passed every check, in the units the database keeps."""

    name: str
    id_number: str
    birth_date: date
    gender: str
    phone: str
    amount_fen: int
    term_months: int
    method: str
    purpose: str | None
    monthly_income_fen: int
    occupation: str
    branch_id: int | None
    consent_marketing: bool


class ApplicationInvalidError(ValidationError):
    """The form has problems; ``issues`` keeps their codes for translated pages."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(
            "application.invalid",
            "The application has problems; every one is listed",
            [issue.problem() for issue in issues],
        )
        self.issues = issues


def _id_issue(reason: str) -> Issue:
    """Classify kit.ids' reason (English, never the ID's digits) into a translatable code."""
    if reason.startswith("must be 18"):
        code = "id_length"
    elif reason.startswith("check digit"):
        code = "id_check"
    elif reason == REASON_NOT_PROVINCE:
        code = "id_region"
    elif reason in (REASON_NOT_A_DATE, REASON_TOO_EARLY, REASON_FUTURE):
        code = "id_birth"
    else:
        code = "id_format"
    return Issue("id_number", code, f"Invalid resident ID: {reason}")


def _age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _money(value: str, name: str, issues: list[Issue]) -> int | None:
    text = value.strip().replace(",", "")
    if not text:
        issues.append(Issue(name, "required", "is required"))
        return None
    try:
        if not Decimal(text).is_finite():
            raise InvalidOperation
        fen = yuan_to_fen(text)
    except (InvalidOperation, DomainError):
        issues.append(Issue(name, "number", "must be an amount in yuan, e.g. 50000 or 50000.00"))
        return None
    return fen


def check_application(
    form: ApplicationForm,
    terms: ProductTerms,
    *,
    today: date,
    occupations: tuple[str, ...],
    branch_ids: frozenset[int],
) -> CheckedApplication:
    """Check every field; ``ApplicationInvalidError`` lists every problem at once."""
    issues: list[Issue] = []
    name = form.name.strip()
    if not name:
        issues.append(Issue("name", "required", "is required"))
    elif len(name) > NAME_MAX:
        issues.append(
            Issue("name", "too_long", f"must be at most {NAME_MAX} characters", {"max": "50"})
        )

    id_number = normalise_resident_id(form.id_number)
    birth: date | None = None
    if not id_number:
        issues.append(Issue("id_number", "required", "is required"))
    else:
        reason = resident_id_reason(id_number, today)
        if reason is not None:
            issues.append(_id_issue(reason))
        else:
            birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
            if _age_on(birth, today) < MIN_AGE:
                issues.append(
                    Issue(
                        "id_number",
                        "too_young",
                        f"the applicant must be at least {MIN_AGE}",
                        {"age": str(MIN_AGE)},
                    )
                )

    phone, phone_reason = mobile_reason(form.phone)
    if not form.phone.strip():
        issues.append(Issue("phone", "required", "is required"))
    elif phone_reason is not None:
        issues.append(Issue("phone", "phone_invalid", f"Invalid mobile number: {phone_reason}"))

    amount = _money(form.amount_yuan, "amount_yuan", issues)
    if amount is not None and not terms.min_amount_fen <= amount <= terms.max_amount_fen:
        low, high = f"{terms.min_amount_fen // 100:,}", f"{terms.max_amount_fen // 100:,}"
        issues.append(
            Issue(
                "amount_yuan",
                "amount_range",
                f"must be between {low} and {high} yuan for this product",
                {"min": low, "max": high},
            )
        )

    term: int | None = None
    raw_term = form.term_months.strip()
    if not raw_term:
        issues.append(Issue("term_months", "required", "is required"))
    elif not raw_term.isascii() or not raw_term.isdigit():
        issues.append(Issue("term_months", "whole_months", "must be a whole number of months"))
    else:
        term = int(raw_term)
        if not terms.min_term_months <= term <= terms.max_term_months:
            low, high = str(terms.min_term_months), str(terms.max_term_months)
            issues.append(
                Issue(
                    "term_months",
                    "term_range",
                    f"must be between {low} and {high} months for this product",
                    {"min": low, "max": high},
                )
            )

    method = form.method.strip()
    if method not in terms.methods:
        issues.append(
            Issue(
                "method",
                "method_invalid",
                f"must be one of {', '.join(terms.methods)} for this product",
            )
        )

    purpose = form.purpose.strip()
    if len(purpose) > PURPOSE_MAX:
        issues.append(
            Issue(
                "purpose",
                "too_long",
                f"must be at most {PURPOSE_MAX} characters",
                {"max": str(PURPOSE_MAX)},
            )
        )

    income = _money(form.monthly_income_yuan, "monthly_income_yuan", issues)
    if income is not None and not 0 <= income <= MAX_INCOME_FEN:
        issues.append(
            Issue("monthly_income_yuan", "income_range", "must be zero or more, and plausible")
        )

    occupation = form.occupation.strip()
    if occupation not in occupations:
        issues.append(Issue("occupation", "choose", "choose one of the listed occupations"))

    branch: int | None = None
    raw_branch = form.branch_id.strip()
    if raw_branch:
        if raw_branch.isascii() and raw_branch.isdigit() and int(raw_branch) in branch_ids:
            branch = int(raw_branch)
        else:
            issues.append(Issue("branch_id", "choose", "choose one of the listed branches"))

    if not form.consent_data:
        issues.append(
            Issue(
                "consent_data",
                "consent_required",
                "consent to processing your personal data is required to apply",
            )
        )

    if issues:
        raise ApplicationInvalidError(issues)
    assert birth is not None
    assert amount is not None
    assert term is not None
    assert income is not None
    return CheckedApplication(
        name=name,
        id_number=id_number,
        birth_date=birth,
        gender="M" if int(id_number[16]) % 2 == 1 else "F",
        phone=phone,
        amount_fen=amount,
        term_months=term,
        method=method,
        purpose=purpose or None,
        monthly_income_fen=income,
        occupation=occupation,
        branch_id=branch,
        consent_marketing=form.consent_marketing,
    )


def check_idempotency_key(key: str) -> str:
    """A client's idempotency key: 8-64 visible ASCII characters."""
    value = key.strip()
    if not IDEMPOTENCY_KEY_MIN <= len(value) <= IDEMPOTENCY_KEY_MAX or not (
        value.isascii() and value.isprintable() and " " not in value
    ):
        raise ValidationError(
            "application.idempotency_key",
            "The idempotency key must be 8 to 64 visible ASCII characters",
            [FieldProblem("idempotency_key", "must be 8 to 64 visible ASCII characters")],
        )
    return value


def numbered(prefix: str, day: date, random_number: int) -> str:
    """``WA20261129`` + eight digits: a number that says when it was made and guesses nothing."""
    return f"{prefix}{day:%Y%m%d}{random_number % 10**RANDOM_DIGITS:0{RANDOM_DIGITS}d}"


def query_code(seed: bytes) -> str:
    """The six-digit query code derived from a keyed digest (``seed``) of the idempotency key.

    Derived rather than stored: a retried submission shows the same code again, and only its
    blind index is kept. Uniform enough: 2**256 mod 10**6 bias is negligible.
    """
    return f"{int.from_bytes(seed, 'big') % 10**QUERY_CODE_DIGITS:0{QUERY_CODE_DIGITS}d}"


def same_last_four(id_number: str, given: str) -> bool:
    """Constant-time check of the last four characters of an ID (a final x counts as X)."""
    typed = given.strip().upper()
    return len(typed) == 4 and hmac.compare_digest(id_number[-4:].upper(), typed)


@dataclass(frozen=True)
class Stage:
    """One stage of an application, ``at`` None while not reached."""

    key: str
    at: datetime | None


def stages(
    submitted_at: datetime | None,
    review_started_at: datetime | None,
    decided_at: datetime | None,
    disbursed_at: datetime | None,
) -> tuple[Stage, ...]:
    """The stages an applicant sees, in order."""
    return (
        Stage("submitted", submitted_at),
        Stage("under_review", review_started_at),
        Stage("decided", decided_at),
        Stage("disbursed", disbursed_at),
    )
