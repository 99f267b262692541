"""Every Redis key the handoff service uses, in one place (see ``handoff/README.md``).

All keys start with the ``HANDOFF_KEY_PREFIX`` setting (default ``handoff:``) so that
tests and several tenants can share one Redis. Phones are E.164 with the ``+``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Keys:
    """Key templates bound to one prefix."""

    prefix: str

    # --- tickets -------------------------------------------------------------------------
    def ticket_seq(self) -> str:
        """STRING counter (INCR) giving ticket numbers ``T-000001``..."""
        return f"{self.prefix}ticket:seq"

    def ticket(self, ticket_id: str) -> str:
        """STRING, JSON of the stored ``Ticket`` (the whole document: summary, history)."""
        return f"{self.prefix}ticket:{ticket_id}"

    def tickets_all(self) -> str:
        """ZSET ticket id -> created epoch ms: every ticket ever created (lists, export)."""
        return f"{self.prefix}tickets:all"

    def tickets_open(self) -> str:
        """ZSET ticket id -> created epoch ms: tickets not resolved."""
        return f"{self.prefix}tickets:open"

    def leads(self) -> str:
        """ZSET ticket id -> created epoch ms: tickets opened as ``qualified_lead``."""
        return f"{self.prefix}leads"

    def queue(self, team: str) -> str:
        """ZSET ticket id -> priority rank * 1e13 + SLA deadline ms: unassigned tickets."""
        return f"{self.prefix}queue:{team}"

    def agent_tickets(self, username: str) -> str:
        """SET of ticket ids assigned to one agent and still open (their load)."""
        return f"{self.prefix}agent:{username}:tickets"

    def sla_pending(self) -> str:
        """ZSET ticket id -> SLA deadline ms: open tickets still waiting for a first reply."""
        return f"{self.prefix}sla:pending"

    def escalation_pending(self) -> str:
        """ZSET ticket id -> escalation time ms: tickets nobody has picked up yet."""
        return f"{self.prefix}escalation:pending"

    # --- conversations -------------------------------------------------------------------
    def gate(self, phone: str) -> str:
        """STRING open ticket id of a contact; present = the conversation is with a human."""
        return f"{self.prefix}gate:{phone}"

    def contact_tickets(self, phone: str) -> str:
        """ZSET ticket id -> created epoch ms: every ticket of one contact (latest, GDPR)."""
        return f"{self.prefix}contact:{phone}:tickets"

    def team_override(self, team: str) -> str:
        """STRING, JSON ``TeamSpec``: an admin's edit of a team, merged over ``teams.yml``."""
        return f"{self.prefix}team:{team}:override"

    # --- audit, events, stats ------------------------------------------------------------
    def audit(self) -> str:
        """STREAM, append-only audit trail: ticket_id, event, actor, at, detail (JSON)."""
        return f"{self.prefix}audit"

    def events(self) -> str:
        """STREAM of queue changes for the console (SSE ``id`` = stream entry id)."""
        return f"{self.prefix}events"

    def stats(self) -> str:
        """HASH of counters: ``created``, ``resolved``, ``sla_breached``, ``escalated``..."""
        return f"{self.prefix}stats"

    def team_stats(self, team: str) -> str:
        """HASH of the same counters for one team."""
        return f"{self.prefix}stats:team:{team}"

    # --- staff ---------------------------------------------------------------------------
    def users(self) -> str:
        """SET of staff usernames."""
        return f"{self.prefix}users"

    def user(self, username: str) -> str:
        """STRING, JSON of the stored ``StaffUser`` (argon2 hash included)."""
        return f"{self.prefix}user:{username}"

    def user_sessions(self, username: str) -> str:
        """SET of session key ids of one user (to end them all on disable)."""
        return f"{self.prefix}user:{username}:sessions"

    def session(self, session_id: str) -> str:
        """STRING (TTL = session lifetime), JSON ``Session``; id = HMAC of the token."""
        return f"{self.prefix}session:{session_id}"

    def login_failures(self, username: str) -> str:
        """STRING counter (TTL = failure window) of failed logins."""
        return f"{self.prefix}login:failures:{username}"

    def login_lock(self, username: str) -> str:
        """STRING (TTL = lockout) present while a username is locked out."""
        return f"{self.prefix}login:lock:{username}"

    def round_robin(self, team: str) -> str:
        """LIST of a team's agents in round-robin order (the picked one moves to the back)."""
        return f"{self.prefix}rr:{team}"

    # --- canned replies, outbox ----------------------------------------------------------
    def canned(self) -> str:
        """HASH canned reply id -> JSON ``CannedReply``."""
        return f"{self.prefix}canned"

    def outbox(self, kind: str) -> str:
        """ZSET job JSON -> next attempt epoch ms (kinds ``crm``, ``rasa``, ``outbound``)."""
        return f"{self.prefix}outbox:{kind}"

    def dead_letter(self, kind: str) -> str:
        """LIST of jobs that failed their last attempt, newest first."""
        return f"{self.prefix}dead:{kind}"
