"""Settings from the environment (prefix KLA_), with an embedded SQLite default."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from indicators import DEFAULT_CATALOGUE

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-change-me"
# The environments the app knows. Any other value (a typo, "prod") stops the start: an unknown name
# used to mean "not production", which let the public development secret sign sessions.
# staging is a deployed server like production (Secure cookies, HSTS, its own secret).
DEV_PUBLIC_URL = "http://127.0.0.1:8000"  # `kla serve`'s own address: right in development only
Environment = Literal["development", "test", "staging", "production"]
DEPLOYED = ("staging", "production")
LOCAL = ("development", "test")
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KLA_", env_file=".env", extra="ignore")

    environment: Environment = Field("development", description="development, test, staging or production")
    data_dir: Path = Field(ROOT / "var", description="Local data folder: SQLite file and evidence store")
    database_url: str = Field("", description="SQLAlchemy URL; empty means SQLite in data_dir")
    catalogue_file: Path = DEFAULT_CATALOGUE
    secret_key: str = DEV_SECRET
    max_upload_mb: int = Field(20, ge=1, le=500)
    session_hours: int = Field(12, ge=1, le=24 * 30)
    log_level: str = Field("WARNING", description="INFO writes one JSON line per request")
    active_requests: int = Field(8, ge=1, le=500,
                                 description="Requests per worker inside the app at once (the rest queue); "
                                             "also the database connections per worker")

    # E-mail (`app/notices/`): off while smtp_url is empty. smtp://host:587 speaks STARTTLS when the
    # server offers it (?tls=required refuses a server that does not), smtps://host:465 TLS from the start;
    # user:password@ in the URL logs in.
    smtp_url: str = Field("", description="smtp://[user:password@]host:port or smtps://...; empty: no e-mail")
    smtp_sender: str = Field("KLA <noreply@localhost>", description="The From: of every e-mail")
    public_url: str = Field(DEV_PUBLIC_URL, description="The app's address as users reach it, for "
                                                                  "links in e-mails")
    jobs_poll_seconds: int = Field(30, ge=1, le=3600, description="How often `kla jobs run` looks for due work")
    # issue 25, tus: a resumable upload nobody touched for this long is removed (its partial bytes and row)
    tus_expiry_hours: int = Field(24, ge=1, le=24 * 30, description="Hours a paused resumable upload is kept")
    # issue 25, review: each unfinished upload may hold up to max_upload_mb on disk until it expires
    tus_max_open_uploads: int = Field(20, ge=1, le=1000, description="Unfinished resumable uploads one account "
                                                                      "may have at once")

    @field_validator("environment", mode="before")
    @classmethod
    def _plain_environment_name(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _refuse_weak_secret_when_deployed(self) -> Settings:
        # Development and test may use the development secret, and only on the loopback interface:
        # `kla serve` checks the address it binds to (app.cli.serve), the one place that knows it.
        if self.deployed and (self.uses_development_secret or len(self.secret_key) < MIN_SECRET_LENGTH):
            raise ValueError(f"KLA_SECRET_KEY must be set to a long random value (at least {MIN_SECRET_LENGTH} "
                             f"characters) when KLA_ENVIRONMENT is {self.environment}; the development "
                             f"secret is public")
        # A deployed server that sends e-mail must say where users reach it: every e-mail's links would
        # otherwise point at the server's own loopback address, which no reader can open.
        if self.deployed and self.smtp_url.strip() and self.public_url.rstrip("/") == DEV_PUBLIC_URL:
            raise ValueError(f"KLA_PUBLIC_URL must be set to the address users open (https://...) when KLA_SMTP_URL "
                             f"is set and KLA_ENVIRONMENT is {self.environment}: the links in e-mails use it")
        return self

    @property
    def deployed(self) -> bool:
        """Staging or production: Secure cookies, HSTS, a real secret."""
        return self.environment in DEPLOYED

    @property
    def uses_development_secret(self) -> bool:
        return self.secret_key == DEV_SECRET

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'kla.sqlite3'}"

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024
