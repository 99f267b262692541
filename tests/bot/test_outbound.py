"""Outbound: splitting, payloads, and the sender's retries and dead letters (real Redis)."""

from __future__ import annotations

import json

import httpx
from redis.asyncio import Redis

from bot import outbound
from bot.clients.whatsapp import WhatsAppClient
from bot.keys import Keys


def test_split_text_keeps_parts_under_the_limit_on_sentence_boundaries() -> None:
    sentence = "Questa è una frase di prova abbastanza lunga. "
    text = sentence * 200
    parts = outbound.split_text(text, limit=4096)
    assert len(parts) == 3
    assert all(len(p) <= 4096 for p in parts)
    assert all(p.endswith(".") for p in parts)
    assert " ".join(parts) == text.strip()


def test_split_text_cuts_a_single_enormous_word_run() -> None:
    parts = outbound.split_text("a" * 10_000, limit=4096)
    assert [len(p) for p in parts] == [4096, 4096, 1808]


def test_buttons_become_reply_buttons_or_a_list() -> None:
    three = outbound.OutboundMessage(
        id="m1", to="39333", text="Scegli",
        buttons=[outbound.Button(title=f"Opzione numero {i} lunga", payload=f"/p{i}")
                 for i in range(3)])
    payload = outbound.payloads_for(three)[-1]
    buttons = payload["interactive"]["action"]["buttons"]
    assert payload["interactive"]["type"] == "button"
    assert all(len(b["reply"]["title"]) <= 20 for b in buttons)
    many = three.model_copy(update={"buttons": three.buttons * 4})
    listed = outbound.payloads_for(many)[-1]
    assert listed["interactive"]["type"] == "list"
    assert len(listed["interactive"]["action"]["sections"][0]["rows"]) == 10


def _client(handler) -> WhatsAppClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return WhatsAppClient(http, base_url="https://graph.test", version="v21.0",
                          phone_number_id="123", token="t")


def _sender(redis: Redis, keys: Keys, client: WhatsAppClient) -> outbound.Sender:
    return outbound.Sender(redis, client, keys=keys, phone_number_id="123", rate_per_s=1000,
                           max_attempts=3, backoff_base_s=0.01, backoff_max_s=0.05)


async def _queue(redis: Redis, keys: Keys, text: str, message_id: str = "w1:0") -> dict[str, str]:
    message = outbound.OutboundMessage(id=message_id, to="393331112222", text=text)
    assert await outbound.enqueue(redis, keys=keys, message=message, shards=2, ttl_s=60)
    assert not await outbound.enqueue(redis, keys=keys, message=message, shards=2, ttl_s=60)
    return {"id": message_id}


async def test_429_then_200_is_delivered_once(redis: Redis, key_prefix: str) -> None:
    keys = Keys(key_prefix)
    calls: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(json.loads(request.content))
        if len(calls) == 1:
            return httpx.Response(429, json={"error": {"code": 130429, "message": "slow"}})
        return httpx.Response(200, json={"messages": [{"id": "wamid.OK"}]})

    sender = _sender(redis, keys, _client(handler))
    fields = await _queue(redis, keys, "Ciao!")
    await sender.handle(fields)
    await sender.handle(fields)  # redelivered after a crash: not sent again
    assert len(calls) == 2
    stored = await redis.hgetall(keys.outbound_message("w1:0"))
    assert stored["status"] == "sent" and stored["wamid"] == "wamid.OK"
    assert await redis.get(keys.wamid_to_message("wamid.OK")) == "w1:0"


async def test_permanent_failure_goes_to_dead_letters(redis: Redis, key_prefix: str) -> None:
    keys = Keys(key_prefix)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": {"code": 131026, "message": "undeliverable"}})

    sender = _sender(redis, keys, _client(handler))
    await sender.handle(await _queue(redis, keys, "Ciao!"))
    dead = await redis.xrange(keys.dead_letters())
    assert len(dead) == 1 and dead[0][1]["code"] == "131026"
    assert await redis.hget(keys.outbound_message("w1:0"), "status") == "dead"


async def test_retries_exhausted_on_5xx_dead_letter(redis: Redis, key_prefix: str) -> None:
    keys = Keys(key_prefix)
    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        return httpx.Response(503, text="unavailable")

    sender = _sender(redis, keys, _client(handler))
    await sender.handle(await _queue(redis, keys, "Ciao!"))
    assert len(attempts) == 3
    assert await redis.xlen(keys.dead_letters()) == 1


async def test_long_text_is_sent_in_parts_and_resumes_after_partial_send(
    redis: Redis, key_prefix: str
) -> None:
    keys = Keys(key_prefix)
    bodies: list[str] = []
    fail_second = {"left": 1}

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)["text"]["body"]
        if len(bodies) == 1 and fail_second["left"]:
            fail_second["left"] -= 1
            return httpx.Response(400, json={"error": {"code": 100, "message": "bad"}})
        bodies.append(body)
        return httpx.Response(200, json={"messages": [{"id": f"wamid.{len(bodies)}"}]})

    sender = _sender(redis, keys, _client(handler))
    fields = await _queue(redis, keys, "Frase di prova. " * 600)
    await sender.handle(fields)  # second part fails permanently → dead after part 1
    assert len(bodies) == 1
    await redis.hset(keys.outbound_message("w1:0"), "status", "queued")  # staff retries it
    await sender.handle(fields)
    assert len(bodies) == 3  # parts 2 and 3 only; part 1 is not repeated
