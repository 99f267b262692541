"""Speed-ups for the Rasa server's hot path, installed when Rasa imports our NLU components.

Like ``bot.nlu_components``, this runs inside ``.venv-rasa`` (Rasa 3.6, Python 3.10) and imports
only Rasa and its dependencies.

Action-response validation. Rasa checks every action-server response with
``jsonschema.validate(result, spec)``, which re-checks the (constant) schema itself against the
JSON-Schema meta-schema and builds a new validator on every call. Profiling the stack at 10
messages/second showed that 42 % of the Rasa server's CPU went there, 41 points of it in
``check_schema``. We build the validator once and validate with it: the same draft, the same
schema, the same ``best_match`` error (with Rasa's explanatory suffix), so behaviour is unchanged.

Tracker merge on save. ``RedisTrackerStore.save`` merges the stored tracker with the new one and,
unless the stored events are an exact prefix, keeps each new event that differs from every
merged event by comparing ``as_dict()`` pairwise: quadratic in the conversation's length (at 300
events, 83 % of a turn's CPU and 0.16 s per message instead of 0.01 s). We keep the same rule
(a new event is appended when its ``as_dict()`` differs from every event merged so far) with the
dicts bucketed by a canonical key that equal dicts always share (numbers compared as floats, as
``==`` does), and exact ``==`` inside a bucket: linear, same result.

Event classes by name. Reading a tracker resolves each stored event's class with
``Event.resolve_by_type``, which walks every ``Event`` subclass (``inspect.isabstract`` on each)
for every event: 30 % of a turn on a 600-event conversation. Classes found are remembered by
name (misses still take Rasa's path, so unknown names raise the same error).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)
_DOCS = "https://rasa.com/docs/rasa/custom-actions"


@lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    """One validator for Rasa's constant action-response schema (checked once, here)."""
    spec = RemoteAction.action_response_format_spec()
    cls = validator_for(spec)
    cls.check_schema(spec)
    return cls(spec)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with a cached validator."""
    error = best_match(_action_response_validator().iter_errors(result))
    if error is None:
        return True
    if not isinstance(error, ValidationError):  # pragma: no cover - best_match's contract
        raise error
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from "
        f"the Action endpoint is valid. For more information about the format visit {_DOCS}"
    )
    raise error


def _canonical(value: Any) -> Any:
    """A hashable key that two ``==`` JSON-like values always share (1 == 1.0 == True)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("[]", *(_canonical(v) for v in value))
    if isinstance(value, bool | int | float):
        return float(value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def merge_trackers(
    prior_tracker: DialogueStateTracker, tracker: DialogueStateTracker
) -> DialogueStateTracker:
    """``RedisTrackerStore._merge_trackers`` in linear time (same events, same order)."""
    if not prior_tracker.events:
        return tracker
    last_event_timestamp = prior_tracker.events[-1].timestamp
    past_tracker = tracker.travel_back_in_time(target_time=last_event_timestamp)
    if past_tracker.events == prior_tracker.events:
        return tracker
    merged = tracker.init_copy()
    merged.update_with_events(list(prior_tracker.events), override_timestamp=False, domain=None)
    seen: dict[Any, list[dict[str, Any]]] = {}
    for event in merged.events:
        as_dict = event.as_dict()
        seen.setdefault(_canonical(as_dict), []).append(as_dict)
    for new_event in tracker.events:
        as_dict = new_event.as_dict()
        bucket = seen.setdefault(_canonical(as_dict), [])
        if all(as_dict != existing for existing in bucket):
            merged.update(new_event)
            bucket.append(as_dict)
    return merged


_rasa_resolve_by_type = Event.resolve_by_type
_event_classes: dict[str, type[Event]] = {}


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """``Event.resolve_by_type`` with the classes found remembered by name."""
    found = _event_classes.get(type_name)
    if found is not None:
        return found
    resolved = _rasa_resolve_by_type(type_name, default)
    if resolved is not None and resolved is not default:
        _event_classes[type_name] = resolved
    return resolved


def install() -> None:
    """Patch Rasa once (idempotent)."""
    if getattr(RemoteAction._validate_action_result, "_wabot", False):
        return
    _validate_action_result._wabot = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    RedisTrackerStore._merge_trackers = staticmethod(merge_trackers)  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]
    logger.debug("installed the cached validator, the linear tracker merge, event class cache")
