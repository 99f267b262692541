"""The owner's report as JSON and each of its tables as CSV (supervisor or admin)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import AwareDatetime

from bot.api.deps import KeysDep, RedisDep
from bot.api.routes.kb import KbSettingsDep
from bot.reports import gather_report
from handoff.analytics import TABLES, Report, table_csv
from handoff.api import Role, require_role, state_of

router = APIRouter(prefix="/api/staff/reports", tags=["staff reports"])

DEFAULT_DAYS = 30
MAX_DAYS = 366
OwnerDep = Annotated[Any, Depends(require_role(Role.supervisor))]


def period(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """The asked period (default: the last 30 days), refused with a reason when it is wrong."""
    until = until or datetime.now(UTC)
    since = since or until - timedelta(days=DEFAULT_DAYS)
    if since >= until:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "'since' must be before 'until'")
    if until - since > timedelta(days=MAX_DAYS):
        detail = f"the period is at most {MAX_DAYS} days; ask for a shorter one"
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)
    return since, until


async def report_for(
    request: Request,
    redis: RedisDep,
    keys: KeysDep,
    kb_settings: KbSettingsDep,
    since: Annotated[AwareDatetime | None, Query(description="ISO 8601 with offset")] = None,
    until: Annotated[AwareDatetime | None, Query(description="ISO 8601 with offset")] = None,
) -> Report:
    """Compute the report of the asked period."""
    start, end = period(since, until)
    return await gather_report(
        redis=redis,
        keys=keys,
        store=state_of(request).store,
        teams=state_of(request).teams,
        misses_stream=kb_settings.misses_stream,
        since=start,
        until=end,
    )


ReportDep = Annotated[Report, Depends(report_for)]


@router.get("", response_model=Report)
async def get_report(_: OwnerDep, report: ReportDep) -> Report:
    """Response and resolution times, containment, handoffs, SLA, leads, misses, opt-outs."""
    return report


@router.get("/{table}.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def export_table(table: str, _: OwnerDep, report: ReportDep) -> Response:
    """One table of the report as CSV (``summary``, ``handoffs_by_reason``, ``unanswered``...)."""
    if table not in TABLES:
        known = ", ".join(TABLES)
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no table {table!r}; tables: {known}")
    headers = {"Content-Disposition": f'attachment; filename="{table}.csv"'}
    return Response(table_csv(report, table), media_type="text/csv; charset=utf-8", headers=headers)
