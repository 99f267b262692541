"""Speed-ups for the Rasa server's hot path, installed when Rasa imports our NLU components.

Like ``bot.nlu_components``, this runs inside ``.venv-rasa`` (Rasa 3.6, Python 3.10) and imports
only Rasa and its dependencies.

Action-response validation. Rasa checks every action-server response with
``jsonschema.validate(result, spec)``, which re-checks the (constant) schema itself against the
JSON-Schema meta-schema and builds a new validator on every call. Profiling the stack at 10
messages/second showed that 42 % of the Rasa server's CPU went there, 41 points of it in
``check_schema``. We build the validator once and validate with it: the same draft, the same
schema, the same ``best_match`` error (with Rasa's explanatory suffix), so behaviour is unchanged.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

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


def install() -> None:
    """Patch Rasa once (idempotent)."""
    if getattr(RemoteAction._validate_action_result, "_wabot", False):
        return
    _validate_action_result._wabot = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    logger.debug("installed the cached action-response validator")
