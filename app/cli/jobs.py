"""`kla jobs`: the job runner (e-mail, the national workbook, deadlines) as its own process."""

from __future__ import annotations

import signal
from types import FrameType

import click

from app.cli.common import lang_option, main
from app.cli.database import settings, upgrade_or_exit
from app.i18n import _


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
    machines). Stops cleanly on SIGTERM or Ctrl-C after the job in hand."""
    from app.db import make_engine
    from app.jobs import tasks  # noqa: F401 (registers the handlers and scans)
    from app.jobs.registry import JobContext
    from app.jobs.runner import TickReport, run_forever, tick, worker_name
    from indicators import load_catalogue

    found = settings()
    upgrade_or_exit(found.resolved_database_url)
    context = JobContext(found, make_engine(found.resolved_database_url, connections=2),
                         load_catalogue(found.catalogue_file), worker_name())

    def say(report: TickReport) -> None:
        for kind, count in sorted(report.done.items()):
            click.echo(_("%(kind)s: %(count)s done") % {"kind": kind, "count": count})
        for kind, count in sorted(report.failed.items()):
            click.echo(_("%(kind)s: %(count)s failed (tried again later)") % {"kind": kind, "count": count})

    if once:
        report = tick(context)
        say(report)
        if not report.jobs:
            click.echo(_("Nothing was due."))
        return
    stopping = False

    def stop(_signal: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(_("Job runner %(name)s started; looks for due work every %(seconds)s s.")
               % {"name": context.worker, "seconds": poll or found.jobs_poll_seconds})
    run_forever(context, poll or found.jobs_poll_seconds, stop=lambda: stopping, on_tick=say)
