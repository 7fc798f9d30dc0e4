"""Every route of the app, for every role, in its own region and in another one.

Routes are read from the router, so a new route without a policy here fails
this test until someone decides who may use it.
"""

from __future__ import annotations

import io

import pytest
from fastapi.routing import APIRoute
from sqlmodel import select

from app.factory import API_PREFIX, api_routes
from app.models import Answer, Evidence, User
from app.services.answers import AnswerInput, save_answer
from app.services.demo import sample_pdf
from app.services.evidence import attach
from tests import html
from tests.web.test_national_export import finished_job  # issue 24, runner

PUBLIC = {"health", "ready", "catalogue", "login", "favicon"}
PUBLIC |= {"service_worker"}  # issue 25, offline: /sw.js, the same script for everybody (tests/web/test_offline.py)
SESSION = {"login_submit", "logout"}  # checked in tests/web/test_accounts.py
ANY_USER = {"home", "password", "password_submit"}
ANY_USER |= {"email_settings", "email_settings_save"}  # issue 24, surel: one's own e-mail settings
JOBS_ADMIN = {"jobs_overview", "job_retry"}  # issue 24, surel: the job runner's work, the ministry's admin only
# issue 25, tus: the resumable upload protocol needs a signed-in user (401 otherwise); which target takes
# a file is the plain upload route's rule, and an upload id answers its creator only (404 for anyone else):
# test_tus_ids_answer_their_owner_only below, tests/web/test_tus_rules.py.
TUS = {"tus_options", "tus_create", "tus_head", "tus_patch", "tus_delete", "tus_result"}
WORKSPACE = {
    "workspace", "question_card", "answer_save", "answer_submit", "answers_submit_all",
    "evidence_upload", "evidence_reuse", "evidence_remove", "evidence_download", "workspace_progress",
}
WORKSPACE |= {"figures_save"}  # issue 23, figures helper: a data question's yearly figures, as its answer

REVIEW = {"review_queue", "review_detail", "review_decide", "review_batch_approve", "review_reopen",
          "review_evidence", "dashboard"}
SUBMISSION = {"assessment_submit_page", "assessment_submit"}
HISTORY = {"question_history"}
PROVINCE_VIEW = {"province_dashboard", "api_province"}  # about province 62 (A's)
NATION = {"national_view", "api_nation", "export_national"}
# issue 24, runner: the national workbook's status page and download (a finished job of the year).
NATION |= {"export_national_status", "export_national_download"}
API_PUBLIC = {"api_catalogue"}
API_ANY_USER = {"api_me"}
API_REGION = {"api_region_scores"}
YEARS = {"region_years"}
EXPORT_REGION = {"export_regency"}
EXPORT_PROVINCE = {"export_province"}
IMPORT = {"import_form", "import_preview", "import_confirm"}
CARRY = {"carry_over", "carry_over_decide"}
# -- issue 22, views (pipeline helper): the season's pipeline and a kab/kota's timeline ---------------
SEASON_NATION = {"national_pipeline"}
SEASON_PROVINCE = {"province_pipeline"}  # about province 62 (A's); its ministry reviewers too (test_pipeline.py)
SEASON_TIMELINE = {"season_timeline"}  # whoever may review A (test_timeline.py: reviewers, the field team)
# -- end of the pipeline helper's block -------------------------------------------------------------
# -- issue 23, hand-off helper: the hand-off package (page and ZIP), A's DP3A only ----------------------
HANDOFF = {"handoff", "handoff_download"}

# -- issue 22, award helper: final verification, the award, the award list and its publication ----
# The ministry's national team only (`access.may_run_season`). The award list and its workbook are
# the ministry's until the year is published (this matrix never publishes); after publication every
# signed-in user sees them (tests/web/test_award.py).
FINAL_AND_AWARD = {"final_verification", "final_decide", "award_page", "award_fix", "award_list", "award_export",
                   "award_publish"}

# -- issue 23, Kelana/Dekela: the records pages are seen like the answers' history (A's workers, and its
# reviewers once submitted: read-only); recording needs the workspace (the question's rights decide
# inside, as a message); apply is the DP3A's.
KELANA_SEE = {"kelana", "kelana_kecamatan"}
KELANA_RECORD = {"kelana_record"}
KELANA_APPLY = {"kelana_apply"}
# -- issue 23, documents helper: the document library (Perpustakaan dokumen), A's workers only (who sees
# which document: tests/web/test_library.py)
LIBRARY = {"library", "library_document", "library_metadata", "library_link", "library_unlink", "library_file",
           "library_upload"}
# -- issue 24, rapat: meetings and activities of the Gugus Tugas, A's workers only (who sees and changes which
# meeting, and an agency's limits: tests/web/test_meetings.py)
MEETINGS = {"meetings", "meeting_new", "meeting_create", "meeting_page", "meeting_link", "meeting_unlink",
            "meeting_add_document", "meeting_upload"}
# A meeting's edit form and save, taking a document out, removal (its confirmation page without `confirm`):
# A's workers reach them (an agency then gets the service's refusal for the DP3A's meeting, 409; who changes
# which: tests/web/test_meeting_edits.py)
MEETINGS |= {"meeting_edit", "meeting_save", "meeting_remove_document", "meeting_remove"}

# -- issue 24, gugus: the Gugus Tugas hub (A's workers see it, its DP3A changes it) and a cluster
# coordinator's desk (only the coordinator: the targets make opd_a the coordinator of the target's part)
TASKFORCE_SEE = {"taskforce"}
TASKFORCE_EDIT = {"taskforce_save"}
CLUSTER_DESK = {"cluster_queue", "cluster_detail", "cluster_decide", "cluster_evidence"}
# -- issue 24, rad: the action plan (RAD KLA). Read by A's workers, and once submitted by those who oversee
# A (`access.may_oversee`: its province, the ministry, its reviewers of the province), read-only; planned by
# A's DP3A; reported on by A's workers (an agency on its own activities only: tests/web/test_rad.py).
RAD_SEE = {"rad", "rad_activity", "rad_monitoring", "rad_export"}
RAD_OVERSEE = {"self": set(), "province": {"province", "admin", "reviewer"}, "ministry": {"province", "admin", "reviewer"}}
RAD_PLAN = {"rad_add", "rad_edit", "rad_remove"}
RAD_REPORT = {"rad_report"}

# Who works in region A (62.71): its agency's focal points and its DP3A.
WORKERS_OF_A = {"opd_a", "dp3a_a"}
ADMINS_OF_A = {"dp3a_a"}
# Once A's DP3A has submitted, its province (62) and the ministry may look and decide too.
REVIEWERS_OF_A = {"self": {"dp3a_a"}, "province": {"dp3a_a", "province", "admin"},
                  "ministry": {"dp3a_a", "province", "admin", "reviewer"}}
ROLES = ["anonymous", "admin", "province", "province_other", "dp3a_a", "opd_a", "dp3a_b", "opd_b",
         "reviewer", "reviewer_other", "verifier"]
# Who sees province 62 (A's): its officials, the ministry and its reviewers of the province.
PROVINCE_62 = {"province", "admin", "reviewer"}

# -- ministry review (issue 22): the hand-on, the send-back, the ministry's accounts --------------
HAND_ON = {"self": set(), "province": {"province"}, "ministry": {"province"}}  # at the ministry: "already there"
# At the province a reviewer's send-back is a second click: "already with the province".
SEND_BACK = {"self": set(), "province": {"admin", "reviewer"}, "ministry": {"admin", "reviewer"}}


def ministry_policy(name: str, stage: str) -> set[str] | None:
    if name == "assessment_hand_on":
        return HAND_ON[stage]
    if name == "assessment_send_back":
        return SEND_BACK[stage]
    if name.startswith("ministry_user"):
        return {"admin"}
    return None

# -- field verification (issue 22, field helper) ---------------------------------------------------
# Its pages open from the ministry's review on (tests/web/test_field.py checks them at FIELD and FINAL,
# with reviewers and the team): at the stages of this matrix, nobody's. The list of assignments is the
# field verifiers' and the ministry's, at any stage.
FIELD_LIST = {"field_assignments"}
FIELD_PLACE = {"field_verification", "field_schedule", "field_team", "field_start", "field_close",
               "field_activity_add", "field_finding_add", "field_finding_file"}
FIELD_TARGETS = {"finding_id": "1", "file_id": "1"}

# -- issue 23, marks helper: the "sudah diunggah" checklist, the Nilai EM and the calibration report ----
# Read by whoever may open A's dashboard; written by A's DP3A only (tests/web/test_handoff_marks.py).
HANDOFF_MARKS_READ = {"handoff_checklist", "handoff_calibration", "handoff_calibration_export"}
HANDOFF_MARKS_WRITE = {"handoff_mark", "handoff_mark_group", "handoff_official", "handoff_official_import_form",
                       "handoff_official_import"}


def policy(name: str, stage: str = "self") -> set[str] | None:
    """The users allowed on a route (about region A where it names one); None: not in the matrix.

    `stage` is where A's assessment stands: the province sees nothing of it before submission.
    """
    if name in SESSION:
        return None
    if (recommendation := recommendation_policy(name, stage)) is not None:
        return recommendation
    if (ministry := ministry_policy(name, stage)) is not None:
        return ministry
    if name in PUBLIC or name in API_PUBLIC:
        return set(ROLES)
    if name in ANY_USER or name in API_ANY_USER:
        return set(ROLES) - {"anonymous"}
    if name in API_REGION:
        return REVIEWERS_OF_A[stage]
    if name in EXPORT_REGION:
        return REVIEWERS_OF_A[stage]
    if name in EXPORT_PROVINCE:
        return PROVINCE_62
    if name in IMPORT:
        return ADMINS_OF_A
    if name in YEARS:
        return {"dp3a_a"} | PROVINCE_62
    if name in CARRY:
        return ADMINS_OF_A
    if name in WORKSPACE:
        return WORKERS_OF_A
    # admin_user_email too (issue 24, surel: an account's e-mail address; tests/web/test_account_email.py)
    if name == "administration" or name.startswith("admin_"):
        return ADMINS_OF_A
    if name in REVIEW:
        return REVIEWERS_OF_A[stage]
    if name in SUBMISSION:
        return ADMINS_OF_A
    if name in HISTORY:
        return WORKERS_OF_A | REVIEWERS_OF_A[stage]
    if name in PROVINCE_VIEW:
        return PROVINCE_62
    if name in NATION:
        return {"admin"}
    if name in FINAL_AND_AWARD:  # issue 22, award helper
        return {"admin"}
    if name in FIELD_LIST:
        return {"admin", "verifier"}
    if name in FIELD_PLACE:
        if stage != "ministry":
            return set()
        # At the ministry's review the schedule is being planned: the kab/kota and its province see it
        # (to prepare the visit), the ministry plans it; the verifier here is on no team.
        if name in ("field_verification", "field_finding_file"):
            return {"admin", "province", "dp3a_a", "reviewer"}
        return {"admin"}
    # -- issue 22, views (pipeline helper)
    if name in SEASON_NATION:
        return {"admin"}
    if name in SEASON_PROVINCE:
        return PROVINCE_62
    if name in SEASON_TIMELINE:
        return REVIEWERS_OF_A[stage]
    # -- end of the pipeline helper's block
    if name in KELANA_SEE:  # issue 23, Kelana/Dekela
        return WORKERS_OF_A | REVIEWERS_OF_A[stage]
    if name in KELANA_RECORD:
        return WORKERS_OF_A
    if name in KELANA_APPLY:
        return ADMINS_OF_A
    if name in HANDOFF:  # issue 23, hand-off helper: the package holds every file, sensitive ones too
        return ADMINS_OF_A
    if name in LIBRARY:  # issue 23, documents helper
        return WORKERS_OF_A
    if name in TASKFORCE_SEE:  # issue 24, gugus
        return WORKERS_OF_A
    if name in TASKFORCE_EDIT:  # issue 24, gugus
        return ADMINS_OF_A
    if name in CLUSTER_DESK:  # issue 24, gugus: opd_a coordinates the part of the target question
        return {"opd_a"}
    if name in MEETINGS:  # issue 24, rapat
        return WORKERS_OF_A
    if name in HANDOFF_MARKS_READ:  # issue 23, marks helper
        return REVIEWERS_OF_A[stage]
    if name in HANDOFF_MARKS_WRITE:  # issue 23, marks helper
        return ADMINS_OF_A
    if name in RAD_SEE:  # issue 24, rad
        return WORKERS_OF_A | RAD_OVERSEE[stage]
    if name in RAD_PLAN:  # issue 24, rad
        return ADMINS_OF_A
    if name in RAD_REPORT:  # issue 24, rad
        return WORKERS_OF_A
    if name in JOBS_ADMIN:  # issue 24, surel
        return {"admin"}
    if name in TUS:  # issue 25, tus
        return set(ROLES) - {"anonymous"}
    raise AssertionError(f"route '{name}' has no access policy in tests/web/test_access_matrix.py")


# -- recommendations (issue 22 item 6: rekomendasi and their follow-up) --------------------------------
# The list, one recommendation and its files: A's workers (an agency sees those given to it: the target
# is given to Dinkes) and A's reviewers. Making one: the reviewers of the place, never an agency.
# Giving to agencies and closing: A's DP3A. Reporting follow-up: an agency it is given to (Dinkes).
RECOMMENDATION_SEE = {"recommendations", "recommendation_detail", "recommendation_file"}
RECOMMENDATION_DP3A = {"recommendation_assign", "recommendation_close"}


def recommendation_policy(name: str, stage: str) -> set[str] | None:
    if name in RECOMMENDATION_SEE:
        return WORKERS_OF_A | REVIEWERS_OF_A[stage]
    if name == "recommendation_create":
        return REVIEWERS_OF_A[stage]
    if name in RECOMMENDATION_DP3A:
        return ADMINS_OF_A
    if name == "recommendation_follow_up":
        return {"opd_a"}
    if name == "province_recommendations":
        return PROVINCE_62
    if name == "national_recommendations":
        return {"admin"}
    return None


def recommendation_targets(world, db, app, code: str, indicator: str) -> dict[str, str]:
    """A recommendation of A on `code`, given to Dinkes, with one follow-up file."""
    from app.models import FollowUp, FollowUpFile, Recommendation, RecommendationAgency, RecommendationStatus
    from app.services.evidence import register

    rec = Recommendation(assessment_id=world.assessments["a"].id, stage="dp3a", indicator_code=indicator,
                         question_code=code, text="Lengkapi SK", status=RecommendationStatus.REPORTED,
                         created_by=world.users["dp3a_a"].id)
    db.add(rec)
    db.flush()
    db.add(RecommendationAgency(recommendation_id=rec.id, agency_id=world.agencies["dinkes_a"].id))
    report = FollowUp(recommendation_id=rec.id, agency_id=world.agencies["dinkes_a"].id, note="selesai",
                      user_id=world.users["opd_a"].id)
    db.add(report)
    db.flush()
    stored = app.state.evidence.save_file(io.BytesIO(sample_pdf("Tindak lanjut", "uji")))
    register(db, stored)
    file = FollowUpFile(follow_up_id=report.id, sha256=stored.sha256, filename="tl.pdf",
                        uploaded_by=world.users["opd_a"].id)
    db.add(file)
    db.commit()
    return {"rec_id": str(rec.id), "file_id": str(file.id)}


def meeting_target(world, db) -> int:  # issue 24, rapat
    """A meeting of A recorded by its DP3A."""
    from datetime import date

    from app.models import Meeting

    meeting = Meeting(assessment_id=world.assessments["a"].id, title="Rapat Koordinasi", held_on=date(2025, 3, 1),
                      created_by=world.users["dp3a_a"].id)
    db.add(meeting)
    db.commit()
    return meeting.id


def _routes(app) -> list[tuple[str, APIRoute]]:
    """(prefix, route) for every page route and every route of the mounted JSON API."""
    routes = [("", r) for r in api_routes(app)]
    routes += [(API_PREFIX, r) for r in app.state.api.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 20
    return routes


def test_every_route_has_a_policy(app):
    for _prefix, route in _routes(app):
        policy(route.name)


@pytest.fixture
def targets(world, db, catalogue, scorer, app):
    """Concrete values for every path parameter, all belonging to region A."""
    code = next(r.question.code for r in catalogue.iter_questions() if "DINKES" in r.question.agencies
                and catalogue.scales[r.question.scale].kind == "options")
    option = catalogue.scales[catalogue.questions[code].question.scale].options[-1].code
    opd_a = db.exec(select(User).where(User.username == "opd_a")).one()
    save_answer(db, world.assessments["a"], code, AnswerInput(option=option), 0, opd_a, scorer)
    answer = db.exec(select(Answer).where(Answer.question_code == code)).one()
    stored = app.state.evidence.save_file(io.BytesIO(sample_pdf("SK", "uji")))
    evidence = attach(db, world.assessments["a"], answer, stored, "sk.pdf", opd_a)
    db.commit()
    return {
        "regency_code": world.regency_a.code,
        "year": str(world.year),
        "code": code,
        "evidence_id": str(evidence.id),
        "agency_id": str(world.agencies["dinkes_a"].id),
        "user_id": str(opd_a.id),
        "province_code": world.regency_a.province_code,
        **recommendation_targets(world, db, app, code, catalogue.questions[code].indicator.code),
        **FIELD_TARGETS,
        "kecamatan_code": "62.71.01", "area_code": "62.71.01",  # issue 23, Kelana/Dekela
        "document_id": str(evidence.document_id),  # issue 23: the document of that file
        **_coordinator_of(db, world, catalogue, code),  # issue 24, gugus
        **rad_targets(world, db),  # issue 24, rad
        "meeting_id": str(meeting_target(world, db)),  # issue 24, rapat: a meeting of A
        "job_id": finished_job(db, app.state.settings, world.year),  # issue 24, runner: a national workbook
        "upload_id": tus_upload_of(db, app, world, code),  # issue 25, tus: opd_a's upload to `code`
    }


def _coordinator_of(db, world, catalogue, code: str) -> dict[str, str]:
    """issue 24, gugus: opd_a coordinates the part of `code` in A's task force."""
    from app.models.taskforce import ClusterCoordinator

    db.add(ClusterCoordinator(assessment_id=world.assessments["a"].id, part_code=catalogue.questions[code].part.code,
                              user_id=world.users["opd_a"].id, appointed_by=world.users["dp3a_a"].id))
    db.commit()
    return {}


def rad_targets(world, db) -> dict[str, str]:  # issue 24, rad: an activity of A's plan, Dinkes's (opd_a's)
    from app.models import RadActivity

    activity = RadActivity(assessment_id=world.assessments["a"].id, indicator_code="13", title="Kelas ibu balita",
                           agency_id=world.agencies["dinkes_a"].id, year=world.year, created_by=world.users["dp3a_a"].id)
    db.add(activity)
    db.commit()
    return {"activity_id": str(activity.id)}


def _url(route: APIRoute, values: dict[str, str]) -> str:
    path = route.path
    for name in route.param_convertors:
        path = path.replace("{" + name + "}", values[name])
    return path


@pytest.mark.parametrize("stage", ["self", "province", "ministry"])
def test_access_matrix(app, make_client, auth, targets, world, db, stage):
    assessment = world.assessments["a"]
    assessment.stage = stage
    db.add(assessment)
    db.commit()
    clients = {}
    for role in ROLES:
        client = make_client()
        token = auth.login(client, role) if role != "anonymous" else auth.csrf_of(client)
        clients[role] = (client, token)
    failures = []
    checked = 0
    for prefix, route in _routes(app):
        allowed = policy(route.name, stage)
        if allowed is None:
            continue
        url = prefix + _url(route, targets)
        for method in sorted(route.methods - {"HEAD"}):
            for role in ROLES:
                client, token = clients[role]
                headers = {"X-CSRF-Token": token} if method != "GET" else {}
                response = client.request(method, url, headers=headers, follow_redirects=False)
                checked += 1
                outcome = _outcome(response)
                expected = "allow" if role in allowed else ("login" if role == "anonymous" else "deny")
                if outcome != expected:
                    failures.append(f"{method} {url} as {role}: {outcome} ({response.status_code}), expected {expected}")
    assert checked >= 8 * 15
    assert not failures, "\n".join(failures)


def _outcome(response) -> str:
    if response.status_code in (303, 307) and response.headers.get("location", "").startswith("/masuk"):
        return "login"
    if response.status_code == 401:
        return "login"
    if response.status_code == 403:
        return "deny"
    return "allow"


def test_public_and_personal_routes(client, world, auth):
    assert client.get("/health").status_code == 200
    assert client.get("/instrumen").status_code == 200
    assert client.get("/", follow_redirects=False).headers["location"] == "/masuk"
    assert client.get("/akun/sandi", follow_redirects=False).headers["location"].startswith("/masuk")
    auth.login(client, "province")
    assert client.get("/akun/sandi").status_code == 200
    assert client.get("/", follow_redirects=False).headers["location"] == f"/provinsi/62/{world.year}"
    overview = client.get("/")
    assert overview.status_code == 200
    # A province official sees its own kab/kota only.
    tree = html.page(overview)
    assert "Kota Palangka Raya" in html.text_of(tree) and not html.mentions(tree, "Kota Banjarmasin")


def test_evidence_of_another_region_is_not_found_even_for_its_own_dp3a(make_client, auth, targets, world):
    client = make_client()
    auth.login(client, "dp3a_b")
    url = f"{world.base('b')}/bukti/{targets['evidence_id']}"
    assert client.get(url).status_code == 404
    assert Evidence  # the evidence exists, in region A


# -- issue 25, tus: resumable uploads ---------------------------------------------------------------------


def tus_upload_of(db, app, world, code: str, username: str = "opd_a", which: str = "a") -> str:
    """An upload of `username` to `code` of kab/kota `which`, 100 bytes announced, none sent."""
    from app.models import Upload
    from app.tus import service
    from app.tus.partials import Partials
    from app.tus.protocol import Target

    upload = service.create(db, app.state.settings, Partials(app.state.settings.evidence_dir),
                            world.users[username], Target(getattr(world, f"regency_{which}").code, world.year, code),
                            100, "sk.pdf", "")
    db.commit()
    assert db.get(Upload, upload.id) is not None
    return upload.id


def test_tus_ids_answer_their_owner_only(make_client, auth, targets):
    """Every request of the protocol on opd_a's upload, by every role: the owner is served, anyone else
    gets what an id that does not exist gets (404), a signed-out client 401."""
    url = f"/tus/{targets['upload_id']}"
    tus = {"Tus-Resumable": "1.0.0"}
    for role in ROLES:
        client = make_client()
        token = auth.login(client, role) if role != "anonymous" else auth.csrf_of(client)
        answers = {
            "head": client.head(url, headers=tus).status_code,
            "patch": client.patch(url, content=b"%PDF", headers={**tus, "X-CSRF-Token": token, "Upload-Offset": "0",
                                                                  "Content-Type": "application/offset+octet-stream"}
                                  ).status_code,
            "hasil": client.get(url + "/hasil").status_code,
        }
        expected = 401 if role == "anonymous" else None
        for what, status in answers.items():
            if role == "opd_a":
                assert status in (200, 204, 404 if what == "hasil" else 0), (role, what, status)  # hasil: not done yet
            else:
                assert status == (expected or 404), (role, what, status)
        if role not in ("opd_a", "anonymous"):
            assert client.delete(url, headers={**tus, "X-CSRF-Token": token}).status_code == 404
    owner = make_client()
    token = auth.login(owner, "opd_a")
    assert owner.head(url, headers=tus).headers["Upload-Offset"] == "4"
    assert owner.delete(url, headers={**tus, "X-CSRF-Token": token}).status_code == 204
