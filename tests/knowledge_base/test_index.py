from __future__ import annotations

import logging

import pytest

from knowledge_base import KbSettings, build_index, load_retriever
from knowledge_base.index import CorruptIndexError, load_index
from knowledge_base.segments import merge
from tests.knowledge_base.helpers import counting


def _edit(settings: KbSettings, lang: str, topic: str, old: str, new: str) -> None:
    path = settings.docs_dir / lang / f"{topic}.md"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_first_build_embeds_every_question(kb_settings: KbSettings, encoders) -> None:  # noqa: ANN001
    counted = counting(encoders)
    report = build_index(kb_settings, encoders=counted)
    assert report.full_rebuild and report.documents == 16
    assert report.embedded_rows == report.rows > 16
    assert all(c.sentences == report.rows for c in counted.values())
    assert (kb_settings.index_dir / "manifest.json").is_file()


def test_rebuild_embeds_only_changed_documents(kb_settings: KbSettings, encoders) -> None:  # noqa: ANN001
    build_index(kb_settings, encoders=encoders)
    counted = counting(encoders)
    unchanged = build_index(kb_settings, encoders=counted)
    assert unchanged.embedded_rows == 0 and unchanged.reason == "up to date"
    assert all(c.sentences == 0 for c in counted.values())

    _edit(
        kb_settings, "en", "parking", "Is there a garage near the agency?", "Any garage close by?"
    )
    report = build_index(kb_settings, encoders=counted)
    assert report.changed == ["en/parking"]
    assert report.embedded_rows == 1  # only the edited question of one document
    assert all(c.sentences == 1 for c in counted.values())
    assert report.version != unchanged.version


def test_body_change_changes_version_without_new_questions(
    kb_settings: KbSettings,
    encoders,  # noqa: ANN001
) -> None:
    first = build_index(kb_settings, encoders=encoders)
    _edit(kb_settings, "it", "parking", "circa 5 minuti", "circa 4 minuti")
    report = build_index(kb_settings, encoders=encoders)
    assert report.changed == ["it/parking"] and report.version != first.version
    assert report.embedded_rows == 0  # answers are not embedded (KB_INDEX_ANSWERS=false)
    retriever = load_retriever(kb_settings, encoders=encoders)
    assert "circa 4 minuti" in retriever.get("parking", "it").body


def test_removed_document_leaves_the_index(kb_settings: KbSettings, encoders) -> None:  # noqa: ANN001
    build_index(kb_settings, encoders=encoders)
    (kb_settings.docs_dir / "en" / "parking.md").unlink()
    report = build_index(kb_settings, encoders=encoders)
    assert report.removed == ["en/parking"] and report.embedded_rows == 0
    kb = load_index(kb_settings.index_dir)
    assert "en/parking" not in kb.entries and "en/parking" in kb.langs["en"].dead
    merged = merge(kb, encoders, kb_settings)
    assert all(row.key != "en/parking" for row in merged.langs["en"].rows)


@pytest.mark.parametrize("victim", ["manifest.json", "en/dense.faiss", "it/rows.json"])
def test_corrupt_index_is_rebuilt_with_a_log_line(
    kb_settings: KbSettings,
    encoders,
    caplog,
    victim: str,  # noqa: ANN001
) -> None:
    build_index(kb_settings, encoders=encoders)
    (kb_settings.index_dir / victim).write_bytes(b"\x00garbage")
    with pytest.raises(CorruptIndexError):
        load_index(kb_settings.index_dir)
    with caplog.at_level(logging.WARNING, logger="knowledge_base"):
        report = build_index(kb_settings, encoders=encoders)
    assert report.full_rebuild
    assert any("rebuilding" in r.getMessage() for r in caplog.records)
    assert load_index(kb_settings.index_dir).manifest.version == report.version


def test_missing_index_file_is_rebuilt(kb_settings: KbSettings, encoders) -> None:  # noqa: ANN001
    build_index(kb_settings, encoders=encoders)
    (kb_settings.index_dir / "it" / "multilingual.npy").unlink()
    retriever = load_retriever(kb_settings, encoders=encoders)
    assert retriever.answer("a che ora aprite il sabato?", "it").entry.id == "opening_hours"


def test_changing_the_model_rebuilds_everything(kb_settings: KbSettings, encoders) -> None:  # noqa: ANN001
    build_index(kb_settings, encoders=encoders)
    only_dense = {"dense": encoders["dense"]}
    report = build_index(kb_settings, encoders=only_dense)
    assert report.full_rebuild and "models changed" in report.reason


def test_hnsw_above_the_size_setting_is_patched_in_place(
    kb_settings: KbSettings,
    encoders,  # noqa: ANN001
) -> None:
    settings = kb_settings.model_copy(update={"hnsw_threshold": 10})
    build_index(settings, encoders=encoders)
    kb = load_index(settings.index_dir)
    assert kb.manifest.langs["en"].faiss_kind == "hnsw"
    before = kb.langs["en"].faiss_indexes["dense"].ntotal
    _edit(settings, "en", "parking", "Is there a garage near the agency?", "Garage nearby?")
    counted = counting(encoders)
    report = build_index(settings, encoders=counted)
    assert report.embedded_rows == 1
    kb = load_index(settings.index_dir)
    # The change lives in the delta segment: the base graph is untouched...
    assert kb.langs["en"].faiss_indexes["dense"].ntotal == before
    assert kb.langs["en"].delta is not None and "en/parking" in kb.langs["en"].dead
    # ...until a merge adds the one new row; HNSW cannot delete, so the old row stays in the
    # graph as an orphan that no longer maps to a row.
    merged = merge(kb, counted, settings)
    assert merged.langs["en"].faiss_indexes["dense"].ntotal == before + 1
    assert counted["dense"].sentences == 1  # the merge embedded nothing
    retriever = load_retriever(settings, encoders=encoders)
    assert retriever.search("Garage nearby?", "en")[0].id == "parking"
