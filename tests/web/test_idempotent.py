"""State changes sent several times at once (a double click, two tabs, colleagues) take effect once:
one event, one audit entry, one version bump. Real threads, each a browser of its own, released
together against the app; the suite runs this on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import threading

import pytest
from fastapi.testclient import TestClient
from lxml import html
from sqlmodel import func, select

from app.models import Answer, AnswerStatus, Assessment, AuditEntry, Reopening, ReviewEvent
from app.services.answers import AnswerInput, save_answer, submit
from app.services.demo import sample_pdf
from app.services.evidence import attach
from scoring.samples import best_answer


def at_once(app, auth, username: str, n: int, call) -> list:
    """`n` browsers logged in as `username` send `call(client, token)` at the same moment."""
    browsers = []
    for _ in range(n):
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        browsers.append((client, auth.login(client, username)))
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(slot: int) -> None:
        client, token = browsers[slot]
        barrier.wait()
        results[slot] = call(client, token)

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(n)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for client, _token in browsers:
            client.__exit__(None, None, None)
    return results


def _count(db, model, *where) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


def _audits(db, action: str) -> int:
    return _count(db, AuditEntry, AuditEntry.action == action)


def _dinkes_codes(catalogue, n: int) -> list[str]:
    return [r.question.code for r in catalogue.iter_questions()
            if "DINKES" in r.question.agencies and r.question.max > 0][:n]


def _answered(db, app, world, scorer, codes: list[str], *, send: bool) -> list[Answer]:
    """A's Dinkes answers `codes` with their best answer and a file; sent to the DP3A if `send`."""
    opd, assessment = world.users["opd_a"], world.assessments["a"]
    answers = []
    for code in codes:
        best = best_answer(scorer, code)
        save_answer(db, assessment, code, AnswerInput(option=best.option, value=best.value), 0, opd, scorer)
        answer = db.exec(select(Answer).where(Answer.question_code == code)).one()
        stored = app.state.evidence.save_file(io.BytesIO(sample_pdf(code, "bukti")))
        attach(db, assessment, answer, stored, f"{code}.pdf", opd)
        answers.append(answer)
    db.commit()
    if send:
        submit(db, assessment, answers, opd)
        db.commit()
    return answers


def _at_stage(db, world, stage: str) -> None:
    assessment = db.get(Assessment, world.assessments["a"].id)
    assessment.stage = stage
    db.add(assessment)
    db.commit()


def _version(db, answer: Answer) -> int:
    db.expire_all()
    return db.get(Answer, answer.id).version


def test_five_parallel_submits_of_one_answer_write_one_event_and_one_version(app, auth, db, world, scorer, catalogue):
    [answer] = _answered(db, app, world, scorer, _dinkes_codes(catalogue, 1), send=False)
    before = _version(db, answer)
    url = f"{world.base()}/isian/{answer.question_code}/kirim"
    statuses = at_once(app, auth, "opd_a", 5, lambda client, token: client.post(
        url, headers={"X-CSRF-Token": token, "HX-Request": "true"}).status_code)
    assert sorted(statuses) == [200, 422, 422, 422, 422]  # the others: "already submitted"
    assert _count(db, ReviewEvent, ReviewEvent.answer_id == answer.id, ReviewEvent.action == "submitted") == 1
    assert _audits(db, "answer.submit") == 1
    assert _version(db, answer) == before + 1
    assert db.get(Answer, answer.id).status == AnswerStatus.SUBMITTED


@pytest.mark.parametrize(("stage", "username"), [("dp3a", "dp3a_a"), ("province", "province")])
def test_a_double_clicked_decision_writes_one_event(app, auth, db, world, scorer, catalogue, stage, username):
    [answer] = _answered(db, app, world, scorer, _dinkes_codes(catalogue, 1), send=True)
    if stage == "province":
        _at_stage(db, world, "province")
    before = _version(db, answer)
    url = f"{world.base()}/verifikasi/{answer.question_code}"
    form = {"action": "approved", "note": "sudah sesuai", "score": "0,5"}

    def decide(client, token):
        return client.post(url, data=form, headers={"X-CSRF-Token": token}, follow_redirects=False).status_code

    assert at_once(app, auth, username, 3, decide) == [303, 303, 303]
    assert at_once(app, auth, username, 1, decide) == [303]  # and once more, after the others
    events = db.exec(select(ReviewEvent).where(ReviewEvent.answer_id == answer.id, ReviewEvent.stage == stage)).all()
    assert [(e.action, str(e.score), e.note) for e in events] == [("approved", "0.50", "sudah sesuai")]
    assert _audits(db, "review.approved") == 1
    assert _version(db, answer) == before + 1  # the answer's status follows the latest decision, at any stage
    # A different decision is not a repeat: it is written.
    form = {"action": "approved", "note": "sudah sesuai", "score": "0,25"}
    assert at_once(app, auth, username, 1, decide) == [303]
    assert _audits(db, "review.approved") == 2


def test_three_parallel_submissions_of_the_assessment_hand_it_over_once(app, auth, db, world, scorer, catalogue):
    assessment = world.assessments["a"]
    db.add_all([Answer(assessment_id=assessment.id, question_code=code, status=AnswerStatus.APPROVED,
                       option=best_answer(scorer, code).option, value=best_answer(scorer, code).value,
                       updated_by=world.users["opd_a"].id) for code in catalogue.questions])
    db.commit()
    revision = db.get(Assessment, assessment.id).revision
    url = f"{world.base()}/kirim-penilaian"
    responses = at_once(app, auth, "dp3a_a", 3, lambda client, token: client.post(
        url, headers={"X-CSRF-Token": token}, follow_redirects=False))
    assert [r.status_code for r in responses] == [303, 303, 303]
    assert {r.headers["location"].rsplit("/", 1)[1] for r in responses} == {"dasbor"}
    assert _audits(db, "assessment.submit") == 1
    stored = db.get(Assessment, assessment.id)
    assert stored.stage == "province" and stored.submitted_by == world.users["dp3a_a"].id
    assert stored.revision == revision + 1


def test_parallel_batch_approvals_approve_each_answer_once(app, auth, db, world, scorer, catalogue):
    answers = _answered(db, app, world, scorer, _dinkes_codes(catalogue, 4), send=True)
    before = {a.id: _version(db, a) for a in answers}
    codes = [a.question_code for a in answers]
    url = f"{world.base()}/verifikasi-massal"
    statuses = at_once(app, auth, "dp3a_a", 3, lambda client, token: client.post(
        url, data={"codes": list(reversed(codes)) if token[0] < "m" else codes}, headers={"X-CSRF-Token": token},
        follow_redirects=False).status_code)
    assert statuses == [303, 303, 303]
    for answer in answers:
        assert _count(db, ReviewEvent, ReviewEvent.answer_id == answer.id, ReviewEvent.action == "approved") == 1
        assert _version(db, answer) == before[answer.id] + 1
    assert _audits(db, "review.approved") == len(answers)


def test_a_double_clicked_reopening_opens_one_window(app, auth, db, world, scorer, catalogue):
    [answer] = _answered(db, app, world, scorer, _dinkes_codes(catalogue, 1), send=True)
    _at_stage(db, world, "province")
    url = f"{world.base()}/verifikasi/{answer.question_code}/buka"
    statuses = at_once(app, auth, "province", 3, lambda client, token: client.post(
        url, data={"hours": "48", "note": "lengkapi SK"}, headers={"X-CSRF-Token": token},
        follow_redirects=False).status_code)
    assert statuses == [303, 303, 303]
    assert _count(db, Reopening, Reopening.answer_id == answer.id) == 1
    assert _audits(db, "review.reopen") == 1


def test_a_file_attached_three_times_at_once_is_attached_once(app, auth, world, db, scorer, catalogue):
    """A double click on "Lampirkan" (reuse) and the same file uploaded again attach it once: the
    walk-through found the file listed twice on the card, for good."""
    from app.models import Evidence

    source_answer, target = _answered(db, app, world, scorer, _dinkes_codes(catalogue, 2), send=False)
    source = db.exec(select(Evidence).where(Evidence.answer_id == source_answer.id)).one()
    url = f"{world.base()}/isian/{target.question_code}/bukti-pakai"
    results = at_once(app, auth, "opd_a", 3, lambda client, token: client.post(
        url, data={"evidence_id": str(source.id)}, headers={"X-CSRF-Token": token, "HX-Request": "true"}))
    assert [r.status_code for r in results] == [200, 200, 200]
    copies = Evidence.answer_id == target.id, Evidence.sha256 == source.sha256
    assert _count(db, Evidence, *copies) == 1
    assert _audits(db, "evidence.reuse") == 1
    # Uploading the bytes it already holds (twice in one go) attaches nothing more, and says so.
    client = TestClient(app)
    token = auth.login(client, "opd_a")
    again = client.post(f"{world.base()}/isian/{target.question_code}/bukti",
                        files=[("files", ("lagi.pdf", sample_pdf(source_answer.question_code, "bukti"),
                                          "application/pdf")),
                               ("files", ("lagi-2.pdf", sample_pdf(source_answer.question_code, "bukti"),
                                          "application/pdf"))],
                        headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert again.status_code == 200
    assert _count(db, Evidence, *copies) == 1
    said = [(p.get("class"), p.text_content())
            for p in html.fragment_fromstring(again.text, create_parent="div").iter("p")]
    # Told alike: neither is "uploaded" (green) when nothing was attached now.
    assert said == [("error", "lagi.pdf sudah dilampirkan pada pertanyaan ini."),
                    ("error", "lagi-2.pdf sudah dilampirkan pada pertanyaan ini.")]
