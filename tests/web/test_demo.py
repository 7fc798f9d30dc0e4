"""The demo world follows the rules the app enforces: what the province decided is what the kab/kota
sees (issue 20, item 1), and a province return comes with the kab/kota's 2x24 h window to fix it."""

from __future__ import annotations

from sqlmodel import select

from app.models import Answer, AnswerStatus, Reopening, ReviewEvent, utcnow
from app.services.demo import build_demo


def test_the_provinces_decisions_in_the_demo_are_what_the_kab_kota_sees(db, catalogue, app):
    build_demo(db, catalogue, app.state.evidence)
    db.commit()
    last: dict[int, ReviewEvent] = {}
    for event in db.exec(select(ReviewEvent).where(ReviewEvent.stage == "province").order_by(ReviewEvent.id)):
        last[event.answer_id] = event
    assert {e.action for e in last.values()} == {"approved", "returned"}
    now = utcnow()
    windows = {r.answer_id for r in db.exec(select(Reopening)) if r.closed_at is None and r.until > now}
    for answer in db.exec(select(Answer).where(Answer.id.in_(list(last)))):
        decision = last[answer.id].action
        assert answer.status == AnswerStatus(decision), answer.question_code
        assert (answer.id in windows) == (decision == "returned"), answer.question_code
