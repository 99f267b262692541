"""Admins' template declarations kept in Redis over ``bot/templates.yml`` (add, edit, delete).

One HASH (``Keys.template_overrides``): template name → JSON ``TemplateSpec``, or ``deleted``
for a file template an admin removed. The hub merges it over the file at start-up and after
every change, and keeps the result on ``app.state.template_catalog``: the console's template
picker, ``/api/templates``, the send checks and the fake Cloud API read it through
``live_catalog``. Meta approves templates outside wabot; this only declares them.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from redis.asyncio import Redis

from bot.keys import Keys
from bot.whatsapp.redis_replies import text_dict
from bot.whatsapp.templates import TemplateCatalog, TemplateSpec, cached_catalog

logger = logging.getLogger(__name__)
DELETED = "deleted"


def merge(base: TemplateCatalog, overrides: dict[str, str]) -> TemplateCatalog:
    """``base`` with each override applied; ``ValidationError`` when the result is invalid."""
    templates = {spec.name: spec for spec in base.templates}
    for name, raw in overrides.items():
        if raw == DELETED:
            templates.pop(name, None)
        else:
            templates[name] = TemplateSpec.model_validate_json(raw)
    return TemplateCatalog(reengagement=base.reengagement, templates=list(templates.values()))


def live_catalog(app: Any) -> TemplateCatalog:
    """The catalogue the running hub offers (the file's when no override was loaded)."""
    catalog = getattr(app.state, "template_catalog", None)
    return catalog if isinstance(catalog, TemplateCatalog) else cached_catalog()


class TemplateOverrides:
    """The stored overrides of one hub (its Redis and key prefix) over the templates file."""

    def __init__(self, redis: Redis, keys: Keys, base: TemplateCatalog | None = None) -> None:
        self.redis, self.keys = redis, keys
        self.base = base or cached_catalog()

    async def stored(self) -> dict[str, str]:
        """Name → JSON spec or ``deleted``, as saved."""
        return text_dict(await self.redis.hgetall(self.keys.template_overrides()))

    async def catalog(self) -> TemplateCatalog:
        """The file merged with every valid override (a broken one is logged and skipped)."""
        good: dict[str, str] = {}
        for name, raw in (await self.stored()).items():
            try:
                merge(self.base, {**good, name: raw})
            except ValidationError as exc:
                logger.error("template %s: stored override ignored (%s)", name, exc)
                continue
            good[name] = raw
        return merge(self.base, good)

    async def put(self, spec: TemplateSpec) -> TemplateCatalog:
        """Add or replace a declaration; returns the new catalogue.

        The re-engagement template stays as the file declares it (``PermissionError``): the
        outbound workers fill it from ``bot/templates.yml``.
        """
        if spec.name == self.base.reengagement:
            raise PermissionError(
                f"{spec.name!r} re-opens the 24-hour window and the workers read it from "
                "bot/templates.yml: change it there"
            )
        return await self._change(spec.name, spec.model_dump_json())

    async def delete(self, name: str) -> TemplateCatalog:
        """Remove a declaration (``KeyError`` when unknown; the re-engagement one stays)."""
        if (await self.catalog()).get(name) is None:
            raise KeyError(f"template {name!r} is not declared")
        return await self._change(name, DELETED)

    async def _change(self, name: str, raw: str) -> TemplateCatalog:
        catalog = merge(await self.catalog(), {name: raw})  # validates before saving
        await self.redis.hset(self.keys.template_overrides(), name, raw)
        return catalog
