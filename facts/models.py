"""Public data types of the facts package."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class FactKey(StrEnum):
    """What a fact is about; lead slots plus the extra facts a summary shows."""

    AREA = "area"
    BUDGET_MAX = "budget_max"
    SURFACE_MIN = "surface_min"
    ROOMS = "rooms"
    TIMEFRAME = "timeframe"
    CONTACT_NAME = "contact_name"
    CONTACT_PHONE = "contact_phone"
    CONTACT_EMAIL = "contact_email"
    CODICE_FISCALE = "codice_fiscale"
    DATE = "date"
    AMOUNT = "amount"
    DOCUMENT = "document"
    LEAD_TYPE = "lead_type"


class Fact(BaseModel):
    """One normalised fact with the exact substring it came from.

    `raw` is always `text[start:end]` of the message the fact was extracted from.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: FactKey
    value: str | int | float
    raw: str
    start: int
    end: int
