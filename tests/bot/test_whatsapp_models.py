"""Contract tests: every recorded delivery parses into the right typed item; payload limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from bot import inbound, outbound
from bot.router import describe, rasa_text
from bot.whatsapp import payloads
from bot.whatsapp.models import Envelope, MarketingPreference, MessageType, StatusKind
from bot.whatsapp.policy import Verdict, judge
from bot.whatsapp.templates import TemplateCatalog, TemplateError, load_catalog
from tests.bot.whatsapp_live import MESSAGE_TYPES, recorded


def _delivery(name: str) -> inbound.Delivery:
    return inbound.parse_delivery(Envelope.model_validate(recorded(name)))


@pytest.mark.parametrize("name", MESSAGE_TYPES)
def test_every_recorded_message_type_becomes_one_item(name: str) -> None:
    delivery = _delivery(name)
    assert len(delivery.items) == 1 and not delivery.statuses
    item = delivery.items[0]
    expected = {"interactive_button_reply": "interactive", "interactive_list_reply": "interactive"}
    assert item.type == MessageType(expected.get(name, name))
    assert item.wamid.startswith("wamid.") and item.contact.isdigit()
    assert item.sent_at.tzinfo is not None
    assert inbound.InboundItem.model_validate_json(item.model_dump_json()) == item


def test_interactive_and_template_buttons_carry_their_payloads() -> None:
    button = _delivery("interactive_button_reply").items[0]
    assert (button.text, button.payload) == ("Comprare casa", "/buy_property")
    assert rasa_text(button) == "/buy_property"
    assert button.context_wamid is not None
    row = _delivery("interactive_list_reply").items[0]
    assert row.payload == '/inform{"area": "Navigli"}' and rasa_text(row) == row.payload
    template = _delivery("button").items[0]
    assert template.payload == "talk_to_agent"
    assert rasa_text(template) == "Talk to an agent"  # not an /intent: Rasa reads the words


def test_media_location_contacts_reaction_are_described_for_the_agent() -> None:
    document = _delivery("document").items[0]
    assert document.media_id == "1223847129183742"
    assert document.media_mime == "application/pdf"
    assert describe(document) == "[document] visura_catastale.pdf Visura catastale"
    audio = _delivery("audio").items[0]
    assert audio.media_id and describe(audio) == "[audio]"
    place = _delivery("location").items[0]
    assert "Darsena" in place.text and "45.452012" in place.text
    card = _delivery("contacts").items[0]
    assert "Marco Bianchi" in card.text and "+39 347 765 4321" in card.text
    reaction = _delivery("reaction").items[0]
    assert reaction.reacted_to and reaction.text == "👍" and describe(reaction) == "[reaction] 👍"
    unsupported = _delivery("unsupported").items[0]
    assert unsupported.error_codes == [131051]


@pytest.mark.parametrize(
    ("name", "kind", "codes"),
    [
        ("status_sent", StatusKind.SENT, []),
        ("status_delivered", StatusKind.DELIVERED, []),
        ("status_read", StatusKind.READ, []),
        ("status_failed_131047", StatusKind.FAILED, [131047]),
        ("status_failed_131026", StatusKind.FAILED, [131026]),
    ],
)
def test_statuses_parse_with_error_codes(name: str, kind: StatusKind, codes: list[int]) -> None:
    delivery = _delivery(name)
    assert not delivery.items and len(delivery.statuses) == 1
    assert delivery.statuses[0].status == kind
    assert delivery.statuses[0].error_codes == codes


def test_user_preferences_and_webhook_errors_parse() -> None:
    stop = _delivery("user_preferences_stop").preferences
    resume = _delivery("user_preferences_resume").preferences
    assert [p.value for p in stop + resume] == [
        MarketingPreference.STOP,
        MarketingPreference.RESUME,
    ]
    assert stop[0].wa_id == "393471234567"
    assert [e.code for e in _delivery("errors").errors] == [131000]


def test_a_batch_keeps_the_customer_order() -> None:
    items = _delivery("batch_two_messages").items
    assert [i.text for i in items] == ["Buongiorno", "vorrei vendere il mio bilocale a Isola"]


def test_new_types_and_statuses_from_meta_do_not_break_parsing() -> None:
    envelope = recorded("text")
    message = envelope["entry"][0]["changes"][0]["value"]["messages"][0]
    message["type"] = "poll_vote"
    assert _parse(envelope).items[0].type == MessageType.UNKNOWN
    status = recorded("status_read")
    status["entry"][0]["changes"][0]["value"]["statuses"][0]["status"] = "played"
    assert _parse(status).statuses[0].status == StatusKind.UNKNOWN


@pytest.mark.parametrize("timestamp", ["abc", "-5", "99999999999999", True, 1.5, None])
def test_bad_timestamps_are_refused_not_crashed_on(timestamp: object) -> None:
    envelope = recorded("text")
    envelope["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = timestamp
    with pytest.raises(ValidationError):
        Envelope.model_validate(envelope)


def _parse(document: dict) -> inbound.Delivery:
    return inbound.parse_delivery(Envelope.model_validate(document))


def test_reply_buttons_respect_whatsapp_limits() -> None:
    options = [("Visitare un appartamento in zona", "/book"), ("Parlare con agente", "/book")]
    payload = payloads.choice_payload("39333", "Scegli", options)
    buttons = payload["interactive"]["action"]["buttons"]
    assert payloads.problems(payload) == []
    assert buttons[0]["reply"]["title"].endswith("…") and len(buttons[0]["reply"]["title"]) <= 20
    assert buttons[0]["reply"]["id"] != buttons[1]["reply"]["id"]  # Meta refuses duplicates


def test_more_than_three_options_become_a_list_of_at_most_ten_rows() -> None:
    options = [(f"Quartiere numero {i} di Milano", f"/inform{{{i}}}") for i in range(14)]
    payload = payloads.choice_payload("39333", "Dove cerchi?", options, language="en")
    rows = payload["interactive"]["action"]["sections"][0]["rows"]
    assert payload["interactive"]["type"] == "list" and len(rows) == 10
    assert all(len(r["title"]) <= 24 for r in rows)
    assert payload["interactive"]["action"]["button"] == "Choose"
    assert payloads.problems(payload) == []


def test_long_text_with_buttons_keeps_the_button_body_under_1024() -> None:
    message = outbound.OutboundMessage(
        id="w:0",
        to="39333",
        text="Una frase abbastanza lunga per il test. " * 60,
        buttons=[outbound.Button(title="Sì", payload="/affirm")],
    )
    parts = outbound.payloads_for(message)
    assert [p["type"] for p in parts] == ["text", "interactive"]
    assert all(payloads.problems(p) == [] for p in parts)
    assert [p["biz_opaque_callback_data"] for p in parts] == ["w:0#0", "w:0#1"]
    assert outbound.parse_callback_tag("w:0#1") == ("w:0", 1)


def test_fake_api_checks_catch_what_meta_refuses() -> None:
    too_many = payloads.buttons_payload("39333", "x", [("a", "1"), ("b", "2")])
    too_many["interactive"]["action"]["buttons"] *= 2
    assert payloads.problems(too_many)
    assert payloads.problems({"type": "text", "text": {"body": ""}})
    assert payloads.problems({"type": "sticker_pack"})


def test_template_catalogue_validates_calls() -> None:
    catalog = load_catalog()
    assert catalog.reengagement == "follow_up_request"
    values = catalog.parameters_for(
        "viewing_reminder",
        {
            "customer_name": "Giulia",
            "date": "3 marzo",
            "time": "10:30",
            "address": "Via Vigevano 3",
        },
    )
    assert catalog.get("viewing_reminder").render("it", values).startswith("Ciao Giulia")
    with pytest.raises(TemplateError) as unknown:
        catalog.parameters_for("nope", [])
    assert unknown.value.code == 132001
    with pytest.raises(TemplateError) as wrong:
        catalog.parameters_for("viewing_reminder", ["only one"])
    assert wrong.value.code == 132000


def test_a_template_whose_body_does_not_match_its_parameters_is_refused() -> None:
    with pytest.raises(ValidationError, match="declares 1 parameters"):
        TemplateCatalog.model_validate(
            {
                "templates": [
                    {
                        "name": "x",
                        "category": "utility",
                        "parameters": ["a"],
                        "body": {"it": "{{2}}"},
                    },
                ]
            }
        )


NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "template", "origin", "in_reply_to", "verdict"),
    [
        ({"window_from": (NOW - timedelta(hours=2)).isoformat()}, False, "bot", "w1", Verdict.SEND),
        (
            {"window_from": (NOW - timedelta(hours=25)).isoformat()},
            False,
            "agent",
            None,
            Verdict.HOLD,
        ),
        (
            {"window_from": (NOW - timedelta(hours=25)).isoformat()},
            True,
            "system",
            None,
            Verdict.SEND,
        ),
        ({"consent": "opted_out"}, True, "system", None, Verdict.SUPPRESS),
        (
            {"consent": "opted_out", "window_from": NOW.isoformat()},
            False,
            "system",
            None,
            Verdict.SUPPRESS,
        ),
        # a reply to the customer's own message is not proactive: STOP does not silence it
        (
            {"consent": "opted_out", "window_from": NOW.isoformat()},
            False,
            "bot",
            "w2",
            Verdict.SEND,
        ),
        ({}, False, "agent", None, Verdict.SEND),  # never saw them write: Meta decides
    ],
)
def test_consent_and_window_policy(
    fields: dict[str, str],
    template: bool,
    origin: str,
    in_reply_to: str | None,
    verdict: Verdict,
) -> None:
    assert (
        judge(
            contact_fields=fields,
            now=NOW,
            has_template=template,
            origin=origin,
            in_reply_to=in_reply_to,
        )
        == verdict
    )
