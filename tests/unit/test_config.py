"""Settings: defaults, development keys created once, production refuses unsafe secrets."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from loanpilot.config import DEV_KEY_FILE, Environment, get_settings
from loanpilot.kit.errors import ConfigurationError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in list(os.environ):
        if name.startswith("LOANPILOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env file


def test_defaults_use_a_sqlite_file_under_var(tmp_path) -> None:
    settings = get_settings(var_dir=tmp_path / "var")
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.database_url == f"sqlite:///{(tmp_path / 'var' / 'loanpilot.db').as_posix()}"
    assert settings.timezone == "Asia/Shanghai"
    assert len(settings.data_key_bytes()) == 64


def test_development_keys_are_created_once_and_private(tmp_path) -> None:
    first = get_settings(var_dir=tmp_path)
    second = get_settings(var_dir=tmp_path)
    assert first.data_key.get_secret_value() == second.data_key.get_secret_value()
    mode = stat.S_IMODE((tmp_path / DEV_KEY_FILE).stat().st_mode)
    assert mode == 0o600
    assert "LOANPILOT_DATA_KEY" not in repr(first)  # secrets never printed


def test_production_requires_secrets(tmp_path) -> None:
    with pytest.raises(ConfigurationError, match="must be set in production"):
        get_settings(environment="production", var_dir=tmp_path)


def test_production_refuses_the_development_key(tmp_path) -> None:
    dev = get_settings(var_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="development data key"):
        get_settings(
            environment="production",
            var_dir=tmp_path,
            secret_key="s" * 40,
            data_key=dev.data_key.get_secret_value(),
        )


def _real_data_key() -> str:
    return base64.b64encode(os.urandom(64)).decode()


@pytest.mark.parametrize("length", [0, 1, 16, 31])
def test_production_refuses_a_short_secret_key(tmp_path, length: int) -> None:
    secret = ("Zq7!" * 8)[:length]
    with pytest.raises(ConfigurationError) as caught:
        get_settings(
            environment="production", var_dir=tmp_path, secret_key=secret, data_key=_real_data_key()
        )
    message = str(caught.value)
    if length:
        assert "LOANPILOT_SECRET_KEY must be at least 32 characters in production" in message
        assert [p.field for p in caught.value.problems] == ["LOANPILOT_SECRET_KEY"]
        assert length < 4 or secret not in message
    else:
        assert "must be set in production" in message


def test_production_accepts_a_32_character_secret_key(tmp_path) -> None:
    settings = get_settings(
        environment="production", var_dir=tmp_path, secret_key="k" * 32, data_key=_real_data_key()
    )
    assert len(settings.secret_key.get_secret_value()) == 32


def test_production_refuses_the_development_secret_key(tmp_path) -> None:
    dev = get_settings(var_dir=tmp_path)
    dev_secret = dev.secret_key.get_secret_value()
    assert len(dev_secret) >= 32  # long enough: refused only because it is the development one
    with pytest.raises(ConfigurationError, match="development secret key") as caught:
        get_settings(
            environment="production",
            var_dir=tmp_path,
            secret_key=dev_secret,
            data_key=_real_data_key(),
        )
    assert caught.value.code == "config.secrets"
    assert [p.field for p in caught.value.problems] == ["LOANPILOT_SECRET_KEY"]
    message = str(caught.value)
    assert "LOANPILOT_SECRET_KEY is the development secret key" in message
    assert DEV_KEY_FILE in message
    assert dev_secret not in message
    assert "refused in production" in message


def test_production_names_both_development_keys(tmp_path) -> None:
    dev = get_settings(var_dir=tmp_path)
    with pytest.raises(ConfigurationError) as caught:
        get_settings(
            environment="production",
            var_dir=tmp_path,
            secret_key=dev.secret_key.get_secret_value(),
            data_key=dev.data_key.get_secret_value(),
        )
    assert [p.field for p in caught.value.problems] == [
        "LOANPILOT_SECRET_KEY",
        "LOANPILOT_DATA_KEY",
    ]
    assert "LOANPILOT_DATA_KEY is the development data key" in str(caught.value)
    assert dev.data_key.get_secret_value() not in str(caught.value)


def test_production_without_a_development_key_file_checks_only_the_length(tmp_path) -> None:
    assert not (tmp_path / DEV_KEY_FILE).exists()
    settings = get_settings(
        environment="production", var_dir=tmp_path, secret_key="s" * 40, data_key=_real_data_key()
    )
    assert settings.secret_key.get_secret_value() == "s" * 40
    assert not (tmp_path / DEV_KEY_FILE).exists()  # production never creates development keys


def test_production_accepts_real_secrets(tmp_path) -> None:
    key = base64.b64encode(os.urandom(64)).decode()
    settings = get_settings(
        environment="production", var_dir=tmp_path, secret_key="s" * 40, data_key=key
    )
    assert settings.data_key_bytes() == base64.b64decode(key)


@pytest.mark.parametrize(
    ("key", "message"),
    [("not base64!", "not valid base64"), (base64.b64encode(b"short").decode(), "64 bytes")],
)
def test_bad_data_key_is_explained(tmp_path, key: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        get_settings(var_dir=tmp_path, data_key=key)


def test_unknown_timezone_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="unknown timezone"):
        get_settings(var_dir=tmp_path, timezone="Mars/Olympus")


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("LOANPILOT_DATABASE_URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("LOANPILOT_VAR_DIR", str(tmp_path))
    assert get_settings().database_url == "sqlite:///elsewhere.db"
