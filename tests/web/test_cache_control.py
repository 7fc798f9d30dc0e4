"""Pages and downloads are never kept in a cache (a shared computer's back button, a proxy); the
app's static files are."""

from __future__ import annotations

from sqlmodel import select

from app.factory import API_PREFIX, api_routes
from app.models import Answer, AnswerStatus
from tests.web.test_access_matrix import _url, targets  # noqa: F401 (targets: a fixture used here)

ROLES = ("dp3a_a", "opd_a", "province", "admin")


def every_page_open(make_client, auth, targets, world, db, roles=ROLES) -> dict:  # noqa: F811
    """A world in which every GET page of the app opens to some role, and a signed-in client per role.

    At the ministry's review A's pages open to its province and the ministry as well as its own people,
    and field verification's page shows its (empty) schedule. The targets' answer is submitted: the
    cluster coordinators' desk opens no draft."""
    assessment = world.assessments["a"]
    assessment.stage = "ministry"
    db.add(assessment)
    answer = db.exec(select(Answer).where(Answer.assessment_id == assessment.id,
                                          Answer.question_code == targets["code"])).one()
    answer.status = AnswerStatus.SUBMITTED
    db.add(answer)
    db.commit()
    clients = {}
    for role in roles:
        clients[role] = make_client()
        auth.login(clients[role], role)
    return clients


def test_every_page_and_download_says_no_store_for_a_logged_in_user(app, make_client, auth, targets, world, db):  # noqa: F811
    clients = every_page_open(make_client, auth, targets, world, db)
    routes = [("", r) for r in api_routes(app) if "GET" in r.methods]
    routes += [(API_PREFIX, r) for r in app.state.api.routes if "GET" in getattr(r, "methods", ())
               and hasattr(r, "param_convertors") and "openapi" not in r.path and "docs" not in r.path]
    unseen, wrong = [], []
    for prefix, route in routes:
        if route.name == "field_finding_file":
            continue  # no finding exists here: tests/web/test_field.py checks a real one's headers
        if route.name == "service_worker":
            continue  # the same script for everybody, asked again each time: no-cache (tests/web/test_offline.py)
        if route.name == "tus_result":
            continue  # no finished upload exists here: tests/web/test_tus.py checks a real one's headers
        url = prefix + _url(route, targets)
        shown = False
        for role in ROLES:
            response = clients[role].get(url, follow_redirects=False)
            if "no-store" not in response.headers.get("cache-control", ""):
                wrong.append(f"{url} as {role}: {response.status_code} {response.headers.get('cache-control')}")
            shown = shown or response.status_code < 400  # the page, or its redirect (/, /masuk)
        if not shown:
            unseen.append(url)
    assert not wrong, "\n".join(wrong)
    assert not unseen, f"no role saw these pages, so their headers went unchecked: {unseen}"
    assert len(routes) > 30


def test_static_files_keep_their_caching(client):
    """issue 25, budget: a versioned name for a year, the bare name briefly (tests/web/test_static_assets.py)."""
    from app.static_assets import assets

    response = client.get(f"/static/{assets.url_path('app.css')}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["etag"]
    assert client.get("/static/app.css").headers["cache-control"] == "public, max-age=300"
