"""Settings from the environment (prefix KLA_), with an embedded SQLite default."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from indicators import DEFAULT_CATALOGUE

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KLA_", env_file=".env", extra="ignore")

    environment: str = Field("development", description="development, test or production")
    data_dir: Path = Field(ROOT / "var", description="Local data folder: SQLite file and evidence store")
    database_url: str = Field("", description="SQLAlchemy URL; empty means SQLite in data_dir")
    catalogue_file: Path = DEFAULT_CATALOGUE
    secret_key: str = DEV_SECRET
    default_language: str = "id"
    max_upload_mb: int = Field(20, ge=1, le=500)
    session_hours: int = Field(12, ge=1, le=24 * 30)
    log_level: str = Field("WARNING", description="INFO writes one JSON line per request")
    active_requests: int = Field(8, ge=1, le=500,
                                 description="Requests per worker inside the app at once (the rest queue); "
                                             "also the database connections per worker")

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("KLA_SECRET_KEY must be set to a long random value in production")
        return self

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
