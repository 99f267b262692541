"""Staff users in Redis: argon2 password hashes, roles, teams, areas and presence."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from redis.exceptions import WatchError

from handoff.errors import ConflictError, InvalidRequestError, NotFoundError
from handoff.keys import Keys
from handoff.models import Role, StaffUser, StaffUserCreate, StaffUserUpdate
from handoff.store import as_texts

_TIMING_PASSWORD = "wabot-timing-equaliser"


def make_hasher(
    time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 4
) -> PasswordHasher:
    """An argon2id hasher (defaults: RFC 9106 low-memory profile, as argon2-cffi's)."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


class StaffDirectory:
    """Creates, finds and changes staff users."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        teams: set[str],
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.teams = teams
        self.hasher = hasher or make_hasher()
        self._dummy_hash: str | None = None

    async def create(self, new_user: StaffUserCreate) -> StaffUser:
        """Store a new user; the username must be free."""
        self._check_teams(new_user.teams)
        password_hash = await asyncio.to_thread(self.hasher.hash, new_user.password)
        user = StaffUser(
            **new_user.model_dump(exclude={"password"}),
            password_hash=password_hash,
            created_at=datetime.now(UTC),
        )
        created = await self.redis.set(
            self.keys.user(user.username), user.model_dump_json(), nx=True
        )
        if not created:
            raise ConflictError(f"user {user.username} already exists; choose another username")
        await self.redis.sadd(self.keys.users(), user.username)
        return user

    async def get(self, username: str) -> StaffUser | None:
        """Return a user, or ``None``."""
        raw = await self.redis.get(self.keys.user(username))
        return None if raw is None else StaffUser.model_validate_json(raw)

    async def require(self, username: str) -> StaffUser:
        """Return a user or raise ``NotFoundError``."""
        user = await self.get(username)
        if user is None:
            raise NotFoundError(f"staff user {username} does not exist")
        return user

    async def all(self) -> list[StaffUser]:
        """All users, sorted by username."""
        names = sorted(as_texts(await self.redis.smembers(self.keys.users())))
        if not names:
            return []
        raws = await self.redis.mget([self.keys.user(n) for n in names])
        return [StaffUser.model_validate_json(raw) for raw in raws if raw is not None]

    async def count(self) -> int:
        """How many users exist."""
        return int(await self.redis.scard(self.keys.users()))

    async def update(self, username: str, changes: StaffUserUpdate) -> StaffUser:
        """Apply the given fields (a new password is hashed)."""
        fields = changes.model_dump(exclude_unset=True, exclude={"password"})
        self._check_teams(fields.get("teams") or [])
        if changes.password is not None:
            fields["password_hash"] = await asyncio.to_thread(self.hasher.hash, changes.password)
        return await self._change(username, lambda user: user.model_copy(update=fields))

    async def set_online(self, username: str, online: bool) -> StaffUser:
        """Mark an agent online (assignable) or offline."""
        return await self._change(username, lambda user: user.model_copy(update={"online": online}))

    async def verify(self, user: StaffUser | None, password: str) -> bool:
        """Check a password in a worker thread; rehash when the parameters changed."""
        stored = user.password_hash if user else await self._timing_hash()
        try:
            await asyncio.to_thread(self.hasher.verify, stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        if user is not None and self.hasher.check_needs_rehash(stored):
            new_hash = await asyncio.to_thread(self.hasher.hash, password)
            await self._change(
                user.username, lambda u: u.model_copy(update={"password_hash": new_hash})
            )
        return user is not None

    async def _timing_hash(self) -> str:
        """A hash verified for unknown usernames, so both cases cost the same time."""
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(self.hasher.hash, _TIMING_PASSWORD)
        return self._dummy_hash

    async def agents_of(self, team: str) -> list[StaffUser]:
        """Enabled agents who work for a team (no teams listed = every team)."""
        return [
            user
            for user in await self.all()
            if user.role is Role.agent
            and not user.disabled
            and (not user.teams or team in user.teams)
        ]

    async def _change(self, username: str, edit: Callable[[StaffUser], StaffUser]) -> StaffUser:
        key = self.keys.user(username)
        while True:
            try:
                async with self.redis.pipeline(transaction=True) as pipe:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    if raw is None:
                        raise NotFoundError(f"staff user {username} does not exist")
                    user = StaffUser.model_validate(
                        edit(StaffUser.model_validate_json(raw)).model_dump()
                    )
                    pipe.multi()
                    pipe.set(key, user.model_dump_json())
                    await pipe.execute()
                    return user
            except WatchError:
                await asyncio.sleep(0.001)

    def _check_teams(self, teams: list[str]) -> None:
        unknown = sorted(set(teams) - self.teams)
        if unknown:
            known = ", ".join(sorted(self.teams))
            raise InvalidRequestError(f"unknown team(s) {', '.join(unknown)}; known teams: {known}")
