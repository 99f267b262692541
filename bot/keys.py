"""Redis key templates owned by the hub (the handoff service has its own in ``handoff/keys.py``).

Every key starts with the configured prefix (``BOT_KEY_PREFIX``, default ``wabot:``) so tests
and tenants can share one Redis. ``contact`` is the customer's WhatsApp id (digits, no ``+``).
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Keys:
    """Builds the hub's key names from one prefix."""

    prefix: str

    def inbound_stream(self, shard: int) -> str:
        """Stream of inbound webhook messages for one shard (contacts hash to shards)."""
        return f"{self.prefix}in:{shard}"

    def outbound_stream(self, shard: int) -> str:
        """Stream of replies waiting to be sent for one shard."""
        return f"{self.prefix}out:{shard}"

    def dead_letters(self) -> str:
        """Stream of outbound messages that failed after the last try."""
        return f"{self.prefix}out:dead"

    def lease(self, kind: str, shard: int) -> str:
        """Lease of one shard by one worker process (SET NX PX, renewed while alive)."""
        return f"{self.prefix}lease:{kind}:{shard}"

    def seen(self, wamid: str) -> str:
        """Marks an inbound ``wamid`` already accepted (dedupe of Meta's retries)."""
        return f"{self.prefix}seen:{wamid}"

    def done(self, wamid: str) -> str:
        """Marks an inbound message fully processed (its replies are queued)."""
        return f"{self.prefix}done:{wamid}"

    def bot_replies(self, wamid: str) -> str:
        """Rasa's replies to one inbound message, kept so a retry never asks Rasa twice."""
        return f"{self.prefix}replies:{wamid}"

    def outbound_seen(self, message_id: str) -> str:
        """Marks an outbound message id already queued (idempotent enqueue)."""
        return f"{self.prefix}outseen:{message_id}"

    def outbound_message(self, message_id: str) -> str:
        """Hash of one outbound message: recipient, body, status, wamid, attempts."""
        return f"{self.prefix}msg:{message_id}"

    def wamid_to_message(self, wamid: str) -> str:
        """Maps the ``wamid`` Meta gave an outbound message back to our message id."""
        return f"{self.prefix}wamid:{wamid}"

    def transcript(self, contact: str) -> str:
        """Stream of one contact's conversation (customer, bot, agent, statuses)."""
        return f"{self.prefix}transcript:{contact}"

    def contact(self, contact: str) -> str:
        """Hash of one contact: profile name, language, last inbound time (24 h window)."""
        return f"{self.prefix}contact:{contact}"

    def consent_log(self, contact: str) -> str:
        """Stream of one contact's opt-out / opt-in events (time, channel, source)."""
        return f"{self.prefix}consent:{contact}"

    def contacts(self) -> str:
        """Set of every contact id the hub has seen (for export, retention, reports)."""
        return f"{self.prefix}contacts"

    def template_overrides(self) -> str:
        """Hash of admins' template declarations: name → JSON spec or ``deleted``."""
        return f"{self.prefix}templates:overrides"

    def gdpr_log(self) -> str:
        """Stream of GDPR exports and erasures: action, contact's salted hash, actor, counts."""
        return f"{self.prefix}gdpr:log"

    def ip_window(self, scope: str, ip: str, window: int) -> str:
        """Request counter of one source IP in one fixed window (rate limits, with a TTL)."""
        return f"{self.prefix}ratelimit:{scope}:{ip}:{window}"

    def rate_bucket(self, phone_number_id: str) -> str:
        """Token bucket of the per-number Cloud API throughput."""
        return f"{self.prefix}bucket:{phone_number_id}"

    def pair_bucket(self, contact: str) -> str:
        """Token bucket of the messages sent to one contact (Meta's pair rate limit)."""
        return f"{self.prefix}pairbucket:{contact}"

    def fake_pair_bucket(self, contact: str) -> str:
        """The fake Cloud API's own count of one contact's messages (it enforces 131056)."""
        return f"{self.prefix}fake:pairbucket:{contact}"

    def wait_notice(self, contact: str) -> str:
        """Set while a 'one moment, please' notice was sent for a delayed message."""
        return f"{self.prefix}waitnotice:{contact}"

    def fake_sent(self) -> str:
        """List of requests the fake Cloud API received (simulator mode only)."""
        return f"{self.prefix}fake:sent"

    def fake_failures(self) -> str:
        """List of failures the fake Cloud API will answer next (simulator mode only)."""
        return f"{self.prefix}fake:fail"

    def fake_media(self, media_id: str) -> str:
        """Bytes of a media object uploaded to the fake Cloud API."""
        return f"{self.prefix}fake:media:{media_id}"

    # --- WhatsApp channel (added with the channel work; see bot/whatsapp/README.md) ---

    def held(self, contact: str) -> str:
        """List of outbound message ids held until the contact's 24-hour window reopens."""
        return f"{self.prefix}held:{contact}"

    def pace(self, contact: str) -> str:
        """Set (with a TTL) while the Cloud API asked us to slow down for one contact (131056)."""
        return f"{self.prefix}pace:{contact}"

    def fake_sent_to(self, contact: str) -> str:
        """List of requests the fake Cloud API received for one recipient (simulator page)."""
        return f"{self.prefix}fake:sent:{contact}"

    def fake_failures_for(self, contact: str) -> str:
        """List of failures the fake Cloud API will answer next to one recipient."""
        return f"{self.prefix}fake:fail:{contact}"
