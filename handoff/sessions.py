"""Staff sessions: login with lockout, opaque tokens (cookie or bearer) and CSRF tokens.

A token is 32 random bytes; Redis stores only its HMAC (keyed with ``session_secret``),
so a copy of the database does not contain usable sessions.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis
from pydantic import AwareDatetime, BaseModel

from handoff.config import HandoffSettings
from handoff.errors import HandoffError
from handoff.keys import Keys
from handoff.models import StaffUser
from handoff.staff import StaffDirectory
from handoff.store import as_texts


class LoginFailedError(HandoffError):
    """Wrong username or password."""

    status_code = 401


class LockedOutError(HandoffError):
    """Too many failed logins for this username."""

    status_code = 429


class AccountDisabledError(HandoffError):
    """The user exists but was disabled by an admin."""

    status_code = 403


class Session(BaseModel):
    """A stored session."""

    username: str
    csrf_token: str
    created_at: AwareDatetime
    expires_at: AwareDatetime


class SessionService:
    """Logs staff in and out and resolves tokens to users."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        directory: StaffDirectory,
        settings: HandoffSettings,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.directory = directory
        self.settings = settings
        self._secret = settings.session_secret.get_secret_value().encode()

    async def login(self, username: str, password: str) -> tuple[str, Session, StaffUser]:
        """Check the password (with lockout) and open a session; returns the raw token."""
        name = username.strip().lower()
        lock_ttl = await self.redis.ttl(self.keys.login_lock(name))
        if lock_ttl and lock_ttl > 0:
            minutes = max(1, round(lock_ttl / 60))
            raise LockedOutError(
                f"too many failed logins; try again in {minutes} min or ask an admin to reset it"
            )
        user = await self.directory.get(name)
        if not await self.directory.verify(user, password) or user is None:
            await self._count_failure(name)
            raise LoginFailedError("wrong username or password")
        if user.disabled:
            raise AccountDisabledError("this account is disabled; ask an admin to enable it")
        await self.redis.delete(self.keys.login_failures(name))
        token, session = await self._open(user.username)
        return token, session, user

    async def authenticate(self, token: str) -> tuple[Session, StaffUser] | None:
        """Return the session and its (enabled) user, or ``None``."""
        if not token:
            return None
        raw = await self.redis.get(self.keys.session(self._session_id(token)))
        if raw is None:
            return None
        session = Session.model_validate_json(raw)
        if session.expires_at <= datetime.now(UTC):  # the TTL is the rule, this the backstop
            return None
        user = await self.directory.get(session.username)
        if user is None or user.disabled:
            return None
        return session, user

    async def logout(self, token: str) -> None:
        """End one session."""
        session_id = self._session_id(token)
        raw = await self.redis.getdel(self.keys.session(session_id))
        if raw is not None:
            session = Session.model_validate_json(raw)
            await self.redis.srem(self.keys.user_sessions(session.username), session_id)

    async def end_all(self, username: str) -> int:
        """End every session of a user (on disable or password change)."""
        ids = as_texts(await self.redis.smembers(self.keys.user_sessions(username)))
        keys = [self.keys.session(i) for i in ids]
        ended = await self.redis.delete(*keys) if keys else 0
        await self.redis.delete(self.keys.user_sessions(username))
        return int(ended)

    def csrf_matches(self, session: Session, header_value: str | None) -> bool:
        """Constant-time check of the CSRF header against the session's token."""
        return bool(header_value) and hmac.compare_digest(session.csrf_token, header_value or "")

    async def _open(self, username: str) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        ttl = timedelta(minutes=self.settings.session_ttl_minutes)
        session = Session(
            username=username,
            csrf_token=secrets.token_urlsafe(24),
            created_at=now,
            expires_at=now + ttl,
        )
        session_id = self._session_id(token)
        seconds = int(ttl.total_seconds())
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.session(session_id), session.model_dump_json(), ex=seconds)
            pipe.sadd(self.keys.user_sessions(username), session_id)
            pipe.expire(self.keys.user_sessions(username), seconds)
            await pipe.execute()
        return token, session

    async def _count_failure(self, username: str) -> None:
        key = self.keys.login_failures(username)
        window = self.settings.login_failure_window_minutes * 60
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window, nx=True)
            failures, _ = await pipe.execute()
        if int(failures) >= self.settings.login_max_failures:
            lock_seconds = self.settings.lockout_minutes * 60
            await self.redis.set(self.keys.login_lock(username), "1", ex=lock_seconds)
            await self.redis.delete(key)

    async def unlock(self, username: str) -> None:
        """Lift a lockout (admin action)."""
        await self.redis.delete(self.keys.login_lock(username), self.keys.login_failures(username))

    def _session_id(self, token: str) -> str:
        return hmac.new(self._secret, token.encode(), hashlib.sha256).hexdigest()
