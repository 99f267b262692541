"""Domain errors; the API turns each into an HTTP status with the message as ``detail``."""

from __future__ import annotations


class HandoffError(Exception):
    """Base class: the message tells the caller what to do."""

    status_code = 400


class NotFoundError(HandoffError):
    """The ticket, user or canned reply does not exist."""

    status_code = 404


class ConflictError(HandoffError):
    """The ticket is not in a state that allows the action (e.g. claimed by someone else)."""

    status_code = 409


class PermissionDeniedError(HandoffError):
    """The staff user's role or team does not allow the action on this ticket."""

    status_code = 403


class InvalidRequestError(HandoffError):
    """The request names something that does not exist (team, placeholder...)."""

    status_code = 422


class UpstreamError(HandoffError):
    """The hub (or another service) refused or did not answer."""

    status_code = 502
