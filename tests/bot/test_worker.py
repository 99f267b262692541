"""ShardWorker against a real Redis: order per contact, one holder per shard, recovery."""

from __future__ import annotations

import asyncio
import contextlib

from redis.asyncio import Redis

from bot.inbound import shard_of
from bot.keys import Keys
from bot.worker import Deferred, ShardWorker

SHARDS = 4


async def _fill(redis: Redis, keys: Keys, contacts: list[str], per_contact: int) -> None:
    for n in range(per_contact):
        for contact in contacts:
            stream = keys.inbound_stream(shard_of(contact, SHARDS))
            await redis.xadd(stream, {"contact": contact, "n": str(n)})


def _worker(redis: Redis, keys: Keys, handler, lease_ms: int = 600,
            lanes: bool = False) -> ShardWorker:
    return ShardWorker(
        redis, kind="in", streams=[keys.inbound_stream(s) for s in range(SHARDS)],
        lease_key=lambda s: keys.lease("in", s), handler=handler, lease_ms=lease_ms,
        retry_delay_s=0.05, lane_of=(lambda fields: fields.get("contact")) if lanes else None,
    )


def _same_shard(count: int) -> list[str]:
    """``count`` contacts that hash to one shard."""
    found: list[str] = []
    for i in range(10_000):
        contact = f"39334{i:07d}"
        if shard_of(contact, SHARDS) == 0:
            found.append(contact)
            if len(found) == count:
                return found
    raise AssertionError("not enough contacts on shard 0")


async def _until(predicate, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_two_workers_keep_order_per_contact_and_never_overlap(redis: Redis,
                                                                    key_prefix: str) -> None:
    keys = Keys(key_prefix)
    contacts = [f"39333{i:07d}" for i in range(12)]
    seen: dict[str, list[int]] = {c: [] for c in contacts}
    busy: set[str] = set()
    overlaps = 0

    async def handler(fields: dict[str, str]) -> None:
        nonlocal overlaps
        contact = fields["contact"]
        if contact in busy:
            overlaps += 1
        busy.add(contact)
        await asyncio.sleep(0.001)
        seen[contact].append(int(fields["n"]))
        busy.discard(contact)

    await _fill(redis, keys, contacts, 20)
    workers = [_worker(redis, keys, handler), _worker(redis, keys, handler)]
    tasks = [asyncio.create_task(w.run()) for w in workers]
    await _until(lambda: all(len(v) == 20 for v in seen.values()))
    for w in workers:
        w.stop()
    await asyncio.gather(*tasks)
    assert overlaps == 0
    assert all(v == list(range(20)) for v in seen.values())


async def test_failing_entry_is_retried_in_place_before_later_ones(redis: Redis,
                                                                   key_prefix: str) -> None:
    keys = Keys(key_prefix)
    order: list[int] = []
    failures = {"left": 3}

    async def handler(fields: dict[str, str]) -> None:
        n = int(fields["n"])
        if n == 1 and failures["left"] > 0:
            failures["left"] -= 1
            raise RuntimeError("Rasa is down")
        order.append(n)

    await _fill(redis, keys, ["393330000001"], 4)
    worker = _worker(redis, keys, handler)
    task = asyncio.create_task(worker.run())
    await _until(lambda: len(order) == 4)
    worker.stop()
    await task
    assert order == [0, 1, 2, 3]


async def test_dead_worker_pending_entries_are_claimed_and_processed_once(
    redis: Redis, key_prefix: str
) -> None:
    keys = Keys(key_prefix)
    contact = "393330000002"
    processed: list[int] = []
    started = asyncio.Event()

    async def stuck_handler(fields: dict[str, str]) -> None:
        started.set()
        await asyncio.sleep(3600)  # the process "dies" holding this entry unacknowledged

    async def handler(fields: dict[str, str]) -> None:
        done_key = f"{key_prefix}done:{fields['n']}"
        if await redis.set(done_key, "1", nx=True):  # idempotency, as the router does
            processed.append(int(fields["n"]))

    await _fill(redis, keys, [contact], 3)
    dying = _worker(redis, keys, stuck_handler, lease_ms=500)
    dying_task = asyncio.create_task(dying.run())
    await asyncio.wait_for(started.wait(), 5)
    dying_task.cancel()  # killed: no release, the lease expires on its own
    with contextlib.suppress(asyncio.CancelledError):
        await dying_task
    shard = shard_of(contact, SHARDS)
    await redis.set(keys.lease("in", shard), "dead-process", px=500)  # still "held" briefly

    survivor = _worker(redis, keys, handler, lease_ms=500)
    task = asyncio.create_task(survivor.run())
    await _until(lambda: len(processed) == 3)
    survivor.stop()
    await task
    assert processed == [0, 1, 2]
    pending = await redis.xpending(keys.inbound_stream(shard), "workers")
    assert pending["pending"] == 0


async def test_a_deferred_lane_waits_in_order_while_the_other_contacts_go_on(
    redis: Redis, key_prefix: str
) -> None:
    keys = Keys(key_prefix)
    paced, other = _same_shard(2)
    done: list[tuple[str, int, float]] = []
    deferrals = {"left": 2}
    started = asyncio.get_running_loop().time()

    async def handler(fields: dict[str, str]) -> None:
        contact, n = fields["contact"], int(fields["n"])
        if contact == paced and n == 1 and deferrals["left"] > 0:
            deferrals["left"] -= 1  # Meta's pair limit: come back in 0.3 s, twice
            raise Deferred(contact, 0.3)
        done.append((contact, n, asyncio.get_running_loop().time() - started))

    await _fill(redis, keys, [paced, other], 4)  # interleaved: paced 0, other 0, paced 1, ...
    worker = _worker(redis, keys, handler, lanes=True)
    task = asyncio.create_task(worker.run())
    await _until(lambda: len(done) == 8)
    worker.stop()
    await task
    assert [n for c, n, _ in done if c == paced] == [0, 1, 2, 3], "the lane keeps its order"
    assert [n for c, n, _ in done if c == other] == [0, 1, 2, 3]
    other_done = max(t for c, _, t in done if c == other)
    paced_resumed = min(t for c, n, t in done if c == paced and n == 1)
    assert other_done < paced_resumed, "the other contact did not wait for the paced one"
    assert paced_resumed >= 0.55, "the deferred entry waited both delays"
    pending = await redis.xpending(keys.inbound_stream(0), "workers")
    assert pending["pending"] == 0


async def test_entries_set_aside_survive_the_worker_and_keep_their_order(
    redis: Redis, key_prefix: str
) -> None:
    keys = Keys(key_prefix)
    (paced,) = _same_shard(1)
    deferred = asyncio.Event()

    async def pacing_handler(fields: dict[str, str]) -> None:
        if int(fields["n"]) >= 1:
            deferred.set()
            raise Deferred(fields["contact"], 3600)  # the process dies before coming back

    processed: list[int] = []

    async def handler(fields: dict[str, str]) -> None:
        processed.append(int(fields["n"]))

    await _fill(redis, keys, [paced], 4)
    first = _worker(redis, keys, pacing_handler, lease_ms=500, lanes=True)
    first_task = asyncio.create_task(first.run())
    await asyncio.wait_for(deferred.wait(), 5)
    await asyncio.sleep(0.2)  # entries 2 and 3 read and set aside behind 1
    pending = await redis.xpending(keys.inbound_stream(0), "workers")
    assert pending["pending"] == 3, "set aside means still pending, not acknowledged"
    first_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await first_task
    await redis.delete(keys.lease("in", 0))

    survivor = _worker(redis, keys, handler, lease_ms=500, lanes=True)
    task = asyncio.create_task(survivor.run())
    await _until(lambda: len(processed) == 3)
    survivor.stop()
    await task
    assert processed == [1, 2, 3]
