"""The runner with several workers and machines (issue 24, item 6): two real `kla jobs run --once`
processes share the due jobs and each runs once; SIGTERM ends a runner after the job in hand; a job
that hangs ends its runner's process; one whose runner dies on every attempt ends FAILED; a database
away for a moment does not lose a job's outcome; `kla jobs list` and `kla jobs retry`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from app.cli import main
from app.jobs import queue, runner
from app.jobs.registry import HANDLERS, LEASE_SECONDS, JobContext
from app.jobs.runner import TickReport, Watchdog, run_due_jobs
from app.models import Job, JobState, utcnow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def kind():
    """A handler the test fills in (`calls` records the jobs it ran)."""
    calls: list[int] = []
    box: dict[str, object] = {"do": lambda context, job: None}

    def run(context, job):
        calls.append(job.id)
        return box["do"](context, job)

    HANDLERS["test.box"], LEASE_SECONDS["test.box"] = run, 30
    yield box, calls
    HANDLERS.pop("test.box")
    LEASE_SECONDS.pop("test.box")


def _env(settings, log: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLA_")}
    return {**env, "KLA_DATABASE_URL": settings.resolved_database_url, "KLA_DATA_DIR": str(settings.data_dir),
            "KLA_TEST_JOBS_LOG": str(log), "KLA_LANG": "en", "PYTHONPATH": str(ROOT)}


def test_two_runner_processes_run_each_due_job_once(engine, db, settings, tmp_path):
    for n in range(30):
        queue.enqueue(db, "test.note", f"note:{n}", {"sleep": 0.05})
    db.commit()
    log = tmp_path / "ran.txt"
    command = [sys.executable, "-m", "tests.web.jobs_cli", "jobs", "run", "--once"]
    processes = [subprocess.Popen(command, cwd=ROOT, env=_env(settings, log), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    ran = [line.split() for line in log.read_text().splitlines()]
    counts = Counter(job_id for job_id, _pid in ran)
    assert len(counts) == 30 and set(counts.values()) == {1}  # every job, each once
    assert len({pid for _job, pid in ran}) == 2  # both runners worked
    with Session(engine) as session:
        jobs = session.exec(select(Job)).all()
        assert {job.state for job in jobs} == {JobState.DONE}
        assert {job.attempts for job in jobs} == {1}


def test_a_stop_ends_the_runner_after_the_job_in_hand(engine, db, settings, catalogue, kind):
    box, calls = kind
    stopping: list[bool] = []
    box["do"] = lambda context, job: stopping.append(True)  # SIGTERM arrives while the first job runs
    for n in range(3):
        queue.enqueue(db, "test.box", f"box:{n}")
    db.commit()
    report = TickReport()
    run_due_jobs(JobContext(settings, engine, catalogue, "w1"), None, report, stop=lambda: bool(stopping))
    assert len(calls) == 1 and report.done == {"test.box": 1}
    with Session(engine) as session:
        states = Counter(job.state for job in session.exec(select(Job)).all())
    assert states == {JobState.DONE: 1, JobState.PENDING: 2}  # the rest wait for the next runner


def test_a_job_whose_runner_dies_on_every_attempt_ends_failed(engine, db):
    queue.enqueue(db, "test.kind", "deadly", max_attempts=2)
    db.commit()
    now = utcnow()
    assert queue.take(engine, "w1", now, lease={"test.kind": 10}) is not None  # w1 dies with it
    assert queue.take(engine, "w2", now + timedelta(seconds=11), lease={"test.kind": 10}) is not None  # w2 too
    assert queue.take(engine, "w3", now + timedelta(seconds=22)) is None
    with Session(engine) as session:
        job = session.exec(select(Job)).one()
        assert job.state == JobState.FAILED and job.attempts == 2 and job.last_error == queue.LAPSED_ERROR


def test_the_watchdog_ends_a_runner_whose_job_hangs_past_its_lease(engine, db):
    exits: list[int] = []
    watchdog = Watchdog(grace_seconds=0, exit=exits.append)
    queue.enqueue(db, "test.kind", "hangs")
    db.commit()
    job = queue.take(engine, "w1")
    watchdog.watch(job, lease=0)
    assert watchdog.overdue() == f"{job.id} (test.kind)"
    watchdog.extend(lease=600)  # a progress report extends it
    assert watchdog.overdue() is None
    watchdog.watch(job, lease=0)
    watchdog.start()
    import time

    deadline = time.monotonic() + 5
    while not exits and time.monotonic() < deadline:
        time.sleep(0.1)
    watchdog.stop()
    assert exits == [runner.EXIT_HUNG]


def test_a_database_away_for_a_moment_does_not_lose_the_outcome(engine, db, settings, catalogue, kind, monkeypatch):
    box, calls = kind
    box["do"] = lambda context, job: {"ok": True}
    queue.enqueue(db, "test.box", "blip")
    db.commit()
    real_finish, failures = queue.finish, [2]

    def flaky_finish(*args, **kwargs):
        if failures[0]:
            failures[0] -= 1
            raise OperationalError("UPDATE job", {}, ConnectionError("server closed the connection"))
        return real_finish(*args, **kwargs)

    monkeypatch.setattr(queue, "finish", flaky_finish)
    monkeypatch.setattr(runner.time, "sleep", lambda seconds: None)
    report = TickReport()
    run_due_jobs(JobContext(settings, engine, catalogue, "w1"), None, report)
    assert report.done == {"test.box": 1} and calls and failures == [0]
    with Session(engine) as session:
        job = session.exec(select(Job)).one()
        assert job.state == JobState.DONE and job.result == {"ok": True}


def test_list_and_retry_from_the_command_line(engine, db, settings, monkeypatch):
    queue.enqueue(db, "test.kind", "broken", max_attempts=1)
    queue.enqueue(db, "test.kind", "fine")
    db.commit()
    job = queue.take(engine, "w1")
    assert queue.fail(engine, job, "w1", "SMTPRecipientsRefused: nobody") == JobState.FAILED
    monkeypatch.setenv("KLA_DATABASE_URL", settings.resolved_database_url)
    cli = CliRunner()
    listed = cli.invoke(main, ["jobs", "list", "--state", "failed", "--lang", "en"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert len(lines) == 1 and lines[0].split("\t")[:3] == [str(job.id), "test.kind", "failed"]
    assert "SMTPRecipientsRefused" in lines[0]
    assert len(cli.invoke(main, ["jobs", "list", "--lang", "en"]).output.splitlines()) == 2
    retried = cli.invoke(main, ["jobs", "retry", str(job.id), "--lang", "en"])
    assert retried.exit_code == 0, retried.output
    again = cli.invoke(main, ["jobs", "retry", str(job.id), "--lang", "en"])
    assert again.exit_code != 0 and "has not failed" in again.output
    assert cli.invoke(main, ["jobs", "retry", "99999", "--lang", "en"]).exit_code != 0
    with Session(engine) as session:
        assert session.get(Job, job.id).state == JobState.PENDING
