"""The e-mail settings page (every signed-in user) and the admin's list of background jobs: the kinds
offered follow the role, a wrong address comes back with a message and nothing lost, saving twice
changes nothing the second time (one audit entry), a failed e-mail is listed and tried again."""

from __future__ import annotations

from sqlmodel import select

from app.jobs import queue
from app.models import AuditEntry, Job, JobState, User
from tests import html
from tests.conftest import login


def _boxes(tree) -> list[str]:
    return html.attrs(tree, "//form[@id='email-settings']//input[@name='kinds']/@value")


def test_the_kinds_offered_follow_the_role(client, world):
    login(client, "opd_a")
    assert _boxes(html.page(client.get("/akun/surel"))) == ["returned", "reopened", "window", "recommendation"]
    client.cookies.clear()
    login(client, "dp3a_a")
    assert _boxes(html.page(client.get("/akun/surel"))) == ["reopened", "window", "recommendation", "digest"]
    client.cookies.clear()
    login(client, "reviewer")
    tree = html.page(client.get("/akun/surel"))
    assert _boxes(tree) == [] and html.one(tree, "//*[@id='no-kinds']") is not None


def test_e_mail_off_is_said_on_the_page(client, world):
    login(client, "admin")
    tree = html.page(client.get("/akun/surel"))
    assert html.one(tree, "//*[@id='email-off']") is not None
    assert html.attrs(tree, "//header//a/@href").count("/akun/surel") == 1


def test_saving_is_checked_audited_and_idempotent(client, world, db):
    token = login(client, "opd_a")
    bad = client.post("/akun/surel", data={"csrf_token": token, "email": "dinkes at palangkaraya", "language": "en",
                                           "kinds": ["returned", "window"]})
    assert bad.status_code == 422
    tree = html.page(bad)
    assert html.one(tree, "//*[@id='email-error']") is not None
    assert html.attrs(tree, "//input[@id='email']/@value") == ["dinkes at palangkaraya"]  # nothing lost
    assert _boxes(tree) == ["returned", "reopened", "window", "recommendation"]
    assert html.attrs(tree, "//input[@name='kinds'][@checked]/@value") == ["returned", "window"]
    form = {"csrf_token": token, "email": " Dinkes@PalangkaRaya.go.id ", "language": "en", "kinds": ["returned", "window"]}
    for _ in range(2):
        response = client.post("/akun/surel", data=form, follow_redirects=False)
        assert response.status_code == 303
    user = db.exec(select(User).where(User.username == "opd_a")).one()
    db.refresh(user)
    assert (user.email, user.language, sorted(user.email_off)) == ("Dinkes@palangkaraya.go.id", "en",
                                                                   ["recommendation", "reopened"])
    entries = db.exec(select(AuditEntry).where(AuditEntry.action == "user.email_settings")).all()
    assert len(entries) == 1
    tree = html.page(client.get("/akun/surel"))
    assert html.attrs(tree, "//input[@name='kinds'][@checked]/@value") == ["returned", "window"]
    # Empty: no e-mail at all.
    client.post("/akun/surel", data={**form, "email": ""})
    db.refresh(user)
    assert user.email == ""


def _failed_email(db, world, which: str = "a") -> Job:
    user = world.users[f"opd_{which}"]
    queue.enqueue(db, "email", f"email:returned:1:{user.id}",
                  {"to": f"{user.username}@example.org", "user_id": user.id, "kind": "returned", "subject": "s",
                   "body": "b"}, regency_code=user.regency_code, user_id=user.id)
    db.commit()
    job = db.exec(select(Job).where(Job.user_id == user.id)).one()
    job.state, job.attempts, job.last_error = JobState.FAILED, 5, "SMTPRecipientsRefused: 550 no such user"
    db.add(job)
    db.commit()
    return job


def test_the_admin_sees_a_failed_e_mail_and_tries_it_again(client, world, db):
    job = _failed_email(db, world)
    token = login(client, "admin")
    tree = html.page(client.get("/kementerian/tugas"))
    assert html.text_of(tree, "//*[@id='job-totals']/dd[@data-state='failed']") == "1"
    row = html.one(tree, f"//tr[@id='job-{job.id}']")
    assert "opd_a <opd_a@example.org>" in html.text_of(row)
    assert "550 no such user" in html.text_of(row, ".//td[contains(@class,'job-error')]")
    assert html.attrs(row, ".//form/@action") == [f"/kementerian/tugas/{job.id}/ulang"]
    for _ in range(2):  # the second click finds it pending: nothing changes
        assert client.post(f"/kementerian/tugas/{job.id}/ulang", data={"csrf_token": token},
                           follow_redirects=False).status_code == 303
    db.refresh(job)
    assert job.state == JobState.PENDING and job.attempts == 0
    assert len(db.exec(select(AuditEntry).where(AuditEntry.action == "job.retry")).all()) == 1
    tree = html.page(client.get("/kementerian/tugas"))
    assert html.attrs(tree, f"//tr[@id='job-{job.id}']//form/@action") == []  # retrying: no button


def test_the_dp3a_sees_the_failed_e_mails_of_its_own_kabkota_only(client, world, db):
    _failed_email(db, world, "b")
    own = _failed_email(db, world, "a")
    login(client, "dp3a_a")
    tree = html.page(client.get("/akun/surel"))
    items = html.texts(tree, "//ul[@id='failed-emails']/li")
    assert len(items) == 1 and "opd_a" in items[0] and own.id
    assert client.get("/kementerian/tugas").status_code == 403


def test_the_dp3a_gives_a_new_account_an_e_mail_address(client, world, db):
    token = login(client, "dp3a_a")
    url = f"{world.base('a')}/kelola/akun"
    fields = {"csrf_token": token, "username": "budi.dinkes", "full_name": "Budi", "role": "opd",
              "agency_id": str(world.agencies["dinkes_a"].id)}
    bad = client.post(url, data={**fields, "email": "budi@"})
    assert bad.status_code == 422
    tree = html.page(bad)
    assert html.one(tree, "//*[@id='email-error']") is not None
    assert html.attrs(tree, "//input[@id='email']/@value") == ["budi@"]
    assert html.attrs(tree, "//input[@id='username']/@value") == ["budi.dinkes"]
    assert db.exec(select(User).where(User.username == "budi.dinkes")).first() is None
    assert client.post(url, data={**fields, "email": "budi@dinkes.example.org"}).status_code == 200
    created = db.exec(select(User).where(User.username == "budi.dinkes")).one()
    assert created.email == "budi@dinkes.example.org"
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "user.email_settings",
                                            AuditEntry.entity_id == str(created.id))).one()
