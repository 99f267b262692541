"""Sharded stream consumers: one lease per shard, so one contact's messages run in order.

Each shard stream is read by exactly one worker process at a time, the holder of the shard's
lease (``SET NX PX``, renewed while the process lives). A worker that dies stops renewing; the
next holder claims the dead worker's pending entries with ``XAUTOCLAIM`` and processes them
before new ones, so nothing is lost and the order per contact is kept. Handlers are idempotent
(keyed by the inbound ``wamid`` / the outbound message id), so a message processed by a worker
that died before acknowledging it is not answered twice.

Order is per *lane* (a contact), not per shard: a handler that must wait long for one contact
(Meta's pair rate limit after a flood) raises :class:`Deferred`; the worker sets that entry and
the lane's later entries aside, unacknowledged and in order, serves the other lanes, and comes
back when the wait is over. Entries set aside stay pending in the stream, so a worker that dies
meanwhile leaves them to the next holder in their original order.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from bot.whatsapp.redis_replies import entries as stream_entries

log = structlog.get_logger(__name__)

Handler = Callable[[dict[str, str]], Awaitable[None]]
Entry = tuple[str, dict[str, str]]

GROUP = "workers"
ENTRY_ID_FIELD = "_entry_id"  # added to the fields handed to handlers (latency metrics)

_RENEW_IF_MINE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_RELEASE_IF_MINE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


# How long stopping waits for the consuming tasks (a blocking read lasts at most 1 s).
STOP_TIMEOUT_S = 5.0


def _raise_if_cancelled(cause: BaseException | None = None) -> None:
    """Honour a cancellation that a client library turned into another error or swallowed.

    redis-py may finish a blocking read that was cancelled and return (or raise a server
    error) instead of raising ``CancelledError``; the task is still marked as cancelling.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from cause


class Deferred(Exception):  # noqa: N818 - a signal to the worker, not an error
    """Raised by a handler: this entry, and the later ones of ``lane``, wait ``delay_s``."""

    def __init__(self, lane: str, delay_s: float) -> None:
        super().__init__(f"lane {lane!r} deferred {delay_s:.1f} s")
        self.lane = lane
        self.delay_s = delay_s


class _Lanes:
    """Entries set aside per lane (in stream order) and when each lane may go on."""

    def __init__(self) -> None:
        self.waiting: dict[str, deque[Entry]] = {}
        self.due: dict[str, float] = {}

    def holds(self, lane: str | None) -> bool:
        """True when ``lane`` has entries set aside (a new one goes behind them)."""
        return lane is not None and lane in self.waiting

    def set_aside(self, lane: str, entry: Entry, delay_s: float) -> None:
        """Put ``entry`` at the head of its lane (it comes before what is already there)."""
        self.waiting.setdefault(lane, deque()).appendleft(entry)
        self.due[lane] = time.monotonic() + delay_s

    def ready(self) -> list[str]:
        now = time.monotonic()
        return [lane for lane, due in self.due.items() if due <= now]

    def block_ms(self, longest: int) -> int:
        """How long a read may block before a lane is due."""
        if not self.due:
            return longest
        left = min(self.due.values()) - time.monotonic()
        return max(1, min(longest, int(left * 1000)))


def consumer_name() -> str:
    """A name unique to this process (host, pid and a random suffix)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class ShardWorker:
    """Leases shards, consumes their streams in order, retries a failing entry in place."""

    def __init__(
        self,
        redis: Redis,
        *,
        kind: str,
        streams: list[str],
        lease_key: Callable[[int], str],
        handler: Handler,
        lane_of: Callable[[dict[str, str]], str | None] | None = None,
        lease_ms: int = 10_000,
        retry_delay_s: float = 0.5,
        max_retry_delay_s: float = 10.0,
    ) -> None:
        self._redis = redis
        self._kind = kind
        self._streams = streams
        self._lease_key = lease_key
        self._handler = handler
        self._lane_of = lane_of
        self._lease_ms = lease_ms
        self._retry_delay_s = retry_delay_s
        self._max_retry_delay_s = max_retry_delay_s
        self._me = consumer_name()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._stopping = asyncio.Event()

    @property
    def held_shards(self) -> list[int]:
        """Shards this process consumes right now."""
        return sorted(shard for shard, task in self._tasks.items() if not task.done())

    async def run(self) -> None:
        """Acquire and renew leases until stopped; one consuming task per held shard."""
        try:
            while not self._stopping.is_set():
                try:
                    await self._balance()
                except RedisError as exc:
                    log.warning("worker.redis_unavailable", kind=self._kind, error=str(exc))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._lease_ms / 3000)
        finally:
            await self._stop_tasks()

    def stop(self) -> None:
        """Ask the worker to finish the entry at hand and release its shards."""
        self._stopping.set()

    async def _balance(self) -> None:
        for shard in range(len(self._streams)):
            task = self._tasks.get(shard)
            if task is not None and not task.done():
                if not await self._renew(shard):
                    log.warning("worker.lease_lost", kind=self._kind, shard=shard)
                    task.cancel()
                continue
            if await self._acquire(shard):
                self._tasks[shard] = asyncio.create_task(self._consume(shard))

    async def _acquire(self, shard: int) -> bool:
        key = self._lease_key(shard)
        return bool(await self._redis.set(key, self._me, nx=True, px=self._lease_ms))

    async def _renew(self, shard: int) -> bool:
        key = self._lease_key(shard)
        renewed = await self._redis.eval(_RENEW_IF_MINE, 1, key, self._me, self._lease_ms)  # type: ignore[misc]
        return bool(renewed)

    async def _stop_tasks(self) -> None:
        self._stopping.set()  # consuming loops end even if a cancellation gets swallowed
        for task in self._tasks.values():
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks.values(), timeout=STOP_TIMEOUT_S)
        for shard in self._tasks:
            with contextlib.suppress(RedisError):
                await self._redis.eval(_RELEASE_IF_MINE, 1, self._lease_key(shard), self._me)  # type: ignore[misc]
        self._tasks.clear()

    async def _ensure_group(self, stream: str) -> None:
        try:
            await self._redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _consume(self, shard: int) -> None:
        stream = self._streams[shard]
        delay = self._retry_delay_s
        while not self._stopping.is_set():
            try:
                await self._ensure_group(stream)
                await self._claim_orphans(stream)
                await self._drain(stream)
                delay = self._retry_delay_s
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep the shard alive, retry in place
                _raise_if_cancelled(exc)
                log.warning("worker.retry", kind=self._kind, shard=shard, error=repr(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_retry_delay_s)

    async def _claim_orphans(self, stream: str) -> None:
        """Take over entries a dead holder of this shard read but never acknowledged."""
        start = "0-0"
        while True:
            reply = await self._redis.xautoclaim(
                stream, GROUP, self._me, min_idle_time=0, start_id=start, count=100
            )
            start = reply[0]
            if start in ("0-0", b"0-0"):
                return

    async def _drain(self, stream: str) -> None:
        """Process our pending entries first (in order), then new ones, until stopped."""
        last_id = "0"
        lanes = _Lanes()
        while not self._stopping.is_set():
            _raise_if_cancelled()
            for lane in lanes.ready():
                await self._resume(stream, lane, lanes)
            reply: Any = await self._redis.xreadgroup(
                GROUP, self._me, {stream: last_id}, count=20, block=lanes.block_ms(1000)
            )
            entries = stream_entries(reply[0][1]) if reply else []
            if not entries:
                last_id = ">"  # our pending entries are done (or set aside): new ones now
                continue
            if last_id != ">":
                last_id = entries[-1][0]
            for entry_id, fields in entries:
                lane = self._lane_of(fields) if self._lane_of is not None else None
                if lanes.holds(lane):
                    lanes.waiting[lane].append((entry_id, fields))  # behind its lane's head
                    continue
                await self._process(stream, (entry_id, fields), lanes)

    async def _process(self, stream: str, entry: Entry, lanes: _Lanes) -> bool:
        """Handle and acknowledge one entry; False when the handler deferred it."""
        entry_id, fields = entry
        try:
            await self._handler({**fields, ENTRY_ID_FIELD: entry_id})
        except Deferred as deferred:
            lanes.set_aside(deferred.lane, entry, deferred.delay_s)
            log.info("worker.lane_deferred", kind=self._kind, delay_s=round(deferred.delay_s, 1))
            return False
        await self._redis.xack(stream, GROUP, entry_id)
        return True

    async def _resume(self, stream: str, lane: str, lanes: _Lanes) -> None:
        """Go on with a lane whose wait is over, in order, until it is empty or waits again."""
        del lanes.due[lane]
        waiting = lanes.waiting[lane]
        while waiting:
            if not await self._process(stream, waiting.popleft(), lanes):
                return
        del lanes.waiting[lane]
