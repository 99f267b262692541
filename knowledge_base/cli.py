"""``wabot kb ...`` and ``wabot eval faq``: lint, build, search, reload, calibrate, evaluate."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from knowledge_base.config import KbSettings, get_settings
from knowledge_base.encoders import Encoder, ModelNotFoundError, UseEncoder, load_encoders
from knowledge_base.lint import lint
from knowledge_base.models import Answer, LintReport
from knowledge_base.service import build_index, load_retriever, version_value

kb_app = typer.Typer(help="FAQ knowledge base: lint, build, search, reload.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluate the bot on a JSON Lines set.", no_args_is_help=True)


@eval_app.callback()
def _eval_group() -> None:
    """Evaluate the bot on a JSON Lines set."""


JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of text")]


def _settings() -> KbSettings:
    return get_settings()


def _encoders(settings: KbSettings) -> dict[str, Encoder]:
    try:
        return load_encoders(settings)
    except ModelNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def lint_encoder(settings: KbSettings) -> Encoder:
    """Return the encoder used for near-duplicate checks (the multilingual one when enabled)."""
    if settings.use_multilingual:
        return UseEncoder(threads=max(settings.encoder_threads, 1))
    return _encoders(settings)["dense"]


def _print_lint(report: LintReport) -> None:
    typer.echo(f"{report.documents} documents checked")
    if report.errors:
        typer.echo(f"\nErrors ({len(report.errors)}):")
        for issue in report.errors:
            typer.echo(f"  {issue}")
    if report.warnings:
        typer.echo(f"\nWarnings ({len(report.warnings)}):")
        for issue in report.warnings:
            typer.echo(f"  {issue}")
    if not report.issues:
        typer.echo("no problems found")


@kb_app.command("lint")
def lint_command(
    as_json: JsonOpt = False,
    semantic: Annotated[
        bool, typer.Option(help="also look for near-duplicate questions by embedding similarity")
    ] = True,
) -> None:
    """Check every document; exit code 1 when there are errors."""
    settings = _settings()
    report = lint(settings, encoder=lint_encoder(settings) if semantic else None)
    if as_json:
        payload = {
            "documents": report.documents,
            "errors": [i.model_dump(mode="json") for i in report.errors],
            "warnings": [i.model_dump(mode="json") for i in report.warnings],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print_lint(report)
    raise typer.Exit(1 if report.has_errors else 0)


@kb_app.command("build")
def build_command(as_json: JsonOpt = False) -> None:
    """Bring the index up to date; only changed documents are embedded again."""
    settings = _settings()
    report = build_index(settings, encoders=_encoders(settings))
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    typer.echo(
        f"version {report.version}: {report.documents} documents, {report.rows} questions; "
        f"embedded {report.embedded_rows}, reused {report.reused_rows} "
        f"({report.reason}, {report.seconds:.2f}s)"
    )
    for key in report.changed:
        typer.echo(f"  changed {key}")
    for key in report.removed:
        typer.echo(f"  removed {key}")


def _print_answer(answer: Answer) -> None:
    typer.echo(
        f"{'#':>2} {'topic':24} {'fused':>7} {'conf':>5} {'dense':>6} {'use':>6} "
        f"{'cross':>6} {'centr':>6} {'bm25':>6}"
    )
    for hit in answer.hits:
        cells = [hit.dense, hit.multilingual, hit.multilingual_cross, hit.centroid, hit.bm25]
        shown = " ".join(f"{c:6.3f}" if c is not None else f"{'-':>6}" for c in cells)
        typer.echo(f"{hit.rank:>2} {hit.id:24} {hit.fused:7.4f} {hit.confidence:5.2f} {shown}")
    verb = "ANSWER" if answer.is_answer else "ABSTAIN"
    target = f" with {answer.entry.lang}/{answer.entry.id}" if answer.entry else ""
    typer.echo(f"\n{verb}{target}: {answer.reason} ({answer.elapsed_ms:.1f} ms)")


@kb_app.command("search")
def search_command(
    text: Annotated[str, typer.Argument(help="the customer's question")],
    lang: Annotated[str, typer.Option(help="conversation language")] = "it",
    k: Annotated[int, typer.Option("--k", "-k", help="how many topics to show")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Show the top topics with dense, BM25 and fused scores, and the decision."""
    settings = _settings().model_copy(update={"top_k": k})
    retriever = load_retriever(settings, encoders=_encoders(settings))
    answer = retriever.answer(text, lang)
    if as_json:
        typer.echo(json.dumps(answer.explain(), ensure_ascii=False, indent=2))
    else:
        _print_answer(answer)


def bump_version(settings: KbSettings, version: str) -> str:
    """Set the Redis version key so every action-server process reloads (CLI only)."""
    import redis

    value = version_value(version)
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=5)
    try:
        client.set(settings.version_key, value)
    finally:
        client.close()
    return value


@kb_app.command("reload")
def reload_command() -> None:
    """Rebuild what changed and bump the version key; running bots reload within 2 s."""
    settings = _settings()
    report = build_index(settings, encoders=_encoders(settings))
    try:
        value = bump_version(settings, report.version)
    except Exception as exc:  # noqa: BLE001 - any Redis failure gets the same advice
        typer.echo(
            f"index built ({report.version}) but Redis is unreachable at "
            f"{settings.redis_url}: {exc}; start Redis or set REDIS_URL",
            err=True,
        )
        raise typer.Exit(1) from exc
    typer.echo(
        f"index {report.version} (embedded {report.embedded_rows}); "
        f"{settings.version_key} = {value}"
    )


@kb_app.command("calibrate")
def calibrate_command(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines set")],
    target: Annotated[float, typer.Option(help="false-answer rate to stay within")] = 0.05,
) -> None:
    """Fit the confidence weights and threshold on half the set; report both halves."""
    from knowledge_base.calibration import calibrate
    from knowledge_base.evaluation import read_questions

    settings = _settings()
    retriever = load_retriever(settings, encoders=_encoders(settings))
    result = calibrate(retriever, read_questions(path), target=target)
    typer.echo(result.model_dump_json(indent=2))


def eval_faq(path: Path, as_json: bool = False) -> dict:
    """Evaluate the knowledge base on a JSON Lines set and print the metrics."""
    from knowledge_base.evaluation import evaluate, read_questions

    settings = _settings()
    retriever = load_retriever(settings, encoders=_encoders(settings))
    report = evaluate(retriever, read_questions(path)).model_dump()
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        for lang, metrics in {"all": report, **report["by_lang"]}.items():
            shown = ", ".join(f"{k}={v}" for k, v in metrics.items() if k != "by_lang")
            typer.echo(f"{lang}: {shown}")
    return report


@eval_app.command("faq")
def eval_faq_command(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines set")],
    as_json: JsonOpt = False,
) -> None:
    """Recall@1/3, MRR, abstention and latency of the FAQ retriever on a set."""
    eval_faq(path, as_json)


def main() -> None:
    """Run ``kb_app`` directly (``python -m knowledge_base.cli``)."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    kb_app()


if __name__ == "__main__":
    main()
