"""Supervisor-only GDPR API: export or erase every piece of data about one contact."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, HTTPException, Request, status

from bot.clients.handoff import HandoffUnavailableError
from bot.gdpr import ContactData, ContactExport, ErasureReport
from bot.privacy import InvalidContactError, subject_hash, wa_id_of
from handoff.api import Role, StaffUser, require_role

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/api/staff/gdpr", tags=["gdpr"])

SupervisorDep = Annotated[StaffUser, Depends(require_role(Role.supervisor))]


def get_contact_data(request: Request) -> ContactData:
    """The GDPR service created in the hub's lifespan."""
    service: ContactData = request.app.state.contact_data
    return service


ContactDataDep = Annotated[ContactData, Depends(get_contact_data)]


def _contact(phone: str) -> str:
    try:
        return wa_id_of(phone)
    except InvalidContactError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


def _unavailable(exc: HandoffUnavailableError) -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE, f"the handoff service did not answer ({exc}); retry"
    )


@router.get("/{phone}")
async def export_contact(phone: str, user: SupervisorDep, gdpr: ContactDataDep) -> ContactExport:
    """Everything stored about the contact (transcript, tickets, consent, lead facts, tracker)."""
    contact = _contact(phone)
    try:
        exported = await gdpr.export(contact)
    except HandoffUnavailableError as exc:
        raise _unavailable(exc) from exc
    await gdpr.record_export(contact, user.username)
    subject = subject_hash(contact, gdpr.settings.pseudonym_key)[:16]
    log.info("gdpr.exported", actor=user.username, subject=subject)
    return exported


@router.delete("/{phone}")
async def erase_contact(phone: str, user: SupervisorDep, gdpr: ContactDataDep) -> ErasureReport:
    """Remove the contact everywhere; a pseudonymised record of the erasure is kept."""
    contact = _contact(phone)
    try:
        report = await gdpr.erase(contact, user.username)
    except HandoffUnavailableError as exc:
        raise _unavailable(exc) from exc
    log.info("gdpr.erased", actor=user.username, subject=report.subject[:16])
    return report
