"""``wabot``: the command line of the engine (evaluation, simulation, knowledge base, users)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from bot.config import get_settings

app = typer.Typer(help="WhatsApp assistant engine with human handoff.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluate the NLU model and the knowledge base.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
console = Console(stderr=True)

FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _print_json(report: dict[str, Any]) -> None:
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))


@eval_app.command("nlu")
def eval_nlu(
    file: FileArg,
    as_json: JsonOpt = False,
    model: Annotated[Path | None, typer.Option(help="Rasa model .tar.gz")] = None,
) -> None:
    """Intent accuracy / macro-F1 (overall and by language) and entity precision / recall."""
    from bot import eval_nlu as nlu

    examples = nlu.load_examples(file)
    predictions = nlu.predict([e.text for e in examples], model or nlu.DEFAULT_MODEL)
    report = nlu.evaluate(examples, predictions)
    if as_json:
        _print_json(report)
        return
    table = Table(title=f"NLU on {file.name} (n={report['n']})")
    for column in ("scope", "accuracy", "macro F1"):
        table.add_column(column)
    table.add_row("all", f"{report['accuracy']:.3f}", f"{report['macro_f1']:.3f}")
    for lang, scores in report["by_lang"].items():
        table.add_row(lang, f"{scores['accuracy']:.3f}", f"{scores['macro_f1']:.3f}")
    Console().print(table)
    entities = report["entities"]
    typer.echo(f"entities: precision {entities['precision']:.3f} recall {entities['recall']:.3f}")


@app.command()
def simulate(
    file: FileArg,
    as_json: JsonOpt = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each reply.")] = 60.0,
) -> None:
    """Play conversation scripts through signed webhooks against the running stack."""
    from bot.simulate import Player, load_scripts

    scripts = load_scripts(file)

    async def _run() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=30.0) as http:
            player = Player(get_settings(), http, timeout_s=timeout)
            return [await player.play(script) for script in scripts]

    results = asyncio.run(_run())
    report = {
        "scripts": results,
        "passed": sum(r["passed"] for r in results),
        "total": len(results),
    }
    if as_json:
        _print_json(report)
    else:
        for result in results:
            mark = "PASS" if result["passed"] else f"FAIL {', '.join(result['failed'])}"
            typer.echo(f"{result['id']}: {mark}")
        typer.echo(f"{report['passed']}/{report['total']} passed")
    if report["passed"] != report["total"]:
        raise typer.Exit(1)


@app.command()
def say(
    text: str,
    contact: Annotated[str, typer.Option(help="Customer's WhatsApp number.")] = "+393331234567",
    name: Annotated[str, typer.Option(help="Customer's profile name.")] = "Mario",
) -> None:
    """Send one message as a customer (simulator) and print the bot's replies."""
    from datetime import UTC, datetime

    from bot.simulate import Player, _text_of

    async def _run() -> list[str]:
        async with httpx.AsyncClient(timeout=30.0) as http:
            player = Player(get_settings(), http)
            digits = contact.lstrip("+")
            before = len(await player.sent_to(digits))
            wamid = await player.send_text(digits, text, datetime.now(tz=UTC), name)
            await player.wait_processed(wamid)
            return [_text_of(r["payload"]) for r in await player.sent_to(digits, before)]

    for reply in asyncio.run(_run()):
        typer.echo(f"bot> {reply}")


@app.command()
def worker() -> None:
    """Run inbound/outbound workers only (scale-out; the hub runs them in-process by default)."""
    from bot.standalone_worker import run_forever

    asyncio.run(run_forever(get_settings()))


def _mount_package_apps() -> None:
    """Sub-commands of the other packages."""
    from bot.outbound_cli import outbound_app
    from handoff.cli import users_app
    from knowledge_base.cli import eval_faq_command, kb_app

    app.add_typer(kb_app, name="kb")
    app.add_typer(users_app, name="users")
    app.add_typer(outbound_app, name="outbound")
    eval_app.command("faq")(eval_faq_command)


_mount_package_apps()


if __name__ == "__main__":
    app()
