"""Approved templates: the catalogue, and proactive template messages (reminders, updates)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis

from bot import outbound
from bot.api.deps import KeysDep, RedisDep, ServiceDep, SettingsDep
from bot.config import Settings
from bot.keys import Keys
from bot.whatsapp.consent import is_opted_out
from bot.whatsapp.redis_replies import text_dict
from bot.whatsapp.template_overrides import live_catalog
from bot.whatsapp.templates import TemplateCatalog, TemplateError, TemplateSpec, cached_catalog

router = APIRouter(tags=["templates"])


class TemplateSend(BaseModel):
    """A template to send to one contact, parameters by name (as declared) or in order."""

    model_config = ConfigDict(extra="forbid")

    to: str
    template: str
    parameters: dict[str, str] | list[str] = []
    language: str | None = None
    idempotency_key: str | None = None


class TemplateQueued(BaseModel):
    """The id under which the template was queued."""

    message_id: str
    queued: bool


@router.get("/api/templates")
async def list_templates(request: Request, _: ServiceDep) -> list[TemplateSpec]:
    """The templates declared in ``bot/templates.yml`` and by admins (live)."""
    return list(live_catalog(request.app).templates)


@router.post("/api/outbound/templates", status_code=status.HTTP_202_ACCEPTED)
async def send_template(
    body: TemplateSend,
    request: Request,
    _: ServiceDep,
    redis: RedisDep,
    keys: KeysDep,
    settings: SettingsDep,
) -> TemplateQueued:
    """Queue a proactive template; refused for a contact who opted out (409)."""
    catalog = live_catalog(request.app)
    return await queue_template(body, redis=redis, keys=keys, settings=settings, catalog=catalog)


async def queue_template(
    body: TemplateSend,
    *,
    redis: Redis,
    keys: Keys,
    settings: Settings,
    catalog: TemplateCatalog | None = None,
) -> TemplateQueued:
    """Check and queue a template (API and staff console); ``HTTPException`` says why not."""
    catalog = catalog or cached_catalog()
    contact = body.to.lstrip("+")
    try:
        values = catalog.parameters_for(body.template, body.parameters)
    except TemplateError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    fields = text_dict(await redis.hgetall(keys.contact(contact)))
    if is_opted_out(fields):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"+{contact} opted out: no template or reminder may be sent until they write START",
        )
    spec = catalog.get(body.template)
    assert spec is not None
    language = spec.language_for(body.language or fields.get("language") or "it")
    message = outbound.OutboundMessage(
        id=body.idempotency_key or f"template:{uuid.uuid4().hex}",
        to=contact,
        template=outbound.Template(name=spec.name, language=language, parameters=values),
        origin="system",
    )
    queued = await outbound.enqueue(
        redis,
        keys=keys,
        message=message,
        shards=settings.outbound_shards,
        ttl_s=settings.dedupe_ttl_s,
    )
    return TemplateQueued(message_id=message.id, queued=queued)
