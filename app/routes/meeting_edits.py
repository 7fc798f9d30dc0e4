"""Changing a recorded meeting (Rapat & kegiatan): its edit form, taking a document out of it, and removing
it after a confirmation page that names what goes. Same guard as the meetings' pages (`WorkspaceDep`); who
may change which meeting and what each change does: `app.services.taskforce.meeting_changes`.

A meeting removed meanwhile (another tab, a second click) is said so ("removed already") to whoever could
see it, never a 500; anyone else gets the 404 of a meeting that is not there.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import RedirectResponse, Response

from app.context import PREFIX, Workspace, WorkspaceDep
from app.deps import FormDep, RowId
from app.forms import parse_id
from app.i18n import gettext as _
from app.refusals import Refusal
from app.routes.meetings import _page, _to_page, _view
from app.services.taskforce import meeting_changes, meetings
from app.services.taskforce.meeting_changes import Blocked, MeetingConflict
from app.services.taskforce.meeting_links import Outcome
from app.services.taskforce.meetings import MeetingInput, MeetingView, Record
from app.templating import render

router = APIRouter(prefix=PREFIX + "/gugus-tugas/rapat", tags=["meetings"])


def _to_list(ws: Workspace, flash: str) -> Response:
    ws.request.session["flash"] = flash
    url = ws.request.url_for("meetings", regency_code=ws.place.regency.code, year=ws.place.cycle.year)
    return RedirectResponse(str(url), status_code=303)


def _live(ws: Workspace, view: MeetingView, meeting_id: int, gone: str) -> Record | Response:
    """The meeting this user sees, or back to the list saying `gone` when it has been removed."""
    try:
        return view.record(meeting_id)
    except HTTPException:
        if view.removed(meeting_id) is not None:
            return _to_list(ws, gone)
        raise


def _current(ws: Workspace, view: MeetingView, record: Record) -> list[tuple[str, str]]:
    """The stored values beside the form after a conflict, in the form's words."""
    m = record.meeting
    return [(_("Title"), m.title), (_("Kind of meeting"), record.kind_label), (_("Date held"), m.held_on.strftime("%d-%m-%Y")),
            (_("Place"), m.place), (_("Agencies of the kab/kota that took part"), ", ".join(a.short_name for a in record.agencies)),
            (_("Other participants"), m.outside_participants), (_("Agenda"), m.agenda),
            (_("Summary: what was agreed"), m.summary)]


def _edit_page(ws: Workspace, view: MeetingView, record: Record, data: MeetingInput, *, message: str | None = None,
               status: int = 200, current: list[tuple[str, str]] | None = None) -> Response:
    context = {
        "place": ws.place, "meeting": record.meeting, "data": data, "kinds": meetings.kind_choices(),
        "agencies": view.agencies(), "suggestions": meetings.outside_suggestions(view), "message": message,
        "latest": meetings.latest_date(), "may_change": view.may_change(record.meeting),
        "stamp": meeting_changes.stamp(record.meeting), "current": current,
    }
    return render(ws.request, "meetings/edit.html", context, status_code=status)


@router.get("/{meeting_id}/ubah", name="meeting_edit")
def meeting_edit(ws: WorkspaceDep, meeting_id: RowId) -> Response:
    view = _view(ws)
    found = _live(ws, view, meeting_id, _("This meeting has been removed."))
    if isinstance(found, Response):
        return found
    message = None if view.may_change(found.meeting) else _(
        "Only the DP3A and the agency that recorded this meeting can change it, and a published year no longer.")
    return _edit_page(ws, view, found, meeting_changes.as_input(ws.session, found.meeting), message=message)


@router.post("/{meeting_id}/ubah", name="meeting_save")
def meeting_save(ws: WorkspaceDep, meeting_id: RowId, form: FormDep) -> Response:
    view = _view(ws)
    found = _live(ws, view, meeting_id, _("This meeting has been removed: your changes are not saved."))
    if isinstance(found, Response):
        return found
    data = MeetingInput(**{name: str(form.get(name, ""))[:5000] for name in
                           ("title", "kind", "held_on", "place", "agenda", "summary", "outside")},
                        agency_ids=[str(v)[:12] for v in form.getlist("agencies")][:500])
    try:
        changed = meeting_changes.edit(ws.session, view, found.meeting, data, str(form.get("stamp", ""))[:40])
    except MeetingConflict as conflict:
        ws.session.rollback()
        fresh = _view(ws)
        record = fresh.record(meeting_id)
        return _edit_page(ws, fresh, record, data, message=conflict.message, status=conflict.status,
                          current=_current(ws, fresh, record))
    except Refusal as refusal:
        ws.session.rollback()
        fresh = _view(ws)
        again = _live(ws, fresh, meeting_id, refusal.message)  # removed meanwhile: said on the list (review s31)
        if isinstance(again, Response):
            return again
        return _edit_page(ws, fresh, again, data, message=refusal.message, status=refusal.status)
    ws.session.commit()
    return _to_page(ws, meeting_id, _("The meeting is saved.") if changed else _("Nothing changed."))


@router.post("/{meeting_id}/dokumen/lepas", name="meeting_remove_document")
def meeting_remove_document(ws: WorkspaceDep, meeting_id: RowId, form: FormDep) -> Response:
    view = _view(ws)
    found = _live(ws, view, meeting_id, _("This meeting has been removed."))
    if isinstance(found, Response):
        return found
    document_id = parse_id(form.get("document_id"))
    if document_id is None:
        return _page(ws, view, meeting_id, message=_("Choose a document of the meeting."), status=422)
    try:
        done = meeting_changes.remove_document(ws.session, view, found.meeting, document_id)
    except Blocked as blocked:
        ws.session.rollback()
        return _page(ws, _view(ws), meeting_id, message=blocked.message, status=blocked.status,
                     outcome=Outcome(refused=blocked.plan.refused))
    except Refusal as refusal:
        ws.session.rollback()
        return _page(ws, _view(ws), meeting_id, message=refusal.message, status=refusal.status)
    ws.session.commit()
    if not done:
        return _to_page(ws, meeting_id, _("That document is not the meeting's (taken out already)."))
    return _to_page(ws, meeting_id, _("The document is taken out of the meeting; it stays in the library. The evidence "
                                      "links the meeting made from it are removed (they stay in the questions' history)."))


def _confirm_page(ws: Workspace, view: MeetingView, record: Record, *, message: str | None = None,
                  status: int = 200, found: meeting_changes.Plan | None = None) -> Response:
    context = {"place": ws.place, "meeting": record.meeting, "record": record, "message": message,
               "plan": found or meeting_changes.plan(ws.session, view, record.meeting)}
    return render(ws.request, "meetings/remove.html", context, status_code=status)


@router.post("/{meeting_id}/hapus", name="meeting_remove")
def meeting_remove(ws: WorkspaceDep, meeting_id: RowId, form: FormDep) -> Response:
    """Without `confirm=1`: the confirmation page (what goes, what stays); with it, the removal."""
    view = _view(ws)
    found = _live(ws, view, meeting_id, _("The meeting was removed already."))
    if isinstance(found, Response):
        return found
    try:
        view.check_change(found.meeting)
        if form.get("confirm") != "1":
            return _confirm_page(ws, view, found)
        removed = meeting_changes.remove(ws.session, view, found.meeting)
    except Blocked as blocked:
        ws.session.rollback()
        fresh = _view(ws)
        return _confirm_page(ws, fresh, fresh.record(meeting_id), message=blocked.message, status=blocked.status)
    except Refusal as refusal:
        ws.session.rollback()
        return _page(ws, _view(ws), meeting_id, message=refusal.message, status=refusal.status)
    ws.session.commit()
    if removed is None:
        return _to_list(ws, _("The meeting was removed already."))
    said = [_("The meeting \u201c%(title)s\u201d is removed; its documents stay in the library.")
            % {"title": found.meeting.title}]
    if removed.codes:
        said.append(_("It is unlinked from %(n)s question(s).") % {"n": len(removed.codes)})
    if removed.files:
        said.append(_("%(n)s evidence link(s) it made are removed (they stay in the questions' history).")
                    % {"n": removed.files})
    return _to_list(ws, " ".join(said))
