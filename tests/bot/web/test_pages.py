"""The staff pages on a live hub: login, CSRF, console actions, administration, languages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from handoff.models import Role
from tests.bot.web.pages import ADMIN, login, new_contact, open_ticket, staff_client
from tests.bot.whatsapp_live import LiveHub, live_hub, until


@pytest.fixture
async def hub(redis: Redis, redis_server: str, key_prefix: str) -> AsyncIterator[LiveHub]:
    async with live_hub(redis, redis_server, key_prefix) as running:
        yield running


async def test_anonymous_reader_is_sent_to_login_and_back(hub: LiveHub) -> None:
    response = await hub.http.get("/console/tickets/T-000001?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fconsole%2Ftickets%2FT-000001%3Fx%3D1"
    form = await hub.http.get("/login", params={"next": "/console/tickets/T-000001"})
    assert 'name="next" value="/console/tickets/T-000001"' in form.text
    assert re.search(r'<label for="username">', form.text)


async def test_login_goes_to_next_only_when_local_and_wrong_password_says_why(
    hub: LiveHub,
) -> None:
    wrong = await hub.http.post("/login", data={"username": "admin", "password": "nope"})
    assert wrong.status_code == 401 and "wrong username or password" in wrong.text
    good = await hub.http.post(
        "/login", data={"username": ADMIN[0], "password": ADMIN[1], "next": "//evil.example/x"}
    )
    assert good.status_code == 303 and good.headers["location"] == "/console"
    assert "wabot_session" in good.cookies and "wabot_csrf" in good.cookies
    local = await hub.http.post(
        "/login", data={"username": ADMIN[0], "password": ADMIN[1], "next": "/admin/users"}
    )
    assert local.headers["location"] == "/admin/users"


async def test_an_editor_lands_on_the_editor_and_is_refused_the_console(hub: LiveHub) -> None:
    editor = await staff_client(hub, Role.editor)
    refused = await editor.http.get("/console")
    assert refused.status_code == 403
    assert "you are editor" in refused.text
    assert 'href="/console"' not in refused.text, "no console link in an editor's menu"


async def test_a_form_without_the_csrf_token_is_refused(hub: LiveHub) -> None:
    agent = await staff_client(hub, Role.agent)
    refused = await agent.http.post("/console/presence", data={"online": "true"})
    assert refused.status_code == 403
    wrong = await agent.http.post("/console/presence", data={"online": "true", "csrf_token": "x"})
    assert wrong.status_code == 403
    accepted = await agent.post_form("/console/presence", {"online": "true"})
    assert accepted.status_code == 303
    page = await agent.http.get("/console")
    assert 'id="presence-state">Online' in page.text


async def test_logout_ends_the_session(hub: LiveHub) -> None:
    agent = await staff_client(hub, Role.agent)
    out = await agent.post_form("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/login"
    again = await agent.http.get("/console")
    assert again.status_code == 303


async def test_agent_handles_a_ticket_from_the_pages(hub: LiveHub) -> None:
    contact = new_contact()
    await hub.http.post("/api/simulator/messages", json={"contact": contact, "text": "ciao"})
    ticket_id = await open_ticket(hub, contact)
    agent = await staff_client(hub, Role.agent)
    queue = await agent.http.get("/console/queue")
    assert ticket_id in queue.text and "Giulia Bianchi" in queue.text

    page = await agent.http.get(f"/console/tickets/{ticket_id}")
    assert page.status_code == 200
    assert "Navigli" in page.text and "<q>" in page.text, "facts with the message they came from"
    assert (await agent.post_form(f"/console/tickets/{ticket_id}/claim")).status_code == 303
    note = await agent.post_form(f"/console/tickets/{ticket_id}/note", {"text": "chiamare"})
    assert note.status_code == 303
    reply = await agent.post_form(
        f"/console/tickets/{ticket_id}/reply", {"text": "Buongiorno Giulia, sono qui."}
    )
    assert reply.status_code == 303, reply.text

    async def delivered() -> bool:
        sent = await hub.sent_to(contact)
        return any("Buongiorno Giulia" in str(s["payload"]) for s in sent)

    await until(delivered)
    page = await agent.http.get(f"/console/tickets/{ticket_id}")
    assert "Buongiorno Giulia, sono qui." in page.text and "chiamare" in page.text
    script = await agent.post_form(
        f"/console/tickets/{ticket_id}/reply", {"text": "*Grazie* <script>alert(1)</script>"}
    )
    assert script.status_code == 303

    async def formatted() -> bool:
        shown = (await agent.http.get(f"/console/tickets/{ticket_id}")).text
        return "<strong>Grazie</strong> &lt;script&gt;alert(1)&lt;/script&gt;" in shown

    await until(formatted)
    assert re.search(r'class="ticks ticks-(sent|delivered|read)"', page.text)
    done = await agent.post_form(
        f"/console/tickets/{ticket_id}/resolve", {"note": "ok", "notify_customer": "true"}
    )
    assert done.status_code == 303
    gate = await hub.http.get(
        f"/api/handoff/conversations/+{contact}/gate",
        headers={"Authorization": "Bearer dev-service-token"},
    )
    assert gate.json()["mode"] == "bot"
    resolved_page = (await agent.http.get(f"/console/tickets/{ticket_id}")).text
    assert 'id="reply-form"' not in resolved_page and "/reopen" in resolved_page
    reopened = await agent.post_form(f"/console/tickets/{ticket_id}/reopen")
    assert reopened.status_code == 303
    gate = await hub.http.get(
        f"/api/handoff/conversations/+{contact}/gate",
        headers={"Authorization": "Bearer dev-service-token"},
    )
    assert gate.json()["mode"] == "human", "reopening gives the conversation back to a person"


async def test_canned_reply_is_sent_with_placeholders_filled(hub: LiveHub) -> None:
    contact = new_contact()
    await hub.http.post("/api/simulator/messages", json={"contact": contact, "text": "ciao"})
    ticket_id = await open_ticket(hub, contact)
    agent = await staff_client(hub, Role.agent, display_name="Laura")
    await agent.post_form(f"/console/tickets/{ticket_id}/claim")
    page = await agent.http.get(f"/console/tickets/{ticket_id}")
    assert 'value="greeting_it"' in page.text
    sent = await agent.post_form(
        f"/console/tickets/{ticket_id}/reply", {"canned_id": "greeting_it"}
    )
    assert sent.status_code == 303

    async def delivered() -> bool:
        return any(
            "Ciao Giulia, sono Laura" in str(s["payload"]) for s in await hub.sent_to(contact)
        )

    await until(delivered)


async def test_bad_actions_get_a_clear_4xx_page(hub: LiveHub) -> None:
    contact = new_contact()
    ticket_id = await open_ticket(hub, contact)
    agent = await staff_client(hub, Role.agent)
    before_claim = await agent.post_form(f"/console/tickets/{ticket_id}/reply", {"text": "x"})
    assert before_claim.status_code == 409 and "claim ticket" in before_claim.text
    await agent.post_form(f"/console/tickets/{ticket_id}/claim")
    empty = await agent.post_form(f"/console/tickets/{ticket_id}/reply", {"text": ""})
    assert empty.status_code == 422 and "text" in empty.text
    team = await agent.post_form(f"/console/tickets/{ticket_id}/transfer", {"team": "nope"})
    assert 400 <= team.status_code < 500 and "nope" in team.text
    missing = await agent.http.get("/console/tickets/T-999999")
    assert missing.status_code == 404


async def test_closed_window_asks_for_a_template_and_sends_it(hub: LiveHub) -> None:
    contact = new_contact()
    await hub.http.post("/api/simulator/messages", json={"contact": contact, "text": "ciao"})
    ticket_id = await open_ticket(hub, contact)
    agent = await staff_client(hub, Role.agent)
    await agent.post_form(f"/console/tickets/{ticket_id}/claim")
    open_page = await agent.http.get(f"/console/tickets/{ticket_id}")
    assert 'id="window-closed"' not in open_page.text and 'id="reply-form"' in open_page.text
    closed = await hub.http.post(f"/api/simulator/contacts/{contact}/close-window")
    assert closed.status_code == 204
    page = await agent.http.get(f"/console/tickets/{ticket_id}")
    assert 'id="window-closed"' in page.text and 'id="reply-form"' not in page.text
    sent = await agent.http.post(
        f"/console/tickets/{ticket_id}/template",
        data={
            "csrf_token": agent.csrf,
            "template": "ticket_update",
            "parameter": ["Giulia", ticket_id],
        },
    )
    assert sent.status_code == 303, sent.text

    async def template_sent() -> bool:
        return any(s["payload"].get("type") == "template" for s in await hub.sent_to(contact))

    await until(template_sent)
    wrong = await agent.http.post(
        f"/console/tickets/{ticket_id}/template",
        data={"csrf_token": agent.csrf, "template": "ticket_update", "parameter": ["only one"]},
    )
    assert wrong.status_code == 422


async def test_supervisor_sees_every_team_who_is_online_and_reassigns(hub: LiveHub) -> None:
    contact = new_contact()
    ticket_id = await open_ticket(hub, contact, reason="complaint")
    sales_agent = await staff_client(hub, Role.agent, teams=["sales"])
    assert ticket_id not in (await sales_agent.http.get("/console/queue")).text
    await sales_agent.post_form("/console/presence", {"online": "true"})
    supervisor = await staff_client(hub, Role.supervisor)
    queue = (await supervisor.http.get("/console")).text
    assert ticket_id in queue and sales_agent.username in queue
    assert all(f'data-team="{team}"' in queue for team in ("sales", "rentals", "support"))
    moved = await supervisor.post_form(
        f"/console/tickets/{ticket_id}/transfer", {"team": "sales", "agent": sales_agent.username}
    )
    assert moved.status_code == 303, moved.text
    page = (await sales_agent.http.get(f"/console/tickets/{ticket_id}")).text
    assert f'id="ticket-assignee">{sales_agent.username}<' in page


async def test_admin_manages_users_from_the_pages(hub: LiveHub) -> None:
    admin = await login(hub, *ADMIN)
    added = await admin.post_form(
        "/admin/users",
        {
            "username": "marco",
            "role": "agent",
            "password": "una-password-lunga",
            "teams": ["sales"],
            "areas": "Navigli, Isola",
        },
    )
    assert added.status_code == 303, added.text
    marco = await login(hub, "marco", "una-password-lunga")
    assert (await marco.http.get("/console")).status_code == 200
    changed = await admin.post_form("/admin/users/marco", {"role": "editor", "areas": ""})
    assert changed.status_code == 303
    assert (await marco.http.get("/console")).status_code == 403
    disabled = await admin.post_form("/admin/users/marco/disabled", {"disabled": "true"})
    assert disabled.status_code == 303
    assert (await marco.http.get("/console")).status_code == 303, "sessions end on disable"
    listing = (await admin.http.get("/admin/users", headers={"Accept-Language": "en"})).text
    assert re.search(r'data-user="marco">.*?<td>editor</td>.*?<td>disabled</td>', listing, re.S)
    no_role = await admin.post_form("/admin/users", {"username": "zed", "role": "boss"})
    assert no_role.status_code == 422 and "role" in no_role.text
    assert no_role.headers["content-type"].startswith("text/html"), "an error page, not JSON"
    api = await hub.http.post("/api/staff/auth/login", json={"username": 1})
    assert api.status_code == 422 and api.json()["detail"], "the API keeps its JSON errors"
    bad = await admin.post_form(
        "/admin/users", {"username": "X Y", "role": "agent", "password": "una-password-lunga"}
    )
    assert bad.status_code == 422 and "username" in bad.text
    myself = await admin.post_form("/admin/users/admin/disabled", {"disabled": "true"})
    assert myself.status_code == 409 and "another admin" in myself.text
    demoted = await admin.post_form("/admin/users/admin", {"role": "agent"})
    assert demoted.status_code == 409
    assert (await admin.http.get("/admin/users")).status_code == 200, "still an admin"
    for _ in range(5):
        await hub.http.post("/login", data={"username": "marco", "password": "wrong-one"})
    assert (await admin.post_form("/admin/users/marco/unlock")).status_code == 303


async def test_supervisor_edits_canned_replies(hub: LiveHub) -> None:
    supervisor = await staff_client(hub, Role.supervisor)
    saved = await supervisor.post_form(
        "/admin/canned",
        {
            "id": "callback_it",
            "title": "Richiamo",
            "text": "Ti richiamo io, {first_name}.",
            "language": "it",
            "team": "",
        },
    )
    assert saved.status_code == 303, saved.text
    listing = (await supervisor.http.get("/admin/canned")).text
    assert "Ti richiamo io" in listing
    bad = await supervisor.post_form(
        "/admin/canned", {"id": "bad", "title": "x", "text": "{nope}", "language": ""}
    )
    assert bad.status_code == 422 and "nope" in bad.text
    deleted = await supervisor.post_form("/admin/canned/callback_it/delete")
    assert deleted.status_code == 303
    assert "Ti richiamo io" not in (await supervisor.http.get("/admin/canned")).text


async def test_teams_and_templates_pages_show_the_configuration(hub: LiveHub) -> None:
    supervisor = await staff_client(hub, Role.supervisor)
    teams = (await supervisor.http.get("/admin/teams")).text
    assert "09:00-18:30" in teams and "09:30-13:00" in teams and "12-07" in teams
    templates = (await supervisor.http.get("/admin/templates")).text
    assert "follow_up_request" in templates and "viewing_reminder" in templates


async def test_language_from_cookie_then_accept_language(hub: LiveHub) -> None:
    english = await hub.http.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Staff login" in english.text and '<html lang="en">' in english.text
    italian = await hub.http.get("/login", headers={"Accept-Language": "de, it;q=0.5"})
    assert "Accesso staff" in italian.text
    switched = await hub.http.get("/lang/en", params={"next": "/login"})
    assert switched.status_code == 303 and switched.headers["location"] == "/login"
    assert switched.cookies["wabot_lang"] == "en"
    chosen = await hub.http.get(
        "/login", cookies={"wabot_lang": "en"}, headers={"Accept-Language": "it"}
    )
    assert "Staff login" in chosen.text
    assert (await hub.http.get("/lang/de")).status_code == 404


async def test_static_files_are_local(hub: LiveHub) -> None:
    page = await hub.http.get("/login")
    assert not re.search(r'(src|href)="https?://', page.text)
    for name in ("app.css", "app.js", "console.js"):
        assert (await hub.http.get(f"/static/web/{name}")).status_code == 200


async def test_transcript_shows_buttons_chosen_and_media(hub: LiveHub) -> None:
    contact = new_contact()
    ticket_id = await open_ticket(hub, contact)
    button = await hub.http.post(
        "/api/simulator/messages",
        json={
            "contact": contact,
            "kind": "button_reply",
            "reply_id": "yes",
            "title": "Sì, va bene",
        },
    )
    assert button.status_code == 200, button.text
    image = await hub.http.post(
        "/api/simulator/media",
        data={"contact": contact, "caption": "la planimetria"},
        files={"file": ("plan.png", b"\x89PNG\r\n\x1a\nfake", "image/png")},
    )
    assert image.status_code == 200, image.text
    agent = await staff_client(hub, Role.agent)

    async def both_recorded() -> bool:
        page = await agent.http.get(f"/console/tickets/{ticket_id}")
        return "Sì, va bene" in page.text and "planimetria" in page.text

    await until(both_recorded)
    page = (await agent.http.get(f"/console/tickets/{ticket_id}")).text
    assert "ha scelto un pulsante" in page
    media = re.search(r'href="(/api/simulator/media/[^"]+)"', page)
    assert media is not None and "immagine" in page
    assert (await agent.http.get(media.group(1))).content.startswith(b"\x89PNG")
