"""Operations over the running stack: metrics move, logs carry the conversation, readiness."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from bot.config import Settings
from bot.main import create_app
from bot.privacy import conversation_id
from bot.simulate import Player
from bot.stack import LOGS, Stack
from handoff.config import HandoffSettings
from tests.e2e.helpers import Customer
from tests.handoff.peers import free_port


async def _metrics(http: httpx.AsyncClient, base: str) -> dict[tuple[str, tuple], float]:
    response = await http.get(f"{base}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _sum(metrics: dict[tuple[str, tuple], float], name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, lab), v in metrics.items() if n == name and wanted <= set(lab))


async def test_counters_and_histograms_move_after_a_played_message(
    customer_it: Customer, player: Player, hub_settings: Settings
) -> None:
    http, base = player._http, hub_settings.public_url
    before = await _metrics(http, base)
    replies = await customer_it.say("a che ora aprite il sabato?")
    assert replies
    after = await _metrics(http, base)
    grew = {
        name: _sum(after, name, **labels) - _sum(before, name, **labels)
        for name, labels in [
            ("wabot_messages_in_total", {"type": "text"}),
            ("wabot_messages_out_total", {"origin": "bot"}),
            ("wabot_webhook_seconds_count", {}),
            ("wabot_end_to_end_seconds_count", {}),
            ("wabot_rasa_seconds_count", {}),
        ]
    }
    assert all(delta >= 1 for delta in grew.values()), grew
    depth = [lab for (name, lab) in after if name == "wabot_queue_depth"]
    assert len(depth) == hub_settings.inbound_shards + hub_settings.outbound_shards
    assert ("wabot_dead_letters_waiting", ()) in after

    handoffs = _sum(after, "wabot_handoffs_total", reason="human_requested")
    await customer_it.say("vorrei parlare con un operatore per favore")
    latest = await _metrics(http, base)
    assert _sum(latest, "wabot_handoffs_total", reason="human_requested") == handoffs + 1


async def test_log_lines_of_a_message_carry_its_conversation_and_no_number(
    customer_en: Customer, stack: Stack, hub_settings: Settings
) -> None:
    log_file = LOGS / "hub.log"
    start = log_file.stat().st_size
    await customer_en.say("hello, what are your opening hours?")
    written = log_file.read_bytes()[start:].decode(errors="replace")
    conversation = conversation_id(customer_en.contact, hub_settings.pseudonym_key)
    lines = [json.loads(line) for line in written.splitlines() if line.startswith("{")]
    ours = [line for line in lines if line.get("conversation") == conversation]
    assert any(line["event"] == "message.routed" for line in ours), lines[-5:]
    assert customer_en.contact not in written and customer_en.contact[-9:] not in written


@asynccontextmanager
async def _hub(
    redis_url: str, key_prefix: str, rasa_url: str, actions_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A hub (test Redis, own key prefix, workers off) with the given Rasa and action server."""
    dead = f"http://127.0.0.1:{free_port()}"
    settings = Settings(redis_url=redis_url, key_prefix=key_prefix, rasa_url=rasa_url,
                        actions_url=actions_url, public_url=dead, run_workers=False,
                        retention_interval_s=0)
    app = create_app(settings)
    app.state.handoff_settings = HandoffSettings(
        redis_url=redis_url, key_prefix=f"{key_prefix}h:", hub_url=dead, rasa_url=dead,
        check_interval_seconds=3600, outbox_poll_seconds=3600)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            yield http


@pytest.mark.parametrize("down", [("rasa",), ("actions",), ("rasa", "actions")])
async def test_readyz_is_503_naming_what_is_down(
    down: tuple[str, ...], stack: Stack, redis_server: str, key_prefix: str, redis: Redis,
    player: Player, hub_settings: Settings,
) -> None:
    ready = await player._http.get(f"{hub_settings.public_url}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"redis": True, "rasa": True, "actions": True}
    dead = f"http://127.0.0.1:{free_port()}"
    rasa = dead if "rasa" in down else f"http://127.0.0.1:{stack.ports.rasa}"
    actions = dead if "actions" in down else f"http://127.0.0.1:{stack.ports.actions}"
    async with _hub(redis_server, key_prefix, rasa, actions) as http:
        answer = await http.get("/readyz")
        assert answer.status_code == 503
        assert answer.json() == {"redis": True, **{name: name not in down
                                                    for name in ("rasa", "actions")}}
        assert (await http.get("/healthz")).status_code == 200
