"""The JSON API: same access rules as the pages, OpenAPI, no server error under schemathesis."""

from __future__ import annotations

from sqlmodel import select

from app.factory import API_PREFIX
from app.models import User
from app.services import review as review_service
from app.services.answers import AnswerInput, save_answer
from scoring.samples import best_answer


def _fill_and_submit(db, world, scorer, catalogue):
    dp3a = db.exec(select(User).where(User.username == "dp3a_a")).one()
    assessment = world.assessments["a"]
    for code in catalogue.questions:
        best = best_answer(scorer, code)
        save_answer(db, assessment, code, AnswerInput(option=best.option, value=best.value, note="n"), 0, dp3a,
                    scorer)
    state = review_service.load_state(db, assessment)
    review_service.submit_assessment(db, assessment, review_service.check_submission(state, catalogue), dp3a)
    db.commit()


def test_openapi_is_published(client):
    schema = client.get(f"{API_PREFIX}/openapi.json").json()
    assert schema["info"]["title"] == "KLA self-assessment API"
    assert "/regions/{regency_code}/{year}/scores" in schema["paths"]


def test_api_needs_a_login_except_for_the_public_instrument(client, world):
    response = client.get(f"{API_PREFIX}/me")
    assert response.status_code == 401 and response.json() == {"detail": "login required"}
    assert client.get(f"{API_PREFIX}/regions/62.71/2024/scores").status_code == 401
    assert client.get(f"{API_PREFIX}/catalogue").status_code == 200  # the instrument is public, like /instrumen


def test_catalogue_through_the_api(client, world, auth):
    auth.login(client, "opd_a")
    data = client.get(f"{API_PREFIX}/catalogue").json()
    assert data["max_total"] == 1000 and len(data["parts"]) == 7
    assert sum(len(i["questions"]) for p in data["parts"] for i in p["indicators"]) == 274


def test_region_scores_follow_the_page_rules(make_client, world, auth, db, scorer, catalogue):
    url = f"{API_PREFIX}/regions/{world.regency_a.code}/{world.year}/scores"
    dp3a, province, other = make_client(), make_client(), make_client()
    auth.login(dp3a, "dp3a_a")
    auth.login(province, "province")
    auth.login(other, "province_other")
    assert dp3a.get(url).status_code == 200
    assert province.get(url).status_code == 403  # not submitted yet
    _fill_and_submit(db, world, scorer, catalogue)
    body = province.get(url).json()
    assert body["stage"] == "province"
    assert body["scores"]["self"]["total"] == 1000.0 and body["scores"]["self"]["category"] == "kla"
    assert body["scores"]["province"]["total"] == 0.0
    assert other.get(url).status_code == 403
    summary = province.get(f"{API_PREFIX}/provinces/62/{world.year}").json()
    shown = {r["regency_code"]: r for r in summary["regions"]}
    assert shown["62.71"]["scores"]["self"]["total"] == 1000.0
    assert shown["62.01"]["scores"] is None  # B has not submitted
    assert summary["provila"] is False and "62.01" in summary["holding_back"]
    assert province.get(f"{API_PREFIX}/nation/{world.year}").status_code == 403


def test_nation_for_the_ministry(client, world, auth):
    auth.login(client, "admin")
    body = client.get(f"{API_PREFIX}/nation/{world.year}").json()
    assert body["regions"] == 3 and body["submitted"] == 0
