"""The owner's reports page (supervisor or admin): figures, SVG charts and CSV links.

The page also mounts the JSON/CSV API (``bot.api.routes.reports``) so the hub gets both by
this module being in ``bot/web/routes/``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from bot.api.deps import KeysDep, RedisDep
from bot.api.routes import reports as reports_api
from bot.api.routes.kb import KbSettingsDep
from bot.web.auth import SupervisorPage
from bot.web.charts import bar_chart, line_chart
from bot.web.errors import PageRoute, error_page
from bot.web.i18n import Translator, choose_language
from bot.web.templating import render
from handoff.analytics import TABLES, Report
from handoff.api import state_of

# No prefix: the JSON/CSV API keeps its own (``/api/staff/reports``).
router = APIRouter(tags=["staff pages"], route_class=PageRoute, include_in_schema=False)
router.include_router(reports_api.router)
DEFAULT_DAYS = 30


def _period(request: Request, since: date | None, until: date | None) -> tuple[datetime, datetime]:
    """Whole local days ``since``..``until`` (inclusive) in the business time zone."""
    zone = next(iter(state_of(request).teams.teams.values())).calendar.timezone
    last = until or datetime.now(zone).date()
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    start = datetime.combine(first, time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=zone)
    return reports_api.period(start, end)


def charts(report: Report, label: Translator) -> dict[str, Markup]:
    """The SVG charts of the page, titled in the reader's language."""
    return {
        "daily": line_chart(
            [(d.day[5:], d.conversations) for d in report.daily], title=label("reports.daily")
        ),
        "reasons": bar_chart(
            [(label(f"reason.{r.key}"), r.count) for r in report.handoffs_by_reason],
            title=label("reports.by_reason"),
        ),
        "lead_types": bar_chart(
            [(r.key, r.count) for r in report.leads_by_type], title=label("reports.leads_by_type")
        ),
        "lead_areas": bar_chart(
            [(r.key, r.count) for r in report.leads_by_area], title=label("reports.leads_by_area")
        ),
        "lead_budgets": bar_chart(
            [(f"{r.lead_type} {r.band}", r.count) for r in report.leads_by_budget],
            title=label("reports.leads_by_budget"),
        ),
        "sla": bar_chart(
            [(r.key, r.count) for r in report.sla.by_team], title=label("reports.sla_by_team")
        ),
    }


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(
    request: Request,
    user: SupervisorPage,
    redis: RedisDep,
    keys: KeysDep,
    kb_settings: KbSettingsDep,
    since: Annotated[date | None, Query()] = None,
    until: Annotated[date | None, Query()] = None,
) -> Response:
    """Figures of the chosen period (default: the last 30 days) at a glance."""
    try:
        start, end = _period(request, since, until)
    except HTTPException as exc:
        return error_page(request, exc.status_code, str(exc.detail))
    report = await reports_api.report_for(request, redis, keys, kb_settings, start, end)
    query = urlencode({"since": start.isoformat(), "until": end.isoformat()})
    return render(
        request,
        "reports/page.html",
        report=report,
        charts=charts(report, Translator(choose_language(request))),
        since=start.date().isoformat(),
        until=(end - timedelta(days=1)).date().isoformat(),
        csv_urls={name: f"/api/staff/reports/{name}.csv?{query}" for name in TABLES},
        json_url=f"/api/staff/reports?{query}",
    )
