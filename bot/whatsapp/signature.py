"""``X-Hub-Signature-256``: HMAC-SHA256 of the raw request body with the app secret."""

import hashlib
import hmac

PREFIX = "sha256="


def sign(body: bytes, secret: str) -> str:
    """Return the header value Meta would send for ``body``."""
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def is_valid_signature(body: bytes, header: str | None, secret: str) -> bool:
    """Check the header against the body in constant time; a missing header is invalid."""
    if not header or not header.startswith(PREFIX) or not secret:
        return False
    return hmac.compare_digest(sign(body, secret), header.strip())
