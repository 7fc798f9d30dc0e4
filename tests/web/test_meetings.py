"""Meetings and activities of the Gugus Tugas (Rapat & kegiatan): recording one, its documents, linking
it to several questions in one step (its documents become their evidence), adding a document later,
unlinking, what an agency may do and see, sensitive questions, another region, a published year."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlmodel import select

from app.models import Answer, AuditEntry, Cycle, Evidence, Meeting, MeetingDocument, MeetingQuestion, utcnow
from app.services.demo import sample_pdf
from tests.html import attrs, page, text_of, texts

OWN = ["13.6", "13.5"]  # DINKES's, ordinary
SENSITIVE = "22A.2"  # DINKES among others, sensitive
OTHER = "1.2h"  # Disdik's: not the Dinkes's
THREE = ["13.6", "13.5", "1.2h"]


def _client(make_client, auth, username):
    client = make_client()
    token = auth.login(client, username)
    client.cookies.set("kla_lang", "en")
    return client, token


@pytest.fixture
def dp3a(make_client, auth, world):
    return _client(make_client, auth, "dp3a_a")


@pytest.fixture
def opd(make_client, auth, world):
    return _client(make_client, auth, "opd_a")


def _base(world, which="a"):
    return f"{world.base(which)}/gugus-tugas/rapat"


def _form(**fields):
    data = {"title": "Rapat Koordinasi Gugus Tugas KLA", "kind": "coordination", "held_on": "2025-03-12",
            "place": "Aula Bappeda", "agenda": "Persiapan evaluasi KLA", "summary": "Sepakat melengkapi data dukung",
            "outside": "Polres Palangka Raya\nForum Anak\n\nForum Anak"}
    data.update(fields)
    return data


def _create(client, token, world, **fields):
    return client.post(_base(world), data={"csrf_token": token, **_form(**fields)}, follow_redirects=False)


def _meeting(db, title="Rapat Koordinasi Gugus Tugas KLA") -> Meeting:
    db.expire_all()
    return db.exec(select(Meeting).where(Meeting.title == title)).one()


def _upload(client, token, world, meeting_id, name="notulen.pdf", role="minutes", title="Notulen rapat"):
    content = sample_pdf(title, f"{name} {meeting_id}")
    return client.post(f"{_base(world)}/{meeting_id}/dokumen/unggah", data={"csrf_token": token, "role": role},
                       files={"file": (name, content, "application/pdf")}, follow_redirects=False)


def _link(client, token, world, meeting_id, codes):
    return client.post(f"{_base(world)}/{meeting_id}/tautkan", data={"csrf_token": token, "codes": codes},
                       follow_redirects=False)


def _current(db, code, filename=None):
    db.expire_all()
    query = (select(Evidence).join(Answer, Answer.id == Evidence.answer_id)
             .where(Answer.question_code == code, Evidence.removed_at.is_(None)))
    if filename:
        query = query.where(Evidence.filename == filename)
    return db.exec(query).all()


def _audits(db, action):
    db.expire_all()
    return db.exec(select(AuditEntry).where(AuditEntry.action == action)).all()


@pytest.fixture
def recorded(dp3a, world, db):
    client, token = dp3a
    agency = world.agencies["dinkes_a"].id
    response = client.post(_base(world), data={"csrf_token": token, **_form(), "agencies": [str(agency)]},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    meeting = _meeting(db)
    assert _upload(client, token, world, meeting.id).status_code == 303
    return client, token, meeting


def test_recording_a_meeting_shows_it_in_the_list_and_on_its_page(recorded, world, db):
    client, _token, meeting = recorded
    assert meeting.outside_participants == "Polres Palangka Raya\nForum Anak"  # blank and repeated lines dropped
    listing = page(client.get(_base(world)))
    assert texts(listing, "//li[@class='meeting']/a[@class='meeting-title']") == ["Rapat Koordinasi Gugus Tugas KLA"]
    tree = page(client.get(f"{_base(world)}/{meeting.id}"))
    assert text_of(tree, "//h1") == "Rapat Koordinasi Gugus Tugas KLA"
    assert texts(tree, "//ul[@class='meeting-outside']/li") == ["Polres Palangka Raya", "Forum Anak"]
    assert texts(tree, "//ul[@class='meeting-agencies']/li") == [world.agencies["dinkes_a"].short_name]
    assert texts(tree, "//ul[@class='meeting-documents']/li/a[1]") == ["notulen.pdf"]
    assert len(_audits(db, "meeting.create")) == 1 and len(_audits(db, "meeting.document")) == 1


@pytest.mark.parametrize(("fields", "says"), [
    ({"title": "  "}, "title"),
    ({"held_on": ""}, "date"),
    ({"held_on": "12-13-2025"}, "not a date"),
    ({"held_on": (date.today() + timedelta(days=30)).isoformat()}, "future"),
    ({"kind": "party"}, "kind of meeting"),
    ({"title": "x" * 301}, "too long"),
])
def test_bad_input_comes_back_with_a_message_and_what_was_typed(dp3a, world, db, fields, says):
    client, token = dp3a
    response = _create(client, token, world, **fields)
    assert response.status_code == 422
    tree = page(response)
    assert says in text_of(tree, "//*[@role='alert']").lower()
    assert attrs(tree, "//textarea[@name='agenda']/text()") == ["Persiapan evaluasi KLA"]
    assert db.exec(select(Meeting)).all() == []


def test_an_agency_of_another_kab_kota_is_refused(dp3a, world, db):
    client, token = dp3a
    response = client.post(_base(world), data={"csrf_token": token, **_form(),
                                               "agencies": [str(world.agencies["dinkes_b"].id)]})
    assert response.status_code == 422
    assert db.exec(select(Meeting)).all() == []


def test_the_same_form_twice_is_one_meeting(dp3a, world, db):
    client, token = dp3a
    assert _create(client, token, world).status_code == 303
    assert _create(client, token, world).status_code == 303
    assert len(db.exec(select(Meeting)).all()) == 1
    assert len(_audits(db, "meeting.create")) == 1


def test_linking_to_three_questions_in_one_step_makes_their_evidence(recorded, world, db):
    client, token, meeting = recorded
    response = _link(client, token, world, meeting.id, THREE)
    assert response.status_code == 303, response.text
    for code in THREE:
        assert [e.filename for e in _current(db, code)] == ["notulen.pdf"]
    assert sorted(db.exec(select(MeetingQuestion.question_code)).all()) == sorted(THREE)
    assert len(_audits(db, "meeting.link")) == 1 and len(_audits(db, "document.link")) == 3
    tree = page(client.get(f"{_base(world)}/{meeting.id}"))
    assert texts(tree, "//ul[@class='meeting-links']/li/a") == ["1.2h", "13.5", "13.6"]
    # On each question's card: the file among the evidence, and the meeting under it.
    card = page(client.get(f"{world.base()}/isian/13.6"))
    assert "notulen.pdf" in texts(card, "//ul[@class='files']/li/a[@class='file-open']")
    assert texts(card, "//div[@class='card-meetings']//li/a") == ["Rapat Koordinasi Gugus Tugas KLA"]
    # Linked again: nothing changes, nothing audited.
    again = _link(client, token, world, meeting.id, THREE)
    assert again.status_code == 303
    assert len(_audits(db, "meeting.link")) == 1 and len(_current(db, "13.6")) == 1


def test_the_files_show_on_the_review_page(recorded, world, db):
    client, token, meeting = recorded
    _link(client, token, world, meeting.id, ["13.6"])
    review = page(client.get(f"{world.base()}/verifikasi/13.6"))
    assert [h.text.strip() for h in review.xpath("//article[@class='preview']/h3")] == ["notulen.pdf"]


def test_a_document_added_later_is_linked_to_the_questions_already_served(recorded, world, db):
    client, token, meeting = recorded
    _link(client, token, world, meeting.id, THREE)
    assert _upload(client, token, world, meeting.id, "daftar-hadir.pdf", "attendance", "Daftar hadir").status_code == 303
    for code in THREE:
        assert sorted(e.filename for e in _current(db, code)) == ["daftar-hadir.pdf", "notulen.pdf"]
    roles = sorted(str(r) for r in db.exec(select(MeetingDocument.role)).all())
    assert roles == ["attendance", "minutes"]
    # The same upload again: one document, nothing more linked.
    assert _upload(client, token, world, meeting.id, "daftar-hadir.pdf", "attendance", "Daftar hadir").status_code == 303
    assert len(db.exec(select(MeetingDocument)).all()) == 2 and len(_current(db, "13.6")) == 2


def test_unlinking_removes_only_the_meetings_links(recorded, world, db, app):
    client, token, meeting = recorded
    # A file put on 13.6 by hand before the meeting was linked there stays.
    own = app.state.evidence.save_file(io.BytesIO(sample_pdf("Laporan Dinkes", "sendiri")))
    upload = client.post(f"{world.base()}/isian/13.6/bukti", data={"csrf_token": token},
                         files={"files": ("laporan.pdf", sample_pdf("Laporan Dinkes", "sendiri"), "application/pdf")})
    assert upload.status_code == 200 and own.sha256
    _link(client, token, world, meeting.id, ["13.6", "13.5"])
    response = client.post(f"{_base(world)}/{meeting.id}/lepas", data={"csrf_token": token, "code": "13.6"},
                           follow_redirects=False)
    assert response.status_code == 303
    assert [e.filename for e in _current(db, "13.6")] == ["laporan.pdf"]
    assert [e.filename for e in _current(db, "13.5")] == ["notulen.pdf"]
    assert db.exec(select(MeetingQuestion.question_code)).all() == ["13.5"]
    card = page(client.get(f"{world.base()}/isian/13.6"))
    assert texts(card, "//div[@class='card-meetings']//li/a") == []
    again = client.post(f"{_base(world)}/{meeting.id}/lepas", data={"csrf_token": token, "code": "13.6"},
                        follow_redirects=False)
    assert again.status_code == 303 and len(_audits(db, "meeting.unlink")) == 1


def test_an_agency_links_only_to_its_own_questions_and_never_sees_sensitive_ones(opd, world, db, catalogue):
    client, token = opd
    assert _create(client, token, world, title="Sosialisasi KHA Puskesmas", kind="socialisation").status_code == 303
    meeting = _meeting(db, "Sosialisasi KHA Puskesmas")
    offered: set[str] = set()
    for code in (*OWN, SENSITIVE, OTHER):  # each question's part listed
        part = catalogue.questions[code].part.code
        tree = page(client.get(f"{_base(world)}/{meeting.id}", params={"bagian": part}))
        offered |= set(attrs(tree, "//form[@class='link-questions']//input[@name='codes']/@value"))
        assert not tree.xpath(f"//label[contains(., '{SENSITIVE}')]")
    assert set(OWN) <= offered
    assert SENSITIVE not in offered and OTHER not in offered
    assert _link(client, token, world, meeting.id, [OTHER]).status_code == 404
    assert _link(client, token, world, meeting.id, [SENSITIVE]).status_code == 404
    assert db.exec(select(MeetingQuestion)).all() == []
    assert _link(client, token, world, meeting.id, OWN).status_code == 303


def test_an_agency_reads_the_dp3as_meetings_but_does_not_change_them(recorded, opd, world, db):
    dp3a_client, dp3a_token, meeting = recorded
    assert _link(dp3a_client, dp3a_token, world, meeting.id, ["13.5"]).status_code == 303
    client, token = opd
    tree = page(client.get(f"{_base(world)}/{meeting.id}"))
    assert text_of(tree, "//h1") == "Rapat Koordinasi Gugus Tugas KLA"
    assert tree.xpath("//form[@class='link-questions']") == [] and tree.xpath("//form[contains(@action,'lepas')]") == []
    card = page(client.get(f"{world.base()}/isian/13.5"))  # its own question's card lists the meeting
    assert texts(card, "//div[@class='card-meetings']//li/a") == ["Rapat Koordinasi Gugus Tugas KLA"]
    response = _link(client, token, world, meeting.id, ["13.6"])
    assert response.status_code == 409
    unlink = client.post(f"{_base(world)}/{meeting.id}/lepas", data={"csrf_token": token, "code": "13.5"})
    assert unlink.status_code == 409
    assert db.exec(select(MeetingQuestion.question_code)).all() == ["13.5"]


def test_a_meeting_on_a_sensitive_question_is_the_dp3as_only(recorded, opd, world, db):
    dp3a_client, token, meeting = recorded
    assert _link(dp3a_client, token, world, meeting.id, ["13.6", SENSITIVE]).status_code == 303
    assert len(_current(db, SENSITIVE)) == 1 and len(_current(db, "13.6")) == 1  # ordinary first: both linked
    client, _token = opd
    assert client.get(f"{_base(world)}/{meeting.id}").status_code == 404
    listing = page(client.get(_base(world)))
    assert texts(listing, "//li[@class='meeting']/a") == []
    card = page(client.get(f"{world.base()}/isian/13.6"))
    assert texts(card, "//div[@class='card-meetings']//li/a") == []
    own = page(dp3a_client.get(f"{world.base()}/isian/13.6"))
    assert texts(own, "//div[@class='card-meetings']//li/a") == ["Rapat Koordinasi Gugus Tugas KLA"]


def test_another_region_sees_nothing(recorded, make_client, auth, world):
    _client_a, _token, meeting = recorded
    client, token = _client(make_client, auth, "dp3a_b")
    assert client.get(_base(world)).status_code == 403
    assert client.get(f"{_base(world)}/{meeting.id}").status_code == 403
    # Its own kab/kota's pages do not know A's meeting.
    assert client.get(f"{_base(world, 'b')}/{meeting.id}").status_code == 404
    assert _link(client, token, world, meeting.id, ["13.6"]).status_code == 403


def test_a_published_year_is_read_only(recorded, world, db):
    client, token, meeting = recorded
    cycle = db.exec(select(Cycle)).one()
    cycle.published_at = utcnow()
    db.add(cycle)
    db.commit()
    assert _link(client, token, world, meeting.id, ["13.6"]).status_code == 409
    assert _create(client, token, world, title="Rapat baru").status_code == 409
    tree = page(client.get(f"{_base(world)}/{meeting.id}"))
    assert tree.xpath("//form[@class='link-questions']") == []
    assert db.exec(select(MeetingQuestion)).all() == []


def test_a_read_only_question_is_refused_with_its_reason_and_the_others_linked(recorded, world, db):
    client, token, meeting = recorded
    assessment = world.assessments["a"]
    db.add(Answer(assessment_id=assessment.id, question_code="13.5", status="approved", updated_by=None))
    db.commit()
    response = _link(client, token, world, meeting.id, ["13.6", "13.5"])
    assert response.status_code == 200
    tree = page(response)
    assert [t.split(":")[0] for t in texts(tree, "//ul[contains(@class,'refused-links')]/li")] == ["13.5"]
    assert db.exec(select(MeetingQuestion.question_code)).all() == ["13.6"]
    assert _current(db, "13.5") == []


def test_the_dp3a_chooses_a_part_before_the_questions_are_listed_and_keeps_it_after_linking(recorded, world, db,
                                                                                           catalogue):
    client, token, meeting = recorded
    tree = page(client.get(f"{_base(world)}/{meeting.id}"))
    assert tree.xpath("//form[@class='link-questions']") == [] and tree.xpath("//p[contains(@class,'choose-part')]")
    part = catalogue.questions["13.6"].part.code
    tree = page(client.get(f"{_base(world)}/{meeting.id}", params={"bagian": part}))
    offered = attrs(tree, "//form[@class='link-questions']//input[@name='codes']/@value")
    assert "13.6" in offered and all(catalogue.questions[c].part.code == part for c in offered)
    response = client.post(f"{_base(world)}/{meeting.id}/tautkan",
                           data={"csrf_token": token, "codes": ["13.6"], "bagian": part, "cari": ""},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith(f"?bagian={part}")


def test_a_library_document_picked_for_the_meeting_is_linked_to_its_questions(recorded, world, db, catalogue):
    client, token, meeting = recorded
    _link(client, token, world, meeting.id, ["13.6"])
    library = client.post(f"{world.base()}/dokumen/unggah", data={"csrf_token": token},
                          files={"file": ("foto.pdf", sample_pdf("Foto kegiatan", "rapat"), "application/pdf")},
                          follow_redirects=False)
    assert library.status_code == 303
    document_id = library.headers["location"].rsplit("/", 1)[1]
    tree = page(client.get(f"{_base(world)}/{meeting.id}"))
    assert document_id in attrs(tree, "//select[@name='document_id']/option/@value")
    for _twice in range(2):
        response = client.post(f"{_base(world)}/{meeting.id}/dokumen",
                               data={"csrf_token": token, "document_id": document_id, "role": "photo"},
                               follow_redirects=False)
        assert response.status_code == 303
    assert sorted(e.filename for e in _current(db, "13.6")) == ["foto.pdf", "notulen.pdf"]
    assert len(_audits(db, "meeting.document")) == 2  # the minutes, then the photo once
    refused = client.post(f"{_base(world)}/{meeting.id}/dokumen",
                          data={"csrf_token": token, "document_id": "x", "role": "photo"})
    assert refused.status_code == 422 and text_of(page(refused), "//*[@role='alert']")


def test_with_the_window_closed_an_agency_records_but_cannot_add_files(opd, world, db):
    client, token = opd
    assessment = world.assessments["a"]
    assessment.window_open = False
    db.add(assessment)
    db.commit()
    assert _create(client, token, world, title="Monitoring Posyandu", kind="monitoring").status_code == 303
    meeting = _meeting(db, "Monitoring Posyandu")
    assert _upload(client, token, world, meeting.id).status_code == 409
    assert db.exec(select(MeetingDocument)).all() == []
    response = _link(client, token, world, meeting.id, ["13.6"])
    assert response.status_code == 422
    assert [t.split(":")[0] for t in texts(page(response), "//ul[contains(@class,'refused-links')]/li")] == ["13.6"]
    assert db.exec(select(MeetingQuestion)).all() == []


def test_the_library_pick_starts_with_its_or_pick_field(recorded, world, db):
    """The two ways to add a document read as two forms: the pick form opens with "Or pick a document of
    the library", not with a second "What it is" right under the upload's."""
    client, token, meeting = recorded
    assert _create(client, token, world, title="Rapat kedua").status_code == 303
    second = _meeting(db, "Rapat kedua")
    assert _upload(client, token, world, second.id, name="daftar-hadir.pdf", title="Daftar hadir").status_code == 303
    tree = page(client.get(f"{_base(world)}/{meeting.id}"))
    assert attrs(tree, "//form[@class='meeting-pick']//select/@id") == ["mp-doc", "mp-role"]
    assert attrs(tree, "//form[contains(@class, 'meeting-upload')]//*[@id]/@id") == ["md-role", "md-file"]


def test_the_link_form_warns_before_a_sensitive_question_hides_the_meeting(recorded, world, catalogue):
    """The DP3A is told, where it picks questions, what a sensitive question does to the meeting (hidden from
    the agencies; its documents no longer go onto ordinary questions), only when one is offered."""
    client, _token, meeting = recorded
    here = f"{_base(world)}/{meeting.id}"
    sensitive_part = catalogue.questions[SENSITIVE].part.code
    offered = page(client.get(here, params={"bagian": sensitive_part, "cari": SENSITIVE}))
    assert texts(offered, "//form[@class='link-questions']//input[@name='codes']/@value") == [SENSITIVE]
    assert len(offered.xpath("//form[@class='link-questions']//p[contains(@class, 'sensitive-link-hint')]")) == 1
    plain = page(client.get(here, params={"cari": "13.6"}))
    assert "13.6" in texts(plain, "//form[@class='link-questions']//input[@name='codes']/@value")
    assert plain.xpath("//p[contains(@class, 'sensitive-link-hint')]") == []


def test_the_link_form_marks_a_question_whose_files_cannot_change_now(recorded, world, db, scorer, catalogue):
    """A submitted answer is read-only: the picker says so and offers no box to tick (the walk learnt it
    only from the refusal after sending the form)."""
    from tests.web.test_review import _answer_as

    client, token, meeting = recorded
    _answer_as(db, world, scorer, catalogue, "opd_a", ["13.5"])  # submitted: read-only until returned
    listed = page(client.get(f"{_base(world)}/{meeting.id}", params={"cari": "13."}))
    box = "//form[@class='link-questions']//input[@name='codes'][@value='{}']"
    assert listed.xpath(box.format("13.5"))[0].get("disabled") is not None
    assert listed.xpath(box.format("13.6"))[0].get("disabled") is None
    hint = "//form[@class='link-questions']//label[@for='{}']//span[contains(@class, 'read-only')]"
    assert texts(listed, hint.format("link-13_5")) == ["(read-only now: its files cannot change)"]
    assert texts(listed, hint.format("link-13_6")) == []
