from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from redis.asyncio import Redis

from actions.faq import ActionAnswerFaq, KbRuntime, button_title
from knowledge_base import FaqEntry, KbSettings, build_index, version_value
from tests.knowledge_base.helpers import all_topics, make_settings, shared_encoders


@pytest.fixture
def faq_settings(tmp_path: Path, key_prefix: str, redis_server: str) -> KbSettings:
    return make_settings(
        tmp_path,
        all_topics(),
        version_key=f"{key_prefix}kb:version",
        misses_stream=f"{key_prefix}kb:misses",
        redis_url=redis_server,
    )


@pytest.fixture
async def action(faq_settings: KbSettings) -> AsyncIterator[ActionAnswerFaq]:
    runtime = KbRuntime(faq_settings, encoders=shared_encoders())
    yield ActionAnswerFaq(runtime)
    await runtime.redis().aclose()


def _tracker(
    text: str,
    *,
    intent: str = "faq",
    lang: str = "it",
    misses: float = 0.0,
    history: list[str] | None = None,
    now: str | None = None,
) -> Tracker:
    events = [{"event": "user", "text": t, "timestamp": 1.0} for t in [*(history or []), text]]
    metadata = {"now": now} if now else {}
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "metadata": metadata}
    return Tracker(
        sender_id="393331234567",
        slots={"language": lang, "bot_misses": misses},
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def _run(action: ActionAnswerFaq, tracker: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


def test_name() -> None:
    assert ActionAnswerFaq().name() == "action_answer_faq"


async def test_answers_in_the_conversation_language(action: ActionAnswerFaq) -> None:
    messages, events = await _run(action, _tracker("siete aperti sabato mattina?"))
    assert "Sabato" in messages[0]["text"] and "9:30–13:00" in messages[0]["text"]
    assert events == [SlotSet("bot_misses", 0.0)]
    messages, _ = await _run(action, _tracker("r u open on saturdays", lang="en"))
    assert "Saturday" in messages[0]["text"]


async def test_related_topics_come_as_short_buttons(action: ActionAnswerFaq) -> None:
    messages, _ = await _run(action, _tracker("quanto costa la provvigione per l'affitto?"))
    assert "una mensilità del canone" in messages[0]["text"]
    buttons = messages[0]["buttons"]
    assert 1 <= len(buttons) <= 3
    for button in buttons:
        assert len(button["title"]) <= 20 and button["payload"].endswith("?")
    assert "Gestite l'affitto per conto del proprietario?" in [b["payload"] for b in buttons]


def test_button_title_prefers_a_short_question() -> None:
    entry = FaqEntry(
        id="a",
        lang="it",
        title="Una domanda molto molto lunga davvero?",
        alt_questions=["Orari?", "Quando aprite di preciso?"],
        body="x",
    )
    assert button_title(entry) == "Orari?"
    long_only = entry.model_copy(update={"alt_questions": []})
    title = button_title(long_only)
    assert len(title) <= 20 and title.endswith("…")


async def test_a_miss_is_said_counted_and_recorded(
    action: ActionAnswerFaq, faq_settings: KbSettings, redis: Redis
) -> None:
    sent = "2026-03-03T10:01:00+01:00"  # the message time, not the clock of the action server
    tracker = _tracker("che tempo fa a milano domani?", now=sent)
    messages, events = await _run(action, tracker)
    assert messages[0]["response"] == "utter_faq_miss"
    assert events == [SlotSet("bot_misses", 1.0)]
    recorded = await redis.xrange(faq_settings.misses_stream)
    assert recorded[-1][1]["text"] == "che tempo fa a milano domani?"
    assert recorded[-1][1]["lang"] == "it"
    assert float(recorded[-1][1]["ts"]) == datetime.fromisoformat(sent).timestamp()


async def test_out_of_scope_miss_uses_its_response(action: ActionAnswerFaq) -> None:
    messages, _ = await _run(action, _tracker("order a pizza", intent="out_of_scope", lang="en"))
    assert messages[0]["response"] == "utter_out_of_scope"


async def test_second_miss_in_a_row_hands_off(action: ActionAnswerFaq, monkeypatch) -> None:  # noqa: ANN001
    import actions.handoff

    calls: list[dict] = []

    async def record_handoff(dispatcher, tracker, domain, *, reason, unanswered=None):  # noqa: ANN001, ANN202
        calls.append({"reason": reason, "unanswered": unanswered})
        return [SlotSet("bot_misses", 0.0)]

    monkeypatch.setattr(actions.handoff, "request_handoff", record_handoff)
    tracker = _tracker("vendete biciclette?", misses=1.0, history=["che tempo fa domani?"])
    messages, events = await _run(action, tracker)
    assert calls == [
        {"reason": "bot_failed", "unanswered": ["che tempo fa domani?", "vendete biciclette?"]}
    ]
    assert events[0] == SlotSet("bot_misses", 2.0) and events[-1] == SlotSet("bot_misses", 0.0)
    assert messages == []


async def test_falls_back_to_the_other_language_with_a_note(faq_settings: KbSettings) -> None:
    (faq_settings.docs_dir / "it" / "pets_allowed.md").unlink()
    runtime = KbRuntime(faq_settings, encoders=shared_encoders())
    try:
        messages, events = await _run(
            ActionAnswerFaq(runtime), _tracker("ho un gatto, posso affittare casa?")
        )
    finally:
        await runtime.redis().aclose()
    assert "Pets" in messages[0]["text"] and "solo in inglese" in messages[0]["text"]
    assert events == [SlotSet("bot_misses", 0.0)]


async def test_reloads_after_a_version_bump_at_most_once_a_second(
    faq_settings: KbSettings, redis: Redis
) -> None:
    runtime = KbRuntime(faq_settings, encoders=shared_encoders())
    first = await runtime.current()
    path = faq_settings.docs_dir / "it" / "opening_hours.md"
    path.write_text(path.read_text(encoding="utf-8").replace("9:30–13:00", "10:00–12:00"), "utf-8")
    report = await asyncio.to_thread(build_index, faq_settings, encoders=shared_encoders())
    await redis.set(faq_settings.version_key, version_value(report.version))
    assert await runtime.current() is first  # checked less than a second ago
    await asyncio.sleep(faq_settings.reload_interval_s)
    fresh = await runtime.current()
    assert fresh is not first and fresh.version == report.version
    assert "10:00–12:00" in fresh.get("opening_hours", "it").body
    assert await runtime.current() is fresh
    await runtime.redis().aclose()


async def test_action_server_loads_the_knowledge_base_before_serving(
    faq_settings: KbSettings, redis: Redis
) -> None:
    from rasa_sdk.executor import ActionExecutor

    from actions.server import warm_knowledge_base

    await redis.set(faq_settings.version_key, "v1:1")
    runtime = KbRuntime(faq_settings, encoders=shared_encoders())
    executor = ActionExecutor()
    executor.register_action(ActionAnswerFaq(runtime))
    await asyncio.to_thread(warm_knowledge_base, executor)
    warmed = runtime._retriever
    assert warmed is not None and runtime._seen_version == "v1:1"
    await asyncio.sleep(faq_settings.reload_interval_s)
    assert await runtime.current() is warmed  # the version it saw at startup: no reload
    await runtime.redis().aclose()
