"""The it/en catalog of the staff pages and the choice of language."""

from __future__ import annotations

import re

from bot.web.i18n import LANGUAGES, catalog, from_accept_language, translate
from bot.web.nav import NAV
from bot.web.templating import TEMPLATES

LITERAL_KEY = re.compile(r"""\bt\(\s*['"]([a-z0-9_.]*[a-z0-9])['"]""")


def _template_keys() -> set[str]:
    keys = set()
    for path in TEMPLATES.rglob("*.html"):
        keys |= set(LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    return keys


def test_every_key_the_pages_use_exists_in_italian_and_english() -> None:
    keys = _template_keys() | {item.label for item in NAV}
    assert len(keys) > 100
    strings = catalog()
    missing = sorted(k for k in keys if set(strings.get(k, {})) < set(LANGUAGES))
    assert missing == [], f"add these keys to bot/web/messages.yml in it and en: {missing}"


def test_catalog_entries_have_both_languages_and_the_same_placeholders() -> None:
    field = re.compile(r"\{(\w+)\}")
    for key, strings in catalog().items():
        assert set(strings) == set(LANGUAGES), key
        assert set(field.findall(strings["it"])) == set(field.findall(strings["en"])), key


def test_translate_fills_placeholders_and_falls_back_readably() -> None:
    assert translate("it", "users.edit", name="marco") == "Modifica marco"
    assert translate("en", "users.edit", name="marco") == "Edit marco"
    assert translate("en", "fact.square_metres") == "square metres"


def test_accept_language_picks_the_best_language_we_have() -> None:
    assert from_accept_language("en-GB,en;q=0.9,it;q=0.8") == "en"
    assert from_accept_language("de-DE, it;q=0.4, en;q=0.6") == "en"
    assert from_accept_language("it-IT") == "it"
    assert from_accept_language("fr, de") is None
    assert from_accept_language("en;q=bad, it") == "it"
    assert from_accept_language("") is None
