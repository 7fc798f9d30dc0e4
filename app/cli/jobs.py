"""`kla jobs`: the job runner (e-mail, the national workbook, deadlines) as its own process, and a look
at its queue (`list`, `retry`) for an operator at a shell; the admin's page of jobs is on the web."""

from __future__ import annotations

import signal
from types import FrameType

import click

from app.cli.common import lang_option, main
from app.cli.database import settings, upgrade_or_exit
from app.i18n import _
from app.models import JobState


@main.group()
def jobs() -> None:
    """Work done away from the web workers: reminders by e-mail, the national workbook, deadlines."""


@jobs.command("run")
@click.option("--once", is_flag=True, help="Run what is due now, then exit (cron, tests, after `kla demo`).")
@click.option("--poll", type=click.IntRange(1, 3600), default=None,
              help="Seconds between looks for due work (default: KLA_JOBS_POLL_SECONDS, 30).")
@lang_option()
def jobs_run(once: bool, poll: int | None) -> None:
    """Run the job runner: every due job once, whichever runner takes it (several may run, on several
    machines). Stops cleanly on SIGTERM or Ctrl-C after the job in hand; a job that hangs past its
    lease ends the process (exit status 75) so that the service manager starts it again."""
    from app.db import make_engine
    from app.jobs import tasks  # noqa: F401 (registers the handlers and scans)
    from app.jobs.registry import JobContext
    from app.jobs.runner import TickReport, Watchdog, run_forever, tick, worker_name
    from indicators import load_catalogue

    found = settings()
    upgrade_or_exit(found.resolved_database_url)
    context = JobContext(found, make_engine(found.resolved_database_url, connections=2),
                         load_catalogue(found.catalogue_file), worker_name())

    def say(report: TickReport) -> None:
        for name, count in sorted(report.scans.items()):
            if count:
                click.echo(_("scan %(name)s: %(count)s changed") % {"name": name, "count": count})
        for kind, count in sorted(report.done.items()):
            click.echo(_("%(kind)s: %(count)s done") % {"kind": kind, "count": count})
        for kind, count in sorted(report.failed.items()):
            click.echo(_("%(kind)s: %(count)s failed (tried again later)") % {"kind": kind, "count": count})

    stopping = False

    def stop(_signal: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    watchdog = Watchdog().start()
    try:
        if once:
            report = tick(context, stop=lambda: stopping, watchdog=watchdog)
            say(report)
            if not report.jobs and not any(report.scans.values()):
                click.echo(_("Nothing was due."))
            return
        click.echo(_("Job runner %(name)s started; looks for due work every %(seconds)s s.")
                   % {"name": context.worker, "seconds": poll or found.jobs_poll_seconds})
        run_forever(context, poll or found.jobs_poll_seconds, stop=lambda: stopping, on_tick=say, watchdog=watchdog)
    finally:
        watchdog.stop()
        context.engine.dispose()


@jobs.command("list")
@click.option("--state", "state", type=click.Choice([s.value for s in JobState]), default=None,
              help="Only the jobs in this state (e.g. failed).")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True, help="At most this many.")
@lang_option()
def jobs_list(state: str | None, limit: int) -> None:
    """The newest jobs: id, kind, state, attempts, when due, progress and the last error."""
    from sqlmodel import Session, col, select

    from app.db import make_engine
    from app.models import Job

    engine = make_engine(settings().resolved_database_url, connections=1)
    with Session(engine) as session:
        query = select(Job).order_by(col(Job.id).desc()).limit(limit)
        if state is not None:
            query = query.where(col(Job.state) == JobState(state))
        rows = session.exec(query).all()
    engine.dispose()
    if not rows:
        click.echo(_("No jobs in the queue."))
        return
    for job in rows:
        error = f"  {job.last_error.splitlines()[0][:120]}" if job.last_error else ""
        click.echo(f"{job.id}\t{job.kind}\t{job.state.value}\t{job.attempts}/{job.max_attempts}\t"
                   f"{job.run_at:%Y-%m-%d %H:%M}\t{job.progress}%\t{job.key}{error}")


@jobs.command("retry")
@click.argument("job_id", type=int)
@lang_option()
def jobs_retry(job_id: int) -> None:
    """Try a failed job again now, with a fresh count of attempts."""
    from sqlmodel import Session

    from app.db import make_engine
    from app.jobs import queue
    from app.models import Job

    engine = make_engine(settings().resolved_database_url, connections=1)
    try:
        with Session(engine) as session:
            job = session.get(Job, job_id)
            if job is None:
                raise click.ClickException(_("No job %(id)s.") % {"id": job_id})
            if not queue.retry(session, job):
                raise click.ClickException(_("Job %(id)s has not failed (it is %(state)s): nothing to retry.")
                                           % {"id": job_id, "state": job.state.value})
            session.commit()
    finally:
        engine.dispose()
    click.echo(_("Job %(id)s will run again at the runner's next look.") % {"id": job_id})
