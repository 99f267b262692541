"""Render WhatsApp-formatted text as safe HTML: the editor's preview of what customers see.

WhatsApp's rules: ``*bold*``, ``_italic_``, ``~strikethrough~``, ```` ```monospace``` ````
and `` `inline code` ``, a marker only counts next to a non-space character and not inside a
word; lines starting with ``- `` or ``* `` are bullet lists, ``1. `` numbered lists, ``> `` a
quote; web addresses become links. Everything is HTML-escaped first, so a document can never
inject markup into the staff pages.
"""

from __future__ import annotations

import html
import re

_MONO = re.compile(r"```(.+?)```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_STYLES = (
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])"), "strong"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])"), "em"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])"), "del"),
)
_LINK = re.compile(r"\b(https?://[^\s<]+[^\s<.,;:!?)\]'\"])|\b(www\.[^\s<]+[^\s<.,;:!?)\]'\"])")
_BULLET = re.compile(r"^[-*•]\s+(.*)$")
_NUMBERED = re.compile(r"^\d{1,3}[.)]\s+(.*)$")
_QUOTE = re.compile(r"^&gt;\s?(.*)$")


def _link(match: re.Match[str]) -> str:
    address = match.group(0)
    href = address if address.startswith("http") else f"https://{address}"
    return f'<a href="{href}" rel="noopener noreferrer" target="_blank">{address}</a>'


def inline(text: str) -> str:
    """Styles and links of one escaped line (code spans are left untouched)."""
    parts = re.split(r"(<code>.*?</code>)", text)
    for index, part in enumerate(parts):
        if part.startswith("<code>"):
            continue
        for pattern, tag in _STYLES:
            part = pattern.sub(lambda m, tag=tag: f"<{tag}>{m.group(1)}</{tag}>", part)
        parts[index] = _LINK.sub(_link, part)
    return "".join(parts)


def _block(lines: list[str], kind: str) -> str:
    if kind == "ul":
        return "<ul>" + "".join(f"<li>{line}</li>" for line in lines) + "</ul>"
    if kind == "ol":
        return "<ol>" + "".join(f"<li>{line}</li>" for line in lines) + "</ol>"
    if kind == "quote":
        return "<blockquote>" + "<br>".join(lines) + "</blockquote>"
    return "<p>" + "<br>".join(lines) + "</p>"


def _kind(line: str) -> tuple[str, str]:
    """Which block a line belongs to, and its content without the marker."""
    matchers: tuple[tuple[re.Pattern[str], str], ...] = (
        (_BULLET, "ul"),
        (_NUMBERED, "ol"),
        (_QUOTE, "quote"),
    )
    for pattern, kind in matchers:
        found = pattern.match(line)
        if found:
            return kind, found.group(1)
    return "p", line


def to_html(text: str) -> str:
    """The HTML of a WhatsApp message; blank lines separate paragraphs."""
    escaped = html.escape(text.replace("\r\n", "\n"), quote=True)
    escaped = _MONO.sub(lambda m: f"<code>{m.group(1)}</code>", escaped)
    escaped = _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", escaped)
    blocks: list[str] = []
    current: list[str] = []
    current_kind = ""

    def flush() -> None:
        if current:
            blocks.append(_block(current, current_kind))
            current.clear()

    for line in escaped.split("\n"):
        if not line.strip():
            flush()
            continue
        kind, content = _kind(line.strip())
        if kind != current_kind:
            flush()
            current_kind = kind
        current.append(inline(content))
    flush()
    return "".join(blocks)
