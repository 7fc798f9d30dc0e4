"""Assessment.revision: every audited change bumps it, and the pages cached by it show a change at once,
also in another worker (another app on the same database)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import select

from app.factory import create_app
from app.models import Answer, Assessment, User
from app.services import audit
from app.services import review as review_service
from app.services.answers import AnswerInput, save_answer, submit
from scoring.samples import best_answer
from tests import html


def _user(db, username) -> User:
    return db.exec(select(User).where(User.username == username)).one()


def _revision(db, assessment) -> int:
    db.expire_all()
    return db.get(Assessment, assessment.id).revision


def _codes(catalogue, n):
    return [r.question.code for r in catalogue.iter_questions()
            if "DINKES" in r.question.agencies and r.question.max > 0][:n]


def test_audited_changes_bump_the_revision_of_their_kab_kota_only(world, db, scorer, catalogue):
    a, b = world.assessments["a"], world.assessments["b"]
    opd, dp3a = _user(db, "opd_a"), _user(db, "dp3a_a")
    code = _codes(catalogue, 1)[0]
    best = best_answer(scorer, code)
    steps = [
        lambda: (save_answer(db, a, code, AnswerInput(option=best.option, value=best.value), 0, opd, scorer),
                 db.commit()),
        lambda: (submit(db, a, db.exec(select(Answer).where(Answer.assessment_id == a.id)).all(), opd), db.commit()),
        lambda: (review_service.decide(db, a, db.exec(select(Answer).where(Answer.assessment_id == a.id)).one(),
                                       "dp3a", "approved", dp3a), db.commit()),
    ]
    other_before = _revision(db, b)
    for step in steps:
        before = _revision(db, a)
        step()
        assert _revision(db, a) == before + 1
    assert _revision(db, b) == other_before

    before = _revision(db, a)
    audit.record(db, dp3a, "user.login", "user", dp3a.id, regency_code=a.regency_code)
    db.commit()
    assert _revision(db, a) == before  # a login changes nothing the pages show


def test_a_change_in_one_worker_shows_at_once_in_another(app, settings, catalogue, world, db, scorer, auth):
    """Two apps on one database stand for two worker processes, each with its own caches."""
    other = create_app(settings, catalogue=catalogue)
    base = world.base()
    codes = _codes(catalogue, 2)
    opd = _user(db, "opd_a")
    for code in codes:
        best = best_answer(scorer, code)
        save_answer(db, world.assessments["a"], code, AnswerInput(option=best.option, value=best.value), 0, opd,
                    scorer)
    submit(db, world.assessments["a"], db.exec(select(Answer)).all(), opd)
    db.commit()
    with TestClient(app) as first, TestClient(other) as second:
        auth.login(first, "dp3a_a")
        token = auth.login(second, "dp3a_a")

        def verified_score() -> str:
            page = html.page(first.get(f"{base}/dasbor"))
            # The per-stage table (issue 22): the DP3A's points verified so far.
            return html.texts(page, "//table[contains(@class, 'stages')]//tr[contains(@class, 'stage-dp3a')]"
                                    "/td[contains(@class, 'key-figure')]")[0]

        def waiting() -> int:
            return len(html.page(first.get(f"{base}/verifikasi")).xpath("//a[contains(@href, '/verifikasi/')]"))

        assert verified_score() == "0,00" and waiting() == 2  # both now cached by the first worker
        decided = second.post(f"{base}/verifikasi/{codes[0]}",
                              data={"action": "approved", "csrf_token": token}, follow_redirects=False)
        assert decided.status_code == 303
        assert verified_score() != "0,00"
        assert waiting() == 1
    other.state.engine.dispose()
