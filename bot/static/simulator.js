// wabot WhatsApp simulator: several contacts, buttons and lists, status ticks.
// Plain JavaScript, no framework, nothing from a CDN. Every action calls the hub's simulator
// API, which signs the delivery and posts it to the real /webhook.
"use strict";

const STORE = "wabot-simulator-contacts";
const state = { contacts: [], current: null, timer: null };
const $ = (id) => document.getElementById(id);

function loadContacts() {
  try { state.contacts = JSON.parse(localStorage.getItem(STORE)) || []; } catch (e) { state.contacts = []; }
  if (!state.contacts.length) {
    state.contacts = [
      { number: "393331234567", name: "Giulia Bianchi" },
      { number: "447700900123", name: "James Carter" },
    ];
  }
}

function saveContacts() { localStorage.setItem(STORE, JSON.stringify(state.contacts)); }

function renderContacts() {
  const list = $("contact-list");
  list.replaceChildren();
  for (const contact of state.contacts) {
    const item = document.createElement("li");
    item.textContent = contact.name || contact.number;
    const small = document.createElement("small");
    small.textContent = "+" + contact.number;
    item.append(small);
    item.classList.toggle("active", state.current && state.current.number === contact.number);
    item.addEventListener("click", () => select(contact));
    list.append(item);
  }
}

function select(contact) {
  state.current = contact;
  $("chat-name").textContent = contact.name || contact.number;
  $("chat-number").textContent = "+" + contact.number;
  renderContacts();
  refresh();
}

async function api(path, body) {
  const options = body instanceof FormData
    ? { method: "POST", body }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  if (!response.ok) { alert(`${path}: ${response.status} ${await response.text()}`); }
  return response;
}

function clockValue() {
  const value = $("clock").value;
  return value ? new Date(value).toISOString() : null;
}

function send(kind, fields) {
  const c = state.current;
  const body = { contact: c.number, name: c.name || "Cliente", kind, ...fields };
  const at = clockValue();
  if (at) body.at = at;
  return api("/api/simulator/messages", body).then(refresh);
}

function ticks(status) {
  const span = document.createElement("span");
  span.className = "ticks";
  const marks = { queued: "🕓", awaiting_window: "🕓 24h", sent: "✓", delivered: "✓✓", read: "✓✓" };
  if (status in marks) {
    span.textContent = marks[status];
    if (status === "read") span.classList.add("read");
  } else {
    span.textContent = "⚠ " + status;
    span.classList.add("bad");
  }
  span.title = status;
  return span;
}

function choiceButton(title, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = title;
  button.addEventListener("click", onClick);
  return button;
}

function openList(interactive) {
  $("list-title").textContent = interactive.action.button;
  const rows = $("list-rows");
  rows.replaceChildren();
  for (const section of interactive.action.sections || []) {
    for (const row of section.rows || []) {
      const item = document.createElement("li");
      item.append(choiceButton(row.title, () => {
        $("list-sheet").hidden = true;
        send("list_reply", { reply_id: row.id, title: row.title });
      }));
      rows.append(item);
    }
  }
  $("list-sheet").hidden = false;
}

function businessBody(bubble, message) {
  const payload = message.payload;
  const choices = document.createElement("div");
  choices.className = "choices";
  if (payload.type === "text") {
    bubble.append(payload.text.body);
  } else if (payload.type === "interactive") {
    const interactive = payload.interactive;
    bubble.append(interactive.body.text);
    if (interactive.type === "button") {
      for (const b of interactive.action.buttons) {
        choices.append(choiceButton(b.reply.title, () => send("button_reply", { reply_id: b.reply.id, title: b.reply.title })));
      }
    } else if (interactive.type === "list") {
      choices.append(choiceButton("☰ " + interactive.action.button, () => openList(interactive)));
    }
  } else if (payload.type === "template") {
    const rendered = message.rendered;
    bubble.append(rendered ? rendered.text : `<template ${payload.template.name}>`);
    for (const title of (rendered && rendered.buttons) || []) {
      choices.append(choiceButton(title, () => send("template_button", { reply_id: title, title })));
    }
  } else {
    bubble.append(`<${payload.type}>`);
  }
  if (choices.childElementCount) bubble.append(choices);
}

function customerBody(bubble, message) {
  if (message.media_id && ["image", "sticker"].includes(message.type)) {
    const img = document.createElement("img");
    img.src = `/api/simulator/media/${encodeURIComponent(message.media_id)}`;
    img.alt = message.type;
    bubble.append(img);
  } else if (message.media_id) {
    bubble.append(`📎 ${message.type} `);
  } else if (message.type === "reaction") {
    bubble.append(`reacted ${message.text || "(removed)"}`);
    return;
  } else if (message.type === "unsupported") {
    bubble.append("📊 (poll: not supported by the Cloud API)");
    return;
  }
  if (message.text) bubble.append(message.text);
}

function renderMessages(conversation) {
  const list = $("messages");
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 40;
  list.replaceChildren();
  for (const message of conversation.messages) {
    const bubble = document.createElement("li");
    bubble.className = "bubble " + (message.from === "customer" ? "customer" : message.from);
    if (message.from === "agent") {
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = "Agent";
      bubble.append(who);
    }
    if (message.from === "customer") customerBody(bubble, message); else businessBody(bubble, message);
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.append(new Date(message.ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
    if (message.from !== "customer") {
      meta.append(ticks(message.status));
      const react = document.createElement("span");
      react.className = "react";
      react.textContent = "👍";
      react.title = "React with 👍";
      react.addEventListener("click", () => send("reaction", { reacted_to: message.wamid, emoji: "👍" }));
      meta.append(react);
    }
    bubble.append(meta);
    list.append(bubble);
  }
  if (atBottom) list.scrollTop = list.scrollHeight;
  const consent = $("consent");
  consent.textContent = conversation.consent === "opted_out" ? "opted out" : "opted in";
  consent.classList.toggle("warn", conversation.consent === "opted_out");
  const opened = conversation.window_from ? new Date(conversation.window_from) : null;
  const open = opened && Date.now() - opened.getTime() < 24 * 3600 * 1000;
  $("window").textContent = open ? "24 h window open" : "window closed: templates only";
  $("window").classList.toggle("warn", !open);
}

async function refresh() {
  if (!state.current) return;
  const response = await fetch(`/api/simulator/conversations/${state.current.number}`);
  if (response.ok) renderMessages(await response.json());
}

async function sendFile(file) {
  const form = new FormData();
  form.append("file", file);
  form.append("contact", state.current.number);
  form.append("name", state.current.name || "Cliente");
  form.append("caption", $("text").value);
  $("text").value = "";
  await api("/api/simulator/media", form);
  refresh();
}

const ACTIONS = {
  "location": () => send("location", { text: "Darsena", address: "Viale Gorizia, Milano", latitude: 45.452, longitude: 9.1751 }),
  "contact": () => send("contacts", { card_name: "Marco Bianchi", card_phone: "+39 347 765 4321" }),
  "unsupported": () => send("unsupported", {}),
  "stop-marketing": () => api("/api/simulator/preferences", { contact: state.current.number, name: state.current.name || "Cliente", value: "stop" }).then(refresh),
  "resume-marketing": () => api("/api/simulator/preferences", { contact: state.current.number, name: state.current.name || "Cliente", value: "resume" }).then(refresh),
  "close-window": () => api(`/api/simulator/contacts/${state.current.number}/close-window`, {}).then(refresh),
};

function bind() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text").value.trim();
    if (!text || !state.current) return;
    $("text").value = "";
    send("text", { text });
  });
  $("file").addEventListener("change", (event) => {
    if (event.target.files[0] && state.current) sendFile(event.target.files[0]);
    event.target.value = "";
  });
  $("add-contact").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    const number = form.number.value.replace(/[^0-9]/g, "");
    if (!state.contacts.some((c) => c.number === number)) {
      state.contacts.push({ number, name: form.name.value.trim() });
      saveContacts();
    }
    form.reset();
    select(state.contacts.find((c) => c.number === number));
  });
  for (const button of document.querySelectorAll("[data-action]")) {
    button.addEventListener("click", () => state.current && ACTIONS[button.dataset.action]());
  }
  $("list-close").addEventListener("click", () => { $("list-sheet").hidden = true; });
}

loadContacts();
bind();
renderContacts();
select(state.contacts[0]);
state.timer = setInterval(refresh, 1000);
