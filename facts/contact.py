"""Phone numbers (E.164, via phonenumbers) and email addresses (via email-validator).

Phone numbers must be valid for their region; a number written with its international
prefix ("+44 ...", "0044 ...") only needs a possible length.
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from facts.models import FactKey
from facts.text import Candidate

EMAIL_RE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
MIN_PHONE_DIGITS = 6
# A number written with its international prefix is a phone number even when its range
# is not (yet) assigned in phonenumbers' metadata (e.g. UK +44 7700 900xxx).
INTERNATIONAL_PREFIX = re.compile(r"\+|00[1-9]")


def normalise_email(address: str) -> str | None:
    """Validate an address (no DNS lookup) and return it lowercased, or None."""
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.normalized.lower()


def email_candidates(text: str) -> list[Candidate]:
    """Return the `contact_email` candidates of a message."""
    if "@" not in text:
        return []
    found = []
    for match in EMAIL_RE.finditer(text):
        raw = match.group().rstrip(".")
        value = normalise_email(raw)
        if value is not None:
            start = match.start()
            found.append(Candidate(FactKey.CONTACT_EMAIL, value, start, start + len(raw)))
    return found


def parse_email(text: str) -> str | None:
    """Return the first valid email address in an answer, lowercased, or None."""
    found = email_candidates(text or "")
    return str(found[0].value) if found else None


def phone_candidates(text: str, default_region: str = "IT") -> list[Candidate]:
    """Return the `contact_phone` candidates of a message, in E.164."""
    if sum(char.isdigit() for char in text) < MIN_PHONE_DIGITS:
        return []
    found = _matches(text, default_region, phonenumbers.Leniency.VALID)
    if not found:
        found = [
            candidate
            for candidate in _matches(text, default_region, phonenumbers.Leniency.POSSIBLE)
            if INTERNATIONAL_PREFIX.match(text, candidate.start)
        ]
    return found


def _matches(text: str, default_region: str, leniency: int) -> list[Candidate]:
    """Run phonenumbers' matcher at one leniency."""
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text, default_region, leniency=leniency):
        value = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        found.append(Candidate(FactKey.CONTACT_PHONE, value, match.start, match.end))
    return found


def parse_phone(text: str, default_region: str = "IT") -> str | None:
    """Return the first valid phone number in an answer, in E.164, or None."""
    if not text:
        return None
    found = phone_candidates(text, default_region)
    if found:
        return str(found[0].value)
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
