from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from redis.asyncio import Redis

from actions.faq import KbRuntime
from bot.api.routes import kb as kb_routes
from bot.config import get_settings as bot_settings
from handoff.keys import Keys as HandoffKeys
from handoff.store import TicketStore
from knowledge_base import KbSettings


@pytest.fixture
def route_settings(kb_settings: KbSettings, key_prefix: str, redis_server: str) -> KbSettings:
    return kb_settings.model_copy(
        update={
            "version_key": f"{key_prefix}kb:version",
            "misses_stream": f"{key_prefix}kb:misses",
            "history_prefix": f"{key_prefix}kb:history:",
            "redis_url": redis_server,
        }
    )


@pytest.fixture
def client(
    route_settings: KbSettings,
    encoders,  # noqa: ANN001
    redis_server: str,
    key_prefix: str,
) -> Iterator[TestClient]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.redis = Redis.from_url(redis_server, decode_responses=True)
        # the real handoff store on the test database receives the KB audit entries
        store = TicketStore(app.state.redis, HandoffKeys(f"{key_prefix}handoff:"))
        app.state.handoff = SimpleNamespace(store=store)
        yield
        async for key in app.state.redis.scan_iter(match=f"{key_prefix}*"):
            await app.state.redis.delete(key)
        await app.state.redis.aclose()

    app = FastAPI(lifespan=lifespan)
    app.include_router(kb_routes.router)
    app.dependency_overrides[kb_routes.get_kb_settings] = lambda: route_settings
    app.state.kb = kb_routes.create_kb_state(route_settings, encoders)
    token = bot_settings().service_token.get_secret_value()
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as test_client:
        yield test_client


def _doc(client: TestClient, doc_id: str = "opening_hours", lang: str = "it") -> dict:
    response = client.get(f"/api/kb/docs/{doc_id}/{lang}")
    assert response.status_code == 200, response.text
    return response.json()


def _update(doc: dict, **changes: object) -> dict:
    fields = ("version", "title", "alt_questions", "tags", "team", "updated", "body")
    body = {k: doc[k] for k in fields}
    body.update(changes)
    return body


def test_requires_an_editor(client: TestClient) -> None:
    response = client.get("/api/kb/docs", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401


def test_list_and_get(client: TestClient) -> None:
    docs = client.get("/api/kb/docs").json()
    assert len(docs) == 16
    assert {"id", "lang", "title", "version", "path"} <= set(docs[0])
    doc = _doc(client)
    assert doc["title"] and doc["body"].startswith("*Orari")
    assert doc["version"] == next(
        d["version"] for d in docs if d["id"] == "opening_hours" and d["lang"] == "it"
    )
    assert client.get("/api/kb/docs/nope/it").status_code == 404


def test_put_with_a_stale_version_conflicts(client: TestClient) -> None:
    doc = _doc(client)
    first = client.put("/api/kb/docs/opening_hours/it", json=_update(doc, body="Aperti 9-18."))
    assert first.status_code == 200, first.text
    stale = client.put("/api/kb/docs/opening_hours/it", json=_update(doc, body="Altro."))
    assert stale.status_code == 409
    assert stale.json()["detail"]["current_version"] == first.json()["version"]
    assert _doc(client)["body"] == "Aperti 9-18."


def test_put_with_lint_errors_is_refused(client: TestClient, route_settings: KbSettings) -> None:
    doc = _doc(client)
    before = (route_settings.docs_dir / "it" / "opening_hours.md").read_text(encoding="utf-8")
    too_long = client.put("/api/kb/docs/opening_hours/it", json=_update(doc, body="x" * 5000))
    assert too_long.status_code == 422
    assert too_long.json()["detail"]["errors"][0]["code"] == "too-long"
    empty = client.put("/api/kb/docs/opening_hours/it", json=_update(doc, body="  "))
    assert empty.status_code == 422
    bad_title = client.put("/api/kb/docs/opening_hours/it", json=_update(doc, title=""))
    assert bad_title.status_code == 422
    after = (route_settings.docs_dir / "it" / "opening_hours.md").read_text(encoding="utf-8")
    assert after == before


def test_new_document_gets_warnings_and_is_searchable(client: TestClient) -> None:
    new = {
        "version": None,
        "title": "Avete uno sconto per i dipendenti comunali?",
        "alt_questions": ["Fate convenzioni per i dipendenti del Comune?"],
        "tags": ["fees"],
        "team": "sales",
        "body": "Sì: *10 % di sconto* sulla provvigione per i dipendenti del Comune di Milano.",
    }
    saved = client.put("/api/kb/docs/municipal_discount/it", json=new)
    assert saved.status_code == 200, saved.text
    codes = {w["code"] for w in saved.json()["warnings"]}
    assert "missing-translation" in codes
    assert saved.json()["embedded_rows"] == 2
    again = client.put("/api/kb/docs/municipal_discount/it", json=new)
    assert again.status_code == 409  # it exists now: a null version is stale
    result = client.post(
        "/api/kb/search", json={"text": "sconto per chi lavora al comune?", "lang": "it", "k": 3}
    )
    assert result.status_code == 200
    payload = result.json()
    assert payload["hits"][0]["id"] == "municipal_discount" and len(payload["hits"]) == 3
    assert payload["decision"] in ("answer", "abstain") and payload["reason"]


def test_reload_picks_up_files_changed_on_disk(
    client: TestClient, route_settings: KbSettings, redis_server: str
) -> None:
    path = route_settings.docs_dir / "en" / "parking.md"
    path.write_text(path.read_text(encoding="utf-8").replace("5-minute", "3-minute"), "utf-8")
    result = client.post("/api/kb/reload")
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["changed"] == ["en/parking"] and body["embedded_rows"] == 0
    assert body["redis_version"].startswith(body["index_version"])


async def test_live_reload_reaches_another_process_within_two_seconds(
    client: TestClient,
    route_settings: KbSettings,
    encoders,  # noqa: ANN001
) -> None:
    runtime = KbRuntime(route_settings, encoders=encoders)
    retriever = await runtime.current()
    question = "siete aperti il sabato mattina?"
    assert "9:30–13:00" in retriever.answer(question, "it").entry.body

    doc = _doc(client)
    new_body = doc["body"].replace("9:30–13:00", "10:00–12:30")
    saved = await asyncio.to_thread(
        client.put, "/api/kb/docs/opening_hours/it", json=_update(doc, body=new_body)
    )
    assert saved.status_code == 200, saved.text
    started = time.monotonic()
    while True:
        retriever = await runtime.current()
        answer = await asyncio.to_thread(retriever.answer, question, "it")
        if "10:00–12:30" in answer.entry.body:
            break
        assert time.monotonic() - started < 2.0, "the new answer did not arrive within 2 s"
        await asyncio.sleep(0.1)
    await runtime.redis().aclose()


def _audit(client: TestClient) -> list[dict]:
    """The handoff audit stream, read on the app's own event loop."""
    store: TicketStore = client.app.state.handoff.store
    return [e.model_dump(mode="json") for e in client.portal.call(store.audit, None, 100)]


def test_saves_are_kept_audited_and_restorable(client: TestClient) -> None:
    original = _doc(client)
    first = client.put("/api/kb/docs/opening_hours/it", json=_update(original, body="Aperti 9-18."))
    assert first.status_code == 200, first.text
    second = client.put(
        "/api/kb/docs/opening_hours/it",
        json=_update(_doc(client), body="Aperti 10-17."),
    )
    assert second.status_code == 200, second.text
    history = client.get("/api/kb/docs/opening_hours/it/history").json()
    assert [h["action"] for h in history] == ["saved", "saved", "original"]
    assert [h["version"] for h in history] == [
        second.json()["version"],
        first.json()["version"],
        original["version"],
    ]
    assert history[0]["is_current"] and not history[2]["is_current"]
    assert history[0]["previous_version"] == first.json()["version"]
    assert history[0]["actor"] == "service"

    old = client.get(f"/api/kb/docs/opening_hours/it/history/{original['version']}").json()
    assert old["body"] == original["body"]
    stale = client.post(
        "/api/kb/docs/opening_hours/it/restore",
        json={"restore": original["version"], "version": first.json()["version"]},
    )
    assert stale.status_code == 409
    restored = client.post(
        "/api/kb/docs/opening_hours/it/restore",
        json={"restore": original["version"], "version": second.json()["version"]},
    )
    assert restored.status_code == 200, restored.text
    assert _doc(client)["body"] == original["body"]
    top = client.get("/api/kb/docs/opening_hours/it/history").json()[0]
    assert top["action"] == "restored" and top["restored_from"] == original["version"]
    assert top["is_current"]

    audit = [e for e in _audit(client) if e["ticket_id"] == "kb:it/opening_hours"]
    assert [e["event"] for e in audit] == ["kb_saved", "kb_saved", "kb_restored"]
    assert audit[0]["actor"] == "service"
    assert audit[0]["detail"]["previous_version"] == original["version"]
    assert audit[0]["detail"]["new_version"] == first.json()["version"]
    assert audit[2]["detail"]["restored_from"] == original["version"]


def test_restore_of_an_unknown_version_is_a_clear_404(client: TestClient) -> None:
    response = client.post(
        "/api/kb/docs/opening_hours/it/restore", json={"restore": "0000", "version": None}
    )
    assert response.status_code == 404
    assert "pick one from the history" in response.json()["detail"]
    assert client.get("/api/kb/docs/opening_hours/it/history").json() == []


def test_a_browser_crlf_body_keeps_the_version_it_was_saved_with(client: TestClient) -> None:
    doc = _doc(client)
    saved = client.put(
        "/api/kb/docs/opening_hours/it", json=_update(doc, body="*Orari*\r\n- lun-ven 9-18\r\n")
    )
    assert saved.status_code == 200, saved.text
    again = _doc(client)
    assert again["version"] == saved.json()["version"] and "\r" not in again["body"]
    follow_up = client.put(
        "/api/kb/docs/opening_hours/it", json=_update(again, body="*Orari*\r\n- lun-ven 9-19")
    )
    assert follow_up.status_code == 200, follow_up.text
