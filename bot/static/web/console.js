// Staff console: live queue (server-sent events), SLA countdowns, canned reply preview.
"use strict";

(function () {
  const WARN_SECONDS = 15 * 60; // same threshold as bot/web/conversation.py SLA_WARN
  // handoff.models.TicketEvent values, sent as `ticket.<event>` by /api/staff/events
  const EVENTS = ["created", "reason_added", "customer_message", "assigned", "claimed", "replied",
    "note", "transferred", "requeued", "escalated", "sla_breached", "resolved", "reopened"];

  function format(seconds) {
    const s = Math.abs(Math.round(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = s % 60;
    if (h >= 48) return `${Math.floor(h / 24)}d ${h % 24}h`;
    return h > 0 ? `${h}h ${String(m).padStart(2, "0")}m` : `${m}m ${String(sec).padStart(2, "0")}s`;
  }

  function tick() {
    const now = Date.now();
    document.querySelectorAll(".sla[data-deadline]").forEach((el) => {
      if (el.dataset.state === "met") return;
      const left = (Date.parse(el.dataset.deadline) - now) / 1000;
      const state = el.dataset.state === "late" || left <= 0 ? "late" : left <= WARN_SECONDS ? "warn" : "ok";
      el.classList.remove("sla-ok", "sla-warn", "sla-late");
      el.classList.add(`sla-${state}`);
      el.textContent = state === "late"
        ? `${el.dataset.labelLate} ${left <= 0 ? format(left) : ""}`.trim()
        : `${el.dataset.labelLeft} ${format(left)}`;
      const row = el.closest(".ticket");
      if (row) row.className = row.className.replace(/row-\w+/, `row-${state}`);
    });
  }

  async function refreshQueue(queue) {
    const response = await window.wabotFetch(queue.dataset.source);
    if (response.ok) {
      queue.innerHTML = await response.text();
      tick();
    }
  }

  function listen(queue) {
    const status = document.getElementById("live-status");
    const source = new EventSource("/api/staff/events");
    let pending = null;
    const schedule = () => {
      if (pending) return;
      pending = setTimeout(() => { pending = null; refreshQueue(queue); }, 150);
    };
    source.onopen = () => { if (status) status.textContent = status.dataset.connected; refreshQueue(queue); };
    source.onerror = () => { if (status) status.textContent = status.dataset.lost; };
    EVENTS.forEach((name) => source.addEventListener(`ticket.${name}`, schedule));
    source.onmessage = schedule;
  }

  // On a conversation page: when this ticket changes (a customer message, a claim...),
  // swap in the fresh header and transcript without touching what the agent is typing.
  function followTicket(head) {
    const ticketId = head.dataset.ticket;
    const source = new EventSource("/api/staff/events");
    const refresh = async (event) => {
      let changed = {};
      try { changed = JSON.parse(event.data); } catch (e) { return; }
      if (changed.ticket_id !== ticketId) return;
      const response = await window.wabotFetch(window.location.pathname);
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const selector of [".ticket-head", "#chat"]) {
        const now = document.querySelector(selector);
        const next = fresh.querySelector(selector);
        if (now && next) now.innerHTML = next.innerHTML;
      }
      tick();
    };
    EVENTS.forEach((name) => source.addEventListener(`ticket.${name}`, refresh));
  }

  function cannedPreview() {
    const select = document.getElementById("canned");
    const text = document.getElementById("reply-text");
    if (!select || !text) return;
    select.addEventListener("change", async () => {
      if (!select.value) return;
      const response = await window.wabotFetch(select.dataset.preview + encodeURIComponent(select.value));
      if (response.ok) text.value = (await response.json()).text;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const queue = document.getElementById("queue");
    if (queue && window.EventSource) listen(queue);
    const head = document.querySelector(".ticket-head[data-ticket]");
    if (head && window.EventSource) followTicket(head);
    cannedPreview();
    tick();
    setInterval(tick, 1000);
  });
})();
