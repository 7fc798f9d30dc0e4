"""A kab/kota's season timeline: stage changes in order with who and when (WIB), decisions per stage,
reopenings, field schedule and activities (never a finding's text), the award and the publication."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from app.models import (
    ActivityKind,
    Answer,
    AnswerStatus,
    Award,
    Cycle,
    FieldActivity,
    FieldSchedule,
    Finding,
    Reopening,
    ReviewAction,
    ReviewEvent,
    StageChange,
)
from scoring import Move, Stage
from tests import html
from tests.conftest import season_team

T0 = datetime(2024, 6, 3, 2, 0, tzinfo=UTC)  # 09:00 WIB


def _season(db, world, catalogue) -> None:
    """Region A through the season up to final verification, every row written directly."""
    users = world.users
    assessment = world.assessments["a"]
    assessment.stage = Stage.FINAL
    db.add(assessment)
    codes = [q for q in list(catalogue.questions)[:3]]
    answers = [Answer(assessment_id=assessment.id, question_code=code, option=None, status=AnswerStatus.APPROVED)
               for code in codes]
    db.add_all(answers)
    db.flush()
    moves = [  # deliberately added out of order: the page orders by time
        (Move.HAND_ON, Stage.PROVINCE, Stage.MINISTRY, "province", T0 + timedelta(days=5), ""),
        (Move.SUBMIT, Stage.SELF, Stage.PROVINCE, "dp3a_a", T0, ""),
        (Move.SEND_BACK, Stage.MINISTRY, Stage.PROVINCE, "reviewer", T0 + timedelta(days=7), "Bukti SK belum lengkap"),
        (Move.HAND_ON, Stage.PROVINCE, Stage.MINISTRY, "province", T0 + timedelta(days=9), ""),
        (Move.TO_FIELD, Stage.MINISTRY, Stage.FIELD, "admin", T0 + timedelta(days=12), ""),
        (Move.TO_FINAL, Stage.FIELD, Stage.FINAL, "admin", T0 + timedelta(days=20), ""),
    ]
    for move, start, end, who, at, note in moves:
        db.add(StageChange(assessment_id=assessment.id, move=move, from_stage=start, to_stage=end,
                           user_id=users[who].id, at=at, note=note))
    events = [
        (answers[0], Stage.PROVINCE, ReviewAction.APPROVED, "province", T0 + timedelta(days=1)),
        (answers[1], Stage.PROVINCE, ReviewAction.RETURNED, "province", T0 + timedelta(days=2)),
        (answers[1], Stage.PROVINCE, ReviewAction.APPROVED, "province", T0 + timedelta(days=4)),
        (answers[0], Stage.MINISTRY, ReviewAction.APPROVED, "reviewer", T0 + timedelta(days=6)),
        (answers[1], Stage.MINISTRY, ReviewAction.APPROVED, "admin", T0 + timedelta(days=10)),
        (answers[0], Stage.SELF, ReviewAction.SUBMITTED, "dp3a_a", T0 - timedelta(days=1)),  # not a decision
    ]
    for answer, stage, action, who, at in events:
        db.add(ReviewEvent(answer_id=answer.id, stage=stage, action=action, user_id=users[who].id, at=at))
    db.add(Reopening(answer_id=answers[1].id, stage=Stage.PROVINCE, until=T0 + timedelta(days=4),
                     opened_by=users["province"].id, opened_at=T0 + timedelta(days=2), note="Perbaiki dokumen"))
    db.add(FieldSchedule(assessment_id=assessment.id, starts_on=date(2024, 6, 17), ends_on=date(2024, 6, 19),
                         scheduled_by=users["admin"].id, scheduled_at=T0 + timedelta(days=11)))
    db.add(FieldActivity(assessment_id=assessment.id, on=date(2024, 6, 18), kind=ActivityKind.CHILD_INTERVIEW,
                         place="Forum Anak Kota", note="catatan lapangan", created_by=users["admin"].id))
    db.add(FieldActivity(assessment_id=assessment.id, on=date(2024, 6, 17), kind=ActivityKind.SITE_VISIT,
                         place="Puskesmas", created_by=users["admin"].id))
    db.add(Finding(assessment_id=assessment.id, indicator_code="1", text="RAHASIA nama anak korban", sensitive=True,
                   created_by=users["admin"].id))
    db.add(Award(assessment_id=assessment.id, total=Decimal("652.10"), band_category="madya", category="madya",
                 decided_by=users["admin"].id, decided_at=T0 + timedelta(days=21)))
    db.commit()


def test_timeline_in_order_with_who_and_when(client, auth, world, db, catalogue):
    _season(db, world, catalogue)
    auth.login(client, "admin")
    response = client.get(f"{world.base('a')}/linimasa")
    assert response.status_code == 200
    tree = html.page(response)
    assert html.attrs(tree, "//ol[@id='moves']/li/@data-move") == [
        "submit", "hand_on", "send_back", "hand_on", "to_field", "to_final"]
    first = html.text_of(tree, "//ol[@id='moves']/li[1]")
    assert "03-06-2024 09:00 WIB" in first and "Dp3A A" in first
    send_back = html.text_of(tree, "//ol[@id='moves']/li[3]")
    assert "Reviewer" in send_back and "Bukti SK belum lengkap" in send_back
    assert "10-06-2024 09:00 WIB" in send_back

    # decisions per stage: counts, first and last, by whom (a submission is no decision)
    assert html.attrs(tree, "//table[@id='decisions']//tbody/tr/@data-stage") == ["province", "ministry"]
    province = "//table[@id='decisions']//tr[@data-stage='province']"
    assert html.text_of(tree, f"{province}/td[@data-column='approved']") == "2"
    assert html.text_of(tree, f"{province}/td[@data-column='returned']") == "1"
    row = html.text_of(tree, province)
    assert "04-06-2024 09:00 WIB" in row and "07-06-2024 09:00 WIB" in row and "Province (provinsi): 3" in row
    ministry = html.text_of(tree, "//table[@id='decisions']//tr[@data-stage='ministry']")
    assert "Reviewer (" in ministry and ": 1" in ministry and "Admin (" in ministry

    reopen = html.text_of(tree, "//ul[@id='reopenings']")
    assert "05-06-2024 09:00 WIB" in reopen and "Province" in reopen and "Perbaiki" not in reopen

    field = html.text_of(tree, "//div[@id='field']")
    assert "17-06-2024" in field and "19-06-2024" in field
    assert html.attrs(tree, "//ul[@id='activities']/li/@data-kind") == ["site_visit", "child_interview"]
    # never a finding's text, nor an activity's note or place
    page_text = html.text_of(tree)
    for secret in ("RAHASIA", "catatan lapangan", "Forum Anak Kota", "Puskesmas"):
        assert secret not in page_text

    award = html.text_of(tree, "//div[@id='award']")
    assert "Madya" in award and "24-06-2024 09:00 WIB" in award and "Admin" in award


def test_award_category_waits_for_publication_outside_the_ministry(make_client, auth, world, db, catalogue):
    _season(db, world, catalogue)
    dp3a = make_client()
    auth.login(dp3a, "dp3a_a")
    award = html.text_of(html.page(dp3a.get(f"{world.base('a')}/linimasa")), "//div[@id='award']")
    assert "Madya" not in award and str(world.year) in award  # "not yet published"
    reviewer = make_client()
    auth.login(reviewer, "reviewer")
    assert "Madya" in html.text_of(html.page(reviewer.get(f"{world.base('a')}/linimasa")), "//div[@id='award']")

    cycle = db.get(Cycle, world.assessments["a"].cycle_id)
    cycle.published_at = T0 + timedelta(days=30)
    db.add(cycle)
    db.commit()
    award = html.text_of(html.page(dp3a.get(f"{world.base('a')}/linimasa")), "//div[@id='award']")
    assert "Madya" in award and "03-07-2024 09:00 WIB" in award


def test_an_empty_season(client, auth, world):
    auth.login(client, "dp3a_a")
    tree = html.page(client.get(f"{world.base('a')}/linimasa"))
    assert not tree.xpath("//ol[@id='moves']") and not tree.xpath("//table[@id='decisions']")
    # the kab/kota menu links the timeline
    assert f"{world.base('a')}/linimasa" in html.attrs(tree, "//nav[@class='subnav']//a/@href")


def test_who_sees_the_timeline(make_client, auth, world, db):
    url = f"{world.base('a')}/linimasa"
    season_team(world, db, "a", "verifier")

    def statuses() -> dict[str, int]:
        found = {}
        for user in ("admin", "province", "province_other", "reviewer", "reviewer_other", "verifier",
                     "verifier_other", "dp3a_a", "opd_a", "dp3a_b"):
            client = make_client()
            auth.login(client, user)
            found[user] = client.get(url).status_code
        return found

    allowed = {user for user, status in statuses().items() if status == 200}
    assert allowed == {"dp3a_a"}  # before submission: the kab/kota's own
    assessment = world.assessments["a"]
    assessment.stage = Stage.FIELD
    db.add(assessment)
    db.commit()
    allowed = {user for user, status in statuses().items() if status == 200}
    assert allowed == {"admin", "province", "reviewer", "verifier", "dp3a_a"}
