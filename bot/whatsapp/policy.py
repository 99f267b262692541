"""What WhatsApp allows us to send to one contact right now: consent and the 24-hour window.

* **Consent.** A contact who opted out (STOP, or WhatsApp's marketing switch) gets nothing
  proactive: no template, no reminder, no system notice. A reply to the customer's own message
  is still allowed — the customer wrote to us.
* **Customer-service window.** Free-form messages (text, buttons, lists) may only be sent within
  24 hours of the customer's last message; outside it only an approved template goes out
  (Meta answers 131047 otherwise).

The router writes the window's start on the contact hash (``window_from``): the customer's
message time in production; in simulator mode, where scripts replay with their clock set in the
past, the time the hub received it, so a replayed conversation has the window it would have had.
A contact the hub never saw write (imported, or Redis lost it) is tried: Meta answers 131047 when
the window is closed, and that answer is handled exactly like a window we knew was closed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from bot.whatsapp.consent import is_opted_out

WINDOW = timedelta(hours=24)


class Verdict(StrEnum):
    """What the sender does with a message."""

    SEND = "send"
    SUPPRESS = "suppressed"  # proactive message to an opted-out contact: never sent
    HOLD = "awaiting_window"  # free-form message outside the window: held until the customer writes


def is_proactive(*, has_template: bool, origin: str, in_reply_to: str | None) -> bool:
    """Templates and notices nobody asked for; a reply to a customer's message is not."""
    return has_template or (origin == "system" and in_reply_to is None)


def window_from(contact_fields: dict[str, str]) -> datetime | None:
    """Start of the contact's current customer-service window (None if they never wrote)."""
    value = contact_fields.get("window_from") or contact_fields.get("last_inbound_at")
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def is_window_open(contact_fields: dict[str, str], now: datetime) -> bool:
    """True while free-form messages may be sent (less than 24 h since the last message)."""
    start = window_from(contact_fields)
    return start is not None and now - start < WINDOW


def judge(
    *,
    contact_fields: dict[str, str],
    now: datetime,
    has_template: bool,
    origin: str,
    in_reply_to: str | None,
) -> Verdict:
    """Decide one message: send it, suppress it (opted out) or hold it (window closed)."""
    proactive = is_proactive(has_template=has_template, origin=origin, in_reply_to=in_reply_to)
    if proactive and is_opted_out(contact_fields):
        return Verdict.SUPPRESS
    if has_template or is_window_open(contact_fields, now):
        return Verdict.SEND
    if window_from(contact_fields) is None:
        return Verdict.SEND  # never saw them write: let Meta decide (131047 is handled alike)
    return Verdict.HOLD
