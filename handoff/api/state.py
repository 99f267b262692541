"""The handoff service's runtime objects, built in the lifespan and kept on ``app.state``."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import httpx
import redis.asyncio as aioredis
from argon2 import PasswordHasher
from redis.exceptions import RedisError

from handoff.assignment import AssignmentService
from handoff.canned import CannedStore
from handoff.clients import HubClient, RasaClient
from handoff.config import HandoffSettings
from handoff.crm import CrmDeliverer, CrmNotifier
from handoff.errors import UpstreamError
from handoff.keys import Keys
from handoff.models import Role, StaffUserCreate
from handoff.outbox import Outbox, OutboxJob
from handoff.sessions import SessionService
from handoff.staff import StaffDirectory, make_hasher
from handoff.store import TicketStore
from handoff.team_overrides import TeamOverrides
from handoff.teams import TeamDirectory, load_teams
from handoff.tickets import TicketService

logger = logging.getLogger(__name__)
SIMULATOR_ADMIN_PASSWORD = "wabot-admin"
_STOP_SECONDS = 5.0


@dataclass
class HandoffState:
    """Clients and services of one running handoff service."""

    settings: HandoffSettings
    redis: aioredis.Redis
    http: httpx.AsyncClient
    keys: Keys
    teams: TeamDirectory
    store: TicketStore
    directory: StaffDirectory
    sessions: SessionService
    tickets: TicketService
    canned: CannedStore
    outbox: Outbox
    crm_deliverer: CrmDeliverer
    team_overrides: TeamOverrides
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)


def hasher_for(settings: HandoffSettings) -> PasswordHasher:
    """The argon2 hasher with the configured cost."""
    return make_hasher(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )


def connect_redis(settings: HandoffSettings) -> aioredis.Redis:
    """A redis.asyncio client with a bounded pool and explicit timeouts (strings decoded)."""
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.redis_url,
        decode_responses=True,
        max_connections=settings.redis_max_connections,
        timeout=30,
        socket_connect_timeout=5,
        health_check_interval=30,
    )
    return aioredis.Redis.from_pool(pool)


async def check_redis(redis: aioredis.Redis, settings: HandoffSettings) -> None:
    """Fail startup with a message saying what to do when Redis does not answer."""
    try:
        await redis.ping()
    except (RedisError, OSError) as exc:
        raise RuntimeError(
            f"Redis at {settings.redis_url} does not answer ({exc}); start it "
            "(`make run` starts one) or set HANDOFF_REDIS_URL / REDIS_URL"
        ) from exc


async def build_state(settings: HandoffSettings) -> HandoffState:
    """Create clients and services (no background tasks yet)."""
    teams = load_teams(
        settings.teams_file,
        sla_minutes=settings.sla_minutes,
        escalation_minutes=settings.escalation_minutes,
    )
    redis = connect_redis(settings)
    await check_redis(redis, settings)
    timeout = httpx.Timeout(settings.http_timeout_seconds, connect=5.0)
    http = httpx.AsyncClient(timeout=timeout)
    keys = Keys(settings.key_prefix)
    store = TicketStore(
        redis, keys, audit_maxlen=settings.audit_maxlen, events_maxlen=settings.events_maxlen
    )
    directory = StaffDirectory(redis, keys, set(teams.teams), hasher_for(settings))
    outbox = Outbox(
        redis,
        keys,
        max_attempts=settings.outbox_max_attempts,
        base_delay=settings.outbox_base_delay_seconds,
    )
    canned = CannedStore(redis, keys)
    rasa_token = settings.rasa_token.get_secret_value() if settings.rasa_token else None
    tickets = TicketService(
        store=store,
        teams=teams,
        assignment=AssignmentService(redis, keys, directory),
        hub=HubClient(http, settings.hub_url, settings.outbound_token),
        rasa=RasaClient(http, settings.rasa_url, rasa_token),
        outbox=outbox,
        crm=CrmNotifier(outbox, settings.crm_webhooks),
        canned=canned,
        auto_assign=settings.auto_assign,
        staff_language=settings.staff_language,
        simulated_clock=settings.simulator_mode,
        clock_tolerance_seconds=settings.simulated_clock_tolerance_seconds,
    )
    team_overrides = TeamOverrides(redis, keys, teams, store)
    applied = await team_overrides.load_all()
    if applied:
        logger.info(
            "applied %s team override(s) stored in Redis over %s", applied, settings.teams_file
        )
    return HandoffState(
        settings=settings,
        redis=redis,
        http=http,
        keys=keys,
        teams=teams,
        store=store,
        directory=directory,
        sessions=SessionService(redis, keys, directory, settings),
        tickets=tickets,
        canned=canned,
        outbox=outbox,
        crm_deliverer=CrmDeliverer(http, settings.crm_webhooks),
        team_overrides=team_overrides,
    )


async def seed(state: HandoffState) -> None:
    """First start: canned replies, and in simulator mode a bootstrap admin."""
    added = await state.canned.seed(state.settings.canned_file)
    if added:
        logger.info("seeded %s canned replies from %s", added, state.settings.canned_file)
    settings = state.settings
    if not settings.simulator_mode or await state.directory.count():
        return
    secret = settings.bootstrap_admin_password
    password = secret.get_secret_value() if secret else SIMULATOR_ADMIN_PASSWORD
    admin = StaffUserCreate(
        username=settings.bootstrap_admin_username, role=Role.admin, password=password
    )
    await state.directory.create(admin)
    logger.warning(
        "simulator mode: created staff user %r (role admin); password from "
        "HANDOFF_BOOTSTRAP_ADMIN_PASSWORD or the default %r",
        admin.username,
        SIMULATOR_ADMIN_PASSWORD,
    )


async def deliver_rasa(state: HandoffState, job: OutboxJob) -> None:
    """Outbox deliverer: append a resume/pause event to the Rasa tracker."""
    if job.rasa is None:
        raise UpstreamError(f"outbox job {job.id} has no Rasa payload")
    await state.tickets.rasa.append_event(job.rasa.sender, job.rasa.event)


async def deliver_outbound(state: HandoffState, job: OutboxJob) -> None:
    """Outbox deliverer: a system notice to the customer through the hub."""
    if job.outbound is None:
        raise UpstreamError(f"outbox job {job.id} has no message")
    await state.tickets.hub.send(job.outbound)


async def close_state(state: HandoffState) -> None:
    """Cancel background tasks and close the clients."""
    state.stop.set()
    if state.tasks:
        _, running = await asyncio.wait(state.tasks, timeout=_STOP_SECONDS)
        for task in running:  # stuck in I/O: cancel, and never wait forever
            task.cancel()
        if running:
            _, stuck = await asyncio.wait(running, timeout=_STOP_SECONDS)
            for task in stuck:
                logger.error("background task %s did not stop", task.get_name())
    state.tasks.clear()
    await state.http.aclose()
    await state.redis.aclose()
