"""The Gugus Tugas hub of a kab/kota's cycle (`/r/{regency}/{year}/gugus-tugas`): its SK, chair,
secretariat, cluster coordinators and the coordinators' review switch (`app.services.taskforce.team`).
Its agencies and its DP3A see it (the workspace's guard); only the DP3A changes it. A plain form
answered by a redirect; a refusal re-renders it with the message and what was chosen.

The coordinators' desk is `app.routes.taskforce_cluster`; meetings and the RAD KLA have their own modules."""

from __future__ import annotations

from typing import Any

from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRouter
from starlette.datastructures import FormData

from app import access
from app.context import PREFIX, Workspace, WorkspaceDep
from app.deps import FormDep
from app.forms import parse_id
from app.i18n import gettext as _
from app.models import Agency, Document, User
from app.refusals import Refusal
from app.services.evidence import EvidenceAccess
from app.services.season import frozen
from app.services.taskforce import team as team_service
from app.templating import render

router = APIRouter(prefix=PREFIX, tags=["taskforce"])


def hub_path(ws: Workspace) -> str:
    return f"/r/{ws.place.regency.code}/{ws.place.cycle.year}/gugus-tugas"


def _context(ws: Workspace, values: dict[str, Any] | None = None, message: str | None = None) -> dict[str, Any]:
    session, place = ws.session, ws.place
    team = team_service.load_team(session, place.assessment)
    agencies = team_service.agencies(session, place.regency.code)
    accounts = team_service.candidates(session, place.regency.code)
    documents = team_service.documents(session, place.assessment)
    editable = access.may_administer(ws.user, place.regency.code) and not frozen(place.cycle)
    shown = values if values is not None else team.values()
    if values is None and team.force is None:  # the secretariat is the DP3A until it says otherwise
        shown["secretariat_agency_id"] = next((a.id for a in agencies if a.role_code == "DP3A"), None)
    users = {u.id: u for u in accounts}
    for user_id in team.coordinators.values():  # a coordinator whose account was closed since
        if user_id not in users:
            old = session.get(User, user_id)
            if old is not None:
                users[user_id] = old
    return {
        "place": place, "team": team, "values": shown, "editable": editable, "frozen": frozen(place.cycle),
        "agencies": agencies, "agency_by_id": {a.id: a for a in agencies}, "accounts": accounts, "users": users,
        "documents": documents, "sk": _sk(ws, team.force.sk_document_id) if team.force else None,
        "parts": list(ws.catalogue.data.parts),
        "my_parts": team_service.coordinated_parts(session, place.assessment, ws.user),
        "message": message, "flash": ws.request.session.pop("flash", None),
        "agency_of": {u.id: ws.session.get(Agency, u.agency_id) for u in users.values() if u.agency_id},
    }


def _sk(ws: Workspace, document_id: int | None) -> Document | None:
    """The SK as this user may see it named. Review i24: one that is also a sensitive question's evidence
    is never named to an agency (`EvidenceAccess`), as the library and the cards do."""
    document = ws.session.get(Document, document_id) if document_id is not None else None
    if document is None:
        return None
    evidence_access = EvidenceAccess.of(ws.session, ws.catalogue, ws.user, ws.place)
    if not evidence_access.sees_sensitive and evidence_access.content_sensitive(document.sha256):
        return None
    return document


@router.get("/gugus-tugas", name="taskforce")
def taskforce_page(ws: WorkspaceDep) -> Response:
    return render(ws.request, "taskforce/team.html", _context(ws))


def _values(form: FormData, part_codes: list[str]) -> dict[str, Any]:
    """What the form chose: ids that are not ids count as "none" (the service checks the rest)."""
    return {"sk_document_id": parse_id(form.get("sk_document_id")),
            "chair_agency_id": parse_id(form.get("chair_agency_id")),
            "chair_name": str(form.get("chair_name", "")),
            "secretariat_agency_id": parse_id(form.get("secretariat_agency_id")),
            "coordinator_review": form.get("coordinator_review") == "1",
            # Only the parts the form has a field for: a part it leaves out keeps its coordinator.
            "coordinators": {code: parse_id(form.get(f"coordinator_{code}")) for code in part_codes
                             if f"coordinator_{code}" in form}}


@router.post("/gugus-tugas", name="taskforce_save")
def taskforce_save(ws: WorkspaceDep, form: FormDep) -> Response:
    values = _values(form, [p.code for p in ws.catalogue.data.parts])
    try:
        changed = team_service.save_team(ws.session, ws.place.assessment, ws.catalogue, ws.user, values)
    except Refusal as refusal:
        ws.session.rollback()
        current = team_service.load_team(ws.session, ws.place.assessment).coordinators
        chosen = {**current, **values["coordinators"]}
        shown = {**values, "coordinators": {k: v for k, v in chosen.items() if v is not None}}
        return render(ws.request, "taskforce/team.html", _context(ws, shown, refusal.message),
                      status_code=refusal.status)
    ws.session.commit()
    ws.request.session["flash"] = _("The Gugus Tugas is saved.") if changed else _("Nothing changed in the Gugus Tugas.")
    return RedirectResponse(hub_path(ws), status_code=303)
