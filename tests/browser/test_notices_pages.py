"""Issue 24, e-mail: a DP3A opens its e-mail settings from the header, turns the daily summary off and
saves; the ministry's admin sees a failed e-mail on the background jobs page and tries it again. Both
pages at 1280 and 360 px: no sideways scrolling (no console error, no serious axe finding: conftest),
with screenshots in test-artifacts/browser/surel-*.png.

The live server runs without KLA_SMTP_URL: both pages say e-mail is off. The failed e-mail is written
into the live server's database (a runner would have left it so after five refusals)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.db import make_engine
from app.jobs import queue
from app.models import Job, JobState, User
from tests.browser.helpers import PASSWORD, login_as, shot
from tests.browser.seasons import live_database_url

WIDTHS = ["desktop", "phone"]
ANYWHERE = re.compile(r"^(?!.*/masuk).*$")


def _fits(page) -> None:
    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url} scrolls sideways: {width} px wide in a {inner} px window"


def _failed_email(url: str, username: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            user = session.exec(select(User).where(User.username == username)).one()
            key = f"email:returned:browser:{user.id}"
            queue.enqueue(session, "email", key, {"to": user.email, "user_id": user.id, "kind": "returned",
                                                  "subject": "s", "body": "b"},
                          regency_code=user.regency_code, user_id=user.id)
            session.commit()
            job = session.exec(select(Job).where(Job.key == key)).one()
            job.state, job.attempts = JobState.FAILED, job.max_attempts
            job.last_error = "SMTPRecipientsRefused: {'" + user.email + "': (550, b'5.1.1 mailbox unavailable')}"
            session.add(job)
            session.commit()
            return job.id or 0
    finally:
        engine.dispose()


def _state_of(url: str, job_id: int) -> JobState:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            job = session.get(Job, job_id)
            assert job is not None
            return JobState(job.state)
    finally:
        engine.dispose()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_dp3a_chooses_its_e_mails(width, request, live_server, artifacts):
    page = request.getfixturevalue(f"{width}_page")
    login_as(page, live_server, "dp3a.palangkaraya", ANYWHERE)
    page.locator("header .account a[href='/akun/surel']").click()
    expect(page).to_have_url(re.compile(r"/akun/surel$"))
    expect(page.locator("#email-off")).to_be_visible()
    expect(page.locator("#email")).to_have_value("dp3a.palangkaraya@example.org")
    expect(page.locator("input[name=kinds]")).to_have_count(4)
    _fits(page)
    shot(page.locator("#main"), artifacts, f"surel-settings-{width}")
    page.locator("#kind-digest").uncheck()
    page.locator("#email-settings button[type=submit]").click()
    expect(page.locator("p.ok[role=status]")).to_be_visible()
    expect(page.locator("#kind-digest")).not_to_be_checked()
    page.locator("#kind-digest").check()  # as it was, for the other width's run
    page.locator("#email-settings button[type=submit]").click()
    expect(page.locator("#kind-digest")).to_be_checked()
    page.locator("#email").fill("bukan alamat")
    page.locator("#email").evaluate("e => e.type = 'text'")  # past the browser's own check: the server's
    page.locator("#email-settings button[type=submit]").click()
    expect(page.locator("#email-error")).to_be_visible()
    expect(page.locator("#email")).to_have_value("bukan alamat")
    _fits(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_admin_tries_a_failed_e_mail_again(width, request, live_server, artifacts, tmp_path_factory):
    job_id = _failed_email(live_database_url(tmp_path_factory), "dinkes.palangkaraya")
    page = request.getfixturevalue(f"{width}_page")
    # Straight to the page (?next=): the admin's home, the national list, is slow on a cold, busy machine.
    page.goto(f"{live_server}/masuk?next=/kementerian/tugas")
    page.locator("#username").fill("admin.kemenpppa")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Masuk", exact=True).click()
    expect(page).to_have_url(re.compile(r"/kementerian/tugas$"))
    row = page.locator(f"#job-{job_id}")
    expect(row).to_contain_text("dinkes.palangkaraya@example.org")
    expect(row.locator(".job-error")).to_contain_text("550")
    expect(page.locator("#email-off")).to_be_visible()
    _fits(page)
    shot(page.locator("#main"), artifacts, f"surel-jobs-{width}")
    row.locator("button[type=submit]").click()
    expect(page.locator("p.ok[role=status]")).to_be_visible()
    expect(page.locator(f"#job-{job_id}")).to_have_count(0)  # waiting for the runner again, attempts afresh
    # Pending again with its attempts afresh; the demo server's own runner (polling every second) may
    # already have taken it since, so any state but failed is right.
    assert _state_of(live_database_url(tmp_path_factory), job_id) in (JobState.PENDING, JobState.RUNNING,
                                                                       JobState.DONE)
    _fits(page)
    shot(page, artifacts, f"surel-jobs-retried-{width}")
