"""Configuration: secrets come from outside the code; production is strict."""

import pytest

from outlet_audit import create_app
from outlet_audit.config import ConfigError


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OUTLET_AUDIT_INSTANCE", str(tmp_path / "instance"))
    return tmp_path


def test_production_refuses_to_start_without_a_secret_key(clean_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/x")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app("production")


def test_production_refuses_a_short_secret_key(clean_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/x")
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="32 characters"):
        create_app("production")


def test_production_requires_postgres_and_sets_secure_cookies(clean_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        create_app("production")
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1/x")
    app = create_app("production")
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["LOAD_DEMO_DATA"] is False


def test_development_generates_a_key_once_and_keeps_it(clean_env):
    first = create_app("development")
    key_file = clean_env / "instance" / "secret_key"
    assert key_file.exists() and oct(key_file.stat().st_mode)[-3:] == "600"
    second = create_app("development")
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] and len(first.config["SECRET_KEY"]) >= 64
    assert (
        first.config["SQLALCHEMY_DATABASE_URI"]
        == f"sqlite:///{clean_env / 'instance' / 'outlet_audit.sqlite3'}"
    )


def test_secret_key_from_environment_wins(clean_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment-" + "x" * 20)
    assert create_app("development").config["SECRET_KEY"].startswith("from-the-environment-")


def test_earlier_secret_keys_come_from_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "the-current-key-" + "x" * 20)
    spaced = " the-previous-key-" + "y" * 20 + " , ,the-one-before-" + "z" * 20
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", spaced)
    config = create_app("development").config
    earlier = ["the-previous-key-" + "y" * 20, "the-one-before-" + "z" * 20]
    assert config["SECRET_KEY_FALLBACKS"] == earlier
    monkeypatch.delenv("SECRET_KEY_FALLBACKS")
    assert create_app("development").config["SECRET_KEY_FALLBACKS"] == []
