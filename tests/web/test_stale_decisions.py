"""Issue 22 fixes: a stage's decision that the queue treats as superseded (re-submitted since a return,
changed since an approval) no longer counts in the stage's scores: the answer is undecided there again,
and the scores agree with the queue and the hand-on/to-field checks."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from app.models import Answer, Assessment
from app.services import review as review_service
from app.services.answers import AnswerInput, save_answer, submit
from app.services.field.planning import start_problems
from app.services.review.moves import province_waiting
from app.services.stage_scores import season_of
from scoring import ReviewStatus, Stage
from scoring.samples import best_answer
from tests.web.test_ministry_review import _answered, _codes, _reason, _user


def _fresh(db, world) -> Assessment:
    db.expire_all()
    return db.get(Assessment, world.assessments["a"].id)


def _decide_all(db, world, answers, stage, username, catalogue, action="approved"):
    assessment, user = _fresh(db, world), _user(db, username)
    for answer in answers:
        extra = {"reasons": [_reason(catalogue)], "note": "Lengkapi SK"} if action == "returned" else {}
        review_service.decide(db, assessment, db.get(Answer, answer.id), stage, action, user, **extra)
    db.commit()


def _fix(db, world, scorer, answer):
    """The kab/kota changes a returned answer (in its reopening window) and sends it again."""
    assessment, opd = _fresh(db, world), _user(db, "opd_a")
    row = db.get(Answer, answer.id)
    best = best_answer(scorer, row.question_code)
    save_answer(db, assessment, row.question_code,
                AnswerInput(option=best.option, value=best.value, note="diperbaiki"), row.version, opd, scorer)
    row = db.exec(select(Answer).where(Answer.id == answer.id)).one()
    assert submit(db, assessment, [row], opd) == 1
    db.commit()


def _set_stage(db, world, stage):
    row = _fresh(db, world)
    row.stage = stage
    row.revision += 1
    db.add(row)
    db.commit()


def test_a_returned_and_fixed_answer_is_undecided_not_zero(db, app, world, scorer, catalogue):
    answers = _answered(db, app, world, scorer, _codes(catalogue, 2), stage="province")
    _decide_all(db, world, answers, Stage.PROVINCE, "province", catalogue)
    _decide_all(db, world, answers[:1], Stage.PROVINCE, "province", catalogue, action="returned")
    state = review_service.load_state(db, _fresh(db, world))
    assert state.verdicts(Stage.PROVINCE)[answers[0].question_code].status is ReviewStatus.RETURNED
    assert season_of(scorer, state).totals[Stage.PROVINCE].undecided == 0  # returned, not yet fixed: decided, 0

    _fix(db, world, scorer, answers[0])
    state = review_service.load_state(db, _fresh(db, world))
    verdicts = state.verdicts(Stage.PROVINCE)
    assert verdicts[answers[0].question_code].status is ReviewStatus.WAITING
    assert verdicts[answers[1].question_code].status is ReviewStatus.APPROVED
    total = season_of(scorer, state).totals[Stage.PROVINCE]
    assert (total.undecided, total.complete) == (1, False)
    assert province_waiting(state, catalogue) == total.undecided  # the hand-on check agrees


def test_after_a_send_back_the_ministry_approvals_on_changed_answers_do_not_stand(db, app, world, scorer, catalogue):
    answers = _answered(db, app, world, scorer, _codes(catalogue, 2), stage="province")
    _decide_all(db, world, answers, Stage.PROVINCE, "province", catalogue)
    _set_stage(db, world, Stage.MINISTRY)
    _decide_all(db, world, answers, Stage.MINISTRY, "reviewer", catalogue)
    assert season_of(scorer, review_service.load_state(db, _fresh(db, world))).totals[Stage.MINISTRY].complete

    # Sent back: the province returns one answer, the kab/kota fixes it, the province approves the fix.
    _set_stage(db, world, Stage.PROVINCE)
    _decide_all(db, world, answers[:1], Stage.PROVINCE, "province", catalogue, action="returned")
    _fix(db, world, scorer, answers[0])
    _decide_all(db, world, answers[:1], Stage.PROVINCE, "province", catalogue)
    _set_stage(db, world, Stage.MINISTRY)

    state = review_service.load_state(db, _fresh(db, world))
    ministry = state.verdicts(Stage.MINISTRY)
    assert ministry[answers[0].question_code].status is ReviewStatus.WAITING
    assert ministry[answers[1].question_code].status is ReviewStatus.APPROVED
    totals = season_of(scorer, state).totals
    assert totals[Stage.PROVINCE].complete
    assert (totals[Stage.MINISTRY].undecided, totals[Stage.MINISTRY].complete) == (1, False)
    # The queue and the to-field check say the same.
    assert len(review_service.queue(state, catalogue, Stage.MINISTRY, status="waiting")) == 1
    assert start_problems(db, _fresh(db, world), catalogue)[0].endswith(": 1.")
    # The DP3A cannot decide again: the fixed answer stays undecided there (see `ReviewState.verdicts`).
    assert answers[0].question_code not in state.verdicts(Stage.DP3A) or \
        state.verdicts(Stage.DP3A)[answers[0].question_code].status is ReviewStatus.WAITING


def test_an_earlier_approval_on_a_changed_answer_no_longer_caps_the_score(db, app, world, scorer, catalogue):
    """The province approved with a lower figure; the ministry returned the answer and the kab/kota
    fixed it: the province's figure is superseded, so the ministry may give up to the self-assessed points."""
    [answer] = _answered(db, app, world, scorer, _codes(catalogue, 1), stage="province")
    row = db.get(Answer, answer.id)
    full = review_service.score_ceiling(db, scorer, row, Stage.PROVINCE)
    assert full > 0
    review_service.decide(db, _fresh(db, world), row, Stage.PROVINCE, "approved", _user(db, "province"),
                          score=Decimal(0), scorer=scorer)
    db.commit()
    _set_stage(db, world, Stage.MINISTRY)
    assert review_service.score_ceiling(db, scorer, db.get(Answer, answer.id), Stage.MINISTRY) == 0
    _decide_all(db, world, [answer], Stage.MINISTRY, "reviewer", catalogue, action="returned")
    _fix(db, world, scorer, answer)
    assert review_service.score_ceiling(db, scorer, db.get(Answer, answer.id), Stage.MINISTRY) == full
    state = review_service.load_state(db, _fresh(db, world))
    assert state.verdicts(Stage.PROVINCE)[answer.question_code].status is ReviewStatus.WAITING
