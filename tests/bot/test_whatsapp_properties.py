"""Property tests of the webhook through HTTP: any signed body gets 200 or 400, never a 500.

Hypothesis sends arbitrary JSON, arbitrary bytes, and Meta-shaped deliveries with one part
replaced by arbitrary JSON, through the real app (workers off, real Redis). Every accepted
message must be readable back from the inbound stream.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis import Redis as SyncRedis

from bot.config import Settings
from bot.inbound import InboundItem
from bot.keys import Keys
from bot.main import create_app
from bot.whatsapp.signature import sign
from handoff.config import HandoffSettings
from tests.bot.whatsapp_live import MESSAGE_TYPES, recorded

SECRET = "property-secret"
SHARDS = 2
OTHERS = [
    "status_sent",
    "status_failed_131047",
    "user_preferences_stop",
    "errors",
    "batch_two_messages",
]

json_leaf = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
)
json_values = st.recursive(
    json_leaf,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)


@pytest.fixture(scope="module")
def client(redis_server: str) -> Iterator[tuple[TestClient, Keys]]:
    """The real app on the test database, under a prefix of its own (cleaned afterwards)."""
    prefix = f"test:prop:{uuid.uuid4().hex[:8]}:"
    app = create_app(
        Settings(
            simulator_mode=True,
            redis_url=redis_server,
            key_prefix=prefix,
            whatsapp_app_secret=SECRET,
            run_workers=False,
            inbound_shards=SHARDS,
            public_url="http://hub.test",
        )
    )
    app.state.handoff_settings = HandoffSettings(
        redis_url=redis_server, key_prefix=f"{prefix}handoff:"
    )
    with TestClient(app, raise_server_exceptions=False) as http:
        yield http, Keys(prefix)
    redis = SyncRedis.from_url(redis_server, decode_responses=True)
    for key in redis.scan_iter(match=f"{prefix}*", count=500):
        redis.delete(key)
    redis.close()


def _post(http: TestClient, body: bytes) -> int:
    headers = {"X-Hub-Signature-256": sign(body, SECRET), "Content-Type": "application/json"}
    return http.post("/webhook", content=body, headers=headers).status_code


def _replace(document: Any, path: list[int], value: Any) -> Any:
    """Replace the node reached by walking ``path`` (indices modulo each container's size)."""
    if not path or not isinstance(document, dict | list) or not document:
        return value
    keys = list(document.keys()) if isinstance(document, dict) else list(range(len(document)))
    key = keys[path[0] % len(keys)]
    document[key] = _replace(document[key], path[1:], value)
    return document


PROPERTY = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(document=json_values)
def test_arbitrary_json_is_200_or_400(client: tuple[TestClient, Keys], document: Any) -> None:
    http, _ = client
    body = json.dumps(document, allow_nan=True).encode()
    assert _post(http, body) in (200, 400)


@PROPERTY
@given(body=st.binary(max_size=300))
def test_arbitrary_bytes_are_200_or_400(client: tuple[TestClient, Keys], body: bytes) -> None:
    http, _ = client
    assert _post(http, body) in (200, 400)


@PROPERTY
@given(
    name=st.sampled_from(MESSAGE_TYPES + OTHERS),
    path=st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=9),
    value=json_values,
)
def test_meta_shaped_deliveries_with_one_part_garbled_are_200_or_400(
    client: tuple[TestClient, Keys], name: str, path: list[int], value: Any
) -> None:
    http, keys = client
    document = _replace(copy.deepcopy(recorded(name)), path, value)
    body = json.dumps(document, allow_nan=True, ensure_ascii=False).encode()
    assert _post(http, body) in (200, 400)


def test_everything_accepted_reads_back_as_an_item(
    client: tuple[TestClient, Keys], redis_server: str
) -> None:
    http, keys = client
    for name in MESSAGE_TYPES:
        assert _post(http, json.dumps(recorded(name)).encode()) == 200
    redis = SyncRedis.from_url(redis_server, decode_responses=True)
    entries = [e for s in range(SHARDS) for e in redis.xrange(keys.inbound_stream(s))]
    redis.close()
    assert len(entries) >= len(MESSAGE_TYPES)
    for _, fields in entries:
        InboundItem.model_validate_json(fields["item"])


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": "\\ud800"}',  # a lone surrogate cannot be stored or forwarded
        b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than any parser's stack
        b'{"object": "whatsapp_business_account", "entry": [}',
        '{"object": "x"}'.encode("utf-16"),
    ],
)
def test_hostile_bodies_are_400(client: tuple[TestClient, Keys], body: bytes) -> None:
    http, _ = client
    assert _post(http, body) == 400
