from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base import Decision, KbSettings, Retriever, load_retriever
from tests.knowledge_base.helpers import all_topics, make_settings


@pytest.fixture
def retriever(kb_settings: KbSettings, encoders):  # noqa: ANN001, ANN201
    return load_retriever(kb_settings, encoders=encoders)


def test_is_a_retriever(retriever) -> None:  # noqa: ANN001
    assert isinstance(retriever, Retriever)


@pytest.mark.parametrize(
    ("text", "lang", "topic"),
    [
        ("siete aperti sabato mattina??", "it", "opening_hours"),
        ("r u open on saturdays", "en", "opening_hours"),
        ("quanto prendete di provvigione se compro casa?", "it", "agency_fee_buy"),
        ("ho un cane, posso affittare?", "it", "pets_allowed"),
        ("how many months deposit do i need", "en", "deposit_rent"),
    ],
)
def test_answers_customer_phrasings(retriever, text: str, lang: str, topic: str) -> None:  # noqa: ANN001
    answer = retriever.answer(text, lang)
    assert answer.decision is Decision.ANSWER, answer.reason
    assert answer.entry.id == topic and answer.entry.lang == lang
    assert answer.confidence >= answer.threshold


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("che tempo fa a milano domani?", "it"),
        ("order a pizza", "en"),
        ("mi consigliate un buon dentista in zona?", "it"),
        ("quanto costa un box a brera?", "it"),
    ],
)
def test_abstains_when_the_base_does_not_cover_it(
    example_retriever,
    text: str,
    lang: str,  # noqa: ANN001
) -> None:
    answer = example_retriever.answer(text, lang)
    assert answer.decision is Decision.ABSTAIN
    assert answer.entry is None and "<" in answer.reason


def test_hits_carry_every_signal(retriever) -> None:  # noqa: ANN001
    hits = retriever.search("what time do you open on saturday", "en", k=3)
    assert len(hits) == 3 and [h.rank for h in hits] == [1, 2, 3]
    top = hits[0]
    assert top.dense is not None and top.multilingual is not None
    assert top.multilingual_cross is not None and top.centroid is not None and top.bm25 > 0
    assert top.fused >= hits[1].fused >= hits[2].fused
    assert top.matched


def test_same_answer_every_time(retriever) -> None:  # noqa: ANN001
    first = retriever.answer("dove posso parcheggiare?", "it")
    again = [retriever.answer("dove posso parcheggiare?", "it") for _ in range(3)]
    assert all(a.entry.id == first.entry.id and a.confidence == first.confidence for a in again)


def test_falls_back_to_the_other_language(tmp_path: Path, encoders) -> None:  # noqa: ANN001
    settings = make_settings(tmp_path, all_topics())
    (settings.docs_dir / "it" / "pets_allowed.md").unlink()
    retriever = load_retriever(settings, encoders=encoders)
    answer = retriever.answer("posso tenere il mio gatto in un appartamento in affitto?", "it")
    assert answer.is_answer and answer.entry.id == "pets_allowed"
    assert answer.entry.lang == "en" and answer.is_fallback_language
    assert "only a en version" in answer.reason


def test_empty_question_abstains(retriever) -> None:  # noqa: ANN001
    assert retriever.answer("   ", "it").decision is Decision.ABSTAIN
    assert retriever.search("", "en") == []


def test_unknown_language_abstains(retriever) -> None:  # noqa: ANN001
    assert retriever.answer("hola", "es").decision is Decision.ABSTAIN


def test_explain_is_json_ready(retriever) -> None:  # noqa: ANN001
    payload = retriever.answer("a che ora aprite?", "it").explain()
    assert payload["decision"] == "answer" and payload["answer_id"] == "opening_hours"
    assert {"dense", "bm25", "fused", "confidence"} <= set(payload["hits"][0])


def test_missing_model_names_the_setting(tmp_path: Path) -> None:
    from knowledge_base import ModelNotFoundError, load_encoders

    settings = KbSettings(embedding_model=str(tmp_path / "no-such-model"))
    with pytest.raises(ModelNotFoundError, match="KB_EMBEDDING_MODEL"):
        load_encoders(settings)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("biglietto del tram per Bergamo", "it"),
        ("e il prezzo del biglietto del tram per Bergamo?", "it"),
        ("treno per Bergamo, quanto costa il biglietto?", "it"),
    ],
)
def test_abstains_when_one_topic_is_only_the_least_unrelated(
    example_retriever,
    text: str,
    lang: str,  # noqa: ANN001
) -> None:
    answer = example_retriever.answer(text, lang)
    assert answer.decision is Decision.ABSTAIN, answer.reason
    top = answer.hits[0]
    assert top.support is not None and top.support < example_retriever.settings.min_support


def test_weak_evidence_is_what_stops_the_tram_ticket(example_retriever) -> None:  # noqa: ANN001
    """Without the evidence floor the relative confidence alone would answer it."""
    text = "biglietto del tram per Bergamo"
    assert "weak evidence" in example_retriever.answer(text, "it").reason
    loose = example_retriever.settings.model_copy(update={"min_support": 0.0})
    from knowledge_base import HybridRetriever

    unguarded = HybridRetriever(example_retriever.kb, example_retriever.encoders, loose)
    assert unguarded.answer(text, "it").decision is Decision.ANSWER


def test_support_weighs_words_the_base_never_uses_most(example_retriever) -> None:  # noqa: ANN001
    lexical = example_retriever.kb.langs["it"].lexical
    assert lexical.idf("bergam") > lexical.idf("tram") > 0
    assert lexical.support(["tram", "bergam"], {"tram"}) < 0.5
    assert lexical.support(["tram"], {"tram"}) == 1.0
