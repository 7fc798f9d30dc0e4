"""Final verification (issue 22): the national team's final figure per question. A change from the
field standing needs a written reason, a figure above it is refused, unchanged defaults write
nothing; after publication everything is read-only. Pages are read as parsed HTML."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from app.i18n import format_cents
from app.models import Answer, Assessment, AuditEntry, Award, Cycle, ReviewEvent, User, utcnow
from app.services.answers import AnswerInput, save_answer
from scoring import Stage, from_cents
from scoring.samples import best_answer
from tests import html

WHO = {"a": "dp3a_a", "b": "dp3a_b", "c": "admin"}


def user_of(db, username) -> User:
    return db.exec(select(User).where(User.username == username)).one()


def answer_codes(scorer, catalogue, *, up_to_cents: int | None = None, n: int | None = None) -> list[str]:
    """Questions worth points, in catalogue order: the first `n`, or as many as reach `up_to_cents`
    self-assessed points with their best answers."""
    codes, total = [], 0
    for code in catalogue.questions:
        points = scorer.question_points(code, best_answer(scorer, code))
        if points <= 0:
            continue
        codes.append(code)
        total = scorer.score({c: best_answer(scorer, c) for c in codes}).total
        if (n is not None and len(codes) >= n) or (up_to_cents is not None and total >= up_to_cents):
            break
    return codes


def at_final(db, world, scorer, which: str, codes: list[str], *, ministry: dict[str, str] | None = None,
             field: dict[str, tuple[str, str | None]] | None = None) -> Assessment:
    """Kab/kota `which` answers `codes` (best answers) and stands at FINAL: the province and the
    ministry approved every answer (`ministry`: a lower figure for some), the field team decided
    `field` (code -> (action, score))."""
    assessment = db.get(Assessment, world.assessments[which].id)
    user = user_of(db, WHO[which])
    for code in codes:
        best = best_answer(scorer, code)
        save_answer(db, assessment, code, AnswerInput(option=best.option, value=best.value), 0, user, scorer)
    db.flush()
    admin, province = user_of(db, "admin"), user_of(db, "province")
    for answer in db.exec(select(Answer).where(Answer.assessment_id == assessment.id)).all():
        db.add(ReviewEvent(answer_id=answer.id, stage=Stage.PROVINCE, action="approved", user_id=province.id))
        score = (ministry or {}).get(answer.question_code)
        db.add(ReviewEvent(answer_id=answer.id, stage=Stage.MINISTRY, action="approved", user_id=admin.id,
                           score=Decimal(score) if score is not None else None))
        if field and answer.question_code in field:
            action, figure = field[answer.question_code]
            db.add(ReviewEvent(answer_id=answer.id, stage=Stage.FIELD, action=action, user_id=admin.id,
                               score=Decimal(figure) if figure is not None else None))
        answer.status = "approved"
        db.add(answer)
    assessment.stage = Stage.FINAL
    assessment.revision += 1  # the review state is cached per revision
    db.add(assessment)
    db.commit()
    return assessment


def final_events(db, assessment) -> list[ReviewEvent]:
    return db.exec(select(ReviewEvent).join(Answer, Answer.id == ReviewEvent.answer_id)
                   .where(Answer.assessment_id == assessment.id, ReviewEvent.stage == Stage.FINAL)).all()


def points_of(scorer, code) -> Decimal:
    return from_cents(scorer.question_points(code, best_answer(scorer, code)))


def test_final_page_lists_answers_with_each_stage(client, auth, world, db, scorer, catalogue):
    codes = answer_codes(scorer, catalogue, n=3)
    at_final(db, world, scorer, "a", codes, ministry={codes[0]: "0.5"}, field={codes[1]: ("returned", None)})
    auth.login(client, "admin")
    response = client.get(f"{world.base('a')}/final")
    assert response.status_code == 200
    tree = html.page(response)
    row = html.one(tree, f"//tr[td[contains(@class,'name')][starts-with(normalize-space(), '{codes[0]}')]]")
    cells = html.texts(row, "./td")
    assert cells[3] == "0,50" and cells[4] == "0,50"  # the ministry lowered it; the field kept it
    assert html.one(tree, f"//input[@name='figure:{codes[0]}']").get("value") == "0,50"
    assert html.one(tree, f"//input[@name='figure:{codes[1]}']").get("value") == "0,00"  # returned in the field
    final_total = 50 + scorer.question_points(codes[2], best_answer(scorer, codes[2]))  # 0.50 + 0 + the third
    assert format_cents(final_total, language="id") in html.text_of(tree, "//p[@class='lead']")
    # The menu of the kab/kota links here for the ministry.
    assert tree.xpath("//nav[@class='subnav']//a[contains(@href, '/final')]")


def test_a_lower_figure_needs_a_reason_and_is_recorded(client, auth, world, db, scorer, catalogue):
    codes = answer_codes(scorer, catalogue, n=2)
    assessment = at_final(db, world, scorer, "a", codes)
    indicator = catalogue.questions[codes[0]].indicator.code
    token = auth.login(client, "admin")
    url = f"{world.base('a')}/final"
    refused = client.post(url, data={"csrf_token": token, "indicator": indicator, f"figure:{codes[0]}": "0"})
    assert refused.status_code == 422
    assert html.text_of(html.page(refused), "//p[@role='alert']")  # says why
    assert html.one(html.page(refused), f"//input[@name='figure:{codes[0]}']").get("value") == "0"  # kept as typed
    assert final_events(db, assessment) == []

    saved = client.post(url, data={"csrf_token": token, "indicator": indicator, f"figure:{codes[0]}": "0",
                                   "reason": "SK tidak dilegalisasi"}, follow_redirects=False)
    assert saved.status_code == 303
    events = final_events(db, assessment)
    assert [(e.action, Decimal(e.score), e.note) for e in events] == [("approved", Decimal("0.00"),
                                                                       "SK tidak dilegalisasi")]
    page = html.page(client.get(url))
    assert html.one(page, f"//input[@name='figure:{codes[0]}']").get("value") == "0,00"
    assert "SK tidak dilegalisasi" in html.text_of(page, "//tr[contains(@class,'final-reason')]")
    # The same figures again: nothing new.
    again = client.post(url, data={"csrf_token": token, "indicator": indicator, f"figure:{codes[0]}": "0,00",
                                   "reason": "SK tidak dilegalisasi"}, follow_redirects=False)
    assert again.status_code == 303 and len(final_events(db, assessment)) == 1
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "review.approved")).all()


def test_unchanged_defaults_write_nothing_and_above_the_standing_is_refused(client, auth, world, db, scorer,
                                                                           catalogue):
    codes = answer_codes(scorer, catalogue, n=2)
    assessment = at_final(db, world, scorer, "a", codes, field={codes[0]: ("approved", "0.25")})
    token = auth.login(client, "admin")
    url = f"{world.base('a')}/final"
    page = html.page(client.get(url))
    defaults = {f"figure:{c}": html.one(page, f"//input[@name='figure:{c}']").get("value") for c in codes}
    assert defaults[f"figure:{codes[0]}"] == "0,25"  # the field standing, not the self-assessed points
    indicator = catalogue.questions[codes[0]].indicator.code
    response = client.post(url, data={"csrf_token": token, "indicator": indicator, **defaults}, follow_redirects=False)
    assert response.status_code == 303 and final_events(db, assessment) == []
    # Higher than the field standing (the self-assessed points): refused even with a reason.
    higher = str(points_of(scorer, codes[0]))
    refused = client.post(url, data={"csrf_token": token, "question": codes[0], f"figure:{codes[0]}": higher,
                                     "reason": "dokumen asli sudah diperiksa"})
    assert refused.status_code == 422
    assert "0,25" in html.text_of(html.page(refused), "//p[@role='alert']")
    assert final_events(db, assessment) == []
    bad = client.post(url, data={"csrf_token": token, "question": codes[0], f"figure:{codes[0]}": "abc"})
    assert bad.status_code == 422 and final_events(db, assessment) == []


def test_final_is_closed_before_final_and_frozen_after_publication(client, auth, world, db, scorer, catalogue):
    codes = answer_codes(scorer, catalogue, n=1)
    assessment = at_final(db, world, scorer, "a", codes)
    token = auth.login(client, "admin")
    url = f"{world.base('a')}/final"
    cycle = db.get(Cycle, assessment.cycle_id)
    cycle.published_at, cycle.published_by = utcnow(), user_of(db, "admin").id
    db.add(cycle)
    db.commit()
    page = html.page(client.get(url))
    assert not page.xpath("//input[starts-with(@name, 'figure:')]")  # read-only
    refused = client.post(url, data={"csrf_token": token, "question": codes[0], f"figure:{codes[0]}": "0",
                                     "reason": "x"})
    assert refused.status_code == 409 and final_events(db, assessment) == []
    assert db.exec(select(Award)).all() == []


def test_final_before_field_has_closed(client, auth, world, db):
    assessment = db.get(Assessment, world.assessments["a"].id)
    assessment.stage = Stage.FIELD
    db.add(assessment)
    db.commit()
    token = auth.login(client, "admin")
    page = html.page(client.get(f"{world.base('a')}/final"))
    assert html.text_of(page, "//p[@class='note']")
    response = client.post(f"{world.base('a')}/final", data={"csrf_token": token, "question": "x"})
    assert response.status_code == 409
