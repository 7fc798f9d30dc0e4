"""Sensitive evidence (it can name child victims): who can list it, open it, and that each opening is logged."""

from __future__ import annotations

import io

import pytest
from sqlmodel import select

from app.models import Answer, AuditEntry, Evidence, User
from app.services import review as review_service
from app.services.answers import AnswerInput, save_answer
from app.services.demo import sample_pdf
from app.services.evidence import attach
from tests import html


@pytest.fixture
def sensitive(world, db, scorer, catalogue, app):
    """A sensitive question answered by Dinkes of A, with one file named after a (fictional) child."""
    code = next(c for c, ref in catalogue.questions.items()
                if ref.question.sensitive and "DINKES" in ref.question.agencies)
    opd = db.exec(select(User).where(User.username == "opd_a")).one()
    save_answer(db, world.assessments["a"], code, AnswerInput(note="kasus"), 0, opd, scorer)
    answer = db.exec(select(Answer).where(Answer.question_code == code)).one()
    stored = app.state.evidence.save_file(io.BytesIO(sample_pdf("Laporan kasus", "rahasia")))
    evidence = attach(db, world.assessments["a"], answer, stored, "visum-anak-budi.pdf", opd)
    db.commit()
    return code, evidence


def _submit(db, world, catalogue, scorer):
    dp3a = db.exec(select(User).where(User.username == "dp3a_a")).one()
    assessment = world.assessments["a"]
    existing = {a.question_code: a.version for a in db.exec(select(Answer).where(Answer.assessment_id == assessment.id))}
    for code in catalogue.questions:
        save_answer(db, assessment, code, AnswerInput(not_applicable=True, note="uji"), existing.get(code, 0), dp3a,
                    scorer)
    state = review_service.load_state(db, assessment)
    review_service.submit_assessment(db, assessment, review_service.check_submission(state, catalogue), dp3a)
    db.commit()


def test_the_agency_sees_a_count_and_the_reason_not_the_file(client, world, auth, sensitive):
    code, evidence = sensitive
    auth.login(client, "opd_a")
    card = client.get(f"{world.base()}/isian/{code}", headers={"HX-Request": "true"})
    assert "visum-anak-budi" not in card.text
    assert "1 berkas tersimpan" in html.text_of(html.page(card)) and "hanya DP3A dan verifikator" in html.text_of(html.page(card))
    # A file the agency may not open answers like one that does not exist (a guessed id learns nothing).
    refused = client.get(f"{world.base()}/bukti/{evidence.id}")
    missing = client.get(f"{world.base()}/bukti/{evidence.id + 1000}")
    assert refused.status_code == missing.status_code == 404 and refused.text == missing.text
    assert "visum-anak-budi" not in refused.text
    history = client.get(f"{world.base()}/riwayat/{code}")
    assert "visum-anak-budi" not in history.text


def test_sensitive_files_are_never_offered_for_reuse(client, world, auth, catalogue, sensitive):
    auth.login(client, "dp3a_a")
    other = next(c for c, ref in catalogue.questions.items() if not ref.question.sensitive)
    card = client.get(f"{world.base()}/isian/{other}", headers={"HX-Request": "true"})
    assert "visum-anak-budi" not in card.text


@pytest.mark.parametrize(
    ("username", "before", "after"),
    [
        ("dp3a_a", 200, 200),
        ("opd_a", 403, 403),
        ("province", 403, 200),
        ("admin", 403, 200),
        ("province_other", 403, 403),
        ("dp3a_b", 403, 403),
        ("opd_b", 403, 403),
    ],
)
def test_who_can_open_sensitive_evidence(make_client, world, auth, db, scorer, catalogue, sensitive,
                                         username, before, after):
    code, evidence = sensitive
    client = make_client()
    auth.login(client, username)
    urls = [f"{world.base()}/verifikasi-bukti/{evidence.id}"]
    if username in ("dp3a_a", "opd_a"):
        urls.append(f"{world.base()}/bukti/{evidence.id}")
    for url in urls:
        # The agency's own workspace answers "no such file" (404) rather than "not yours" (403).
        expected = 404 if username == "opd_a" and "/bukti/" in url else before
        assert client.get(url).status_code == expected, (url, "before submission")
    _submit(db, world, catalogue, scorer)
    got = client.get(urls[0])
    assert got.status_code == after, (urls[0], "after submission")
    logged = db.exec(select(AuditEntry).where(AuditEntry.action == "evidence.download",
                                              AuditEntry.entity_id == str(evidence.id))).all()
    opened = (before == 200) * len(urls) + (after == 200)
    assert len(logged) == opened
    if opened:
        user = db.exec(select(User).where(User.username == username)).one()
        assert {entry.user_id for entry in logged} == {user.id}
    assert Evidence


def test_the_agency_is_told_a_sensitive_question_still_needs_its_file(client, world, auth, catalogue):
    code = next(c for c, ref in catalogue.questions.items()
                if ref.question.sensitive and ref.question.evidence.required and "DINKES" in ref.question.agencies)
    auth.login(client, "opd_a")
    card = client.get(f"{world.base()}/isian/{code}", headers={"HX-Request": "true"})
    required = html.one(html.page(card), "//strong[normalize-space()='Pertanyaan ini wajib disertai bukti dukung.']")
    assert "0 berkas tersimpan. Pertanyaan ini wajib disertai bukti dukung." in html.text_of(required.getparent())


def _at_stage(db, world, stage):
    from app.models import Assessment

    db.expire_all()
    row = db.get(Assessment, world.assessments["a"].id)
    row.stage = stage
    row.revision += 1
    db.add(row)
    db.commit()


def test_the_field_team_opens_sensitive_evidence_at_field_only(make_client, world, auth, db, scorer, catalogue,
                                                              sensitive):
    """The field team verifies the sensitive questions too: a verifier on the team of A opens their files on
    the review desk once field verification has started; one not on the team, or before FIELD, is refused."""
    from tests.conftest import season_team

    code, evidence = sensitive
    _submit(db, world, catalogue, scorer)
    season_team(world, db, "a", "verifier")
    on_team, outsider = make_client(), make_client()
    auth.login(on_team, "verifier")
    auth.login(outsider, "verifier_other")
    url = f"{world.base()}/verifikasi-bukti/{evidence.id}"

    _at_stage(db, world, "ministry")
    assert on_team.get(url).status_code == 403  # before field verification: not yet the team's

    _at_stage(db, world, "field")
    opened = on_team.get(url)
    assert opened.status_code == 200 and opened.content.startswith(b"%PDF")
    desk = on_team.get(f"{world.base()}/verifikasi/{code}")
    assert desk.status_code == 200 and "visum-anak-budi" in desk.text
    assert outsider.get(url).status_code == 403
    verifier = db.exec(select(User).where(User.username == "verifier")).one()
    logged = db.exec(select(AuditEntry).where(AuditEntry.action == "evidence.download",
                                              AuditEntry.entity_id == str(evidence.id))).all()
    assert [entry.user_id for entry in logged] == [verifier.id]
