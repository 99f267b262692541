"""``wabot simulate``: plays conversation scripts through signed webhooks, checks expectations."""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field

from bot.config import Settings
from bot.eval_nlu import _norm
from bot.simulator import message_envelope, new_inbound_wamid, text_message, webhook_request

TURN_GAP = timedelta(seconds=40)
FINAL = {"sent", "delivered", "read", "dead", "failed", "suppressed", "awaiting_window"}


class Turn(BaseModel):
    """One customer turn."""

    model_config = ConfigDict(extra="ignore")

    user: str


class Expect(BaseModel):
    """What must be true at the end of the script."""

    model_config = ConfigDict(extra="ignore")

    handoff: bool | None = None
    reason: str | None = None
    team: str | None = None
    priority: str | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    bot_silent_after_handoff: bool | None = None
    opted_out: bool | None = None
    staff_reply_from: datetime | None = None


class Script(BaseModel):
    """One conversation script of the evaluation format."""

    model_config = ConfigDict(extra="ignore")

    id: str
    lang: str = "it"
    start: datetime
    turns: list[Turn]
    expect: Expect = Field(default_factory=Expect)
    name: str | None = None


def load_scripts(path: Path) -> list[Script]:
    """Read a YAML list of scripts."""
    documents = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if isinstance(documents, dict):
        documents = documents.get("scripts", [])
    return [Script.model_validate(d) for d in documents]


class Player:
    """Plays scripts against a running hub over HTTP, exactly as WhatsApp would."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient, timeout_s: float = 60.0):
        self._settings = settings
        self._http = http
        self._timeout_s = timeout_s
        self._service = {"Authorization": f"Bearer {settings.service_token.get_secret_value()}"}

    async def send_text(self, contact: str, text: str, at: datetime, name: str) -> str:
        """Post one signed text message and return its wamid."""
        wamid = new_inbound_wamid()
        envelope = message_envelope(
            self._settings,
            contact=contact,
            name=name,
            message=text_message(text),
            sent_at=at,
            wamid=wamid,
        )
        url, headers, body = webhook_request(self._settings, envelope)
        response = await self._http.post(url, headers=headers, content=body)
        response.raise_for_status()
        return wamid

    async def wait_processed(self, wamid: str) -> dict[str, Any]:
        """Wait until the message is processed and each reply reached a final status."""
        url = f"{self._settings.public_url}/api/simulator/inbound/{wamid}"
        deadline = time.monotonic() + self._timeout_s
        while time.monotonic() < deadline:
            progress: dict[str, Any] = (await self._http.get(url)).json()
            if progress["done"] and all(s in FINAL for s in progress["statuses"]):
                return progress
            await asyncio.sleep(0.05)
        raise TimeoutError(f"message {wamid} not processed within {self._timeout_s:.0f}s")

    async def sent_to(self, contact: str, start: int = 0) -> list[dict[str, Any]]:
        """What the fake Cloud API received for this contact."""
        url = f"{self._settings.cloud_api_base}/_sent"
        response = await self._http.get(url, params={"to": contact, "start": start})
        rows: list[dict[str, Any]] = response.json()
        return rows

    async def tickets_of(self, contact: str) -> list[dict[str, Any]]:
        """Tickets of the contact, newest first (handoff service API)."""
        url = f"{self._settings.handoff_base}/api/handoff/conversations/+{contact}/tickets"
        response = await self._http.get(url, headers=self._service)
        if response.status_code == 404:
            return []
        response.raise_for_status()
        tickets: list[dict[str, Any]] = response.json()
        return tickets

    async def consent_of(self, contact: str) -> str:
        """The contact's consent state."""
        url = f"{self._settings.public_url}/api/contacts/{contact}/consent"
        response = await self._http.get(url, headers=self._service)
        response.raise_for_status()
        return str(response.json()["state"])

    async def play(self, script: Script) -> dict[str, Any]:
        """Play one script on a fresh contact and check its expectations."""
        contact = "39300" + f"{secrets.randbelow(10**7):07d}"
        name = script.name or ("Cliente Test" if script.lang == "it" else "Test Customer")
        turns: list[dict[str, Any]] = []
        for index, turn in enumerate(script.turns):
            at = script.start + TURN_GAP * index
            before = len(await self.sent_to(contact))
            wamid = await self.send_text(contact, turn.user, at, name)
            await self.wait_processed(wamid)
            replies = [_text_of(r["payload"]) for r in await self.sent_to(contact, before)]
            turns.append({"user": turn.user, "at": at.isoformat(), "replies": replies})
        tickets = await self.tickets_of(contact)
        ticket = tickets[0] if tickets else None
        consent = await self.consent_of(contact)
        failed = check(script.expect, turns, ticket, consent)
        return {
            "id": script.id,
            "contact": f"+{contact}",
            "passed": not failed,
            "failed": failed,
            "replies": turns,
            "ticket": ticket,
        }


def _text_of(payload: dict[str, Any]) -> str:
    kind = payload.get("type")
    if kind == "text":
        return str(payload["text"]["body"])
    if kind == "interactive":
        interactive = payload["interactive"]
        options = interactive.get("action", {})
        titles = [b["reply"]["title"] for b in options.get("buttons", [])] or [
            row["title"] for s in options.get("sections", []) for row in s.get("rows", [])
        ]
        return f"{interactive['body']['text']} [{' | '.join(titles)}]"
    if kind == "template":
        return f"<template {payload['template']['name']}>"
    return f"<{kind}>"


def check(
    expect: Expect, turns: list[dict[str, Any]], ticket: dict[str, Any] | None, consent: str
) -> list[str]:
    """Names of the expectations that do not hold."""
    failed: list[str] = []
    if expect.handoff is not None and expect.handoff != (ticket is not None):
        failed.append("handoff")
    if ticket is None:
        if expect.handoff is False and (expect.reason or expect.team):
            failed.append("reason")
        return failed + (["opted_out"] if _consent_fails(expect, consent) else [])
    checks = {
        "reason": expect.reason is None or ticket.get("reason") == expect.reason,
        "team": expect.team is None or ticket.get("team") == expect.team,
        "priority": expect.priority is None or ticket.get("priority") == expect.priority,
        "facts": _facts_hold(expect.facts, ticket),
        "bot_silent_after_handoff": not expect.bot_silent_after_handoff
        or _silent_after_handoff(turns, ticket),
        "staff_reply_from": expect.staff_reply_from is None
        or _same_instant(expect.staff_reply_from, ticket.get("staff_reply_from")),
    }
    failed += [name for name, ok in checks.items() if not ok]
    return failed + (["opted_out"] if _consent_fails(expect, consent) else [])


def _consent_fails(expect: Expect, consent: str) -> bool:
    return expect.opted_out is not None and expect.opted_out != (consent == "opted_out")


def summary_facts(ticket: dict[str, Any]) -> dict[str, Any]:
    """Fact values of a ticket's summary (key → value), whatever the summary's layout."""
    summary = ticket.get("summary") or {}
    found: dict[str, Any] = {}
    for key, value in (summary.get("lead") or {}).items():
        if value is not None:
            found[key] = value
    for fact in summary.get("facts") or []:
        if isinstance(fact, dict) and "key" in fact:
            found.setdefault(str(fact["key"]), fact.get("value"))
    return found


def score_facts(cases: list[tuple[str, dict[str, Any], dict[str, Any] | None]]) -> dict[str, Any]:
    """Precision and recall of ticket-summary facts against the scripts' ``expect.facts``.

    ``cases`` holds (script id, expected facts, ticket or ``None``) for the scripts that
    assert facts. For each asserted key the summary reports at most one value (the lead slot,
    else the first transcript fact: :func:`summary_facts`); values compare normalised
    (numbers as numbers, text case- and accent-insensitive). A reported value equal to the
    expected one is correct; a different one is wrong and counts against both scores; an
    absent one (or no ticket) is missing and counts against recall only.
    recall = correct / expected facts; precision = correct / facts reported for asserted keys.
    Summary facts of keys a script does not assert are not judged.
    """
    expected = correct = 0
    wrong: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    for script_id, facts, ticket in cases:
        found = summary_facts(ticket) if ticket else {}
        for key, value in facts.items():
            expected += 1
            if found.get(key) is None:
                missing.append({"script": script_id, "key": key, "expected": value})
            elif _norm(found[key]) == _norm(value):
                correct += 1
            else:
                wrong.append(
                    {"script": script_id, "key": key, "expected": value, "found": found[key]}
                )
    reported = correct + len(wrong)
    return {
        "precision": round(correct / reported, 4) if reported else 1.0,
        "recall": round(correct / expected, 4) if expected else 1.0,
        "expected": expected,
        "found": reported,
        "correct": correct,
        "wrong": wrong,
        "missing": missing,
    }


def fact_cases(
    scripts: list[Script], results: list[dict[str, Any]]
) -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """(id, expected facts, ticket) of the played scripts that assert facts."""
    return [
        (script.id, script.expect.facts, result.get("ticket"))
        for script, result in zip(scripts, results, strict=True)
        if script.expect.facts
    ]


def _facts_hold(expected: dict[str, Any], ticket: dict[str, Any]) -> bool:
    found = summary_facts(ticket)
    return all(
        found.get(k) is not None and _norm(found[k]) == _norm(v) for k, v in expected.items()
    )


def _silent_after_handoff(turns: list[dict[str, Any]], ticket: dict[str, Any]) -> bool:
    """After the turn that opened the ticket, the bot sent nothing more."""
    opened = ticket.get("opened_at") or ticket.get("created_at")
    if not opened:
        return False
    opened_at = datetime.fromisoformat(str(opened))
    after = [t for t in turns if datetime.fromisoformat(t["at"]) > opened_at]
    return all(not t["replies"] for t in after)


def _same_instant(expected: datetime, actual: Any) -> bool:
    if not actual:
        return False
    return abs((datetime.fromisoformat(str(actual)) - expected).total_seconds()) < 60
