"""The national workbook built by the job runner (issue 24, item 7): asking returns at once; the status
page shows progress (htmx every 2 s, a refresh link without JavaScript) then the download; the same data
revision is served again without a new job, a new revision builds a new one; old files are cleaned."""

from __future__ import annotations

import os
import time

from sqlmodel import Session, select

from app.exports import national_job
from app.jobs import queue
from app.jobs.registry import JobContext
from app.jobs.runner import TickReport, run_due_jobs
from app.models import Job, JobState
from app.services import audit
from tests import html


def _ask(client, token, year):
    response = client.post(f"/nasional/{year}/ekspor", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def _run(app, catalogue) -> TickReport:
    report = TickReport()
    run_due_jobs(JobContext(app.state.settings, app.state.engine, catalogue, "test:1"), None, report,
                 kinds=(national_job.KIND,))
    return report


def _jobs(engine) -> list[Job]:
    with Session(engine) as session:
        return list(session.exec(select(Job).where(Job.kind == national_job.KIND).order_by(Job.id)).all())


def _submit(db, world, key="a"):
    assessment = world.assessments[key]
    assessment.stage = "province"
    db.add(assessment)
    db.commit()


def test_asking_returns_at_once_and_the_same_revision_is_one_job_served_again(client, auth, world, db, app,
                                                                             catalogue, engine):
    _submit(db, world)
    token = auth.login(client, "admin")
    status_url = _ask(client, token, world.year)
    assert _ask(client, token, world.year) == status_url  # asked twice: one job
    [job] = _jobs(engine)
    assert job.state == JobState.PENDING and job.payload["year"] == world.year

    waiting = html.page(client.get(status_url))
    [section] = waiting.xpath("//section[@id='national-export-status']")
    assert section.get("data-state") == "pending"
    assert section.get("hx-get") == status_url and section.get("hx-trigger") == "every 2s"
    assert waiting.xpath(f"//section[@id='national-export-status']//a[@href='{status_url}']")  # no-JS refresh
    partial = client.get(status_url, headers={"HX-Request": "true"})
    assert html.page(partial).xpath("//section[@id='national-export-status']") and "<html" not in partial.text
    assert "no-store" in partial.headers["cache-control"]

    assert _run(app, catalogue).done == {national_job.KIND: 1}
    ready = html.page(client.get(status_url))
    [section] = ready.xpath("//section[@id='national-export-status']")
    assert section.get("data-state") == "done" and section.get("hx-get") is None  # polling stops
    [link] = ready.xpath("//section[@id='national-export-status']//a[@download]/@href")
    assert client.get(link).status_code == 200

    # Asked again at the same revision: the same job, its workbook at once, nothing for the runner.
    assert _ask(client, token, world.year) == status_url
    assert _run(app, catalogue).jobs == 0 and len(_jobs(engine)) == 1
    assert html.page(client.get(status_url)).xpath("//a[@download]")


def test_a_new_revision_builds_a_new_workbook_and_the_old_page_says_so(client, auth, world, db, app, catalogue,
                                                                       engine):
    _submit(db, world)
    token = auth.login(client, "admin")
    first_url = _ask(client, token, world.year)
    _run(app, catalogue)
    audit.record(db, world.users["province"], "review.approved", "answer", 1, regency_code=world.regency_a.code)
    db.commit()  # a decision: the assessment's revision moves on
    old = html.page(client.get(first_url))
    assert html.text_of(old, "//section[@id='national-export-status']//p[@class='warning']")
    assert old.xpath(f"//section[@id='national-export-status']//form[@action='/nasional/{world.year}/ekspor']")
    second_url = _ask(client, token, world.year)
    assert second_url != first_url
    _run(app, catalogue)
    first, second = _jobs(engine)
    assert first.payload["revision"] != second.payload["revision"]
    assert {first.state, second.state} == {JobState.DONE}
    files = sorted(p.name for p in national_job.exports_dir(app.state.settings).glob("rekap-nasional-*"))
    assert files == sorted([first.result["file"], second.result["file"]])  # the old one stays a while


def test_progress_per_kab_kota_and_cleaning(engine, db, world, settings, catalogue, monkeypatch):
    for key in ("a", "b", "c"):
        _submit(db, world, key)
    monkeypatch.setattr(national_job, "PROGRESS_EVERY_SECONDS", 0)
    job = national_job.request_workbook(db, settings, world.users["admin"], world.year)
    db.commit()
    taken = queue.take(engine, "w1")
    seen: list[tuple[int, str]] = []
    context = JobContext(settings, engine, catalogue, "w1", progress=lambda p, note="": seen.append((p, note)))
    result = national_job.build(context, taken)
    assert seen == [(33, "1/3"), (66, "2/3"), (99, "3/3")]
    assert result["regions"] == 3 and taken.id == job.id
    folder = national_job.exports_dir(settings)
    old = folder / f"{national_job.PREFIX}{world.year}-0123456789abcdef0123.xlsx"
    other_year = folder / f"{national_job.PREFIX}2023-0123456789abcdef0123.xlsx"
    dead = folder / f".{national_job.PREFIX}{world.year}-x.xlsx.99.part"
    for path in (old, other_year, dead):
        path.write_bytes(b"x")
    hours_ago = time.time() - 2 * 3600
    for path in (old, other_year):
        os.utime(path, (hours_ago, hours_ago))
    removed = national_job.clean(folder, keep=result["file"], year=world.year)
    assert removed == [old.name]  # the other year's is kept a month, a part file a day
    assert sorted(national_job.clean(folder, keep=result["file"], year=world.year,
                                     now=time.time() + 40 * 86400)) == sorted([other_year.name, dead.name])
    assert (folder / result["file"]).exists()


def test_a_failed_or_removed_workbook_is_built_again_when_asked(client, auth, world, db, app, catalogue, engine):
    _submit(db, world)
    token = auth.login(client, "admin")
    status_url = _ask(client, token, world.year)
    [job] = _jobs(engine)
    taken = queue.take(engine, "w1")
    for _ in range(taken.max_attempts):
        queue.fail(engine, taken, "w1", "OSError: disk full", now=None)
        taken = queue.take(engine, "w1", taken.run_at.replace(year=taken.run_at.year + 1)) or taken
    [job] = _jobs(engine)
    assert job.state == JobState.FAILED
    page = html.page(client.get(status_url))
    assert page.xpath("//section[@id='national-export-status']//p[@role='alert']")
    assert "disk full" not in html.text_of(page)  # the server's error is the administrator's (kla jobs list)
    assert _ask(client, token, world.year) == status_url
    assert _run(app, catalogue).done == {national_job.KIND: 1}
    [job] = _jobs(engine)
    (national_job.exports_dir(app.state.settings) / job.result["file"]).unlink()
    gone = html.page(client.get(status_url))
    assert not gone.xpath("//a[@download]") and gone.xpath("//section[@id='national-export-status']//form")
    assert _ask(client, token, world.year) == status_url
    assert _run(app, catalogue).done == {national_job.KIND: 1}
    assert html.page(client.get(status_url)).xpath("//a[@download]")


def test_only_the_ministry_and_only_this_years_job(make_client, auth, world, db, app, catalogue):
    _submit(db, world)
    admin = make_client()
    token = auth.login(admin, "admin")
    status_url = _ask(admin, token, world.year)
    _run(app, catalogue)
    [link] = html.page(admin.get(status_url)).xpath("//a[@download]/@href")
    job_id = status_url.rsplit("/", 1)[1]
    assert admin.get(f"/nasional/{world.year - 1}/ekspor/{job_id}").status_code == 404
    assert admin.get(f"/nasional/{world.year - 1}/ekspor/{job_id}/rekap-nasional.xlsx").status_code == 404
    for role in ("province", "reviewer", "dp3a_a", "opd_a"):
        other = make_client()
        other_token = auth.login(other, role)
        assert other.get(status_url).status_code == 403
        assert other.get(link).status_code == 403
        assert other.post(f"/nasional/{world.year}/ekspor", data={"csrf_token": other_token},
                          follow_redirects=False).status_code == 403
    assert admin.post(f"/nasional/{world.year}/ekspor", follow_redirects=False).status_code in (400, 403)  # CSRF


def finished_job(db, settings, year: int) -> str:
    """A national workbook job of `year`, done, with its file (for the route matrices): its id."""
    from app.models import utcnow

    name = national_job.file_name(year, "0" * 20)
    folder = national_job.exports_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"PK\x03\x04 not a real workbook")
    job = Job(kind=national_job.KIND, key=national_job.job_key(year, "0" * 20), payload={"year": year,
              "revision": "0" * 20}, state=JobState.DONE, result={"file": name}, finished_at=utcnow())
    db.add(job)
    db.commit()
    return str(job.id)
