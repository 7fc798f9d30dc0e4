"""Odd input gets a message, never a 500: ids past the database's integer, Unicode digits, dates
before year 1 in UTC, numbers like 1e400, scores above what the answer is worth, and the review
page opened twice at once."""

from __future__ import annotations

import io
import threading
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from lxml import html
from sqlmodel import select

from app.models import Answer, AnswerStatus, ReviewEvent, Seen
from app.refusals import Refusal
from app.services.answers import AnswerInput, save_answer, scored, submit
from app.services.demo import sample_pdf
from app.services.evidence import attach
from scoring import format_points
from tests.web.test_error_pages import indonesian


def _headers(token: str, htmx: bool = True) -> dict:
    return {"X-CSRF-Token": token, **({"HX-Request": "true"} if htmx else {})}


def _question(catalogue, kind: str) -> str:
    return next(r.question.code for r in catalogue.iter_questions()
                if "DINKES" in r.question.agencies and r.question.max > 0
                and catalogue.scales[r.question.scale].kind == kind)


@pytest.fixture
def browser(app):
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _submitted(db, world, scorer, catalogue, app, code: str, given: AnswerInput) -> Answer:
    """An answer of A's Dinkes with a file, submitted to the DP3A."""
    opd = world.users["opd_a"]
    save_answer(db, world.assessments["a"], code, given, 0, opd, scorer)
    answer = db.exec(select(Answer).where(Answer.question_code == code)).one()
    stored = app.state.evidence.save_file(io.BytesIO(sample_pdf(code, "bukti")))
    attach(db, world.assessments["a"], answer, stored, "bukti.pdf", opd)
    submit(db, world.assessments["a"], [answer], opd)
    db.commit()
    return answer


# -- item 5: ids, Unicode digits, dates ---------------------------------------------------------------


def test_an_evidence_id_past_the_database_integer_is_no_file(browser, world, auth, catalogue):
    token = auth.login(browser, "opd_a")
    url = f"{world.base()}/isian/{_question(catalogue, 'options')}"
    for odd in (str(2**63), str(2**31), "-" + str(2**63 + 1), "²", "9" * 5000):
        response = browser.post(f"{url}/bukti-pakai", data={"evidence_id": odd}, headers=_headers(token))
        assert response.status_code == 404, odd
        assert browser.post(f"{url}/bukti/{odd}/hapus", headers=_headers(token)).status_code == 404, odd


def test_an_agency_written_in_unicode_digits_is_refused_with_a_message(browser, world, auth, db):
    token = auth.login(browser, "dp3a_a")
    base = f"{world.base()}/kelola"
    for odd in ("²", "١", str(2**63)):
        response = browser.post(f"{base}/akun", headers=_headers(token, htmx=False), data={
            "username": "budi.dinkes", "full_name": "Budi", "role": "opd", "agency_id": odd})
        assert response.status_code == 422, odd
        page = html.fromstring(response.text)
        assert page.xpath("string(//*[@id='agency_id-error'])").strip() or \
            indonesian("Choose an active agency of this kab/kota.") in page.text_content()
        toggle = browser.post(f"{base}/penugasan", headers=_headers(token),
                              data={"question": "1.1", "agency_id": odd, "assigned": "1"})
        assert toggle.status_code == 422, odd
        assert indonesian("Choose a question and an agency.") in html.fromstring(toggle.text).text_content()


@pytest.mark.parametrize("deadline", ["0001-01-01T00:00", "0001-01-01", "9999-12-31T23:59", "2024-02-30T10:00"])
def test_a_deadline_outside_any_sensible_time_is_refused_with_a_message(browser, world, auth, db, deadline):
    token = auth.login(browser, "dp3a_a")
    response = browser.post(f"{world.base()}/kelola/jendela", headers=_headers(token, htmx=False),
                            data={"open": "1", "closes_at": deadline})
    assert response.status_code == 422
    page = html.fromstring(response.text)
    assert page.xpath("string(//p[@id='window-error'])") == indonesian("The deadline is not a valid date and time.")
    db.expire_all()
    assert db.get(type(world.assessments["a"]), world.assessments["a"].id).window_closes_at is None


def test_the_review_page_opened_twice_at_once_marks_it_seen_once(app, world, auth, db, scorer, catalogue):
    answer = _submitted(db, world, scorer, catalogue, app, _question(catalogue, "options"),
                        AnswerInput(option="dilaksanakan"))
    clients = [TestClient(app, raise_server_exceptions=False) for _ in range(4)]
    for client in clients:
        client.__enter__()
        auth.login(client, "dp3a_a")
    url = f"{world.base()}/verifikasi/{answer.question_code}"
    try:
        for _round in range(5):  # a race: several tries, each from no row at all
            for seen in db.exec(select(Seen)).all():
                db.delete(seen)
            db.commit()
            barrier = threading.Barrier(len(clients))
            statuses: list[int] = []

            def look(client, barrier=barrier, statuses=statuses):
                barrier.wait()
                statuses.append(client.get(url).status_code)

            threads = [threading.Thread(target=look, args=(c,)) for c in clients]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert statuses == [200] * len(clients)
            db.expire_all()
            assert len(db.exec(select(Seen).where(Seen.answer_id == answer.id)).all()) == 1
    finally:
        for client in clients:
            client.__exit__(None, None, None)


# -- item 6: numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("odd", ["1e400", "Infinity", "NaN", "-1e400", "2000000", "1e7", "9" * 5000])
def test_absurd_numbers_are_refused_with_a_message_and_nothing_is_saved(browser, world, auth, catalogue, db, odd):
    token = auth.login(browser, "opd_a")
    code = _question(catalogue, "number")
    response = browser.post(f"{world.base()}/isian/{code}", data={"version": "0", "value": odd},
                            headers=_headers(token))
    assert response.status_code == 422, response.text
    message = html.fragment_fromstring(response.text).text_content()
    assert message and message in {
        indonesian("'%(value)s' is not a number. Write digits, e.g. 87.5.") % {"value": odd[:40]},
        indonesian("The value must be %(limit)s.") % {"limit": indonesian("0 or more")},
        indonesian("%(value)s is too large: at most %(max)s.") % {"value": odd[:40], "max": "1.000.000"},
    }
    assert db.exec(select(Answer).where(Answer.question_code == code)).first() is None


@pytest.mark.parametrize(("kind", "typed", "kept"), [("number", "1000000", "1000000"), ("number", "12,0", "12"),
                                                     ("percent", "87,555", "87.56"), ("percent", "0.001", "0")])
def test_a_count_up_to_a_million_and_a_percentage_to_two_decimals_are_kept(
        browser, world, auth, catalogue, db, kind, typed, kept):
    token = auth.login(browser, "opd_a")
    code = _question(catalogue, kind)
    response = browser.post(f"{world.base()}/isian/{code}", data={"version": "0", "value": typed},
                            headers=_headers(token))
    assert response.status_code == 200, response.text
    stored = db.exec(select(Answer).where(Answer.question_code == code)).one()
    assert Decimal(stored.value) == Decimal(kept)


@pytest.mark.parametrize("typed", ["12,5", "0.00001", "87.5"])
def test_a_count_is_a_whole_number(browser, world, auth, catalogue, db, typed):
    """Every number scale counts something (institutions, people, cases): 12,5 people is refused."""
    token = auth.login(browser, "opd_a")
    code = _question(catalogue, "number")
    response = browser.post(f"{world.base()}/isian/{code}", data={"version": "0", "value": typed},
                            headers=_headers(token))
    assert response.status_code == 422, response.text
    unit = catalogue.scales[catalogue.questions[code].question.scale].unit
    assert html.fragment_fromstring(response.text).text_content() == (
        indonesian("Write a whole number: %(value)s %(unit)s cannot be counted.") % {"value": typed, "unit": unit})
    assert db.exec(select(Answer).where(Answer.question_code == code)).first() is None


def test_the_service_refuses_an_overflowing_number_whoever_calls_it(world, db, scorer, catalogue):
    with pytest.raises(Refusal) as refused:
        save_answer(db, world.assessments["a"], _question(catalogue, "number"),
                    AnswerInput(value=Decimal("1e400")), 0, world.users["opd_a"], scorer)
    assert refused.value.code == "out_of_range"


def _decide(client, token, world, code, score: str):
    return client.post(f"{world.base()}/verifikasi/{code}", headers=_headers(token, htmx=False),
                       data={"action": "approved", "score": score, "note": ""}, follow_redirects=False)


def _score_message(limit: str) -> str:
    return indonesian("The score can be at most %(max)s: the self-assessed points of this answer, or the score "
                      "the previous stage approved it with.") % {"max": limit}


def test_a_reviewers_score_is_bounded_by_the_answers_points_and_the_stage_before(
    make_client, world, auth, db, scorer, catalogue, app
):
    code = _question(catalogue, "options")
    answer = _submitted(db, world, scorer, catalogue, app, code, AnswerInput(option="se_sk"))  # half the points
    points = scorer.question_points(code, scored(answer)) / 100
    dp3a = make_client()
    token = auth.login(dp3a, "dp3a_a")
    for odd in ("1e400", str(points + 0.01), "999999999"):
        response = _decide(dp3a, token, world, code, odd)
        assert response.status_code == 422, odd
        alert = html.fromstring(response.text).xpath("string(//p[@role='alert'])")
        assert alert == _score_message(f"{points:.2f}".replace(".", ","))
    assert db.exec(select(ReviewEvent).where(ReviewEvent.stage == "dp3a")).all() == []
    assert _decide(dp3a, token, world, code, "0,5").status_code == 303
    # The province may not give more than the DP3A approved it with.
    assessment = world.assessments["a"]
    assessment.stage = "province"
    db.add(assessment)
    db.commit()
    province = make_client()
    token = auth.login(province, "province")
    # The field says the limit the decision checks, not the question's maximum.
    page = html.fromstring(province.get(f"{world.base()}/verifikasi/{code}").text)
    label = page.xpath("string(//label[@for='review-score'])")
    assert "0,50" in label and format_points(ref_max(catalogue, code), ",") not in label
    response = _decide(province, token, world, code, "0,51")
    assert response.status_code == 422
    assert html.fromstring(response.text).xpath("string(//p[@role='alert'])") == _score_message("0,50")
    assert _decide(province, token, world, code, "0,25").status_code == 303
    db.expire_all()
    scores = [e.score for e in db.exec(select(ReviewEvent).where(ReviewEvent.action == "approved")
                                       .order_by(ReviewEvent.id))]
    assert scores == [Decimal("0.50"), Decimal("0.25")]
    assert db.get(Answer, answer.id).status == AnswerStatus.APPROVED


def ref_max(catalogue, code: str) -> int:
    """The question's maximum in cents, as scoring.format_points takes it."""
    return int(catalogue.questions[code].question.max * 100)


@pytest.mark.parametrize("query", ["sort=bogus&desc=x", "desc=99999999999999999999", "sort=%00&desc=", "desc=1"])
def test_an_odd_sort_link_on_the_province_page_sorts_as_the_default(browser, world, auth, query):
    """A hand-edited address or an old bookmark: the page, sorted by code, not an error page."""
    auth.login(browser, "province")
    response = browser.get(f"/provinsi/62/{world.year}?{query}")
    assert response.status_code == 200, response.text[:300]
    assert html.fromstring(response.text).xpath("//table")
