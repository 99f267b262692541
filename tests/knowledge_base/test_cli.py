from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

import knowledge_base.cli as cli
from knowledge_base import KbSettings, get_settings
from knowledge_base.cli import eval_app, kb_app

runner = CliRunner()


@pytest.fixture
def cli_settings(
    kb_settings: KbSettings,
    encoders,
    monkeypatch,
    redis_server: str,
    key_prefix: str,  # noqa: ANN001
):  # noqa: ANN201
    monkeypatch.setenv("KB_DOCS_DIR", str(kb_settings.docs_dir))
    monkeypatch.setenv("KB_INDEX_DIR", str(kb_settings.index_dir))
    monkeypatch.setenv("KB_VERSION_KEY", f"{key_prefix}kb:version")
    monkeypatch.setenv("REDIS_URL", redis_server)
    monkeypatch.setattr(cli, "load_encoders", lambda settings: encoders)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_lint_is_clean_on_good_documents(cli_settings: KbSettings) -> None:
    result = runner.invoke(kb_app, ["lint"])
    assert result.exit_code == 0, result.output
    assert "16 documents checked" in result.output


def test_lint_fails_with_path_and_line(cli_settings: KbSettings) -> None:
    bad = cli_settings.docs_dir / "it" / "bad.md"
    bad.write_text("---\nid: bad\nlang: it\ntitle: Ok?\ntags: [a\n---\nx\n", encoding="utf-8")
    result = runner.invoke(kb_app, ["lint", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["errors"][0]["path"].endswith("it/bad.md")
    assert report["errors"][0]["line"] >= 5
    text = runner.invoke(kb_app, ["lint", "--no-semantic"]).output
    assert "Errors (1):" in text and "bad.md:" in text


def test_build_then_search_json(cli_settings: KbSettings) -> None:
    built = runner.invoke(kb_app, ["build", "--json"])
    assert built.exit_code == 0, built.output
    assert json.loads(built.output)["embedded_rows"] > 0
    again = json.loads(runner.invoke(kb_app, ["build", "--json"]).output)
    assert again["embedded_rows"] == 0
    result = runner.invoke(kb_app, ["search", "a che ora aprite sabato?", "--lang", "it", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["decision"] == "answer" and payload["answer_id"] == "opening_hours"
    hit = payload["hits"][0]
    assert {"dense", "multilingual", "bm25", "fused", "confidence"} <= set(hit)
    assert "threshold" in payload["reason"]


def test_search_text_output_explains_the_decision(cli_settings: KbSettings) -> None:
    result = runner.invoke(kb_app, ["search", "order a pizza", "--lang", "en", "-k", "3"])
    assert result.exit_code == 0, result.output
    assert "ABSTAIN" in result.output and "fused" in result.output


def test_reload_bumps_the_version_key(cli_settings: KbSettings, redis_server: str) -> None:
    result = runner.invoke(kb_app, ["reload"])
    assert result.exit_code == 0, result.output
    client = redis.Redis.from_url(redis_server, decode_responses=True)
    try:
        value = client.get(cli_settings.version_key)
        assert value and value.split(":")[0] in result.output
        runner.invoke(kb_app, ["reload"])
        assert client.get(cli_settings.version_key) != value
    finally:
        client.delete(cli_settings.version_key)
        client.close()


def test_eval_faq_prints_the_design_json(cli_settings: KbSettings, tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    rows = [
        {"lang": "it", "topic": "opening_hours", "text": "siete aperti sabato?"},
        {"lang": "en", "topic": "parking", "text": "where do i leave the car"},
        {"lang": "it", "topic": None, "text": "che tempo fa domani?"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    result = runner.invoke(eval_app, ["faq", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    keys = ["n", "recall_at_1", "recall_at_3", "mrr", "abstain_precision", "abstain_recall"]
    keys += ["false_answer_rate", "p50_ms", "p99_ms", "by_lang"]
    assert list(report) == keys
    assert report["n"] == 3 and set(report["by_lang"]) == {"it", "en"}
    assert report["by_lang"]["it"]["n"] == 2


def test_missing_model_exits_with_the_setting_name(
    cli_settings: KbSettings,
    monkeypatch,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    from knowledge_base.encoders import load_encoders

    monkeypatch.setattr(cli, "load_encoders", load_encoders)
    monkeypatch.setenv("KB_EMBEDDING_MODEL", str(tmp_path / "nope"))
    get_settings.cache_clear()
    result = runner.invoke(kb_app, ["build"])
    assert result.exit_code == 2
    assert "KB_EMBEDDING_MODEL" in result.output
