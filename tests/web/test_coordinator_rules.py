"""The cluster coordinators' review, its gaps closed (issue 24): a coordinator's decision says it is
theirs wherever it shows, a coordinator never decides their own work (four eyes), and an answer no
coordinator can decide now is in the DP3A's default queue."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import Agency, Answer, ReviewEvent, User
from app.models.taskforce import ClusterCoordinator
from app.refusals import Refusal
from app.services import review as review_service
from app.services.answers import AnswerInput, save_answer, submit
from app.services.taskforce import coordination
from scoring import Stage
from scoring.samples import best_answer
from tests import html
from tests.web.test_review import _answer_as
from tests.web.test_taskforce import _codes, _queue_codes, _team


def _client(make_client, auth, username):
    client = make_client()
    token = auth.login(client, username)
    client.cookies.set("kla_lang", "en")  # the new sentences are checked in English (Indonesian: pending)
    return client, token


def _row(page, code):
    rows = page.xpath(f"//table[contains(@class,'queue')]//tbody/tr[td/a[normalize-space()='{code}']]")
    assert rows, code
    return rows[0]


def test_a_coordinators_decision_says_it_is_theirs(make_client, world, auth, db, scorer, catalogue):
    _team(world, db, catalogue)
    k3 = _codes(catalogue, "K3", 2)
    _answer_as(db, world, scorer, catalogue, "opd_a2", k3)
    coordinator, token = _client(make_client, auth, "opd_a")
    dp3a, dp3a_token = _client(make_client, auth, "dp3a_a")
    agency, _agency_token = _client(make_client, auth, "opd_a2")
    base, desk = world.base(), f"{world.base()}/gugus-tugas/klaster"
    reason = catalogue.review_reasons[0].code
    assert coordinator.post(f"{desk}/{k3[0]}", data={"action": "approved", "csrf_token": token},
                            follow_redirects=False).status_code == 303
    assert coordinator.post(f"{desk}/{k3[1]}", data={"action": "returned", "reasons": [reason], "note": "Lengkapi",
                                                     "csrf_token": token}, follow_redirects=False).status_code == 303
    approved = "Approved by the cluster coordinator (Klaster III)"

    # The DP3A's review page: the history line and the line above its own decision name the coordinator.
    detail = html.page(dp3a.get(f"{base}/verifikasi/{k3[0]}"))
    assert html.text_of(detail, "//ol[@class='events']//span[@class='by-coordinator']") == approved
    assert approved in html.text_of(detail, "//p[@class='coordinator-decision']")
    returned = html.page(dp3a.get(f"{base}/verifikasi/{k3[1]}"))
    assert html.text_of(returned, "//ol[@class='events']//span[@class='by-coordinator']") == \
        "Returned by the cluster coordinator (Klaster III)"
    # The DP3A's queue: "to review" (nothing of the DP3A's yet), with the coordinator's word beside it.
    cell = _row(html.page(dp3a.get(f"{base}/verifikasi")), k3[0]).xpath("./td")[-2]
    assert html.text_of(cell, ".//span[contains(@class,'by-coordinator')]") == approved
    assert html.text_of(cell, ".").startswith("to review")
    # The coordinator's own desk says it as theirs too.
    mine = html.page(coordinator.get(f"{desk}/{k3[0]}"))
    assert approved in html.text_of(mine, "//section[@id='decision']")
    # The question's history (audit log) and the season's timeline.
    history = html.page(dp3a.get(f"{base}/riwayat/{k3[0]}"))
    whats = [html.text_of(td, ".") for td in history.xpath("//table[contains(@class,'history-table')]//td[3]")]
    assert approved in whats and "Approved" not in whats
    timeline = html.page(dp3a.get(f"{base}/linimasa"))
    assert html.text_of(timeline, "//tr[@data-stage='cluster']/td[@class='name']") == "cluster coordinator check"
    assert html.text_of(timeline, "//tr[@data-stage='cluster']/td[@data-column='approved']") == "1"
    assert not timeline.xpath("//tr[@data-stage='dp3a']")  # the DP3A has decided nothing

    # The agency's list and card: the badge says whose approval it is, not plain "approved".
    listed = html.page(agency.get(f"{base}/isian"))
    badge_id = "badge-" + k3[0].replace(".", "-")
    badge = listed.xpath("//span[starts-with(@id,'badge-') and contains(@class,'by-coordinator')]")
    assert [b.get("id") for b in badge] and html.text_of(badge[0], ".") == "Approved by the cluster coordinator"
    card = html.page(agency.get(f"{base}/isian/{k3[0]}"))
    assert html.text_of(card, "//span[contains(@class,'by-coordinator')]") == approved
    # The DP3A approves: now it is the DP3A's approval, said plainly.
    assert dp3a.post(f"{base}/verifikasi/{k3[0]}", data={"action": "approved", "csrf_token": dp3a_token},
                     follow_redirects=False).status_code == 303
    listed = html.page(agency.get(f"{base}/isian"))
    mark = [b for b in listed.xpath("//span[contains(@class,'badge') and contains(@class,'status-approved')]")]
    assert mark and all("by-coordinator" not in (b.get("class") or "") for b in mark)
    assert all(html.text_of(b, ".") == "approved" for b in mark), badge_id
    assert not html.page(agency.get(f"{base}/isian/{k3[0]}")).xpath("//span[contains(@class,'by-coordinator')]")


def _save_as(db, world, scorer, username, code):
    user = db.exec(select(User).where(User.username == username)).one()
    best = best_answer(scorer, code)
    answer = db.exec(select(Answer).where(Answer.question_code == code)).first()
    save_answer(db, world.assessments["a"], code, AnswerInput(option=best.option, value=best.value, note="x"),
                answer.version if answer else 0, user, scorer)
    db.commit()


def _submit_as(db, world, username, code):
    user = db.exec(select(User).where(User.username == username)).one()
    submit(db, world.assessments["a"], [db.exec(select(Answer).where(Answer.question_code == code)).one()], user)
    db.commit()


def test_a_coordinator_never_decides_their_own_work(make_client, world, auth, db, scorer, catalogue):
    """Last saved or last submitted by the coordinator: theirs, decided by the DP3A. A colleague's
    answer of the same agency: the coordinator's to decide."""
    _team(world, db, catalogue)
    k3 = _codes(catalogue, "K3", 4)
    for code, saver, sender in zip(k3, ("opd_a", "opd_a2", "opd_a", "opd_a2"), ("opd_a", "opd_a", "opd_a2", "opd_a2"),
                                   strict=True):
        _save_as(db, world, scorer, saver, code)
        _submit_as(db, world, sender, code)
    coordinator, token = _client(make_client, auth, "opd_a")
    dp3a, _dp3a_token = _client(make_client, auth, "dp3a_a")
    base, desk = world.base(), f"{world.base()}/gugus-tugas/klaster"

    queue = html.page(coordinator.get(desk))
    for code in k3[:3]:
        assert html.text_of(_row(queue, code), ".//span[@class='own-work']") == \
            "needs another reviewer: goes to the DP3A"
    assert not _row(queue, k3[3]).xpath(".//span[@class='own-work']")
    page = html.page(coordinator.get(f"{desk}/{k3[0]}"))
    assert not page.xpath("//form[@method='post' and contains(@action,'klaster')]") and page.xpath("//p[contains(@class,'own-work')]")
    for code in k3[:3]:
        refused = coordinator.post(f"{desk}/{code}", data={"action": "approved", "csrf_token": token})
        assert refused.status_code == 409
        assert "another reviewer" in html.text_of(html.page(refused), "//p[@role='alert']")
    assert db.exec(select(ReviewEvent).where(ReviewEvent.stage == Stage.CLUSTER)).all() == []
    # The DP3A's default list holds the coordinator's own work; only the colleague's answer waits at them.
    assert set(_queue_codes(dp3a.get(f"{base}/verifikasi"))) >= set(k3[:3])
    assert k3[3] not in _queue_codes(dp3a.get(f"{base}/verifikasi"))
    assert _queue_codes(dp3a.get(f"{base}/verifikasi?klaster=1")) == [k3[3]]
    assert coordinator.post(f"{desk}/{k3[3]}", data={"action": "approved", "csrf_token": token},
                            follow_redirects=False).status_code == 303


def _deactivate_user(db, world):
    world.users["opd_a"].active = False
    db.add(world.users["opd_a"])


def _remove_coordinator(db, world):
    for row in db.exec(select(ClusterCoordinator).where(ClusterCoordinator.part_code == "K3")):
        db.delete(row)


def _deactivate_agency(db, world):
    agency = db.get(Agency, world.users["opd_a"].agency_id)
    agency.active = False
    db.add(agency)


def _hand_on(db, world):
    assessment = world.assessments["a"]
    assessment.stage = Stage.PROVINCE
    db.add(assessment)


@pytest.mark.parametrize("change", [_deactivate_user, _remove_coordinator, _deactivate_agency, _hand_on])
def test_an_answer_no_coordinator_can_decide_reaches_the_dp3a(change, make_client, world, auth, db, scorer, catalogue):
    _team(world, db, catalogue, parts=("K3",))
    k3 = _codes(catalogue, "K3", 2)
    _answer_as(db, world, scorer, catalogue, "opd_a2", k3)
    assessment = world.assessments["a"]
    held = coordination.held_at_coordinators(db, review_service.load_state(db, assessment), catalogue, assessment)
    assert held is not None and set(k3) <= held
    coordinator, token = _client(make_client, auth, "opd_a")
    change(db, world)
    db.commit()
    db.refresh(assessment)
    held = coordination.held_at_coordinators(db, review_service.load_state(db, assessment), catalogue, assessment)
    assert held is None or not set(k3) & held
    dp3a, _dp3a_token = _client(make_client, auth, "dp3a_a")
    assert set(k3) <= set(_queue_codes(dp3a.get(f"{world.base()}/verifikasi")))
    # Whoever is still signed in, no CLUSTER decision goes through (the rule itself, and the desk).
    answer = db.exec(select(Answer).where(Answer.question_code == k3[0])).one()
    if change is not _hand_on:
        with pytest.raises(Refusal):
            coordination.check_coordinator(db, catalogue, assessment, world.users["opd_a"], answer)
    refused = coordinator.post(f"{world.base()}/gugus-tugas/klaster/{k3[0]}",
                               data={"action": "approved", "csrf_token": token}, follow_redirects=False)
    assert refused.status_code != 303 or refused.headers["location"].startswith("/masuk")
    assert db.exec(select(ReviewEvent).where(ReviewEvent.stage == Stage.CLUSTER)).all() == []


def test_a_coordinator_never_decides_an_answer_whose_files_they_changed_last(make_client, world, auth, db, scorer,
                                                                             catalogue, app):
    """Review s31: the files are the answer's substance. A coordinator who adds (or removes) the file and
    lets a colleague submit decided their own work: the latest change to the answer or its files counts."""
    import io

    from app.services.demo import sample_pdf
    from app.services.evidence import attach

    _team(world, db, catalogue)
    k3 = _codes(catalogue, "K3", 2)
    for code in k3:
        _save_as(db, world, scorer, "opd_a2", code)
    answer = db.exec(select(Answer).where(Answer.question_code == k3[0])).one()
    stored = app.state.evidence.save_file(io.BytesIO(sample_pdf(k3[0], "bukti")))
    attach(db, world.assessments["a"], answer, stored, "bukti-koordinator.pdf", world.users["opd_a"])
    db.commit()
    for code in k3:
        _submit_as(db, world, "opd_a2", code)
    coordinator, token = _client(make_client, auth, "opd_a")
    desk = f"{world.base()}/gugus-tugas/klaster"
    queue = html.page(coordinator.get(desk))
    assert _row(queue, k3[0]).xpath(".//span[@class='own-work']")
    assert not _row(queue, k3[1]).xpath(".//span[@class='own-work']")
    refused = coordinator.post(f"{desk}/{k3[0]}", data={"action": "approved", "csrf_token": token})
    assert refused.status_code == 409
    assert db.exec(select(ReviewEvent).where(ReviewEvent.stage == Stage.CLUSTER)).all() == []
    assessment = world.assessments["a"]
    held = coordination.held_at_coordinators(db, review_service.load_state(db, assessment), catalogue, assessment)
    assert held is not None and k3[0] not in held and k3[1] in held
    assert coordinator.post(f"{desk}/{k3[1]}", data={"action": "approved", "csrf_token": token},
                            follow_redirects=False).status_code == 303
    # The other way round: the coordinator saved it, a colleague added the file and submitted: still theirs.
    k3b = _codes(catalogue, "K3", 3)[2]
    _save_as(db, world, scorer, "opd_a", k3b)
    other = db.exec(select(Answer).where(Answer.question_code == k3b)).one()
    stored = app.state.evidence.save_file(io.BytesIO(sample_pdf(k3b, "bukti rekan")))
    attach(db, world.assessments["a"], other, stored, "bukti-rekan.pdf", world.users["opd_a2"])
    db.commit()
    _submit_as(db, world, "opd_a2", k3b)
    assert coordinator.post(f"{desk}/{k3b}", data={"action": "approved", "csrf_token": token}).status_code == 409


def test_a_coordinators_workspace_points_to_the_desk_with_what_waits(make_client, world, auth, db, scorer, catalogue):
    """A coordinator lands on their workspace: it says how many answers of their cluster wait for them and
    links the desk (the walk found the desk only under Gugus Tugas → Klaster saya). Their own work is not
    counted (it goes to the DP3A); an agency that coordinates nothing, and the DP3A, see no such box."""
    _team(world, db, catalogue)
    k3 = _codes(catalogue, "K3", 3)
    _answer_as(db, world, scorer, catalogue, "opd_a2", k3[:2])
    _answer_as(db, world, scorer, catalogue, "opd_a", k3[2:])  # the coordinator's own: not for their desk
    coordinator, _token = _client(make_client, auth, "opd_a")
    page = html.page(coordinator.get(f"{world.base()}/isian"))
    box = "//section[contains(@class,'coordinator-desk')]"
    assert html.text_of(page, f"{box}/p").startswith("Answers waiting for your review (Klaster III, Klaster V): 2.")
    assert html.attrs(page, f"{box}//a/@href") == [f"{world.base()}/gugus-tugas/klaster"]
    for other in ("opd_a2", "dp3a_a"):
        client, _other_token = _client(make_client, auth, other)
        assert html.page(client.get(f"{world.base()}/isian")).xpath(box) == [], other
