"""``wabot users ...`` and ``wabot handoff ...`` against the real Redis (db 15)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from handoff.cli import handoff_app, users_app
from handoff.config import get_settings
from tests.handoff.conftest import REDIS_URL

runner = CliRunner()


@pytest.fixture
def cli_env(prefix: str, redis, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    for name, value in {
        "HANDOFF_REDIS_URL": REDIS_URL,
        "HANDOFF_KEY_PREFIX": prefix,
        "HANDOFF_SIMULATOR_MODE": "true",
        "HANDOFF_ARGON2_MEMORY_KIB": "1024",
        "HANDOFF_ARGON2_TIME_COST": "1",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield prefix
    get_settings.cache_clear()


def test_users_add_list_disable(cli_env: str) -> None:
    added = runner.invoke(
        users_app,
        [
            "add",
            "giulia",
            "--role",
            "agent",
            "--team",
            "sales",
            "--areas",
            "Navigli,Isola",
            "--password",
            "s3cret-pass",
        ],
    )
    assert added.exit_code == 0, added.output
    assert "added giulia (agent) teams=sales" in added.output

    duplicate = runner.invoke(users_app, ["add", "giulia", "--password", "s3cret-pass"])
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    bad_team = runner.invoke(
        users_app, ["add", "bob", "--team", "marketing", "--password", "s3cret-pass"]
    )
    assert bad_team.exit_code == 1 and "known teams" in bad_team.output
    prompted = runner.invoke(
        users_app, ["add", "carlo", "--role", "supervisor"], input="pw-long-1\npw-long-1\n"
    )
    assert prompted.exit_code == 0, prompted.output

    listed = runner.invoke(users_app, ["list", "--json"])
    users = {u["username"]: u for u in json.loads(listed.output)}
    assert users["giulia"]["areas"] == ["Navigli", "Isola"] and users["giulia"]["teams"] == [
        "sales"
    ]
    assert users["carlo"]["role"] == "supervisor" and "password_hash" not in users["carlo"]

    disabled = runner.invoke(users_app, ["disable", "giulia"])
    assert disabled.exit_code == 0 and "disabled giulia" in disabled.output
    listed = runner.invoke(users_app, ["list", "--json"])
    assert {u["username"]: u["disabled"] for u in json.loads(listed.output)} == {
        "carlo": False,
        "giulia": True,
    }
    assert runner.invoke(users_app, ["list"]).exit_code == 0
    assert runner.invoke(users_app, ["disable", "nobody"]).exit_code == 1


def test_sla_command_explains_the_deadline(cli_env: str) -> None:
    result = runner.invoke(handoff_app, ["sla", "2026-03-06T18:10:00+01:00", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "team": "sales",
        "priority": "normal",
        "sla_minutes": 60,
        "is_open_now": True,
        "staff_reply_from": "2026-03-06T18:10:00+01:00",
        "sla_deadline": "2026-03-07T10:10:00+01:00",
    }


def test_stats_and_export_with_no_tickets(cli_env: str) -> None:
    stats = runner.invoke(handoff_app, ["stats", "--json"])
    assert stats.exit_code == 0 and json.loads(stats.output)["open"] == 0
    export = runner.invoke(handoff_app, ["export-leads"])
    assert export.exit_code == 0 and export.output.startswith("ticket_id,created_at")
