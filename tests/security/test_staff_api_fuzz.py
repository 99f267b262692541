"""Schemathesis against the hub's OpenAPI schema: the staff API never answers 5xx.

The hub runs in a uvicorn thread (real HTTP, real Redis db 15 with unique prefixes, workers
off); every ``/api/staff`` operation gets a bounded number of generated requests (valid and
invalid bodies, paths and query strings) from an authenticated admin, who may call them all.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from redis import Redis

from bot.config import Settings
from bot.main import create_app
from handoff.config import HandoffSettings
from tests.handoff.peers import free_port
from tests.security.conftest import ADMIN

EXAMPLES_PER_OPERATION = 12
# the SSE stream never ends; logout would end the session the other operations use
EXCLUDED = {("GET", "/api/staff/events"), ("POST", "/api/staff/auth/logout")}


@pytest.fixture(scope="module")
def hub_url(redis_server: str) -> Iterator[str]:
    prefix = f"test:{uuid.uuid4().hex[:10]}:"
    port = free_port()  # the hub calls its own handoff API: never another stack's
    app = create_app(Settings(simulator_mode=True, redis_url=redis_server, key_prefix=prefix,
                              public_url=f"http://127.0.0.1:{port}",
                              run_workers=False, inbound_shards=2, outbound_shards=2,
                              retention_interval_s=0, login_rate_per_min=10_000))
    app.state.handoff_settings = HandoffSettings(
        redis_url=redis_server, key_prefix=f"{prefix}h:", simulator_mode=True,
        argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1,
        check_interval_seconds=3600, outbox_poll_seconds=3600,
        hub_url=f"http://127.0.0.1:{port}", rasa_url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)
    client = Redis.from_url(redis_server)
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)
    client.close()


def _fuzz(
    hub_url: str, prefix: str, headers: dict[str, str], skip: str = "-"
) -> tuple[int, Counter[int], list[str]]:
    """Generated requests to every operation under ``prefix``: (operations, statuses, 5xx)."""
    schema = schemathesis.openapi.from_url(f"{hub_url}/openapi.json")
    operations = [
        result.ok() for result in schema.get_all_operations()
        if result.ok().path.startswith(prefix) and not result.ok().path.startswith(skip)
        and (result.ok().method.upper(), result.ok().path) not in EXCLUDED
    ]
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    for operation in operations:

        @hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                             phases=[Phase.explicit, Phase.generate],
                             suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case: schemathesis.Case) -> None:
            response = case.call(base_url=hub_url, headers=headers, timeout=30)
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                errors.append(f"{case.method} {case.formatted_path} query={case.query} "
                              f"body={case.body!r:.200} -> {response.status_code} "
                              f"{response.text[:200]}")

        fuzz()
    print(f"schemathesis {prefix}: {len(operations)} operations, {sum(statuses.values())} "
          f"requests, statuses {sorted(statuses.items())}")
    return len(operations), statuses, errors


def test_staff_api_never_answers_5xx(hub_url: str) -> None:
    login = httpx.post(f"{hub_url}/api/staff/auth/login", json=ADMIN, timeout=30)
    login.raise_for_status()
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    operations, statuses, errors = _fuzz(hub_url, "/api/staff", headers)
    assert operations >= 25 and sum(statuses.values()) >= operations
    assert not errors, "\n".join(errors[:20])


def test_service_apis_never_answer_5xx(hub_url: str) -> None:
    """The handoff service API and the hub's internal APIs (contacts, outbound, media...)."""
    headers = {"Authorization": "Bearer dev-service-token"}  # the simulator's service token
    operations, statuses, errors = _fuzz(hub_url, "/api/", headers, skip="/api/staff")
    assert operations >= 20 and sum(statuses.values()) >= operations
    assert not errors, "\n".join(errors[:20])
