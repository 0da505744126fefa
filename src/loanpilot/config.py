"""One validated ``Settings``: read from the environment (``LOANPILOT_*``) or a ``.env`` file.

Never read at import time: build it with ``get_settings()`` at the entry point and pass it on.
"""

from __future__ import annotations

import base64
import os
import secrets
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from loanpilot.kit.errors import ConfigurationError, FieldProblem


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


DEV_KEY_FILE = "dev-keys.env"
MIN_SECRET_KEY_LENGTH = 32
"""Shortest ``LOANPILOT_SECRET_KEY`` accepted in production (characters)."""


class Settings(BaseSettings):
    """LoanPilot configuration. Every field can be set as ``LOANPILOT_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="LOANPILOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Environment = Environment.DEVELOPMENT
    var_dir: Path = Field(
        default=Path("var"), description="Working directory for the SQLite file and dev keys"
    )
    database_url: str = Field(
        default="", description="SQLAlchemy URL; default sqlite:///<var_dir>/loanpilot.db"
    )
    timezone: str = "Asia/Shanghai"
    secret_key: SecretStr = Field(default=SecretStr(""), description="Signs sessions and tokens")
    data_key: SecretStr = Field(
        default=SecretStr(""),
        description="Base64 of 64 random bytes: encrypts personal data and keys its lookup hashes",
    )
    data_key_id: int = Field(
        default=1, ge=1, le=255, description="Key version stamped on every ciphertext"
    )
    mask_phone_keep_head: int = Field(default=3, ge=0, le=11)
    mask_phone_keep_tail: int = Field(default=4, ge=0, le=11)
    mask_id_keep_head: int = Field(default=3, ge=0, le=18)
    mask_id_keep_tail: int = Field(default=4, ge=0, le=18)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "INFO"
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body accepted (413 beyond)"
    )
    max_upload_bytes: int = Field(
        default=64 * 1_048_576,
        ge=1024,
        description="Largest file a risk officer may upload to fit a scorecard in the console",
    )
    rate_limit_portal_per_minute: int = Field(
        default=120, ge=1, description="Portal page and API reads per client address per minute"
    )
    rate_limit_submit_per_minute: int = Field(
        default=10,
        ge=1,
        description="Portal submissions (applications, progress queries) per minute",
    )
    rate_limit_login_per_minute: int = Field(
        default=10, ge=1, description="Login attempts per client address per minute"
    )
    # --- post-loan (issue 5) ---
    penalty_uplift: Decimal = Field(
        default=Decimal("0.5"),
        ge=0,
        le=1,
        description="Penalty interest (罚息) on overdue amounts: contract rate × (1 + uplift)",
    )
    allocation_order: str = Field(
        default="penalty,fee,interest,principal",
        description="Order a repayment pays the parts of what is due (comma-separated)",
    )
    close_at: str | None = Field(
        default="01:30",
        description="Local time `loanpilot serve` runs the daily close of the previous day; "
        "empty: no scheduled close",
    )
    contact_hours: str = Field(
        default="08:00-21:00", description="Local hours in which a debtor may be contacted"
    )
    contact_daily_cap: int = Field(
        default=3, ge=1, description="Collection contacts per debtor per day, all channels"
    )
    marketing_cooloff_days: int = Field(
        default=30, ge=0, description="Days after a declined application without marketing offers"
    )
    marketing_contact_cap: int = Field(
        default=4, ge=1, description="Marketing contacts per customer within the contact window"
    )
    marketing_contact_window_days: int = Field(
        default=30, ge=1, description="The window (days) the marketing contact cap counts over"
    )
    cert_expiry_notice_days: int = Field(
        default=60,
        ge=1,
        description="Days before a certificate expires that its holder is reminded",
    )
    survey_valid_days: int = Field(
        default=30, ge=1, description="Days a survey invitation's link stays open for an answer"
    )
    chromium_path: str = Field(
        default="/usr/bin/chromium",
        description="The Chromium that prints the work plan to PDF (headless)",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.var_dir / 'loanpilot.db').as_posix()}"
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def data_key_bytes(self) -> bytes:
        """The 64-byte personal-data key, decoded and checked."""
        raw = self.data_key.get_secret_value()
        try:
            key = base64.b64decode(raw, validate=True)
        except ValueError as exc:
            raise ConfigurationError(
                "config.data_key", "LOANPILOT_DATA_KEY is not valid base64"
            ) from exc
        if len(key) != 64:
            raise ConfigurationError(
                "config.data_key", f"LOANPILOT_DATA_KEY must decode to 64 bytes, got {len(key)}"
            )
        return key


def _load_or_create_dev_keys(var_dir: Path) -> dict[str, str]:
    """Development keys live in ``<var_dir>/dev-keys.env``, created on first run (mode 0600)."""
    path = var_dir / DEV_KEY_FILE
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        content = (
            f"LOANPILOT_SECRET_KEY={secrets.token_urlsafe(48)}\n"
            f"LOANPILOT_DATA_KEY={base64.b64encode(secrets.token_bytes(64)).decode()}\n"
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content)
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep:
            values[name.strip()] = value.strip()
    return values


def get_settings(**overrides: object) -> Settings:
    """Build and check the settings.

    Outside production, missing secrets come from ``<var_dir>/dev-keys.env`` (created on first run).
    In production, missing, short (secret key under 32 characters) or development secrets are
    refused.
    """
    settings = Settings(**overrides)  # type: ignore[arg-type]
    missing = not settings.secret_key.get_secret_value() or not settings.data_key.get_secret_value()
    if settings.environment is Environment.PRODUCTION:
        if missing:
            raise ConfigurationError(
                "config.secrets",
                "LOANPILOT_SECRET_KEY and LOANPILOT_DATA_KEY must be set in production",
            )
        _refuse_unsafe_production_secrets(settings)
    elif missing:
        dev = _load_or_create_dev_keys(settings.var_dir)
        if not settings.secret_key.get_secret_value():
            settings.secret_key = SecretStr(dev["LOANPILOT_SECRET_KEY"])
        if not settings.data_key.get_secret_value():
            settings.data_key = SecretStr(dev["LOANPILOT_DATA_KEY"])
    settings.data_key_bytes()
    return settings


def _refuse_unsafe_production_secrets(settings: Settings) -> None:
    """Raise one ``ConfigurationError`` naming every unsafe production secret (never its value)."""
    secret_key = settings.secret_key.get_secret_value()
    problems: list[FieldProblem] = []
    if len(secret_key) < MIN_SECRET_KEY_LENGTH:
        problems.append(
            FieldProblem(
                "LOANPILOT_SECRET_KEY",
                f"LOANPILOT_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters "
                "in production",
            )
        )
    dev_file = settings.var_dir / DEV_KEY_FILE
    if dev_file.exists():
        dev = _load_or_create_dev_keys(settings.var_dir)
        for name, value, what in (
            ("LOANPILOT_SECRET_KEY", secret_key, "secret key"),
            ("LOANPILOT_DATA_KEY", settings.data_key.get_secret_value(), "data key"),
        ):
            if _same_secret(dev.get(name), value):
                problems.append(
                    FieldProblem(
                        name,
                        f"{name} is the development {what} (from {dev_file}): "
                        f"the development {what} is refused in production",
                    )
                )
    if problems:
        raise ConfigurationError(
            "config.secrets", "; ".join(problem.message for problem in problems), problems
        )


def _same_secret(dev_value: str | None, value: str) -> bool:
    """Whether ``value`` is the development secret (compared in constant time)."""
    if not dev_value:
        return False
    return secrets.compare_digest(dev_value.encode(), value.encode())
