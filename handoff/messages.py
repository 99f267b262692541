"""Short texts the handoff service sends to customers, in their language."""

from __future__ import annotations

from handoff.models import Language

RESOLVED = {
    Language.it: (
        "La conversazione con il nostro staff è chiusa, grazie! "
        "Se ti serve altro scrivi pure: ti risponde il nostro assistente, "
        "e scrivi *operatore* per parlare di nuovo con una persona."
    ),
    Language.en: (
        "Your conversation with our staff is closed, thank you! "
        "If you need anything else just write: our assistant will answer, "
        "and write *agent* to reach a person again."
    ),
}


def resolved_notice(language: Language) -> str:
    """The message sent when an agent resolves the ticket."""
    return RESOLVED.get(language, RESOLVED[Language.en])
