"""Italian or English from a short WhatsApp message, by marker words and characters.

Only words that belong to one of the two languages count ("a", "in", "no", "ok",
"come", "per" are in both and count for neither). A tie, or no marker at all
("ok", "300k", an emoji), returns the default.
"""

from __future__ import annotations

import re

IT_WORDS = frozenset(
    """il lo la gli le un una uno di da che e è non con su sono ho ha hai mi ti ci vi si sì
    vorrei cerco cerchiamo casa grazie ciao buongiorno buonasera salve questo questa quello
    quella anche quando dove perché perche ma più piu molto appartamento affitto affittare
    vendere comprare acquistare zona della del dello nel nella alla al dei delle degli sei
    siamo essere avere fare voglio vogliamo posso possiamo può puo quanto quanti costa prezzo
    mese mesi anno anni entro subito buona sera giorno dopo prima ancora già gia tutto niente
    nulla tra fra oppure se bene va vero certo locali bilocale trilocale monolocale camere
    camera bagno cucina metri quadri mq vicino centro quartiere sto stiamo abbiamo avete
    potete potrei vorremmo cosa chi qual quale quali mio mia miei tuo tua suo sua
    nostro vostro loro ecco allora quindi però pero infatti settimana domani oggi ieri
    visita vedere appuntamento agenzia mutuo caparra contratto chiamo chiamami scrivimi
    lavoro ufficio orari aperti aprite chiudete sabato domenica lunedì lunedi martedì
    martedi mercoledì mercoledi giovedì giovedi venerdì venerdi estate inverno mila
    qualcuno persona parlare operatore umano buonanotte arrivederci perfetto""".split()
)
EN_WORDS = frozenset(
    """the an and is are am i'm im you we they it it's to of for with on at my your our
    their this that these those what when where how do does did can could would should
    please thanks thank hello hi hey looking look want need buy buying rent renting sell
    selling flat apartment house home month months year years bedroom bedrooms be have has
    not yes will there from by about but or if so just any some much many price would like
    i'd i've don't dont can't cant im i'll let's get got near area around square
    meters metres sqm rooms room bathroom kitchen viewing visit tomorrow today monday tuesday
    wednesday thursday friday saturday sunday summer winter week weeks agent agency speak
    talk person human someone hours open opening closed close mortgage deposit contract
    good morning afternoon evening bye goodbye great perfect sure okay cool which who why
    here up out also than then them him her his she he me us""".split()
)
IT_CHARS = re.compile(r"[àèéìòù]|\b(?:l|dell|all|nell|un|c|d|dall|sull|quest|po)'")
EN_CHARS = re.compile(r"\b\w+'(?:s|m|re|ve|ll|d|t)\b|n't\b")
WORD_RE = re.compile(r"[a-zàèéìòù']+")


def detect_language(text: str, default: str = "it") -> str:
    """Return "it" or "en" for a message; `default` when unsure."""
    if not text:
        return default
    lowered = text.lower().replace("’", "'")
    words = WORD_RE.findall(lowered)
    it_score = sum(word in IT_WORDS for word in words) + len(IT_CHARS.findall(lowered))
    en_score = sum(word in EN_WORDS for word in words) + len(EN_CHARS.findall(lowered))
    if it_score > en_score:
        return "it"
    if en_score > it_score:
        return "en"
    return default
