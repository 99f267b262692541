"""Summary-fact precision and recall of ``wabot simulate`` (pure computation)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.simulate import Expect, Script, fact_cases, score_facts, summary_facts


def _ticket(lead: dict[str, Any] | None = None, facts: list[tuple[str, Any]] = ()) -> dict:
    """A ticket as the handoff API returns it (only the summary matters here)."""
    return {
        "summary": {
            "lead": {"lead_type": None, "area": None, "budget_max": None} | (lead or {}),
            "facts": [{"key": k, "value": v, "origin": "transcript"} for k, v in facts],
        }
    }


def test_all_facts_right_with_normalised_values() -> None:
    ticket = _ticket({"area": "Citta studi", "budget_max": 420000.0}, [("rooms", 3)])
    score = score_facts(
        [("s1", {"area": "Città Studi", "budget_max": 420000, "rooms": "3"}, ticket)]
    )
    assert score == {
        "precision": 1.0,
        "recall": 1.0,
        "expected": 3,
        "found": 3,
        "correct": 3,
        "wrong": [],
        "missing": [],
    }


def test_wrong_value_counts_against_precision_and_recall() -> None:
    ticket = _ticket({"area": "Navigli", "budget_max": 300000})
    score = score_facts([("s1", {"area": "Navigli", "budget_max": 350000}, ticket)])
    assert score["precision"] == 0.5 and score["recall"] == 0.5
    assert score["wrong"] == [
        {"script": "s1", "key": "budget_max", "expected": 350000, "found": 300000}
    ]


def test_missing_fact_counts_against_recall_only() -> None:
    ticket = _ticket({"area": "Isola"})
    score = score_facts([("s1", {"area": "Isola", "rooms": 2}, ticket)])
    assert (score["precision"], score["recall"]) == (1.0, 0.5)
    assert score["missing"] == [{"script": "s1", "key": "rooms", "expected": 2}]
    assert (score["found"], score["expected"]) == (1, 2)


def test_no_ticket_misses_every_expected_fact() -> None:
    score = score_facts([("s1", {"area": "Brera", "rooms": 4}, None)])
    assert score["recall"] == 0.0 and score["found"] == 0 and len(score["missing"]) == 2
    assert score["precision"] == 1.0  # nothing reported, nothing wrong


def test_keys_the_script_does_not_assert_are_not_judged() -> None:
    ticket = _ticket({"area": "Brera"}, [("contact_phone", "+390000"), ("codice_fiscale", "X")])
    score = score_facts([("s1", {"area": "Brera"}, ticket)])
    assert (score["precision"], score["found"]) == (1.0, 1)


def test_scores_add_up_over_scripts() -> None:
    cases = [
        ("a", {"area": "Isola", "rooms": 2}, _ticket({"area": "Isola", "rooms": 2})),
        ("b", {"area": "Brera", "rooms": 4}, _ticket({"area": "Brera", "rooms": 3})),
        (
            "c",
            {"codice_fiscale": "RSSMRA85T10F205R"},
            _ticket(facts=[("codice_fiscale", "rssmra85t10f205r")]),
        ),
    ]
    score = score_facts(cases)
    assert score["expected"] == 5 and score["correct"] == 4 and score["found"] == 5
    assert score["precision"] == pytest.approx(0.8) and score["recall"] == pytest.approx(0.8)


def test_lead_slot_wins_and_empty_slot_falls_back_to_transcript() -> None:
    ticket = _ticket({"budget_max": 350000}, [("budget_max", 1000), ("contact_phone", "+391")])
    ticket["summary"]["lead"]["contact_phone"] = None
    found = summary_facts(ticket)
    assert found["budget_max"] == 350000 and found["contact_phone"] == "+391"


def test_fact_cases_keep_only_scripts_asserting_facts() -> None:
    scripts = [
        Script(
            id="a", start="2026-03-02T10:00:00+01:00", turns=[], expect=Expect(facts={"rooms": 2})
        ),
        Script(id="b", start="2026-03-02T10:00:00+01:00", turns=[], expect=Expect(handoff=False)),
    ]
    results: list[dict[str, Any]] = [{"id": "a", "ticket": {"x": 1}}, {"id": "b", "ticket": None}]
    assert fact_cases(scripts, results) == [("a", {"rooms": 2}, {"x": 1})]


def test_empty_input_is_perfect_not_a_division_error() -> None:
    assert score_facts([])["precision"] == 1.0 and score_facts([])["recall"] == 1.0
