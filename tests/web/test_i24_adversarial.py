"""Adversarial review of issue 24 (the Gugus Tugas, meetings, RAD, e-mail, the job runner): each test
is a hole found and closed (see the commit that adds it)."""

from __future__ import annotations

from sqlmodel import select

from app.models import Answer, Evidence
from app.services.demo import sample_pdf
from tests.web.test_meetings import _base, _form, _link, _meeting


def _current(db, code):
    db.expire_all()
    return sorted(e.filename for e in db.exec(
        select(Evidence).join(Answer, Answer.id == Evidence.answer_id)
        .where(Answer.question_code == code, Evidence.removed_at.is_(None))).all())


def _dp3a(make_client, auth):
    client = make_client()
    token = auth.login(client, "dp3a_a")
    client.cookies.set("kla_lang", "en")
    return client, token


def test_unlinking_a_meeting_keeps_a_document_linked_by_hand_before_the_meeting_had_it(make_client, auth, world, db):
    """A meeting linked to 13.6; a library document linked to 13.6 by hand; the same document added to
    the meeting later (already on 13.6: nothing new linked). Unlinking the meeting removed the hand-made
    link: it was made after the meeting was linked to the question, so it counted as the meeting's."""
    client, token = _dp3a(make_client, auth)
    assert client.post(_base(world), data={"csrf_token": token, **_form()},
                       follow_redirects=False).status_code == 303
    meeting = _meeting(db)
    assert _link(client, token, world, meeting.id, ["13.6"]).status_code == 303
    library = client.post(f"{world.base()}/dokumen/unggah", data={"csrf_token": token},
                          files={"file": ("laporan.pdf", sample_pdf("Laporan", "tangan"), "application/pdf")},
                          follow_redirects=False)
    assert library.status_code == 303
    document_id = library.headers["location"].rsplit("/", 1)[1]
    by_hand = client.post(f"{world.base()}/dokumen/{document_id}/tautkan",
                          data={"csrf_token": token, "codes": ["13.6"]}, follow_redirects=False)
    assert by_hand.status_code == 303
    assert _current(db, "13.6") == ["laporan.pdf"]
    added = client.post(f"{_base(world)}/{meeting.id}/dokumen",
                        data={"csrf_token": token, "document_id": document_id, "role": "other"},
                        follow_redirects=False)
    assert added.status_code == 303
    unlinked = client.post(f"{_base(world)}/{meeting.id}/lepas", data={"csrf_token": token, "code": "13.6"},
                           follow_redirects=False)
    assert unlinked.status_code == 303
    assert _current(db, "13.6") == ["laporan.pdf"]  # the hand-made link stays


def test_an_e_mail_jobs_lease_outlasts_a_slow_smtp_server():
    """Each SMTP exchange may wait TIMEOUT_SECONDS; with a 120 s lease a slow server (a dozen exchanges
    of up to 30 s) let the lease lapse while the first runner was still sending: a second runner took
    the job and the message went out twice."""
    from app.jobs.registry import LEASE_SECONDS
    from app.notices import smtp

    assert LEASE_SECONDS[smtp.EMAIL_JOB] > smtp.SMTP_EXCHANGES * smtp.TIMEOUT_SECONDS


def test_a_coordinator_does_not_read_an_answer_not_yet_submitted(make_client, world, auth, db, scorer, catalogue):
    """The desk is for the SUBMITTED answers of the coordinator's parts (its queue lists no draft); by
    its code, a draft of another agency's question (in-progress work an agency never sees) opened with
    its answer and note."""
    from tests.web.test_review import _answer_as
    from tests.web.test_taskforce import _team

    _team(world, db, catalogue)
    code = next(r.question.code for r in catalogue.iter_questions()
                if r.part.code in ("K3", "K5") and "DINKES" not in r.question.agencies and r.question.max > 0
                and not r.question.sensitive)
    _answer_as(db, world, scorer, catalogue, "dp3a_a", [code], send=False)
    coordinator = make_client()
    auth.login(coordinator, "opd_a")
    assert coordinator.get(f"{world.base()}/gugus-tugas/klaster/{code}").status_code == 404


def test_an_agency_is_not_told_the_name_of_an_sk_whose_file_is_sensitive(make_client, auth, world, db):
    """The DP3A picks as the SK a library document that is also a sensitive question's evidence; the hub
    named it to every agency (the library itself hides it from them)."""
    from tests.html import page, text_of

    client, token = _dp3a(make_client, auth)
    library = client.post(f"{world.base()}/dokumen/unggah", data={"csrf_token": token},
                          files={"file": ("visum-korban.pdf", sample_pdf("Visum", "korban"), "application/pdf")},
                          follow_redirects=False)
    assert library.status_code == 303
    document_id = library.headers["location"].rsplit("/", 1)[1]
    linked = client.post(f"{world.base()}/dokumen/{document_id}/tautkan",
                         data={"csrf_token": token, "codes": ["22A.2"]}, follow_redirects=False)
    assert linked.status_code == 303
    saved = client.post(f"{world.base()}/gugus-tugas", data={
        "csrf_token": token, "sk_document_id": document_id, "chair_agency_id": "", "chair_name": "",
        "secretariat_agency_id": ""}, follow_redirects=False)
    assert saved.status_code == 303
    opd = make_client()
    auth.login(opd, "opd_a")
    opd.cookies.set("kla_lang", "en")
    shown = text_of(page(opd.get(f"{world.base()}/gugus-tugas")), "//dd[@class='tf-sk']")
    assert "visum" not in shown.lower() and "Visum" not in shown
    # The library hides it from the agency too (the rule the hub now follows).
    assert opd.get(f"{world.base()}/dokumen/{document_id}").status_code == 404


def test_a_message_the_server_accepted_is_not_sent_again_when_quit_fails(settings, monkeypatch):
    """The server accepted the message (250 after DATA), then answered QUIT with an error or timed out:
    smtplib's `with` raised, the job failed, and the runner sent the same e-mail again at the retry."""
    import smtplib

    from app.notices import smtp
    from tests.smtp_sink import SmtpServer

    real_docmd = smtplib.SMTP.docmd

    def quit_fails(self, cmd, args=""):
        if cmd.upper() == "QUIT":
            raise TimeoutError("the server hung after accepting the message")
        return real_docmd(self, cmd, args)

    with SmtpServer() as server:
        on = settings.model_copy(update={"smtp_url": server.url, "smtp_sender": "KLA <kla@example.org>"})
        monkeypatch.setattr(smtplib.SMTP, "docmd", quit_fails)
        smtp.send(on, smtp.build_message(on, "opd@example.org", "Subjek", "Isi"))  # no exception: it was sent
        assert len(server.sink.received) == 1


def test_a_coordinator_does_not_overturn_the_dp3as_decision(make_client, world, auth, db, scorer, catalogue):
    """The coordinators review BEFORE the DP3A. The DP3A approved an answer held at a coordinator (it may);
    the coordinator then returned it, and the agency got the answer back against the DP3A's word."""
    from app.models import AnswerStatus, ReviewEvent
    from scoring import Stage
    from tests.web.test_review import _answer_as
    from tests.web.test_taskforce import _codes, _team

    _team(world, db, catalogue)
    k3 = _codes(catalogue, "K3", 1)
    _answer_as(db, world, scorer, catalogue, "opd_a", k3)
    coordinator, dp3a = make_client(), make_client()
    token = auth.login(coordinator, "opd_a")
    dp3a_token = auth.login(dp3a, "dp3a_a")
    base = world.base()
    assert dp3a.post(f"{base}/verifikasi/{k3[0]}", data={"action": "approved", "csrf_token": dp3a_token},
                     follow_redirects=False).status_code == 303
    reason = catalogue.review_reasons[0].code
    refused = coordinator.post(f"{base}/gugus-tugas/klaster/{k3[0]}",
                               data={"action": "returned", "reasons": [reason], "note": "Lampirkan SK",
                                     "csrf_token": token}, follow_redirects=False)
    assert refused.status_code in (403, 409, 422)
    from tests.html import page, text_of
    assert text_of(page(refused), "//*[@role='alert']")
    db.expire_all()
    answer = db.exec(select(Answer).where(Answer.question_code == k3[0])).one()
    assert answer.status == AnswerStatus.APPROVED
    assert db.exec(select(ReviewEvent).where(ReviewEvent.stage == Stage.CLUSTER)).all() == []
