"""The ticket summary: who, what they want, facts with their source message, open questions.

Facts come from the ``facts`` package (the same spaCy-based normaliser the lead form uses),
read from the customer's messages only. Lead slots sent by the action take precedence.
Nothing is invented: a transcript fact always points to the message it was read from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from handoff.models import (
    Contact,
    FactSource,
    FactValue,
    Language,
    LeadSlots,
    MessageRole,
    Reason,
    Summary,
    SummaryFact,
    TranscriptMessage,
)

logger = logging.getLogger(__name__)

MAX_TEXT = 1000
LAST_MESSAGES = 6
_QUOTE_CONTEXT = 60
LEAD_KEYS = tuple(LeadSlots.model_fields)


class ExtractedFact(Protocol):
    """What ``facts.extract_facts`` returns per fact."""

    key: Any
    value: Any
    raw: str
    start: int
    end: int


Extractor = Callable[..., Sequence[ExtractedFact]]


def default_extractor() -> Extractor:
    """The project's fact extractor (``facts.extract_facts``)."""
    from facts import extract_facts

    return extract_facts


def build_summary(
    *,
    contact: Contact,
    reasons: list[Reason],
    lead: LeadSlots | None,
    transcript: list[TranscriptMessage],
    unanswered: list[str],
    extract: Extractor | None = None,
    staff_language: Language = Language.it,
    timezone: ZoneInfo | None = None,
) -> Summary:
    """Build the structured summary and its rendered text (at most 1,000 characters).

    ``timezone`` is the team's: message times in the text are shown on the office clock.
    """
    read = transcript_facts(transcript, contact.language, extract or default_extractor())
    lead = typed_phone_wins(lead, contact, read)
    facts = merge_lead(lead, read, transcript)
    wanted = _wants(lead, facts)
    summary = Summary(
        who=contact,
        reason=reasons[0],
        reasons=reasons,
        lead=wanted,
        facts=facts,
        unanswered=list(dict.fromkeys(q.strip() for q in unanswered if q.strip())),
        last_messages=transcript[-LAST_MESSAGES:],
        text="",
    )
    summary.text = render_text(summary, staff_language, timezone)
    return summary


def typed_phone_wins(
    lead: LeadSlots | None, contact: Contact, read: list[SummaryFact]
) -> LeadSlots | None:
    """The sender's own number (the form's default) gives way to a number the customer typed."""
    if lead is None or lead.contact_phone != contact.phone:
        return lead
    typed = any(f.key == "contact_phone" and f.value != contact.phone for f in read)
    return lead.model_copy(update={"contact_phone": None}) if typed else lead


def transcript_facts(
    transcript: list[TranscriptMessage], language: Language, extract: Extractor
) -> list[SummaryFact]:
    """Facts read from customer messages, first occurrence of each (key, value)."""
    found: list[SummaryFact] = []
    seen: set[tuple[str, FactValue]] = set()
    for index, message in enumerate(transcript):
        if message.role is not MessageRole.customer or not message.text.strip():
            continue
        for fact in _extract_safely(extract, message, language):
            key, value = str(getattr(fact.key, "value", fact.key)), _plain(fact.value)
            if (key, _comparable(value)) in seen:
                continue
            seen.add((key, _comparable(value)))
            source = _source(index, message, fact.start, fact.end)
            found.append(SummaryFact(key=key, value=value, origin="transcript", source=source))
    return found


def _extract_safely(
    extract: Extractor, message: TranscriptMessage, language: Language
) -> Sequence[ExtractedFact]:
    try:
        return extract(message.text, language.value, now=message.ts)
    except Exception:  # a broken message must not block the handoff
        logger.exception("fact extraction failed on a transcript message; skipped")
        return []


def merge_lead(
    lead: LeadSlots | None, read: list[SummaryFact], transcript: list[TranscriptMessage]
) -> list[SummaryFact]:
    """Lead slots replace transcript facts of the same key, keeping a source when one exists."""
    slots = lead.model_dump(exclude_none=True) if lead else {}
    facts = [
        SummaryFact(
            key=key,
            value=value,
            origin="lead_form",
            source=_lead_source(key, value, read, transcript),
        )
        for key, value in slots.items()
    ]
    return facts + [fact for fact in read if fact.key not in slots]


def _lead_source(
    key: str, value: FactValue, read: list[SummaryFact], transcript: list[TranscriptMessage]
) -> FactSource | None:
    for fact in read:
        if fact.key == key and _comparable(fact.value) == _comparable(value):
            return fact.source
    needle = str(value).casefold()
    for index, message in enumerate(transcript):
        position = message.text.casefold().find(needle)
        if message.role is MessageRole.customer and needle and position >= 0:
            return _source(index, message, position, position + len(needle))
    return None


def _wants(lead: LeadSlots | None, facts: list[SummaryFact]) -> LeadSlots:
    """Lead slots, completed by the latest transcript fact of each missing slot."""
    wants = lead.model_copy() if lead else LeadSlots()
    for fact in facts:
        if fact.key in LEAD_KEYS and getattr(wants, fact.key) is None:
            try:
                wants = LeadSlots.model_validate(wants.model_dump() | {fact.key: fact.value})
            except ValidationError:
                continue
    return wants


def _source(index: int, message: TranscriptMessage, start: int, end: int) -> FactSource:
    text = message.text
    left, right = max(0, start - _QUOTE_CONTEXT), min(len(text), end + _QUOTE_CONTEXT)
    quote = ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")
    return FactSource(message_index=index, ts=message.ts, quote=quote, raw=text[start:end])


def _plain(value: Any) -> FactValue:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime) or hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _comparable(value: FactValue) -> FactValue:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value.casefold().strip() if isinstance(value, str) else value


# --- rendering --------------------------------------------------------------------------

_LABELS = {
    Language.it: {
        "reason": "Motivo",
        "wants": "Cerca",
        "contacts": "Contatti",
        "facts": "Dati",
        "unanswered": "Senza risposta",
        "last": "Ultimi messaggi",
        "customer": "cliente",
        "bot": "bot",
        "agent": "operatore",
        "human_requested": "chiede un operatore",
        "bot_failed": "il bot non ha saputo rispondere",
        "qualified_lead": "lead qualificato",
        "complaint": "reclamo",
        "buy": "acquisto",
        "rent": "affitto",
        "sell": "vendita",
        "rooms": "locali",
        "months": "mesi",
    },
    Language.en: {
        "reason": "Reason",
        "wants": "Wants",
        "contacts": "Contact",
        "facts": "Facts",
        "unanswered": "Unanswered",
        "last": "Last messages",
        "customer": "customer",
        "bot": "bot",
        "agent": "agent",
        "human_requested": "asked for a person",
        "bot_failed": "the bot could not answer",
        "qualified_lead": "qualified lead",
        "complaint": "complaint",
        "buy": "buy",
        "rent": "rent",
        "sell": "sell",
        "rooms": "rooms",
        "months": "months",
    },
}


def render_text(
    summary: Summary, language: Language = Language.it, timezone: ZoneInfo | None = None
) -> str:
    """Render the summary for an agent, cut to fit 1,000 characters."""
    labels = _LABELS[language]
    head = [_who_line(summary.who)]
    head.append(f"{labels['reason']}: " + ", ".join(labels[r.value] for r in summary.reasons))
    wanted = _wants_line(summary.lead, labels, language)
    if wanted:
        head.append(f"{labels['wants']}: {wanted}")
    contacts = _contacts_line(summary.lead, summary.who)
    if contacts:
        head.append(f"{labels['contacts']}: {contacts}")
    extra = [f for f in summary.facts if f.key not in LEAD_KEYS or f.origin == "transcript"]
    shown = [f for f in extra if f.key not in LEAD_KEYS or getattr(summary.lead, f.key) is None]
    if shown:
        items = "; ".join(_fact_item(f) for f in shown)
        head.append(f"{labels['facts']}: {items}")
    if summary.unanswered:
        head.append(f"{labels['unanswered']}: " + " | ".join(summary.unanswered))
    lines = [_clip(line, 300) for line in head]
    return _fit(lines, summary.last_messages, labels, timezone)


def _who_line(who: Contact) -> str:
    name = who.name or "?"
    return f"{name} · {who.phone} · {who.language.value}"


def _wants_line(wants: LeadSlots, labels: dict[str, str], language: Language) -> str:
    parts: list[str] = []
    if wants.lead_type:
        parts.append(labels.get(wants.lead_type, wants.lead_type))
    if wants.area:
        parts.append(wants.area)
    if wants.budget_max is not None:
        parts.append("max " + _money(wants.budget_max, language))
    if wants.surface_min is not None:
        parts.append(f"≥ {_number(wants.surface_min, language)} m²")
    if wants.rooms is not None:
        parts.append(f"{_number(wants.rooms, language)} {labels['rooms']}")
    if wants.timeframe is not None:
        if isinstance(wants.timeframe, str):
            parts.append(wants.timeframe)
        else:
            parts.append(f"{_number(wants.timeframe, language)} {labels['months']}")
    return " · ".join(parts)


def _contacts_line(wants: LeadSlots, who: Contact) -> str:
    """Name, phone and e-mail the customer gave, minus what the who line already shows."""
    given = [
        wants.contact_name if wants.contact_name != who.name else None,
        wants.contact_phone if wants.contact_phone != who.phone else None,
        wants.contact_email,
    ]
    return " · ".join(value for value in given if value)


def _fact_item(fact: SummaryFact) -> str:
    where = f" (#{fact.source.message_index})" if fact.source else ""
    return f"{fact.key.replace('_', ' ')} {fact.value}{where}"


def _fit(
    lines: list[str],
    messages: list[TranscriptMessage],
    labels: dict[str, str],
    timezone: ZoneInfo | None,
) -> str:
    """Add as many of the last messages as fit, newest kept first, within 1,000 chars."""
    for width in (160, 100, 60):
        rendered = [_message_line(m, labels, width, timezone) for m in messages]
        while rendered:
            text = "\n".join([*lines, f"{labels['last']}:", *rendered])
            if len(text) <= MAX_TEXT:
                return text
            if width > 60:
                break
            rendered = rendered[1:]
    return _clip("\n".join(lines), MAX_TEXT)


def _message_line(
    message: TranscriptMessage, labels: dict[str, str], width: int, timezone: ZoneInfo | None
) -> str:
    ts = message.ts.astimezone(timezone) if message.ts and timezone else message.ts
    stamp = ts.strftime("%d/%m %H:%M") if ts else "--/-- --:--"
    text = " ".join(message.text.split()) or f"[{message.type}]"
    return f"[{stamp}] {labels[message.role.value]}: {_clip(text, width)}"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _money(value: float, language: Language) -> str:
    return f"{_number(value, language)} €" if language is Language.it else f"€{value:,.0f}"


def _number(value: float, language: Language) -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return text.replace(",", ".") if language is Language.it else text
