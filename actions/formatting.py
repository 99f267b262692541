"""Human formatting of lead values and times in Italian and English."""

from __future__ import annotations

from datetime import datetime
from typing import Any

MONTHS = {
    "it": [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
WEEKDAYS = {
    "it": ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}


def grouped(amount: float, language: str) -> str:
    """350.000 in Italian, 350,000 in English (the responses add the currency)."""
    text = f"{int(round(amount)):,}"
    return text.replace(",", ".") if language == "it" else text


def timeframe_text(value: Any, language: str) -> str:
    """Months as words, free text as is."""
    if isinstance(value, int | float):
        months = int(value)
        if months <= 0:
            return "subito" if language == "it" else "right away"
        if language == "it":
            return "entro 1 mese" if months == 1 else f"entro {months} mesi"
        return "within 1 month" if months == 1 else f"within {months} months"
    return str(value)


def format_lead_values(slots: dict[str, Any], language: str) -> dict[str, str]:
    """Slot values ready for the recap response (kwargs override raw slot values)."""
    dash = "-"
    budget = slots.get("budget_max")
    surface = slots.get("surface_min")
    rooms = slots.get("rooms")
    return {
        "area": str(slots.get("area") or dash),
        "budget_max": grouped(budget, language) if isinstance(budget, int | float) else dash,
        "surface_min": f"{int(surface)} m²" if isinstance(surface, int | float) else dash,
        "rooms": str(int(rooms)) if isinstance(rooms, int | float) else dash,
        "timeframe": timeframe_text(slots.get("timeframe"), language)
        if slots.get("timeframe") is not None
        else dash,
        "contact_name": str(slots.get("contact_name") or dash),
        "contact_phone": str(slots.get("contact_phone") or dash),
        "contact_email": str(slots.get("contact_email") or dash),
    }


def when_text(moment: datetime, now: datetime, language: str) -> str:
    """'entro le 15:20' today, 'domani alle 9:30', 'lunedì 3 marzo alle 9:30'."""
    clock = moment.strftime("%H:%M").lstrip("0") if moment.hour >= 10 else moment.strftime("%-H:%M")
    if moment.date() == now.date():
        return f"entro le {clock}" if language == "it" else f"by {clock}"
    delta_days = (moment.date() - now.date()).days
    if delta_days == 1:
        return f"domani alle {clock}" if language == "it" else f"tomorrow at {clock}"
    weekday = WEEKDAYS[language][moment.weekday()]
    month = MONTHS[language][moment.month - 1]
    if language == "it":
        return f"{weekday} {moment.day} {month} alle {clock}"
    return f"{weekday} {moment.day} {month} at {clock}"
