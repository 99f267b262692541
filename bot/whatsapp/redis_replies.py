"""Typed views of Redis replies (the hub's clients decode responses to ``str``).

redis-py types replies as ``bytes | str`` (and ``None``) whatever the client's
``decode_responses``; these helpers state what the hub's clients actually return, in one place.
"""

from __future__ import annotations

from typing import Any

from redis.typing import EncodableT, FieldT

Fields = dict[FieldT, EncodableT]  # what XADD and HSET take


def text(value: Any) -> str:
    """A reply as ``str`` (``""`` for a missing value)."""
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else str(value)


def text_or_none(value: Any) -> str | None:
    """A reply as ``str``, keeping ``None`` for a missing key or field."""
    return None if value is None else text(value)


def text_dict(value: Any) -> dict[str, str]:
    """A hash (HGETALL) or stream entry's fields as ``dict[str, str]``."""
    return {text(k): text(v) for k, v in (value or {}).items()}


def entries(value: Any) -> list[tuple[str, dict[str, str]]]:
    """Stream entries (XRANGE, XREVRANGE, one stream of XREADGROUP) as ``(id, fields)``."""
    return [(text(entry[0]), text_dict(entry[1])) for entry in value or []]
