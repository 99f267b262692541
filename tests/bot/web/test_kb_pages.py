"""The KB editor pages on a live hub over a copy of the example documents."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from html import unescape
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from handoff.models import Role
from knowledge_base import get_settings as kb_settings
from tests.bot.web.pages import PageClient, staff_client
from tests.bot.whatsapp_live import live_hub
from tests.knowledge_base.helpers import copy_docs


@pytest.fixture
def docs(tmp_path: Path, key_prefix: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The hub's knowledge base is a copy of eight topics, with keys under the test prefix."""
    folder = copy_docs(tmp_path / "docs")
    (folder / "en" / "parking.md").unlink()  # a missing translation
    monkeypatch.setenv("KB_DOCS_DIR", str(folder))
    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("KB_VERSION_KEY", f"{key_prefix}kb:version")
    monkeypatch.setenv("KB_MISSES_STREAM", f"{key_prefix}kb:misses")
    monkeypatch.setenv("KB_HISTORY_PREFIX", f"{key_prefix}kb:history:")
    kb_settings.cache_clear()
    yield folder
    kb_settings.cache_clear()


@pytest.fixture
async def editor(
    docs: Path, redis: Redis, redis_server: str, key_prefix: str
) -> AsyncIterator[PageClient]:
    async with live_hub(redis, redis_server, key_prefix) as hub:
        client = await staff_client(hub, Role.editor)
        client.http.timeout = httpx.Timeout(180)  # the first page loads the encoders
        yield client
        await client.http.aclose()


def _version(page: str) -> str:
    found = re.search(r'name="version" value="([^"]*)"', page)
    assert found, "the form carries the version"
    return found.group(1)


def _textarea(page: str, name: str) -> str:
    found = re.search(rf'<textarea id="[^"]+" name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found
    return unescape(found.group(1))


async def test_missing_translation_is_flagged_and_written_from_the_list(
    editor: PageClient,
) -> None:
    listing = (await editor.http.get("/kb")).text
    row = re.search(r'<tr data-topic="parking".*?</tr>', listing, re.S)
    assert row and 'data-missing="en"' in row.group(0)
    assert 'href="/kb/new?id=parking&amp;lang=en"' in row.group(0)
    assert listing.count("data-missing=") == 1

    form = await editor.http.get("/kb/new", params={"id": "parking", "lang": "en"})
    assert form.status_code == 200 and _version(form.text) == ""
    saved = await editor.post_form(
        "/kb/parking/en",
        {
            "version": "",
            "title": "Is there parking near the agency?",
            "alt_questions": "Where can I park?\nIs there a car park nearby?",
            "tags": "agency, parking",
            "team": "support",
            "body": "*Parking*: blue lines in Via Vigevano.\r\n- Garage at Via Troilo 14",
        },
    )
    assert saved.status_code == 200 and "data-saved=" in saved.text
    assert "data-missing=" not in (await editor.http.get("/kb")).text
    again = await editor.http.get("/kb/new", params={"id": "parking", "lang": "en"})
    assert again.status_code == 409


async def test_lint_errors_block_warnings_do_not(editor: PageClient, docs: Path) -> None:
    before = (docs / "it" / "opening_hours.md").read_text(encoding="utf-8")
    page = (await editor.http.get("/kb/opening_hours/it")).text
    fields = {"version": _version(page), "title": "Quali sono gli orari?", "body": "x" * 5000}
    refused = await editor.post_form("/kb/opening_hours/it", fields)
    assert refused.status_code == 422 and 'data-lint="too-long"' in refused.text
    assert _textarea(refused.text, "body") == "x" * 5000, "the editor's text is kept"
    assert (docs / "it" / "opening_hours.md").read_text(encoding="utf-8") == before

    new = await editor.post_form(
        "/kb/municipal_discount/it",
        {"version": "", "title": "Fate sconti ai dipendenti comunali?", "body": "Sì, il 10 %."},
    )
    assert new.status_code == 200 and "data-saved=" in new.text
    assert 'data-lint="missing-translation"' in new.text


async def test_stale_version_is_a_conflict_that_keeps_the_text(editor: PageClient) -> None:
    page = (await editor.http.get("/kb/opening_hours/it")).text
    version = _version(page)
    title = unescape(re.search(r'name="title" value="([^"]*)"', page).group(1))  # type: ignore[union-attr]
    first = await editor.post_form(
        "/kb/opening_hours/it", {"version": version, "title": title, "body": "Aperti 9-18."}
    )
    assert first.status_code == 200
    stale = await editor.post_form(
        "/kb/opening_hours/it", {"version": version, "title": title, "body": "Aperti 8-20."}
    )
    assert stale.status_code == 409 and "data-conflict" in stale.text
    assert _textarea(stale.text, "body") == "Aperti 8-20."


async def test_history_lists_who_changed_what_and_restores(editor: PageClient) -> None:
    page = (await editor.http.get("/kb/parking/it")).text
    original, title = _version(page), "Dove posso parcheggiare?"
    body = _textarea(page, "body")
    changed = await editor.post_form(
        "/kb/parking/it", {"version": original, "title": title, "body": "Niente parcheggio."}
    )
    current = _version(changed.text)
    history = (await editor.http.get("/kb/parking/it/history")).text
    rows = re.findall(r'<tr data-version="(\w+)" data-action="(\w+)">', history)
    assert rows == [(current, "saved"), (original, "original")]
    assert editor.username in history
    shown = await editor.http.get("/kb/parking/it/history", params={"show": original})
    assert "wa-bubble" in shown.text
    restored = await editor.post_form(
        "/kb/parking/it/restore", {"restore": original, "version": current}
    )
    assert restored.status_code == 200 and "data-saved=" in restored.text
    assert _textarea(restored.text, "body") == body
    rows = re.findall(
        r'data-action="(\w+)"', (await editor.http.get("/kb/parking/it/history")).text
    )
    assert rows == ["restored", "saved", "original"]
    audit = re.findall(
        r'data-audit="(\w+)"', (await editor.http.get("/kb/parking/it/history")).text
    )
    assert audit == ["kb_restored", "kb_saved"]  # newest first, from the audit stream
    unknown = await editor.post_form("/kb/parking/it/restore", {"restore": "nope", "version": ""})
    assert unknown.status_code == 404 and "pick one from the history" in unknown.text


async def test_an_unknown_document_is_a_404_page(editor: PageClient) -> None:
    missing = await editor.http.get("/kb/nope/it")
    assert missing.status_code == 404 and "no document it/nope" in missing.text
    assert missing.headers["content-type"].startswith("text/html")


async def test_preview_and_try_it(editor: PageClient) -> None:
    preview = await editor.post_form("/kb/preview", {"body": "<b>x</b> *Sabato* 9:30"})
    assert preview.text == "<p>&lt;b&gt;x&lt;/b&gt; <strong>Sabato</strong> 9:30</p>"
    tried = (await editor.http.get("/kb", params={"q": "siete aperti il sabato?"})).text
    assert 'data-decision="answer"' in tried
    assert re.search(r'<tr data-hit="opening_hours" class="chosen-hit">', tried)
    nothing = (await editor.http.get("/kb", params={"q": "vendete biciclette da corsa?"})).text
    assert 'data-decision="abstain"' in nothing
