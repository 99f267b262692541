"""Replies the hub sends itself, without Rasa (media, location, contacts, unsupported, waiting)."""

_REPLIES: dict[str, dict[str, str]] = {
    "media": {
        "it": "Grazie, l'ho ricevuto 👍 Per ora posso leggere solo messaggi di testo: "
        "scrivimi pure la tua domanda, oppure rispondi *operatore* per parlare con una persona.",
        "en": "Thanks, I received it 👍 For now I can only read text messages: type your "
        "question, or reply *agent* to talk to a person.",
    },
    "location": {
        "it": "Grazie per la posizione 📍 L'ho passata all'agenzia. Dimmi pure cosa cerchi in "
        "quella zona, oppure rispondi *operatore* per parlare con una persona.",
        "en": "Thanks for the location 📍 I've passed it on to the agency. Tell me what you are "
        "looking for in that area, or reply *agent* to talk to a person.",
    },
    "contacts": {
        "it": "Grazie, ho ricevuto il contatto 👤 Se vuoi che lo richiamiamo scrivimelo pure, "
        "oppure rispondi *operatore* per parlare con una persona.",
        "en": "Thanks, I received the contact 👤 If you'd like us to call them just say so, "
        "or reply *agent* to talk to a person.",
    },
    "unsupported": {
        "it": "Questo tipo di messaggio non lo posso leggere. Capisco testo, pulsanti e "
        "liste: scrivimi pure, oppure rispondi *operatore* per parlare con una persona.",
        "en": "I can't read this kind of message. I understand text, buttons and lists: "
        "type your message, or reply *agent* to talk to a person.",
    },
    "actions_down": {
        "it": "Mi dispiace, in questo momento non riesco a recuperare questa informazione 🙏 "
        "Riprova tra qualche minuto, per favore.",
        "en": "Sorry, I can't look that up right now 🙏 Please try again in a few minutes.",
    },
    "wait": {
        "it": "Un attimo, per favore: sto verificando e ti rispondo a breve 🙏",
        "en": "One moment, please: I'm checking and will answer shortly 🙏",
    },
}


def canned_reply(kind: str, language: str) -> str:
    """Return the hub's own reply of ``kind`` in ``language`` (Italian when unknown)."""
    variants = _REPLIES[kind]
    return variants.get(language, variants["it"])
