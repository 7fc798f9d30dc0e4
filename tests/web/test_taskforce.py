"""The Gugus Tugas hub and the cluster coordinators' review (issue 24, item 1)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlmodel import func, select

from app.models import Answer, AnswerStatus, AuditEntry, Cycle, Document, Evidence, ReviewEvent, StoredFile
from app.models.taskforce import ClusterCoordinator, TaskForce
from app.services import review as review_service
from app.services.demo import sample_pdf
from app.services.taskforce import coordination
from scoring import Stage
from tests import html
from tests.web.test_review import _answer_as, _token


def _codes(catalogue, part: str, n: int, *, sensitive: bool = False) -> list[str]:
    return [r.question.code for r in catalogue.iter_questions() if r.part.code == part and "DINKES" in
            r.question.agencies and r.question.max > 0 and r.question.sensitive == sensitive][:n]


def _document(db, world, which: str = "a") -> Document:
    """A library document of `which`'s cycle (the SK): its stored-file row is enough, the page names it."""
    data = sample_pdf("SK Gugus Tugas", which)
    sha = hashlib.sha256(data).hexdigest()
    if db.get(StoredFile, sha) is None:
        db.add(StoredFile(sha256=sha, size=len(data), media_type="application/pdf", kind="pdf"))
        db.flush()
    document = Document(assessment_id=world.assessments[which].id, sha256=sha, filename="sk-gugus-tugas.pdf",
                        title="SK Gugus Tugas KLA", number="188.45/12/2024", created_by=world.users["dp3a_a"].id)
    db.add(document)
    db.commit()
    return document


def _form(world, token, **extra) -> dict:
    return {"csrf_token": token, "chair_agency_id": "", "chair_name": "", "secretariat_agency_id": "",
            "sk_document_id": "", **extra}


def _team(world, db, catalogue, *, parts=("K3", "K5"), switch=True) -> None:
    """A's task force: opd_a coordinates `parts`, the switch as given (written directly: the form is tested apart)."""
    assessment = world.assessments["a"]
    db.add(TaskForce(assessment_id=assessment.id, coordinator_review=switch))
    for part in parts:
        db.add(ClusterCoordinator(assessment_id=assessment.id, part_code=part, user_id=world.users["opd_a"].id,
                                  appointed_by=world.users["dp3a_a"].id))
    db.commit()


def _queue_codes(response) -> list[str]:
    """The question codes of a review queue's rows (the first link of each row)."""
    return [html.text_of(row, "(.//a)[1]") for row in html.page(response).xpath("//table[contains(@class,'queue')]//tbody/tr")]


def test_dp3a_edits_the_task_force_and_agencies_read_it(make_client, world, auth, db, catalogue):
    document = _document(db, world)
    dp3a, opd = make_client(), make_client()
    token = auth.login(dp3a, "dp3a_a")
    auth.login(opd, "opd_a")
    base = world.base()
    page = html.page(dp3a.get(f"{base}/gugus-tugas"))
    # The tabs and the nav link, as plain paths; the secretariat is the DP3A until chosen otherwise.
    assert html.attrs(page, "//nav[contains(@class,'taskforce-tabs')]/a/@href") == [
        f"{base}/gugus-tugas", f"{base}/gugus-tugas/rapat", f"{base}/gugus-tugas/rad"]
    assert f"{base}/gugus-tugas" in html.attrs(page, "//header[@class='site-header']//nav/a/@href")
    assert html.attrs(page, "//select[@name='secretariat_agency_id']/option[@selected]/@value") == [
        str(world.agencies["dp3a_a"].id)]
    assert len(html.attrs(page, "//select[starts-with(@name,'coordinator_')]/@name")) == len(catalogue.parts)
    values = _form(world, token, sk_document_id=str(document.id), chair_agency_id=str(world.agencies["dinkes_a"].id),
                   chair_name="Kepala Bappeda", secretariat_agency_id=str(world.agencies["dp3a_a"].id),
                   coordinator_K3=str(world.users["opd_a"].id), coordinator_KL="", coordinator_review="1")
    saved = dp3a.post(f"{base}/gugus-tugas", data=values, follow_redirects=False)
    assert saved.status_code == 303
    again = dp3a.post(f"{base}/gugus-tugas", data=values, follow_redirects=False)  # idempotent
    assert again.status_code == 303
    audits = db.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "taskforce.save")).one()
    assert audits == 1
    force = db.exec(select(TaskForce)).one()
    assert (force.sk_document_id, force.chair_name, force.coordinator_review) == (document.id, "Kepala Bappeda", True)
    assert [(c.part_code, c.user_id) for c in db.exec(select(ClusterCoordinator))] == [("K3", world.users["opd_a"].id)]
    # The agency reads it, with a link to its cluster; it has no form and may not post one.
    seen = html.page(opd.get(f"{base}/gugus-tugas"))
    assert not seen.xpath("//form[contains(@class,'taskforce-form')]")
    assert "SK Gugus Tugas KLA" in html.text_of(seen, "//dd[@class='tf-sk']")
    assert "Opd A" in html.text_of(seen, "//li[@data-part='K3']")
    assert f"{base}/gugus-tugas/klaster" in html.attrs(seen, "//nav[contains(@class,'taskforce-tabs')]/a/@href")
    opd_token = _token(opd.get(f"{base}/gugus-tugas").text)
    assert opd.post(f"{base}/gugus-tugas", data=_form(world, opd_token), follow_redirects=False).status_code == 403
    # Removing the coordinator, switching off.
    off = dp3a.post(f"{base}/gugus-tugas", data={**values, "coordinator_K3": "", "coordinator_review": ""},
                    follow_redirects=False)
    assert off.status_code == 303
    db.expire_all()
    assert db.exec(select(ClusterCoordinator)).all() == [] and not db.exec(select(TaskForce)).one().coordinator_review


def test_choices_of_another_region_are_refused(make_client, world, auth, db):
    other_document = _document(db, world, "b")
    dp3a = make_client()
    token = auth.login(dp3a, "dp3a_a")
    base = world.base()
    for bad in ({"sk_document_id": str(other_document.id)}, {"chair_agency_id": str(world.agencies["dinkes_b"].id)},
                {"coordinator_K3": str(world.users["opd_b"].id)}, {"coordinator_K3": str(world.users["dp3a_a"].id)},
                {"chair_name": "x" * 161}):
        refused = dp3a.post(f"{base}/gugus-tugas", data=_form(world, token, **bad), follow_redirects=False)
        assert refused.status_code == 422, bad
        assert html.page(refused).xpath("//p[@class='error' and @role='alert']")
    assert db.exec(select(TaskForce)).all() == []
    # Another region's DP3A and agencies do not reach A's hub.
    other = make_client()
    auth.login(other, "dp3a_b")
    assert other.get(f"{base}/gugus-tugas").status_code == 403
    assert other.get(f"{base}/gugus-tugas/klaster").status_code == 403


def test_a_published_year_is_read_only(make_client, world, auth, db):
    cycle = db.exec(select(Cycle)).one()
    cycle.published_at = datetime.now(UTC)
    db.add(cycle)
    db.commit()
    dp3a = make_client()
    token = auth.login(dp3a, "dp3a_a")
    page = html.page(dp3a.get(f"{world.base()}/gugus-tugas"))
    assert not page.xpath("//form[contains(@class,'taskforce-form')]") and page.xpath("//p[contains(@class,'frozen')]")
    refused = dp3a.post(f"{world.base()}/gugus-tugas", data=_form(world, token, coordinator_review="1"),
                        follow_redirects=False)
    assert refused.status_code == 409 and db.exec(select(TaskForce)).all() == []


def test_coordinator_reviews_their_cluster_before_the_dp3a(make_client, world, auth, db, scorer, catalogue, app):
    _team(world, db, catalogue)
    k3 = _codes(catalogue, "K3", 3)
    k2 = _codes(catalogue, "K2", 1)  # a part without a coordinator
    sensitive = _codes(catalogue, "K5", 1, sensitive=True)
    # Answered by a colleague of the coordinator's agency (their own work goes to the DP3A: four eyes).
    _answer_as(db, world, scorer, catalogue, "opd_a2", k3 + k2 + sensitive, files=True, app=app)
    coordinator, dp3a, other_opd = make_client(), make_client(), make_client()
    token = auth.login(coordinator, "opd_a")
    dp3a_token = auth.login(dp3a, "dp3a_a")
    auth.login(other_opd, "opd_a2")
    base = world.base()
    desk = f"{base}/gugus-tugas/klaster"

    # The coordinator's queue: their parts only, never a sensitive question.
    assert _queue_codes(coordinator.get(desk)) == k3
    assert coordinator.get(f"{desk}/{sensitive[0]}").status_code == 404
    assert coordinator.get(f"{desk}/{k2[0]}").status_code == 404
    assert other_opd.get(desk).status_code == 403 and dp3a.get(desk).status_code == 403
    # The DP3A's waiting list: what no coordinator holds; the rest is counted, and listed with the filter.
    waiting = dp3a.get(f"{base}/verifikasi")
    assert set(_queue_codes(waiting)) == {*k2, *sensitive}
    assert "3" in html.text_of(html.page(waiting), "//p[contains(@class,'at-coordinators')]")
    assert _queue_codes(dp3a.get(f"{base}/verifikasi?klaster=1")) == k3

    # Approve one: it passes to the DP3A. Return another with a reason and a note.
    page = html.page(coordinator.get(f"{desk}/{k3[0]}"))
    assert not page.xpath("//input[@name='score']")
    file_links = html.attrs(page, "//ul[@class='files']//a/@href")
    assert file_links and coordinator.get(file_links[0]).status_code == 200  # the files of their cluster open
    sensitive_file = db.exec(select(Evidence).join(Answer).where(Answer.question_code == sensitive[0])).first()
    assert coordinator.get(f"{desk}/bukti/{sensitive_file.id}").status_code == 404
    assert coordinator.post(f"{desk}/{k3[0]}", data={"action": "approved", "csrf_token": token, "score": "0"},
                            follow_redirects=False).status_code == 303
    twice = coordinator.post(f"{desk}/{k3[0]}", data={"action": "approved", "csrf_token": token},
                             follow_redirects=False)
    assert twice.status_code == 303
    missing = coordinator.post(f"{desk}/{k3[1]}", data={"action": "returned", "note": "x", "csrf_token": token})
    assert missing.status_code == 422
    reason = catalogue.review_reasons[0].code
    returned = coordinator.post(f"{desk}/{k3[1]}", data={"action": "returned", "reasons": [reason],
                                                         "note": "Lampirkan SK", "csrf_token": token},
                                follow_redirects=False)
    assert returned.status_code == 303
    events = db.exec(select(ReviewEvent).where(ReviewEvent.stage == Stage.CLUSTER)).all()
    assert [(e.action, e.score) for e in events] == [("approved", None), ("returned", None)]
    assert db.exec(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.in_(["review.approved", "review.returned"]))).one() == 2
    assert set(_queue_codes(dp3a.get(f"{base}/verifikasi"))) == {k3[0], *k2, *sensitive}
    assert _queue_codes(coordinator.get(f"{desk}?status=returned")) == [k3[1]]

    # The agency sees the return on the answer's card, as a DP3A return; it fixes and re-submits.
    answer = db.exec(select(Answer).where(Answer.question_code == k3[1])).one()
    assert answer.status == AnswerStatus.RETURNED
    card = html.page(coordinator.get(f"{base}/isian/{k3[1]}"))
    note = html.text_of(card, "//*[contains(@class,'returned-note')]")
    assert "Dikembalikan oleh koordinator klaster" in note and "Lampirkan SK" in note
    sent = coordinator.post(f"{base}/isian/{k3[1]}/kirim", headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert sent.status_code == 200, html.text_of(html.page(sent))
    again = html.page(coordinator.get(desk))
    row = again.xpath(f"//tbody/tr[td/a[normalize-space()='{k3[1]}']]")
    assert row and row[0].xpath(".//span[contains(@class,'status-returned')]")  # changed since the decision
    # The coordinator submitted it this time: their own work, which the DP3A decides (four eyes).
    assert row[0].xpath(".//span[@class='own-work']")
    assert k3[1] in _queue_codes(dp3a.get(f"{base}/verifikasi"))
    # The DP3A sees the coordinator's decisions in the answer's history.
    history = html.text_of(html.page(dp3a.get(f"{base}/verifikasi/{k3[1]}")), "//ol[@class='events']")
    assert "Lampirkan SK" in history  # (the stage is named "koordinator klaster" once the catalogue is filled)
    # The DP3A may still decide an answer held at a coordinator.
    assert dp3a.post(f"{base}/verifikasi/{k3[2]}", data={"action": "approved", "csrf_token": dp3a_token},
                     follow_redirects=False).status_code == 303


def test_switch_off_is_as_before(make_client, world, auth, db, scorer, catalogue):
    _team(world, db, catalogue, switch=False)
    k3 = _codes(catalogue, "K3", 2)
    _answer_as(db, world, scorer, catalogue, "opd_a2", k3)
    coordinator, dp3a = make_client(), make_client()
    token = auth.login(coordinator, "opd_a")
    auth.login(dp3a, "dp3a_a")
    base = world.base()
    waiting = html.page(dp3a.get(f"{base}/verifikasi"))
    assert _queue_codes(dp3a.get(f"{base}/verifikasi")) == k3
    assert not waiting.xpath("//p[contains(@class,'at-coordinators')]")
    page = html.page(coordinator.get(f"{base}/gugus-tugas/klaster/{k3[0]}"))
    assert not page.xpath("//form[@method='post' and contains(@action,'klaster')]")
    refused = coordinator.post(f"{base}/gugus-tugas/klaster/{k3[0]}", data={"action": "approved", "csrf_token": token})
    assert refused.status_code == 422 and db.exec(select(ReviewEvent).where(ReviewEvent.stage == Stage.CLUSTER)).all() == []


def test_coordinators_close_with_the_submission(world, db, catalogue, scorer):
    _team(world, db, catalogue)
    assessment = world.assessments["a"]
    assert review_service.stage_open(assessment, Stage.CLUSTER, db)
    assessment.stage = Stage.PROVINCE
    db.add(assessment)
    db.commit()
    assert not review_service.stage_open(assessment, Stage.CLUSTER, db)
    assert not review_service.stage_open(assessment, Stage.DP3A)  # the DP3A's rule is untouched


def test_held_at_coordinators(world, db, catalogue, scorer):
    """The rule of the DP3A's queue: held are the answers of a coordinated part, not sensitive, without a
    standing coordinator's approval; None with the switch off."""
    assessment = world.assessments["a"]
    k3 = _codes(catalogue, "K3", 2)
    sensitive = _codes(catalogue, "K5", 1, sensitive=True)
    answers = _answer_as(db, world, scorer, catalogue, "opd_a2", k3 + sensitive)
    assert coordination.held_at_coordinators(db, review_service.load_state(db, assessment), catalogue,
                                             assessment) is None
    _team(world, db, catalogue)
    by_code = {a.question_code: a for a in answers}
    review_service.decide(db, assessment, by_code[k3[0]], Stage.CLUSTER, "approved", world.users["opd_a"])
    db.commit()
    held = coordination.held_at_coordinators(db, review_service.load_state(db, assessment), catalogue, assessment)
    assert held is not None and k3[1] in held and k3[0] not in held and sensitive[0] not in held
