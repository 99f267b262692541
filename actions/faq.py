"""Answer FAQ questions from the knowledge base, or say so and count a miss (two -> handoff)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from redis.asyncio import Redis

from actions.context import intent_of, language_of, message_time
from knowledge_base import (
    Answer,
    Encoder,
    FaqEntry,
    HybridRetriever,
    KbSettings,
    get_settings,
    load_retriever,
    refresh_retriever,
)

log = logging.getLogger(__name__)

MISSES_BEFORE_HANDOFF = 2
MAX_RELATED = 3
BUTTON_CHARS = 20
FALLBACK_NOTE = {
    "it": "_(Questa risposta è disponibile solo in inglese.)_",
    "en": "_(This answer is only available in Italian.)_",
}


class KbRuntime:
    """The process's retriever, loaded once and reloaded when the Redis version key changes."""

    def __init__(
        self, settings: KbSettings | None = None, *, encoders: dict[str, Encoder] | None = None
    ) -> None:
        self.settings = settings or get_settings()
        self._encoders = encoders
        self._load_lock = threading.Lock()
        self._reload_lock: asyncio.Lock | None = None
        self._retriever: HybridRetriever | None = None
        self._redis: Redis | None = None
        self._seen_version: str | None = None
        self._checked_at = 0.0

    def load(self) -> HybridRetriever:
        """Return the retriever, loading it on first use (thread-safe)."""
        with self._load_lock:
            if self._retriever is None:
                self._retriever = load_retriever(self.settings, encoders=self._encoders)
                self._encoders = self._retriever.encoders
            return self._retriever

    def warm(self) -> HybridRetriever:
        """Load encoders and index before the server takes requests (blocking; at startup).

        The published version is read first, as in :meth:`current`, so a bump made while
        loading is still seen by the first check.
        """
        version = self._published_version_sync()
        retriever = self.load()
        if self._seen_version is None:
            self._seen_version = version
            self._checked_at = time.monotonic()
        return retriever

    def _published_version_sync(self) -> str | None:
        from redis import Redis as SyncRedis

        try:
            with SyncRedis.from_url(
                self.settings.redis_url, socket_timeout=2, socket_connect_timeout=2
            ) as client:
                raw = client.get(self.settings.version_key)
        except Exception as exc:  # noqa: BLE001 - Redis down: the first request checks again
            log.warning("kb version check failed: %r", exc)
            return None
        return raw.decode() if isinstance(raw, bytes) else raw

    def _reload(self) -> HybridRetriever:
        current = self._retriever
        if current is not None:  # reads only the delta when the base on disk is unchanged
            fresh = refresh_retriever(current)
        else:
            fresh = load_retriever(self.settings, encoders=self._encoders)
        with self._load_lock:
            self._retriever = fresh
        log.info("kb reloaded: version %s", fresh.version)
        return fresh

    def redis(self) -> Redis:
        """Return this process's Redis client (created on first use)."""
        if self._redis is None:
            self._redis = Redis.from_url(
                self.settings.redis_url, socket_timeout=2, socket_connect_timeout=2
            )
        return self._redis

    def _is_check_due(self) -> bool:
        return time.monotonic() - self._checked_at >= self.settings.reload_interval_s

    async def _published_version(self) -> str | None:
        try:
            raw = await self.redis().get(self.settings.version_key)
        except Exception as exc:  # noqa: BLE001 - Redis down: keep serving what we have
            log.warning("kb version check failed: %r", exc)
            return None
        return raw.decode() if isinstance(raw, bytes) else raw

    async def _first_load(self) -> HybridRetriever:
        version = await self._published_version()  # read before loading: no bump is missed
        retriever = await asyncio.to_thread(self.load)
        if self._seen_version is None:
            self._seen_version = version
            self._checked_at = time.monotonic()
        return retriever

    async def current(self) -> HybridRetriever:
        """Return an up-to-date retriever, checking the version key at most once a second."""
        if self._retriever is None:
            return await self._first_load()
        retriever = self._retriever
        if not self._is_check_due():
            return retriever
        self._reload_lock = self._reload_lock or asyncio.Lock()
        async with self._reload_lock:
            if not self._is_check_due():
                return self._retriever or retriever
            self._checked_at = time.monotonic()
            version = await self._published_version()
            if version is None or version == self._seen_version:
                return self._retriever or retriever
            retriever = await asyncio.to_thread(self._reload)
            self._seen_version = version
        return retriever

    async def record_miss(
        self, *, lang: str, text: str, intent: str | None, at: datetime | None = None
    ) -> None:
        """Append the unanswered question to the owner's report stream (best effort).

        ``ts`` is the customer's message time (epoch seconds; the hub's clock in simulations).
        """
        when = at.timestamp() if at is not None else time.time()
        fields: dict[Any, Any] = {
            "lang": lang,
            "text": text[:1000],
            "ts": f"{when:.3f}",
            "intent": intent or "",
        }
        try:
            await self.redis().xadd(
                self.settings.misses_stream, fields, maxlen=10_000, approximate=True
            )
        except Exception as exc:  # noqa: BLE001 - the report must never break a reply
            log.warning("kb miss not recorded: %r", exc)


def button_title(entry: FaqEntry) -> str:
    """Return a WhatsApp button title (at most 20 characters) for a topic."""
    fitting = [q for q in entry.questions if len(q) <= BUTTON_CHARS]
    if fitting:
        return min(fitting, key=len)
    words, title = entry.title.split(), ""
    for word in words:
        if len(f"{title} {word}".strip()) > BUTTON_CHARS - 1:
            break
        title = f"{title} {word}".strip()
    return f"{title}…"


def related_buttons(answer: Answer, retriever: HybridRetriever, ratio: float) -> list[dict]:
    """Return up to three other topics worth offering, as reply buttons.

    A topic is related when its fused score is at least ``ratio`` times the top one's. The
    payload is the topic's question in the conversation's language: a tap sends it back as a
    message, which the knowledge base answers like any other question.
    """
    buttons: list[dict] = []
    chosen = answer.entry.id if answer.entry else None
    top = answer.hits[0].fused if answer.hits else 0.0
    for hit in answer.hits:
        entry = retriever.get(hit.id, answer.lang)
        if hit.id == chosen or entry is None or hit.fused < ratio * top:
            continue
        buttons.append({"title": button_title(entry), "payload": entry.title})
        if len(buttons) == MAX_RELATED:
            break
    return buttons


def unanswered_questions(tracker: Tracker, count: int) -> list[str]:
    """Return the texts of the last ``count`` customer messages, oldest first."""
    texts = [e.get("text") for e in tracker.events if e.get("event") == "user" and e.get("text")]
    return [str(t) for t in texts[-count:]]


class ActionAnswerFaq(Action):
    """``action_answer_faq``: answer from the knowledge base or count a miss."""

    def __init__(self, runtime: KbRuntime | None = None) -> None:
        self._kb = runtime
        self._kb_lock = threading.Lock()

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_answer_faq"

    @property
    def kb(self) -> KbRuntime:
        """Return this process's knowledge-base runtime (created on first use)."""
        with self._kb_lock:
            if self._kb is None:
                self._kb = KbRuntime()
            return self._kb

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Answer the latest message, or utter a miss and hand off after two in a row."""
        text = str((tracker.latest_message or {}).get("text") or "").strip()
        lang = language_of(tracker)
        retriever = await self.kb.current()
        answer = await asyncio.to_thread(retriever.answer, text, lang) if text else None
        if answer is not None and answer.is_answer:
            self._utter_answer(dispatcher, answer, retriever)
            return [SlotSet("bot_misses", 0.0)]
        return await self._miss(dispatcher, tracker, domain, text=text, lang=lang)

    def _utter_answer(
        self, dispatcher: CollectingDispatcher, answer: Answer, retriever: HybridRetriever
    ) -> None:
        assert answer.entry is not None  # noqa: S101 - is_answer guarantees it
        body = answer.entry.body
        if answer.is_fallback_language:
            body = f"{body}\n\n{FALLBACK_NOTE.get(answer.lang, FALLBACK_NOTE['en'])}"
        buttons = related_buttons(answer, retriever, self.kb.settings.related_fused_ratio)
        message: dict[str, Any] = {"text": body}
        if buttons:
            message["buttons"] = buttons
        dispatcher.utter_message(**message)

    async def _miss(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        *,
        text: str,
        lang: str,
    ) -> list[EventType]:
        intent = intent_of(tracker)
        if text:
            at = message_time(tracker)
            await self.kb.record_miss(lang=lang, text=text, intent=intent, at=at)
        misses = int(float(tracker.get_slot("bot_misses") or 0)) + 1
        events: list[EventType] = [SlotSet("bot_misses", float(misses))]
        if misses < MISSES_BEFORE_HANDOFF:
            is_out_of_scope = intent == "out_of_scope"
            dispatcher.utter_message(
                response="utter_out_of_scope" if is_out_of_scope else "utter_faq_miss"
            )
            return events
        # The second miss in a row: a person takes over (the handoff tells the customer when).
        from actions.handoff import request_handoff

        unanswered = unanswered_questions(tracker, misses)
        events += await request_handoff(
            dispatcher, tracker, domain, reason="bot_failed", unanswered=unanswered
        )
        return events
