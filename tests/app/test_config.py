"""The settings know their environments (issue 19, item 3): an unknown name stops the start instead
of meaning "not production", and the public development secret signs sessions only in development
or test, on the loopback interface."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from app.cli import is_loopback, serve_refusal
from app.config import DEV_SECRET, Settings

REAL_SECRET = "c2VjcmV0LWZvci10ZXN0cy1vbmx5LW5vdC1hLWRlZmF1bHQ"


@pytest.fixture
def clean_environment(tmp_path, monkeypatch):
    """No KLA_* variable and no .env file of the developer's leaks into a test."""
    for name in list(os.environ):
        if name.startswith("KLA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.mark.parametrize("name", ["prod", "Produktion", "staging-2", "live", "dev", ""])
def test_an_unknown_environment_name_is_refused(clean_environment, name):
    with pytest.raises(ValidationError, match="environment"):
        Settings(environment=name, secret_key=REAL_SECRET)


@pytest.mark.parametrize("name", ["staging", "production", "Production", " production "])
def test_deployed_environments_refuse_the_development_secret(clean_environment, name):
    with pytest.raises(ValidationError, match="KLA_SECRET_KEY"):
        Settings(environment=name)
    with pytest.raises(ValidationError, match="KLA_SECRET_KEY"):
        Settings(environment=name, secret_key="short-secret")
    settings = Settings(environment=name, secret_key=REAL_SECRET)
    assert settings.deployed  # Secure cookies and HSTS, like production


@pytest.mark.parametrize("name", ["development", "test"])
def test_development_and_test_may_use_the_development_secret(clean_environment, name):
    settings = Settings(environment=name)
    assert settings.secret_key == DEV_SECRET and settings.uses_development_secret and not settings.deployed


def test_the_environment_comes_from_kla_environment(clean_environment):
    clean_environment.setenv("KLA_ENVIRONMENT", "prod")
    with pytest.raises(ValidationError):
        Settings()


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("kla.example.go.id", False),
])
def test_loopback_addresses(host, loopback):
    assert is_loopback(host) is loopback


def test_serve_starts_with_the_development_secret_only_on_loopback(clean_environment):
    assert serve_refusal("127.0.0.1") is None  # scripts/run.sh: development, loopback
    assert serve_refusal("localhost") is None
    refusal = serve_refusal("0.0.0.0")
    assert refusal and "KLA_SECRET_KEY" in refusal and "0.0.0.0" in refusal
    clean_environment.setenv("KLA_ENVIRONMENT", "test")
    assert serve_refusal("0.0.0.0")
    clean_environment.setenv("KLA_ENVIRONMENT", "production")
    clean_environment.setenv("KLA_SECRET_KEY", REAL_SECRET)
    assert serve_refusal("0.0.0.0") is None


def _serve(env: dict, *args: str) -> subprocess.CompletedProcess:
    """`kla serve` in a process of its own; a timeout means it started a server, i.e. did not refuse."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KLA_")}
    return subprocess.run([sys.executable, "-m", "app.cli", "serve", "--port", "0", *args],
                          env={**clean, **env}, cwd=env.get("KLA_DATA_DIR"), capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("env, args, says", [
    ({"KLA_ENVIRONMENT": "prod"}, (), "KLA_ENVIRONMENT='prod' tidak dikenal"),
    ({"KLA_ENVIRONMENT": "staging"}, (), "KLA_SECRET_KEY harus diisi"),
    ({}, ("--host", "0.0.0.0"), "hanya boleh melayani alamat loopback"),
], ids=["typo", "staging-without-secret", "public-host"])
def test_kla_serve_refuses_with_a_message_and_no_traceback(tmp_path, env, args, says):
    result = _serve({"KLA_DATA_DIR": str(tmp_path), **env}, *args)
    assert result.returncode == 2
    assert says in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("command", [("db", "upgrade"), ("audit", "verify"), ("evidence", "verify")])
def test_every_kla_command_refuses_unknown_settings_with_a_message(tmp_path, command):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KLA_")}
    result = subprocess.run([sys.executable, "-m", "app.cli", *command],
                            env={**clean, "KLA_ENVIRONMENT": "prod", "KLA_DATA_DIR": str(tmp_path)},
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "KLA_ENVIRONMENT='prod' tidak dikenal" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_deployed_server_sending_e_mail_needs_its_public_address(clean_environment):
    """Links in e-mails use KLA_PUBLIC_URL; its default is the development server's loopback address,
    which no reader can open: a deployed server with e-mail on refuses to start without it."""
    with pytest.raises(ValidationError, match="KLA_PUBLIC_URL"):
        Settings(environment="production", secret_key=REAL_SECRET, smtp_url="smtp://mail.example.org:587")
    Settings(environment="production", secret_key=REAL_SECRET, smtp_url="smtp://mail.example.org:587",
             public_url="https://kla.example.go.id")
    Settings(environment="production", secret_key=REAL_SECRET)  # no e-mail: no links to point anywhere
    Settings(environment="development", smtp_url="smtp://127.0.0.1:8025")
