"""Settings of the handoff service (environment prefix ``HANDOFF_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, HttpUrl, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from handoff.models import Language

DEV_SERVICE_TOKEN = "dev-service-token"
DEV_SESSION_SECRET = "dev-session-secret"
DEFAULT_TEAMS_FILE = Path(__file__).with_name("teams.yml")
DEFAULT_CANNED_FILE = Path(__file__).with_name("canned.yml")


class CrmWebhook(BaseModel):
    """One outgoing CRM webhook: where to POST, which events, and the HMAC secret."""

    model_config = ConfigDict(extra="forbid")

    url: HttpUrl
    secret: SecretStr
    events: list[str] = Field(default_factory=lambda: ["qualified_lead", "ticket.resolved"])


class HandoffSettings(BaseSettings):
    """Everything the handoff service reads from the environment or ``.env``."""

    model_config = SettingsConfigDict(
        env_prefix="HANDOFF_", env_file=".env", extra="ignore", populate_by_name=True
    )

    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("HANDOFF_REDIS_URL", "REDIS_URL"),
    )
    redis_max_connections: int = Field(default=128, ge=8)
    key_prefix: str = "handoff:"
    simulator_mode: bool = Field(
        default=True,
        validation_alias=AliasChoices("HANDOFF_SIMULATOR_MODE", "BOT_SIMULATOR_MODE"),
        description="Local simulator (the hub's default): development secrets allowed.",
    )
    service_token: SecretStr = SecretStr(DEV_SERVICE_TOKEN)
    hub_url: str = "http://127.0.0.1:8000"
    hub_token: SecretStr | None = None
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: SecretStr | None = None
    http_timeout_seconds: float = 10.0

    session_secret: SecretStr = SecretStr(DEV_SESSION_SECRET)
    session_ttl_minutes: int = 8 * 60
    session_cookie_name: str = "wabot_session"
    csrf_cookie_name: str = "wabot_csrf"
    csrf_header_name: str = "X-CSRF-Token"
    cookie_secure: bool | None = Field(
        default=None, description="Secure cookies; unset = when the public URL is https."
    )
    public_url: str = Field(
        default="",
        validation_alias=AliasChoices("HANDOFF_PUBLIC_URL", "BOT_PUBLIC_URL"),
        description="URL staff browsers use (the hub's public URL).",
    )
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    login_max_failures: int = 5
    login_failure_window_minutes: int = 15
    lockout_minutes: int = 15
    bootstrap_admin_username: str = "admin"
    bootstrap_admin_password: SecretStr | None = None

    teams_file: Path = DEFAULT_TEAMS_FILE
    canned_file: Path = DEFAULT_CANNED_FILE
    sla_minutes: int = Field(default=60, ge=1)
    escalation_minutes: int = Field(default=30, ge=1)
    auto_assign: bool = True
    staff_language: Language = Language.it
    check_interval_seconds: float = Field(default=15.0, gt=0)
    simulated_clock_tolerance_seconds: float = Field(
        default=120.0,
        ge=0,
        description="simulator mode: a ticket whose opening message time is further than this "
        "from the real clock (a script's clock) keeps that offset for its SLA and escalation",
    )

    crm_webhooks: list[CrmWebhook] = Field(default_factory=list)
    outbox_max_attempts: int = Field(default=8, ge=1)
    outbox_base_delay_seconds: float = Field(default=5.0, gt=0)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)

    sse_max_seconds: float = Field(default=300.0, gt=0)
    audit_maxlen: int | None = None
    events_maxlen: int = 10_000

    @model_validator(mode="after")
    def _enforce_non_default_secrets(self) -> Self:
        """Refuse development secrets outside simulator mode, naming what to set."""
        if self.simulator_mode:
            return self
        if self.service_token.get_secret_value() == DEV_SERVICE_TOKEN:
            raise ValueError(
                "HANDOFF_SERVICE_TOKEN is still the development default; set "
                "HANDOFF_SERVICE_TOKEN in .env (or HANDOFF_SIMULATOR_MODE=true for local use)"
            )
        if self.session_secret.get_secret_value() == DEV_SESSION_SECRET:
            raise ValueError(
                "HANDOFF_SESSION_SECRET is still the development default; set "
                "HANDOFF_SESSION_SECRET in .env to a long random string"
            )
        return self

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS when staff reach the console over HTTPS."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return any(url.startswith("https://") for url in (self.public_url, self.hub_url))

    @property
    def outbound_token(self) -> str:
        """Token for the hub's outbound endpoint (``hub_token``, else the service token)."""
        token = self.hub_token or self.service_token
        return token.get_secret_value()


@lru_cache
def get_settings() -> HandoffSettings:
    """Return the cached settings; tests override this or pass their own."""
    return HandoffSettings()
