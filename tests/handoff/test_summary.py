"""Ticket summaries with the real ``facts`` extractor: sources, lead precedence, size."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from handoff.models import Contact, Language, LeadSlots, Reason, TranscriptMessage
from handoff.summary import MAX_TEXT, build_summary

START = datetime.fromisoformat("2026-03-02T10:15:00+01:00")
SCRIPTS = Path(__file__).resolve().parents[1] / "data" / "conversations.yml"


def transcript(*turns: tuple[str, str]) -> list[TranscriptMessage]:
    return [
        TranscriptMessage(role=role, text=text, ts=START + timedelta(minutes=index))
        for index, (role, text) in enumerate(turns)
    ]


CONVERSATION = transcript(
    ("customer", "Ciao, sono Marco Bianchi, cerco un trilocale ai Navigli con budget 350k"),
    ("bot", "Il budget medio in zona è 500.000 €, vuoi parlare con un agente?"),
    ("customer", "la mia email è marco.bianchi@example.com e il cell 333 123 4567"),
    ("customer", "codice fiscale RSSMRA85T10F205R"),
    ("customer", "posso venire il 12 marzo, ho la visura catastale e l'APE"),
)
CONTACT = Contact(phone="+393331234567", name="Marco", language=Language.it)


def by_key(summary: Any) -> dict[str, Any]:
    return {fact.key: fact for fact in summary.facts}


def test_facts_come_from_customer_messages_with_their_source() -> None:
    summary = build_summary(
        contact=CONTACT,
        reasons=[Reason.human_requested],
        lead=None,
        transcript=CONVERSATION,
        unanswered=["avete parcheggio?"],
    )
    facts = by_key(summary)
    assert facts["budget_max"].value == 350000, "the bot's 500.000 € is not a customer fact"
    assert facts["contact_email"].value == "marco.bianchi@example.com"
    assert facts["codice_fiscale"].value == "RSSMRA85T10F205R"
    assert facts["date"].value == "2026-03-12", "relative dates use the message time"
    assert {f.value for f in summary.facts if f.key == "document"} == {"visura catastale", "APE"}
    for fact in summary.facts:
        assert fact.origin == "transcript" and fact.source is not None
        message = CONVERSATION[fact.source.message_index]
        assert message.role == "customer"
        assert fact.source.raw in message.text and fact.source.raw in fact.source.quote
        assert fact.source.ts == message.ts
    assert summary.lead.area == "Navigli" and summary.lead.rooms == 3
    assert summary.unanswered == ["avete parcheggio?"]
    assert len(summary.last_messages) == 5


def test_lead_slots_take_precedence_and_keep_a_source() -> None:
    lead = LeadSlots(lead_type="buy", area="Navigli", budget_max=380000, rooms=3)
    summary = build_summary(
        contact=CONTACT,
        reasons=[Reason.qualified_lead],
        lead=lead,
        transcript=CONVERSATION,
        unanswered=[],
    )
    facts = by_key(summary)
    assert facts["budget_max"].value == 380000 and facts["budget_max"].origin == "lead_form"
    assert [f.value for f in summary.facts if f.key == "budget_max"] == [380000]
    assert facts["area"].origin == "lead_form"
    assert facts["area"].source is not None and facts["area"].source.message_index == 0
    assert facts["lead_type"].source is None, "no message says 'buy': shown as from the form"
    assert summary.lead.budget_max == 380000
    assert summary.lead.contact_email == "marco.bianchi@example.com"


def test_rendered_text_is_short_and_useful() -> None:
    summary = build_summary(
        contact=CONTACT,
        reasons=[Reason.qualified_lead, Reason.complaint],
        lead=LeadSlots(lead_type="buy", area="Navigli", budget_max=350000),
        transcript=CONVERSATION,
        unanswered=["avete parcheggio?"],
    )
    text = summary.text
    assert len(text) <= MAX_TEXT
    assert text.splitlines()[0] == "Marco · +393331234567 · it"
    assert "lead qualificato, reclamo" in text
    assert "max 350.000 €" in text and "Navigli" in text
    assert "codice fiscale RSSMRA85T10F205R (#3)" in text
    assert "Senza risposta: avete parcheggio?" in text
    assert "Ultimi messaggi:" in text


def test_long_conversations_are_cut_to_1000_characters() -> None:
    long_turns = [("customer", "parola " * 300) for _ in range(20)]
    summary = build_summary(
        contact=CONTACT,
        reasons=[Reason.bot_failed],
        lead=None,
        transcript=transcript(*long_turns),
        unanswered=["domanda " * 80] * 5,
    )
    assert len(summary.text) <= MAX_TEXT
    assert len(summary.last_messages) == 6


def test_english_staff_labels() -> None:
    summary = build_summary(
        contact=CONTACT,
        reasons=[Reason.bot_failed],
        lead=LeadSlots(budget_max=1200),
        transcript=[],
        unanswered=[],
        staff_language=Language.en,
    )
    assert "Reason: the bot could not answer" in summary.text
    assert "max €1,200" in summary.text


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, int | float) and isinstance(got, int | float):
        return float(expected) == float(got)
    return str(expected).casefold() == str(got).casefold()


def test_transcript_only_facts_on_the_project_scripts() -> None:
    """No lead form at all: what the summary reads from the customer's words alone."""
    scripts = yaml.safe_load(SCRIPTS.read_text(encoding="utf-8"))
    true_pos = false_pos = false_neg = 0
    for script in scripts:
        expected = (script.get("expect") or {}).get("facts") or {}
        start = datetime.fromisoformat(str(script["start"]))
        turns = [
            TranscriptMessage(
                role="customer", text=turn["user"], ts=start + timedelta(seconds=30 * i)
            )
            for i, turn in enumerate(script["turns"])
        ]
        summary = build_summary(
            contact=Contact(phone="+393330000001", language=script["lang"]),
            reasons=[Reason.human_requested],
            lead=None,
            transcript=turns,
            unanswered=[],
        )
        found: dict[str, Any] = {}
        for fact in summary.facts:
            found.setdefault(fact.key, fact.value)
            assert (
                fact.source is not None and fact.source.raw in turns[fact.source.message_index].text
            )
        for key, value in expected.items():
            if key not in found:
                false_neg += 1
            elif _same(value, found[key]):
                true_pos += 1
            else:
                false_pos += 1
                false_neg += 1
    precision = true_pos / max(1, true_pos + false_pos)
    recall = true_pos / max(1, true_pos + false_neg)
    print(f"\ntranscript-only facts, {len(scripts)} scripts: P={precision:.3f} R={recall:.3f}")
    assert len(scripts) >= 20
    assert precision >= 0.95
    assert recall >= 0.75


def test_a_typed_phone_number_wins_over_the_senders_own() -> None:
    """The form pre-fills the WhatsApp number; a callback number the customer writes wins."""
    callback = transcript(
        ("customer", "posso parlare con un agente?"), ("customer", "richiamatemi al 348 765 4321")
    )
    summary = build_summary(
        contact=CONTACT,
        reasons=[Reason.complaint],
        lead=LeadSlots(contact_phone=CONTACT.phone),
        transcript=callback,
        unanswered=[],
    )
    assert summary.lead.contact_phone == "+393487654321"
    assert by_key(summary)["contact_phone"].source.message_index == 1
    assert CONTACT.phone in summary.text, "the sender's number stays in the who line"
    same = build_summary(
        contact=CONTACT,
        reasons=[Reason.complaint],
        lead=LeadSlots(contact_phone=CONTACT.phone),
        transcript=transcript(("customer", "il mio numero è questo, 333 123 4567")),
        unanswered=[],
    )
    assert (
        same.lead.contact_phone == CONTACT.phone
        and by_key(same)["contact_phone"].origin == "lead_form"
    )


def test_form_phone_typed_by_the_customer_is_kept() -> None:
    summary = build_summary(
        contact=CONTACT,
        reasons=[Reason.qualified_lead],
        lead=LeadSlots(contact_phone="+393401112233"),
        transcript=transcript(("customer", "oppure chiamate mia moglie al 348 765 4321")),
        unanswered=[],
    )
    assert summary.lead.contact_phone == "+393401112233", "lead slots still win otherwise"


def test_message_times_are_shown_on_the_office_clock() -> None:
    utc_message = [
        TranscriptMessage(
            role="customer", text="ciao", ts=datetime.fromisoformat("2026-03-20T10:00:40+00:00")
        )
    ]
    summary = build_summary(
        contact=CONTACT,
        reasons=[Reason.human_requested],
        lead=None,
        transcript=utc_message,
        unanswered=[],
        timezone=ZoneInfo("Europe/Rome"),
    )
    assert "[20/03 11:00] cliente: ciao" in summary.text


def test_contacts_get_their_own_line_without_repeating_the_sender() -> None:
    summary = build_summary(
        contact=CONTACT,
        reasons=[Reason.qualified_lead],
        lead=LeadSlots(
            lead_type="buy",
            area="Navigli",
            contact_name="Marco Bianchi",
            contact_phone=CONTACT.phone,
            contact_email="marco.bianchi@example.com",
        ),
        transcript=[],
        unanswered=[],
    )
    lines = summary.text.splitlines()
    assert "Cerca: acquisto · Navigli" in lines
    assert "Contatti: Marco Bianchi · marco.bianchi@example.com" in lines
    assert summary.text.count(CONTACT.phone) == 1, "the sender's number only in the who line"
