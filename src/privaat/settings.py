"""Settings, read from the environment (prefix ``PRIVAAT_``) by pydantic-settings."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

_REPO_ROOT = Path(__file__).resolve().parents[2]


class Mode(StrEnum):
    DEMO = "demo"  # creates its own master key in var/ and seeds demo data
    PRODUCTION = "production"  # refuses to start without a configured master key
    TEST = "test"


def default_policy_file() -> Path:
    """The shipped Flexibelt policy: in a source checkout, or packaged inside the wheel."""
    in_checkout = _REPO_ROOT / "policies" / "flexibelt.yaml"
    if in_checkout.is_file():
        return in_checkout
    return Path(__file__).resolve().parent / "_policies" / "flexibelt.yaml"


class Settings(BaseSettings):
    """Everything an operator can configure; each field is documented in the README."""

    model_config = SettingsConfigDict(env_prefix="PRIVAAT_", extra="ignore")

    mode: Mode = Mode.DEMO
    database_url: str = Field(default="sqlite:///var/privaat.db")
    policy_file: Path = Field(default_factory=default_policy_file)
    var_dir: Path = Path("var")
    # the master key wraps every per-subject data key: base64 of 32 bytes, or a file holding it
    master_key: SecretStr | None = None
    master_key_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    smtp_host: str | None = None
    smtp_port: int = 25
    mail_from: str = "privacy@localhost"
    # the optional built-in service: record where each log-in came from (P9); off, the
    # policy need not declare its activity
    record_login_locations: bool = True
