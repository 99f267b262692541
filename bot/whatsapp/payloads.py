"""Cloud API message payloads within WhatsApp's limits (text, reply buttons, lists, templates).

Limits (Cloud API reference, "Messages"): text body 4096 characters; reply buttons at most 3,
title at most 20 characters, id at most 256, body at most 1024; a list at most 10 rows in all,
row title at most 24 characters, row id at most 200, description at most 72, the list's
button label at most 20, section title at most 24. Titles are shortened with an ellipsis rather
than cut mid-word where possible, and ids are kept unique (Meta refuses duplicates).
"""

from __future__ import annotations

from typing import Any

MAX_TEXT = 4096
MAX_BUTTON_BODY = 1024
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_ID = 200
MAX_LIST_LABEL = 20

LIST_LABEL = {"it": "Scegli", "en": "Choose"}
SECTION_TITLE = {"it": "Opzioni", "en": "Options"}
EMPTY_BODY = "👇"


def shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, ending with an ellipsis when shortened."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rstrip()
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut + "…"


def _unique_ids(ids: list[str], limit: int) -> list[str]:
    seen: set[str] = set()
    result = []
    for index, raw in enumerate(ids):
        candidate = raw[:limit] or f"option_{index + 1}"
        if candidate in seen:
            suffix = f"#{index + 1}"
            candidate = candidate[: limit - len(suffix)] + suffix
        seen.add(candidate)
        result.append(candidate)
    return result


def text_payload(to: str, text: str) -> dict[str, Any]:
    """A plain text message (links previewed)."""
    return {"to": to, "type": "text", "text": {"body": text[:MAX_TEXT], "preview_url": True}}


def buttons_payload(to: str, text: str, buttons: list[tuple[str, str]]) -> dict[str, Any]:
    """Up to three reply buttons under ``text`` (at most 1024 characters)."""
    ids = _unique_ids([payload for _, payload in buttons], MAX_BUTTON_ID)
    return {
        "to": to,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": (text.strip() or EMPTY_BODY)[:MAX_BUTTON_BODY]},
            "action": {
                "buttons": [
                    {
                        "type": "reply",
                        "reply": {"id": ids[i], "title": shorten(title, 20) or str(i + 1)},
                    }
                    for i, (title, _) in enumerate(buttons[:MAX_BUTTONS])
                ]
            },
        },
    }


def list_payload(
    to: str, text: str, options: list[tuple[str, str]], language: str = "it"
) -> dict[str, Any]:
    """A list message with up to ten rows (the rest is dropped)."""
    ids = _unique_ids([payload for _, payload in options[:MAX_ROWS]], MAX_ROW_ID)
    rows = [
        {"id": ids[i], "title": shorten(title, MAX_ROW_TITLE) or str(i + 1)}
        for i, (title, _) in enumerate(options[:MAX_ROWS])
    ]
    return {
        "to": to,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": (text.strip() or EMPTY_BODY)[:MAX_TEXT]},
            "action": {
                "button": LIST_LABEL.get(language, LIST_LABEL["it"])[:MAX_LIST_LABEL],
                "sections": [
                    {"title": SECTION_TITLE.get(language, SECTION_TITLE["it"]), "rows": rows}
                ],
            },
        },
    }


def choice_payload(
    to: str, text: str, options: list[tuple[str, str]], language: str = "it"
) -> dict[str, Any]:
    """Reply buttons when there are at most three options, a list otherwise."""
    if len(options) <= MAX_BUTTONS:
        return buttons_payload(to, text, options)
    return list_payload(to, text, options, language)


def template_payload(to: str, name: str, language: str, parameters: list[str]) -> dict[str, Any]:
    """An approved template message with body parameters."""
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if parameters:
        template["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}
        ]
    return {"to": to, "type": "template", "template": template}


def problems(payload: dict[str, Any]) -> list[str]:
    """What Meta would refuse in an outgoing payload (used by the fake Cloud API and tests)."""
    kind = payload.get("type")
    if kind == "text":
        body = (payload.get("text") or {}).get("body")
        return [] if isinstance(body, str) and 0 < len(body) <= MAX_TEXT else ["text.body"]
    if kind == "interactive":
        return _interactive_problems(payload.get("interactive") or {})
    if kind == "template":
        return [] if (payload.get("template") or {}).get("name") else ["template.name"]
    return [] if kind in ("image", "document", "audio", "video", "reaction") else ["type"]


def _interactive_problems(interactive: dict[str, Any]) -> list[str]:
    body = (interactive.get("body") or {}).get("text") or ""
    action = interactive.get("action") or {}
    found = []
    if interactive.get("type") == "button":
        buttons = action.get("buttons") or []
        if not 0 < len(buttons) <= MAX_BUTTONS or not 0 < len(body) <= MAX_BUTTON_BODY:
            found.append("buttons")
        titles = [b.get("reply", {}).get("title", "") for b in buttons]
        ids = [b.get("reply", {}).get("id", "") for b in buttons]
        if any(not 0 < len(t) <= MAX_BUTTON_TITLE for t in titles) or len(set(ids)) != len(ids):
            found.append("button.title/id")
        return found
    if interactive.get("type") == "list":
        rows = [r for s in action.get("sections") or [] for r in s.get("rows") or []]
        if not 0 < len(rows) <= MAX_ROWS or not 0 < len(body) <= MAX_TEXT:
            found.append("rows")
        if any(not 0 < len(r.get("title", "")) <= MAX_ROW_TITLE for r in rows):
            found.append("row.title")
        if not 0 < len(action.get("button") or "") <= MAX_LIST_LABEL:
            found.append("action.button")
        return found
    return ["interactive.type"]
