"""Settings of the action server (environment variables prefixed ``ACTIONS_``)."""

from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ActionSettings(BaseSettings):
    """Where the hub and the handoff API answer, and the token to call them."""

    model_config = SettingsConfigDict(env_prefix="ACTIONS_", env_file=".env", extra="ignore")

    hub_url: str = "http://127.0.0.1:8000"
    handoff_url: str = Field(default="", description="Handoff API base; empty = the hub.")
    service_token: SecretStr = Field(
        default=SecretStr("dev-service-token"),
        validation_alias=AliasChoices(
            "ACTIONS_SERVICE_TOKEN", "HANDOFF_SERVICE_TOKEN", "BOT_SERVICE_TOKEN"
        ),
    )
    timeout_s: float = 10.0
    timezone: str = "Europe/Rome"
    agency_phone: str = "+39 02 8945 1200"

    @property
    def handoff_base(self) -> str:
        """The handoff API base URL."""
        return (self.handoff_url or self.hub_url).rstrip("/")


@lru_cache
def get_settings() -> ActionSettings:
    """The cached settings of this process."""
    return ActionSettings()
