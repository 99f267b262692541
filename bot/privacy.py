"""Pseudonyms of contacts and masking of personal data in log lines.

Contacts are identified in logs and erasure records by keyed hashes (HMAC-SHA256 with
``Settings.pseudonym_key``): a plain hash of a phone number is reversed by trying every number.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import structlog

PHONE = re.compile(r"(?:(?<=%2B)|(?<=%2b)|(?<![\w.]))\+?\d[\d ().-]{6,16}\d(?!\w)")
EMAIL = re.compile(r"\b([\w.+-])[\w.+-]*@([\w-]+\.)+[\w-]{2,}\b")
SECRET_KEYS = re.compile(r"secret|token|password|authorization|cookie|csrf", re.IGNORECASE)
_DIGITS = re.compile(r"\D")


class InvalidContactError(ValueError):
    """The value is not a WhatsApp number."""


def wa_id_of(phone: str) -> str:
    """The WhatsApp id (digits) of a number written ``+39 333...``, ``0039...`` or digits."""
    compact = _DIGITS.sub("", phone.strip())
    if phone.strip().startswith("00"):
        compact = compact[2:]
    if not 8 <= len(compact) <= 15 or re.search(r"[^\d\s+().-]", phone):
        raise InvalidContactError(f"{phone!r} is not a phone number; write it as +393331234567")
    return compact


def _hmac(key: bytes, purpose: str, wa_id: str) -> str:
    return hmac.new(key, f"{purpose}:{wa_id}".encode(), hashlib.sha256).hexdigest()


def conversation_id(wa_id: str, key: bytes) -> str:
    """The id of a contact's conversation in logs and metrics (16 hex characters)."""
    return _hmac(key, "conversation", wa_id)[:16]


@contextlib.contextmanager
def conversation_context(wa_id: str, key: bytes) -> Iterator[str]:
    """Bind the conversation id to every log line written while processing one message."""
    conversation = conversation_id(wa_id, key)
    with structlog.contextvars.bound_contextvars(conversation=conversation):
        yield conversation


def subject_hash(wa_id: str, key: bytes) -> str:
    """The pseudonym kept in the erasure record (proves an erasure without the number)."""
    return _hmac(key, "erased", wa_id)


def _mask_phone(match: re.Match[str]) -> str:
    digits = _DIGITS.sub("", match.group())
    return match.group() if len(digits) < 9 else "***" + digits[-3:]  # dates, IPs stay


def mask_text(text: str) -> str:
    """Phone numbers keep their last 3 digits, e-mails their first letter and domain."""
    masked = PHONE.sub(_mask_phone, text)
    return EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(0).split('@', 1)[1]}", masked)


def _mask_value(key: str, value: Any) -> Any:
    if SECRET_KEYS.search(key):
        return "[redacted]"
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(key, v) for v in value]
    return value


def mask_event(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: secrets redacted, phones and e-mails masked in every field."""
    for key in list(event):
        if key not in ("timestamp", "level", "conversation"):
            event[key] = _mask_value(key, event[key])
    return event
