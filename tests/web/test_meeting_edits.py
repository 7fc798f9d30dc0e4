"""Changing a recorded meeting: editing its fields (checked as recording, audited, idempotent, two tabs),
taking a document out of it (the meeting's links go, a link made by hand stays), removing it after a
confirmation page (soft delete: the audit chain holds), a published year, and what an agency that may
not see a meeting learns of it (nothing: not its year, not its participants)."""

from __future__ import annotations

import threading
from datetime import date, timedelta

from sqlmodel import select

from app.factory import api_routes
from app.models import Answer, Cycle, Meeting, MeetingAgency, MeetingQuestion, utcnow
from app.services import audit
from app.services.demo import sample_pdf
from tests.html import attrs, page, text_of, texts
from tests.web import test_meetings
from tests.web.test_meetings import (
    SENSITIVE,
    _audits,
    _base,
    _client,
    _create,
    _current,
    _form,
    _link,
    _meeting,
    _upload,
)

# The fixtures of tests/web/test_meetings.py: its DP3A and agency of A, a meeting recorded with its minutes.
dp3a, opd, recorded = test_meetings.dp3a, test_meetings.opd, test_meetings.recorded


def _edit(client, token, meeting_id, world, stamp="", **fields):
    return client.post(f"{_base(world)}/{meeting_id}/ubah", data={"csrf_token": token, "stamp": stamp, **_form(**fields)},
                       follow_redirects=False)


def _stamp(client, world, meeting_id) -> str:
    return attrs(page(client.get(f"{_base(world)}/{meeting_id}/ubah")), "//input[@name='stamp']/@value")[0]


def _flash(client, response) -> str:
    assert response.status_code == 303, response.text
    return text_of(page(client.get(response.headers["location"])), "//p[@role='status']")


def _names(db, code):
    return sorted(e.filename for e in _current(db, code))


def _library_document(client, token, world, name="laporan.pdf") -> str:
    response = client.post(f"{world.base()}/dokumen/unggah", data={"csrf_token": token},
                           files={"file": (name, sample_pdf("Laporan", name), "application/pdf")},
                           follow_redirects=False)
    assert response.status_code == 303
    return response.headers["location"].rsplit("/", 1)[1]


def _document_of(db, meeting_id, filename="notulen.pdf") -> int:
    from app.models import Document, MeetingDocument

    db.expire_all()
    return db.exec(select(MeetingDocument.document_id).join(Document, Document.id == MeetingDocument.document_id)
                   .where(MeetingDocument.meeting_id == meeting_id, Document.filename == filename)).one()


# -- editing ------------------------------------------------------------------------------------------


def test_the_dp3a_changes_every_field_audited_once(recorded, world, db):
    client, token, meeting = recorded
    form = page(client.get(f"{_base(world)}/{meeting.id}/ubah"))
    assert attrs(form, "//input[@name='title']/@value") == ["Rapat Koordinasi Gugus Tugas KLA"]
    assert attrs(form, "//input[@name='agencies'][@checked]/@value") == [str(world.agencies["dinkes_a"].id)]
    stamp = attrs(form, "//input[@name='stamp']/@value")[0]
    disdik = str(world.agencies["dp3a_a"].id)
    changed = dict(title="Rapat TPPO", kind="tppo", held_on="2025-02-01", place="Polres", agenda="Pencegahan TPPO",
                   summary="Sepakat membentuk tim", outside="Polres\nKejaksaan Negeri")
    response = client.post(f"{_base(world)}/{meeting.id}/ubah",
                           data={"csrf_token": token, "stamp": stamp, **changed, "agencies": [disdik]},
                           follow_redirects=False)
    assert "saved" in _flash(client, response)
    tree = page(client.get(f"{_base(world)}/{meeting.id}"))
    assert text_of(tree, "//h1") == "Rapat TPPO"
    assert texts(tree, "//ul[@class='meeting-agencies']/li") == [world.agencies["dp3a_a"].short_name]
    assert texts(tree, "//ul[@class='meeting-outside']/li") == ["Polres", "Kejaksaan Negeri"]
    assert "TPPO" in text_of(tree, "//dd[@class='meeting-kind']")
    db.expire_all()
    saved = db.get(Meeting, meeting.id)
    assert (saved.held_on.isoformat(), saved.place, saved.agenda, saved.summary) == (
        "2025-02-01", "Polres", "Pencegahan TPPO", "Sepakat membentuk tim")
    assert db.exec(select(MeetingAgency.agency_id).where(MeetingAgency.meeting_id == meeting.id)).all() == [int(disdik)]
    [entry] = _audits(db, "meeting.edit")
    assert entry.before["title"] == "Rapat Koordinasi Gugus Tugas KLA" and entry.after["title"] == "Rapat TPPO"
    assert entry.before["agencies"] == [world.agencies["dinkes_a"].id] and entry.after["agencies"] == [int(disdik)]
    # The same form again (a double click, with the stamp it was opened with): nothing written.
    again = client.post(f"{_base(world)}/{meeting.id}/ubah",
                        data={"csrf_token": token, "stamp": stamp, **changed, "agencies": [disdik]},
                        follow_redirects=False)
    assert "Nothing changed" in _flash(client, again)
    assert len(_audits(db, "meeting.edit")) == 1


def test_bad_input_comes_back_with_its_message_and_changes_nothing(recorded, world, db):
    client, token, meeting = recorded
    for fields, says in (({"title": " "}, "title"), ({"held_on": (date.today() + timedelta(days=30)).isoformat()}, "future"), ({"kind": "pesta"}, "kind"),
                         ({"agencies": [str(world.agencies["dinkes_b"].id)]}, "agencies")):
        response = _edit(client, token, meeting.id, world, **fields)
        assert response.status_code == 422, fields
        tree = page(response)
        assert says in text_of(tree, "//*[@role='alert']").lower()
        assert attrs(tree, "//textarea[@name='agenda']/text()") == ["Persiapan evaluasi KLA"]
    assert _audits(db, "meeting.edit") == []
    assert _meeting(db).title == "Rapat Koordinasi Gugus Tugas KLA"


def test_two_tabs_do_not_silently_lose_an_edit(recorded, make_client, auth, world, db):
    client, token, meeting = recorded
    other, other_token = _client(make_client, auth, "dp3a_a")
    opened = _stamp(client, world, meeting.id)
    assert _stamp(other, world, meeting.id) == opened
    assert _edit(other, other_token, meeting.id, world, opened, place="Ruang Rapat Wali Kota").status_code == 303
    late = _edit(client, token, meeting.id, world, opened, agenda="Agenda baru")
    assert late.status_code == 409
    tree = page(late)
    assert "not saved" in text_of(tree, "//*[@role='alert']")
    assert "Ruang Rapat Wali Kota" in texts(tree, "//dl[contains(@class,'meeting-saved')]/dd")
    assert attrs(tree, "//textarea[@name='agenda']/text()") == ["Agenda baru"]  # what was typed is kept
    db.expire_all()
    assert (db.get(Meeting, meeting.id).place, db.get(Meeting, meeting.id).agenda) == (
        "Ruang Rapat Wali Kota", "Persiapan evaluasi KLA")
    # Saved again from the page the conflict showed (its new stamp): both changes are kept.
    fresh = attrs(tree, "//input[@name='stamp']/@value")[0]
    assert _edit(client, token, meeting.id, world, fresh, place="Ruang Rapat Wali Kota",
                 agenda="Agenda baru").status_code == 303
    db.expire_all()
    assert db.get(Meeting, meeting.id).agenda == "Agenda baru" and len(_audits(db, "meeting.edit")) == 2


def test_an_agency_edits_its_own_meetings_only(recorded, opd, world, db):
    client, token = opd
    _dp3a_client, _token, dp3as = recorded
    assert _edit(client, token, dp3as.id, world, title="Diubah dinas").status_code == 409
    assert page(client.get(f"{_base(world)}/{dp3as.id}/ubah")).xpath("//form[contains(@class,'meeting-edit')]") == []
    assert _create(client, token, world, title="Sosialisasi KHA").status_code == 303
    own = _meeting(db, "Sosialisasi KHA")
    assert _edit(client, token, own.id, world, title="Sosialisasi KHA Puskesmas").status_code == 303
    assert _meeting(db, "Sosialisasi KHA Puskesmas").id == own.id
    assert _meeting(db).title == "Rapat Koordinasi Gugus Tugas KLA"


def test_a_published_year_refuses_every_change(recorded, world, db):
    client, token, meeting = recorded
    _link(client, token, world, meeting.id, ["13.6"])
    document_id = _document_of(db, meeting.id)
    cycle = db.exec(select(Cycle)).one()
    cycle.published_at = utcnow()
    db.add(cycle)
    db.commit()
    edit = _edit(client, token, meeting.id, world, title="Terlambat")
    assert edit.status_code == 409 and text_of(page(edit), "//*[@role='alert']")
    taken = client.post(f"{_base(world)}/{meeting.id}/dokumen/lepas",
                        data={"csrf_token": token, "document_id": str(document_id)})
    assert taken.status_code == 409
    for confirm in ("", "1"):
        removed = client.post(f"{_base(world)}/{meeting.id}/hapus", data={"csrf_token": token, "confirm": confirm})
        assert removed.status_code == 409 and text_of(page(removed), "//*[@role='alert']")
    tree = page(client.get(f"{_base(world)}/{meeting.id}"))
    assert tree.xpath("//a[contains(@href,'/ubah')]") == [] and tree.xpath("//form[contains(@action,'hapus')]") == []
    db.expire_all()
    assert db.get(Meeting, meeting.id).removed_at is None and _names(db, "13.6") == ["notulen.pdf"]
    assert _audits(db, "meeting.edit") == [] and _audits(db, "meeting.remove") == []


# -- taking a document out ----------------------------------------------------------------------------


def test_taking_a_document_out_removes_the_meetings_links_and_keeps_a_link_made_by_hand(recorded, world, db):
    """The i24 rule: a document linked to 13.6 by hand before it became the meeting's keeps that link."""
    client, token, meeting = recorded
    assert _link(client, token, world, meeting.id, ["13.6", "13.5"]).status_code == 303
    by_hand = _library_document(client, token, world)
    assert client.post(f"{world.base()}/dokumen/{by_hand}/tautkan", data={"csrf_token": token, "codes": ["13.6"]},
                       follow_redirects=False).status_code == 303
    assert client.post(f"{_base(world)}/{meeting.id}/dokumen", data={"csrf_token": token, "document_id": by_hand,
                                                                     "role": "other"},
                       follow_redirects=False).status_code == 303
    assert _names(db, "13.6") == ["laporan.pdf", "notulen.pdf"] and _names(db, "13.5") == ["laporan.pdf", "notulen.pdf"]
    for document_id in (by_hand, str(_document_of(db, meeting.id))):
        response = client.post(f"{_base(world)}/{meeting.id}/dokumen/lepas",
                               data={"csrf_token": token, "document_id": document_id}, follow_redirects=False)
        assert "stays in the library" in _flash(client, response)
    assert _names(db, "13.6") == ["laporan.pdf"]  # by hand: stays
    assert _names(db, "13.5") == []  # both came through the meeting
    tree = page(client.get(f"{_base(world)}/{meeting.id}"))
    assert texts(tree, "//ul[@class='meeting-documents']/li") == []
    assert texts(tree, "//ul[@class='meeting-links']/li/a") == ["13.5", "13.6"]  # still serves them
    assert client.get(f"{world.base()}/dokumen/{by_hand}").status_code == 200  # still in the library
    entries = _audits(db, "meeting.document_remove")
    assert len(entries) == 2 and entries[1].before["links"] == {"13.6": ["notulen.pdf"], "13.5": ["notulen.pdf"]}
    again = client.post(f"{_base(world)}/{meeting.id}/dokumen/lepas",
                        data={"csrf_token": token, "document_id": by_hand}, follow_redirects=False)
    assert "already" in _flash(client, again) and len(_audits(db, "meeting.document_remove")) == 2
    odd = client.post(f"{_base(world)}/{meeting.id}/dokumen/lepas", data={"csrf_token": token, "document_id": "x"})
    assert odd.status_code == 422 and text_of(page(odd), "//*[@role='alert']")


def test_a_document_taken_out_and_added_again_links_again_and_comes_out_again(recorded, world, db):
    client, token, meeting = recorded
    _link(client, token, world, meeting.id, ["13.6"])
    document_id = str(_document_of(db, meeting.id))
    for _round in range(2):
        assert client.post(f"{_base(world)}/{meeting.id}/dokumen/lepas",
                           data={"csrf_token": token, "document_id": document_id},
                           follow_redirects=False).status_code == 303
        assert _names(db, "13.6") == []
        assert client.post(f"{_base(world)}/{meeting.id}/dokumen", data={"csrf_token": token, "document_id": document_id,
                                                                         "role": "minutes"},
                           follow_redirects=False).status_code == 303
        assert _names(db, "13.6") == ["notulen.pdf"]


def test_a_document_on_a_read_only_answer_is_not_taken_out(recorded, world, db):
    client, token, meeting = recorded
    _link(client, token, world, meeting.id, ["13.6"])
    answer = db.exec(select(Answer).where(Answer.question_code == "13.6")).one()
    answer.status = "approved"
    db.add(answer)
    db.commit()
    response = client.post(f"{_base(world)}/{meeting.id}/dokumen/lepas",
                           data={"csrf_token": token, "document_id": str(_document_of(db, meeting.id))})
    assert response.status_code == 409
    assert [t.split(":")[0] for t in texts(page(response), "//ul[contains(@class,'refused-links')]/li")] == ["13.6"]
    assert _names(db, "13.6") == ["notulen.pdf"] and _audits(db, "meeting.document_remove") == []


# -- removing the meeting -----------------------------------------------------------------------------


def test_removing_a_meeting_confirms_what_goes_and_keeps_the_documents_and_the_chain(recorded, world, db):
    client, token, meeting = recorded
    by_hand = _library_document(client, token, world)
    assert client.post(f"{world.base()}/dokumen/{by_hand}/tautkan", data={"csrf_token": token, "codes": ["13.6"]},
                       follow_redirects=False).status_code == 303
    _link(client, token, world, meeting.id, ["13.6", "13.5"])
    client.post(f"{_base(world)}/{meeting.id}/dokumen", data={"csrf_token": token, "document_id": by_hand,
                                                              "role": "other"}, follow_redirects=False)
    confirm = client.post(f"{_base(world)}/{meeting.id}/hapus", data={"csrf_token": token})
    assert confirm.status_code == 200
    tree = page(confirm)
    assert "2 question" in text_of(tree, "//li[@id='goes-questions']")
    assert "13.5, 13.6" in text_of(tree, "//li[@id='goes-questions']")
    assert texts(tree, "//ul[@class='removal-links']/li") == ["13.5: notulen.pdf, laporan.pdf", "13.6: notulen.pdf"]
    assert "notulen.pdf" in text_of(tree, "//li[@id='stays-documents']")
    db.expire_all()
    assert db.get(Meeting, meeting.id).removed_at is None  # the confirmation page changes nothing
    response = client.post(f"{_base(world)}/{meeting.id}/hapus", data={"csrf_token": token, "confirm": "1"},
                           follow_redirects=False)
    assert "removed" in _flash(client, response)
    assert texts(page(client.get(_base(world))), "//li[@class='meeting']/a") == []
    assert client.get(f"{_base(world)}/{meeting.id}").status_code == 404
    card = page(client.get(f"{world.base()}/isian/13.6"))
    assert texts(card, "//div[@class='card-meetings']//li/a") == []
    assert _names(db, "13.6") == ["laporan.pdf"] and _names(db, "13.5") == []
    assert client.get(f"{world.base()}/dokumen/{by_hand}").status_code == 200
    assert client.get(f"{world.base()}/dokumen/{_document_of(db, meeting.id)}").status_code == 200
    [entry] = _audits(db, "meeting.remove")
    assert entry.before["questions"] == ["13.5", "13.6"]
    # A soft delete: the row and what it served stay; the chain holds.
    assert db.get(Meeting, meeting.id).removed_by == world.users["dp3a_a"].id
    assert len(db.exec(select(MeetingQuestion).where(MeetingQuestion.meeting_id == meeting.id)).all()) == 2
    report = audit.verify_chain(db)
    assert report.broken_id is None and report.checked > 5
    # Again (a second click, another tab): said, not a 500, nothing written.
    for confirm in ("1", ""):
        again = client.post(f"{_base(world)}/{meeting.id}/hapus", data={"csrf_token": token, "confirm": confirm},
                            follow_redirects=False)
        assert "already" in _flash(client, again)
    assert len(_audits(db, "meeting.remove")) == 1
    # Editing or taking a document out of it from a tab still open: said, nothing written.
    late = _edit(client, token, meeting.id, world, title="Terlambat")
    assert "removed" in _flash(client, late)
    assert _meeting(db).title == "Rapat Koordinasi Gugus Tugas KLA"
    # Another meeting recorded with the same title, date and author is a new one, not the removed one.
    assert _create(client, token, world).status_code == 303
    assert len(db.exec(select(Meeting).where(Meeting.removed_at.is_(None))).all()) == 1


def test_a_meeting_with_links_on_a_read_only_answer_is_not_removed(recorded, world, db):
    client, token, meeting = recorded
    _link(client, token, world, meeting.id, ["13.6", "13.5"])
    answer = db.exec(select(Answer).where(Answer.question_code == "13.5")).one()
    answer.status = "approved"
    db.add(answer)
    db.commit()
    confirm = page(client.post(f"{_base(world)}/{meeting.id}/hapus", data={"csrf_token": token}))
    assert [t.split(":")[0] for t in texts(confirm, "//ul[contains(@class,'refused-links')]/li")] == ["13.5"]
    assert confirm.xpath("//form[contains(@class,'meeting-remove-confirm')]") == []
    forced = client.post(f"{_base(world)}/{meeting.id}/hapus", data={"csrf_token": token, "confirm": "1"})
    assert forced.status_code == 409 and text_of(page(forced), "//*[@role='alert']")
    db.expire_all()
    assert db.get(Meeting, meeting.id).removed_at is None
    assert _names(db, "13.6") == ["notulen.pdf"] and _names(db, "13.5") == ["notulen.pdf"]


def test_an_agency_removes_its_own_meeting_but_not_links_the_dp3a_made_elsewhere(opd, dp3a, world, db):
    client, token = opd
    assert _create(client, token, world, title="Sosialisasi KHA").status_code == 303
    meeting = _meeting(db, "Sosialisasi KHA")
    assert _upload(client, token, world, meeting.id).status_code == 303
    dp3a_client, dp3a_token = dp3a
    assert _link(dp3a_client, dp3a_token, world, meeting.id, ["1.2h"]).status_code == 303  # Disdik's question
    forced = client.post(f"{_base(world)}/{meeting.id}/hapus", data={"csrf_token": token, "confirm": "1"})
    assert forced.status_code == 409
    assert [t.split(":")[0] for t in texts(page(forced), "//ul[contains(@class,'refused-links')]/li")] == ["1.2h"]
    assert client.post(f"{_base(world)}/{meeting.id}/lepas", data={"csrf_token": token, "code": "1.2h"}).status_code == 404
    dp3a_client.post(f"{_base(world)}/{meeting.id}/lepas", data={"csrf_token": dp3a_token, "code": "1.2h"})
    done = client.post(f"{_base(world)}/{meeting.id}/hapus", data={"csrf_token": token, "confirm": "1"},
                       follow_redirects=False)
    assert "removed" in _flash(client, done)


# -- what an agency that may not see a meeting learns -------------------------------------------------


def test_an_agency_learns_nothing_of_a_meeting_hidden_from_it(recorded, opd, world, db, app):
    """The year filter listed the year of every meeting (the hidden one's too), and the suggestions of
    the form named the outside participants written on it."""
    dp3a_client, dp3a_token, meeting = recorded
    assert _edit(dp3a_client, dp3a_token, meeting.id, world, held_on="2019-06-01",
                 outside="Unit PPA Polres\nP2TP2A").status_code == 303
    assert _link(dp3a_client, dp3a_token, world, meeting.id, [SENSITIVE]).status_code == 303
    client, token = opd
    listing = page(client.get(_base(world)))
    assert "2019" not in attrs(listing, "//select[@name='tahun']/option/@value")
    assert texts(listing, "//li[@class='meeting']") == []
    assert page(client.get(_base(world), params={"tahun": "2019"})).xpath("//li[@class='meeting']") == []
    form = text_of(page(client.get(f"{_base(world)}/baru")))
    assert "Unit PPA" not in form and "P2TP2A" not in form
    document_id = str(_document_of(db, meeting.id))
    # Every route about one meeting, from the router (a new one is checked from the day it appears).
    routes = [(method, route.path) for route in api_routes(app) if "{meeting_id}" in route.path
              for method in sorted(route.methods - {"HEAD"})]
    assert len(routes) >= 9
    for method, path in routes:
        url = path.replace("{regency_code}", world.regency_a.code).replace("{year}", str(world.year)) \
            .replace("{meeting_id}", str(meeting.id))
        data = {"csrf_token": token, "document_id": document_id, "code": "13.6", "codes": ["13.6"],
                "role": "minutes", "confirm": "1", **_form()} if method == "POST" else None
        response = client.request(method, url, data=data, follow_redirects=False)
        assert response.status_code == 404, (method, path, response.status_code)
        assert "Rapat" not in text_of(page(response)) and "2019" not in text_of(page(response)), path
    for url, data in ((f"{_base(world)}/{meeting.id}/ubah", None),
                      (f"{_base(world)}/{meeting.id}/ubah", {"csrf_token": token, **_form()}),
                      (f"{_base(world)}/{meeting.id}/dokumen/lepas", {"csrf_token": token, "document_id": document_id}),
                      (f"{_base(world)}/{meeting.id}/hapus", {"csrf_token": token}),
                      (f"{_base(world)}/{meeting.id}/hapus", {"csrf_token": token, "confirm": "1"})):
        response = client.get(url) if data is None else client.post(url, data=data)
        assert response.status_code == 404, url
        assert "Rapat" not in text_of(page(response)) and "2019" not in text_of(page(response))
    # Removed by the DP3A: to the agency still a meeting that is not there, not "removed already".
    assert dp3a_client.post(f"{_base(world)}/{meeting.id}/hapus", data={"csrf_token": dp3a_token, "confirm": "1"},
                            follow_redirects=False).status_code == 303
    gone = client.post(f"{_base(world)}/{meeting.id}/hapus", data={"csrf_token": token, "confirm": "1"},
                       follow_redirects=False)
    assert gone.status_code == 404
    # The DP3A's own suggestions no longer offer what only a removed meeting said.
    assert "P2TP2A" not in text_of(page(dp3a_client.get(f"{_base(world)}/baru")))


def test_another_kab_kota_and_the_province_are_refused_every_change(recorded, make_client, auth, world, db):
    _client_a, _token, meeting = recorded
    for username in ("dp3a_b", "opd_b", "province", "admin"):
        client, token = _client(make_client, auth, username)
        assert client.get(f"{_base(world)}/{meeting.id}/ubah").status_code == 403, username
        for path, data in (("ubah", _form(title="x")), ("dokumen/lepas", {"document_id": "1"}),
                           ("hapus", {"confirm": "1"})):
            response = client.post(f"{_base(world)}/{meeting.id}/{path}", data={"csrf_token": token, **data})
            assert response.status_code == 403, (username, path)
    mine, token = _client(make_client, auth, "dp3a_b")
    assert mine.get(f"{_base(world, 'b')}/{meeting.id}/ubah").status_code == 404  # B's pages do not know it
    db.expire_all()
    assert db.get(Meeting, meeting.id).title == "Rapat Koordinasi Gugus Tugas KLA"
    assert db.get(Meeting, meeting.id).removed_at is None


# -- at once (two tabs, a double click; the suite runs these on SQLite and on PostgreSQL) ----------------


def test_removals_and_edits_sent_at_once_take_effect_once(recorded, app, auth, world, db):
    from tests.web.test_idempotent import at_once

    client, token, meeting = recorded
    _link(client, token, world, meeting.id, ["13.6", "13.5"])
    stamp = _stamp(client, world, meeting.id)
    edits = at_once(app, auth, "dp3a_a", 3, lambda c, t: _edit(c, t, meeting.id, world, stamp,
                                                                 place=f"Aula {threading.get_ident()}").status_code)
    assert sorted(edits) == [303, 409, 409]
    assert len(_audits(db, "meeting.edit")) == 1
    document_id = str(_document_of(db, meeting.id))
    taken = at_once(app, auth, "dp3a_a", 3, lambda c, t: c.post(
        f"{_base(world)}/{meeting.id}/dokumen/lepas", data={"csrf_token": t, "document_id": document_id},
        follow_redirects=False).status_code)
    assert taken == [303, 303, 303]
    assert len(_audits(db, "meeting.document_remove")) == 1 and len(_audits(db, "evidence.remove")) == 2
    assert _upload(client, token, world, meeting.id, "daftar-hadir.pdf", "attendance").status_code == 303
    removed = at_once(app, auth, "dp3a_a", 3, lambda c, t: c.post(
        f"{_base(world)}/{meeting.id}/hapus", data={"csrf_token": t, "confirm": "1"}, follow_redirects=False).status_code)
    assert removed == [303, 303, 303]
    assert len(_audits(db, "meeting.remove")) == 1 and len(_audits(db, "evidence.remove")) == 4
    assert _names(db, "13.6") == [] and _names(db, "13.5") == []
    assert audit.verify_chain(db).broken_id is None


def test_an_agency_recording_its_meeting_again_is_not_sent_to_the_one_now_hidden_from_it(opd, dp3a, world, db):
    """The same form twice is one meeting; but once the DP3A linked the agency's meeting to a sensitive
    question, the same form again led the agency to that meeting's id (a 404 telling it was there)."""
    client, token = opd
    assert _create(client, token, world, title="Sosialisasi KHA").status_code == 303
    first = _meeting(db, "Sosialisasi KHA")
    dp3a_client, dp3a_token = dp3a
    assert _link(dp3a_client, dp3a_token, world, first.id, [SENSITIVE]).status_code == 303
    again = _create(client, token, world, title="Sosialisasi KHA")
    assert again.status_code == 303 and not again.headers["location"].endswith(f"/{first.id}")
    assert client.get(again.headers["location"]).status_code == 200


def test_editing_a_meeting_keeps_an_agency_closed_since_it_took_part(recorded, world, db):
    """Review s31: the form offers the kab/kota's active agencies only, so saving it (for a new title)
    dropped an agency closed since from the meeting's participants: a fact of the past lost unasked."""
    from app.models import Agency

    client, token, meeting = recorded
    closed = db.get(Agency, world.agencies["dinkes_a"].id)
    closed.active = False
    db.add(closed)
    db.commit()
    form = page(client.get(f"{_base(world)}/{meeting.id}/ubah"))
    checked = attrs(form, "//input[@name='agencies'][@checked]/@value")
    stamp = attrs(form, "//input[@name='stamp']/@value")[0]
    response = client.post(f"{_base(world)}/{meeting.id}/ubah", data={
        "csrf_token": token, "stamp": stamp, **_form(title="Rapat Koordinasi (perbaikan judul)"), "agencies": checked},
        follow_redirects=False)
    assert "saved" in _flash(client, response)
    db.expire_all()
    assert db.exec(select(MeetingAgency.agency_id).where(MeetingAgency.meeting_id == meeting.id)).all() == [closed.id]
    [entry] = _audits(db, "meeting.edit")
    assert set(entry.after) == {"title"}
    # A stale form that still sends the closed agency is not refused for it either.
    stamp = _stamp(client, world, meeting.id)
    response = client.post(f"{_base(world)}/{meeting.id}/ubah", data={
        "csrf_token": token, "stamp": stamp, **_form(title="Rapat Koordinasi"), "agencies": [str(closed.id)]},
        follow_redirects=False)
    assert "saved" in _flash(client, response)


def _removed_meanwhile(monkeypatch, make_client, auth, world, meeting_id):
    """The meeting is removed (by the DP3A in another tab) just after a request has read it as live."""
    from app.services.taskforce.meetings import MeetingView

    original, armed = MeetingView.check_change, [True]

    def check_change(self, meeting):
        if armed[0]:
            armed[0] = False
            other = make_client()
            token = auth.login(other, "dp3a_a")
            assert other.post(f"{_base(world)}/{meeting_id}/hapus", data={"csrf_token": token, "confirm": "1"},
                              follow_redirects=False).status_code == 303
        return original(self, meeting)

    monkeypatch.setattr(MeetingView, "check_change", check_change)


def test_a_link_or_a_document_sent_while_the_meeting_is_removed_adds_nothing(recorded, world, db, monkeypatch,
                                                                             make_client, auth):
    """Review s31: linking a question, or adding a document, read the meeting as live and never again:
    sent while another tab removed it, it made evidence links for a removed meeting, which nothing
    could take out again (the meeting is gone from every page)."""
    client, token, meeting = recorded
    _removed_meanwhile(monkeypatch, make_client, auth, world, meeting.id)
    response = _link(client, token, world, meeting.id, ["13.6"])
    assert "removed" in _flash(client, response)
    assert _current(db, "13.6") == []
    assert db.exec(select(MeetingQuestion).where(MeetingQuestion.meeting_id == meeting.id)).all() == []

    client2, token2 = recorded[0], recorded[1]
    assert _create(client2, token2, world, title="Rapat kedua").status_code == 303
    second = test_meetings._meeting(db, "Rapat kedua")
    assert _link(client2, token2, world, second.id, ["13.5"]).status_code == 303
    _removed_meanwhile(monkeypatch, make_client, auth, world, second.id)
    response = _upload(client2, token2, world, second.id, "daftar-hadir.pdf", "attendance")
    assert "removed" in _flash(client2, response)
    assert _current(db, "13.5") == []


def test_an_edit_or_a_take_out_sent_while_the_meeting_is_removed_says_so(recorded, world, db, monkeypatch,
                                                                          make_client, auth):
    """Review s31: the service refused (removed meanwhile) and the page then asked for the meeting again:
    a bare 404 for the DP3A that could see it, instead of the refusal's words."""
    client, token, meeting = recorded
    stamp = _stamp(client, world, meeting.id)
    _removed_meanwhile(monkeypatch, make_client, auth, world, meeting.id)
    assert "removed" in _flash(client, _edit(client, token, meeting.id, world, stamp, place="Aula baru"))
    assert _create(client, token, world, title="Rapat kedua").status_code == 303
    second = test_meetings._meeting(db, "Rapat kedua")
    assert _upload(client, token, world, second.id).status_code == 303
    document_id = str(_document_of(db, second.id))
    _removed_meanwhile(monkeypatch, make_client, auth, world, second.id)
    response = client.post(f"{_base(world)}/{second.id}/dokumen/lepas",
                           data={"csrf_token": token, "document_id": document_id}, follow_redirects=False)
    assert "removed" in _flash(client, response)


def test_removing_a_meeting_keeps_a_link_made_again_by_hand_after_its_own_was_removed(recorded, world, db):
    """Review s31: the meeting's link of its minutes on 13.6 was removed by hand, and the minutes linked to
    13.6 again by hand from the library: that link is not the meeting's, yet removing the meeting (or
    taking the minutes out) removed it."""
    from app.services import evidence as evidence_service

    client, token, meeting = recorded
    assert _link(client, token, world, meeting.id, ["13.6"]).status_code == 303
    [made] = _current(db, "13.6")
    evidence_service.remove(db, world.assessments["a"], made, world.users["dp3a_a"])
    db.commit()
    document_id = str(_document_of(db, meeting.id))
    assert client.post(f"{world.base()}/dokumen/{document_id}/tautkan", data={"csrf_token": token, "codes": ["13.6"]},
                       follow_redirects=False).status_code == 303
    assert _names(db, "13.6") == ["notulen.pdf"]
    response = client.post(f"{_base(world)}/{meeting.id}/dokumen/lepas",
                           data={"csrf_token": token, "document_id": document_id}, follow_redirects=False)
    assert "stays in the library" in _flash(client, response)
    assert _names(db, "13.6") == ["notulen.pdf"]
    # Added again, the meeting makes no new link (one is there) and its removal leaves the hand-made one.
    assert client.post(f"{_base(world)}/{meeting.id}/dokumen", data={"csrf_token": token, "document_id": document_id,
                                                                     "role": "minutes"},
                       follow_redirects=False).status_code == 303
    removed = client.post(f"{_base(world)}/{meeting.id}/hapus", data={"csrf_token": token, "confirm": "1"},
                          follow_redirects=False)
    assert removed.status_code == 303
    assert _names(db, "13.6") == ["notulen.pdf"]


def test_a_link_and_the_removal_sent_at_once_leave_no_link_of_a_removed_meeting(recorded, app, auth, world, db):
    """Review s31: whichever goes first, no 500 (no deadlock: answers, then the meeting), and a removed
    meeting keeps no evidence link it made."""
    from tests.web.test_idempotent import at_once

    client, token, meeting = recorded
    turn = iter(range(2))
    lock = threading.Lock()

    def send(c, t):
        with lock:
            mine = next(turn)
        if mine == 0:
            return _link(c, t, world, meeting.id, ["13.6", "13.5"]).status_code
        return c.post(f"{_base(world)}/{meeting.id}/hapus", data={"csrf_token": t, "confirm": "1"},
                      follow_redirects=False).status_code

    statuses = at_once(app, auth, "dp3a_a", 2, send)
    assert all(s in (303, 404) for s in statuses), statuses
    db.expire_all()
    assert db.get(Meeting, meeting.id).removed_at is not None
    assert _names(db, "13.6") == [] and _names(db, "13.5") == []
