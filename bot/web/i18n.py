"""Italian and English strings of the staff pages, and the reader's language.

The catalog is ``bot/web/messages.yml``: ``key: {it: "...", en: "..."}``; ``{name}``
placeholders are filled with ``str.format``. The language is the ``wabot_lang`` cookie
(set by the switch in the header), else the browser's ``Accept-Language``, else Italian.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from fastapi import Request

LANGUAGES = ("it", "en")
DEFAULT_LANGUAGE = "it"
LANG_COOKIE = "wabot_lang"
CATALOG_FILE = Path(__file__).with_name("messages.yml")


@cache
def catalog() -> dict[str, dict[str, str]]:
    """Every string by key, then by language (read once)."""
    loaded = yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8")) or {}
    return {str(key): {str(k): str(v) for k, v in value.items()} for key, value in loaded.items()}


def translate(language: str, key: str, **values: object) -> str:
    """The string ``key`` in ``language``; placeholders are filled only when values are given.

    A missing key falls back to English, then to the key's last part (``fact.cap`` → ``cap``),
    so a new fact or status still reads sensibly; ``tests/bot/web/test_i18n.py`` checks
    that every key the templates use exists in both languages.
    """
    strings = catalog().get(key, {})
    found = strings.get(language) or strings.get("en") or key.rsplit(".", 1)[-1].replace("_", " ")
    return found.format(**values) if values else found


def from_accept_language(header: str) -> str | None:
    """The first of our languages the browser asks for (quality order), if any."""
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        wanted.append((-quality, position, tag.strip().lower().split("-")[0]))
    for _, _, language in sorted(wanted):
        if language in LANGUAGES:
            return language
    return None


def choose_language(request: Request) -> str:
    """The reader's language: cookie, else Accept-Language, else Italian."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return from_accept_language(request.headers.get("accept-language", "")) or DEFAULT_LANGUAGE


class Translator:
    """``t("key", name=...)`` in templates and handlers, bound to one language."""

    def __init__(self, language: str) -> None:
        """Bind to ``language`` (one of ``LANGUAGES``)."""
        self.language = language

    def __call__(self, key: str, **values: object) -> str:
        """The string ``key`` in this language."""
        return translate(self.language, key, **values)
