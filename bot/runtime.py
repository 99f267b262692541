"""The hub's shared clients and workers, usable with or without the web app."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx
from redis.asyncio import Redis

from bot.clients.actions import ActionServerClient
from bot.clients.handoff import HandoffClient
from bot.clients.http import fast_client
from bot.clients.rasa import RasaClient
from bot.clients.whatsapp import WhatsAppClient
from bot.config import Settings
from bot.keys import Keys
from bot.outbound import Sender
from bot.router import Router
from bot.worker import ShardWorker


@dataclass
class Runtime:
    """Clients created once per process and closed on shutdown."""

    settings: Settings
    keys: Keys
    redis: Redis
    http: httpx.AsyncClient
    rasa: RasaClient
    handoff: HandoffClient
    whatsapp: WhatsAppClient
    workers: list[ShardWorker] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        """Open the Redis and HTTP clients (connections are made lazily)."""
        redis = Redis.from_url(
            settings.redis_url, decode_responses=True, health_check_interval=10, socket_timeout=10
        )
        http = fast_client(httpx.Timeout(settings.rasa_timeout_s, connect=3.0), max_connections=200)
        return cls(
            settings=settings,
            keys=Keys(settings.key_prefix),
            redis=redis,
            http=http,
            rasa=RasaClient(http, settings.rasa_url),
            handoff=HandoffClient(
                http, settings.handoff_base, settings.service_token.get_secret_value()
            ),
            whatsapp=WhatsAppClient(
                http,
                base_url=settings.cloud_api_base,
                version=settings.whatsapp_api_version,
                phone_number_id=settings.whatsapp_phone_number_id,
                token=settings.whatsapp_token.get_secret_value() or "simulator-token",
                timeout_s=settings.whatsapp_timeout_s,
            ),
        )

    def start_workers(self) -> None:
        """Start the inbound (router) and outbound (sender) shard workers."""
        settings, keys = self.settings, self.keys
        router = Router(
            redis=self.redis,
            keys=keys,
            settings=settings,
            rasa=self.rasa,
            handoff=self.handoff,
            actions=ActionServerClient(self.http, settings.actions_url),
        )
        sender = Sender(
            self.redis,
            self.whatsapp,
            keys=keys,
            phone_number_id=settings.whatsapp_phone_number_id,
            rate_per_s=settings.rate_limit_per_s,
            max_attempts=settings.send_max_attempts,
            backoff_base_s=settings.send_backoff_base_s,
            backoff_max_s=settings.send_backoff_max_s,
            pseudonym_key=settings.pseudonym_key,
            pair_burst=settings.pair_rate_burst,
            pair_rate_per_s=settings.pair_rate_per_s,
            inflight_grace_s=settings.inflight_grace_s,
            defer_after_s=settings.pace_defer_after_s,
        )
        self.workers = [
            ShardWorker(
                self.redis,
                kind="in",
                streams=[keys.inbound_stream(s) for s in range(settings.inbound_shards)],
                lease_key=lambda s: keys.lease("in", s),
                handler=router.handle,
                lease_ms=settings.lease_ms,
            ),
            ShardWorker(
                self.redis,
                kind="out",
                streams=[keys.outbound_stream(s) for s in range(settings.outbound_shards)],
                lease_key=lambda s: keys.lease("out", s),
                handler=sender.handle,
                lane_of=lambda fields: fields.get("to"),
                lease_ms=settings.lease_ms,
            ),
        ]
        self.tasks = [asyncio.create_task(worker.run()) for worker in self.workers]

    async def close(self) -> None:
        """Stop workers (releasing their shards) and close the clients."""
        for worker in self.workers:
            worker.stop()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.http.aclose()
        await self.redis.aclose()
