"""Settings of the hub process (environment variables prefixed ``BOT_`` and ``.env``)."""

import hashlib
import hmac
from functools import lru_cache
from typing import Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SIMULATOR_APP_SECRET = "simulator-app-secret"
SIMULATOR_VERIFY_TOKEN = "simulator-verify-token"
SIMULATOR_SERVICE_TOKEN = "dev-service-token"
SIMULATOR_LOGIN_RATE_PER_MIN = 600


class Settings(BaseSettings):
    """Hub settings; every field can be set as ``BOT_<FIELD>`` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="BOT_", env_file=".env", extra="ignore")

    simulator_mode: bool = Field(
        default=True,
        description="Serve the fake WhatsApp Cloud API and the simulator; relaxes secrets.",
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("BOT_REDIS_URL", "REDIS_URL"),
    )
    key_prefix: str = Field(default="wabot:", description="Prefix of every hub Redis key.")
    public_url: str = Field(default="http://127.0.0.1:8000", description="URL of this hub.")
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_s: float = 30.0
    actions_url: str = "http://127.0.0.1:5055"
    handoff_url: str = Field(default="", description="Handoff API base; empty = this hub.")
    service_token: SecretStr = Field(
        default=SecretStr(SIMULATOR_SERVICE_TOKEN),
        validation_alias=AliasChoices("BOT_SERVICE_TOKEN", "HANDOFF_SERVICE_TOKEN"),
    )
    whatsapp_app_secret: SecretStr = SecretStr("")
    whatsapp_verify_token: SecretStr = SecretStr("")
    whatsapp_token: SecretStr = SecretStr("")
    whatsapp_api_base: str = Field(
        default="", description="Cloud API base URL; empty = the hub's fake Cloud API."
    )
    whatsapp_api_version: str = "v21.0"
    whatsapp_phone_number_id: str = "100000000000001"
    whatsapp_display_number: str = "390289451200"
    max_body_bytes: int = 1_000_000
    max_text_chars: int = 4096
    inbound_shards: int = Field(default=16, ge=1, le=256)
    outbound_shards: int = Field(default=8, ge=1, le=256)
    run_workers: bool = Field(default=True, description="Run inbound/outbound workers in-process.")
    kb_warm: bool = Field(
        default=True,
        description="Load the KB encoders and index in the background at startup.",
    )
    lease_ms: int = 10_000
    dedupe_ttl_s: int = Field(default=14 * 24 * 3600, description="Outlives Meta's retries.")
    send_max_attempts: int = 6
    send_backoff_base_s: float = 0.5
    send_backoff_max_s: float = 30.0
    rate_limit_per_s: float = 80.0
    pair_rate_burst: int = Field(
        default=45, ge=1, description="Messages one contact may get in a burst (Meta's pair limit)."
    )
    pair_rate_per_s: float = Field(
        default=1 / 6, gt=0, description="Sustained messages per second to one contact (131056)."
    )
    whatsapp_timeout_s: float = Field(
        default=10.0, gt=0, description="Timeout of one Cloud API call (then retried)."
    )
    pace_defer_after_s: float | None = Field(
        default=0.1,
        ge=0,
        description="A contact paced longer than this (Meta's pair rate limit) has its replies "
        "set aside, in order, so the other contacts of its outbound shard are not held "
        "(None: wait in place).",
    )
    inflight_grace_s: float = Field(
        default=15.0,
        ge=0,
        description="After a timed-out or crashed send, how long to wait for Meta's status "
        "proving it was accepted before sending again.",
    )
    wait_notice_after_s: float = 20.0
    default_language: str = "it"
    gdpr_salt: SecretStr = Field(
        default=SecretStr(""),
        description="Key of the pseudonyms (log conversation ids, erasure records); "
        "empty = derived from the app secret.",
    )
    retention_days: int = Field(
        default=90, ge=1, description="Transcripts, Rasa trackers and resolved tickets expire."
    )
    retention_interval_s: float = Field(
        default=3600.0, ge=0, description="How often the hub applies retention (0 = never)."
    )
    rasa_key_prefix: str = Field(
        default="rasa:", description="Prefix of Rasa's tracker and lock store keys (endpoints.yml)."
    )
    webhook_rate_per_min: int = Field(
        default=30_000, ge=1, description="Webhook requests per minute per source IP (429 above)."
    )
    login_rate_per_min: int = Field(
        default=20,
        ge=1,
        description="Staff login attempts per minute per source IP (429 above); "
        f"{SIMULATOR_LOGIN_RATE_PER_MIN} in simulator mode unless set (tests log in often).",
    )
    trust_forwarded_for: bool = Field(
        default=False, description="Take the client IP from X-Forwarded-For (behind a proxy)."
    )
    fake_cloud_statuses: str = Field(
        default="sent,delivered,read",
        description="Statuses the fake Cloud API posts back for each message, in order.",
    )
    fake_cloud_status_delay_s: float = Field(
        default=0.05, description="Pause of the fake Cloud API before each status webhook."
    )

    @model_validator(mode="after")
    def _fill_simulator_defaults(self) -> Self:
        """Refuse to run without secrets outside simulator mode; fill dev secrets inside it."""
        if self.simulator_mode:
            if "login_rate_per_min" not in self.model_fields_set:
                self.login_rate_per_min = SIMULATOR_LOGIN_RATE_PER_MIN
            if not self.whatsapp_app_secret.get_secret_value():
                self.whatsapp_app_secret = SecretStr(SIMULATOR_APP_SECRET)
            if not self.whatsapp_verify_token.get_secret_value():
                self.whatsapp_verify_token = SecretStr(SIMULATOR_VERIFY_TOKEN)
            return self
        missing = [
            name
            for name in ("whatsapp_app_secret", "whatsapp_verify_token", "whatsapp_token")
            if not getattr(self, name).get_secret_value()
        ]
        if not self.whatsapp_api_base:
            missing.append("whatsapp_api_base")
        if self.service_token.get_secret_value() == SIMULATOR_SERVICE_TOKEN:
            missing.append("service_token")
        if missing:
            names = ", ".join(f"BOT_{name.upper()}" for name in missing)
            raise ValueError(f"{names} must be set when BOT_SIMULATOR_MODE=false; add them to .env")
        return self

    @property
    def pseudonym_key(self) -> bytes:
        """Key of the HMAC pseudonyms of contacts (``BOT_GDPR_SALT`` or the app secret)."""
        salt = self.gdpr_salt.get_secret_value()
        if salt:
            return salt.encode()
        secret = self.whatsapp_app_secret.get_secret_value().encode()
        return hmac.new(secret, b"wabot-pseudonyms", hashlib.sha256).digest()

    @property
    def cloud_api_base(self) -> str:
        """The WhatsApp Cloud API base URL, the hub's fake one in simulator mode."""
        return self.whatsapp_api_base or f"{self.public_url}/fake-cloud"

    @property
    def handoff_base(self) -> str:
        """Where the handoff API answers (mounted in this hub by default)."""
        return self.handoff_url or self.public_url


@lru_cache
def get_settings() -> Settings:
    """Return the cached settings (tests clear the cache or override the dependency)."""
    return Settings()
