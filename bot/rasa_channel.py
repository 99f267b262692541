"""Rasa's REST channel that tells the hub when a turn failed (runs inside ``.venv-rasa``).

Rasa 3.6's ``RestInput`` logs an exception raised while handling a message (the lock or
tracker store's Redis unreachable, a lock that timed out...) and still answers 200 with
whatever replies were collected, often none: the hub could not tell a failed turn from a bot
that chose to say nothing, and the customer's message would go unanswered. This channel keeps
the same URL (``/webhooks/rest/webhook``) and adds a marker reply ``{"custom": {"wabot_error":
...}}`` to such an answer; the hub's Rasa client treats it as "Rasa unavailable" and retries.
Like ``bot.nlu_components`` it imports nothing from the project.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

ERROR_MARKER = "wabot_error"


class ReliableRestInput(RestInput):
    """``RestInput`` whose answer carries a marker when handling the message failed."""

    @classmethod
    def name(cls) -> str:
        """Same name, hence the same URL, as Rasa's REST channel."""
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """Rasa's REST endpoints, with failures of ``on_new_message`` marked in the answer."""

        async def marked(message: UserMessage) -> None:
            try:
                await on_new_message(message)
            except Exception as exc:
                output = message.output_channel
                if isinstance(output, CollectingOutputChannel):
                    output.messages.append(
                        {
                            "recipient_id": message.sender_id,
                            "custom": {ERROR_MARKER: f"{type(exc).__name__}: {exc}"[:300]},
                        }
                    )
                raise

        return super().blueprint(marked)
