from __future__ import annotations

from pathlib import Path

from knowledge_base import KbSettings, lint, load_documents, parse_document, render_document
from tests.knowledge_base.helpers import EXAMPLE_DOCS

GOOD = """---
id: opening_hours
lang: it
title: A che ora aprite?
alt_questions:
  - Siete aperti il sabato?
tags: [hours]
team: support
---

*Lun–ven* 9:00–18:30.
"""


def test_parse_document_reads_front_matter_and_body() -> None:
    entry, issues = parse_document(GOOD, "it/opening_hours.md")
    assert issues == []
    assert entry is not None
    assert entry.id == "opening_hours" and entry.lang == "it"
    assert entry.alt_questions == ["Siete aperti il sabato?"]
    assert entry.body == "*Lun–ven* 9:00–18:30."


def test_render_then_parse_round_trips() -> None:
    entry, _ = parse_document(GOOD, "x.md")
    assert entry is not None
    again, issues = parse_document(render_document(entry), "x.md")
    assert issues == [] and again is not None
    assert again.model_dump(exclude={"path"}) == entry.model_dump(exclude={"path"})


def test_yaml_error_points_at_the_line() -> None:
    text = "---\nid: x\nlang: it\ntitle: [unclosed\n---\nbody\n"
    entry, issues = parse_document(text, "it/x.md")
    assert entry is None
    assert issues[0].code == "yaml"
    assert issues[0].line >= 4
    assert str(issues[0]).startswith("it/x.md:")


def test_schema_error_names_the_field_and_its_line() -> None:
    text = "---\nid: Bad Id!\nlang: it\ntitle: Una domanda?\n---\nrisposta\n"
    entry, issues = parse_document(text, "it/bad.md")
    assert entry is None
    assert issues[0].code == "schema"
    assert issues[0].line == 2
    assert "id" in issues[0].message


def test_unknown_field_is_an_error() -> None:
    text = "---\nid: a\nlang: it\ntitle: Una domanda?\nanswer: no\n---\nrisposta\n"
    entry, issues = parse_document(text, "it/a.md")
    assert entry is None
    assert issues[0].line == 5 and "answer" in issues[0].message


def test_missing_front_matter_is_an_error() -> None:
    entry, issues = parse_document("just text\n", "it/a.md")
    assert entry is None and issues[0].code == "front-matter" and issues[0].line == 1


def test_a_broken_document_does_not_stop_the_others(kb_settings: KbSettings) -> None:
    (kb_settings.docs_dir / "it" / "broken.md").write_text("---\nid: [\n---\n", encoding="utf-8")
    entries, issues = load_documents(kb_settings.docs_dir)
    assert len(entries) == 16
    assert len(issues) == 1
    assert issues[0].path.endswith("broken.md")


def test_example_base_lints_clean(encoders) -> None:  # noqa: ANN001
    report = lint(KbSettings(docs_dir=EXAMPLE_DOCS), encoder=encoders["multilingual"])
    assert report.documents == 60
    assert report.issues == []


def test_lint_reports_each_problem(kb_settings: KbSettings, encoders) -> None:  # noqa: ANN001
    docs = kb_settings.docs_dir
    (docs / "en" / "parking.md").unlink()
    long_body = "x" * 5000
    (docs / "it" / "long.md").write_text(
        f"---\nid: long\nlang: it\ntitle: Domanda lunga?\n---\n{long_body}\n", encoding="utf-8"
    )
    (docs / "en" / "long.md").write_text(
        "---\nid: long\nlang: en\ntitle: Long question?\n---\n\n", encoding="utf-8"
    )
    (docs / "it" / "copy.md").write_text(
        "---\nid: opening_hours\nlang: it\ntitle: Orari del sabato?\n---\nChiuso.\n",
        encoding="utf-8",
    )
    (docs / "it" / "hours_again.md").write_text(
        "---\nid: hours_again\nlang: it\ntitle: Quali sono gli orari di apertura dell'agenzia?\n"
        "---\nSempre aperti.\n",
        encoding="utf-8",
    )
    report = lint(kb_settings, encoder=encoders["multilingual"])
    codes = {(i.code, i.severity.value) for i in report.issues}
    assert ("missing-translation", "warning") in codes
    assert ("too-long", "error") in codes
    assert ("empty-answer", "error") in codes
    assert ("duplicate-id", "error") in codes
    assert ("same-question", "warning") in codes
    assert ("near-duplicate", "warning") in codes
    assert report.has_errors
    missing = [i for i in report.issues if i.code == "missing-translation"]
    assert any(i.doc_id == "parking" for i in missing)


def test_near_duplicates_with_different_answers_are_flagged(
    tmp_path: Path,
    encoders,  # noqa: ANN001
) -> None:
    docs = tmp_path / "docs"
    (docs / "en").mkdir(parents=True)
    (docs / "en" / "a.md").write_text(
        "---\nid: a\nlang: en\ntitle: What time do you open on Saturday?\n---\n9:30.\n",
        encoding="utf-8",
    )
    (docs / "en" / "b.md").write_text(
        "---\nid: b\nlang: en\ntitle: What time do you open on Saturdays?\n---\n10:00.\n",
        encoding="utf-8",
    )
    settings = KbSettings(docs_dir=docs, languages=("en",))
    report = lint(settings, encoder=encoders["multilingual"])
    near = [i for i in report.issues if i.code == "near-duplicate"]
    assert near and "contradiction" in near[0].message
